package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

// TestCoordinationAPIMatchesOpenAPI drives a referral, a conference,
// break-glass and an external transfer through the API only, on every
// engine, checking every answer against openapi.json (with its
// openapi/coordination.json part) and for what it means.
func TestCoordinationAPIMatchesOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		id := w.c.ID
		cw, sup, cw2 := e.apiClient("caseworker"), e.apiClient("supervisor"), e.apiClient("caseworker2")
		prov, supB, ext := e.apiClient("provider_b"), e.apiClient("supervisor_b"), e.apiClient("other_agency")
		today := e.clock.now().Format("2006-01-02")
		var rid, cid, tid string
		call := func(c *client, method, route, body string, want int) map[string]any {
			t.Helper()
			path := strings.NewReplacer("{id}", id, "{rid}", rid, "{cid}", cid, "{tid}", tid).Replace(route)
			res := c.json(method, path, body)
			if res.StatusCode != want {
				t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, res.Body)
			}
			doc.checkResponse(t, method, strings.NewReplacer("{rid}", "{id}", "{cid}", "{id}", "{tid}", "{id}").Replace(route), res)
			var m map[string]any
			if err := json.Unmarshal([]byte(res.Body), &m); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			return m
		}
		fields := func(m map[string]any) string {
			b, _ := json.Marshal(m["error"])
			return string(b)
		}

		refer := fmt.Sprintf(`{"service_id":%q,"reason":"clinical care","sections":["registration","assessment"]}`, w.svc.ID)
		if m := call(cw, "POST", "/api/v1/cases/{id}/referrals", refer, 422); !strings.Contains(fields(m), `"consent"`) {
			t.Errorf("refusal without consent does not name it: %v", m)
		}
		if err := e.db.Tx(context.Background(), func(tx *store.Tx) error {
			_, err := consent.Add(context.Background(), tx, e.srv.prof, fixture.Actor(e.users["caseworker"]), id,
				consent.Input{Scope: "share_services", Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given,
					Method: "written", ObtainedOn: today}, e.clock.now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		r := call(cw, "POST", "/api/v1/cases/{id}/referrals", refer, 201)
		rid = r["id"].(string)
		if r["status"] != "sent" || r["basis"] != "consent" || r["to_user_id"] != w.provider.ID {
			t.Errorf("referral: %v", r)
		}

		// The receiving provider: its inbox, and exactly the two sections.
		inbox := call(prov, "GET", "/api/v1/coordination", "", 200)
		if refs, _ := inbox["referrals"].([]any); len(refs) != 1 {
			t.Errorf("provider's inbox: %v", inbox)
		}
		view := call(prov, "GET", "/api/v1/referrals/{rid}", "", 200)
		shared, _ := view["shared"].(map[string]any)
		if fmt.Sprint(shared["sections"]) != "[registration assessment]" || shared["identity"] != nil || shared["registration"] == nil {
			t.Errorf("provider's shared view: %v", shared)
		}
		if strings.Contains(fmt.Sprint(view), "Amina") {
			t.Errorf("the provider's answer carries the name: %v", view)
		}
		if res := prov.json("GET", "/api/v1/cases/"+id, ""); res.StatusCode != 404 {
			t.Errorf("provider reads the case: %d", res.StatusCode)
		}
		call(cw, "POST", "/api/v1/referrals/{rid}/respond", `{"version":1,"accept":true}`, 403)
		call(prov, "POST", "/api/v1/referrals/{rid}/respond", `{"version":1,"accept":false}`, 422)
		call(prov, "POST", "/api/v1/referrals/{rid}/respond", `{"version":1,"accept":true}`, 200)
		call(prov, "POST", "/api/v1/referrals/{rid}/service", `{"version":2,"service_note":"seen"}`, 200)
		call(prov, "POST", "/api/v1/referrals/{rid}/service", `{"version":2,"service_note":"seen"}`, 409)
		done := call(cw, "POST", "/api/v1/referrals/{rid}/outcome", `{"version":3,"outcome":"treated"}`, 200)
		if done["status"] != "closed" {
			t.Errorf("outcome: %v", done)
		}
		if v := call(prov, "GET", "/api/v1/referrals/{rid}", "", 200); v["shared"] != nil {
			t.Errorf("a closed referral still shares: %v", v["shared"])
		}

		// A conference with the other agency's caseworker.
		conf := call(cw, "POST", "/api/v1/cases/{id}/conferences", fmt.Sprintf(
			`{"reason":"coordinate","scheduled_at":"%sT10:00","participants":[%q,%q],"sections":["registration","plan"]}`,
			today, e.users["supervisor"].ID, e.users["other_agency"].ID), 201)
		cid = conf["id"].(string)
		call(ext, "POST", "/api/v1/conferences/{cid}/record", `{"version":1,"summary":"x","decisions":"y"}`, 403)
		call(cw, "POST", "/api/v1/conferences/{cid}/record", fmt.Sprintf(
			`{"version":1,"summary":"safe","decisions":"clinic follow-up","actions":[{"description":"book","owner_id":%q,"due_on":%q}]}`,
			e.users["other_agency"].ID, today), 200)
		cv := call(ext, "GET", "/api/v1/conferences/{cid}", "", 200)
		if sh, _ := cv["shared"].(map[string]any); fmt.Sprint(sh["sections"]) != "[registration plan]" {
			t.Errorf("external participant's view: %v", cv["shared"])
		}
		call(sup, "POST", "/api/v1/conferences/{cid}/sign-off", `{"version":2}`, 200)
		closed := call(ext, "POST", "/api/v1/conferences/{cid}/sign-off", `{"version":3}`, 200)
		if closed["status"] != "closed" {
			t.Errorf("every participant signed: %v", closed["status"])
		}

		// Break-glass by a caseworker of another team of the agency.
		call(cw2, "POST", "/api/v1/break-glass", `{"code":"`+w.c.Code+`","reason":"short"}`, 422)
		bg := call(cw2, "POST", "/api/v1/break-glass", `{"code":"`+w.c.Code+`","reason":"the caseworker is away and the survivor called"}`, 201)
		if bg["case_id"] != id {
			t.Errorf("break-glass: %v", bg)
		}
		if res := cw2.json("GET", "/api/v1/cases/"+id, ""); res.StatusCode != 200 {
			t.Errorf("break-glass reader cannot read the case: %d", res.StatusCode)
		}
		if res := ext.json("POST", "/api/v1/break-glass", `{"code":"`+w.c.Code+`","reason":"another agency tries to look"}`); res.StatusCode != 422 {
			t.Errorf("break-glass across agencies: %d", res.StatusCode)
		}
		if log := e.session("dp_officer").get("/break-glass/log"); log.StatusCode != 200 || !strings.Contains(log.Body, w.c.Code) ||
			!strings.Contains(log.Body, "the caseworker is away and the survivor called") {
			t.Errorf("the DPO's break-glass log: %d", log.StatusCode)
		}

		// Everything shared is listed on the case.
		co := call(cw, "GET", "/api/v1/cases/{id}/coordination", "", 200)
		vias := map[string]bool{}
		for _, s := range co["shares"].([]any) {
			vias[s.(map[string]any)["via"].(string)] = true
		}
		for _, v := range []string{"referral", "conference", "break_glass"} {
			if !vias[v] {
				t.Errorf("shares list lacks %s: %v", v, co["shares"])
			}
		}

		// An external transfer, accepted by the other agency's supervisor.
		if m := call(cw, "POST", "/api/v1/cases/{id}/transfers", `{"version":1,"to_agency_id":"`+e.agencyB+`"}`, 422); !strings.Contains(fields(m), `"handover_plan"`) {
			t.Errorf("transfer without a handover plan: %v", m)
		}
		c := call(cw, "GET", "/api/v1/cases/{id}", "", 200)
		version := int(c["version"].(float64))
		body := func(v int) string {
			return fmt.Sprintf(`{"version":%d,"to_agency_id":%q,"reason":"relocation","family_told_on":%q,
			"family_told_to":"her","family_told_why":"she moves","handover_plan":"joint call","warm_handover_on":%q}`,
				v, e.agencyB, today, today)
		}
		call(cw, "POST", "/api/v1/cases/{id}/transfers", body(version+5), 409)
		tr := call(cw, "POST", "/api/v1/cases/{id}/transfers", body(version), 201)
		tid = tr["id"].(string)
		tv := call(supB, "GET", "/api/v1/transfers/{tid}", "", 200)
		if sh, _ := tv["shared"].(map[string]any); fmt.Sprint(sh["sections"]) != "[registration]" {
			t.Errorf("receiving supervisor's view before deciding: %v", tv["shared"])
		}
		call(supB, "POST", "/api/v1/transfers/{tid}/decide", `{"version":1,"accept":true}`, 422)
		call(supB, "POST", "/api/v1/transfers/{tid}/decide", fmt.Sprintf(`{"version":1,"accept":true,"caseworker_id":%q}`,
			e.users["other_agency"].ID), 200)
		if res := cw.json("GET", "/api/v1/cases/"+id, ""); res.StatusCode != 404 {
			t.Errorf("first caseworker reads the transferred case: %d", res.StatusCode)
		}
		call(ext, "GET", "/api/v1/cases/{id}/coordination", "", 200)
	})
}

// TestCoordinationCatalog checks that every state, basis, section and
// field the coordination pages print or refuse has words in the catalog.
func TestCoordinationCatalog(t *testing.T) {
	cat := i18n.MustLoad()
	families := map[string][]string{
		"referral.status.":   {referral.Sent, referral.Accepted, referral.Declined, referral.Provided, referral.Closed, referral.Withdrawn},
		"transfer.status.":   {transfer.Requested, transfer.Accepted, transfer.Declined, transfer.Withdrawn},
		"transfer.kind.":     {transfer.Internal, transfer.External},
		"conference.status.": {conference.Scheduled, conference.Held, conference.Closed},
		"via.": {string(access.ViaReferral), string(access.ViaTransfer), string(access.ViaConference),
			string(access.ViaBreakGlass)},
		"basis.":   {referral.BasisConsent, referral.BasisOverride, referral.BasisForm, "internal", "break_glass"},
		"section.": share.Names(access.Sections),
		"field.": {"service_id", "to_user_id", "service_type", "action_id", "reason", "sections", "consent", "consent_giver",
			"consent_on", "decline_reason", "service_note", "outcome", "status", "to_agency_id", "to_team_id", "reason_notes",
			"family_told_on", "family_told_to", "family_told_why", "handover_plan", "warm_handover_on", "no_warm_handover_why",
			"caseworker_id", "scheduled_at", "place", "participants", "summary", "decisions", "actions", "code", "told_on",
			"told_to", "team_id", "version"},
	}
	for prefix, values := range families {
		for _, v := range values {
			if !cat.Has(prefix + v) {
				t.Errorf("key %q is not in the catalog", prefix+v)
			}
		}
	}
}

// TestConferenceActionsBecomePlanActions: the action items a conference
// agreed are proposed on the plan form (a colleague's as a direct action,
// another agency's as a referral to a provider) until a plan carries them.
func TestConferenceActionsBecomePlanActions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var caseID string
		if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
			caseID, err = caseWithPlan(tx, e.srv.prof, fixture.Actor(e.users["caseworker"]), fixture.Actor(e.users["supervisor"]),
				e.clock.now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		cw := e.apiClient("caseworker")
		conf := cw.json("POST", "/api/v1/cases/"+caseID+"/conferences", fmt.Sprintf(
			`{"reason":"coordinate","scheduled_at":"2026-11-21T10:00","participants":[%q]}`, e.users["supervisor"].ID))
		if conf.StatusCode != 201 {
			t.Fatalf("schedule: %d %s", conf.StatusCode, conf.Body)
		}
		var c struct{ ID string }
		json.Unmarshal([]byte(conf.Body), &c)
		rec := cw.json("POST", "/api/v1/conferences/"+c.ID+"/record", fmt.Sprintf(
			`{"version":1,"summary":"s","decisions":"d","actions":[{"description":"Visit the school with the mother","owner_id":%q,"due_on":"2026-11-30"}]}`,
			e.users["supervisor"].ID))
		if rec.StatusCode != 200 {
			t.Fatalf("record: %d %s", rec.StatusCode, rec.Body)
		}
		page := e.session("caseworker").get("/cases/" + caseID + "/plan/edit")
		if page.StatusCode != 200 || !strings.Contains(page.Body, `id="from-conference"`) ||
			!strings.Contains(page.Body, "Visit the school with the mother") {
			t.Fatalf("plan form does not propose the conference's action: %d\n%.2000s", page.StatusCode, page.Body)
		}
	})
}

// TestStandAloneReferral: a screening that finds a stand-alone referral
// leads to a referral with no case: consent is recorded on the form, and
// the receiving provider sees the reason written, nothing else.
func TestStandAloneReferral(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		cw := e.session("caseworker")
		res := cw.post("/screen", url.Values{"case_type": {"cp"}, "age": {"9"}, "answer_harmed_or_at_risk": {"yes"},
			"answer_case_management_appropriate": {"no"}})
		if res.StatusCode != 303 {
			t.Fatalf("screen: %d %.500s", res.StatusCode, res.Body)
		}
		sc := res.location()
		page := cw.get(sc)
		if !strings.Contains(page.Body, sc+"/referrals") {
			t.Fatalf("a stand-alone referral screening does not offer the referral: %.1500s", page.Body)
		}
		form := url.Values{"service_id": {w.svc.ID}, "reason": {"Needs a school place; family asked for help"}}
		if res := cw.post(sc+"/referrals", form); res.StatusCode != 422 || !strings.Contains(res.Body, "Consent to share given by") {
			t.Fatalf("without consent on the form: %d", res.StatusCode)
		}
		form.Set("consent_giver", "The mother")
		form.Set("consent_on", e.clock.now().Format("2006-01-02"))
		res = cw.post(sc+"/referrals", form)
		if res.StatusCode != 303 || !strings.HasPrefix(res.location(), "/referrals/") {
			t.Fatalf("stand-alone referral: %d %s", res.StatusCode, res.location())
		}
		rid := strings.TrimSuffix(strings.TrimPrefix(res.location(), "/referrals/"), "?done=sent")
		view := e.apiClient("provider_b").json("GET", "/api/v1/referrals/"+rid, "")
		if view.StatusCode != 200 || !strings.Contains(view.Body, "Needs a school place") || !strings.Contains(view.Body, `"shared":null`) {
			t.Errorf("provider's view of a stand-alone referral: %d %s", view.StatusCode, view.Body)
		}
		if res := e.session("other_agency").get("/referrals/" + rid); res.StatusCode != 404 {
			t.Errorf("another agency's caseworker opens the referral: %d", res.StatusCode)
		}
		// A screening that found full case management is referred from its case, not stand-alone.
		full := cw.post("/screen", url.Values{"case_type": {"cp"}, "age": {"9"}, "answer_harmed_or_at_risk": {"yes"},
			"answer_case_management_appropriate": {"yes"}})
		if res := cw.post(full.location()+"/referrals", form); res.StatusCode != 422 ||
			!strings.Contains(res.Body, "did not find a stand-alone referral") {
			t.Errorf("stand-alone referral from a full case management screening: %d", res.StatusCode)
		}
	})
}
