package web

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
)

// consentRefExpectations: the consent form for everyone at once is the
// consent page's, edited by whoever edits the case's consent.
func consentRefExpectations() map[string]expect {
	return map[string]expect{
		"POST /cases/{id}/consent/all":    {allow: caseEditors, denyAs: caseDeny, body: "rows.0.giver=self"},
		"GET /cases/{id}/referrals/new":   {allow: caseEditors, denyAs: caseDeny},
		"GET /cases/{id}/conferences/new": {allow: caseEditors, denyAs: caseDeny},
	}
}

// familyCase registers a CP case of a 10-year-old for the caseworker with
// the given caregivers on its family list (names), and returns the case and
// their IDs in order.
func familyCase(t *testing.T, e *env, names ...string) (*cases.Case, []string) {
	t.Helper()
	ctx := context.Background()
	cw := fixture.Actor(e.users["caseworker"])
	now := e.clock.now()
	var c *cases.Case
	var ids []string
	if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
		age := 10
		if c, err = cases.Register(ctx, tx, e.srv.prof, cw, cases.Registration{Type: "cp", GivenName: "Zainab", Age: &age,
			Sex: "female", Location: "Camp 3", Contact: "teacher", CareStatus: cases.Accompanied,
			Concerns: []string{"neglect"}, RiskLevel: "low", RiskReason: "test"},
			func() string { return cases.NewCode("C") }, now); err != nil {
			return err
		}
		// Consent to collect and store first (the family list waits for
		// it): the child's assent and an unlisted caregiver's consent.
		if _, err := consent.RecordAll(ctx, tx, e.srv.prof, cw, c.ID, consent.AllInput{Rows: []consent.Row{
			{Giver: consent.Self, Kind: consent.KindAssent, Scopes: []string{"collect_store"}, Method: "written"},
			{Giver: consent.Caregiver, Kind: consent.KindConsent, Scopes: []string{"collect_store"}, Method: "written"}}}, now); err != nil {
			return err
		}
		for i, n := range names {
			rel := "mother"
			if i%2 == 1 {
				rel = "father"
			}
			x, err := family.Add(ctx, tx, e.srv.prof, cw, c.ID, family.Input{Name: n, Relationship: rel, IsCaregiver: true}, now)
			if err != nil {
				return err
			}
			ids = append(ids, x.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return c, ids
}

func consentCount(t *testing.T, e *env, caseID string) int {
	t.Helper()
	n := 0
	if err := e.db.Read(context.Background(), func(tx *store.Tx) error {
		recs, err := tx.Consents(context.Background(), caseID)
		n = len(recs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// allForm is the form for everyone: the child's assent and each
// caregiver's consent to scopes, by written record.
func allForm(caregivers []string, scopes ...string) url.Values {
	v := url.Values{"rows.0.giver": {"self"}, "rows.0.kind": {"assent"}, "rows.0.method": {"written"}, "rows.0.scopes": scopes}
	for i, id := range caregivers {
		p := "rows." + string(rune('1'+i)) + "."
		v[p+"giver"], v[p+"person_id"], v[p+"kind"], v[p+"method"], v[p+"scopes"] = []string{"caregiver"}, []string{id},
			[]string{"consent"}, []string{"written"}, scopes
	}
	return v
}

// The child and two caregivers in one POST: every record, or — one row
// wrong — none, the page again naming whose row and which field.
func TestConsentAllOnePost(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c, ids := familyCase(t, e, "Halima Secret", "Yusuf Secret")
		cw := e.as("caseworker")
		page := cw.get("/cases/" + c.ID + "/consent")
		for _, want := range []string{`action="/cases/` + c.ID + `/consent/all"`, `name="rows.1.person_id" value="` + ids[0] + `"`,
			`name="rows.2.person_id" value="` + ids[1] + `"`, "Halima Secret", `name="rows.0.kind" value="assent" checked`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("consent page lacks %s", want)
			}
		}

		bad := allForm(ids, "participation", "collect_store")
		bad.Del("rows.2.method")
		res := cw.post("/cases/"+c.ID+"/consent/all", bad)
		if res.StatusCode != 422 {
			t.Fatalf("one row without its method: %d, want 422", res.StatusCode)
		}
		if !strings.Contains(res.Body, "Yusuf Secret (Father) — How it was documented: Choose one of the options.") {
			t.Errorf("the error does not name the caregiver and the field:\n%s", res.Body)
		}
		if !strings.Contains(res.Body, `<option value="written" selected>`) {
			t.Error("what was typed is not shown again")
		}
		if n := consentCount(t, e, c.ID); n != 2 {
			t.Errorf("%d records after a refused form, want the 2 from before", n-2)
		}

		other, strangers := familyCase(t, e, "Stranger Secret")
		_ = other
		forged := allForm([]string{ids[0], strangers[0]}, "participation")
		if res := cw.post("/cases/"+c.ID+"/consent/all", forged); res.StatusCode != 422 ||
			!strings.Contains(res.Body, "Choose someone from the family list of this case.") {
			t.Errorf("a caregiver of another case: %d", res.StatusCode)
		}
		if n := consentCount(t, e, c.ID); n != 2 {
			t.Errorf("%d records written by a form naming another case's family", n-2)
		}

		res = cw.post("/cases/"+c.ID+"/consent/all", allForm(ids, "participation", "collect_store"))
		if res.StatusCode != 303 || res.Header.Get("Location") != "/cases/"+c.ID+"/consent?done=recorded_all" {
			t.Fatalf("the form for everyone: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if n := consentCount(t, e, c.ID); n != 2+6 {
			t.Errorf("%d records written, want 6 (3 people × 2 scopes)", n-2)
		}
	})
}

// shareConsent records the survivor's consent to share with service
// providers on case id.
func shareConsent(t *testing.T, e *env, id string) {
	t.Helper()
	ctx := context.Background()
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := consent.Add(ctx, tx, e.srv.prof, fixture.Actor(e.users["caseworker"]), id, consent.Input{Scope: "share_services",
			Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given, Method: "written"}, e.clock.now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func referralCount(t *testing.T, e *env, caseID string) int {
	t.Helper()
	n := 0
	if err := e.db.Read(context.Background(), func(tx *store.Tx) error {
		rs, err := tx.CaseReferrals(context.Background(), caseID)
		n = len(rs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// The referral form's page: identity and registration ticked by default,
// every section still the sender's choice; without consent to share the
// referral is refused (the page again, the sender's choice kept); the
// person to send it to is picked by name and role among the case staff
// and focal points, and an id of the wrong agency is refused.
func TestReferralFormDefaultsAndPicker(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		id := w.c.ID
		volunteerB := e.addUser("volunteer_b", org.Volunteer, e.agencyB, "")
		goneB := e.addUser("gone_b", org.Caseworker, e.agencyB, e.users["other_agency"].TeamID)
		if err := e.db.Tx(context.Background(), func(tx *store.Tx) error {
			goneB.DisabledAt = e.clock.now()
			return tx.UpdateUser(context.Background(), goneB)
		}); err != nil {
			t.Fatal(err)
		}
		cw := e.as("caseworker")
		page := cw.get("/cases/" + id + "/referrals/new")
		if page.StatusCode != 200 {
			t.Fatalf("referral form: %d", page.StatusCode)
		}
		for _, want := range []string{`value="identity" checked`, `value="registration" checked`, `value="family">`,
			`value="assessment">`, `<optgroup label="Other Agency">`, `value="` + w.provider.ID + `">User provider_b — `,
			`value="` + w.supB.ID + `">User supervisor_b — Supervisor (Other Agency)`, `name="form" value="page"`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("referral form lacks %s", want)
			}
		}
		for _, u := range []*org.User{volunteerB, goneB, e.users["agency_admin"], e.users["community_volunteer"], e.users["service_provider"]} {
			if strings.Contains(page.Body, `value="`+u.ID+`"`) {
				t.Errorf("%s (%s) offered as a receiver", u.DisplayName, u.Role)
			}
		}

		form := url.Values{"form": {"page"}, "service_id": {w.svc.ID}, "reason": {"Medical care"},
			"sections": {"identity", "family"}, "to_user_id": {w.supB.ID}}
		res := cw.post("/cases/"+id+"/referrals", form)
		if res.StatusCode != 422 || !strings.Contains(res.Body, "Consent to share with service providers is not recorded") {
			t.Fatalf("a referral without consent: %d", res.StatusCode)
		}
		if !strings.Contains(res.Body, `value="family" checked`) || strings.Contains(res.Body, `value="registration" checked`) ||
			!strings.Contains(res.Body, `value="`+w.supB.ID+`" selected`) {
			t.Error("the refused form does not keep what the sender chose")
		}
		shareConsent(t, e, id)
		forged := url.Values{"form": {"page"}, "service_id": {w.svc.ID}, "reason": {"Medical care"},
			"sections": {"identity"}, "to_user_id": {e.users["supervisor"].ID}} // agency A's: not the clinic's
		if res := cw.post("/cases/"+id+"/referrals", forged); res.StatusCode != 422 || !strings.Contains(res.Body, `id="referral-form"`) {
			t.Errorf("a receiver of another agency: %d", res.StatusCode)
		}
		if n := referralCount(t, e, id); n != 0 {
			t.Fatalf("%d referrals sent by refused forms", n)
		}
		if res := cw.post("/cases/"+id+"/referrals", form); res.StatusCode != 303 {
			t.Fatalf("the referral: %d", res.StatusCode)
		}
		var rs []referral.Referral
		if err := e.db.Read(context.Background(), func(tx *store.Tx) (err error) {
			rs, err = tx.CaseReferrals(context.Background(), id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].ToUserID != w.supB.ID || !slices.Equal(share.Names(rs[0].Sections), []string{"identity", "family"}) {
			t.Errorf("referrals %+v", rs)
		}
	})
}

// The conference form's page invites the agency's people and, by name and
// role, the other agencies' case staff and focal points; an id of someone
// who may not take part (a volunteer of the other agency) is refused.
func TestConferenceFormPicker(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		id := w.c.ID
		volunteerB := e.addUser("volunteer_b", org.Volunteer, e.agencyB, "")
		shareConsent(t, e, id)
		cw := e.as("caseworker")
		page := cw.get("/cases/" + id + "/conferences/new")
		if page.StatusCode != 200 {
			t.Fatalf("conference form: %d", page.StatusCode)
		}
		for _, want := range []string{`value="` + e.users["supervisor"].ID + `"> User supervisor — Supervisor`,
			`value="` + w.supB.ID + `">User supervisor_b — Supervisor (Other Agency)`, `id="f-other-2"`} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("conference form lacks %s", want)
			}
		}
		if strings.Contains(page.Body, `value="`+volunteerB.ID+`"`) || strings.Contains(page.Body, "external_participants") {
			t.Error("the form offers a volunteer, or asks for sign-in names")
		}
		form := url.Values{"form": {"page"}, "reason": {"Plan together"}, "scheduled_at": {"2026-11-25T10:00"},
			"participants": {e.users["supervisor"].ID, volunteerB.ID}}
		if res := cw.post("/cases/"+id+"/conferences", form); res.StatusCode != 422 || !strings.Contains(res.Body, `id="conference-form"`) {
			t.Errorf("a volunteer invited: %d", res.StatusCode)
		}
		form["participants"] = []string{e.users["supervisor"].ID, w.supB.ID, ""}
		if res := cw.post("/cases/"+id+"/conferences", form); res.StatusCode != 303 {
			t.Fatalf("the conference: %d\n%s", res.StatusCode, res.Body)
		}
		var confs []conference.Conference
		if err := e.db.Read(context.Background(), func(tx *store.Tx) (err error) {
			confs, err = tx.CaseConferences(context.Background(), id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(confs) != 1 {
			t.Fatalf("%d conferences", len(confs))
		}
	})
}
