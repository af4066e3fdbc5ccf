package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/plan"
)

// TestLifecycleAPIMatchesOpenAPI drives a case from registration through
// assessment, case plan (returned, then approved), implementation,
// notifications, revision and a step back, through the API only, on every
// engine. Every answer is checked against openapi.json (with its
// openapi/lifecycle.json part) and for what it means.
func TestLifecycleAPIMatchesOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		cw, sup := e.apiClient("caseworker"), e.apiClient("supervisor")
		mgr, cw2 := e.apiClient("manager"), e.apiClient("caseworker2")
		today := e.clock.now().Format("2006-01-02")
		yesterday := e.clock.now().AddDate(0, 0, -1).Format("2006-01-02")
		inAWeek := e.clock.now().AddDate(0, 0, 7).Format("2006-01-02")
		inAMonth := e.clock.now().AddDate(0, 1, 0).Format("2006-01-02")

		var id, pid string
		call := func(c *client, method, route, body string, want int) map[string]any {
			t.Helper()
			path := strings.NewReplacer("{id}", id, "{pid}", pid).Replace(route)
			res := c.json(method, path, body)
			if res.StatusCode != want {
				t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, res.Body)
			}
			doc.checkResponse(t, method, route, res)
			var m map[string]any
			if strings.TrimSpace(res.Body) != "" {
				if err := json.Unmarshal([]byte(res.Body), &m); err != nil {
					t.Fatalf("%s %s: %v: %s", method, path, err, res.Body)
				}
			}
			return m
		}
		// refused expects a 422 whose field errors name field.
		refused := func(c *client, method, route, body, field string) {
			t.Helper()
			m := call(c, method, route, body, 422)
			var named []string
			if er, ok := m["error"].(map[string]any); ok {
				fs, _ := er["fields"].([]any)
				for _, f := range fs {
					named = append(named, f.(map[string]any)["field"].(string))
				}
			}
			if !contains(named, field) {
				t.Errorf("%s %s %s: field errors %v do not name %q", method, route, body, named, field)
			}
		}
		// stale expects a 409 carrying the current version.
		stale := func(c *client, method, route, body string) {
			t.Helper()
			m := call(c, method, route, body, 409)
			if er, _ := m["error"].(map[string]any); er == nil || er["code"] != "conflict" || er["current"] == nil {
				t.Errorf("%s %s: conflict without the current record: %v", method, route, m)
			}
		}
		version := func() int {
			t.Helper()
			return int(call(cw, "GET", "/api/v1/cases/{id}", "", 200)["version"].(float64))
		}
		step := func(want string) {
			t.Helper()
			if c := call(cw, "GET", "/api/v1/cases/{id}", "", 200); c["step"] != want {
				t.Errorf("case step %v, want %s", c["step"], want)
			}
		}
		items := func(m map[string]any, key string) []map[string]any {
			t.Helper()
			arr, ok := m[key].([]any)
			if !ok {
				t.Fatalf("%s is not an array: %v", key, m)
			}
			out := make([]map[string]any, len(arr))
			for i, x := range arr {
				out[i] = x.(map[string]any)
			}
			return out
		}

		// Registration, then consent: nothing is assessed before it.
		c := call(cw, "POST", "/api/v1/cases", `{"type":"cp","given_name":"Amina","age":12,"sex":"female",
			"location":"Block 4","contact":"via teacher","care_status":"accompanied","concerns":["sexual_violence"],
			"risk_level":"medium","risk_reason":"recent incident"}`, 201)
		id = c["id"].(string)
		code := c["code"].(string)
		v := int(c["version"].(float64))
		step(cases.StepAssessment)
		const assessments = "/api/v1/cases/{id}/assessments"
		assessment := func(version int, extra string) string {
			return fmt.Sprintf(`{"kind":"initial","assessed_on":%q,"interviewed_child":true,
				"domains":{"child":"12, goes to school","care":"lives with her mother"},
				"vulnerabilities":"walks alone at night","protective_factors":"mother, teacher","child_views":"wants to stay home",
				"threats":[{"incident_type":"sexual","location":"on the way to school","frequency":"once","ongoing":false,
					"perpetrator":"teacher","occurred_on":%q,"occurred_time":"17:30","notes":"told her mother"}],
				"needs":[{"domain":"safety","description":"a safe way to school","met":"not","priority":"high","essential":true},
					{"domain":"health","description":"medical care after the incident","met":"partly","priority":"high","essential":true}],
				"risk_level":"high","risk_reason":"sexual violence by a known adult"%s,"version":%d}`, today, yesterday, extra, version)
		}
		refused(cw, "POST", assessments, assessment(v, ""), "consent")
		call(sup, "POST", "/api/v1/cases/{id}/overrides", `{"scope":"collect_store","basis":"caregiver_unavailable",
			"reason":"mother cannot be reached safely"}`, 201)
		v = version()

		// Assessment: field errors, a stale version, then the record.
		refused(cw, "POST", assessments, fmt.Sprintf(`{"kind":"initial","needs":[],"risk_level":"high","risk_reason":"x","interviewed_child":true,"version":%d}`, v), "needs")
		refused(cw, "POST", assessments, fmt.Sprintf(`{"kind":"initial","interviewed_child":false,"needs":[{"domain":"safety","description":"d","met":"not","priority":"high"}],"risk_level":"high","risk_reason":"x","version":%d}`, v), "not_interviewed_why")
		refused(cw, "POST", assessments, `{"kind":"initial","bogus":true}`, "bogus")
		stale(cw, "POST", assessments, assessment(v+3, ""))
		call(mgr, "POST", assessments, assessment(v, ""), 403)
		call(cw2, "GET", assessments, "", 404)
		a := call(cw, "POST", assessments, assessment(v, ""), 201)
		if a["kind"] != "initial" || a["risk_level"] != "high" || len(items(a, "needs")) != 2 || len(items(a, "threats")) != 1 {
			t.Fatalf("recorded assessment %v", a)
		}
		if th := items(a, "threats")[0]; th["assessment_id"] != a["id"] || th["occurred_at"] != yesterday+"T17:30:00Z" {
			t.Errorf("threat %v", th)
		}
		need := items(a, "needs")[0]["id"].(string)
		step(cases.StepCasePlan)
		if c := call(cw, "GET", "/api/v1/cases/{id}", "", 200); c["risk_level"] != "high" {
			t.Errorf("risk level after the assessment: %v", c["risk_level"])
		}
		list := call(mgr, "GET", assessments, "", 200)
		med, ok := list["medical_referral"].(map[string]any)
		if !ok || med["hours_left"].(float64) <= 0 || med["incident_at"] != yesterday+"T17:30:00Z" {
			t.Fatalf("no medical-referral alert after a sexual incident yesterday: %v", list["medical_referral"])
		}

		// Medical referral made: the alert closes; nothing is left to close.
		c = call(cw, "POST", "/api/v1/cases/{id}/medical-referral", "", 200)
		if c["id"] != id {
			t.Errorf("medical referral answered %v", c)
		}
		refused(cw, "POST", "/api/v1/cases/{id}/medical-referral", "", "medical_referral")

		// An incident outside the assessment.
		const incidents = "/api/v1/cases/{id}/incidents"
		refused(cw, "POST", incidents, `{"incident_type":"no_such_type","location":"market"}`, "incident_type")
		refused(cw, "POST", incidents, fmt.Sprintf(`{"incident_type":"physical","occurred_on":%q}`, inAWeek), "occurred_on")
		inc := call(cw, "POST", incidents, fmt.Sprintf(`{"incident_type":"physical","location":"market","frequency":"twice",
			"ongoing":true,"perpetrator":"family","occurred_on":%q,"notes":"bruises"}`, yesterday), 201)
		if inc["assessment_id"] != "" || inc["incident_type"] != "physical" || inc["ongoing"] != true {
			t.Errorf("incident %v", inc)
		}
		list = call(cw, "GET", assessments, "", 200)
		if len(items(list, "assessments")) != 1 || len(items(list, "incidents")) != 1 || list["medical_referral"] != nil {
			t.Errorf("assessments after the referral and the incident: %v", list)
		}

		// Case plan: field errors, then a draft.
		const plans, savePlan = "/api/v1/cases/{id}/plans", "/api/v1/cases/{id}/plan"
		planBody := func(version int) string {
			return fmt.Sprintf(`{"meeting_on":%q,"participants":[{"role":"child","name":"Amina"},{"role":"caseworker","name":"CW"}],
				"child_views":"wants to walk with a friend","caregiver_views":"","notes":"",
				"objectives":[{"need_id":%q,"description":"Amina gets to school safely","measure":"walks with a friend every day","due_on":%q}],
				"actions":[{"objective":1,"what":"find a walking buddy","kind":"direct","who":"caseworker","who_name":"","due_on":%q,"horizon":"immediate"},
					{"objective":1,"what":"talk to the head teacher","kind":"referral","who":"provider","who_name":"school","due_on":%q,"horizon":"short"}],
				"gaps":[{"need_id":%q,"description":"no safe transport service"}],"version":%d}`, today, need, inAMonth, inAWeek, inAMonth, need, version)
		}
		refused(cw, "PUT", savePlan, fmt.Sprintf(`{"objectives":[{"need_id":%q,"description":"x","due_on":%q}],"version":0}`, need, inAMonth), "objectives.0.measure")
		refused(cw, "PUT", savePlan, `{"objectives":[],"version":0}`, "objectives")
		pl := call(cw, "PUT", savePlan, planBody(0), 200)
		pid = pl["id"].(string)
		pv := int(pl["version"].(float64))
		if pl["status"] != plan.Draft || pl["number"] != 1.0 || len(items(pl, "objectives")) != 1 || len(items(pl, "actions")) != 2 ||
			len(items(pl, "gaps")) != 1 || len(items(pl, "participants")) != 2 || pl["submitted_at"] != nil {
			t.Fatalf("saved plan %v", pl)
		}
		obj := items(pl, "objectives")[0]
		if obj["need_id"] != need || obj["status"] != plan.NotStarted {
			t.Errorf("objective %v", obj)
		}
		if act := items(pl, "actions")[0]; act["objective_id"] != obj["id"] || act["status"] != plan.Planned {
			t.Errorf("action not linked to its objective: %v", act)
		}
		stale(cw, "PUT", savePlan, planBody(pv+1))
		pl = call(cw, "PUT", savePlan, planBody(pv), 200)
		pv = int(pl["version"].(float64))

		// Submitted (the case is high risk), returned with comments.
		const submit, approve, ret = "/api/v1/cases/{id}/plans/{pid}/submit", "/api/v1/cases/{id}/plans/{pid}/approve", "/api/v1/cases/{id}/plans/{pid}/return"
		refused(cw, "POST", submit, `{}`, "version")
		stale(cw, "POST", submit, fmt.Sprintf(`{"version":%d}`, pv+1))
		pl = call(cw, "POST", submit, fmt.Sprintf(`{"version":%d}`, pv), 200)
		if pl["status"] != plan.Submitted || pl["submitted_at"] == nil {
			t.Fatalf("submitted plan %v", pl)
		}
		pv = int(pl["version"].(float64))
		step(cases.StepCasePlan)
		refused(cw, "PUT", savePlan, planBody(pv), "plan")
		call(cw, "POST", ret, fmt.Sprintf(`{"comments":"no","version":%d}`, pv), 403)
		refused(sup, "POST", ret, fmt.Sprintf(`{"comments":"  ","version":%d}`, pv), "comments")
		stale(sup, "POST", ret, fmt.Sprintf(`{"comments":"add the school","version":%d}`, pv-1))
		pl = call(sup, "POST", ret, fmt.Sprintf(`{"comments":"Say who at the school, and by when.","version":%d}`, pv), 200)
		if pl["status"] != plan.Returned || pl["return_comments"] != "Say who at the school, and by when." || pl["decided_at"] == nil {
			t.Fatalf("returned plan %v", pl)
		}
		pv = int(pl["version"].(float64))
		refused(sup, "POST", approve, fmt.Sprintf(`{"version":%d}`, pv), "plan")

		// Saved and submitted again, then approved: the case moves on.
		pl = call(cw, "PUT", savePlan, planBody(pv), 200)
		if pl["status"] != plan.Draft || pl["id"] != pid {
			t.Fatalf("returned plan saved again: %v", pl)
		}
		pl = call(cw, "POST", submit, fmt.Sprintf(`{"version":%d}`, int(pl["version"].(float64))), 200)
		pv = int(pl["version"].(float64))
		stale(sup, "POST", approve, fmt.Sprintf(`{"version":%d}`, pv+1))
		call(cw, "POST", approve, fmt.Sprintf(`{"version":%d}`, pv), 403)
		pl = call(sup, "POST", approve, fmt.Sprintf(`{"version":%d}`, pv), 200)
		if pl["status"] != plan.Active || pl["activated_at"] == nil || pl["decided_by"] != e.users["supervisor"].ID {
			t.Fatalf("approved plan %v", pl)
		}
		step(cases.StepImplementation)
		action := items(pl, "actions")[0]["id"].(string)

		// Implementation: a direct service completing a plan action.
		const services = "/api/v1/cases/{id}/services"
		refused(cw, "POST", services, `{"service_type":"no_such_service"}`, "service_type")
		refused(cw, "POST", services, `{"service_type":"safety_planning","action_id":"no-such-action"}`, "action_id")
		refused(cw, "POST", services, fmt.Sprintf(`{"service_type":"safety_planning","given_on":%q}`, inAWeek), "given_on")
		call(mgr, "POST", services, `{"service_type":"information"}`, 403)
		sv := call(cw, "POST", services, fmt.Sprintf(`{"service_type":"safety_planning","description":"found a buddy",
			"action_id":%q,"completes_action":true}`, action), 201)
		if sv["action_id"] != action || sv["given_on"] != today || sv["given_by"] != e.users["caseworker"].ID {
			t.Errorf("service %v", sv)
		}
		sv = call(cw, "POST", services, `{"service_type":"mhpss"}`, 201)
		if sv["action_id"] != "" || sv["description"] != "" {
			t.Errorf("service without an action %v", sv)
		}

		// The safety plan, versioned.
		const safety = "/api/v1/cases/{id}/safety-plans"
		refused(cw, "POST", safety, `{"concern":"the teacher","current_strategies":"","unsafe":"the road","avoidance":"walk with others","emergency":"mother"}`, "current_strategies")
		refused(cw, "POST", safety, fmt.Sprintf(`{"concern":"c","current_strategies":"s","unsafe":"u","avoidance":"a","emergency":"e","review_on":%q}`, yesterday), "review_on")
		sp := call(cw, "POST", safety, fmt.Sprintf(`{"concern":"the teacher on the road","current_strategies":"goes early",
			"unsafe":"the back road","avoidance":"walk with a friend","emergency":"her mother, the nurse","resources":"","review_on":%q}`, inAMonth), 201)
		if sp["number"] != 1.0 || sp["review_on"] != inAMonth {
			t.Errorf("safety plan %v", sp)
		}
		sp = call(cw, "POST", safety, `{"concern":"c","current_strategies":"s","unsafe":"u","avoidance":"a","emergency":"e"}`, 201)
		if sp["number"] != 2.0 || sp["review_on"] != "" {
			t.Errorf("second safety plan %v", sp)
		}

		// The emergency fund, within the profile's criteria and cap.
		const fund = "/api/v1/cases/{id}/fund"
		all := `["urgent_need","one_off","no_other_source"]`
		refused(cw, "POST", fund, `{"amount":500,"purpose":"transport","criteria":`+all+`}`, "amount")
		refused(cw, "POST", fund, `{"amount":20,"purpose":"transport","criteria":["urgent_need"]}`, "criteria")
		refused(cw, "POST", fund, `{"amount":20,"purpose":"holiday","criteria":`+all+`}`, "purpose")
		refused(cw, "POST", fund, `{"amount":"twenty","purpose":"transport"}`, "amount")
		d := call(cw, "POST", fund, `{"amount":40.5,"purpose":"transport","criteria":`+all+`,"notes":"bus fare for a month"}`, 201)
		if d["amount"] != 40.5 || d["currency"] != "USD" || d["paid_on"] != today ||
			fmt.Sprint(d["criteria"]) != "[no_other_source one_off urgent_need]" {
			t.Errorf("disbursement %v", d)
		}

		sl := call(mgr, "GET", services, "", 200)
		if len(items(sl, "services")) != 2 || len(items(sl, "safety_plans")) != 2 || len(items(sl, "fund")) != 1 ||
			sl["fund_total"] != 40.5 || sl["currency"] != "USD" {
			t.Errorf("services %v", sl)
		}
		call(cw2, "GET", services, "", 404)
		pls := items(call(cw, "GET", plans, "", 200), "plans")
		if len(pls) != 1 || pls[0]["status"] != plan.Active {
			t.Fatalf("plans %v", pls)
		}
		if st := items(pls[0], "actions")[0]["status"]; st != plan.Done {
			t.Errorf("the service completing the action left it %v", st)
		}

		// Notifications: the caseworker was told of the return and the approval.
		const notes, read = "/api/v1/notifications", "/api/v1/notifications/read"
		byKind := func(c *client) map[notify.Kind]map[string]any {
			t.Helper()
			out := map[notify.Kind]map[string]any{}
			for _, n := range items(call(c, "GET", notes, "", 200), "notifications") {
				if n["case_id"] == id {
					out[notify.Kind(n["kind"].(string))] = n
				}
			}
			return out
		}
		mine := byKind(cw)
		for _, k := range []notify.Kind{notify.PlanReturned, notify.PlanApproved} {
			n, ok := mine[k]
			if !ok {
				t.Fatalf("the caseworker has no %s notification: %v", k, mine)
			}
			if n["case_code"] != code || n["actor_id"] != e.users["supervisor"].ID || n["read_at"] != nil {
				t.Errorf("%s notification %v", k, n)
			}
		}
		if _, ok := mine[notify.PlanSubmitted]; ok {
			t.Errorf("the caseworker was told of her own submission")
		}
		theirs := byKind(sup)
		for _, k := range []notify.Kind{notify.PlanSubmitted, notify.MedicalReferral} {
			if _, ok := theirs[k]; !ok {
				t.Errorf("the supervisor has no %s notification: %v", k, theirs)
			}
		}
		refused(cw, "POST", read, `{"ids":"all"}`, "ids")
		refused(cw, "POST", read, `{"ids":[],"all":true}`, "all")
		call(cw, "POST", read, fmt.Sprintf(`{"ids":[%q]}`, mine[notify.PlanReturned]["id"]), 204)
		mine = byKind(cw)
		if mine[notify.PlanReturned]["read_at"] == nil || mine[notify.PlanApproved]["read_at"] != nil {
			t.Errorf("after marking one read: %v", mine)
		}
		call(cw, "POST", read, `{"ids":["not-a-notification"]}`, 204)
		call(cw, "POST", read, `{"ids":[]}`, 204)
		for k, n := range byKind(cw) {
			if n["read_at"] == nil {
				t.Errorf("%s still unread after marking all read", k)
			}
		}
		if _, ok := byKind(sup)[notify.PlanSubmitted]; !ok {
			t.Errorf("the caseworker's read touched the supervisor's notifications")
		}
		call(e.anon(), "GET", notes, "", 401)

		// Revision: a new draft from the active plan, without the done action.
		rv := call(cw, "POST", "/api/v1/cases/{id}/plan/revise", "", 201)
		if rv["status"] != plan.Draft || rv["number"] != 2.0 || rv["id"] == pid || len(items(rv, "objectives")) != 1 || len(items(rv, "actions")) != 1 {
			t.Errorf("revision %v", rv)
		}
		refused(cw, "POST", "/api/v1/cases/{id}/plan/revise", "", "plan")
		pls = items(call(cw, "GET", plans, "", 200), "plans")
		if len(pls) != 2 || pls[0]["status"] != plan.Draft || pls[1]["status"] != plan.Active {
			t.Errorf("plans after the revision: %v", pls)
		}
		step(cases.StepCasePlan) // re-planning is the case-plan step again

		// Back a step, with a reason.
		const back = "/api/v1/cases/{id}/step"
		v = version()
		refused(cw, "POST", back, fmt.Sprintf(`{"step":"closure","reason":"x","version":%d}`, v), "step")
		refused(cw, "POST", back, fmt.Sprintf(`{"step":"assessment","reason":" ","version":%d}`, v), "reason")
		refused(cw, "POST", back, `{"step":"assessment","reason":"x"}`, "version")
		stale(cw, "POST", back, fmt.Sprintf(`{"step":"assessment","reason":"new incident","version":%d}`, v-1))
		call(mgr, "POST", back, fmt.Sprintf(`{"step":"assessment","reason":"new incident","version":%d}`, v), 403)
		c = call(cw, "POST", back, fmt.Sprintf(`{"step":"assessment","reason":"a new incident needs a new assessment","version":%d}`, v), 200)
		if c["step"] != cases.StepAssessment || int(c["version"].(float64)) <= v {
			t.Errorf("after moving back: step %v, version %v (was %d)", c["step"], c["version"], v)
		}
		step(cases.StepAssessment)
		refused(cw, "POST", back, fmt.Sprintf(`{"step":"assessment","reason":"again","version":%d}`, int(c["version"].(float64))), "step")
	})
}
