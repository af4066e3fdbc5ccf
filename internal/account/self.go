package account

import (
	"context"
	"strconv"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// Password is a new password checked against the policy
// (org.PasswordProblem) and hashed. Only NewPassword makes one, so every
// operation that sets a password applies the policy.
type Password struct{ hash string }

// NewPassword checks password p and its confirmation for owner (whose
// names the policy refuses inside a password) and returns it hashed with
// hash. Its errors name the fields new_password and confirm_password.
// Hashing is slow by design: call it before the transaction.
func NewPassword(p, confirm string, owner *org.User, hash func(string) (string, error)) (Password, error) {
	if key, args := org.PasswordProblem(p, owner.Username, owner.DisplayName, owner.Email); key != "" {
		return Password{}, errs.Field("new_password", key, args...)
	}
	if p != confirm {
		return Password{}, errs.Field("confirm_password", "err.password_mismatch")
	}
	h, err := hash(p)
	if err != nil {
		return Password{}, err
	}
	return Password{hash: h}, nil
}

// ChangeProblems are the field errors of a person's change of their own
// password from current to next, confirmed as confirm: the policy (for
// owner's names), the confirmation, and a new password that is the
// current one. The caller checks the current password itself (through the
// sign-in throttle) and adds its answer.
func ChangeProblems(current, next, confirm string, owner *org.User) errs.Fields {
	var f errs.Fields
	if key, args := org.PasswordProblem(next, owner.Username, owner.DisplayName, owner.Email); key != "" {
		f.Add("new_password", key, args...)
	} else if next != confirm {
		f.Add("confirm_password", "err.password_mismatch")
	} else if next == current {
		f.Add("new_password", "err.password_same")
	}
	return f
}

// badCode is the one answer to a setup code that does not work, whatever
// the reason (unknown, used, expired, replaced by a newer reset).
func badCode() error { return errs.Field("setup_code", "err.setup_code") }

// CompleteSetup sets the password of the account that setup code is for:
// the code works once, within SetupValid, and only while no newer reset
// replaced it. It returns the user, who may then sign in.
func CompleteSetup(ctx context.Context, tx Tx, code string, pw Password, now time.Time) (*org.User, error) {
	h := HashCode(code)
	if h == "" {
		return nil, badCode()
	}
	sc, err := tx.SetupCodeByHash(ctx, h)
	if errs.KindOf(err) == errs.NotFound {
		return nil, badCode()
	}
	if err != nil {
		return nil, err
	}
	if !sc.Usable(now) {
		return nil, badCode()
	}
	u, err := tx.User(ctx, sc.UserID)
	if err != nil {
		return nil, err
	}
	if err := tx.UseSetupCode(ctx, sc.ID, now); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return nil, badCode() // used at the same moment by another request
		}
		return nil, err
	}
	u.PasswordHash, u.MustChangePassword, u.UpdatedAt = pw.hash, false, now
	if err := tx.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, tx.Record(ctx, audit.Event{ActorID: u.ID, ActorRole: string(u.Role), AgencyID: u.AgencyID,
		Action: "user.setup", RecordType: "user", RecordID: u.ID, Detail: Detail{"purpose": {New: sc.Purpose}}.String()})
}

// ChangePassword sets user id's own password to pw (the caller checked the
// current one): the must-change flag clears, every session of the user
// ends and every API token is revoked.
func ChangePassword(ctx context.Context, tx Tx, id string, pw Password, now time.Time) (*org.User, error) {
	u, err := tx.User(ctx, id)
	if err != nil {
		return nil, err
	}
	u.PasswordHash, u.MustChangePassword, u.UpdatedAt = pw.hash, false, now
	if err := tx.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
		return nil, err
	}
	n, err := tx.RevokeUserTokens(ctx, u.ID, now)
	if err != nil {
		return nil, err
	}
	var d Detail
	if n > 0 {
		d = Detail{"tokens_revoked": {New: strconv.Itoa(n)}}
	}
	return u, tx.Record(ctx, audit.Event{ActorID: u.ID, AgencyID: u.AgencyID, Action: "user.password",
		RecordType: "user", RecordID: u.ID, Detail: d.String()})
}

// Recorder is what SetupFailed needs: *store.Tx satisfies it.
type Recorder interface {
	Record(ctx context.Context, e audit.Event) error
}

// SetupFailed records that a setup code typed on the setup page was
// refused (unknown, used, expired or replaced). The event names no
// account: a code that does not work tells whose it was to nobody.
func SetupFailed(ctx context.Context, tx Recorder) error {
	return tx.Record(ctx, audit.Event{Action: "auth.setup_failed", RecordType: "setup"})
}
