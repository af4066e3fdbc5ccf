package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// addUser adds a user with key to the environment (a second agency's
// staff, for the coordination tests).
func (e *env) addUser(key string, role org.Role, agency, team string) *org.User {
	e.t.Helper()
	hash, err := auth.HashPassword(testPassword, cheap)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.now()
	u := &org.User{AgencyID: agency, TeamID: team, Username: strings.ReplaceAll(key, "_", "-"), DisplayName: "User " + key,
		Role: role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := e.db.Tx(context.Background(), func(tx *store.Tx) error { return tx.InsertUser(context.Background(), u) }); err != nil {
		e.t.Fatal(err)
	}
	e.users[key] = u
	return u
}

// coordWorld is a GBV case of agency A's caseworker, and at the other
// agency a clinic in the directory, its service provider and a supervisor.
type coordWorld struct {
	c        *cases.Case
	svc      *directory.Service
	provider *org.User
	supB     *org.User
}

func newCoordWorld(t *testing.T, e *env) *coordWorld {
	w := &coordWorld{}
	teamB := e.users["other_agency"].TeamID
	w.provider = e.addUser("provider_b", org.ServiceProvider, e.agencyB, "")
	w.supB = e.addUser("supervisor_b", org.Supervisor, e.agencyB, teamB)
	ctx := context.Background()
	now := e.clock.now()
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		cw := e.users["caseworker"]
		w.c, err = cases.Register(ctx, tx, e.srv.prof, fixture.Actor(cw), fixture.Registration(profile.GBV),
			func() string { return cases.NewCode("C") }, now)
		if err != nil {
			return err
		}
		w.svc = &directory.Service{AgencyID: e.agencyB, Organisation: "Other Agency clinic", Sector: "health_nutrition",
			Services: "Clinical management of rape", FocalUserID: w.provider.ID, AvgDays: 3,
			LastVerified: now.Format("2006-01-02"), Active: true, CreatedBy: e.users["system_admin"].ID, CreatedAt: now,
			UpdatedAt: now}
		return tx.InsertDirectoryService(ctx, w.svc)
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// status opens path and returns the HTTP status, whatever it is.
func (b *browser) status(path string) int64 {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.e.ts.URL+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// fillIn types text into the control named name of the form whose action ends with form.
func (b *browser) fillIn(form, name, text string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.CSS("form[action$='"+form+"'] [name='"+name+"']"), text))
}

// chooseIn sets the control named name of the form whose action ends with form.
func (b *browser) chooseIn(form, name, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS("form[action$='"+form+"'] [name='"+name+"']"), value))
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

// TestBrowserCoordination follows one survivor across two agencies: a
// referral refused for lack of consent, consent recorded, a referral
// sharing two sections; the other agency's provider sees those two and
// nothing else, accepts and records the service; a case conference with a
// participant of the other agency; an external transfer accepted, after
// which the first caseworker can no longer open the case. The audit trail
// holds every share.
func TestBrowserCoordination(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newCoordWorld(t, e)
		b := newBrowser(t, e)
		id := w.c.ID
		today := e.clock.now().Format("2006-01-02")

		// 1. Referral without consent to share: refused, nothing sent.
		b.signIn("caseworker")
		b.open("/cases/" + id)
		if b.count("a[href='/cases/"+id+"/coordination']") == 0 {
			t.Fatal("the case page does not link to its coordination page")
		}
		b.open("/cases/" + id + "/coordination")
		b.open(b.attr("#new-referral", "href"))
		b.chooseIn("/referrals", "service_id", w.svc.ID)
		b.fillIn("/referrals", "reason", "Needs clinical care after an assault")
		if b.count("form[action$='/referrals'] input[name=sections][value=registration]:checked") != 1 ||
			b.count("form[action$='/referrals'] input[name=sections][value=identity]:checked") != 1 ||
			b.count("form[action$='/referrals'] input[name=sections]:checked") != 2 {
			t.Error("the referral form does not propose the inter-agency form's sections (identity and contact, registration)")
		}
		b.click("input[name=sections][value=assessment]")
		b.submitRefused("form[action$='/referrals'] button[type=submit]")
		b.wantText(".error-summary", "Consent to share with service providers is not recorded")
		b.screenshot("referral-refused")
		if n := b.count("#referrals table"); n != 0 {
			t.Fatalf("a refused referral is listed")
		}

		// 2. Consent to share recorded on the consent page.
		b.open("/cases/" + id + "/consent")
		b.choose("scope", "share_services")
		b.choose("giver", "self")
		b.click("input[name=kind][value=consent]")
		b.click("input[name=decision][value=given]")
		b.choose("method", "written")
		b.choose("obtained_on", today)
		b.submit("form[action$='/consent'] button[type=submit]")

		// 3. The referral again, sharing registration and assessment: the
		// sender unticks identity, every section stays their choice.
		b.open("/cases/" + id + "/referrals/new")
		b.chooseIn("/referrals", "service_id", w.svc.ID)
		b.fillIn("/referrals", "reason", "Needs clinical care after an assault")
		b.click("input[name=sections][value=identity]")
		b.click("input[name=sections][value=assessment]")
		b.submit("form[action$='/referrals'] button[type=submit]")
		b.wantText("#referrals", "Other Agency clinic", "Sent")
		b.wantText("#shares", "Referral", "User provider_b", "Registration", "Assessment", "Consent")
		rid := strings.TrimPrefix(b.attr("#referrals a[href^='/referrals/']", "href"), "/referrals/")
		b.open("/cases/" + id)
		b.wantText("#case-referrals", "Other Agency clinic", "Sent")
		b.screenshot("case-with-referral")
		b.signOut()

		// 4. The provider of the other agency: the two sections, nothing else.
		b.signIn("provider_b")
		b.wantText("main", w.c.Code)
		if b.count("a[href='/referrals/"+rid+"']") == 0 {
			t.Fatal("the provider's inbox does not list the referral")
		}
		b.open("/referrals/" + rid)
		b.wantText("#referral-sections", "Registration", "Assessment")
		b.screenshot("referral-provider")
		b.wantText(".shared", "Registration (type, age, sex, concerns, risk)", "Assessment", "Medium")
		page := b.bodyText()
		for _, secret := range []string{"Amina", "Camp 3", "block leader", "Identity (name"} {
			if strings.Contains(page, secret) {
				t.Errorf("the provider's page shows %q, which was not shared", secret)
			}
		}
		for _, path := range []string{"/cases/" + id, "/cases/" + id + "/assessments", "/cases/" + id + "/consent",
			"/cases/" + id + "/coordination", "/api/v1/cases/" + id} {
			if got := b.status(path); got != 404 {
				t.Errorf("provider opens %s: HTTP %d, want 404", path, got)
			}
		}
		b.open("/referrals/" + rid)
		b.submit("form[action$='/respond'] button[type=submit]")
		b.wantText("#referral-status", "Accepted")
		b.fill("service_note", "Seen by the nurse; PEP given")
		b.submit("form[action$='/service'] button[type=submit]")
		b.wantText("#referral-status", "Service provided")
		b.signOut()

		// 5. A case conference with the other agency's caseworker.
		ext := e.users["other_agency"]
		b.signIn("caseworker")
		b.open("/cases/" + id + "/coordination")
		b.open(b.attr("#new-conference", "href"))
		b.fillIn("/conferences", "reason", "Agree who does what after the clinic")
		b.chooseIn("/conferences", "scheduled_at", e.clock.now().AddDate(0, 0, 2).Format("2006-01-02")+"T10:00")
		b.do(chromedp.SetValue(chromedp.CSS("#f-other-0"), ext.ID)) // picked by name and role, not by sign-in name
		b.click("input[name=participants][value='" + e.users["supervisor"].ID + "']")
		b.submit("form[action$='/conferences'] button[type=submit]")
		b.open(b.attr("#conferences a[href^='/conferences/']", "href"))
		b.wantText("#participants", "User other_agency", "external participant", "User supervisor")
		b.openDetails("form[action$='/record']")
		b.fillIn("/record", "summary", "Safe at her sister's; clinic seen")
		b.fillIn("/record", "decisions", "Other Agency follows up the medical care")
		b.do(chromedp.SetValue(chromedp.CSS("select[name=action_owner]"), ext.ID),
			chromedp.SendKeys(chromedp.CSS("input[name=action_description]"), "Book the follow-up visit"),
			chromedp.SetValue(chromedp.CSS("input[name=action_due]"), e.clock.now().AddDate(0, 0, 7).Format("2006-01-02")))
		b.submit("form[action$='/record'] button[type=submit]")
		b.wantText("#record", "Book the follow-up visit", "User other_agency")
		b.screenshot("conference-record")
		b.signOut()

		b.signIn("other_agency")
		b.open("/coordination")
		b.open(b.attr("#inbox-conferences a[href^='/conferences/']", "href"))
		b.wantText(".shared", "Registration")
		if strings.Contains(b.bodyText(), "Amina") {
			t.Error("the external participant sees the name, which the conference did not share")
		}
		b.submit("#sign-off button[type=submit]")
		b.wantText("#participants", "signed")
		b.signOut()

		// 6. External transfer to the other agency, accepted there.
		b.signIn("caseworker")
		b.open("/cases/" + id + "/coordination")
		b.openDetails("form[action$='/transfers']")
		b.chooseIn("/transfers", "to_agency_id", e.agencyB)
		b.chooseIn("/transfers", "reason", "relocation")
		b.fillIn("/transfers", "reason_notes", "She moves to the north")
		b.chooseIn("/transfers", "family_told_on", today)
		b.fillIn("/transfers", "family_told_to", "The survivor herself")
		b.fillIn("/transfers", "family_told_why", "She moves where Other Agency works; they take over")
		b.fillIn("/transfers", "handover_plan", "Joint call with the new caseworker, then handover of the plan")
		b.chooseIn("/transfers", "warm_handover_on", e.clock.now().AddDate(0, 0, 3).Format("2006-01-02"))
		b.submit("form[action$='/transfers'] button[type=submit]")
		b.wantText("#transfers", "To another agency", "Waiting for a decision")
		b.screenshot("coordination-page")
		b.signOut()

		b.signIn("supervisor_b")
		b.open("/coordination")
		b.open(b.attr("#inbox-transfers a[href^='/transfers/']", "href"))
		b.wantText(".shared", "Registration")
		b.screenshot("transfer-receiver")
		b.choose("caseworker_id", ext.ID)
		b.submit("form[action$='/decide'] button[type=submit]")
		b.wantText("#transfer-status", "Accepted")
		b.signOut()

		// 7. The first caseworker can no longer open the case; the new one can.
		b.signIn("caseworker")
		if got := b.status("/cases/" + id); got != 404 {
			t.Errorf("first caseworker opens the transferred case: HTTP %d, want 404", got)
		}
		b.signOut()
		b.signIn("other_agency")
		b.open("/cases/" + id)
		b.wantText("main", w.c.Code)

		// The audit trail shows every share and every read through a grant.
		if err := e.db.Read(context.Background(), func(tx *store.Tx) error {
			evs, err := tx.AuditEvents(context.Background(), store.AuditFilter{CaseID: id, Limit: 500})
			if err != nil {
				return err
			}
			got := map[string]int{}
			for _, ev := range evs {
				got[ev.Action]++
			}
			for _, a := range []string{"referral.share", "share.view", "referral.accepted", "referral.provided",
				"conference.schedule", "conference.sign_off", "transfer.request", "transfer.accept"} {
				if got[a] == 0 {
					t.Errorf("no %s in the audit trail: %v", a, got)
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
