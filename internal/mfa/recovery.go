package mfa

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/google/uuid"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// NewRecoveryCodes gives actor a a new set of RecoveryCount recovery codes,
// replacing the old set (used or not), and returns them in groups of four
// to be shown once: only their hashes are kept. It needs a second factor
// set up: recovery codes stand in for one.
func NewRecoveryCodes(ctx context.Context, tx Tx, a access.Actor, now time.Time) (codes []string, err error) {
	defer errs.Wrap(&err, "mfa.NewRecoveryCodes")
	u, err := own(ctx, tx, a)
	if err != nil {
		return nil, err
	}
	st, err := tx.MFAStatus(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if !st.Enrolled() {
		return nil, errs.Field("recovery", "err.mfa_none_enrolled")
	}
	if codes, err = replaceRecovery(ctx, tx, u.ID, now); err != nil {
		return nil, err
	}
	e := event(a, u, "mfa.recovery_new", now)
	e.Detail = detail(map[string]any{"count": len(codes), "replaced_unused": st.RecoveryLeft})
	return codes, tx.Record(ctx, e)
}

// replaceRecovery stores a new set of codes for userID and returns them for showing.
func replaceRecovery(ctx context.Context, tx Tx, userID string, now time.Time) ([]string, error) {
	shown := make([]string, RecoveryCount)
	rows := make([]RecoveryCode, RecoveryCount)
	for i := range rows {
		c := newRecoveryCode()
		shown[i] = FormatRecovery(c)
		rows[i] = RecoveryCode{ID: uuid.Must(uuid.NewV7()).String(), UserID: userID, Hash: hashRecovery(userID, c), CreatedAt: now}
	}
	if err := tx.ReplaceRecoveryCodes(ctx, userID, rows); err != nil {
		return nil, err
	}
	return shown, nil
}

// ensureRecovery gives u a first set of recovery codes when u holds no
// unused one (a first factor was just set up) and returns them; otherwise
// it returns nil and the codes u holds stay valid.
func ensureRecovery(ctx context.Context, tx Tx, a access.Actor, u *org.User, now time.Time) ([]string, error) {
	st, err := tx.MFAStatus(ctx, u.ID)
	if err != nil || st.RecoveryLeft > 0 {
		return nil, err
	}
	codes, err := replaceRecovery(ctx, tx, u.ID, now)
	if err != nil {
		return nil, err
	}
	e := event(a, u, "mfa.recovery_new", now)
	e.Detail = detail(map[string]any{"count": len(codes), "replaced_unused": 0})
	return codes, tx.Record(ctx, e)
}

// useRecovery spends u's recovery code (normal form) at now, if it is one
// of u's unused codes, and returns whether it was and how many are left.
// The code's hash is compared with every stored hash in constant time.
func useRecovery(ctx context.Context, tx Tx, u *org.User, code string, now time.Time) (bool, int, error) {
	all, err := tx.RecoveryCodes(ctx, u.ID)
	if err != nil {
		return false, 0, err
	}
	h := []byte(hashRecovery(u.ID, code))
	match, unused := "", 0
	for _, c := range all {
		if !c.UsedAt.IsZero() {
			continue
		}
		unused++
		if subtle.ConstantTimeCompare([]byte(c.Hash), h) == 1 {
			match = c.ID
		}
	}
	if match == "" {
		return false, unused, nil
	}
	spent, err := tx.UseRecoveryCode(ctx, match, now)
	if err != nil || !spent {
		return false, unused, err // !spent: used at the same moment by another request
	}
	return true, unused - 1, nil
}
