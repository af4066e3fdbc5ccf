package share

import (
	"context"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// Tx is the storage break-glass and the family-notification task need.
type Tx interface {
	cases.Tx
	CaseByCode(ctx context.Context, code string) (*cases.Case, error)
	Users(ctx context.Context, agency string) ([]org.User, error)
	InsertGrant(ctx context.Context, g *Record) error
	CaseGrants(ctx context.Context, caseID string) ([]access.Grant, error)
}

// GlassInput is the break-glass form: which case, and why.
type GlassInput struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// Glass sections: everything but the consent records, read-only.
var glassSections = []access.Section{access.Identity, access.Registration, access.Family, access.Assessment,
	access.Plan, access.Services, access.FollowUp, access.Closure}

// MayBreakGlass says whether a may ask for break-glass access at all:
// case management staff (caseworkers, supervisors, managers) who may work
// on cases. Which case they may break into is BreakGlass's decision.
func MayBreakGlass(a access.Actor) error {
	if d := access.CaseWork(a); !d.Allow {
		return errs.E(errs.Forbidden, "break-glass: %s", d.Reason)
	}
	switch a.Role {
	case org.Caseworker, org.Supervisor, org.Manager:
		return nil
	}
	return errs.E(errs.Forbidden, "break-glass")
}

// BreakGlass gives a time-limited read access to the case with the given
// code, for a stated reason. The case's supervisors and its agency's data
// protection officers are alerted, and the access is audited with the
// reason. A case a may not break into answers like a missing one.
func BreakGlass(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, in GlassInput, now time.Time) (*Record, *cases.Case, error) {
	var f errs.Fields
	code := strings.ToUpper(strings.TrimSpace(in.Code))
	if code == "" || len(code) > 40 {
		f.Add("code", "err.required")
	}
	reason := strings.TrimSpace(in.Reason)
	if len(reason) < 10 || len(reason) > 1000 {
		f.Add("reason", "err.glass_reason")
	}
	if err := f.Err(); err != nil {
		return nil, nil, err
	}
	c, err := tx.CaseByCode(ctx, code)
	if errs.KindOf(err) == errs.NotFound {
		return nil, nil, errs.Field("code", "err.glass_case")
	}
	if err != nil {
		return nil, nil, err
	}
	if d := access.Decide(a, access.Glass, access.Resource{Kind: access.KindCase, Case: c.Ref(),
		Section: access.Registration}); !d.Allow {
		if access.InScope(a, c.Ref()) {
			return nil, c, errs.Field("code", "err.glass_in_scope")
		}
		return nil, nil, errs.Field("code", "err.glass_case")
	}
	// AgencyID records the case's agency at the time (the grant holds for
	// the user alone): the break-glass log stays with that agency's data
	// protection officer after a transfer.
	g := &Record{CaseID: c.ID, Grant: access.Grant{Via: access.ViaBreakGlass, UserID: a.UserID, AgencyID: c.AgencyID,
		Sections: glassSections, Until: now.Add(p.BreakGlassFor.D())}, Reason: reason, CreatedBy: a.UserID, CreatedAt: now}
	if err := tx.InsertGrant(ctx, g); err != nil {
		return nil, nil, err
	}
	sups, err := tx.TeamSupervisors(ctx, c.TeamID)
	if err != nil {
		return nil, nil, err
	}
	us, err := tx.Users(ctx, c.AgencyID)
	if err != nil {
		return nil, nil, err
	}
	for _, u := range us {
		if u.Role == org.DPOfficer && u.Active() {
			sups = append(sups, u.ID)
		}
	}
	if err := notify.Send(ctx, tx, sups, notify.BreakGlass, c.ID, a.UserID, now); err != nil {
		return nil, nil, err
	}
	err = tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "case.break_glass",
		RecordType: "grant", RecordID: g.ID, CaseID: c.ID, AgencyID: c.AgencyID, Reason: reason,
		Detail: `{"until":"` + g.Grant.Until.UTC().Format(time.RFC3339) + `"}`})
	return g, c, err
}

// ToldInput records that the family was told of a share made under a
// consent override.
type ToldInput struct {
	ToldOn string `json:"told_on"`
	ToldTo string `json:"told_to"`
}

// FamilyTold completes the case's open family-notification tasks.
func FamilyTold(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in ToldInput, now time.Time) error {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Consent, caseID)
	if err != nil {
		return err
	}
	var f errs.Fields
	if d, err := time.Parse(time.DateOnly, in.ToldOn); err != nil || d.After(now) {
		f.Add("told_on", "err.date")
	}
	if t := strings.TrimSpace(in.ToldTo); t == "" || len(t) > 200 {
		f.Add("told_to", "err.required")
	}
	if err := f.Err(); err != nil {
		return err
	}
	n, err := cases.CompleteDeadlines(ctx, tx, c, deadline.TellFamily, a.UserID, now)
	if err != nil {
		return err
	}
	if n == 0 {
		return errs.Field("told_on", "err.nothing_to_tell")
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return err
	}
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "share.family_told",
		RecordType: "case", RecordID: c.ID, CaseID: c.ID, AgencyID: c.AgencyID, Detail: `{"told_on":"` + in.ToldOn + `"}`})
}
