package account

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// Resource is the access resource of approval a under profile p.
func (a *Approval) Resource(p *profile.Profile) access.Resource {
	return access.Resource{Kind: access.KindAccount, AgencyID: a.AgencyID, OwnerID: a.UserID,
		ChangedBy: a.RequestedBy, Approver: ApproverRole(p)}
}

// Decide approves (or, when approve is false, refuses) the waiting approval
// id, as actor: the role the profile names (a manager of the agency, or
// its data protection officer), never the person concerned nor the one who
// made the change. Approved, the user's role takes effect; refused, the
// user keeps no case access until an administrator changes the account
// again. The data protection officers, the person and whoever asked are told.
func Decide(ctx context.Context, tx Tx, p *profile.Profile, actor access.Actor, id string, approve bool, now time.Time) (*Approval, error) {
	a, err := tx.Approval(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := access.Check(actor, access.Approve, a.Resource(p), "approval", a.ID, "", a.AgencyID); err != nil {
		return nil, err
	}
	u, err := tx.User(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if !a.Open() || u.Role != a.Role || !u.CaseAccessPending {
		return nil, errs.E(errs.Conflict, "approval %s: already decided or replaced", a.ID)
	}
	a.DecidedBy, a.DecidedAt = actor.UserID, now
	action, kind := "user.refuse", notify.AccountRefused
	d := Detail{"role": {New: string(u.Role)}}
	if approve {
		a.Decision = Approved
		action, kind = "user.approve", notify.AccountApproved
		before := *u
		u.CaseAccessPending, u.UpdatedAt = false, now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return nil, err
		}
		d.set("case_access", CaseAccess(&before), CaseAccess(u))
	} else {
		a.Decision = Refused
	}
	d["decision"] = Change{New: a.Decision}
	if err := tx.CloseApproval(ctx, a); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return nil, errs.E(errs.Conflict, "approval %s: already decided", a.ID)
		}
		return nil, err
	}
	if err := tx.Record(ctx, By(actor).event(action, u, d)); err != nil {
		return nil, err
	}
	dpos, err := tx.ActiveWithRole(ctx, u.AgencyID, org.DPOfficer)
	if err != nil {
		return nil, err
	}
	to := append(dpos, u.ID, a.RequestedBy)
	if err := notify.About(ctx, tx, to, kind, "", u.ID, actor.UserID, now); err != nil {
		return nil, err
	}
	return a, nil
}

// ApproveAtShell approves, as the operator at the server's shell, the case
// access user id waits for — only when the agency has nobody who may
// approve it (such as the first manager of an agency, under
// role_approval_by: manager), so that a deployment can start.
func ApproveAtShell(ctx context.Context, tx Tx, p *profile.Profile, id string, now time.Time) (*org.User, error) {
	u, err := tx.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if !u.CaseAccessPending || !NeedsApproval(p, u.Role) {
		return nil, errs.Field("username", "err.nothing_to_approve")
	}
	approvers, err := tx.ActiveWithRole(ctx, u.AgencyID, ApproverRole(p))
	if err != nil {
		return nil, err
	}
	for _, a := range approvers {
		if a != u.ID {
			return nil, errs.Field("username", "err.approver_exists", string(ApproverRole(p)))
		}
	}
	before := *u
	u.CaseAccessPending, u.UpdatedAt = false, now
	if err := tx.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	if err := tx.SupersedeApprovals(ctx, u.ID, now); err != nil {
		return nil, err
	}
	d := Detail{"role": {New: string(u.Role)}, "decision": {New: Approved}}
	d.set("case_access", CaseAccess(&before), CaseAccess(u))
	if err := tx.Record(ctx, Shell.event("user.approve", u, d)); err != nil {
		return nil, err
	}
	dpos, err := tx.ActiveWithRole(ctx, u.AgencyID, org.DPOfficer)
	if err != nil {
		return nil, err
	}
	return u, notify.About(ctx, tx, append(dpos, u.ID), notify.AccountApproved, "", u.ID, "", now)
}
