package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/store"
)

func (e *env) actor(key string) access.Actor {
	u := e.users[key]
	return access.Actor{UserID: u.ID, AgencyID: u.AgencyID, TeamID: u.TeamID, Role: u.Role}
}

// followupFixture makes a case of the caseworker with an active plan and
// returns its ID.
func (e *env) followupFixture(t *testing.T) string {
	t.Helper()
	var id string
	if err := e.db.Tx(context.Background(), func(tx *store.Tx) (err error) {
		id, err = caseWithPlan(tx, e.srv.prof, e.actor("caseworker"), e.actor("supervisor"), e.clock.now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) caseOf(t *testing.T, id string) (*cases.Case, *plan.Plan) {
	t.Helper()
	var c *cases.Case
	var ps []plan.Plan
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		if c, err = tx.Case(ctx, id); err != nil {
			return err
		}
		ps, err = tx.Plans(ctx, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c, plan.ActiveOf(ps)
}

func (e *env) auditActions(t *testing.T, caseID string) map[string]int {
	t.Helper()
	out := map[string]int{}
	ctx := context.Background()
	var evs []audit.Event
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		evs, err = tx.AuditEvents(ctx, store.AuditFilter{CaseID: caseID, Limit: 500})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		out[ev.Action]++
	}
	return out
}

// TestFollowUpAPIMatchesOpenAPI drives the follow-up and review API through
// its answers (created, refused, stale, denied) and checks each against the
// OpenAPI document.
func TestFollowUpAPIMatchesOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		cw, mgr, cw2 := e.apiClient("caseworker"), e.apiClient("manager"), e.apiClient("caseworker2")
		id := e.followupFixture(t)
		check := func(c *client, method, route, body string, want int) map[string]any {
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
		const fus, rvs = "/api/v1/cases/{id}/followups", "/api/v1/cases/{id}/reviews"
		list := check(cw, "GET", fus, "", 200)
		v := int(list["case_version"].(float64))
		objs := list["objectives"].([]any)
		if len(objs) != 2 || list["next_follow_up_due"] == nil {
			t.Fatalf("follow-up list %v", list)
		}
		o1 := objs[0].(map[string]any)["id"].(string)
		o2 := objs[1].(map[string]any)["id"].(string)

		bad := check(cw, "POST", fus, fmt.Sprintf(`{"mode":"phone","contacts":["caregiver"],"risk_level":"medium","version":%d}`, v), 422)
		if f := bad["error"].(map[string]any)["fields"].([]any)[0].(map[string]any); f["field"] != "safety" || f["code"] != "followup_safety" {
			t.Errorf("no safety check: %v", bad)
		}
		check(cw, "POST", fus, fmt.Sprintf(`{"mode":"phone","contacts":["caregiver"],"safety":"safe","risk_level":"medium","version":%d}`, v+5), 409)
		check(mgr, "POST", fus, fmt.Sprintf(`{"mode":"phone","contacts":["caregiver"],"safety":"safe","risk_level":"medium","version":%d}`, v), 403)
		check(cw2, "GET", fus, "", 404)
		f := check(cw, "POST", fus, fmt.Sprintf(`{"mode":"home_visit","contacts":["child","caregiver"],"seen":true,
			"safety":"concerns","safety_notes":"neighbour shouts at her","progress":[{"objective_id":%q,"status":"in_progress","note":"aunt comes most nights"}],
			"new_needs":"needs school uniform","dissatisfied":true,"risk_level":"medium","version":%d}`, o1, v), 201)
		if f["risk_level"] != "medium" || f["plan_id"] == nil {
			t.Errorf("recorded follow-up %v", f)
		}
		list = check(mgr, "GET", fus, "", 200)
		if n := len(list["followups"].([]any)); n != 1 || list["step"] != cases.StepFollowUp {
			t.Errorf("after a follow-up: %d follow-ups, step %v", n, list["step"])
		}
		if list["objectives"].([]any)[0].(map[string]any)["status"] != plan.InProgress {
			t.Errorf("objective status not updated: %v", list["objectives"])
		}

		rl := check(cw, "GET", rvs, "", 200)
		v = int(rl["case_version"].(float64))
		due, _ := time.Parse(time.RFC3339, rl["next_review_due"].(string))
		if !due.Equal(e.clock.now().Truncate(time.Second)) {
			t.Errorf("after dissatisfaction the review is due %v, want now", due)
		}
		check(cw, "POST", rvs, fmt.Sprintf(`{"trigger":"dissatisfaction","evaluation":[{"objective_id":%q,"status":"met","effectiveness":"effective"}],
			"child_participated":true,"participation":"at home","risk_level":"medium","version":%d}`, o1, v), 422)
		rv := check(cw, "POST", rvs, fmt.Sprintf(`{"trigger":"dissatisfaction","evaluation":[{"objective_id":%q,"status":"met","effectiveness":"effective","note":"done"},
			{"objective_id":%q,"status":"not_started"}],"child_participated":false,"participation":"she was at school",
			"plan_changes":"add a uniform","revise":true,"risk_level":"medium","version":%d}`, o1, o2, v), 201)
		if rv["revision_plan_id"] == nil {
			t.Errorf("review with revise: %v", rv)
		}
		rl = check(cw, "GET", rvs, "", 200)
		if n := len(rl["reviews"].([]any)); n != 1 {
			t.Errorf("%d reviews", n)
		}

		// A case without a plan: the review is refused, in plain words.
		res := cw.json("POST", "/api/v1/cases", `{"type":"cp","given_name":"No Plan","age":9,"sex":"female","location":"x",
			"contact":"y","care_status":"accompanied","concerns":["neglect"],"risk_level":"low","risk_reason":"r"}`)
		var c struct {
			ID      string
			Version int
		}
		json.Unmarshal([]byte(res.Body), &c)
		id = c.ID
		if err := e.db.Tx(context.Background(), func(tx *store.Tx) error {
			return overrideCollect(tx, e, id)
		}); err != nil {
			t.Fatal(err)
		}
		nr := check(cw, "POST", rvs, fmt.Sprintf(`{"trigger":"scheduled","evaluation":[],"participation":"x","risk_level":"low","version":%d}`, c.Version), 422)
		if f := nr["error"].(map[string]any)["fields"].([]any)[0].(map[string]any); f["field"] != "evaluation" || f["code"] != "review_no_plan" {
			t.Errorf("review without a plan: %v", nr)
		}
		check(cw, "GET", rvs, "", 200)
	})
}

// TestFollowUpPages records a follow-up and a review through the pages: a
// refused form keeps what was typed and marks the fields at fault; a stale
// one says so; reads are audited; a manager reads without a form.
func TestFollowUpPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		id := e.followupFixture(t)
		cw := e.session("caseworker")
		page := cw.get("/cases/" + id + "/followups")
		if page.StatusCode != 200 {
			t.Fatalf("follow-up page: %d %s", page.StatusCode, page.Body)
		}
		c, pl := e.caseOf(t, id)
		for _, want := range []string{"Next follow-up", "A safe adult at night", "Back in school", `name="progress.1.status"`,
			"Record a follow-up", "Follow-up every 2 weeks"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("follow-up page lacks %q", want)
			}
		}
		if strings.Contains(page.Body, " style=") || strings.Contains(page.Body, "<script>") {
			t.Error("inline style or script on the follow-up page")
		}
		form := url.Values{"version": {strconv.Itoa(c.Version)}, "mode": {"phone"}, "contacts": {"caregiver"},
			"new_needs": {"a school uniform"}, "risk_level": {"medium"},
			"progress.0.objective_id": {pl.Objectives[0].ID}, "progress.0.status": {"met"}, "progress.0.note": {"aunt stays"},
			"progress.1.objective_id": {pl.Objectives[1].ID}, "progress.1.status": {"not_started"}}
		res := cw.post("/cases/"+id+"/followups", form)
		if res.StatusCode != 422 {
			t.Fatalf("follow-up without a safety check: %d", res.StatusCode)
		}
		for _, want := range []string{"a follow-up is not saved without it", `href="#f-safety"`, "a school uniform",
			`value="phone" checked`, `value="caregiver" checked`, `<option value="met" selected>`, `value="aunt stays"`} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("refused follow-up page lacks %q", want)
			}
		}
		form.Set("safety", "concerns")
		res = cw.post("/cases/"+id+"/followups", form)
		if res.StatusCode != 422 || !strings.Contains(res.Body, "Describe the safety concern") {
			t.Errorf("concerns without notes: %d", res.StatusCode)
		}
		form.Set("safety_notes", "a neighbour threatens her")
		form.Set("version", strconv.Itoa(c.Version-1))
		res = cw.post("/cases/"+id+"/followups", form)
		if res.StatusCode != 409 || !strings.Contains(res.Body, "Someone else changed this case") ||
			!strings.Contains(res.Body, "a neighbour threatens her") || !strings.Contains(res.Body, fmt.Sprintf(`name="version" value="%d"`, c.Version)) {
			t.Errorf("stale follow-up: %d", res.StatusCode)
		}
		form.Set("version", strconv.Itoa(c.Version))
		res = cw.post("/cases/"+id+"/followups", form)
		if res.StatusCode != 303 || res.Header.Get("Location") != "/cases/"+id+"/followups?done=recorded" {
			t.Fatalf("follow-up: %d %s", res.StatusCode, res.Body)
		}
		page = cw.get(res.Header.Get("Location"))
		for _, want := range []string{"Follow-up recorded", "Phone call", "Some safety concerns", "a neighbour threatens her",
			"A safe adult at night: <strong>Met</strong>"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("follow-up list lacks %q", want)
			}
		}
		if c, pl = e.caseOf(t, id); c.Step != cases.StepFollowUp || pl.Objectives[0].Status != plan.Met {
			t.Errorf("after the follow-up: step %s, objective %s", c.Step, pl.Objectives[0].Status)
		}

		// Reviews.
		rv := url.Values{"version": {strconv.Itoa(c.Version)}, "trigger": {"scheduled"}, "risk_level": {"medium"},
			"evaluation.0.objective_id": {pl.Objectives[0].ID}, "evaluation.0.status": {"met"}, "evaluation.0.effectiveness": {"effective"},
			"evaluation.1.objective_id": {pl.Objectives[1].ID}, "evaluation.1.status": {"in_progress"},
			"plan_changes": {"more support for school"}}
		res = cw.post("/cases/"+id+"/reviews", rv)
		if res.StatusCode != 422 {
			t.Fatalf("incomplete review: %d", res.StatusCode)
		}
		for _, want := range []string{`href="#f-evaluation.1.effectiveness"`, `href="#f-participation"`, "Say why the child did not take part",
			"more support for school"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("refused review page lacks %q", want)
			}
		}
		rv.Set("evaluation.1.effectiveness", "partly")
		rv.Set("child_participated", "1")
		rv.Set("participation", "she chose her next goal")
		rv.Set("revise", "1")
		res = cw.post("/cases/"+id+"/reviews", rv)
		if res.StatusCode != 303 || res.Header.Get("Location") != "/cases/"+id+"/reviews?done=revised" {
			t.Fatalf("review: %d %s", res.StatusCode, res.Body)
		}
		page = cw.get(res.Header.Get("Location"))
		for _, want := range []string{"a new draft of the plan was started", "Partly effective", "she chose her next goal",
			"A new version of the plan is being prepared"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("review page lacks %q", want)
			}
		}

		// A manager reads both pages, without the forms.
		mgr := e.session("manager")
		for _, path := range []string{"/followups", "/reviews"} {
			res = mgr.get("/cases/" + id + path)
			if res.StatusCode != 200 || strings.Contains(res.Body, `method="post" action="/cases/`+id) {
				t.Errorf("manager on %s: %d, form shown: %v", path, res.StatusCode, strings.Contains(res.Body, "<form method=\"post\" action=\"/cases/"))
			}
		}
		acts := e.auditActions(t, id)
		if acts["followup.view"] < 4 || acts["review.view"] < 3 || acts["followup.record"] != 1 || acts["review.record"] != 1 {
			t.Errorf("audit actions %v", acts)
		}
	})
}

// overrideCollect records a supervisor's override of consent to collect
// and store on case id.
func overrideCollect(tx *store.Tx, e *env, id string) error {
	_, err := consent.AddOverride(context.Background(), tx, e.srv.prof, e.actor("supervisor"), id,
		consent.OverrideInput{Scope: "collect_store", Basis: "best_interests", Reason: "fixture for the review test"}, e.clock.now())
	return err
}

// TestFollowUpCatalog checks that every option the follow-up and review
// forms offer has its words in the catalog.
func TestFollowUpCatalog(t *testing.T) {
	cat := i18n.MustLoad()
	for prefix, values := range map[string][]string{
		"followup.mode.":        followup.Modes,
		"followup.contact.":     followup.Contacts,
		"followup.safety.":      followup.SafetyValues,
		"review.trigger.":       followup.Triggers,
		"review.effectiveness.": followup.EffectivenessValues,
		"objective.":            plan.ObjectiveStatuses,
	} {
		for _, v := range values {
			if !cat.Has(prefix + v) {
				t.Errorf("key %q is not in the catalog", prefix+v)
			}
		}
	}
}
