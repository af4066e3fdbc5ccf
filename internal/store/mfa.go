package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mfa"
)

// The storage of two-factor sign-in (package mfa). Binary values are
// base64url text, so that both engines store and compare them alike.

var b64 = base64.RawURLEncoding

// MFAStatus returns what userID has set up, in one query.
func (tx *Tx) MFAStatus(ctx context.Context, userID string) (mfa.Status, error) {
	var st mfa.Status
	var totp int
	err := tx.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM mfa_totp WHERE user_id = ? AND secret <> ''),
		(SELECT COUNT(*) FROM mfa_passkeys WHERE user_id = ?),
		(SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL)`,
		userID, userID, userID).Scan(&totp, &st.Passkeys, &st.RecoveryLeft)
	st.TOTP = totp > 0
	return st, err
}

// TOTP returns userID's authenticator app, or NotFound.
func (tx *Tx) TOTP(ctx context.Context, userID string) (*mfa.TOTP, error) {
	t := mfa.TOTP{UserID: userID}
	var confirmed, since sql.NullInt64
	var updated int64
	err := tx.queryRow(ctx, `SELECT secret, confirmed_at, last_step, pending_secret, pending_since, updated_at
		FROM mfa_totp WHERE user_id = ?`, userID).
		Scan(&t.Secret, &confirmed, &t.LastStep, &t.PendingSecret, &since, &updated)
	if err != nil {
		return nil, notFound(err, "authenticator app")
	}
	t.ConfirmedAt, t.PendingSince, t.UpdatedAt = fromNullMS(confirmed), fromNullMS(since), fromMS(updated)
	return &t, nil
}

// SaveTOTP stores t, replacing the user's row.
func (tx *Tx) SaveTOTP(ctx context.Context, t *mfa.TOTP) error {
	_, err := tx.exec(ctx, `INSERT INTO mfa_totp (user_id, secret, confirmed_at, last_step, pending_secret, pending_since, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed_at = excluded.confirmed_at,
		last_step = excluded.last_step, pending_secret = excluded.pending_secret,
		pending_since = excluded.pending_since, updated_at = excluded.updated_at`,
		t.UserID, t.Secret, nullMS(t.ConfirmedAt), t.LastStep, t.PendingSecret, nullMS(t.PendingSince), ms(t.UpdatedAt))
	return err
}

// UseTOTPStep records step as userID's last accepted step if it is later
// than the one stored, and reports whether it was: one statement, so two
// sign-ins racing with the same code cannot both succeed.
func (tx *Tx) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	res, err := tx.exec(ctx, "UPDATE mfa_totp SET last_step = ? WHERE user_id = ? AND secret <> '' AND last_step < ?",
		step, userID, step)
	return affected(res, err)
}

// DeleteTOTP removes userID's authenticator app and reports whether one was set up.
func (tx *Tx) DeleteTOTP(ctx context.Context, userID string) (bool, error) {
	var had int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM mfa_totp WHERE user_id = ? AND secret <> ''", userID).Scan(&had); err != nil {
		return false, err
	}
	_, err := tx.exec(ctx, "DELETE FROM mfa_totp WHERE user_id = ?", userID)
	return had > 0, err
}

// RecoveryCodes lists userID's recovery codes, used ones included.
func (tx *Tx) RecoveryCodes(ctx context.Context, userID string) ([]mfa.RecoveryCode, error) {
	rows, err := tx.query(ctx, `SELECT id, user_id, code_hash, created_at, used_at FROM mfa_recovery_codes
		WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []mfa.RecoveryCode
	for rows.Next() {
		var c mfa.RecoveryCode
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&c.ID, &c.UserID, &c.Hash, &created, &used); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UsedAt = fromMS(created), fromNullMS(used)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ReplaceRecoveryCodes deletes userID's recovery codes and stores codes.
func (tx *Tx) ReplaceRecoveryCodes(ctx context.Context, userID string, codes []mfa.RecoveryCode) error {
	if _, err := tx.DeleteRecoveryCodes(ctx, userID); err != nil {
		return err
	}
	for _, c := range codes {
		if c.ID == "" {
			c.ID = NewID()
		}
		if _, err := tx.exec(ctx, `INSERT INTO mfa_recovery_codes (id, user_id, code_hash, created_at, used_at)
			VALUES (?, ?, ?, ?, ?)`, c.ID, userID, c.Hash, ms(c.CreatedAt), nullMS(c.UsedAt)); err != nil {
			return err
		}
	}
	return nil
}

// UseRecoveryCode marks recovery code id used at at, if it is unused, and
// reports whether it was: one statement, so a code works once even when
// two sign-ins race with it.
func (tx *Tx) UseRecoveryCode(ctx context.Context, id string, at time.Time) (bool, error) {
	if badID(id) {
		return false, nil
	}
	res, err := tx.exec(ctx, "UPDATE mfa_recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL", ms(at), id)
	return affected(res, err)
}

// DeleteRecoveryCodes removes userID's recovery codes and returns how many
// of them were unused.
func (tx *Tx) DeleteRecoveryCodes(ctx context.Context, userID string) (int64, error) {
	var unused int64
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL", userID).
		Scan(&unused); err != nil {
		return 0, err
	}
	_, err := tx.exec(ctx, "DELETE FROM mfa_recovery_codes WHERE user_id = ?", userID)
	return unused, err
}

const passkeyCols = `id, user_id, credential_id, public_key, attestation_type, transports, aaguid, sign_count,
	user_verified, backup_eligible, backup_state, attachment, name, created_at, last_used_at`

func scanPasskeys(rows storeRows) ([]mfa.Passkey, error) {
	defer rows.Close()
	var out []mfa.Passkey
	for rows.Next() {
		var k mfa.Passkey
		var cred, pub, transports, aaguid string
		var count, created int64
		var used sql.NullInt64
		if err := rows.Scan(&k.ID, &k.UserID, &cred, &pub, &k.AttestationType, &transports, &aaguid, &count,
			&k.UserVerified, &k.BackupEligible, &k.BackupState, &k.Attachment, &k.Name, &created, &used); err != nil {
			return nil, err
		}
		var err error
		if k.CredentialID, err = b64.DecodeString(cred); err != nil {
			return nil, err
		}
		if k.PublicKey, err = b64.DecodeString(pub); err != nil {
			return nil, err
		}
		if k.AAGUID, err = hex.DecodeString(aaguid); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(transports), &k.Transports); err != nil {
			return nil, err
		}
		k.SignCount = uint32(count)
		k.CreatedAt, k.LastUsedAt = fromMS(created), fromNullMS(used)
		out = append(out, k)
	}
	return out, rows.Err()
}

// Passkeys lists userID's passkeys, oldest first.
func (tx *Tx) Passkeys(ctx context.Context, userID string) ([]mfa.Passkey, error) {
	rows, err := tx.query(ctx, "SELECT "+passkeyCols+" FROM mfa_passkeys WHERE user_id = ? ORDER BY created_at, id", userID)
	if err != nil {
		return nil, err
	}
	return scanPasskeys(rows)
}

// PasskeyByCredential returns the passkey with credential ID credentialID, or NotFound.
func (tx *Tx) PasskeyByCredential(ctx context.Context, credentialID []byte) (*mfa.Passkey, error) {
	rows, err := tx.query(ctx, "SELECT "+passkeyCols+" FROM mfa_passkeys WHERE credential_id = ?", b64.EncodeToString(credentialID))
	if err != nil {
		return nil, err
	}
	out, err := scanPasskeys(rows)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errs.E(errs.NotFound, "passkey")
	}
	return &out[0], nil
}

// InsertPasskey stores a new passkey; a credential registered already is
// refused with a field error on "passkey".
func (tx *Tx) InsertPasskey(ctx context.Context, k *mfa.Passkey) error {
	if k.ID == "" {
		k.ID = NewID()
	}
	transports, _ := json.Marshal(k.Transports)
	if k.Transports == nil {
		transports = []byte("[]")
	}
	_, err := tx.exec(ctx, "INSERT INTO mfa_passkeys ("+passkeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, b64.EncodeToString(k.CredentialID), b64.EncodeToString(k.PublicKey), k.AttestationType,
		string(transports), hex.EncodeToString(k.AAGUID), int64(k.SignCount), k.UserVerified, k.BackupEligible,
		k.BackupState, k.Attachment, k.Name, ms(k.CreatedAt), nullMS(k.LastUsedAt))
	if isUnique(err) {
		return errs.Field("passkey", "err.mfa_passkey_known")
	}
	return err
}

// UsePasskey stores k's new sign count, flags and last use if the count
// moved forward (or both counts are zero: an authenticator without a
// counter), and reports whether it did: one statement, so two sign-ins
// racing with the same count cannot both succeed.
func (tx *Tx) UsePasskey(ctx context.Context, k *mfa.Passkey) (bool, error) {
	n := int64(k.SignCount)
	res, err := tx.exec(ctx, `UPDATE mfa_passkeys SET sign_count = ?, user_verified = ?, backup_state = ?, last_used_at = ?
		WHERE id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))`,
		n, k.UserVerified, k.BackupState, nullMS(k.LastUsedAt), k.ID, n, n)
	return affected(res, err)
}

// RenamePasskey renames userID's passkey id.
func (tx *Tx) RenamePasskey(ctx context.Context, userID, id, name string) error {
	if badID(id) {
		return errs.E(errs.NotFound, "passkey")
	}
	return tx.execOne(ctx, "passkey "+id, "UPDATE mfa_passkeys SET name = ? WHERE id = ? AND user_id = ?", name, id, userID)
}

// DeletePasskey removes userID's passkey id.
func (tx *Tx) DeletePasskey(ctx context.Context, userID, id string) error {
	if badID(id) {
		return errs.E(errs.NotFound, "passkey")
	}
	return tx.execOne(ctx, "passkey "+id, "DELETE FROM mfa_passkeys WHERE id = ? AND user_id = ?", id, userID)
}

// DeletePasskeys removes every passkey of userID and returns how many there were.
func (tx *Tx) DeletePasskeys(ctx context.Context, userID string) (int64, error) {
	res, err := tx.exec(ctx, "DELETE FROM mfa_passkeys WHERE user_id = ?", userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// InsertCeremony stores a passkey ceremony under way.
func (tx *Tx) InsertCeremony(ctx context.Context, c *mfa.Ceremony) error {
	_, err := tx.exec(ctx, `INSERT INTO mfa_ceremonies (id, user_id, kind, data, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.ID, nullStr(c.UserID), c.Kind, c.Data, ms(c.CreatedAt), ms(c.ExpiresAt))
	return err
}

// TakeCeremony deletes and returns ceremony id, or NotFound: a ceremony is
// taken once, even by two requests at the same moment.
func (tx *Tx) TakeCeremony(ctx context.Context, id string) (*mfa.Ceremony, error) {
	var c mfa.Ceremony
	var user sql.NullString
	var created, expires int64
	err := tx.queryRow(ctx, "SELECT id, user_id, kind, data, created_at, expires_at FROM mfa_ceremonies WHERE id = ?", id).
		Scan(&c.ID, &user, &c.Kind, &c.Data, &created, &expires)
	if err != nil {
		return nil, notFound(err, "passkey ceremony")
	}
	if err := tx.execOne(ctx, "passkey ceremony", "DELETE FROM mfa_ceremonies WHERE id = ?", id); err != nil {
		return nil, err
	}
	c.UserID, c.CreatedAt, c.ExpiresAt = user.String, fromMS(created), fromMS(expires)
	return &c, nil
}

// DeleteUserCeremonies removes userID's passkey ceremonies.
func (tx *Tx) DeleteUserCeremonies(ctx context.Context, userID string) error {
	_, err := tx.exec(ctx, "DELETE FROM mfa_ceremonies WHERE user_id = ?", userID)
	return err
}

// InsertPendingSignIn stores a sign-in awaiting its second factor.
func (tx *Tx) InsertPendingSignIn(ctx context.Context, p *mfa.Pending) error {
	_, err := tx.exec(ctx, `INSERT INTO mfa_pending (id, user_id, created_at, expires_at, attempts, passkey)
		VALUES (?, ?, ?, ?, ?, ?)`, p.ID, p.UserID, ms(p.CreatedAt), ms(p.ExpiresAt), p.Attempts, p.Passkey)
	return err
}

// PendingSignIn returns pending sign-in id, or NotFound. In a write
// transaction on PostgreSQL the row stays locked until the transaction
// ends, so that two answers to one pending sign-in are checked one after
// the other (SQLite has one writer anyway): the second sees the first's
// outcome — the sign-in used up, or one more wrong answer.
func (tx *Tx) PendingSignIn(ctx context.Context, id string) (*mfa.Pending, error) {
	var p mfa.Pending
	var created, expires int64
	q := "SELECT id, user_id, created_at, expires_at, attempts, passkey FROM mfa_pending WHERE id = ?"
	if tx.db.pg && tx.writable {
		q += " FOR UPDATE"
	}
	err := tx.queryRow(ctx, q, id).Scan(&p.ID, &p.UserID, &created, &expires, &p.Attempts, &p.Passkey)
	if err != nil {
		return nil, notFound(err, "pending sign-in")
	}
	p.CreatedAt, p.ExpiresAt = fromMS(created), fromMS(expires)
	return &p, nil
}

// FailPendingSignIn counts a wrong answer to pending sign-in id and returns
// the attempts so far; the increment is one statement, so answers racing
// each other are all counted.
func (tx *Tx) FailPendingSignIn(ctx context.Context, id string) (int, error) {
	if err := tx.execOne(ctx, "pending sign-in", "UPDATE mfa_pending SET attempts = attempts + 1 WHERE id = ?", id); err != nil {
		return 0, err
	}
	var n int
	err := tx.queryRow(ctx, "SELECT attempts FROM mfa_pending WHERE id = ?", id).Scan(&n)
	return n, err
}

// SetPendingPasskey stores (or, with "", clears) the passkey step's session data of pending sign-in id.
func (tx *Tx) SetPendingPasskey(ctx context.Context, id, data string) error {
	return tx.execOne(ctx, "pending sign-in", "UPDATE mfa_pending SET passkey = ? WHERE id = ?", data, id)
}

// TakePendingSignIn deletes pending sign-in id and reports whether it was there.
func (tx *Tx) TakePendingSignIn(ctx context.Context, id string) (bool, error) {
	res, err := tx.exec(ctx, "DELETE FROM mfa_pending WHERE id = ?", id)
	return affected(res, err)
}

// DeletePendingSignIns removes userID's pending sign-ins.
func (tx *Tx) DeletePendingSignIns(ctx context.Context, userID string) error {
	_, err := tx.exec(ctx, "DELETE FROM mfa_pending WHERE user_id = ?", userID)
	return err
}

// MFAThrottle returns userID's count of wrong second-factor answers (zero
// when none). In a write transaction on PostgreSQL the row is created if
// need be and stays locked until the transaction ends: the answers of one
// user are then checked one after the other, so racing answers are all
// counted (SQLite has one writer anyway).
func (tx *Tx) MFAThrottle(ctx context.Context, userID string) (mfa.Throttle, error) {
	t := mfa.Throttle{UserID: userID}
	var start int64
	var locked sql.NullInt64
	q := "SELECT window_start, failures, locked_until FROM mfa_throttle WHERE user_id = ?"
	if tx.db.pg && tx.writable {
		if _, err := tx.exec(ctx, `INSERT INTO mfa_throttle (user_id, window_start, failures) VALUES (?, 0, 0)
			ON CONFLICT (user_id) DO NOTHING`, userID); err != nil {
			return t, err
		}
		q += " FOR UPDATE"
	}
	err := tx.queryRow(ctx, q, userID).Scan(&start, &t.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return t, nil
	}
	t.WindowStart, t.LockedUntil = fromMS(start), fromNullMS(locked)
	return t, err
}

// SaveMFAThrottle stores t.
func (tx *Tx) SaveMFAThrottle(ctx context.Context, t mfa.Throttle) error {
	_, err := tx.exec(ctx, `INSERT INTO mfa_throttle (user_id, window_start, failures, locked_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET window_start = excluded.window_start, failures = excluded.failures,
		locked_until = excluded.locked_until`, t.UserID, ms(t.WindowStart), t.Failures, nullMS(t.LockedUntil))
	return err
}

// DeleteMFAThrottle forgets userID's wrong answers.
func (tx *Tx) DeleteMFAThrottle(ctx context.Context, userID string) error {
	_, err := tx.exec(ctx, "DELETE FROM mfa_throttle WHERE user_id = ?", userID)
	return err
}

// DeleteExpiredMFA removes passkey ceremonies and pending sign-ins past
// their end, and returns how many.
func (tx *Tx) DeleteExpiredMFA(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, q := range []string{"DELETE FROM mfa_ceremonies WHERE expires_at <= ?", "DELETE FROM mfa_pending WHERE expires_at <= ?"} {
		res, err := tx.exec(ctx, q, ms(now))
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// affected reports whether the statement that gave res touched a row.
func affected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
