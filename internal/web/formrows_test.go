package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/store"
)

// idAttr matches an id attribute as html/template writes it.
var idAttr = regexp.MustCompile(`\sid="([^"]*)"`)

// knownDuplicateIDs are ids still shared on a page, left out of the check
// until it is fixed: an incident report whose recommendation or decision
// was refused shows both forms' reasoning as f-reasoning. Path "" is any
// page.
var knownDuplicateIDs = []struct{ path, id string }{
	{"/incident-reports/", "f-reasoning"},
}

// pageDuplicateIDs is duplicateIDs of the page at path, less the known ones.
func pageDuplicateIDs(path, body string) []string {
	return slices.DeleteFunc(duplicateIDs(body), func(id string) bool {
		return slices.ContainsFunc(knownDuplicateIDs, func(k struct{ path, id string }) bool {
			return k.id == id && strings.Contains(path, k.path)
		})
	})
}

// duplicateIDs returns the ids that more than one element of page body
// carries (a label's for, a link to #id and a script's getElementById then
// reach only the first): sorted, each once.
func duplicateIDs(body string) []string {
	seen := map[string]int{}
	for _, m := range idAttr.FindAllStringSubmatch(body, -1) {
		seen[m[1]]++
	}
	var dup []string
	for id, n := range seen {
		if n > 1 {
			dup = append(dup, id)
		}
	}
	slices.Sort(dup)
	return dup
}

// rowsCase makes a case of the caseworker with consent (overridden by the
// supervisor) and an initial assessment with two needs, ready for a plan;
// it returns the case and the needs' IDs.
func (e *env) rowsCase(t *testing.T) (*cases.Case, []string) {
	t.Helper()
	c := e.incidentCase(t, "caseworker", "cp")
	ctx := context.Background()
	var needs []string
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := tx.Case(ctx, c.ID)
		if err != nil {
			return err
		}
		if _, err := assessment.Record(ctx, tx, e.srv.prof, e.actor("caseworker"), c.ID, assessment.Input{
			Kind: assessment.Initial, InterviewedChild: true, RiskLevel: "medium", RiskReason: "as registered",
			Version: cur.Version, Needs: []assessment.NeedInput{
				{Domain: "safety", Description: "alone at night", Met: "not", Priority: "high"},
				{Domain: "education", Description: "out of school", Met: "not", Priority: "medium"}}}, e.clock.now()); err != nil {
			return err
		}
		ns, err := tx.Needs(ctx, c.ID)
		for _, n := range ns {
			needs = append(needs, n.ID)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c, needs
}

// rowsState is what a "more rows" request must leave alone: the case's
// version, its plans and assessments, and the audit events of the case
// other than reads.
type rowsState struct {
	Version, Plans, Assessments int
	Writes                      map[string]int
}

func (e *env) rowsState(t *testing.T, id string) rowsState {
	t.Helper()
	ctx := context.Background()
	var st rowsState
	if err := e.db.Read(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		ps, err := tx.Plans(ctx, id)
		if err != nil {
			return err
		}
		as, err := tx.Assessments(ctx, id)
		st.Version, st.Plans, st.Assessments = c.Version, len(ps), len(as)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	st.Writes = map[string]int{}
	for action, n := range e.auditActions(t, id) {
		if !strings.HasSuffix(action, ".view") {
			st.Writes[action] = n
		}
	}
	return st
}

// wantValues checks that page body shows every typed value of form (as
// html/template escapes it) and a control named for each.
func wantValues(t *testing.T, body string, form url.Values) {
	t.Helper()
	for name, vs := range form {
		if name == "more" || strings.HasSuffix(name, "_rows") || name == "version" {
			continue
		}
		if !strings.Contains(body, `name="`+name+`"`) {
			t.Errorf("no control %s on the page shown again", name)
		}
		if v := vs[0]; v != "" && !strings.Contains(body, template.HTMLEscapeString(v)) {
			t.Errorf("%s: the typed %q is lost", name, v)
		}
	}
}

// planTyped is a plan form as a caseworker fills it: three objectives,
// two actions, a gap and two participants, each row full.
func planTyped(needs []string, met, due string) url.Values {
	f := url.Values{"version": {"0"}, "objective_rows": {"3"}, "action_rows": {"4"}, "gap_rows": {"2"},
		"participant_rows": {"4"}, "meeting_on": {met}, "child_views": {"She wants to stay with her aunt"},
		"caregiver_views": {"The aunt can take her in"}, "notes": {"Meet again after school starts"}}
	for i, d := range []string{"A safe adult at night", "Back in school", "Eats three meals a day"} {
		k := "objective_" + strconv.Itoa(i) + "_"
		f.Set(k+"need", needs[i%2])
		f.Set(k+"description", d)
		f.Set(k+"measure", "checked at follow-up "+strconv.Itoa(i+1))
		f.Set(k+"due", due)
	}
	for i, w := range []string{"Visit the aunt", "Enrol her in school"} {
		k := "action_" + strconv.Itoa(i) + "_"
		f.Set(k+"what", w)
		f.Set(k+"objective", strconv.Itoa(i+1))
		f.Set(k+"who", "caseworker")
		f.Set(k+"who_name", "Worker "+strconv.Itoa(i+1))
		f.Set(k+"due", due)
		f.Set(k+"horizon", "short")
		f.Set(k+"kind", "direct")
	}
	f.Set("gap_0_need", needs[1])
	f.Set("gap_0_description", "No school bus from Block 7")
	f.Set("participant_0_role", "child")
	f.Set("participant_0_name", "Child herself")
	f.Set("participant_1_role", "caregiver")
	f.Set("participant_1_name", "Aunt Mariam")
	return f
}

// TestMoreRowsPlanKeepsTyped is the page without script: each group's
// "more rows" button sends the whole plan form, which comes back with
// everything typed and blank rows for that group, saving nothing (no plan,
// no version, no audit of a save); the form then sent with the new rows
// filled saves every row.
func TestMoreRowsPlanKeepsTyped(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c, needs := e.rowsCase(t)
		cw := e.as("caseworker")
		path := "/cases/" + c.ID + "/plan"
		res := cw.get(path + "/edit")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("plan form: %d", res.StatusCode)
		}
		for _, g := range []string{"objectives", "actions", "gaps", "participants"} {
			if !strings.Contains(res.Body, `name="more" value="`+g+`"`) {
				t.Errorf("the plan form has no button for more %s", g)
			}
		}
		if strings.Contains(res.Body, "/plan/edit?objectives=") {
			t.Errorf("the plan form still links to more rows, losing what was typed")
		}
		due := e.srv.prof.Today(e.clock.now().AddDate(0, 1, 0))
		typed := planTyped(needs, e.srv.prof.Today(e.clock.now()), due)
		before := e.rowsState(t, c.ID)
		for _, g := range []struct {
			group, count, next string
			rows               int
		}{{"objectives", "objective_rows", "objective_4_description", 5}, {"actions", "action_rows", "action_6_what", 7},
			{"gaps", "gap_rows", "gap_3_description", 4}, {"participants", "participant_rows", "participant_5_name", 6}} {
			f := url.Values{}
			for k, v := range typed {
				f[k] = v
			}
			f.Set("more", g.group)
			res := cw.post(path, f)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("more %s: status %d, want the form again (200): %s", g.group, res.StatusCode, res.location())
			}
			wantValues(t, res.Body, typed)
			if !strings.Contains(res.Body, `name="`+g.count+`" value="`+strconv.Itoa(g.rows)+`"`) {
				t.Errorf("more %s: the form does not count %d rows", g.group, g.rows)
			}
			if !strings.Contains(res.Body, `name="`+g.next+`"`) {
				t.Errorf("more %s: no blank row %s", g.group, g.next)
			}
			if !strings.Contains(res.Body, "autofocus") {
				t.Errorf("more %s: the cursor is not put on the new rows", g.group)
			}
			if after := e.rowsState(t, c.ID); !reflect.DeepEqual(after, before) {
				t.Fatalf("more %s wrote something: before %+v, after %+v", g.group, before, after)
			}
		}

		// The rows added are filled and the form is saved: every row is kept.
		typed.Set("objective_rows", "5")
		for i := 3; i < 5; i++ {
			k := "objective_" + strconv.Itoa(i) + "_"
			typed.Set(k+"need", needs[0])
			typed.Set(k+"description", "Added objective "+strconv.Itoa(i+1))
			typed.Set(k+"measure", "seen by the caseworker")
			typed.Set(k+"due", due)
		}
		typed.Set("participant_rows", "6")
		typed.Set("participant_5_role", "provider")
		typed.Set("participant_5_name", "Nurse at the clinic")
		if res := cw.post(path, typed); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: status %d\n%s", res.StatusCode, res.Body)
		}
		pl := e.openPlan(t, c.ID)
		var got []string
		for _, o := range pl.Objectives {
			got = append(got, o.Description)
		}
		want := []string{"A safe adult at night", "Back in school", "Eats three meals a day", "Added objective 4", "Added objective 5"}
		if !slices.Equal(got, want) {
			t.Errorf("objectives saved %q, want %q", got, want)
		}
		var names []string
		for _, p := range pl.Participants {
			names = append(names, p.Name)
		}
		if want := []string{"Child herself", "Aunt Mariam", "Nurse at the clinic"}; !slices.Equal(names, want) {
			t.Errorf("participants saved %q, want %q", names, want)
		}
		if len(pl.Actions) != 2 || len(pl.Gaps) != 1 {
			t.Errorf("saved %d actions and %d gaps, want 2 and 1", len(pl.Actions), len(pl.Gaps))
		}
	})
}

// openPlan returns the plan in preparation of case id.
func (e *env) openPlan(t *testing.T, id string) *plan.Plan {
	t.Helper()
	ctx := context.Background()
	var ps []plan.Plan
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		ps, err = tx.Plans(ctx, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	pl := plan.InPreparation(ps)
	if pl == nil {
		t.Fatalf("case %s has no plan in preparation (%d plans)", id, len(ps))
	}
	return pl
}

// TestMoreRowsAssessmentKeepsTyped: the assessment form's "more rows"
// buttons (threats, needs) show it again with everything typed, saving
// nothing.
func TestMoreRowsAssessmentKeepsTyped(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.incidentCase(t, "caseworker", "cp")
		cw := e.as("caseworker")
		res := cw.get("/cases/" + c.ID + "/assessments/new")
		for _, g := range []string{"threats", "needs"} {
			if !strings.Contains(res.Body, `name="more" value="`+g+`"`) {
				t.Errorf("the assessment form has no button for more %s", g)
			}
		}
		if strings.Contains(res.Body, "/assessments/new?kind=") {
			t.Errorf("the assessment form still links to more rows, losing what was typed")
		}
		typed := url.Values{"version": {strconv.Itoa(c.Version)}, "kind": {"initial"}, "threat_rows": {"2"}, "need_rows": {"4"},
			"assessed_on": {e.srv.prof.Today(e.clock.now())}, "interviewed_child": {"1"},
			"domain_child": {"Thin, misses meals"}, "domain_household": {"Three rooms, nine people"},
			"threat_0_type": {"neglect"}, "threat_0_location": {"at home"}, "threat_0_frequency": {"every day"},
			"threat_0_notes": {"since the mother left"}, "threat_1_location": {"the market"},
			"need_0_domain": {"safety"}, "need_0_description": {"An adult at night"}, "need_0_met": {"not"},
			"need_0_priority": {"high"}, "need_3_description": {"School fees"},
			"vulnerabilities": {"Alone after dark"}, "protective_factors": {"An aunt nearby"},
			"child_views": {"Wants to go to school"}, "risk_level": {"high"}, "risk_reason": {"Alone at night"}}
		before := e.rowsState(t, c.ID)
		for _, g := range []struct{ group, count, next string }{
			{"threats", `name="threat_rows" value="4"`, `name="threat_3_location"`},
			{"needs", `name="need_rows" value="7"`, `name="need_6_description"`}} {
			f := url.Values{}
			for k, v := range typed {
				f[k] = v
			}
			f.Set("more", g.group)
			res := cw.post("/cases/"+c.ID+"/assessments", f)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("more %s: status %d, want the form again (200)", g.group, res.StatusCode)
			}
			wantValues(t, res.Body, typed)
			for _, want := range []string{g.count, g.next, `<option value="neglect" selected>`, `<option value="high" selected>`} {
				if !strings.Contains(res.Body, want) {
					t.Errorf("more %s: the form shown again lacks %s", g.group, want)
				}
			}
			if after := e.rowsState(t, c.ID); !reflect.DeepEqual(after, before) {
				t.Fatalf("more %s wrote something: before %+v, after %+v", g.group, before, after)
			}
		}
	})
}

// TestScreenShowsChosenType: the screening form shows only the questions
// of the chosen case type (the other type's are hidden and disabled, so
// not sent); ?type= and, without script, the "show the questions" button
// choose the type, the latter keeping what was typed and screening no one.
func TestScreenShowsChosenType(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.as("caseworker")
		shown := func(body, typ string) bool {
			return strings.Contains(body, `<fieldset data-show-if="case_type=`+typ+`"><legend>`)
		}
		res := cw.get("/screen")
		if !shown(res.Body, "cp") || shown(res.Body, "gbv") {
			t.Errorf("/screen shows cp %v, gbv %v; want only cp", shown(res.Body, "cp"), shown(res.Body, "gbv"))
		}
		if !strings.Contains(res.Body, `<fieldset data-show-if="case_type=gbv" hidden disabled>`) {
			t.Errorf("the gbv questions are not hidden and disabled")
		}
		res = cw.get("/screen?type=gbv")
		if shown(res.Body, "cp") || !shown(res.Body, "gbv") || !strings.Contains(res.Body, `value="gbv" checked`) {
			t.Errorf("/screen?type=gbv does not show only the gbv questions")
		}
		f := url.Values{"case_type": {"gbv"}, "age": {"30"}, "notes": {"Came with her sister"}, "more": {"type"}}
		res = cw.post("/screen", f)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("show the questions: status %d, want 200 (nothing screened)", res.StatusCode)
		}
		if shown(res.Body, "cp") || !shown(res.Body, "gbv") {
			t.Errorf("after choosing gbv the page shows cp %v, gbv %v", shown(res.Body, "cp"), shown(res.Body, "gbv"))
		}
		for _, want := range []string{`value="30"`, "Came with her sister", `value="gbv" checked`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("the screening form shown again lost %s", want)
			}
		}
		// Answered and sent, the chosen type's questions screen the person.
		f.Del("more")
		for _, k := range []string{"gbv_disclosed", "wants_support", "case_management_appropriate"} {
			f.Set("answer_"+k, "yes")
		}
		if res := cw.post("/screen", f); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/screenings/") {
			t.Fatalf("screen: status %d to %q", res.StatusCode, res.location())
		}
	})
}

// TestDuplicateIDs checks the check every page the tests render passes
// (see client.do): the screening form, with a question both case types
// ask, once gave two elements one id.
func TestDuplicateIDs(t *testing.T) {
	for _, c := range []struct {
		page string
		want []string
	}{
		{`<p id="a"></p><input id="b" data-id="a">`, nil},
		{`<span id="f-answers.x"></span><span class="label" id="f-answers.x">`, []string{"f-answers.x"}},
		{`<i id="z"></i><i id="y"></i><i id="z"></i><i id="y"></i>`, []string{"y", "z"}},
	} {
		if got := duplicateIDs(c.page); !slices.Equal(got, c.want) {
			t.Errorf("duplicateIDs(%s) = %q, want %q", c.page, got, c.want)
		}
	}
	page := `<p id="f-reasoning"></p><p id="f-reasoning"></p><p id="f-reason"></p><p id="f-reason"></p>`
	if got := pageDuplicateIDs("/cases/x/incident-reports/y/decide", page); !slices.Equal(got, []string{"f-reason"}) {
		t.Errorf("on the incident report: %q, want f-reason (f-reasoning is known there)", got)
	}
	if got := pageDuplicateIDs("/cases/x/plan", page); !slices.Equal(got, []string{"f-reason", "f-reasoning"}) {
		t.Errorf("on another page: %q, want both", got)
	}
}

// FuzzRowCounts: whatever row count a form sends, the rows read and the
// rows a "more rows" button leads to stay within 0..maxRows.
func FuzzRowCounts(f *testing.F) {
	for _, s := range []string{"", "0", "3", "29", "30", "31", "-1", "9999999999999999999", "1e3", " 4"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, v string, by int) {
		n := rowsOf(v, 0)
		if n < 0 || n > maxRows {
			t.Fatalf("rowsOf(%q) = %d", v, n)
		}
		if by < 0 || by > maxRows {
			return
		}
		if g := grow(n, by); g < n || g > maxRows {
			t.Fatalf("grow(%d, %d) = %d", n, by, g)
		}
	})
}
