package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/incident"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/service"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

// Strings written into the full case that must never reach someone who may
// not read them (each is unique, so a response body containing one leaked it).
const (
	secretName      = "Nadifa"
	secretConsent   = "consent-note-mother-hesitated"
	secretExcluded  = "Uncle-Bashir-Excluded"
	secretReferral  = "referral-reason-clinic-after-assault"
	secretOutcome   = "outcome-treated-and-safe"
	secretFamily    = "Halima-Mother"
	secretAssess    = "need-safe-route-to-school"
	secretGlass     = "covering the night shift for her caseworker"
	secretOverride  = "override-reason-child-hurt-and-alone"
	secretTransfer  = "handover-plan-joint-visit"
	secretConfer    = "conference-reason-coordinate-care"
	secretIncident  = "incident-description-at-the-market"
	secretFollowUp  = "followup-note-school-uniform"
	secretPlanNotes = "objective-sleeps-safely"
)

// fullCase is a CP case of agency A's caseworker with something in every
// section of its file and every kind of share at once: a referral to
// another agency's clinic under consent, one under a supervisor's override
// (closed with an outcome), an external transfer waiting for the other
// agency, a conference with a participant of the other agency, and a
// break-glass access by caseworker2 (another team). It is linked to a case
// of caseworker2 (same agency), has asked to link a code no case has, and a
// case of the other agency asks to link it.
type fullCase struct {
	c           *cases.Case
	svc         *directory.Service
	provider    *org.User // provider_b: the clinic's focal point at agency B
	supB        *org.User // supervisor_b: decides on the transfer at agency B
	person      string    // a family member's ID
	refConsent  string    // referral under consent, open
	refOverride string    // referral under an override, closed with an outcome
	transfer    string    // external transfer, waiting
	conference  string    // conference with other_agency's caseworker
	linked      *cases.Case
}

// newFullCase builds the full case in e (adding provider_b and supervisor_b).
func newFullCase(t *testing.T, e *env) *fullCase {
	t.Helper()
	w := &fullCase{}
	teamB := e.users["other_agency"].TeamID
	w.provider = e.addUser("provider_b", org.ServiceProvider, e.agencyB, "")
	w.supB = e.addUser("supervisor_b", org.Supervisor, e.agencyB, teamB)
	ctx := context.Background()
	p := e.srv.prof
	now := e.clock.now()
	today := now.Format(time.DateOnly)
	cw, sup := fixture.Actor(e.users["caseworker"]), fixture.Actor(e.users["supervisor"])
	step := func(what string, fn func(tx *store.Tx) error) {
		t.Helper()
		if err := e.db.Tx(ctx, fn); err != nil {
			t.Fatalf("full case: %s: %v", what, err)
		}
	}
	version := func(tx *store.Tx) int {
		c, err := tx.Case(ctx, w.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c.Version
	}
	step("register", func(tx *store.Tx) (err error) {
		age := 10
		w.c, err = cases.Register(ctx, tx, p, cw, cases.Registration{Type: "cp", GivenName: secretName, FamilyName: "Test",
			Age: &age, Sex: "female", Location: "Camp 3", Contact: "through the teacher", CareStatus: cases.Accompanied,
			Concerns: []string{"neglect"}, RiskLevel: "medium", RiskReason: "left alone at night"},
			func() string { return cases.NewCode("C") }, now)
		if err != nil {
			return err
		}
		w.svc = &directory.Service{AgencyID: e.agencyB, Organisation: "Other Agency clinic", Sector: "health_nutrition",
			Services: "Clinical care", FocalUserID: w.provider.ID, AvgDays: 3, LastVerified: today, Active: true,
			CreatedBy: e.users["system_admin"].ID, CreatedAt: now, UpdatedAt: now}
		return tx.InsertDirectoryService(ctx, w.svc)
	})
	// Before any consent to share: the supervisor refers under an override.
	consents := func(tx *store.Tx, scopes ...string) error {
		for _, sc := range scopes {
			for _, g := range []struct{ giver, kind string }{{consent.Self, consent.KindAssent},
				{consent.Caregiver, consent.KindConsent}} {
				if _, err := consent.Add(ctx, tx, p, cw, w.c.ID, consent.Input{Scope: sc, Giver: g.giver, Kind: g.kind,
					Decision: consent.Given, Method: "written", ObtainedOn: today, Notes: secretConsent}, now); err != nil {
					return err
				}
			}
		}
		return nil
	}
	step("consent to collect", func(tx *store.Tx) error { return consents(tx, "collect_store") })
	step("family", func(tx *store.Tx) error {
		x, err := family.Add(ctx, tx, p, cw, w.c.ID, family.Input{Name: secretFamily, Relationship: "mother",
			IsCaregiver: true, LivesWithChild: true}, now)
		if err == nil {
			w.person = x.ID
		}
		return err
	})
	step("referral under an override", func(tx *store.Tx) error {
		r, err := referral.Send(ctx, tx, p, sup, w.c.ID, referral.Input{ServiceID: w.svc.ID, Reason: secretReferral,
			Sections: []string{"registration"}, OverrideReason: secretOverride}, now)
		if err != nil {
			return err
		}
		w.refOverride = r.ID
		if r, err = referral.Respond(ctx, tx, p, fixture.Actor(w.provider), r.ID, referral.Answer{Version: r.Version,
			Accept: true}, now); err != nil {
			return err
		}
		_, err = referral.RecordOutcome(ctx, tx, p, cw, r.ID, referral.OutcomeInput{Version: r.Version, Outcome: secretOutcome}, now)
		return err
	})
	step("consent", func(tx *store.Tx) error {
		if err := consents(tx, "participation", "share_services"); err != nil {
			return err
		}
		_, err := consent.AddExclusion(ctx, tx, cw, w.c.ID, consent.ExclusionInput{Kind: "person", Name: secretExcluded,
			Reason: "threatened the family"}, now)
		return err
	})
	step("assessment and plan", func(tx *store.Tx) error {
		if _, err := assessment.Record(ctx, tx, p, cw, w.c.ID, assessment.Input{Kind: assessment.Initial, AssessedOn: today,
			InterviewedChild: true, RiskLevel: "medium", RiskReason: "as registered", Version: version(tx),
			Threats: []assessment.ThreatInput{{IncidentType: "physical", Location: "market", Frequency: "once",
				Perpetrator: "family", OccurredOn: today}},
			Needs: []assessment.NeedInput{{Domain: "safety", Description: secretAssess, Met: "not", Priority: "high",
				Essential: true}}}, now); err != nil {
			return err
		}
		needs, err := tx.Needs(ctx, w.c.ID)
		if err != nil {
			return err
		}
		due := now.AddDate(0, 2, 0).Format(time.DateOnly)
		pl, err := plan.Save(ctx, tx, p, cw, w.c.ID, plan.Input{Objectives: []plan.ObjectiveInput{{NeedID: needs[0].ID,
			Description: secretPlanNotes, Measure: "she says so", DueOn: due}},
			Actions: []plan.ActionInput{{Objective: 1, What: "walk with a friend", Kind: "direct", Who: "caseworker",
				DueOn: due, Horizon: "short"}}}, now)
		if err != nil {
			return err
		}
		_, err = plan.Submit(ctx, tx, p, cw, w.c.ID, pl.ID, pl.Version, now)
		return err
	})
	step("services, follow-up and review", func(tx *store.Tx) error {
		if _, err := service.Give(ctx, tx, p, cw, w.c.ID, service.ServiceInput{ServiceType: "mhpss", GivenOn: today,
			Description: "talked after school"}, now); err != nil {
			return err
		}
		if _, err := followup.Record(ctx, tx, p, cw, w.c.ID, followup.Input{Mode: "home_visit", Contacts: []string{"child"},
			Seen: true, Safety: "safe", RiskLevel: "medium", Notes: secretFollowUp, Version: version(tx)}, now); err != nil {
			return err
		}
		ps, err := tx.Plans(ctx, w.c.ID)
		if err != nil {
			return err
		}
		active := plan.ActiveOf(ps)
		_, err = followup.RecordReview(ctx, tx, p, cw, w.c.ID, followup.ReviewInput{Trigger: "scheduled",
			Evaluation:        []followup.Evaluation{{ObjectiveID: active.Objectives[0].ID, Status: plan.NotStarted}},
			ChildParticipated: true, Participation: "at home", RiskLevel: "medium", Version: version(tx)}, now)
		return err
	})
	step("incident and link", func(tx *store.Tx) error {
		if _, err := incident.Record(ctx, tx, p, cw, w.c.ID, incident.Input{Type: "exploitation", HappenedOn: today,
			Location: "market", Description: secretIncident}, now); err != nil {
			return err
		}
		age := 8
		var err error
		w.linked, err = cases.Register(ctx, tx, p, fixture.Actor(e.users["caseworker2"]), cases.Registration{Type: "cp",
			GivenName: "Sibling", Age: &age, Sex: "male", Location: "x", Contact: "y", CareStatus: cases.Accompanied,
			Concerns: []string{"neglect"}, RiskLevel: "low", RiskReason: "test"}, func() string { return cases.NewCode("C") }, now)
		if err != nil {
			return err
		}
		if _, _, err = caselink.Add(ctx, tx, p, cw, w.c.ID, caselink.Input{Code: w.linked.Code, Relation: "siblings"}, now); err != nil {
			return err
		}
		// A request of the case, waiting; and one of another agency's case, to it.
		if _, _, err = caselink.Add(ctx, tx, p, cw, w.c.ID, caselink.Input{Code: "C-NOBODY", Relation: "siblings"}, now); err != nil {
			return err
		}
		age = 30
		mother, err := cases.Register(ctx, tx, p, fixture.Actor(e.users["other_agency"]), cases.Registration{Type: "gbv",
			GivenName: "Mother", Age: &age, Sex: "female", Location: "x", Contact: "y", CareStatus: cases.Accompanied,
			Concerns: []string{"neglect"}, RiskLevel: "low", RiskReason: "test"}, func() string { return cases.NewCode("C") }, now)
		if err != nil {
			return err
		}
		_, _, err = caselink.Add(ctx, tx, p, fixture.Actor(e.users["other_agency"]), mother.ID,
			caselink.Input{Code: w.c.Code, Relation: "parent_child"}, now)
		return err
	})
	step("referral under consent, transfer, conference", func(tx *store.Tx) error {
		r, err := referral.Send(ctx, tx, p, cw, w.c.ID, referral.Input{ServiceID: w.svc.ID, Reason: secretReferral,
			Sections: []string{"registration", "assessment", "identity"}}, now)
		if err != nil {
			return err
		}
		w.refConsent = r.ID
		tr, err := transfer.Request(ctx, tx, p, cw, w.c.ID, transfer.Input{Version: version(tx), ToAgencyID: e.agencyB,
			Reason: "relocation", Sections: []string{"registration", "plan"}, FamilyToldOn: today, FamilyToldTo: "mother",
			FamilyToldWhy: "they move", HandoverPlan: secretTransfer, NoWarmHandoverWhy: "distance"}, now)
		if err != nil {
			return err
		}
		w.transfer = tr.ID
		conf, err := conference.Schedule(ctx, tx, p, cw, w.c.ID, conference.Input{Reason: secretConfer,
			ScheduledAt: now.AddDate(0, 0, 3).Format("2006-01-02T15:04"), Sections: []string{"registration", "plan"},
			Participants: []string{e.users["supervisor"].ID, e.users["other_agency"].ID}}, now)
		if err == nil {
			w.conference = conf.ID
		}
		return err
	})
	step("break-glass", func(tx *store.Tx) error {
		_, _, err := share.BreakGlass(ctx, tx, p, fixture.Actor(e.users["caseworker2"]), share.GlassInput{Code: w.c.Code,
			Reason: secretGlass}, now)
		return err
	})
	return w
}

// fullCaseReaders are the users who may read some page of the full case:
// its staff, the receivers of its shares and the break-glass reader.
var fullCaseReaders = []string{"caseworker", "supervisor", "manager", "caseworker2", "provider_b", "supervisor_b",
	"other_agency"}

// caseRoute is a GET route of the table that reads a case record, with the
// path values to send it with.
type caseRoute struct {
	route
	paths []string // the route with its wildcards filled in, one path per record of the full case it reads
}

// notCaseReads are the GET routes with a wildcard that do not read a case
// record, each with its reason. Every other GET route with a wildcard reads
// one and must be placed by (*fullCase).paths.
var notCaseReads = map[string]string{
	"GET /screenings/{id}":           "a screening of an identification, before any case: audited as screening.view",
	"GET /api/v1/screenings/{id}":    "a screening of an identification, before any case: audited as screening.view",
	"GET /screenings/{id}/referrals": "the stand-alone referral form of a screening: shows the directory, no case",
	"GET /admin/users/{id}":          "a user account",
	"GET /api/v1/users/{id}":         "a user account",
	"GET /directory/{sid}":           "a service directory entry",
	"GET /api/v1/directory/{sid}":    "a service directory entry",
}

// caseReadRoutes lists the GET routes of s's table that read a case record,
// each with its paths in w. It fails the test for a GET route with a
// wildcard that is neither placed nor excused: a new route that reads a
// case must be walked.
func (w *fullCase) caseReadRoutes(t *testing.T, s *Server) []caseRoute {
	t.Helper()
	var out []caseRoute
	for _, rt := range s.routes {
		key := rt.method + " " + rt.path
		if rt.method != "GET" || !containsWildcard(rt.path) {
			continue
		}
		if _, ok := notCaseReads[key]; ok {
			continue
		}
		paths, ok := w.paths(rt.path)
		if !ok {
			t.Errorf("%s has a wildcard this test cannot fill: place it in (*fullCase).paths, or say in notCaseReads why it reads no case", key)
			continue
		}
		out = append(out, caseRoute{route: rt, paths: paths})
	}
	return out
}

func containsWildcard(path string) bool {
	return strings.Contains(strings.TrimSuffix(path, "{$}"), "{")
}

// closedPaths fills the case routes among rs with closed, a closed case
// (its other wildcards with the full case's records, which answer 404).
func (w *fullCase) closedPaths(rs []caseRoute, closed *cases.Case) []caseRoute {
	var out []caseRoute
	for _, rt := range rs {
		for _, prefix := range []string{"/cases/{id}", "/api/v1/cases/{id}"} {
			if rt.path == prefix || strings.HasPrefix(rt.path, prefix+"/") {
				rest := strings.ReplaceAll(rt.path[len(prefix):], "{pid}", w.person)
				out = append(out, caseRoute{route: rt.route, paths: []string{strings.TrimSuffix(prefix, "{id}") + closed.ID + rest}})
			}
		}
	}
	return out
}

// paths fills the wildcards of pattern with the records of the full case:
// the case under /cases/ and /api/v1/cases/ (a family member for {pid}),
// each of its referrals, its transfer and its conference.
func (w *fullCase) paths(pattern string) ([]string, bool) {
	for _, p := range []struct {
		prefix string
		ids    []string
	}{
		{"/cases/{id}", []string{w.c.ID}},
		{"/api/v1/cases/{id}", []string{w.c.ID}},
		{"/referrals/{id}", []string{w.refConsent, w.refOverride}},
		{"/api/v1/referrals/{id}", []string{w.refConsent, w.refOverride}},
		{"/transfers/{id}", []string{w.transfer}},
		{"/api/v1/transfers/{id}", []string{w.transfer}},
		{"/conferences/{id}", []string{w.conference}},
		{"/api/v1/conferences/{id}", []string{w.conference}},
	} {
		if pattern != p.prefix && !strings.HasPrefix(pattern, p.prefix+"/") {
			continue
		}
		rest := strings.ReplaceAll(pattern[len(p.prefix):], "{pid}", w.person)
		if containsWildcard(rest) {
			return nil, false
		}
		var out []string
		for _, id := range p.ids {
			out = append(out, strings.TrimSuffix(p.prefix, "{id}")+id+rest)
		}
		return out, true
	}
	return nil, false
}

// getAs sends path (a page or an API path) as c.
func getAs(c *client, path string) *response {
	if strings.HasPrefix(path, "/api/") {
		return c.json("GET", path, "")
	}
	return c.get(path)
}
