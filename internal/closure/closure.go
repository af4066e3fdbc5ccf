// Package closure holds the last step of case management and what follows
// it (guidelines L4490-4595): the caseworker proposes closure with a reason
// from the profile and a completeness check of the file; only the supervisor
// closes the case, or returns the proposal with required actions; a closed
// file is read-only; a post-closure follow-up with a feedback survey is due
// within the profile's window and belongs to the supervisor or a designee who
// is never the case's own caseworker; a closed case can be reopened with a
// reason, which asks for a new assessment and consent confirmed again. As a
// child nears adulthood the age-out pathway is recorded: never an automatic
// closure.
package closure

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
)

// Proposal statuses.
const (
	Proposed = "proposed" // waiting for the supervisor
	Returned = "returned" // sent back with required actions
	Approved = "approved" // the case is closed
)

// Closure reasons with rules of their own (L4490-4511). A profile may add
// others; those need no more than the reason.
const (
	ObjectivesMet = "objectives_met"
	Declined      = "declined"
	LeftArea      = "left_area"
	Death         = "death"
	NoContact     = "no_contact" // GBV: the survivor cannot be reached
)

// The three confirmations closing with objectives met needs (L4492-4497).
const (
	ConfirmObjectives = "objectives_met"  // the objectives of the case plan are met
	ConfirmSafe       = "safe_supported"  // the child is safe and their care and well-being supported
	ConfirmNoRisk     = "no_further_risk" // there are no further protection risks
)

// Confirmations lists the confirmations in the order the form asks them.
var Confirmations = []string{ConfirmObjectives, ConfirmSafe, ConfirmNoRisk}

// What the completeness check finds missing from a file (L4545).
const (
	GapConsents     = "consents_missing" // required consents or assents not on file
	GapNoAssessment = "no_assessment"    // the case was never assessed
	GapNoPlan       = "no_active_plan"   // no case plan in force
	GapObjectives   = "objectives_open"  // objectives of the active plan neither met nor dropped
	GapActions      = "actions_open"     // direct actions still planned or in progress
	GapReferrals    = "referrals_open"   // referrals still planned or in progress
	GapTasks        = "tasks_open"       // other deadlines still open (follow-ups and reviews when overdue)
)

// GapKeys lists the gap keys, for the message catalog test.
var GapKeys = []string{GapConsents, GapNoAssessment, GapNoPlan, GapObjectives, GapActions, GapReferrals, GapTasks}

// Post-closure feedback answers and the safety check.
const (
	Yes           = "yes"
	No            = "no"
	NotApplicable = "na"
	Safe          = "safe"
	Concerns      = "concerns"
)

// Answers lists the answers to a feedback question.
var Answers = []string{Yes, No, NotApplicable}

// SafetyValues lists the answers to "is the child or survivor safe and well?".
var SafetyValues = []string{Safe, Concerns}

// Gap is one thing the file lacks, with how many.
type Gap struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// Closure is one closure proposal and what the supervisor decided.
type Closure struct {
	ID              string
	CaseID          string
	Status          string
	Reason          string
	Confirmations   []string
	Explanation     string // declined: why not override; left_area: why no transfer
	Gaps            []Gap  // the completeness check when it was proposed
	ProposedBy      string
	ProposedAt      time.Time
	DecidedBy       string
	DecidedAt       time.Time
	RequiredActions string // when returned
	FollowUpBy      string // when approved: who runs the post-closure follow-up
	Version         int
}

// Feedback is the post-closure follow-up with its feedback survey.
type Feedback struct {
	ID         string
	CaseID     string
	ClosureID  string
	Answers    map[string]string // question key -> yes, no or na
	ChildSafe  string            // safe or concerns
	Comments   string
	RecordedBy string
	RecordedOn string // YYYY-MM-DD of the follow-up
	CreatedAt  time.Time
}

// Reopening is one reopening of a closed case.
type Reopening struct {
	ID         string
	CaseID     string
	Reason     string
	ReopenedBy string
	ReopenedAt time.Time
}

// Tx is the storage closure needs, inside one transaction. *store.Tx satisfies it.
type Tx interface {
	consent.Tx
	cases.Tx
	Assessments(ctx context.Context, caseID string) ([]assessment.Assessment, error)
	Plans(ctx context.Context, caseID string) ([]plan.Plan, error)
	StepHistory(ctx context.Context, caseID string) ([]cases.StepChange, error)
	// LastSeenOn returns the date (YYYY-MM-DD) of the latest follow-up that
	// saw the person, or "" when none did.
	LastSeenOn(ctx context.Context, caseID string) (string, error)
	Closures(ctx context.Context, caseID string) ([]Closure, error)
	InsertClosure(ctx context.Context, c *Closure) error
	UpdateClosure(ctx context.Context, c *Closure) error
	Feedbacks(ctx context.Context, caseID string) ([]Feedback, error)
	InsertFeedback(ctx context.Context, f *Feedback) error
	Reopenings(ctx context.Context, caseID string) ([]Reopening, error)
	InsertReopening(ctx context.Context, r *Reopening) error
	AgeOuts(ctx context.Context, caseID string) ([]AgeOut, error)
	InsertAgeOut(ctx context.Context, a *AgeOut) error
}

// Pending returns the proposal waiting for the supervisor among cs, or nil.
func Pending(cs []Closure) *Closure {
	for i := range cs {
		if cs[i].Status == Proposed {
			return &cs[i]
		}
	}
	return nil
}

// ReasonsFor returns the closure reasons of the profile allowed for a case
// of type caseType.
func ReasonsFor(p *profile.Profile, caseType string) []profile.Option {
	var out []profile.Option
	for _, o := range p.ClosureReasons {
		if allowed(o, caseType) {
			out = append(out, o)
		}
	}
	return out
}

func allowed(o profile.Option, caseType string) bool {
	if len(o.CaseTypes) == 0 {
		return true
	}
	for _, t := range o.CaseTypes {
		if t == caseType {
			return true
		}
	}
	return false
}

// Check is the completeness check of case c's file at now: what it lacks,
// as keys with counts. A proposal may go ahead with gaps; the supervisor
// sees them.
func Check(ctx context.Context, tx Tx, p *profile.Profile, c *cases.Case, now time.Time) ([]Gap, error) {
	var gaps []Gap
	add := func(k string, n int) {
		if n > 0 {
			gaps = append(gaps, Gap{Key: k, Count: n})
		}
	}
	st, err := consent.Load(ctx, tx, p, c, now)
	if err != nil {
		return nil, err
	}
	add(GapConsents, consent.MissingNeeds(st.Scopes))
	as, err := tx.Assessments(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		add(GapNoAssessment, 1)
	}
	ps, err := tx.Plans(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if active := plan.ActiveOf(ps); active == nil {
		add(GapNoPlan, 1)
	} else {
		objectives, actions, referrals := 0, 0, 0
		for _, o := range active.Objectives {
			if o.Status != plan.Met && o.Status != plan.Dropped {
				objectives++
			}
		}
		for _, a := range active.Actions {
			if a.Status != plan.Planned && a.Status != plan.Doing {
				continue
			}
			if a.Kind == "referral" {
				referrals++
			} else {
				actions++
			}
		}
		add(GapObjectives, objectives)
		add(GapActions, actions)
		add(GapReferrals, referrals)
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	tasks := 0
	for _, d := range ds {
		switch {
		case !d.Open(), d.Kind == deadline.ClosureApproval, d.Kind == deadline.PostClosure:
		case (d.Kind == deadline.FollowUp || d.Kind == deadline.Review) && !d.Overdue(now):
			// The follow-up and review schedule runs until closure; only a
			// missed one is a gap.
		default:
			tasks++
		}
	}
	add(GapTasks, tasks)
	return gaps, nil
}
