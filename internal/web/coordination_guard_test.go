package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/store"
)

// TestSharesEndWithConsent: a referral's receiver reads nothing once the
// consent it rests on is withdrawn, or once their agency is excluded; a
// referral named to an administrator is refused; a declined transfer is
// out of the receiving side's sight; malformed IDs are not found on every
// engine.
func TestSharesEndWithConsent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		id := w.c.ID
		ctx := context.Background()
		cw, prov := e.apiClient("caseworker"), e.apiClient("provider_b")
		var rec *consent.Record
		if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
			rec, err = consent.Add(ctx, tx, e.srv.prof, fixture.Actor(e.users["caseworker"]), id, consent.Input{
				Scope: "share_services", Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given,
				Method: "written", ObtainedOn: e.clock.now().Format("2006-01-02")}, e.clock.now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Named to the other agency's administrator: refused.
		admin := e.addUser("admin_b", "agency_admin", e.agencyB, "")
		res := cw.json("POST", "/api/v1/cases/"+id+"/referrals", fmt.Sprintf(
			`{"service_id":%q,"to_user_id":%q,"reason":"care","sections":["identity"]}`, w.svc.ID, admin.ID))
		if res.StatusCode != 422 || !strings.Contains(res.Body, "to_user_id") {
			t.Fatalf("referral named to an administrator: %d %s", res.StatusCode, res.Body)
		}
		res = cw.json("POST", "/api/v1/cases/"+id+"/referrals", fmt.Sprintf(
			`{"service_id":%q,"reason":"care","sections":["identity","registration"]}`, w.svc.ID))
		if res.StatusCode != 201 {
			t.Fatalf("referral: %d %s", res.StatusCode, res.Body)
		}
		var r struct{ ID string }
		mustJSON(t, res.Body, &r)
		if v := prov.json("GET", "/api/v1/referrals/"+r.ID, ""); !strings.Contains(v.Body, "Amina") {
			t.Fatalf("provider does not see the shared identity: %s", v.Body)
		}
		// Consent withdrawn: nothing shown, the page says why.
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := consent.Withdraw(ctx, tx, fixture.Actor(e.users["caseworker"]), id, rec.ID, rec.Version,
				"she no longer wants the clinic to know", e.clock.now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		v := prov.json("GET", "/api/v1/referrals/"+r.ID, "")
		if v.StatusCode != 200 || strings.Contains(v.Body, "Amina") || !strings.Contains(v.Body, `"withheld":true`) {
			t.Errorf("after withdrawal the provider reads: %d %s", v.StatusCode, v.Body)
		}
		if page := e.session("provider_b").get("/referrals/" + r.ID); strings.Contains(page.Body, "Amina") ||
			!strings.Contains(page.Body, "consent it was shared under was withdrawn") {
			t.Errorf("after withdrawal the provider's page: %.3000s", page.Body)
		}
		// Malformed IDs are missing records on both engines.
		for _, path := range []string{"/cases/zz/coordination", "/referrals/zz", "/transfers/zz", "/conferences/zz",
			"/screenings/zz/referrals"} {
			if res := e.session("caseworker").get(path); res.StatusCode != 404 {
				t.Errorf("GET %s: %d", path, res.StatusCode)
			}
		}
		for _, path := range []string{"/api/v1/cases/not-a-uuid/coordination", "/api/v1/referrals/x"} {
			if res := cw.json("GET", path, ""); res.StatusCode != 404 {
				t.Errorf("GET %s: %d", path, res.StatusCode)
			}
		}
		if res := cw.json("POST", "/api/v1/cases/not-a-uuid/referrals", `{"reason":"x"}`); res.StatusCode != 404 {
			t.Errorf("POST to a malformed case: %d", res.StatusCode)
		}
	})
}

// TestDeclinedTransferOutOfSight: once the receiving agency declines, its
// supervisor can no longer open the transfer (its notes are the family's).
func TestDeclinedTransferOutOfSight(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		ctx := context.Background()
		today := e.clock.now().Format("2006-01-02")
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := consent.Add(ctx, tx, e.srv.prof, fixture.Actor(e.users["caseworker"]), w.c.ID, consent.Input{
				Scope: "share_services", Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given,
				Method: "written", ObtainedOn: today}, e.clock.now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		cw, supB := e.apiClient("caseworker"), e.apiClient("supervisor_b")
		res := cw.json("POST", "/api/v1/cases/"+w.c.ID+"/transfers", fmt.Sprintf(`{"version":1,"to_agency_id":%q,
			"reason":"relocation","family_told_on":%q,"family_told_to":"her","family_told_why":"her aunt lives there",
			"handover_plan":"call","no_warm_handover_why":"distance"}`, e.agencyB, today))
		if res.StatusCode != 201 {
			t.Fatalf("transfer: %d %s", res.StatusCode, res.Body)
		}
		var tr struct{ ID string }
		mustJSON(t, res.Body, &tr)
		if res := supB.json("POST", "/api/v1/transfers/"+tr.ID+"/decide", `{"version":1,"accept":false,"decline_reason":"no capacity"}`); res.StatusCode != 200 {
			t.Fatalf("decline: %d %s", res.StatusCode, res.Body)
		}
		if res := supB.json("GET", "/api/v1/transfers/"+tr.ID, ""); res.StatusCode != 404 {
			t.Errorf("receiving supervisor reads a declined transfer: %d %s", res.StatusCode, res.Body)
		}
		if res := cw.json("GET", "/api/v1/transfers/"+tr.ID, ""); res.StatusCode != 200 {
			t.Errorf("sender cannot read the declined transfer: %d", res.StatusCode)
		}
	})
}

func mustJSON(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}

// TestCoordinationAPIExtras: withdrawing a transfer, closing a conference,
// recording that the family was told and a stand-alone referral, through
// the API, answers checked against OpenAPI.
func TestCoordinationAPIExtras(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		id := w.c.ID
		cw, sup := e.apiClient("caseworker"), e.apiClient("supervisor")
		today := e.clock.now().Format("2006-01-02")
		call := func(c *client, method, path, route, body string, want int) map[string]any {
			t.Helper()
			res := c.json(method, path, body)
			if res.StatusCode != want {
				t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, res.Body)
			}
			doc.checkResponse(t, method, route, res)
			var m map[string]any
			mustJSON(t, res.Body, &m)
			return m
		}
		// A supervisor shares without consent: the family must be told.
		call(sup, "POST", "/api/v1/cases/"+id+"/referrals", "/api/v1/cases/{id}/referrals", fmt.Sprintf(
			`{"service_id":%q,"reason":"urgent care","sections":["registration"],"override_reason":"she is injured and cannot be asked now"}`,
			w.svc.ID), 201)
		co := call(cw, "GET", "/api/v1/cases/"+id+"/coordination", "/api/v1/cases/{id}/coordination", "", 200)
		if co["tell_family"] != true {
			t.Fatalf("no task to tell the family: %v", co)
		}
		call(cw, "POST", "/api/v1/cases/"+id+"/family-told", "/api/v1/cases/{id}/family-told", `{"told_on":"","told_to":""}`, 422)
		co = call(cw, "POST", "/api/v1/cases/"+id+"/family-told", "/api/v1/cases/{id}/family-told",
			`{"told_on":"`+today+`","told_to":"the survivor, at the clinic"}`, 200)
		if co["tell_family"] != false {
			t.Errorf("the task to tell the family is still open: %v", co["tell_family"])
		}
		// An internal transfer withdrawn.
		c := call(cw, "GET", "/api/v1/cases/"+id, "/api/v1/cases/{id}", "", 200)
		tr := call(cw, "POST", "/api/v1/cases/"+id+"/transfers", "/api/v1/cases/{id}/transfers", fmt.Sprintf(
			`{"version":%d,"to_user_id":%q,"reason":"caseworker_unavailable","family_told_on":%q,"family_told_to":"her",
			"family_told_why":"leave","handover_plan":"call","no_warm_handover_why":"urgent"}`,
			int(c["version"].(float64)), e.users["caseworker2"].ID, today), 201)
		tid := tr["id"].(string)
		if got := call(cw, "POST", "/api/v1/transfers/"+tid+"/withdraw", "/api/v1/transfers/{id}/withdraw", `{"version":1}`, 200); got["status"] != "withdrawn" {
			t.Errorf("withdrawn transfer: %v", got)
		}
		// A conference closed without every sign-off.
		conf := call(cw, "POST", "/api/v1/cases/"+id+"/conferences", "/api/v1/cases/{id}/conferences", fmt.Sprintf(
			`{"reason":"coordinate","scheduled_at":"%sT10:00","participants":[%q]}`, today, e.users["supervisor"].ID), 201)
		if got := call(cw, "POST", "/api/v1/conferences/"+conf["id"].(string)+"/close", "/api/v1/conferences/{id}/close", `{"version":1}`, 200); got["status"] != "closed" {
			t.Errorf("closed conference: %v", got["status"])
		}
		// A stand-alone referral through the API.
		res := e.session("caseworker").post("/screen", url.Values{"case_type": {"cp"}, "age": {"9"},
			"answer_harmed_or_at_risk": {"yes"}, "answer_case_management_appropriate": {"no"}})
		sid := strings.TrimPrefix(res.location(), "/screenings/")
		call(cw, "POST", "/api/v1/screenings/"+sid+"/referrals", "/api/v1/screenings/{id}/referrals", fmt.Sprintf(
			`{"service_id":%q,"reason":"school place","consent_giver":"the mother","consent_on":%q}`, w.svc.ID, today), 201)
	})
}

// TestConferenceOtherAgencyPeople: people of other agencies are picked by
// name and role on the conference form's own page (their IDs are posted,
// never a sign-in name); an unknown one is refused naming the field, and
// another agency's person needs consent to share.
func TestConferenceOtherAgencyPeople(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		cw := e.session("caseworker")
		page := cw.get("/cases/" + w.c.ID + "/conferences/new")
		other := e.users["other_agency"]
		if page.StatusCode != 200 || !strings.Contains(page.Body, `value="`+other.ID+`"`) ||
			strings.Contains(page.Body, `name="external_participants"`) {
			t.Fatalf("the conference page does not offer the other agency's people by name (%d)", page.StatusCode)
		}
		form := url.Values{"reason": {"coordinate"}, "scheduled_at": {"2026-11-25T10:00"},
			"participants": {e.users["supervisor"].ID, "00000000-0000-0000-0000-00000000dead"}}
		res := cw.post("/cases/"+w.c.ID+"/conferences", form)
		if res.StatusCode != 422 || !strings.Contains(res.Body, `id="f-participants"`) {
			t.Fatalf("unknown participant: %d", res.StatusCode)
		}
		form["participants"] = []string{e.users["supervisor"].ID, other.ID}
		res = cw.post("/cases/"+w.c.ID+"/conferences", form)
		if res.StatusCode != 422 || !strings.Contains(res.Body, "people of another agency cannot take part") {
			t.Fatalf("external participant without consent: %d", res.StatusCode)
		}
	})
}

// TestBulkTransferAPI: a manager offers a team's open cases to another
// agency; a case without consent to share stays and is listed with why.
func TestBulkTransferAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		ctx := context.Background()
		today := e.clock.now().Format("2006-01-02")
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := consent.Add(ctx, tx, e.srv.prof, fixture.Actor(e.users["caseworker"]), w.c.ID, consent.Input{
				Scope: "share_services", Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given,
				Method: "written", ObtainedOn: today}, e.clock.now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		other := e.apiClient("caseworker")
		res := other.json("POST", "/api/v1/cases", `{"type":"cp","given_name":"Bo","age":9,"sex":"male","location":"x",
			"contact":"y","care_status":"accompanied","concerns":["neglect"],"risk_level":"low","risk_reason":"test"}`)
		if res.StatusCode != 201 {
			t.Fatalf("register: %d %s", res.StatusCode, res.Body)
		}
		body := fmt.Sprintf(`{"team_id":%q,"to_agency_id":%q,"reason":"organisational","family_told_on":%q,
			"family_told_to":"each family","family_told_why":"the programme closes","handover_plan":"case files handed over in person",
			"no_warm_handover_why":"too many cases at once"}`, e.users["caseworker"].TeamID, e.agencyB, today)
		if res := e.apiClient("supervisor").json("POST", "/api/v1/transfers/bulk", body); res.StatusCode != 403 {
			t.Errorf("supervisor runs a bulk transfer: %d", res.StatusCode)
		}
		res = e.apiClient("manager").json("POST", "/api/v1/transfers/bulk", body)
		if res.StatusCode != 201 {
			t.Fatalf("bulk: %d %s", res.StatusCode, res.Body)
		}
		doc.checkResponse(t, "POST", "/api/v1/transfers/bulk", res)
		type ref struct {
			CaseID string `json:"case_id"`
			Why    string `json:"why"`
		}
		var out struct {
			Requested []ref `json:"requested"`
			Skipped   []ref `json:"skipped"`
		}
		mustJSON(t, res.Body, &out)
		if len(out.Requested) != 1 || out.Requested[0].CaseID != w.c.ID || len(out.Skipped) != 1 ||
			out.Skipped[0].Why != "err.referral_no_consent" {
			t.Errorf("bulk result: %s", res.Body)
		}
	})
}
