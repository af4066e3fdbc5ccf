package mfa

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// Reset clears every second factor of user userID — the authenticator app
// (and an enrolment under way), the recovery codes, the passkeys, passkey
// ceremonies and pending sign-ins — and records mfa.reset, naming what was
// removed. Administrators reset a second factor only through the setup-link
// flow of account administration, which calls this inside its own
// transaction: the person sets up a new factor at their next sign-in (when
// their role requires one). An administrator may reset only users they
// administer, of a role they may give, and never themselves.
func Reset(ctx context.Context, tx Tx, a access.Actor, userID string, now time.Time) (err error) {
	defer errs.Wrap(&err, "mfa.Reset(%s)", userID)
	u, err := tx.User(ctx, userID)
	if err != nil {
		return err
	}
	r := access.Resource{Kind: access.KindUser, AgencyID: u.AgencyID, TeamID: u.TeamID, OwnerID: u.ID}
	if d := access.Decide(a, access.Manage, r); !d.Allow {
		return &errs.DeniedError{Record: "user", ID: u.ID, AgencyID: u.AgencyID, Reason: d.Reason, Kind: errs.Forbidden}
	}
	if !access.MayGrantRole(a, u.Role) {
		return &errs.DeniedError{Record: "user", ID: u.ID, AgencyID: u.AgencyID, Kind: errs.Forbidden,
			Reason: "only a system administrator resets a system administrator"}
	}
	if a.UserID == u.ID {
		return &errs.DeniedError{Record: "user", ID: u.ID, AgencyID: u.AgencyID, Kind: errs.Forbidden,
			Reason: "nobody resets their own second factor; another administrator does"}
	}
	return clearFactors(ctx, tx, event(a, u, "mfa.reset", now), u)
}

// ResetAtShell is Reset by the operator at the server's shell (safecase
// user reset --second-factor), who already holds the database: the way back
// for a sole system administrator who lost both their factor and their
// recovery codes. The account reset around it gives a setup code, so the
// person sets a new password and then a new factor.
func ResetAtShell(ctx context.Context, tx Tx, userID string, now time.Time) (err error) {
	defer errs.Wrap(&err, "mfa.ResetAtShell(%s)", userID)
	u, err := tx.User(ctx, userID)
	if err != nil {
		return err
	}
	return clearFactors(ctx, tx, audit.Event{ActorRole: "cli", AgencyID: u.AgencyID, At: now, Action: "mfa.reset",
		RecordType: "user", RecordID: u.ID}, u)
}

// clearFactors removes every second factor of u and records e, naming what was removed.
func clearFactors(ctx context.Context, tx Tx, e audit.Event, u *org.User) error {
	// In the order a second step takes its locks (pending sign-ins, the
	// throttle, the app, recovery codes, passkeys), so the two never deadlock.
	if err := tx.DeletePendingSignIns(ctx, u.ID); err != nil {
		return err
	}
	if err := tx.DeleteMFAThrottle(ctx, u.ID); err != nil {
		return err
	}
	hadTOTP, err := tx.DeleteTOTP(ctx, u.ID)
	if err != nil {
		return err
	}
	codes, err := tx.DeleteRecoveryCodes(ctx, u.ID)
	if err != nil {
		return err
	}
	keys, err := tx.DeletePasskeys(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := tx.DeleteUserCeremonies(ctx, u.ID); err != nil {
		return err
	}
	e.Detail = detail(map[string]any{"totp": hadTOTP, "passkeys": keys, "recovery_codes": codes})
	return tx.Record(ctx, e)
}
