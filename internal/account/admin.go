package account

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// CreateOptions are the choices of Create besides the person's details.
type CreateOptions struct {
	// MailConfigured: e-mail is on, so a person with an address gets the
	// setup code by mail and the administrator never sees it.
	MailConfigured bool
	// Password is only for the first system administrator of a new
	// deployment, typed by the operator at the shell: how a deployment starts.
	Password *Password
}

// Created is the outcome of Create.
type Created struct {
	User  *org.User
	Setup *Issued // nil when the first system administrator got a password
}

// mayManage checks that o may do act to the account of u: an administrator
// of u's agency (a system administrator anywhere); an agency administrator
// never to a system administrator. A user o may not administer answers like
// a missing one.
func (o Operator) mayManage(act access.Action, u *org.User) error {
	if o.Shell {
		return nil
	}
	return access.Check(o.Actor, act, access.Resource{Kind: access.KindUser, AgencyID: u.AgencyID, UserRole: u.Role},
		"user", u.ID, "", u.AgencyID)
}

// MayTypePassword reports whether o, adding a user of role r, gives them a
// password typed there and then rather than a setup code: only the shell
// operator, and only for the deployment's first system administrator —
// how a deployment starts.
func MayTypePassword(ctx context.Context, tx Tx, o Operator, r org.Role) (bool, error) {
	if !o.Shell || r != org.SystemAdmin {
		return false, nil
	}
	n, err := tx.CountRole(ctx, org.SystemAdmin)
	return n == 0, err
}

// Create adds a user made by o. The person sets their own password with the
// setup code returned (mailed to them when mail is configured and they have
// an address); a role that reads case content waits for approval.
func Create(ctx context.Context, tx Tx, p *profile.Profile, o Operator, in org.NewUser, opt CreateOptions, now time.Time) (*Created, error) {
	in.Normalize()
	if !o.Shell && o.Actor.Role != org.SystemAdmin {
		in.AgencyID = o.Actor.AgencyID
	}
	if !o.Shell {
		if d := access.Decide(o.Actor, access.Create, access.Resource{Kind: access.KindUser, AgencyID: in.AgencyID}); !d.Allow {
			return nil, errs.E(errs.Forbidden, "add a user: %s", d.Reason)
		}
		if in.Role.Valid() && !access.MayGrantRole(o.Actor, in.Role) {
			return nil, errs.Field("role", "err.role_not_allowed")
		}
	}
	var f errs.Fields
	var team *org.Team
	if in.TeamID != "" {
		t, err := tx.Team(ctx, in.TeamID)
		switch {
		case errs.KindOf(err) == errs.NotFound:
			f.Add("team_id", "err.choose")
		case err != nil:
			return nil, err
		default:
			team = t
		}
	}
	if in.AgencyID != "" {
		ok, err := tx.AgencyExists(ctx, in.AgencyID)
		if err != nil {
			return nil, err
		}
		if !ok {
			f.Add("agency_id", "err.choose")
		}
	}
	if err := in.Validate(team); err != nil {
		fe, _ := errs.AsFields(err)
		for _, e := range fe {
			if !f.Has(e.Field) {
				f = append(f, e)
			}
		}
	}
	if opt.Password != nil {
		first, err := MayTypePassword(ctx, tx, o, in.Role)
		if err != nil {
			return nil, err
		}
		if !first {
			f.Add("password", "err.password_not_yours")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	u := &org.User{AgencyID: in.AgencyID, TeamID: in.TeamID, Username: in.Username, DisplayName: in.DisplayName,
		Role: in.Role, Email: in.Email, Gender: in.Gender, Languages: []string{}, CreatedAt: now, UpdatedAt: now,
		CaseAccessPending: NeedsApproval(p, in.Role)}
	if opt.Password != nil {
		u.PasswordHash = opt.Password.hash
	}
	if err := tx.InsertUser(ctx, u); err != nil {
		return nil, err
	}
	d := Detail{}
	d.set("role", "", string(u.Role))
	d.set("team", "", u.TeamID)
	d.set("case_access", "", CaseAccess(u))
	out := &Created{User: u}
	if opt.Password == nil {
		iss, err := issue(ctx, tx, o, u, PurposeNew, opt.MailConfigured, now)
		if err != nil {
			return nil, err
		}
		out.Setup = iss
		d.set("setup", "", iss.delivery())
	}
	if err := tx.Record(ctx, o.event("user.create", u, d)); err != nil {
		return nil, err
	}
	if err := tell(ctx, tx, p, o, u, notify.AccountCreated, ReasonNew, now); err != nil {
		return nil, err
	}
	return out, nil
}

// delivery names how the code reaches the person, for the audit detail.
func (i *Issued) delivery() string {
	if i.Mail {
		return "mail"
	}
	return "shown"
}

// issue makes a setup code for u, revoking any older one.
func issue(ctx context.Context, tx Tx, o Operator, u *org.User, purpose string, mail bool, now time.Time) (*Issued, error) {
	if err := tx.RevokeSetupCodes(ctx, u.ID, now); err != nil {
		return nil, err
	}
	code, hash := newCode()
	sc := &SetupCode{UserID: u.ID, Hash: hash, Purpose: purpose, CreatedBy: o.id(), CreatedAt: now,
		ExpiresAt: now.Add(SetupValid)}
	if err := tx.InsertSetupCode(ctx, sc); err != nil {
		return nil, err
	}
	iss := &Issued{Code: code, ExpiresAt: sc.ExpiresAt, Mail: mail && u.Email != ""}
	if iss.Mail {
		iss.To = u.Email
	}
	return iss, nil
}

// tell notifies the agency's data protection officers of k about u and,
// when u's case access now waits (reason says why), opens the approval and
// notifies those who may give it.
func tell(ctx context.Context, tx Tx, p *profile.Profile, o Operator, u *org.User, k notify.Kind, reason string, now time.Time) error {
	dpos, err := tx.ActiveWithRole(ctx, u.AgencyID, org.DPOfficer)
	if err != nil {
		return err
	}
	if err := notify.About(ctx, tx, dpos, k, "", u.ID, o.id(), now); err != nil {
		return err
	}
	if !u.CaseAccessPending || reason == "" {
		return nil
	}
	if err := tx.SupersedeApprovals(ctx, u.ID, now); err != nil {
		return err
	}
	a := &Approval{UserID: u.ID, AgencyID: u.AgencyID, Role: u.Role, Reason: reason, RequestedBy: o.id(), RequestedAt: now}
	if err := tx.InsertApproval(ctx, a); err != nil {
		return err
	}
	approvers, err := tx.ActiveWithRole(ctx, u.AgencyID, ApproverRole(p))
	if err != nil {
		return err
	}
	var to []string
	for _, id := range approvers {
		if id != u.ID && id != o.id() {
			to = append(to, id)
		}
	}
	return notify.About(ctx, tx, to, notify.AccountApproval, "", u.ID, o.id(), now)
}

// Edit is an administrator's change to a user: only the fields given change.
// There is no password here: see Reset.
type Edit struct {
	DisplayName *string   `json:"display_name,omitempty"`
	Role        *org.Role `json:"role,omitempty"`
	TeamID      *string   `json:"team_id,omitempty"`
	Email       *string   `json:"email,omitempty"`
	Disabled    *bool     `json:"disabled,omitempty"`
	Version     int       `json:"version"`
}

// Update applies e to user id, read at e.Version. Nobody changes their own
// role or team (nor disables themselves); a new role that reads case
// content waits for approval; a change of role or team, and disabling,
// revoke every API token; disabling ends every session.
func Update(ctx context.Context, tx Tx, p *profile.Profile, o Operator, id string, e Edit, now time.Time) (*org.User, error) {
	u, err := tx.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := o.mayManage(access.Edit, u); err != nil {
		return nil, err
	}
	if e.Version != u.Version {
		return nil, &errs.ConflictError{Record: "user", Version: u.Version, Current: u}
	}
	self := !o.Shell && u.ID == o.Actor.UserID
	before := *u
	var f errs.Fields
	if e.DisplayName != nil {
		name := strings.TrimSpace(*e.DisplayName)
		if name == "" || len(name) > 100 {
			f.Add("display_name", "err.required")
		}
		u.DisplayName = name
	}
	if e.Role != nil && *e.Role != u.Role {
		switch {
		case self:
			f.Add("role", "err.own_role")
		case !e.Role.Valid() || (!o.Shell && !access.MayGrantRole(o.Actor, *e.Role)):
			f.Add("role", "err.role_not_allowed")
		}
		u.Role = *e.Role
	}
	if e.TeamID != nil && *e.TeamID != u.TeamID {
		if self {
			f.Add("team_id", "err.own_team")
		} else if *e.TeamID != "" {
			t, err := tx.Team(ctx, *e.TeamID)
			if err != nil && errs.KindOf(err) != errs.NotFound {
				return nil, err
			}
			if err != nil || t.AgencyID != u.AgencyID {
				f.Add("team_id", "err.team_agency")
			}
		}
		u.TeamID = *e.TeamID
	}
	if u.Role.NeedsTeam() && u.TeamID == "" && !f.Has("team_id") {
		f.Add("team_id", "err.team_required")
	}
	if e.Email != nil {
		u.Email = strings.TrimSpace(*e.Email)
		if u.Email != "" && (len(u.Email) > 200 || !strings.Contains(u.Email, "@")) {
			f.Add("email", "err.email")
		}
	}
	if e.Disabled != nil && *e.Disabled != !u.Active() {
		if *e.Disabled && self {
			f.Add("disabled", "err.disable_self")
		}
		if *e.Disabled {
			u.DisabledAt = now
		} else {
			u.DisabledAt = time.Time{}
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	roleChanged, teamChanged := u.Role != before.Role, u.TeamID != before.TeamID
	disabled, enabled := before.Active() && !u.Active(), !before.Active() && u.Active()
	if roleChanged {
		u.CaseAccessPending = NeedsApproval(p, u.Role)
	}
	d := Detail{}
	d.set("display_name", before.DisplayName, u.DisplayName)
	d.set("role", string(before.Role), string(u.Role))
	d.set("team", before.TeamID, u.TeamID)
	d.set("email", before.Email, u.Email)
	d.set("disabled", fmt.Sprint(!before.Active()), fmt.Sprint(!u.Active()))
	d.set("case_access", CaseAccess(&before), CaseAccess(u))
	if len(d) == 0 {
		return u, nil // nothing changed: nothing to record
	}
	u.UpdatedAt = now
	if err := tx.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	if roleChanged || teamChanged || disabled {
		n, err := tx.RevokeUserTokens(ctx, u.ID, now)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			d["tokens_revoked"] = Change{New: fmt.Sprint(n)}
		}
	}
	if disabled {
		if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	if roleChanged && !NeedsApproval(p, u.Role) {
		if err := tx.SupersedeApprovals(ctx, u.ID, now); err != nil {
			return nil, err
		}
	}
	action, kind := "user.update", notify.AccountChanged
	switch {
	case roleChanged || teamChanged:
		action, kind = "user.role", notify.AccountRole
	case disabled:
		action, kind = "user.disable", notify.AccountDisabled
	case enabled:
		action, kind = "user.enable", notify.AccountEnabled
	}
	if err := tx.Record(ctx, o.event(action, u, d)); err != nil {
		return nil, err
	}
	reason := ""
	if roleChanged {
		reason = ReasonRole
	}
	if err := tell(ctx, tx, p, o, u, kind, reason, now); err != nil {
		return nil, err
	}
	return u, nil
}

// ResetOptions are the choices of Reset.
type ResetOptions struct {
	// MailConfigured: e-mail is on, so a person with an address gets the
	// setup code by mail and the administrator never sees it.
	MailConfigured bool
	// SecondFactor also removes every second factor of the person (their
	// authenticator app, passkeys and recovery codes: a lost phone), in the
	// same transaction: the setup code is then the only way back in, and
	// the person sets up a new factor at their next sign-in. Reset is the
	// only operation that removes someone else's second factor.
	SecondFactor bool
}

// Reset clears user id's password so that they set a new one with the
// setup code returned: every session ends, every API token and older setup
// code is revoked, any lockout is cleared, and a role that reads case
// content waits for approval again (whoever holds the code must not get
// case access by it alone). With opt.SecondFactor every second factor goes
// too (mfa.Reset, in the same transaction). At their next sign-in the
// person is told who reset the account and when.
func Reset(ctx context.Context, tx Tx, p *profile.Profile, o Operator, id string, opt ResetOptions, now time.Time) (*Issued, *org.User, error) {
	u, err := tx.User(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := o.mayManage(access.Manage, u); err != nil {
		return nil, nil, err
	}
	if !o.Shell && u.ID == o.Actor.UserID {
		return nil, nil, errs.Field("reset", "err.reset_self")
	}
	before := *u
	u.PasswordHash, u.MustChangePassword = "", false
	u.FailedLogins, u.LockedUntil = 0, time.Time{}
	u.CaseAccessPending = NeedsApproval(p, u.Role)
	u.UpdatedAt = now
	if err := tx.UpdateUser(ctx, u); err != nil {
		return nil, nil, err
	}
	if err := cut(ctx, tx, u, now); err != nil {
		return nil, nil, err
	}
	if opt.SecondFactor {
		if o.Shell {
			err = mfa.ResetAtShell(ctx, tx, u.ID, now)
		} else {
			err = mfa.Reset(ctx, tx, o.Actor, u.ID, now)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	iss, err := issue(ctx, tx, o, u, PurposeReset, opt.MailConfigured, now)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.InsertNotice(ctx, &Notice{UserID: u.ID, Kind: NoticeReset, ActorID: o.id(), CreatedAt: now}); err != nil {
		return nil, nil, err
	}
	d := Detail{}
	d.set("password", "set", "cleared")
	if opt.SecondFactor {
		d.set("second_factor", "", "removed")
	}
	d.set("case_access", CaseAccess(&before), CaseAccess(u))
	d.set("setup", "", iss.delivery())
	if err := tx.Record(ctx, o.event("user.reset", u, d)); err != nil {
		return nil, nil, err
	}
	if err := tell(ctx, tx, p, o, u, notify.AccountReset, ReasonReset, now); err != nil {
		return nil, nil, err
	}
	return iss, u, nil
}

// cut ends every session of u, revokes every API token and clears the
// sign-in throttle of the account.
func cut(ctx context.Context, tx Tx, u *org.User, now time.Time) error {
	if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	if _, err := tx.RevokeUserTokens(ctx, u.ID, now); err != nil {
		return err
	}
	return tx.ClearSignInThrottles(ctx, u.Username)
}

// Unlock lets user id sign in again after failed sign-ins locked the
// account. A role that reads case content waits for approval again, and
// at their next sign-in the person is told who unlocked the account and when.
func Unlock(ctx context.Context, tx Tx, p *profile.Profile, o Operator, id string, now time.Time) (*org.User, error) {
	u, err := tx.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := o.mayManage(access.Manage, u); err != nil {
		return nil, err
	}
	if !o.Shell && u.ID == o.Actor.UserID {
		return nil, errs.Field("unlock", "err.unlock_self")
	}
	before := *u
	u.FailedLogins, u.LockedUntil = 0, time.Time{}
	u.CaseAccessPending = NeedsApproval(p, u.Role)
	u.UpdatedAt = now
	if err := tx.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	if err := tx.ClearSignInThrottles(ctx, u.Username); err != nil {
		return nil, err
	}
	if err := tx.InsertNotice(ctx, &Notice{UserID: u.ID, Kind: NoticeUnlock, ActorID: o.id(), CreatedAt: now}); err != nil {
		return nil, err
	}
	d := Detail{}
	d.set("locked", "true", "false")
	d.set("case_access", CaseAccess(&before), CaseAccess(u))
	if err := tx.Record(ctx, o.event("user.unlock", u, d)); err != nil {
		return nil, err
	}
	if err := tell(ctx, tx, p, o, u, notify.AccountUnlocked, ReasonUnlock, now); err != nil {
		return nil, err
	}
	return u, nil
}

// SetPassword sets the password of the user called username to pw, typed
// by the operator at the shell, who therefore knows it: the person must
// change it at next sign-in, every session ends and every token is revoked,
// and a role that reads case content waits for approval again.
func SetPassword(ctx context.Context, tx Tx, p *profile.Profile, username string, pw Password, now time.Time) (*org.User, error) {
	u, err := tx.UserByName(ctx, strings.ToLower(strings.TrimSpace(username)))
	if err != nil {
		return nil, err
	}
	before := *u
	u.PasswordHash, u.MustChangePassword = pw.hash, true
	u.FailedLogins, u.LockedUntil = 0, time.Time{}
	u.CaseAccessPending = NeedsApproval(p, u.Role)
	u.UpdatedAt = now
	if err := tx.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	if err := cut(ctx, tx, u, now); err != nil {
		return nil, err
	}
	if err := tx.RevokeSetupCodes(ctx, u.ID, now); err != nil {
		return nil, err
	}
	if err := tx.InsertNotice(ctx, &Notice{UserID: u.ID, Kind: NoticePassword, CreatedAt: now}); err != nil {
		return nil, err
	}
	d := Detail{}
	d.set("password", "", "set by the operator")
	d.set("must_change_password", fmt.Sprint(before.MustChangePassword), "true")
	d.set("case_access", CaseAccess(&before), CaseAccess(u))
	if err := tx.Record(ctx, Shell.event("user.password_set", u, d)); err != nil {
		return nil, err
	}
	if err := tell(ctx, tx, p, Shell, u, notify.AccountPassword, ReasonPassword, now); err != nil {
		return nil, err
	}
	return u, nil
}
