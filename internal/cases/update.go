package cases

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
)

// Snapshot is a case with its identity, as a conflict shows it.
type Snapshot struct {
	Case     *Case
	Identity *Identity
}

// checkVersion refuses an edit made on a stale version of c.
func checkVersion(ctx context.Context, tx Tx, c *Case, version int) error {
	if c.Version == version {
		return nil
	}
	id, err := tx.Identity(ctx, c.ID)
	if err != nil {
		return err
	}
	return &errs.ConflictError{Record: "case", Version: c.Version, Current: Snapshot{Case: c, Identity: id}}
}

// UpdateRegistration saves an edited registration form for case id, read
// at version. The type, risk level, urgency and caseworker change through
// their own operations, each with its reason and history.
func UpdateRegistration(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, version int, r Registration, now time.Time) (*Case, error) {
	c, err := Get(ctx, tx, a, access.Edit, access.Registration, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	r.Type, r.RiskLevel, r.RiskReason, r.Urgent = c.Type, c.RiskLevel, "unchanged", c.Urgent
	if r.RegisteredOn == "" {
		r.RegisteredOn = c.RegisteredOn // an edit that leaves the date out keeps it
	}
	if f := r.validate(p, now.In(p.Location())); len(f) > 0 {
		return nil, f
	}
	old, err := tx.Identity(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	before := FormOf(c, old, "")
	c.Sex, c.AgeYears, c.AgeEstimated = r.Sex, r.Age, r.AgeEstimated
	c.RegisteredOn, c.RegistrationPlace = r.RegisteredOn, r.RegistrationPlace
	c.CareStatus, c.CareArrangement, c.Source, c.Concerns = r.CareStatus, r.CareArrangement, r.Source, r.Concerns
	c.Priority = r.CareStatus == Separated || r.CareStatus == Unaccompanied
	c.Details = Details{Needs: r.Needs, UrgentNeeds: r.UrgentNeeds, Additional: r.Additional}
	c.Declined = r.Declined
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	newID := r.identity()
	newID.Notes = old.Notes
	if err := tx.UpdateCase(ctx, c, newID); err != nil {
		return nil, err
	}
	if err := SyncAgeOut(ctx, tx, p, c, newID, now); err != nil {
		return nil, err
	}
	// A change of care arrangement makes the review due at once (L4474-4481).
	if before.CareStatus != c.CareStatus || before.CareArrangement != c.CareArrangement {
		ds, err := tx.CaseDeadlines(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if hasOpen(ds, deadline.Review) {
			if err := DueNow(ctx, tx, c, deadline.Review, now); err != nil {
				return nil, err
			}
		}
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	after := FormOf(c, newID, "")
	detail, _ := json.Marshal(map[string]any{"fields": ChangedFields(before, after)})
	return c, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "case.update", RecordType: "case", RecordID: c.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// ChangedFields names the registration fields that differ between a and b
// (names only: the audit trail never holds case content).
func ChangedFields(a, b Registration) []string {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var ma, mb map[string]any
	json.Unmarshal(ja, &ma)
	json.Unmarshal(jb, &mb)
	var out []string
	for k, va := range ma {
		vb, _ := json.Marshal(emptyAsNull(mb[k]))
		vaj, _ := json.Marshal(emptyAsNull(va))
		if string(vaj) != string(vb) {
			out = append(out, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// emptyAsNull treats an empty list like no list: a case read from storage
// has [] where a form that leaves a list out has null.
func emptyAsNull(v any) any {
	if l, ok := v.([]any); ok && len(l) == 0 {
		return nil
	}
	return v
}

// RiskRank orders risk levels: no_risk 0, low 1, medium 2, high 3.
func RiskRank(level string) int {
	switch level {
	case profile.High:
		return 3
	case profile.Medium:
		return 2
	case profile.Low:
		return 1
	}
	return 0
}

func hasOpen(ds []deadline.Deadline, k deadline.Kind) bool {
	for _, d := range ds {
		if d.Kind == k && d.Open() {
			return true
		}
	}
	return false
}

// ChangeRisk sets the risk level of case id (read at version) with a
// reason, appends it to the risk history, and moves the open deadlines to
// the new level's timelines.
func ChangeRisk(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, version int, level, reason string, now time.Time) (*Case, error) {
	c, err := Get(ctx, tx, a, access.Edit, access.Registration, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	var f errs.Fields
	if !profile.Has(p.RiskLevels, level) {
		f.Add("risk_level", "err.choose")
	} else if level == c.RiskLevel {
		f.Add("risk_level", "err.risk_same")
	}
	if len(reason) == 0 || len(reason) > maxLong {
		f.Add("risk_reason", "err.risk_reason")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	from := c.RiskLevel
	if err := tx.InsertRiskChange(ctx, &RiskChange{CaseID: c.ID, From: from, To: level, Reason: reason,
		ChangedBy: a.UserID, ChangedAt: now}); err != nil {
		return nil, err
	}
	c.RiskLevel, c.UpdatedBy, c.UpdatedAt = level, a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, ch := range deadline.Recompute(p, level, ds) {
		if ch.Remove {
			err = tx.DeleteDeadline(ctx, ch.Deadline.ID)
		} else {
			err = tx.UpdateDeadline(ctx, &ch.Deadline)
		}
		if err != nil {
			return nil, err
		}
	}
	// A higher risk level makes the review of an active plan due at once (L4474-4481).
	if RiskRank(level) > RiskRank(from) && hasOpen(ds, deadline.Review) {
		if err := DueNow(ctx, tx, c, deadline.Review, now); err != nil {
			return nil, err
		}
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]string{"from": from, "to": level})
	return c, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "case.risk_change", RecordType: "case", RecordID: c.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// SetUrgent raises or lowers the urgent flag of case id (read at version).
// Raising it needs a description of the urgent need and starts the urgent
// response deadline; lowering it marks that deadline done.
func SetUrgent(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, version int, urgent bool, need string, now time.Time) (*Case, error) {
	c, err := Get(ctx, tx, a, access.Edit, access.Registration, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	if urgent == c.Urgent {
		return c, nil
	}
	if urgent {
		if need == "" || len(need) > maxLong {
			return nil, errs.Field("urgent_needs", "err.urgent_needs")
		}
		c.Details.UrgentNeeds = need
	}
	c.Urgent, c.UpdatedBy, c.UpdatedAt = urgent, a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if urgent {
		due, _ := deadline.Due(p, deadline.UrgentResponse, c.RiskLevel, now)
		err = tx.InsertDeadline(ctx, &deadline.Deadline{CaseID: c.ID, Kind: deadline.UrgentResponse, AnchorAt: now,
			DueAt: due, AssigneeID: c.CaseworkerID, TeamID: c.TeamID, AgencyID: c.AgencyID, CreatedAt: now})
		if err == nil {
			// The supervisor is informed of every urgent need (L3834-3835).
			err = notify.Supervisors(ctx, tx, c.TeamID, notify.Urgent, c.ID, a.UserID, now)
		}
	} else {
		for _, d := range ds {
			if d.Kind == deadline.UrgentResponse && d.Open() {
				d.DoneAt, d.DoneBy = now, a.UserID
				if err = tx.UpdateDeadline(ctx, &d); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]bool{"urgent": urgent})
	return c, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "case.urgent", RecordType: "case", RecordID: c.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// Assign makes user caseworkerID the primary caseworker of case id (read at
// version); the case's open deadlines move with it.
func Assign(ctx context.Context, tx Tx, a access.Actor, id string, version int, caseworkerID string, now time.Time) (*Case, error) {
	c, err := Get(ctx, tx, a, access.Assign, access.Registration, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	u, err := choosePrimary(ctx, tx, a, c.AgencyID, caseworkerID)
	if err != nil {
		return nil, err
	}
	if u.ID == c.CaseworkerID {
		return c, nil
	}
	from := c.CaseworkerID
	c.CaseworkerID, c.TeamID, c.UpdatedBy, c.UpdatedAt = u.ID, u.TeamID, a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.Open() && d.AssigneeID == from {
			d.AssigneeID, d.TeamID = u.ID, u.TeamID
			if err := tx.UpdateDeadline(ctx, &d); err != nil {
				return nil, err
			}
		}
	}
	detail, _ := json.Marshal(map[string]string{"from": from, "to": u.ID})
	return c, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "case.assign", RecordType: "case", RecordID: c.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}
