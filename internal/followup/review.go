package followup

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
)

// Triggers are why a review takes place: its turn came, or one of the
// events that call for a review at once (L4474-4481).
var Triggers = []string{"scheduled", "risk_rise", "care_change", "incident", "dissatisfaction", "plan_not_working"}

// Effectiveness of the actions towards an objective (L4483-4484).
const (
	Effective    = "effective"
	Partly       = "partly"
	NotEffective = "not_effective"
)

// EffectivenessValues lists how effective the actions were.
var EffectivenessValues = []string{Effective, Partly, NotEffective}

// Evaluation is what a review found about one objective of the active plan.
type Evaluation struct {
	ObjectiveID   string `json:"objective_id"`
	Status        string `json:"status"`
	Effectiveness string `json:"effectiveness"` // empty for an objective not started or dropped
	Note          string `json:"note"`
}

// Review is one recorded case review.
type Review struct {
	ID                string
	CaseID            string
	PlanID            string
	ReviewedOn        string // YYYY-MM-DD
	Trigger           string
	Evaluation        []Evaluation
	ChildParticipated bool
	Participation     string // how the child took part, or why not
	PlanChanges       string
	RiskLevel         string
	RecordedBy        string
	CreatedAt         time.Time

	// RevisionID is the draft plan the review started, if it started one
	// (returned by RecordReview, not stored with the review).
	RevisionID string
}

// ReviewInput is the review form.
type ReviewInput struct {
	ReviewedOn        string       `json:"reviewed_on"`
	Trigger           string       `json:"trigger"`
	Evaluation        []Evaluation `json:"evaluation"`
	ChildParticipated bool         `json:"child_participated"`
	Participation     string       `json:"participation"`
	PlanChanges       string       `json:"plan_changes"`
	Revise            bool         `json:"revise"` // start a revision of the plan
	RiskLevel         string       `json:"risk_level"`
	RiskReason        string       `json:"risk_reason"`
	Version           int          `json:"version"` // of the case
}

// NeedsEffectiveness reports whether an objective at status needs its
// actions' effectiveness judged: not when nothing was started or it was dropped.
func NeedsEffectiveness(status string) bool {
	return status != plan.NotStarted && status != plan.Dropped
}

// RecordReview records review in on case caseID (read at in.Version). A
// review looks at the active plan, so a case without one is refused. Every
// objective of the plan is evaluated (status and, once started, how
// effective the actions were), which sets its status; the child's
// participation is described (how, or why not). Ticking revise starts a new
// draft of the plan unless one is being prepared. A new risk level goes to
// the risk history. The open review deadline is done and the next one runs
// from the review's day.
func RecordReview(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in ReviewInput, now time.Time) (*Review, error) {
	c, err := loadCase(ctx, tx, p, a, caseID, in.Version, now)
	if err != nil {
		return nil, err
	}
	active, preparing, err := activePlan(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	if active == nil {
		return nil, errs.Field("evaluation", "err.review_no_plan")
	}
	var f errs.Fields
	date(p, "reviewed_on", &in.ReviewedOn, now, &f)
	if !slices.Contains(Triggers, in.Trigger) {
		f.Add("trigger", "err.choose")
	}
	trim(map[string]*string{"participation": &in.Participation, "plan_changes": &in.PlanChanges,
		"risk_reason": &in.RiskReason}, &f)
	if in.Participation == "" {
		if in.ChildParticipated {
			f.Add("participation", "err.review_participation_how")
		} else {
			f.Add("participation", "err.review_participation_why")
		}
	}
	if in.Revise && in.PlanChanges == "" {
		f.Add("plan_changes", "err.review_plan_changes")
	}
	evals := checkEvaluation(in.Evaluation, active, &f)
	riskCheck(p, c, in.RiskLevel, in.RiskReason, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}

	rv := &Review{CaseID: c.ID, PlanID: active.ID, ReviewedOn: in.ReviewedOn, Trigger: in.Trigger, Evaluation: evals,
		ChildParticipated: in.ChildParticipated, Participation: in.Participation, PlanChanges: in.PlanChanges,
		RiskLevel: in.RiskLevel, RecordedBy: a.UserID, CreatedAt: now}
	if err := tx.InsertReview(ctx, rv); err != nil {
		return nil, err
	}
	for _, e := range evals {
		if o := active.Objective(e.ObjectiveID); o.Status != e.Status {
			if err := tx.SetObjectiveStatus(ctx, active.ID, o.ID, e.Status); err != nil {
				return nil, err
			}
			o.Status = e.Status
		}
	}
	riskChanged := in.RiskLevel != c.RiskLevel
	if riskChanged {
		if c, err = cases.ChangeRisk(ctx, tx, p, a, c.ID, c.Version, in.RiskLevel, "review: "+in.RiskReason, now); err != nil {
			return nil, err
		}
	}
	// The review done, the next one runs from its day at the (new) level's
	// timeline, which the profile keeps within the review interval.
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.Review, a.UserID, now); err != nil {
		return nil, err
	}
	if err := cases.RescheduleDeadline(ctx, tx, p, c, deadline.Review, p.DayStart(in.ReviewedOn, now), now); err != nil {
		return nil, err
	}
	if in.Revise && !preparing {
		pl, err := plan.Revise(ctx, tx, p, a, c.ID, now)
		if err != nil {
			return nil, err
		}
		rv.RevisionID = pl.ID
		// Revise moved the case back to case planning: carry on from there.
		if c, err = tx.Case(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]any{"trigger": rv.Trigger, "objectives": len(evals),
		"child_participated": rv.ChildParticipated, "revised": rv.RevisionID != "", "risk_changed": riskChanged})
	return rv, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "review.record", RecordType: "review", RecordID: rv.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(detail)})
}

// checkEvaluation validates the evaluation rows: each names an objective of
// the active plan, once, and every objective is evaluated. Rows come back in
// the plan's order.
func checkEvaluation(in []Evaluation, active *plan.Plan, f *errs.Fields) []Evaluation {
	byID := map[string]Evaluation{}
	for i, e := range in {
		prefix := "evaluation." + strconv.Itoa(i)
		e.Note = strings.TrimSpace(e.Note)
		if active.Objective(e.ObjectiveID) == nil {
			f.Add(prefix+".objective_id", "err.followup_objective")
			continue
		}
		if _, dup := byID[e.ObjectiveID]; dup {
			f.Add(prefix+".objective_id", "err.followup_objective")
			continue
		}
		if !slices.Contains(plan.ObjectiveStatuses, e.Status) {
			f.Add(prefix+".status", "err.choose")
		}
		switch {
		case slices.Contains(EffectivenessValues, e.Effectiveness):
		case e.Effectiveness == "" && !NeedsEffectiveness(e.Status):
		default:
			f.Add(prefix+".effectiveness", "err.choose")
		}
		if len(e.Note) > maxLong {
			f.Add(prefix+".note", "err.too_long", maxLong)
		}
		byID[e.ObjectiveID] = e
	}
	var out []Evaluation
	for _, o := range active.Objectives {
		e, ok := byID[o.ID]
		if !ok {
			if !f.Has("evaluation") {
				f.Add("evaluation", "err.review_every_objective")
			}
			continue
		}
		out = append(out, e)
	}
	return out
}
