package cases

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
)

// SetStep moves c to step to, recording the move in the step history. The
// caller saves c. It does nothing when c is already at to.
func SetStep(ctx context.Context, tx Tx, c *Case, to, reason, actor string, now time.Time) error {
	if c.Step == to {
		return nil
	}
	if err := tx.InsertStepChange(ctx, &StepChange{CaseID: c.ID, From: c.Step, To: to, Reason: reason,
		ChangedBy: actor, ChangedAt: now}); err != nil {
		return err
	}
	c.Step = to
	return nil
}

// EnsureDeadline opens a deadline of kind k for c anchored at anchor,
// unless one of that kind is already open (then it is left as it is).
func EnsureDeadline(ctx context.Context, tx Tx, p *profile.Profile, c *Case, k deadline.Kind, anchor, now time.Time) error {
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.Kind == k && d.Open() {
			return nil
		}
	}
	return AddDeadline(ctx, tx, p, c, k, anchor, c.CaseworkerID, now)
}

// AddDeadline opens a deadline of kind k for c, assigned to assignee.
func AddDeadline(ctx context.Context, tx Tx, p *profile.Profile, c *Case, k deadline.Kind, anchor time.Time, assignee string, now time.Time) error {
	due, ok := deadline.Due(p, k, c.RiskLevel, anchor)
	if !ok {
		return nil
	}
	return tx.InsertDeadline(ctx, &deadline.Deadline{CaseID: c.ID, Kind: k, AnchorAt: anchor, DueAt: due,
		AssigneeID: assignee, TeamID: c.TeamID, AgencyID: c.AgencyID, CreatedAt: now})
}

// SupervisorTask gives each supervisor of c's team a deadline of kind k
// (an approval) and notifies them with kind n.
func SupervisorTask(ctx context.Context, tx Tx, p *profile.Profile, c *Case, k deadline.Kind, n notify.Kind, actor string, now time.Time) error {
	sups, err := tx.TeamSupervisors(ctx, c.TeamID)
	if err != nil {
		return err
	}
	for _, s := range sups {
		if err := AddDeadline(ctx, tx, p, c, k, now, s, now); err != nil {
			return err
		}
	}
	return notify.Send(ctx, tx, sups, n, c.ID, actor, now)
}

// CompleteDeadlines marks the open deadlines of kind k of case c done.
// It reports how many it completed.
func CompleteDeadlines(ctx context.Context, tx Tx, c *Case, k deadline.Kind, by string, now time.Time) (int, error) {
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range ds {
		if d.Kind == k && d.Open() {
			d.DoneAt, d.DoneBy = now, by
			if err := tx.UpdateDeadline(ctx, &d); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// RescheduleDeadline makes the open deadline of kind k run from anchor
// (opening one if none is open): a follow-up or a review due again.
func RescheduleDeadline(ctx context.Context, tx Tx, p *profile.Profile, c *Case, k deadline.Kind, anchor, now time.Time) error {
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return err
	}
	due, ok := deadline.Due(p, k, c.RiskLevel, anchor)
	for _, d := range ds {
		if d.Kind != k || !d.Open() {
			continue
		}
		if !ok {
			return tx.DeleteDeadline(ctx, d.ID)
		}
		d.AnchorAt, d.DueAt = anchor, due
		return tx.UpdateDeadline(ctx, &d)
	}
	return AddDeadline(ctx, tx, p, c, k, anchor, c.CaseworkerID, now)
}

// DueNow makes the open deadline of kind k due at now (opening one if none
// is open): a review that an event makes due at once.
func DueNow(ctx context.Context, tx Tx, c *Case, k deadline.Kind, now time.Time) error {
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.Kind == k && d.Open() {
			if d.DueAt.After(now) {
				// Anchored at now too: Recompute leaves a deadline due at its anchor alone.
				d.AnchorAt, d.DueAt = now, now
				return tx.UpdateDeadline(ctx, &d)
			}
			return nil
		}
	}
	return tx.InsertDeadline(ctx, &deadline.Deadline{CaseID: c.ID, Kind: k, AnchorAt: now, DueAt: now,
		AssigneeID: c.CaseworkerID, TeamID: c.TeamID, AgencyID: c.AgencyID, CreatedAt: now})
}

// Steps a caseworker may send a case back to by hand: the process is not a
// straight line (L307-309).
var manualSteps = map[string]deadline.Kind{StepAssessment: deadline.Assessment, StepCasePlan: deadline.CasePlan}

// MoveStep sends case id (read at version) back to assessment or to case
// planning, with the reason, and opens that step's deadline from now. Only
// backwards: a case reaches case planning forwards by its assessment.
func MoveStep(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, version int, to, reason string, now time.Time) (*Case, error) {
	c, err := Get(ctx, tx, a, access.Edit, access.Registration, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	k, ok := manualSteps[to]
	var f errs.Fields
	if !ok {
		f.Add("step", "err.choose")
	} else if to == c.Step {
		f.Add("step", "err.step_same")
	} else if stepIndex(to) > stepIndex(c.Step) {
		f.Add("step", "err.choose")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > maxLong {
		f.Add("step_reason", "err.required")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	from := c.Step
	if err := SetStep(ctx, tx, c, to, reason, a.UserID, now); err != nil {
		return nil, err
	}
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	if err := EnsureDeadline(ctx, tx, p, c, k, now, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]string{"from": from, "to": to})
	return c, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "case.step",
		RecordType: "case", RecordID: c.ID, CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// stepIndex is the position of step s in Steps (-1 when unknown).
func stepIndex(s string) int {
	for i, x := range Steps {
		if x == s {
			return i
		}
	}
	return -1
}

// AdultOn returns the day the person turns the profile's adult age: from the
// date of birth when known, otherwise estimated from the age at registration.
// It returns false when neither is known.
func AdultOn(p *profile.Profile, c *Case, id *Identity) (time.Time, bool) {
	loc := p.Location()
	if id != nil && id.DateOfBirth != "" {
		if dob, err := time.ParseInLocation(time.DateOnly, id.DateOfBirth, loc); err == nil {
			return dob.AddDate(p.AdultAge, 0, 0), true
		}
	}
	if c.AgeYears == nil {
		return time.Time{}, false
	}
	reg, err := time.ParseInLocation(time.DateOnly, c.RegisteredOn, loc)
	if err != nil {
		return time.Time{}, false
	}
	return reg.AddDate(p.AdultAge-*c.AgeYears, 0, 0), true
}

// SyncAgeOut keeps the age-out task of an open case in step with the
// person's age: opened (due the profile's alert before the birthday) for a
// child, moved when the age changes, gone for an adult. It never closes a case.
func SyncAgeOut(ctx context.Context, tx Tx, p *profile.Profile, c *Case, id *Identity, now time.Time) error {
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return err
	}
	adult, ok := AdultOn(p, c, id)
	want := ok && c.IsOpen() && c.AgeOutPathway == "" && adult.After(now)
	for _, d := range ds {
		if d.Kind != deadline.AgeOut || !d.Open() {
			continue
		}
		if !want {
			return tx.DeleteDeadline(ctx, d.ID)
		}
		if d.AnchorAt.Equal(adult) {
			return nil
		}
		d.AnchorAt = adult
		d.DueAt, _ = deadline.Due(p, deadline.AgeOut, c.RiskLevel, adult)
		return tx.UpdateDeadline(ctx, &d)
	}
	if !want {
		return nil
	}
	return AddDeadline(ctx, tx, p, c, deadline.AgeOut, adult, c.CaseworkerID, now)
}
