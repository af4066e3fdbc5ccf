package web

import (
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/store"
)

// Expectations of the lifecycle routes the lead wrote: assessment, case
// plan, implementation, notifications and moving a case back a step.
func lifecycleExpectations() map[string]expect {
	onPlan := func(x expect) expect { x.fresh = (*matrix).plan; return x }
	edit := expect{allow: caseEditors, denyAs: caseDeny}
	approve := expect{allow: []string{"supervisor"}, denyAs: approveDeny}
	api := func(x expect, body string) expect { x.body = body; return x }
	return map[string]expect{
		"GET /cases/{id}/assessments":                 {allow: caseStaff},
		"GET /cases/{id}/assessments/new":             edit,
		"POST /cases/{id}/assessments":                api(edit, "version=1"),
		"POST /cases/{id}/incidents":                  edit,
		"POST /cases/{id}/medical-referral":           edit,
		"GET /api/v1/cases/{id}/assessments":          {allow: caseStaff},
		"POST /api/v1/cases/{id}/assessments":         api(edit, "{}"),
		"POST /api/v1/cases/{id}/incidents":           api(edit, "{}"),
		"POST /api/v1/cases/{id}/medical-referral":    edit,
		"GET /cases/{id}/plan":                        {allow: caseStaff},
		"GET /cases/{id}/plan/edit":                   edit,
		"POST /cases/{id}/plan":                       edit,
		"POST /cases/{id}/plan/revise":                edit,
		"POST /cases/{id}/plans/{pid}/submit":         onPlan(api(edit, "version=1")),
		"POST /cases/{id}/plans/{pid}/approve":        onPlan(api(approve, "version=1")),
		"POST /cases/{id}/plans/{pid}/return":         onPlan(api(approve, "version=1")),
		"GET /api/v1/cases/{id}/plans":                {allow: caseStaff},
		"PUT /api/v1/cases/{id}/plan":                 api(edit, "{}"),
		"POST /api/v1/cases/{id}/plan/revise":         edit,
		"POST /api/v1/cases/{id}/plans/{pid}/submit":  onPlan(api(edit, `{"version":1}`)),
		"POST /api/v1/cases/{id}/plans/{pid}/approve": onPlan(api(approve, `{"version":1}`)),
		"POST /api/v1/cases/{id}/plans/{pid}/return":  onPlan(api(approve, `{"version":1}`)),
		"GET /cases/{id}/services":                    {allow: caseStaff},
		"POST /cases/{id}/services":                   edit,
		"POST /cases/{id}/safety-plan":                edit,
		"POST /cases/{id}/fund":                       edit,
		"GET /team/fund":                              {allow: teamViewers, deny: 403},
		"GET /api/v1/cases/{id}/services":             {allow: caseStaff},
		"POST /api/v1/cases/{id}/services":            api(edit, "{}"),
		"POST /api/v1/cases/{id}/safety-plans":        api(edit, "{}"),
		"POST /api/v1/cases/{id}/fund":                api(edit, "{}"),
		"GET /notifications":                          {allow: everyone},
		"POST /notifications/read":                    {allow: everyone},
		"GET /api/v1/notifications":                   {allow: everyone},
		"POST /api/v1/notifications/read":             {allow: everyone, body: `{"ids":[]}`},
		"POST /cases/{id}/step":                       api(edit, "version=1"),
		"POST /api/v1/cases/{id}/step":                api(edit, `{"version":1}`),
	}
}

// plan returns the fixture case's plan (a draft), making the assessment
// it needs and the plan the first time.
func (m *matrix) plan(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		ps, err := tx.Plans(m.ctx(), m.caseID)
		if err != nil {
			return err
		}
		if len(ps) > 0 {
			id = ps[0].ID
			return nil
		}
		c, err := tx.Case(m.ctx(), m.caseID)
		if err != nil {
			return err
		}
		now := m.e.clock.now()
		if _, err := assessment.Record(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), m.caseID, assessment.Input{
			Kind: "initial", AssessedOn: now.Format("2006-01-02"), InterviewedChild: true,
			Needs:     []assessment.NeedInput{{Domain: "safety", Description: "a safe place to sleep", Met: assessment.MetNot, Priority: "high", Essential: true}},
			RiskLevel: c.RiskLevel, RiskReason: "unchanged", Version: c.Version}, now); err != nil {
			return err
		}
		needs, err := tx.Needs(m.ctx(), m.caseID)
		if err != nil {
			return err
		}
		pl, err := plan.Save(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), m.caseID, plan.Input{
			Objectives: []plan.ObjectiveInput{{NeedID: needs[0].ID, Description: "sleeps safely", Measure: "child says so",
				DueOn: now.AddDate(0, 1, 0).Format("2006-01-02")}}}, now)
		if err != nil {
			return err
		}
		id = pl.ID
		return nil
	})
	return map[string]string{"id": m.caseID, "pid": id}
}
