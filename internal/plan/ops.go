package plan

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
)

// Tx is the storage plans need.
type Tx interface {
	consent.Tx
	cases.Tx
	Needs(ctx context.Context, caseID string) ([]assessment.Need, error)
	Plans(ctx context.Context, caseID string) ([]Plan, error)
	InsertPlan(ctx context.Context, p *Plan) error
	UpdatePlan(ctx context.Context, p *Plan) error
	ReplacePlanItems(ctx context.Context, p *Plan) error
	SetObjectiveStatus(ctx context.Context, planID, id, status string) error
	SetActionStatus(ctx context.Context, planID, id, status string) error
}

// Input is the case plan form. Actions name their objective by its position
// in Objectives (1, 2, …; 0 for none).
type Input struct {
	MeetingOn      string           `json:"meeting_on"`
	Participants   []Participant    `json:"participants"`
	ChildViews     string           `json:"child_views"`
	CaregiverViews string           `json:"caregiver_views"`
	Notes          string           `json:"notes"`
	Objectives     []ObjectiveInput `json:"objectives"`
	Actions        []ActionInput    `json:"actions"`
	Gaps           []GapInput       `json:"gaps"`
	Version        int              `json:"version"` // of the plan being edited; 0 for a new one
}

// ObjectiveInput is one objective row.
type ObjectiveInput struct {
	NeedID      string `json:"need_id"`
	Description string `json:"description"`
	Measure     string `json:"measure"`
	DueOn       string `json:"due_on"`
}

// ActionInput is one action row.
type ActionInput struct {
	Objective int    `json:"objective"`
	What      string `json:"what"`
	Kind      string `json:"kind"`
	Who       string `json:"who"`
	WhoName   string `json:"who_name"`
	DueOn     string `json:"due_on"`
	Horizon   string `json:"horizon"`
}

// GapInput is one service gap row.
type GapInput struct {
	NeedID      string `json:"need_id"`
	Description string `json:"description"`
}

func (o ObjectiveInput) empty() bool {
	return strings.TrimSpace(o.NeedID+o.Description+o.Measure+o.DueOn) == ""
}
func (a ActionInput) empty() bool {
	return strings.TrimSpace(a.What+a.Who+a.WhoName+a.DueOn+a.Horizon) == "" && a.Objective == 0
}
func (g GapInput) empty() bool { return strings.TrimSpace(g.NeedID+g.Description) == "" }

const (
	maxShort = 200
	maxLong  = 4000
)

// build validates in against the case's needs and returns the plan items.
// An objective without its need, measure or due date is refused: objectives
// are SMART (L4222-4263).
func build(p *profile.Profile, in *Input, needs []assessment.Need, now time.Time) ([]Objective, []Action, []Gap, errs.Fields) {
	var f errs.Fields
	isNeed := map[string]bool{}
	for _, n := range needs {
		isNeed[n.ID] = true
	}
	today := p.Today(now)
	date := func(field, v string, future bool) {
		if v == "" {
			f.Add(field, "err.required")
			return
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			f.Add(field, "err.date")
		} else if future && v < today {
			f.Add(field, "err.past")
		}
	}
	for _, s := range []*string{&in.MeetingOn, &in.ChildViews, &in.CaregiverViews, &in.Notes} {
		*s = strings.TrimSpace(*s)
	}
	if in.MeetingOn != "" {
		if _, err := time.Parse(time.DateOnly, in.MeetingOn); err != nil {
			f.Add("meeting_on", "err.date")
		} else if in.MeetingOn > today {
			f.Add("meeting_on", "err.future")
		}
	}
	var parts []Participant
	for i, pt := range in.Participants {
		pt.Name = strings.TrimSpace(pt.Name)
		if pt.Role == "" && pt.Name == "" {
			continue
		}
		if !slices.Contains(ParticipantRoles, pt.Role) {
			f.Add("participants."+strconv.Itoa(i)+".role", "err.choose")
		}
		if len(pt.Name) > maxShort {
			f.Add("participants."+strconv.Itoa(i)+".name", "err.too_long", maxShort)
		}
		parts = append(parts, pt)
	}
	in.Participants = parts
	for field, v := range map[string]string{"child_views": in.ChildViews, "caregiver_views": in.CaregiverViews, "notes": in.Notes} {
		if len(v) > maxLong {
			f.Add(field, "err.too_long", maxLong)
		}
	}
	var objs []Objective
	pos := map[int]int{} // row number (1-based) -> index in objs
	for i, oi := range in.Objectives {
		if oi.empty() {
			continue
		}
		prefix := "objectives." + strconv.Itoa(i)
		o := Objective{NeedID: oi.NeedID, Description: strings.TrimSpace(oi.Description),
			Measure: strings.TrimSpace(oi.Measure), DueOn: strings.TrimSpace(oi.DueOn), Status: NotStarted}
		if !isNeed[oi.NeedID] {
			f.Add(prefix+".need_id", "err.objective_need")
		}
		if o.Description == "" || len(o.Description) > maxLong {
			f.Add(prefix+".description", "err.required")
		}
		if o.Measure == "" || len(o.Measure) > maxLong {
			f.Add(prefix+".measure", "err.objective_measure")
		}
		date(prefix+".due_on", o.DueOn, true)
		pos[i+1] = len(objs)
		o.Position = len(objs) + 1
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		f.Add("objectives", "err.objectives_required")
	}
	var acts []Action
	refs := []int{}
	for i, ai := range in.Actions {
		if ai.empty() {
			continue
		}
		prefix := "actions." + strconv.Itoa(i)
		a := Action{What: strings.TrimSpace(ai.What), Kind: ai.Kind, Who: ai.Who, WhoName: strings.TrimSpace(ai.WhoName),
			DueOn: strings.TrimSpace(ai.DueOn), Horizon: ai.Horizon, Status: Planned, Position: len(acts) + 1}
		if a.Kind == "" {
			a.Kind = "direct"
		}
		if a.What == "" || len(a.What) > maxLong {
			f.Add(prefix+".what", "err.required")
		}
		if !slices.Contains(ActionKinds, a.Kind) {
			f.Add(prefix+".kind", "err.choose")
		}
		if !slices.Contains(Whos, a.Who) {
			f.Add(prefix+".who", "err.choose")
		}
		if len(a.WhoName) > maxShort {
			f.Add(prefix+".who_name", "err.too_long", maxShort)
		}
		if !slices.Contains(Horizons, a.Horizon) {
			f.Add(prefix+".horizon", "err.choose")
		}
		date(prefix+".due_on", a.DueOn, false)
		if ai.Objective != 0 {
			if _, ok := pos[ai.Objective]; !ok {
				f.Add(prefix+".objective", "err.choose")
			}
		}
		refs = append(refs, ai.Objective)
		acts = append(acts, a)
	}
	var gaps []Gap
	for i, gi := range in.Gaps {
		if gi.empty() {
			continue
		}
		prefix := "gaps." + strconv.Itoa(i)
		g := Gap{NeedID: gi.NeedID, Description: strings.TrimSpace(gi.Description)}
		if g.NeedID != "" && !isNeed[g.NeedID] {
			f.Add(prefix+".need_id", "err.choose")
		}
		if g.Description == "" || len(g.Description) > maxLong {
			f.Add(prefix+".description", "err.required")
		}
		gaps = append(gaps, g)
	}
	if len(f) > 0 {
		return nil, nil, nil, f
	}
	// Link actions to their objectives once objectives have IDs (in the store);
	// here the position stands in for the ID until then.
	for i, r := range refs {
		if r != 0 {
			acts[i].ObjectiveID = "#" + strconv.Itoa(pos[r]+1)
		}
	}
	return objs, acts, gaps, nil
}

// plans loads the case's plans and finds the one being edited, the active
// one and the latest.
func current(ps []Plan) (open, active *Plan, last int) {
	for i := range ps {
		p := &ps[i]
		if p.Number > last {
			last = p.Number
		}
		switch p.Status {
		case Draft, Returned, Submitted:
			open = p
		case Active:
			active = p
		}
	}
	return open, active, last
}

// Save creates or edits the draft plan of case caseID from in. A returned
// plan becomes a draft again. Only one plan is in preparation at a time.
func Save(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*Plan, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Plan, caseID)
	if err != nil {
		return nil, err
	}
	if err := consent.Gate(ctx, tx, p, c, now); err != nil {
		return nil, err
	}
	needs, err := tx.Needs(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if len(needs) == 0 {
		return nil, errs.Field("objectives", "err.assess_first")
	}
	ps, err := tx.Plans(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	open, _, last := current(ps)
	var pl *Plan
	switch {
	case open == nil:
		pl = &Plan{CaseID: c.ID, Number: last + 1, Status: Draft, CreatedBy: a.UserID, CreatedAt: now}
	case open.AwaitsApproval():
		return nil, errs.Field("plan", "err.plan_submitted")
	case open.Version != in.Version:
		return nil, &errs.ConflictError{Record: "plan", Version: open.Version, Current: open}
	default:
		pl = open
	}
	objs, acts, gaps, f := build(p, &in, needs, now)
	if len(f) > 0 {
		return nil, f
	}
	pl.MeetingOn, pl.Participants, pl.ChildViews, pl.CaregiverViews, pl.Notes =
		in.MeetingOn, in.Participants, in.ChildViews, in.CaregiverViews, in.Notes
	pl.Objectives, pl.Actions, pl.Gaps = objs, acts, gaps
	if pl.WasReturned() {
		pl.Status = Draft
	}
	if pl.ID == "" {
		err = tx.InsertPlan(ctx, pl)
	} else {
		err = tx.UpdatePlan(ctx, pl)
	}
	if err != nil {
		return nil, err
	}
	if err := tx.ReplacePlanItems(ctx, pl); err != nil {
		return nil, err
	}
	return pl, record(ctx, tx, a, c, pl, "plan.save", now)
}

func record(ctx context.Context, tx Tx, a access.Actor, c *cases.Case, pl *Plan, action string, now time.Time) error {
	detail, _ := json.Marshal(map[string]any{"number": pl.Number, "status": pl.Status, "objectives": len(pl.Objectives),
		"actions": len(pl.Actions), "gaps": len(pl.Gaps)})
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: action,
		RecordType: "plan", RecordID: pl.ID, CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// find returns plan id of case c's plans.
func find(ctx context.Context, tx Tx, c *cases.Case, id string) (*Plan, []Plan, error) {
	ps, err := tx.Plans(ctx, c.ID)
	if err != nil {
		return nil, nil, err
	}
	for i := range ps {
		if ps[i].ID == id {
			return &ps[i], ps, nil
		}
	}
	return nil, nil, errs.E(errs.NotFound, "plan %s", id)
}

// decide reads plan id of case caseID, which a may act on (act), at
// version: the start of every decision on a plan.
func decide(ctx context.Context, tx Tx, a access.Actor, act access.Action, caseID, id string, version int) (*cases.Case, *Plan, []Plan, error) {
	c, err := cases.Get(ctx, tx, a, act, access.Plan, caseID)
	if err != nil {
		return nil, nil, nil, err
	}
	pl, ps, err := find(ctx, tx, c, id)
	if err != nil {
		return nil, nil, nil, err
	}
	if pl.Version != version {
		return nil, nil, nil, &errs.ConflictError{Record: "plan", Version: pl.Version, Current: pl}
	}
	return c, pl, ps, nil
}

// Submit sends draft plan id of case caseID (read at version) on: for the
// supervisor's approval when the case's risk level needs it, otherwise
// straight to active.
func Submit(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID, id string, version int, now time.Time) (*Plan, error) {
	c, pl, ps, err := decide(ctx, tx, a, access.Edit, caseID, id, version)
	if err != nil {
		return nil, err
	}
	if !pl.CanSubmit() {
		return nil, errs.Field("plan", "err.plan_not_draft")
	}
	if len(pl.Objectives) == 0 {
		return nil, errs.Field("objectives", "err.objectives_required")
	}
	// The plan is delivered: the case-plan deadline is met by submitting it.
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.CasePlan, a.UserID, now); err != nil {
		return nil, err
	}
	if !p.NeedsPlanApproval(c.RiskLevel) {
		return activate(ctx, tx, p, a, c, pl, ps, now)
	}
	pl.Status, pl.SubmittedAt = Submitted, now
	if err := tx.UpdatePlan(ctx, pl); err != nil {
		return nil, err
	}
	if err := cases.SupervisorTask(ctx, tx, p, c, deadline.PlanApproval, notify.PlanSubmitted, a.UserID, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	return pl, record(ctx, tx, a, c, pl, "plan.submit", now)
}

// Approve approves submitted plan id (read at version): it becomes active.
// Only the case's supervisor approves.
func Approve(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID, id string, version int, now time.Time) (*Plan, error) {
	c, pl, ps, err := decide(ctx, tx, a, access.Approve, caseID, id, version)
	if err != nil {
		return nil, err
	}
	if !pl.CanApprove() {
		return nil, errs.Field("plan", "err.plan_not_submitted")
	}
	pl.DecidedBy, pl.DecidedAt = a.UserID, now
	pl, err = activate(ctx, tx, p, a, c, pl, ps, now)
	if err != nil {
		return nil, err
	}
	return pl, notify.Send(ctx, tx, []string{c.CaseworkerID}, notify.PlanApproved, c.ID, a.UserID, now)
}

// Return sends submitted plan id (read at version) back to the caseworker
// with the supervisor's comments.
func Return(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID, id string, version int, comments string, now time.Time) (*Plan, error) {
	c, pl, _, err := decide(ctx, tx, a, access.Approve, caseID, id, version)
	if err != nil {
		return nil, err
	}
	if !pl.CanApprove() {
		return nil, errs.Field("plan", "err.plan_not_submitted")
	}
	comments = strings.TrimSpace(comments)
	if comments == "" || len(comments) > maxLong {
		return nil, errs.Field("return_comments", "err.return_comments")
	}
	pl.Status, pl.DecidedBy, pl.DecidedAt, pl.ReturnComments = Returned, a.UserID, now, comments
	if err := tx.UpdatePlan(ctx, pl); err != nil {
		return nil, err
	}
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.PlanApproval, a.UserID, now); err != nil {
		return nil, err
	}
	// The plan is the caseworker's to finish again, on the case-plan timeline.
	if err := cases.EnsureDeadline(ctx, tx, p, c, deadline.CasePlan, now, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	if err := notify.Send(ctx, tx, []string{c.CaseworkerID}, notify.PlanReturned, c.ID, a.UserID, now); err != nil {
		return nil, err
	}
	return pl, record(ctx, tx, a, c, pl, "plan.return", now)
}

// activate makes pl the case's active plan: the one before is superseded,
// the case moves on to implementation, and the first-action, follow-up and
// review deadlines run from now.
func activate(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, c *cases.Case, pl *Plan, ps []Plan, now time.Time) (*Plan, error) {
	for i := range ps {
		if ps[i].Status == Active && ps[i].ID != pl.ID {
			ps[i].Status = Superseded
			if err := tx.UpdatePlan(ctx, &ps[i]); err != nil {
				return nil, err
			}
		}
	}
	pl.Status, pl.ActivatedAt = Active, now
	if err := tx.UpdatePlan(ctx, pl); err != nil {
		return nil, err
	}
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.PlanApproval, a.UserID, now); err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	firstActionSeen := false
	for _, d := range ds {
		firstActionSeen = firstActionSeen || d.Kind == deadline.FirstAction
	}
	if !firstActionSeen {
		if err := cases.AddDeadline(ctx, tx, p, c, deadline.FirstAction, now, c.CaseworkerID, now); err != nil {
			return nil, err
		}
	}
	if err := cases.EnsureDeadline(ctx, tx, p, c, deadline.FollowUp, now, now); err != nil {
		return nil, err
	}
	if err := cases.RescheduleDeadline(ctx, tx, p, c, deadline.Review, now, now); err != nil {
		return nil, err
	}
	if c.Step == cases.StepAssessment || c.Step == cases.StepCasePlan || c.Step == cases.StepRegistration {
		if err := cases.SetStep(ctx, tx, c, cases.StepImplementation, "plan active", a.UserID, now); err != nil {
			return nil, err
		}
		c.UpdatedBy, c.UpdatedAt = a.UserID, now
		if err := tx.UpdateCase(ctx, c, nil); err != nil {
			return nil, err
		}
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	return pl, record(ctx, tx, a, c, pl, "plan.activate", now)
}

// Revise starts a new draft from the active plan, for re-planning after a
// review or a change. The active plan stays in force until the new one is.
func Revise(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, now time.Time) (*Plan, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Plan, caseID)
	if err != nil {
		return nil, err
	}
	ps, err := tx.Plans(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	open, active, last := current(ps)
	if open != nil {
		return nil, errs.Field("plan", "err.plan_in_preparation")
	}
	if active == nil {
		return nil, errs.Field("plan", "err.no_active_plan")
	}
	pl := &Plan{CaseID: c.ID, Number: last + 1, Status: Draft, MeetingOn: "", Participants: active.Participants,
		ChildViews: active.ChildViews, CaregiverViews: active.CaregiverViews, CreatedBy: a.UserID, CreatedAt: now}
	idx := map[string]int{}
	for i, o := range active.Objectives {
		o.ID, o.PlanID = "", ""
		idx[active.Objectives[i].ID] = i + 1
		pl.Objectives = append(pl.Objectives, o)
	}
	for _, x := range active.Actions {
		if x.Status == Done || x.Status == Cancelled {
			continue
		}
		if n, ok := idx[x.ObjectiveID]; ok {
			x.ObjectiveID = "#" + strconv.Itoa(n)
		} else {
			x.ObjectiveID = ""
		}
		x.ID, x.PlanID = "", ""
		pl.Actions = append(pl.Actions, x)
	}
	for _, g := range active.Gaps {
		g.ID, g.PlanID = "", ""
		pl.Gaps = append(pl.Gaps, g)
	}
	if err := tx.InsertPlan(ctx, pl); err != nil {
		return nil, err
	}
	if err := tx.ReplacePlanItems(ctx, pl); err != nil {
		return nil, err
	}
	// Re-planning is the case-plan step again (the process is not a straight
	// line), with its deadline; the active plan stays in force meanwhile and
	// activating the new one moves the case on to implementation.
	if c.Step == cases.StepImplementation || c.Step == cases.StepFollowUp {
		if err := cases.SetStep(ctx, tx, c, cases.StepCasePlan, "plan revision", a.UserID, now); err != nil {
			return nil, err
		}
		if err := cases.EnsureDeadline(ctx, tx, p, c, deadline.CasePlan, now, now); err != nil {
			return nil, err
		}
		c.UpdatedBy, c.UpdatedAt = a.UserID, now
		if err := tx.UpdateCase(ctx, c, nil); err != nil {
			return nil, err
		}
		if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	return pl, record(ctx, tx, a, c, pl, "plan.revise", now)
}

// Active returns the active plan among ps, or nil.
func ActiveOf(ps []Plan) *Plan {
	_, active, _ := current(ps)
	return active
}

// OpenReferralActions returns the actions of pl that a referral may carry
// out: the referral actions neither done nor cancelled, in plan order (the
// coordination page offers them on its referral form).
func (pl *Plan) OpenReferralActions() []Action {
	var out []Action
	for _, a := range pl.Actions {
		if a.Kind == "referral" && a.Status != Done && a.Status != Cancelled {
			out = append(out, a)
		}
	}
	return out
}

// InPreparation returns the plan being prepared or waiting for approval, or nil.
func InPreparation(ps []Plan) *Plan {
	open, _, _ := current(ps)
	return open
}
