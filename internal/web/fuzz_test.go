package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/service"
	"github.com/safecase/safecase/internal/storable"
)

// apiInputs are fresh values of every type an API body decodes into.
func apiInputs() []any {
	return []any{
		new(cases.Registration), new(consent.Input), new(consent.OverrideInput), new(consent.ExclusionInput),
		new(family.Input), new(intake.NewIdentification), new(intake.ScreeningInput), new(org.NewUser),
		new(org.NewTeam), new(org.NewAgency), new(account.Edit),
		new(assessment.Input), new(assessment.ThreatInput), new(plan.Input), new(service.ServiceInput),
		new(service.SafetyInput), new(service.FundInput), new(followup.Input), new(followup.ReviewInput),
		new(closure.ProposeInput), new(closure.FeedbackInput),
		new(struct {
			RiskLevel string `json:"risk_level"`
			Reason    string `json:"reason"`
			Version   int    `json:"version"`
		}),
	}
}

// FuzzDecodeJSON feeds arbitrary bodies to the API decoder for every input
// type: it must never panic, and a refusal must be a field error that names
// the field (or "body").
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"type":"cp","age":12}`, `{"age":"12"}`, `{"concerns":["neglect",1]}`,
		`{"version":1}{}`, `[1,2]`, `{"answers":{"is_child":"yes"}}`, `{"bogus":true}`, `{"age":1e400}`, `"`, ``,
		`{"given_name":"\u0000"}`, `{"role":"caseworker","password":"x"}`, `{"days":-1}`,
		// Text that cannot be stored: NUL, bytes that are not UTF-8, lone surrogates, in values, nested and in keys.
		`{"needs":[{"description":"ok"},{"description":"a\u0000b"}]}`, `{"answers":{"\u0000":"yes"}}`,
		"{\"given_name\":\"A\xffB\"}", "{\"given_name\":\"\xed\xa0\x80\"}", `{"given_name":"\ud800"}`,
		`{"given_name":"\udc00\ud800"}`, `{"given_name":"\ud83d\ude00"}`, "{\"gi\xffven\":1}", `{"given_name":"\\u0000"}`,
		"{\"domains\":{\"child\":\"\xc3\x28\"}}", "\xff", `{"threats":[{"notes":"\u0000"}]}`,
		`{"given_name":"\\ud800"}`, `{"given_name":"\ud83d\ude00 ok"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range apiInputs() {
			err := DecodeJSON(body, v)
			if err == nil {
				// Only UTF-8 decodes (nothing is silently replaced)…
				if !utf8.Valid(body) {
					t.Fatalf("%T: %q is not UTF-8 but decoded", v, body)
				}
				// What decoded re-encodes and decodes the same.
				b, merr := json.Marshal(v)
				if merr != nil {
					t.Fatalf("%T: decoded but does not re-encode: %v", v, merr)
				}
				// …and no NUL.
				var generic any
				if json.Unmarshal(b, &generic) != nil || holdsNUL(generic) {
					t.Fatalf("%T: %q decoded to %s, which holds a NUL", v, body, b)
				}
				if err := DecodeJSON(b, v); err != nil {
					t.Fatalf("%T: re-encoded %s does not decode: %v", v, b, err)
				}
				continue
			}
			fe, ok := errs.AsFields(err)
			if !ok || len(fe) == 0 || fe[0].Field == "" || fe[0].Msg == "" {
				t.Fatalf("%T: refusal %v does not name a field", v, err)
			}
			// Clean text is never refused as such: UTF-8 whose strings
			// decode without U+FFFD (what a lone surrogate decodes to).
			var generic any
			if fe[0].Msg == "err.encoding" && utf8.Valid(body) && json.Unmarshal(body, &generic) == nil &&
				!holdsRune(generic, utf8.RuneError) {
				t.Fatalf("%T: clean %q refused: %v", v, body, err)
			}
		}
	})
}

// holdsRune reports whether a decoded JSON value holds r in a string or a key.
func holdsRune(v any, r rune) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, r)
	case []any:
		for _, y := range x {
			if holdsRune(y, r) {
				return true
			}
		}
	case map[string]any:
		for k, y := range x {
			if strings.ContainsRune(k, r) || holdsRune(y, r) {
				return true
			}
		}
	}
	return false
}

// holdsNUL reports whether a decoded JSON value holds a NUL in a string or a key.
func holdsNUL(v any) bool { return holdsRune(v, 0) }

// FuzzForms feeds arbitrary form bodies to the form readers: they must not
// panic, and junk in a number field becomes a field error for that field.
func FuzzForms(f *testing.F) {
	for _, s := range []string{"age=12&type=cp", "age=twelve", "concerns=a&concerns=&concerns=b", "%zz", "version=9999999999999999999",
		"declined=name&declined=age&given_name=%00", "urgent=on&age=-3",
		"threat_rows=999999&need_rows=-1&need_0_domain=safety", "objective_rows=3&action_0_objective=x&action_rows=40",
		"progress.0.objective_id=a&progress.0.status=met", "evaluation.9.status=met&child_participated=1",
		"closure_reason=death&confirmations=x", "answers.listened=yes&child_safe=safe",
		"notes=a%00b", "given_name=%ff", "%00=1", "gi%ffven=x", "given_name=%ed%a0%80", "concerns=a&concerns=%00"} {
		f.Add(s)
	}
	p := profile.Default()
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return // the server refuses unparseable bodies before reading fields
		}
		// The form is refused, naming each field, exactly when a name or a
		// value cannot be stored; the readers below never see such a form.
		bad := map[string]bool{}
		for k, vs := range v {
			for _, x := range append([]string{k}, vs...) {
				if !utf8.ValidString(x) || strings.ContainsRune(x, 0) {
					bad[storable.Name(k)] = true
				}
			}
		}
		fe := checkValues(v)
		if len(fe) != len(bad) {
			t.Fatalf("%q: refused %v, want the fields %v", body, fe, bad)
		}
		for _, e := range fe {
			if !bad[e.Field] || (e.Msg != "err.nul" && e.Msg != "err.encoding") {
				t.Fatalf("%q: refused %v, want the fields %v", body, fe, bad)
			}
		}
		fm := &form{v: v}
		reg := registrationForm(fm)
		if s := fm.str("age"); s != "" && reg.Age == nil && !fm.errs.Has("age") {
			t.Fatalf("age %q neither read nor refused", s)
		}
		_ = familyForm(fm)
		_ = consentForm(fm)
		_ = identificationForm(fm)
		_ = screeningForm(fm, p)
		_ = userForm(fm)
		_, _, _ = assessmentForm(fm)
		_ = planFormInput(fm)
		_ = followupForm(fm)
		_ = caseReviewForm(fm)
		_ = closureProposeForm(fm)
		_ = (&Server{prof: p}).closureFeedbackForm(fm)
		_ = fm.version()
		_ = fm.merge(nil)
	})
}
