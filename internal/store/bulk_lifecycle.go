package store

import (
	"encoding/json"

	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/service"
)

// bulkLife buffers the rows of the case management lifecycle after
// registration: step history, assessments, plans, implementation, follow-up
// and review, closure, notifications.
type bulkLife struct {
	steps, assessments, threats, needs, plans, objectives, actions, gaps, services, safetyPlans, funds,
	followups, reviews, closures, feedback, reopenings, ageOuts, notifications *bulkTable
}

// lifecycleTables adds the lifecycle tables to b, after the registration
// tables they refer to, parents first.
func (b *Bulk) lifecycleTables() {
	l := &bulkLife{}
	l.steps = newBulkTable("step_changes", "id, case_id, from_step, to_step, reason, changed_by, changed_at")
	l.assessments = newBulkTable("assessments", assessmentCols)
	l.threats = newBulkTable("safety_threats", `id, case_id, assessment_id, incident_type, location, frequency, ongoing,
		perpetrator, occurred_at, notes, created_at`)
	l.needs = newBulkTable("needs", "id, case_id, assessment_id, domain, description, met, priority, essential, created_at")
	l.plans = newBulkTable("plans", planCols)
	l.objectives = newBulkTable("objectives", "id, plan_id, case_id, need_id, description, measure, due_on, status, position")
	l.actions = newBulkTable("plan_actions", `id, plan_id, case_id, objective_id, what, kind, who, who_name, due_on, horizon,
		status, position`)
	l.gaps = newBulkTable("service_gaps", "id, plan_id, case_id, need_id, description")
	l.services = newBulkTable("services_given", "id, case_id, action_id, service_type, given_on, description, given_by, created_at")
	l.safetyPlans = newBulkTable("safety_plans", `id, case_id, number, concern, current_strategies, unsafe, avoidance,
		emergency, resources, review_on, created_by, created_at`)
	l.funds = newBulkTable("fund_disbursements", fundCols)
	l.followups = newBulkTable("followups", `id, case_id, plan_id, mode, contacts, happened_on, seen, safety, safety_notes,
		progress, new_needs, dissatisfied, notes, recorded_by, created_at`)
	l.reviews = newBulkTable("reviews", `id, case_id, plan_id, reviewed_on, trigger, objectives, child_participated,
		participation, plan_changes, risk_level, recorded_by, created_at`)
	l.closures = newBulkTable("closures", closureCols)
	l.feedback = newBulkTable("feedback", `id, case_id, closure_id, answers, comments, child_safe, recorded_by, recorded_on,
		created_at`)
	l.reopenings = newBulkTable("reopenings", "id, case_id, reason, reopened_by, reopened_at")
	l.ageOuts = newBulkTable("age_out_decisions", "id, case_id, pathway, note, recorded_by, recorded_at")
	l.notifications = newBulkTable("notifications", "id, user_id, kind, case_id, actor_id, created_at, read_at")
	b.life = l
	b.order = append(b.order, l.steps, l.assessments, l.threats, l.needs, l.plans, l.objectives, l.actions, l.gaps,
		l.services, l.safetyPlans, l.funds, l.followups, l.reviews, l.closures, l.feedback, l.reopenings, l.ageOuts,
		l.notifications)
}

// StepChange buffers an entry of a case's step history.
func (b *Bulk) StepChange(s *cases.StepChange) {
	if s.ID == "" {
		s.ID = NewID()
	}
	b.life.steps.add(s.ID, s.CaseID, s.From, s.To, s.Reason, s.ChangedBy, ms(s.ChangedAt))
}

// Assessment buffers an assessment with its threats and needs (a.Threats,
// a.Needs), which must carry the assessment's ID.
func (b *Bulk) Assessment(a *assessment.Assessment) {
	if a.ID == "" {
		a.ID = NewID()
	}
	if a.Version == 0 {
		a.Version = 1
	}
	domains, _ := json.Marshal(a.Domains)
	b.life.assessments.add(a.ID, a.CaseID, a.Kind, a.AssessedOn, a.InterviewedChild, a.NotInterviewedWhy, string(domains),
		a.Vulnerabilities, a.ProtectiveFactors, a.ChildViews, a.CaregiverViews, a.RiskLevel, a.RiskReason, a.CreatedBy,
		ms(a.CreatedAt), a.Version)
	for i := range a.Threats {
		b.Threat(&a.Threats[i])
	}
	for i := range a.Needs {
		n := &a.Needs[i]
		if n.ID == "" {
			n.ID = NewID()
		}
		b.life.needs.add(n.ID, n.CaseID, nullStr(n.AssessmentID), n.Domain, n.Description, n.Met, n.Priority, n.Essential,
			ms(n.CreatedAt))
	}
}

// Threat buffers a safety threat (of an assessment, or an incident on its own).
func (b *Bulk) Threat(t *assessment.Threat) {
	if t.ID == "" {
		t.ID = NewID()
	}
	b.life.threats.add(t.ID, t.CaseID, nullStr(t.AssessmentID), t.IncidentType, t.Location, t.Frequency, t.Ongoing,
		t.Perpetrator, nullMS(t.OccurredAt), t.Notes, ms(t.CreatedAt))
}

// Plan buffers a case plan with its objectives, actions and gaps. Every
// item must carry its ID and the plan's; an action's ObjectiveID names the
// objective's ID (not a position, as in ReplacePlanItems).
func (b *Bulk) Plan(p *plan.Plan) {
	if p.ID == "" {
		p.ID = NewID()
	}
	if p.Version == 0 {
		p.Version = 1
	}
	parts := "[]"
	if len(p.Participants) > 0 {
		x, _ := json.Marshal(p.Participants)
		parts = string(x)
	}
	b.life.plans.add(p.ID, p.CaseID, p.Number, p.Status, p.MeetingOn, parts, p.ChildViews, p.CaregiverViews, p.Notes,
		p.CreatedBy, ms(p.CreatedAt), nullMS(p.SubmittedAt), nullStr(p.DecidedBy), nullMS(p.DecidedAt), p.ReturnComments,
		nullMS(p.ActivatedAt), p.Version)
	for i := range p.Objectives {
		o := &p.Objectives[i]
		b.life.objectives.add(o.ID, p.ID, p.CaseID, nullStr(o.NeedID), o.Description, o.Measure, o.DueOn, o.Status, o.Position)
	}
	for i := range p.Actions {
		a := &p.Actions[i]
		b.life.actions.add(a.ID, p.ID, p.CaseID, nullStr(a.ObjectiveID), a.What, a.Kind, a.Who, a.WhoName, a.DueOn,
			a.Horizon, a.Status, a.Position)
	}
	for i := range p.Gaps {
		g := &p.Gaps[i]
		b.life.gaps.add(g.ID, p.ID, p.CaseID, nullStr(g.NeedID), g.Description)
	}
}

// Service buffers a direct service given.
func (b *Bulk) Service(g *service.Given) {
	if g.ID == "" {
		g.ID = NewID()
	}
	b.life.services.add(g.ID, g.CaseID, nullStr(g.ActionID), g.ServiceType, g.GivenOn, g.Description, g.GivenBy,
		ms(g.CreatedAt))
}

// SafetyPlan buffers a version of a safety plan.
func (b *Bulk) SafetyPlan(s *service.SafetyPlan) {
	if s.ID == "" {
		s.ID = NewID()
	}
	b.life.safetyPlans.add(s.ID, s.CaseID, s.Number, s.Concern, s.CurrentStrategies, s.Unsafe, s.Avoidance, s.Emergency,
		s.Resources, s.ReviewOn, s.CreatedBy, ms(s.CreatedAt))
}

// Disbursement buffers an emergency fund payment.
func (b *Bulk) Disbursement(d *service.Disbursement) {
	if d.ID == "" {
		d.ID = NewID()
	}
	crit, _ := json.Marshal(d.Criteria)
	b.life.funds.add(d.ID, d.CaseID, d.AgencyID, d.TeamID, d.AmountCents, d.Currency, d.Purpose, string(crit), d.PaidOn,
		d.Notes, d.RecordedBy, ms(d.CreatedAt))
}

// FollowUp buffers a follow-up.
func (b *Bulk) FollowUp(f *followup.FollowUp) {
	if f.ID == "" {
		f.ID = NewID()
	}
	b.life.followups.add(f.ID, f.CaseID, nullStr(f.PlanID), f.Mode, jsonList(f.Contacts), f.HappenedOn, f.Seen, f.Safety,
		f.SafetyNotes, jsonRows(f.Progress), f.NewNeeds, f.Dissatisfied, f.Notes, f.RecordedBy, ms(f.CreatedAt))
}

// Review buffers a case review.
func (b *Bulk) Review(r *followup.Review) {
	if r.ID == "" {
		r.ID = NewID()
	}
	b.life.reviews.add(r.ID, r.CaseID, nullStr(r.PlanID), r.ReviewedOn, r.Trigger, jsonRows(r.Evaluation),
		r.ChildParticipated, r.Participation, r.PlanChanges, r.RiskLevel, r.RecordedBy, ms(r.CreatedAt))
}

// Closure buffers a closure proposal and the decision on it.
func (b *Bulk) Closure(c *closure.Closure) {
	if c.ID == "" {
		c.ID = NewID()
	}
	if c.Version == 0 {
		c.Version = 1
	}
	b.life.closures.add(c.ID, c.CaseID, c.Status, c.Reason, jsonList(c.Confirmations), c.Explanation, gapsJSON(c.Gaps),
		c.ProposedBy, ms(c.ProposedAt), nullStr(c.DecidedBy), nullMS(c.DecidedAt), c.RequiredActions,
		nullStr(c.FollowUpBy), c.Version)
}

// Feedback buffers a post-closure follow-up with its feedback survey.
func (b *Bulk) Feedback(f *closure.Feedback) {
	if f.ID == "" {
		f.ID = NewID()
	}
	answers := "{}"
	if len(f.Answers) > 0 {
		x, _ := json.Marshal(f.Answers)
		answers = string(x)
	}
	b.life.feedback.add(f.ID, f.CaseID, nullStr(f.ClosureID), answers, f.Comments, f.ChildSafe, f.RecordedBy,
		f.RecordedOn, ms(f.CreatedAt))
}

// Reopening buffers a reopening of a case.
func (b *Bulk) Reopening(r *closure.Reopening) {
	if r.ID == "" {
		r.ID = NewID()
	}
	b.life.reopenings.add(r.ID, r.CaseID, r.Reason, r.ReopenedBy, ms(r.ReopenedAt))
}

// AgeOut buffers a decision on a case's age-out pathway.
func (b *Bulk) AgeOut(a *closure.AgeOut) {
	if a.ID == "" {
		a.ID = NewID()
	}
	b.life.ageOuts.add(a.ID, a.CaseID, a.Pathway, a.Note, a.RecordedBy, ms(a.RecordedAt))
}

// Notification buffers an in-app notification (read when n.ReadAt is set).
func (b *Bulk) Notification(n *notify.Notification) {
	if n.ID == "" {
		n.ID = NewID()
	}
	b.life.notifications.add(n.ID, n.UserID, string(n.Kind), nullStr(n.CaseID), nullStr(n.ActorID), ms(n.CreatedAt),
		nullMS(n.ReadAt))
}
