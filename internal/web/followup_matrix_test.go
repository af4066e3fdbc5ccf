package web

import (
	"context"
	"sync"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// followupExpectations: everyone who may see the case reads its follow-ups
// and reviews; its caseworker and supervisor record them; a manager is
// refused (403), anyone else gets 404. The routes run against a case of
// their own with an active plan, so that the pages show the plan's objectives.
func followupExpectations() map[string]expect {
	return map[string]expect{
		"GET /cases/{id}/followups":         {allow: caseStaff, fresh: (*matrix).followupCase},
		"POST /cases/{id}/followups":        {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).followupCase, body: "version=1"},
		"GET /cases/{id}/reviews":           {allow: caseStaff, fresh: (*matrix).followupCase},
		"POST /cases/{id}/reviews":          {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).followupCase, body: "version=1"},
		"GET /api/v1/cases/{id}/followups":  {allow: caseStaff, fresh: (*matrix).followupCase},
		"POST /api/v1/cases/{id}/followups": {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).followupCase, body: `{"version":1}`},
		"GET /api/v1/cases/{id}/reviews":    {allow: caseStaff, fresh: (*matrix).followupCase},
		"POST /api/v1/cases/{id}/reviews":   {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).followupCase, body: `{"version":1}`},
	}
}

// followupCases holds each matrix's case with an active plan, made once.
var followupCases sync.Map // *matrix -> case ID

// followupCase returns the path values of the matrix's case with an active
// plan, making it on first use (apart from the shared fixture case, whose
// state other areas' expectations rely on).
func (m *matrix) followupCase(role string) map[string]string {
	if id, ok := followupCases.Load(m); ok {
		return map[string]string{"id": id.(string)}
	}
	var id string
	m.tx(func(tx *store.Tx) (err error) {
		id, err = caseWithPlan(tx, m.e.srv.prof, m.actor("caseworker"), m.actor("supervisor"), m.e.clock.now())
		return err
	})
	followupCases.Store(m, id)
	return map[string]string{"id": id}
}

// caseWithPlan registers a medium-risk case of caseworker cw, overrides
// consent to collect and store as supervisor sup, assesses it with two needs
// and makes a plan with an objective for each active. It returns the case ID.
func caseWithPlan(tx *store.Tx, p *profile.Profile, cw, sup access.Actor, now time.Time) (string, error) {
	ctx := context.Background()
	age := 11
	c, err := cases.Register(ctx, tx, p, cw, cases.Registration{Type: "cp", GivenName: "Follow", Age: &age, Sex: "female",
		Location: "x", Contact: "y", CareStatus: "accompanied", Concerns: []string{"neglect"}, RiskLevel: "medium",
		RiskReason: "test"}, func() string { return cases.NewCode("C") }, now)
	if err != nil {
		return "", err
	}
	if _, err := consent.AddOverride(ctx, tx, p, sup, c.ID, consent.OverrideInput{Scope: "collect_store",
		Basis: "best_interests", Reason: "fixture for the follow-up tests"}, now); err != nil {
		return "", err
	}
	if c, err = tx.Case(ctx, c.ID); err != nil {
		return "", err
	}
	if _, err := assessment.Record(ctx, tx, p, cw, c.ID, assessment.Input{Kind: assessment.Initial, InterviewedChild: true,
		RiskLevel: "medium", RiskReason: "as registered", Version: c.Version, Needs: []assessment.NeedInput{
			{Domain: "safety", Description: "alone at night", Met: "not", Priority: "high"},
			{Domain: "education", Description: "out of school", Met: "not", Priority: "medium"}}}, now); err != nil {
		return "", err
	}
	needs, err := tx.Needs(ctx, c.ID)
	if err != nil {
		return "", err
	}
	due := now.AddDate(0, 2, 0).Format(time.DateOnly)
	pl, err := plan.Save(ctx, tx, p, cw, c.ID, plan.Input{Objectives: []plan.ObjectiveInput{
		{NeedID: needs[0].ID, Description: "A safe adult at night", Measure: "aunt stays over", DueOn: due},
		{NeedID: needs[1].ID, Description: "Back in school", Measure: "attends 4 days a week", DueOn: due}}}, now)
	if err != nil {
		return "", err
	}
	_, err = plan.Submit(ctx, tx, p, cw, c.ID, pl.ID, pl.Version, now)
	return c.ID, err
}
