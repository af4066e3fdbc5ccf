// Package deadline computes the due dates of case management steps from the
// context profile's timelines by risk level. Due dates are stored, so "what is
// due or overdue" is an index range scan; this package says what they are and
// how they move when the risk level changes.
package deadline

import (
	"time"

	"github.com/safecase/safecase/internal/profile"
)

// Kind names a deadline.
type Kind string

// The deadline kinds. The first six follow the profile's timelines.
const (
	Registration     Kind = "registration"
	Assessment       Kind = "assessment"
	CasePlan         Kind = "case_plan"
	FirstAction      Kind = "first_action"
	FollowUp         Kind = "follow_up"
	Review           Kind = "review"
	UrgentResponse   Kind = "urgent_response"   // urgent needs: respond within the profile's window
	ConsentWithdrawn Kind = "consent_withdrawn" // discuss a withdrawal with the supervisor
	MedicalReferral  Kind = "medical_referral"  // sexual violence: medical care within the window of the incident
	PlanApproval     Kind = "plan_approval"     // the supervisor approves or returns a case plan
	ClosureApproval  Kind = "closure_approval"  // the supervisor approves or returns a closure proposal
	PostClosure      Kind = "post_closure"      // the follow-up and feedback survey after closure
	AgeOut           Kind = "age_out"           // plan the pathway as the child turns adult
	TellFamily       Kind = "tell_family"       // information was shared under a consent override: tell the family
	ReferralResponse Kind = "referral_response" // a referral awaits the service's answer (overdue after its average time)
	TransferDecision Kind = "transfer_decision" // the supervisor approves an internal transfer
	// MandatoryDecision: the supervisor decides whether an incident is reported.
	MandatoryDecision Kind = "mandatory_decision"
)

// Kinds lists every kind, for validation and for the message catalog test.
var Kinds = []Kind{Registration, Assessment, CasePlan, FirstAction, FollowUp, Review, UrgentResponse, ConsentWithdrawn,
	MedicalReferral, PlanApproval, ClosureApproval, PostClosure, AgeOut, TellFamily, ReferralResponse, TransferDecision,
	MandatoryDecision}

// ConsentWithdrawnWithin is how soon a withdrawal is discussed with the supervisor.
const ConsentWithdrawnWithin = 48 * time.Hour

// TellFamilyWithin is how soon the family is told of a share made under a
// consent override.
const TellFamilyWithin = 72 * time.Hour

// Deadline is one due date of one case, assigned to one person.
type Deadline struct {
	ID         string
	CaseID     string
	Kind       Kind
	AnchorAt   time.Time // the event the deadline runs from
	DueAt      time.Time
	AssigneeID string
	TeamID     string
	AgencyID   string
	DoneAt     time.Time
	DoneBy     string
	CreatedAt  time.Time
}

// Open reports whether d is still to be done.
func (d *Deadline) Open() bool { return d.DoneAt.IsZero() }

// OnTime reports whether a done deadline was met.
func (d *Deadline) OnTime() bool { return !d.DoneAt.IsZero() && !d.DoneAt.After(d.DueAt) }

// Overdue reports whether d is open and past due at now.
func (d *Deadline) Overdue(now time.Time) bool { return d.Open() && now.After(d.DueAt) }

// timeline returns the profile timeline for k, if k follows one.
func timeline(p *profile.Profile, k Kind) (profile.ByRisk, bool) {
	t := p.Timelines
	switch k {
	case Registration:
		return t.Registration, true
	case Assessment:
		return t.Assessment, true
	case CasePlan:
		return t.CasePlan, true
	case FirstAction:
		return t.FirstAction, true
	case FollowUp:
		return t.FollowUp, true
	case Review:
		return t.Review, true
	}
	return profile.ByRisk{}, false
}

// Due returns when a deadline of kind k anchored at anchor falls for a case
// at risk level risk, and false when that level has no such deadline.
func Due(p *profile.Profile, k Kind, risk string, anchor time.Time) (time.Time, bool) {
	switch k {
	case UrgentResponse:
		return anchor.Add(p.UrgentResponse.D()), true
	case ConsentWithdrawn:
		return anchor.Add(ConsentWithdrawnWithin), true
	case MedicalReferral:
		return anchor.Add(p.SexualViolenceWindow.D()), true // anchor: when the incident happened
	case TellFamily:
		return anchor.Add(TellFamilyWithin), true
	case ReferralResponse:
		return anchor, true // anchor: when the answer is due (the service's average time)
	case PlanApproval, ClosureApproval, TransferDecision, MandatoryDecision:
		return anchor.Add(p.ApprovalWithin.D()), true
	case PostClosure:
		return anchor.Add(p.PostClosureFollowUp.D()), true // anchor: the closure
	case AgeOut:
		return anchor.Add(-p.AgeOutAlert.D()), true // anchor: the day the child turns adult
	}
	tl, ok := timeline(p, k)
	if !ok {
		return time.Time{}, false
	}
	d, ok := tl.For(risk)
	if !ok {
		return time.Time{}, false
	}
	return anchor.Add(d), true
}

// ForSupervisor reports whether deadlines of kind k are the supervisor's.
func ForSupervisor(k Kind) bool {
	return k == PlanApproval || k == ClosureApproval || k == TransferDecision || k == MandatoryDecision
}

// FollowsRisk reports whether deadlines of kind k move with the risk level.
func FollowsRisk(k Kind) bool {
	_, ok := timeline(profile.Default(), k)
	return ok
}

// Change is what Recompute decided for one open deadline.
type Change struct {
	Deadline Deadline
	Remove   bool // the new risk level has no such deadline
}

// Recompute returns the open deadlines among ds whose due date changes when
// the case's risk level becomes risk. Done deadlines never move, nor does
// one an event made due at once (due at its anchor): a lower risk level
// does not put off a review that an incident or a complaint called for.
func Recompute(p *profile.Profile, risk string, ds []Deadline) []Change {
	var out []Change
	for _, d := range ds {
		if !d.Open() || !FollowsRisk(d.Kind) || d.DueAt.Equal(d.AnchorAt) {
			continue
		}
		due, ok := Due(p, d.Kind, risk, d.AnchorAt)
		switch {
		case !ok:
			out = append(out, Change{Deadline: d, Remove: true})
		case !due.Equal(d.DueAt):
			d.DueAt = due
			out = append(out, Change{Deadline: d})
		}
	}
	return out
}

// NextDue returns the earliest due date among open deadlines, or the zero time.
func NextDue(ds []Deadline) time.Time {
	var next time.Time
	for _, d := range ds {
		if d.Open() && (next.IsZero() || d.DueAt.Before(next)) {
			next = d.DueAt
		}
	}
	return next
}
