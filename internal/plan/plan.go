// Package plan holds the case plan, the third step of case management:
// versioned plans made with the child and family, SMART objectives each tied
// to an assessed need with a measure and a due date, actions with what, who,
// when and a horizon, the needs no service meets (recorded as service gaps),
// and the case-planning meeting. Plans of high-risk cases (per the profile)
// need a supervisor's approval before they become active; the supervisor can
// return a plan with comments. Activation sets the first-action, follow-up
// and review deadlines.
package plan

import (
	"time"
)

// Plan statuses.
const (
	Draft      = "draft"
	Submitted  = "submitted" // waiting for the supervisor's approval
	Active     = "active"
	Returned   = "returned" // the supervisor sent it back with comments
	Superseded = "superseded"
)

// Objective statuses.
const (
	NotStarted = "not_started"
	InProgress = "in_progress"
	Met        = "met"
	NotMet     = "not_met"
	Dropped    = "dropped"
)

// ObjectiveStatuses lists the objective statuses.
var ObjectiveStatuses = []string{NotStarted, InProgress, Met, NotMet, Dropped}

// Action statuses.
const (
	Planned   = "planned"
	Doing     = "in_progress"
	Done      = "done"
	Cancelled = "cancelled"
)

// Who may carry out an action (L1045-1046, L4313-4320).
var Whos = []string{"caseworker", "child", "caregiver", "provider", "community"}

// Horizons of an action (L4269).
var Horizons = []string{"immediate", "short", "medium", "long"}

// Action kinds: support the caseworker gives, or a referral to a service.
var ActionKinds = []string{"direct", "referral"}

// Participant roles at the case-planning meeting.
var ParticipantRoles = []string{"child", "caregiver", "caseworker", "supervisor", "provider", "other"}

// Plan is one version of a case plan.
type Plan struct {
	ID             string
	CaseID         string
	Number         int
	Status         string
	MeetingOn      string // YYYY-MM-DD of the case-planning meeting
	Participants   []Participant
	ChildViews     string
	CaregiverViews string
	Notes          string
	CreatedBy      string
	CreatedAt      time.Time
	SubmittedAt    time.Time
	DecidedBy      string
	DecidedAt      time.Time
	ReturnComments string
	ActivatedAt    time.Time
	Version        int

	Objectives []Objective
	Actions    []Action
	Gaps       []Gap
}

// Participant is someone who took part in the case-planning meeting.
type Participant struct {
	Role string `json:"role"`
	Name string `json:"name"`
}

// Objective is a SMART objective tied to a need.
type Objective struct {
	ID          string
	PlanID      string
	CaseID      string
	NeedID      string
	Description string
	Measure     string
	DueOn       string // YYYY-MM-DD
	Status      string
	Position    int
}

// Action is one thing to do for the plan: what, who, when.
type Action struct {
	ID          string
	PlanID      string
	CaseID      string
	ObjectiveID string
	What        string
	Kind        string
	Who         string
	WhoName     string
	DueOn       string
	Horizon     string
	Status      string
	Position    int
}

// Gap is a need no available service meets: recorded, never dropped.
type Gap struct {
	ID          string
	PlanID      string
	CaseID      string
	NeedID      string
	Description string
}

// Open reports whether a plan can still be edited.
func (p *Plan) Open() bool { return p.Status == Draft || p.Status == Returned }

// CanSubmit reports whether the plan can be submitted (or, when its case
// needs no approval, activated): a draft. A returned plan is saved again
// first.
func (p *Plan) CanSubmit() bool { return p.Status == Draft }

// AwaitsApproval reports whether the plan waits for the supervisor's
// decision.
func (p *Plan) AwaitsApproval() bool { return p.Status == Submitted }

// CanApprove reports whether the plan can be approved or returned: it was
// submitted and awaits the decision.
func (p *Plan) CanApprove() bool { return p.AwaitsApproval() }

// WasReturned reports whether the supervisor sent the plan back with
// comments and it has not been saved since.
func (p *Plan) WasReturned() bool { return p.Status == Returned }

// IsSuperseded reports whether a newer plan replaced this one once active.
func (p *Plan) IsSuperseded() bool { return p.Status == Superseded }

// Objective returns the objective with id.
func (p *Plan) Objective(id string) *Objective {
	for i := range p.Objectives {
		if p.Objectives[i].ID == id {
			return &p.Objectives[i]
		}
	}
	return nil
}
