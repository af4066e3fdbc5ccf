package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/store"
)

// closedCase registers a CP case of a 10-year-old for agency A's caseworker
// with consent and assent (with notes), an exclusion naming a person, a
// family member, a referral to another agency's clinic with its reason and
// outcome, and closes it. It returns the case.
func closedCase(t *testing.T, e *env) *cases.Case {
	t.Helper()
	ctx := context.Background()
	p := e.srv.prof
	now := e.clock.now()
	today := now.Format(time.DateOnly)
	cw, sup := fixture.Actor(e.users["caseworker"]), fixture.Actor(e.users["supervisor"])
	provider := e.addUser("provider_closed", org.ServiceProvider, e.agencyB, "")
	var c *cases.Case
	if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
		age := 10
		if c, err = cases.Register(ctx, tx, p, cw, cases.Registration{Type: "cp", GivenName: secretName, Age: &age,
			Sex: "female", Location: "Camp 3", Contact: "teacher", CareStatus: cases.Accompanied,
			Concerns: []string{"neglect"}, RiskLevel: "low", RiskReason: "test"},
			func() string { return cases.NewCode("C") }, now); err != nil {
			return err
		}
		for _, sc := range []string{"participation", "collect_store", "share_services"} {
			for _, g := range []struct{ giver, kind string }{{consent.Self, consent.KindAssent}, {consent.Caregiver, consent.KindConsent}} {
				if _, err := consent.Add(ctx, tx, p, cw, c.ID, consent.Input{Scope: sc, Giver: g.giver, Kind: g.kind,
					Decision: consent.Given, Method: "written", ObtainedOn: today, Notes: secretConsent}, now); err != nil {
					return err
				}
			}
		}
		if _, err := family.Add(ctx, tx, p, cw, c.ID, family.Input{Name: secretFamily, Relationship: "mother",
			IsCaregiver: true}, now); err != nil {
			return err
		}
		if _, err := consent.AddExclusion(ctx, tx, cw, c.ID, consent.ExclusionInput{Kind: "person", Name: secretExcluded,
			Reason: "threatened the family"}, now); err != nil {
			return err
		}
		svc := &directory.Service{AgencyID: e.agencyB, Organisation: "Closed-case clinic", Sector: "health_nutrition",
			Services: "care", FocalUserID: provider.ID, LastVerified: today, Active: true,
			CreatedBy: e.users["system_admin"].ID, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertDirectoryService(ctx, svc); err != nil {
			return err
		}
		r, err := referral.Send(ctx, tx, p, cw, c.ID, referral.Input{ServiceID: svc.ID, Reason: secretReferral,
			Sections: []string{"registration"}}, now)
		if err != nil {
			return err
		}
		if r, err = referral.Respond(ctx, tx, p, fixture.Actor(provider), r.ID, referral.Answer{Version: r.Version, Accept: true}, now); err != nil {
			return err
		}
		if _, err = referral.RecordOutcome(ctx, tx, p, cw, r.ID, referral.OutcomeInput{Version: r.Version,
			Outcome: secretOutcome}, now); err != nil {
			return err
		}
		if c, err = tx.Case(ctx, c.ID); err != nil {
			return err
		}
		cl, err := closure.Propose(ctx, tx, p, cw, c.ID, c.Version, closure.ProposeInput{Reason: closure.Death}, now)
		if err != nil {
			return err
		}
		_ = cl
		if c, err = tx.Case(ctx, c.ID); err != nil {
			return err
		}
		if _, err = closure.Approve(ctx, tx, p, sup, c.ID, c.Version, "", now); err != nil {
			return err
		}
		c, err = tx.Case(ctx, c.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if c.Status != cases.Closed {
		t.Fatalf("case %s is %s", c.Code, c.Status)
	}
	return c
}

// closedSecrets are what the data protection officer must never read of
// the closed case: consent notes, the name on the exclusion list, the
// referral's reason and outcome, the child's and the family's names.
var closedSecrets = []string{secretConsent, secretExcluded, secretReferral, secretOutcome, secretName, secretFamily,
	"Closed-case clinic"}

// TestDPOClosedCaseConsentRegister: of a closed case whose consent records
// carry notes, whose exclusion list names a person and whose referral has
// a reason and an outcome, the data protection officer reads neither the
// consent page nor the coordination page (404, as a missing case, in the
// pages and the API) and none of those strings anywhere; the officer finds
// the case's consent register by its code and reads there that the records
// exist — scope, giver's role, decision, dates, who recorded them — and
// nothing else; the read is audited. The case's supervisor still reads the
// records themselves. An unknown code, an open case's code and a closed case
// of another agency answer the lookup alike.
func TestDPOClosedCaseConsentRegister(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		c := closedCase(t, e)
		dpo, sup := e.session("dp_officer"), e.session("supervisor")
		noSecrets := func(what, body string) {
			t.Helper()
			for _, s := range closedSecrets {
				if strings.Contains(body, s) {
					t.Errorf("%s shows %q", what, s)
				}
			}
			if strings.Contains(body, e.srv.cat.Locale("en").T("consent.age", "10")) {
				t.Errorf("%s shows the child's age", what)
			}
		}
		for _, path := range []string{"/cases/" + c.ID + "/consent", "/cases/" + c.ID + "/coordination", "/cases/" + c.ID,
			"/cases/" + c.ID + "/family", "/api/v1/cases/" + c.ID + "/consent", "/api/v1/cases/" + c.ID + "/coordination",
			"/api/v1/cases/" + c.ID} {
			res := getAs(dpo, path)
			if res.StatusCode != 404 {
				t.Errorf("the officer GET %s: %d, want 404", path, res.StatusCode)
			}
			noSecrets("GET "+path+" as the officer", res.Body)
		}

		// The lookup by code leads to the register.
		res := dpo.get("/consent-register?code=" + url.QueryEscape(strings.ToLower(c.Code)))
		want := "/cases/" + c.ID + "/consent-register"
		if res.StatusCode != 303 || res.location() != want {
			t.Fatalf("lookup of the closed case: %d to %q, want 303 to %s", res.StatusCode, res.location(), want)
		}
		seq := e.lastSeq(t)
		page := dpo.get(want)
		if page.StatusCode != 200 {
			t.Fatalf("register page: %d %.300s", page.StatusCode, page.Body)
		}
		noSecrets("the register page", page.Body)
		for _, w := range []string{c.Code, "Collect and store personal information", "Share information with service providers",
			"Parent or caregiver", "Assent", "Given", e.users["caseworker"].DisplayName, "20 Nov 2026"} {
			if !strings.Contains(page.Body, w) {
				t.Errorf("the register page lacks %q", w)
			}
		}
		if n := strings.Count(page.Body, `class="register-entry"`); n != 6 {
			t.Errorf("the register page lists %d entries, want 6", n)
		}
		if len(e.readsSince(t, seq, c.ID, e.users["dp_officer"].ID)) == 0 {
			t.Error("the officer's read of the register is not audited")
		}
		api := getAs(dpo, "/api/v1/cases/"+c.ID+"/consent-register")
		if api.StatusCode != 200 {
			t.Fatalf("register API: %d %s", api.StatusCode, api.Body)
		}
		noSecrets("the register API", api.Body)
		doc.checkResponse(t, "GET", "/api/v1/cases/{id}/consent-register", api)
		var reg struct {
			CaseCode string           `json:"case_code"`
			Closed   bool             `json:"closed"`
			Entries  []map[string]any `json:"entries"`
		}
		mustJSON(t, api.Body, &reg)
		if reg.CaseCode != c.Code || !reg.Closed || len(reg.Entries) != 6 {
			t.Fatalf("register API: %s", api.Body)
		}
		keys := []string{}
		for k := range reg.Entries[0] {
			keys = append(keys, k)
		}
		allowed := map[string]bool{"scope": true, "giver": true, "kind": true, "decision": true, "obtained_on": true,
			"recorded_by": true, "recorded_at": true, "withdrawn_at": true}
		for _, k := range keys {
			if !allowed[k] {
				t.Errorf("a register entry carries %q", k)
			}
		}

		// The lookup answers alike for what the officer may not read.
		open := fixture.Register(t, e.db, fixture.Actor(e.users["caseworker"]), fixture.Registration("cp"), e.clock.now())
		var answers []string
		for _, code := range []string{"C-ZZZZZZ", open.Code, "NOT A CODE"} {
			res := dpo.get("/consent-register?code=" + url.QueryEscape(code))
			if res.StatusCode != 422 {
				t.Errorf("lookup of %q: %d", code, res.StatusCode)
			}
			answers = append(answers, strings.ReplaceAll(mainOf(res.Body), code, "CODE"))
		}
		if answers[0] != answers[1] || answers[1] != answers[2] {
			t.Errorf("the lookup tells codes apart:\n%s\n---\n%s\n---\n%s", answers[0], answers[1], answers[2])
		}
		if res := dpo.get("/cases/" + open.ID + "/consent-register"); res.StatusCode != 404 {
			t.Errorf("the officer reads the register of an open case: %d", res.StatusCode)
		}

		// The supervisor still reads the records themselves; the caseworker not.
		if res := sup.get("/cases/" + c.ID + "/consent"); res.StatusCode != 200 || !strings.Contains(res.Body, secretExcluded) {
			t.Errorf("the supervisor's consent page of the closed case: %d", res.StatusCode)
		}
		if res := e.session("caseworker").get("/cases/" + c.ID + "/coordination"); res.StatusCode != 404 {
			t.Errorf("the caseworker's coordination page of the closed case: %d", res.StatusCode)
		}
		// Another agency's officer: as a missing case.
		e.addUser("dpo_b", org.DPOfficer, e.agencyB, "")
		if res := e.session("dpo_b").get(want); res.StatusCode != 404 {
			t.Errorf("another agency's officer reads the register: %d", res.StatusCode)
		}
	})
}

// mainOf returns the <main> element of a page.
func mainOf(body string) string {
	if m := mainRE.FindString(body); m != "" {
		return m
	}
	return body
}

var mainRE = regexp.MustCompile(`(?s)<main.*</main>`)
