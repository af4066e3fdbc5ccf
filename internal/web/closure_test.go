package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/store"
)

// closureCase registers a CP case of the caseworker, aged age, or born on
// dob when it is not empty, and returns its ID.
func closureCase(t *testing.T, e *env, age int, dob string) string {
	t.Helper()
	u := e.users["caseworker"]
	a := access.Actor{UserID: u.ID, AgencyID: u.AgencyID, TeamID: u.TeamID, Role: u.Role}
	r := cases.Registration{Type: "cp", GivenName: "Rania", Age: &age, Sex: "female", Location: "Block 7",
		Contact: "via the school", CareStatus: "accompanied", Concerns: []string{"neglect"}, RiskLevel: "medium",
		RiskReason: "left alone at night"}
	if dob != "" {
		r.Age, r.DateOfBirth = nil, dob
	}
	var id string
	ctx := context.Background()
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := cases.Register(ctx, tx, e.srv.prof, a, r, func() string { return cases.NewCode("C") }, e.clock.now())
		if err == nil {
			id = c.ID
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// closureVersion returns the case's version, for the hidden form field.
func closureVersion(t *testing.T, e *env, id string) string {
	t.Helper()
	var c *cases.Case
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		c, err = tx.Case(ctx, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(c.Version)
}

// closureStatus returns the case's status and step.
func closureStatus(t *testing.T, e *env, id string) (string, string) {
	t.Helper()
	var c *cases.Case
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		c, err = tx.Case(ctx, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c.Status, c.Step
}

func wantStatus(t *testing.T, what string, res *response, status int, texts ...string) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("%s: status %d, want %d\n%.600s", what, res.StatusCode, status, res.Body)
	}
	for _, s := range texts {
		if !strings.Contains(res.Body, s) {
			t.Errorf("%s: the page lacks %q", what, s)
		}
	}
}

// TestClosurePages takes a case through the closure pages: proposal (a
// failed one keeps what was typed), return, a new proposal, approval with a
// designee, the designee's follow-up and feedback, and reopening; and
// checks the refusals the pages must give.
func TestClosurePages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		id := closureCase(t, e, 10, "")
		path := "/cases/" + id + "/closure"
		cw, sup, designee := e.session("caseworker"), e.session("supervisor"), e.session("caseworker2")
		cwID, designeeID := e.users["caseworker"].ID, e.users["caseworker2"].ID

		res := cw.get(path)
		wantStatus(t, "the caseworker's closure page", res, 200, `action="/cases/`+id+`/closure"`,
			"No assessment recorded", "Propose closure to the supervisor", "Check the file first")
		if strings.Contains(res.Body, "/closure/approve") {
			t.Error("the caseworker is offered the approval form")
		}

		// A failed proposal marks the fields and keeps what was typed.
		res = cw.post(path, url.Values{"version": {closureVersion(t, e, id)}, "closure_reason": {"objectives_met"},
			"confirmations": {"objectives_met", "safe_supported"}, "explanation": {"Goals reached in May"}})
		wantStatus(t, "a proposal with two confirmations", res, 422, "Please correct the following",
			"needs all three confirmations", "Goals reached in May", `value="safe_supported" checked`, `value="objectives_met" checked`)
		if strings.Contains(res.Body, `value="no_further_risk" checked`) {
			t.Error("an unticked confirmation came back ticked")
		}
		res = cw.post(path, url.Values{"version": {closureVersion(t, e, id)}, "closure_reason": {"left_area"}})
		wantStatus(t, "left the area without why", res, 422, "Say why transferring the case is not feasible")

		res = cw.post(path, url.Values{"version": {closureVersion(t, e, id)}, "closure_reason": {"objectives_met"},
			"confirmations": {"objectives_met", "safe_supported", "no_further_risk"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?done=proposed" {
			t.Fatalf("proposal: %d to %q\n%.400s", res.StatusCode, res.Header.Get("Location"), res.Body)
		}
		wantStatus(t, "after the proposal", cw.get(path+"?done=proposed"), 200, "Closure proposed", "What the file lacks")
		if _, step := closureStatus(t, e, id); step != cases.StepClosure {
			t.Errorf("step %s after the proposal", step)
		}

		// Only the supervisor decides.
		res = cw.post(path+"/approve", url.Values{"version": {closureVersion(t, e, id)}})
		wantStatus(t, "approval by the caseworker", res, 403)
		res = sup.get(path)
		wantStatus(t, "the supervisor's page", res, 200, `action="/cases/`+id+`/closure/approve"`,
			`action="/cases/`+id+`/closure/return"`, `value="`+designeeID+`"`)
		if strings.Contains(res.Body, `value="`+cwID+`"`) {
			t.Error("the case's caseworker is offered as the post-closure designee")
		}
		res = sup.post(path+"/return", url.Values{"version": {closureVersion(t, e, id)}, "required_actions": {" "}})
		wantStatus(t, "a return without actions", res, 422, "Say what must be done before the case can close")
		res = sup.post(path+"/return", url.Values{"version": {closureVersion(t, e, id)}, "required_actions": {"Visit the school first."}})
		wantStatus(t, "return", res, 303)
		wantStatus(t, "the caseworker after the return", cw.get(path), 200, "Closure returned by", "Visit the school first.")
		if _, step := closureStatus(t, e, id); step != cases.StepAssessment {
			t.Errorf("step %s after the return, want back at assessment", step)
		}

		res = cw.post(path, url.Values{"version": {closureVersion(t, e, id)}, "closure_reason": {"declined"},
			"explanation": {"The family moved on; no protection concern left."}})
		wantStatus(t, "second proposal", res, 303)
		res = sup.post(path+"/approve", url.Values{"version": {closureVersion(t, e, id)}, "follow_up_by": {cwID}})
		wantStatus(t, "the caseworker as designee", res, 422, "never does its post-closure follow-up",
			`value="`+designeeID+`"`)
		res = sup.post(path+"/approve", url.Values{"version": {"1"}, "follow_up_by": {designeeID}})
		wantStatus(t, "approval on a stale version", res, 409, "Someone else changed this case")
		res = sup.post(path+"/approve", url.Values{"version": {closureVersion(t, e, id)}, "follow_up_by": {designeeID}})
		wantStatus(t, "approval", res, 303)
		if status, _ := closureStatus(t, e, id); status != cases.Closed {
			t.Fatalf("status %s after approval", status)
		}
		res = cw.get(path)
		wantStatus(t, "the caseworker's page of the closed case", res, 200, "The file is read-only", "Reopen the case")
		if strings.Contains(res.Body, `action="/cases/`+id+`/feedback"`) {
			t.Error("the caseworker is offered the feedback form")
		}
		wantStatus(t, "a registration edit of the closed case", cw.post("/cases/"+id+"/risk",
			url.Values{"version": {closureVersion(t, e, id)}, "risk_level": {"high"}, "risk_reason": {"x"}}), 403)

		// The designee runs the follow-up; the case's caseworker never does.
		res = designee.get(path)
		wantStatus(t, "the designee's page", res, 200, `action="/cases/`+id+`/feedback"`, "Did you feel listened to?")
		wantStatus(t, "the designee on the consent records", designee.get("/cases/"+id+"/consent"), 404)
		wantStatus(t, "feedback by the caseworker", cw.post("/cases/"+id+"/feedback", url.Values{"child_safe": {"safe"}}), 403)
		answers := url.Values{"child_safe": {"concerns"}, "feedback_comments": {""}}
		for _, q := range e.srv.prof.FeedbackQuestions {
			answers.Set("answers."+q.Key, "yes")
		}
		answers.Set("answers.recommend", "")
		res = designee.post("/cases/"+id+"/feedback", answers)
		wantStatus(t, "feedback with a gap", res, 422, "Describe the concerns", `value="concerns" checked`)
		answers.Set("answers.recommend", "na")
		answers.Set("feedback_comments", "Her uncle is back in the house.")
		wantStatus(t, "feedback", designee.post("/cases/"+id+"/feedback", answers), 303)
		wantStatus(t, "after the feedback", cw.get(path), 200, "Her uncle is back in the house.", "Does not apply")

		// Reopening needs a reason; it asks for a new assessment and consent again.
		res = cw.post("/cases/"+id+"/reopen", url.Values{"version": {closureVersion(t, e, id)}, "reopen_reason": {""}})
		wantStatus(t, "reopen without a reason", res, 422, "Say why the case is reopened")
		wantStatus(t, "reopen by the designee", designee.post("/cases/"+id+"/reopen",
			url.Values{"version": {closureVersion(t, e, id)}, "reopen_reason": {"x"}}), 403)
		res = cw.post("/cases/"+id+"/reopen", url.Values{"version": {closureVersion(t, e, id)}, "reopen_reason": {"Her uncle is back."}})
		wantStatus(t, "reopen", res, 303)
		wantStatus(t, "after reopening", cw.get(path+"?done=reopened"), 200, "The case is reopened", "Times reopened: 1.",
			"Propose closure to the supervisor")
		if status, step := closureStatus(t, e, id); status != cases.Open || step != cases.StepAssessment {
			t.Errorf("after reopening: %s at %s", status, step)
		}
		wantStatus(t, "the designee after reopening", designee.get(path), 404)
		if n := closureAudits(t, e, id)["closure.view"]; n < 5 {
			t.Errorf("%d closure.view audit events, want one per page read", n)
		}
	})
}

// closureAudits counts the audit events of case id by action.
func closureAudits(t *testing.T, e *env, id string) map[string]int {
	t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	if err := e.db.Read(ctx, func(tx *store.Tx) error {
		evs, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: id, Limit: 500})
		for _, ev := range evs {
			out[ev.Action]++
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAgeOutPage records the age-out pathway of a 17-year-old on the page.
func TestAgeOutPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		// The clock is 20 Nov 2026: born 1 Feb 2009, she turns 18 on 1 Feb 2027.
		id := closureCase(t, e, 0, "2009-02-01")
		path := "/cases/" + id + "/closure"
		cw := e.session("caseworker")
		res := cw.get(path)
		wantStatus(t, "the page of a 17-year-old", res, 200, "Turning adult", "Turns 18 on 1 Feb 2027", `action="/cases/`+id+`/age-out"`)
		res = cw.post(path[:len(path)-len("closure")]+"age-out", url.Values{"version": {closureVersion(t, e, id)},
			"pathway_note": {"talked with her"}})
		wantStatus(t, "a pathway not chosen", res, 422, "Choose one of the options", "talked with her")
		res = cw.post("/cases/"+id+"/age-out", url.Values{"version": {closureVersion(t, e, id)},
			"pathway": {"referred_adult_services"}, "pathway_note": {"women's centre"}})
		wantStatus(t, "pathway", res, 303)
		wantStatus(t, "after the pathway", cw.get(path+"?done=age_out"), 200, "The case stays open",
			"Referred to an organisation that supports adults", "women&#39;s centre")
		if status, _ := closureStatus(t, e, id); status != cases.Open {
			t.Errorf("status %s after the pathway", status)
		}
		// A younger child's page does not press the question.
		young := closureCase(t, e, 8, "")
		if res := cw.get("/cases/" + young + "/closure"); strings.Contains(res.Body, "<details class=\"no-print\" open><summary>Record the pathway") {
			t.Error("the pathway form is open for an 8-year-old")
		}
	})
}

// TestClosureAPIMatchesOpenAPI drives the closure API through its answers
// (created, refused, stale, denied) and checks each against the document.
func TestClosureAPIMatchesOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		cw, sup, designee := e.apiClient("caseworker"), e.apiClient("supervisor"), e.apiClient("caseworker2")
		other := e.apiClient("other_agency")
		check := func(c *client, method, route, id, body string, want int) map[string]any {
			t.Helper()
			res := c.json(method, strings.ReplaceAll(route, "{id}", id), body)
			if res.StatusCode != want {
				t.Fatalf("%s %s: status %d, want %d: %s", method, route, res.StatusCode, want, res.Body)
			}
			doc.checkResponse(t, method, route, res)
			var m map[string]any
			json.Unmarshal([]byte(res.Body), &m)
			return m
		}
		const (
			state    = "/api/v1/cases/{id}/closure"
			ret      = "/api/v1/cases/{id}/closure/return"
			approve  = "/api/v1/cases/{id}/closure/approve"
			feedback = "/api/v1/cases/{id}/feedback"
			reopen   = "/api/v1/cases/{id}/reopen"
			ageOut   = "/api/v1/cases/{id}/age-out"
		)
		id := closureCase(t, e, 10, "")
		v := func(m map[string]any) int { return int(m["version"].(float64)) }
		st := check(cw, "GET", state, id, "", 200)
		if st["pending"] != nil || len(st["completeness"].([]any)) == 0 {
			t.Errorf("an open case's state: %v", st)
		}
		check(other, "GET", state, id, "", 404)
		check(cw, "POST", state, id, fmt.Sprintf(`{"closure_reason":"no_contact","version":%d}`, v(st)), 422)
		check(cw, "POST", state, id, `{"closure_reason":"death","version":99}`, 409)
		check(cw, "POST", state, id, `{"closure_reason":"death","bogus":1,"version":1}`, 422)
		st = check(cw, "POST", state, id, fmt.Sprintf(`{"closure_reason":"objectives_met","confirmations":["objectives_met","safe_supported","no_further_risk"],"version":%d}`, v(st)), 201)
		if p, _ := st["pending"].(map[string]any); p == nil || p["status"] != "proposed" || len(p["gaps"].([]any)) == 0 {
			t.Errorf("pending proposal %v", st["pending"])
		}
		check(cw, "POST", ret, id, fmt.Sprintf(`{"required_actions":"x","version":%d}`, v(st)), 403)
		check(sup, "POST", ret, id, fmt.Sprintf(`{"required_actions":"","version":%d}`, v(st)), 422)
		st = check(sup, "POST", ret, id, fmt.Sprintf(`{"required_actions":"Visit the school first.","version":%d}`, v(st)), 200)
		st = check(cw, "POST", state, id, fmt.Sprintf(`{"closure_reason":"death","version":%d}`, v(st)), 201)
		check(cw, "POST", approve, id, fmt.Sprintf(`{"version":%d}`, v(st)), 403)
		check(sup, "POST", approve, id, fmt.Sprintf(`{"follow_up_by":%q,"version":%d}`, e.users["caseworker"].ID, v(st)), 422)
		st = check(sup, "POST", approve, id, fmt.Sprintf(`{"follow_up_by":%q,"version":%d}`, e.users["caseworker2"].ID, v(st)), 200)
		if st["status"] != "closed" || st["follow_up_by"] != e.users["caseworker2"].ID || st["completeness"] != nil {
			t.Errorf("closed state %v", st)
		}
		tasks := st["tasks"].([]any)
		if len(tasks) != 1 || tasks[0].(map[string]any)["kind"] != "post_closure" {
			t.Errorf("tasks of the closed case %v", tasks)
		}
		check(cw, "POST", feedback, id, `{"answers":{},"child_safe":"safe"}`, 403)
		check(designee, "POST", feedback, id, `{"answers":{"listened":"maybe"},"child_safe":"safe"}`, 422)
		answers := map[string]string{}
		for _, q := range e.srv.prof.FeedbackQuestions {
			answers[q.Key] = "yes"
		}
		ab, _ := json.Marshal(answers)
		st = check(designee, "POST", feedback, id, fmt.Sprintf(`{"answers":%s,"child_safe":"safe","feedback_comments":"doing well"}`, ab), 201)
		if fs := st["feedback"].([]any); len(fs) != 1 || len(st["tasks"].([]any)) != 0 {
			t.Errorf("after feedback: feedback %v tasks %v", fs, st["tasks"])
		}
		st = check(designee, "GET", state, id, "", 200)
		check(designee, "POST", reopen, id, fmt.Sprintf(`{"reopen_reason":"x","version":%d}`, v(st)), 403)
		check(cw, "POST", reopen, id, fmt.Sprintf(`{"reopen_reason":" ","version":%d}`, v(st)), 422)
		check(cw, "POST", reopen, id, `{"reopen_reason":"back","version":1}`, 409)
		st = check(cw, "POST", reopen, id, fmt.Sprintf(`{"reopen_reason":"She came back.","version":%d}`, v(st)), 200)
		if st["status"] != "open" || st["reopened"].(float64) != 1 || len(st["reopenings"].([]any)) != 1 {
			t.Errorf("reopened state %v", st)
		}
		check(designee, "GET", state, id, "", 404)

		teen := closureCase(t, e, 0, "2009-02-01")
		st = check(cw, "GET", state, teen, "", 200)
		if ao := st["age_out"].(map[string]any); ao["due"] != true || ao["adult_on"] != "2027-02-01" {
			t.Errorf("age-out state %v", ao)
		}
		check(cw, "POST", ageOut, teen, fmt.Sprintf(`{"pathway":"closed","version":%d}`, v(st)), 422)
		check(e.apiClient("manager"), "POST", ageOut, teen, fmt.Sprintf(`{"pathway":"community_support","version":%d}`, v(st)), 403)
		st = check(cw, "POST", ageOut, teen, fmt.Sprintf(`{"pathway":"community_support","pathway_note":"her aunt's group","version":%d}`, v(st)), 200)
		if ao := st["age_out"].(map[string]any); ao["pathway"] != "community_support" || len(ao["decisions"].([]any)) != 1 || st["status"] != "open" {
			t.Errorf("after the pathway %v", st)
		}
	})
}

// TestClosureCatalog checks the message keys the closure page builds from
// values: every gap, confirmation, answer, safety value, pathway and status.
func TestClosureCatalog(t *testing.T) {
	cat := i18n.MustLoad()
	families := map[string][]string{
		"closure.gap.":     closure.GapKeys,
		"closure.confirm.": closure.Confirmations,
		"closure.answer.":  closure.Answers,
		"closure.safe.":    closure.SafetyValues,
		"closure.pathway.": closure.Pathways,
		"closure.status.":  {closure.Proposed, closure.Returned, closure.Approved},
	}
	for prefix, values := range families {
		for _, v := range values {
			if !cat.Has(prefix + v) {
				t.Errorf("key %q is not in the catalog", prefix+v)
			}
		}
	}
	for _, f := range []string{"closure", "closure_reason", "confirmations", "explanation", "required_actions", "follow_up_by",
		"answers", "child_safe", "feedback_comments", "followed_up_on", "reopen_reason", "pathway", "pathway_note", "version"} {
		if !cat.Has("field." + f) {
			t.Errorf("field %q has no label", f)
		}
	}
}
