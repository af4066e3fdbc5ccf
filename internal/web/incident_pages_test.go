package web

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/incident"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/store"
)

// incidentCase registers a case of type typ for the user with key, with
// consent to collect and store overridden by that user's team supervisor
// (the supervisor of team 1; team 2 has none, so there the caseworker's own
// colleague records consent instead). It returns the case.
func (e *env) incidentCase(t *testing.T, key, typ string) *cases.Case {
	t.Helper()
	var c *cases.Case
	ctx := context.Background()
	if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
		age := 9
		if typ == "gbv" {
			age = 30
		}
		c, err = cases.Register(ctx, tx, e.srv.prof, e.actor(key), cases.Registration{Type: typ, GivenName: "Zainab",
			FamilyName: "Secret", Age: &age, Sex: "female", Location: "Block 7", Contact: "neighbour", CareStatus: "accompanied",
			Concerns: []string{"neglect"}, RiskLevel: "medium", RiskReason: "test"}, func() string { return cases.NewCode("C") },
			e.clock.now())
		if err != nil {
			return err
		}
		if key != "caseworker" {
			return nil
		}
		_, err = consent.AddOverride(ctx, tx, e.srv.prof, e.actor("supervisor"), c.ID, consent.OverrideInput{
			Scope: "collect_store", Basis: "best_interests", Reason: "fixture for the incident tests"}, e.clock.now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) notices(t *testing.T, key string) []notify.Notification {
	t.Helper()
	var ns []notify.Notification
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		ns, err = tx.Notifications(ctx, e.users[key].ID, 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ns
}

func hasNotice(ns []notify.Notification, k notify.Kind, caseID string) bool {
	for _, n := range ns {
		if n.Kind == k && n.CaseID == caseID {
			return true
		}
	}
	return false
}

var optionValue = regexp.MustCompile(`<option value="([a-z_]+)"`)

// TestIncidentPages records incidents through the pages: a GBV case offers
// exactly the six GBVIMS core types; a refused form keeps what was typed and
// names the field; a reportable incident opens a decision that the case page
// shows as open; the caseworker recommends, the supervisor decides (a
// refused decision names its field and keeps the form), and the case page's
// alert goes. The pages have no inline style or script, and no title names
// the incident.
func TestIncidentPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw, sup, mgr := e.session("caseworker"), e.session("supervisor"), e.session("manager")
		gbv := e.incidentCase(t, "caseworker", "gbv")
		page := cw.get("/cases/" + gbv.ID + "/incident-reports")
		if page.StatusCode != 200 {
			t.Fatalf("incidents page: %d %s", page.StatusCode, page.Body)
		}
		form := page.Body[strings.Index(page.Body, `name="incident_type"`):]
		form = form[:strings.Index(form, "</select>")]
		var types []string
		for _, m := range optionValue.FindAllStringSubmatch(form, -1) {
			types = append(types, m[1])
		}
		want := "rape sexual_assault physical_assault forced_marriage denial_of_resources psychological_abuse"
		if got := strings.Join(types, " "); got != want {
			t.Errorf("a GBV case offers %q, want %q", got, want)
		}
		if strings.Contains(page.Body, " style=") || strings.Contains(page.Body, "<script>") {
			t.Error("inline style or script on the incidents page")
		}
		res := cw.post("/cases/"+gbv.ID+"/incident-reports", url.Values{"incident_type": {"neglect"},
			"occurred_on": {"2026-11-19"}, "place": {"by the river"}})
		if res.StatusCode != 422 || !strings.Contains(res.Body, `href="#f-incident_type"`) ||
			!strings.Contains(res.Body, `value="by the river"`) {
			t.Errorf("a CP type on a GBV case: %d, field not named or form not kept", res.StatusCode)
		}
		res = cw.post("/cases/"+gbv.ID+"/incident-reports", url.Values{"incident_type": {"rape"},
			"occurred_on": {"2026-11-18"}, "place": {"by the river"}, "perpetrator": {"stranger"},
			"description": {"on the way to fetch water"}})
		if res.StatusCode != 303 || res.Header.Get("Location") != "/cases/"+gbv.ID+"/incident-reports?done=recorded" {
			t.Fatalf("record: %d %s", res.StatusCode, res.location())
		}
		page = cw.get(res.Header.Get("Location"))
		for _, want := range []string{"Incident recorded.", "on the way to fetch water", "by the river", "No relation"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("incidents page lacks %q", want)
			}
		}
		title := regexp.MustCompile(`<title>[^<]*</title>`).FindString(page.Body)
		if strings.Contains(strings.ToLower(title), "rape") || strings.Contains(title, "GBV") || title == "" {
			t.Errorf("title %q", title)
		}
		// Rape is not reportable under the default profile: no decision opened.
		if strings.Contains(page.Body, "Waiting for the supervisor") {
			t.Error("a non-reportable incident shows a pending decision")
		}

		// A CP case: sexual violence is reportable.
		cp := e.incidentCase(t, "caseworker", "cp")
		base := "/cases/" + cp.ID + "/incident-reports"
		res = cw.post(base, url.Values{"incident_type": {"sexual"}, "occurred_on": {"2026-11-10"}, "place": {"school"}})
		if res.StatusCode != 303 || !strings.HasSuffix(res.Header.Get("Location"), "done=reportable") {
			t.Fatalf("reportable incident: %d %s", res.StatusCode, res.location())
		}
		if !hasNotice(e.notices(t, "supervisor"), notify.MandatoryReport, cp.ID) {
			t.Error("the supervisor was not told")
		}
		casePage := sup.get("/cases/" + cp.ID)
		if !strings.Contains(casePage.Body, "Mandatory reporting: 1 decision waiting for you.") ||
			!strings.Contains(casePage.Body, `href="/cases/`+cp.ID+`/incident-reports"`) {
			t.Errorf("the case page does not show the open decision to the supervisor")
		}
		if !strings.Contains(cw.get("/cases/"+cp.ID).Body, "Mandatory reporting: 1 decision waiting for the supervisor.") {
			t.Errorf("the case page does not show the open decision to the caseworker")
		}
		var inc incident.Incident
		ctx := context.Background()
		e.db.Read(ctx, func(tx *store.Tx) error {
			incs, err := tx.Incidents(ctx, cp.ID)
			if err == nil && len(incs) == 1 {
				inc = incs[0]
			}
			return err
		})
		if inc.Report == nil {
			t.Fatal("no report stored")
		}
		page = sup.get(base)
		if strings.Contains(page.Body, `action="`+base+"/"+inc.ID+`/decide"`) ||
			!strings.Contains(page.Body, "The caseworker&#39;s recommendation comes first.") {
			t.Error("the decision form shows before the recommendation")
		}
		// The recommendation: refused without reasoning, the form kept.
		rec := url.Values{"version": {"1"}, "recommendation": {"report"}}
		res = cw.post(base+"/"+inc.ID+"/recommend", rec)
		if res.StatusCode != 422 || !strings.Contains(res.Body, `id="f-reasoning"`) ||
			!strings.Contains(res.Body, `href="#f-reasoning"`) || !strings.Contains(res.Body, `value="report" checked`) {
			t.Errorf("recommendation without reasoning: %d", res.StatusCode)
		}
		if res := mgr.post(base+"/"+inc.ID+"/recommend", rec); res.StatusCode != 403 {
			t.Errorf("manager recommends: %d", res.StatusCode)
		}
		rec.Set("reasoning", "the law of the context requires it")
		if res := cw.post(base+"/"+inc.ID+"/recommend", rec); res.StatusCode != 303 {
			t.Fatalf("recommend: %d %s", res.StatusCode, res.Body)
		}
		if res := cw.post(base+"/"+inc.ID+"/recommend", rec); res.StatusCode != 409 {
			t.Errorf("stale recommendation: %d", res.StatusCode)
		}

		// The decision.
		dec := url.Values{"version": {"2"}, "decision": {"report"}, "reasoning": {"she is not safe at school"},
			"shared_what": {"the incident and the school"}, "shared_how": {"in person"}, "reported_on": {"2026-11-19"},
			"family_told": {"no"}, "family_not_told_why": {""}}
		if res := cw.post(base+"/"+inc.ID+"/decide", dec); res.StatusCode != 403 {
			t.Errorf("caseworker decides: %d", res.StatusCode)
		}
		res = sup.post(base+"/"+inc.ID+"/decide", dec)
		if res.StatusCode != 422 || !strings.Contains(res.Body, `href="#f-authority"`) ||
			!strings.Contains(res.Body, `href="#f-family_not_told_why"`) || !strings.Contains(res.Body, `value="the incident and the school"`) {
			t.Errorf("decision without authority: %d", res.StatusCode)
		}
		dec.Set("authority", "District social welfare officer")
		dec.Set("family_told", "yes")
		dec.Set("family_told_on", "2026-11-19")
		if res := sup.post(base+"/"+inc.ID+"/decide", dec); res.StatusCode != 303 {
			t.Fatalf("decide: %d %s", res.StatusCode, res.Body)
		}
		page = cw.get(base)
		for _, want := range []string{"District social welfare officer", "she is not safe at school", "Decided",
			"the law of the context requires it"} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("decided report lacks %q", want)
			}
		}
		if strings.Contains(page.Body, "/decide\"") || strings.Contains(page.Body, "/recommend\"") {
			t.Error("forms still offered after the decision")
		}
		if strings.Contains(cw.get("/cases/"+cp.ID).Body, "decision waiting for") {
			t.Error("the case page still shows the decision as open")
		}
		if !hasNotice(e.notices(t, "caseworker"), notify.MandatoryDecided, cp.ID) {
			t.Error("the caseworker was not told of the decision")
		}
		// Others: a manager reads without forms; another team's caseworker gets 404.
		page = mgr.get(base)
		if page.StatusCode != 200 || strings.Contains(page.Body, `action="`+base+`"`) {
			t.Errorf("manager's page: %d or a form", page.StatusCode)
		}
		if res := e.session("caseworker2").get(base); res.StatusCode != 404 {
			t.Errorf("another team's caseworker: %d", res.StatusCode)
		}
		acts := e.auditActions(t, cp.ID)
		for _, a := range []string{"incident.record", "incident.view", "mandatory.recommend", "mandatory.decide"} {
			if acts[a] == 0 {
				t.Errorf("no %s audited: %v", a, acts)
			}
		}
	})
}

// TestLinkPages links a child's CP case to her mother's GBV case at another
// agency: the request is accepted by the mother's caseworker on her links
// page; then each caseworker sees the other case's code, type, caseworker
// and agency, and nothing else of it; following the link to the other case
// is refused (404) on the page and in the API unless the reader has access
// of their own; the link is removed.
func TestLinkPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw, other := e.session("caseworker"), e.session("other_agency")
		child := e.incidentCase(t, "caseworker", "cp")
		mother := e.incidentCase(t, "other_agency", "gbv")

		base := "/cases/" + child.ID + "/links"
		res := cw.post(base, url.Values{"case_code": {"C NOPE!"}, "relation": {"parent_child"}})
		if res.StatusCode != 422 || !strings.Contains(res.Body, `href="#f-case_code"`) || !strings.Contains(res.Body, `value="C NOPE!"`) {
			t.Errorf("not a code: %d", res.StatusCode)
		}
		res = cw.post(base, url.Values{"case_code": {strings.ToLower(mother.Code)}, "relation": {"parent_child"}})
		if res.StatusCode != 303 || res.Header.Get("Location") != base+"?done=requested" {
			t.Fatalf("link: %d %s %s", res.StatusCode, res.location(), res.Body)
		}
		if res := cw.post(base, url.Values{"case_code": {mother.Code}, "relation": {"siblings"}}); res.StatusCode != 422 ||
			!strings.Contains(res.Body, "already waiting") {
			t.Errorf("duplicate request: %d", res.StatusCode)
		}
		if !hasNotice(e.notices(t, "other_agency"), notify.LinkRequested, mother.ID) {
			t.Error("the other caseworker was not asked")
		}
		// The mother's caseworker accepts on her links page.
		mpage := other.get("/cases/" + mother.ID + "/links")
		accept := regexp.MustCompile(`action="(/cases/` + mother.ID + `/link-requests/[^/"]+/accept)"`).FindStringSubmatch(mpage.Body)
		if accept == nil || !strings.Contains(mpage.Body, "Hope for Children") || !strings.Contains(mpage.Body, e.users["caseworker"].DisplayName) {
			t.Fatalf("the request on the mother's links page:\n%s", mainOf(mpage.Body))
		}
		if res := other.post(accept[1], url.Values{"version": {"1"}}); res.StatusCode != 303 ||
			res.Header.Get("Location") != "/cases/"+mother.ID+"/links?done=accepted" {
			t.Fatalf("accept: %d %s", res.StatusCode, res.Body)
		}
		if !hasNotice(e.notices(t, "caseworker"), notify.CaseLinked, child.ID) {
			t.Error("the requester was not told of the acceptance")
		}

		for _, tt := range []struct {
			c           *client
			from, other *cases.Case
			worker      string
			agency      string
		}{
			{cw, child, mother, e.users["other_agency"].DisplayName, "Other Agency"},
			{other, mother, child, e.users["caseworker"].DisplayName, "Hope for Children"},
		} {
			page := tt.c.get("/cases/" + tt.from.ID + "/links")
			if page.StatusCode != 200 {
				t.Fatalf("links page: %d", page.StatusCode)
			}
			typ := map[string]string{"cp": "Child protection", "gbv": "GBV"}[tt.other.Type]
			for _, want := range []string{tt.other.Code, ">" + typ + "<", tt.worker, tt.agency, "Parent and child", "Coordination needed"} {
				if !strings.Contains(page.Body, want) {
					t.Errorf("links page of %s lacks %q", tt.from.Code, want)
				}
			}
			// Nothing else of the other file: no name, no place, no family, no ID.
			for _, secret := range []string{"Zainab", "Secret", "Block 7", tt.other.ID} {
				if strings.Contains(page.Body, secret) {
					t.Errorf("links page of %s shows %q of the other case", tt.from.Code, secret)
				}
			}
			// The case page lists the link the same way.
			cpage := tt.c.get("/cases/" + tt.from.ID)
			if !strings.Contains(cpage.Body, tt.other.Code) || !strings.Contains(cpage.Body, tt.agency) ||
				strings.Contains(cpage.Body, tt.other.ID) {
				t.Errorf("case page of %s: linked case missing or its ID shown", tt.from.Code)
			}
			// Following the link is refused: the page and the API answer 404.
			if res := tt.c.get("/cases/" + tt.other.ID); res.StatusCode != 404 {
				t.Errorf("the linked case opens: %d", res.StatusCode)
			}
			for _, p := range []string{"/links", "/incident-reports", "/family"} {
				if res := tt.c.get("/cases/" + tt.other.ID + p); res.StatusCode != 404 {
					t.Errorf("%s of the linked case: %d", p, res.StatusCode)
				}
			}
			if res := tt.c.json("GET", "/api/v1/cases/"+tt.other.ID, ""); res.StatusCode != 404 {
				t.Errorf("API: the linked case opens: %d", res.StatusCode)
			}
			var list struct {
				Links []map[string]any `json:"links"`
			}
			res := tt.c.json("GET", "/api/v1/cases/"+tt.from.ID+"/links", "")
			json.Unmarshal([]byte(res.Body), &list)
			if len(list.Links) != 1 || list.Links[0]["code"] != tt.other.Code || list.Links[0]["case_id"] != nil ||
				list.Links[0]["agency"] != tt.agency || list.Links[0]["type"] != tt.other.Type {
				t.Errorf("API links of %s: %s", tt.from.Code, res.Body)
			}
		}

		// Someone who may open both cases gets a way through: the child's
		// supervisor sees the child's case linked from another of the team's.
		sib := e.incidentCase(t, "caseworker", "cp")
		if res := cw.post("/cases/"+sib.ID+"/links", url.Values{"case_code": {child.Code}, "relation": {"siblings"}}); res.StatusCode != 303 {
			t.Fatalf("sibling link: %d", res.StatusCode)
		}
		if page := e.session("supervisor").get("/cases/" + sib.ID + "/links"); !strings.Contains(page.Body, `href="/cases/`+child.ID+`"`) {
			t.Error("the supervisor cannot follow a link to a case of the team")
		}

		// Removal.
		var lid string
		ctx := context.Background()
		e.db.Read(ctx, func(tx *store.Tx) error {
			vs, err := tx.CaseLinks(ctx, mother.ID)
			if err == nil && len(vs) == 1 {
				lid = vs[0].ID
			}
			return err
		})
		if res := e.session("manager").post(base+"/"+lid+"/remove", nil); res.StatusCode != 403 {
			t.Errorf("manager removes: %d", res.StatusCode)
		}
		if res := other.post("/cases/"+mother.ID+"/links/"+lid+"/remove", nil); res.StatusCode != 303 {
			t.Fatalf("remove: %d %s", res.StatusCode, res.Body)
		}
		if res := cw.post(base+"/"+lid+"/remove", nil); res.StatusCode != 422 {
			t.Errorf("remove twice: %d", res.StatusCode)
		}
		if page := cw.get(base); strings.Contains(page.Body, mother.Code) {
			t.Error("removed link still shown")
		}
		acts := e.auditActions(t, child.ID)
		for _, a := range []string{"caselink.request", "caselink.accepted", "caselink.view"} {
			if acts[a] == 0 {
				t.Errorf("no %s audited: %v", a, acts)
			}
		}
	})
}

// TestIncidentAPIMatchesOpenAPI drives the incident and link API through its
// answers and checks each against the OpenAPI document.
func TestIncidentAPIMatchesOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		cw, sup, mgr, cw2 := e.apiClient("caseworker"), e.apiClient("supervisor"), e.apiClient("manager"), e.apiClient("caseworker2")
		c := e.incidentCase(t, "caseworker", "cp")
		check := func(cl *client, method, route, path, body string, want int) map[string]any {
			t.Helper()
			res := cl.json(method, path, body)
			if res.StatusCode != want {
				t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, res.Body)
			}
			doc.checkResponse(t, method, route, res)
			var m map[string]any
			json.Unmarshal([]byte(res.Body), &m)
			return m
		}
		const irs, irRec, irDec = "/api/v1/cases/{id}/incident-reports", "/api/v1/cases/{id}/incident-reports/{iid}/recommend",
			"/api/v1/cases/{id}/incident-reports/{iid}/decide"
		base := "/api/v1/cases/" + c.ID + "/incident-reports"
		list := check(cw, "GET", irs, base, "", 200)
		if list["pending_decisions"].(float64) != 0 || len(list["incident_types"].([]any)) != 6 {
			t.Errorf("list %v", list)
		}
		bad := check(cw, "POST", irs, base, `{"incident_type":"rape","occurred_on":"2999-01-01"}`, 422)
		fields := map[string]string{}
		for _, f := range bad["error"].(map[string]any)["fields"].([]any) {
			fields[f.(map[string]any)["field"].(string)] = f.(map[string]any)["code"].(string)
		}
		if fields["incident_type"] != "choose" || fields["occurred_on"] != "future" {
			t.Errorf("refusal fields %v", fields)
		}
		check(cw, "POST", irs, base, `{"incident_type":"neglect","occurred_on":"2026-11-01","bogus":1}`, 422)
		check(mgr, "POST", irs, base, `{"incident_type":"neglect","occurred_on":"2026-11-01"}`, 403)
		check(cw2, "GET", irs, base, "", 404)
		plain := check(cw, "POST", irs, base, `{"incident_type":"neglect","occurred_on":"2026-11-01"}`, 201)
		if plain["mandatory_report"] != nil {
			t.Errorf("neglect opened a report: %v", plain)
		}
		inc := check(cw, "POST", irs, base, `{"incident_type":"recruitment","occurred_on":"2026-11-15","place":"checkpoint",
			"perpetrator":"armed_group","description":"approached twice"}`, 201)
		rep := inc["mandatory_report"].(map[string]any)
		if rep["status"] != "pending" || rep["version"].(float64) != 1 || rep["family_told"] != nil {
			t.Errorf("report %v", rep)
		}
		iid := inc["id"].(string)
		rec := strings.NewReplacer("{id}", c.ID, "{iid}", iid)
		check(sup, "POST", irDec, rec.Replace(irDec), `{"decision":"report","reasoning":"x","version":1}`, 422)
		check(cw, "POST", irRec, rec.Replace(irRec), `{"recommendation":"report","reasoning":"x","version":3}`, 409)
		check(cw, "POST", irRec, rec.Replace(irRec), `{"recommendation":"report","reasoning":"x"}`, 422)
		r := check(cw, "POST", irRec, rec.Replace(irRec), `{"recommendation":"report","reasoning":"the law says so","version":1}`, 200)
		if r["recommendation"] != "report" || r["recommendation_reasoning"] != "the law says so" || r["version"].(float64) != 2 {
			t.Errorf("recommended %v", r)
		}
		check(cw, "POST", irDec, rec.Replace(irDec), `{"decision":"report","reasoning":"x","version":2}`, 403)
		check(sup, "POST", irDec, rec.Replace(irDec), `{"decision":"report","reasoning":"x","family_told":true,"version":2}`, 422)
		d := check(sup, "POST", irDec, rec.Replace(irDec), `{"decision":"do_not_report","reasoning":"reporting would put him at risk",
			"family_told":false,"family_not_told_why":"the father is with the group","version":2}`, 200)
		if d["status"] != "decided" || d["decision"] != "do_not_report" || d["family_told"] != false {
			t.Errorf("decided %v", d)
		}
		list = check(mgr, "GET", irs, base, "", 200)
		if len(list["incidents"].([]any)) != 2 || list["pending_decisions"].(float64) != 0 {
			t.Errorf("list after the decision %v", list)
		}
		check(cw, "POST", irRec, strings.NewReplacer("{id}", c.ID, "{iid}", "nope").Replace(irRec),
			`{"recommendation":"report","reasoning":"x","version":1}`, 404)

		// Links.
		const links, link = "/api/v1/cases/{id}/links", "/api/v1/cases/{id}/links/{lid}"
		lbase := "/api/v1/cases/" + c.ID + "/links"
		other := e.incidentCase(t, "caseworker2", "gbv")
		check(cw, "GET", links, lbase, "", 200)
		check(cw, "POST", links, lbase, `{"case_code":"","relation":"x"}`, 422)
		check(mgr, "POST", links, lbase, `{"case_code":"`+other.Code+`","relation":"parent_child"}`, 403)
		l := check(cw, "POST", links, lbase, `{"case_code":"`+other.Code+`","relation":"parent_child"}`, 201)
		ls := l["links"].([]any)
		if len(ls) != 1 || ls[0].(map[string]any)["caseworker"] != e.users["caseworker2"].DisplayName {
			t.Fatalf("links %v", l)
		}
		if _, shown := ls[0].(map[string]any)["case_id"]; shown {
			t.Error("the other case's ID is shown to a caseworker who may not open it")
		}
		// The supervisor may open caseworker2's case? No: another team. The manager may (agency scope).
		ml := check(mgr, "GET", links, lbase, "", 200)
		if ml["links"].([]any)[0].(map[string]any)["case_id"] != other.ID {
			t.Errorf("the manager, who may open the other case, gets no case_id: %v", ml)
		}
		lid := ls[0].(map[string]any)["id"].(string)
		lpath := lbase + "/" + lid
		check(cw2, "DELETE", link, lpath, "", 404)
		after := check(cw, "DELETE", link, lpath, "", 200)
		if n := len(after["links"].([]any)); n != 0 {
			t.Errorf("%d links after the removal", n)
		}
		check(cw, "DELETE", link, lpath, "", 422)
		check(cw, "DELETE", link, lbase+"/"+strconv.Itoa(42), "", 404)
	})
}
