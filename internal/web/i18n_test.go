package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// missingKey matches what Locale.T prints for a key the catalog lacks.
var missingKey = regexp.MustCompile(`\[[a-z_]+\.[a-z0-9_.]+\]`)

// TestCatalogCoversTemplates checks that every message key the templates
// name literally is in the English catalog.
func TestCatalogCoversTemplates(t *testing.T) {
	cat := i18n.MustLoad()
	lit := regexp.MustCompile(`\.T "([a-z_]+\.[a-z0-9_.]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := templateFS.ReadFile(p)
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			if !cat.Has(m[1]) {
				t.Errorf("%s: key %q is not in the catalog", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCatalogCoversGoKeys checks the message keys named in Go code: field
// error codes and the like.
func TestCatalogCoversGoKeys(t *testing.T) {
	cat := i18n.MustLoad()
	key := regexp.MustCompile(`"((?:err|flash|error|api|due|form|field)\.[a-z0-9_]*[a-z0-9])"`)
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			if !cat.Has(m[1]) {
				t.Errorf("%s: key %q is not in the catalog", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCatalogCoversValues checks the keys templates build from values
// (steps, tasks, roles, options): every value of each family has a message.
func TestCatalogCoversValues(t *testing.T) {
	cat := i18n.MustLoad()
	p := profile.Default()
	families := map[string][]string{
		"step.":          cases.Steps,
		"role.":          nil,
		"sex.":           intake.Sexes,
		"giver.":         consent.Givers,
		"giver_need.":    {consent.Self, consent.Caregiver},
		"kind.":          {consent.KindConsent, consent.KindAssent},
		"decision.":      {consent.Given, consent.Refused},
		"method.":        consent.Methods,
		"basis.":         consent.Bases,
		"need.":          {consent.Met, consent.Missing, consent.Refusal, consent.Withdrawn, consent.NotSought},
		"alive.":         cases.AliveValues,
		"declinable.":    cases.Declinable,
		"type.":          profile.CaseTypes,
		"outcome.":       {profile.OutcomeFull, profile.OutcomeReferral, profile.OutcomeNotEligible},
		"audit.cat.":     auditCategories,
		"consent.child_": {profile.ChildNone, profile.ChildMaturity, profile.ChildAssent, profile.ChildConsent, profile.ChildAssentOrConsent},
		"error.":         {"not_found", "forbidden", "conflict", "invalid", "too_many", "method", "internal"},
		"task.":          nil,
		"care.":          nil,
		"notify.":        nil,
		"timeline.":      timelineActions,
	}
	for _, k := range notify.Kinds {
		families["notify."] = append(families["notify."], string(k))
	}
	for _, r := range org.Roles {
		families["role."] = append(families["role."], string(r))
	}
	for _, k := range deadline.Kinds {
		families["task."] = append(families["task."], string(k))
	}
	for _, o := range p.CareStatuses {
		families["care."] = append(families["care."], o.Key)
	}
	for prefix, values := range families {
		for _, v := range values {
			if !cat.Has(prefix + v) {
				t.Errorf("key %q is not in the catalog", prefix+v)
			}
		}
	}
	for _, o := range []string{profile.OutcomeFull, profile.OutcomeReferral, profile.OutcomeNotEligible} {
		if !cat.Has("outcome." + o + "_next") {
			t.Errorf("key outcome.%s_next is not in the catalog", o)
		}
	}
	for _, e := range families["error."] {
		if !cat.Has("error." + e + "_help") {
			t.Errorf("key error.%s_help is not in the catalog", e)
		}
	}
}

// TestResolveStaticMessages: a message printed with a literal key and no
// arguments is written into the template once, escaped; anything else is
// left to the call at render time.
func TestResolveStaticMessages(t *testing.T) {
	l := i18n.MustLoad().Locale("en")
	src := `<p title="{{.T "field.child_views"}}">{{$.T "case.back"}}</p>{{.T "due.in_days" 3}}{{$p.T "case.back"}}`
	want := `<p title="The child&#39;s views">Back to the caseload</p>{{.T "due.in_days" 3}}{{$p.T "case.back"}}`
	if l.T("field.child_views") != "The child's views" || l.T("case.back") != "Back to the caseload" {
		t.Fatal("the test's messages changed: update the example")
	}
	if got := resolve(src, l); got != want {
		t.Errorf("resolve:\n got %s\nwant %s", got, want)
	}
}
