package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// Staff account administration (package account): setup codes, approvals
// of case access, one-time notices, and the sessions and tokens a user
// sees on their account page.

// CountRole counts the users of role r, disabled ones included.
func (tx *Tx) CountRole(ctx context.Context, r org.Role) (int, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM users WHERE role = ?", string(r)).Scan(&n)
	return n, err
}

// ActiveWithRole returns the IDs of the active users of agency with role r
// whose role is in effect (not awaiting approval) and who have a password.
func (tx *Tx) ActiveWithRole(ctx context.Context, agency string, r org.Role) ([]string, error) {
	return tx.queryStrings(ctx, `SELECT id FROM users WHERE agency_id = ? AND role = ? AND disabled_at IS NULL
		AND case_access_pending = ? AND password_hash <> '' ORDER BY id`, agency, string(r), false)
}

// RevokeUserTokens revokes every live API token of user at now and says how many.
func (tx *Tx) RevokeUserTokens(ctx context.Context, userID string, now time.Time) (int, error) {
	res, err := tx.exec(ctx, "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", ms(now), userID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// InsertSetupCode stores a setup code (its hash only).
func (tx *Tx) InsertSetupCode(ctx context.Context, c *account.SetupCode) error {
	if c.ID == "" {
		c.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO setup_codes (id, user_id, code_hash, purpose, created_by, created_at, expires_at,
		used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
		c.ID, c.UserID, c.Hash, c.Purpose, nullStr(c.CreatedBy), ms(c.CreatedAt), ms(c.ExpiresAt))
	return err
}

// RevokeSetupCodes revokes every unused setup code of user.
func (tx *Tx) RevokeSetupCodes(ctx context.Context, userID string, now time.Time) error {
	_, err := tx.exec(ctx, "UPDATE setup_codes SET revoked_at = ? WHERE user_id = ? AND used_at IS NULL AND revoked_at IS NULL",
		ms(now), userID)
	return err
}

// SetupCodeByHash returns the setup code with hash h.
func (tx *Tx) SetupCodeByHash(ctx context.Context, h string) (*account.SetupCode, error) {
	var c account.SetupCode
	var by sql.NullString
	var created, expires int64
	var used, revoked sql.NullInt64
	err := tx.queryRow(ctx, `SELECT id, user_id, code_hash, purpose, created_by, created_at, expires_at, used_at, revoked_at
		FROM setup_codes WHERE code_hash = ?`, h).
		Scan(&c.ID, &c.UserID, &c.Hash, &c.Purpose, &by, &created, &expires, &used, &revoked)
	if err != nil {
		return nil, notFound(err, "setup code")
	}
	c.CreatedBy = by.String
	c.CreatedAt, c.ExpiresAt, c.UsedAt, c.RevokedAt = fromMS(created), fromMS(expires), fromNullMS(used), fromNullMS(revoked)
	return &c, nil
}

// UseSetupCode marks setup code id used at now, unless it was used or
// revoked already (then it is not found).
func (tx *Tx) UseSetupCode(ctx context.Context, id string, now time.Time) error {
	return tx.execOne(ctx, "setup code", "UPDATE setup_codes SET used_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL",
		ms(now), id)
}

const approvalCols = `a.id, a.user_id, a.agency_id, a.role, a.reason, a.requested_by, a.requested_at, a.decision,
	a.decided_by, a.decided_at, u.display_name, u.username, COALESCE(r.display_name, '')`

const approvalFrom = ` FROM access_approvals a JOIN users u ON u.id = a.user_id LEFT JOIN users r ON r.id = a.requested_by`

func scanApproval(sc interface{ Scan(...any) error }) (*account.Approval, error) {
	var a account.Approval
	var role string
	var by, decidedBy sql.NullString
	var at int64
	var decidedAt sql.NullInt64
	if err := sc.Scan(&a.ID, &a.UserID, &a.AgencyID, &role, &a.Reason, &by, &at, &a.Decision, &decidedBy, &decidedAt,
		&a.UserName, &a.Username, &a.RequesterName); err != nil {
		return nil, err
	}
	a.Role, a.RequestedBy, a.DecidedBy = org.Role(role), by.String, decidedBy.String
	a.RequestedAt, a.DecidedAt = fromMS(at), fromNullMS(decidedAt)
	return &a, nil
}

// InsertApproval stores a new, open approval request.
func (tx *Tx) InsertApproval(ctx context.Context, a *account.Approval) error {
	if a.ID == "" {
		a.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO access_approvals (id, user_id, agency_id, role, reason, requested_by, requested_at,
		decision, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', NULL, NULL)`,
		a.ID, a.UserID, a.AgencyID, string(a.Role), a.Reason, nullStr(a.RequestedBy), ms(a.RequestedAt))
	return err
}

// Approval returns approval id.
func (tx *Tx) Approval(ctx context.Context, id string) (*account.Approval, error) {
	if badID(id) {
		return nil, errs.E(errs.NotFound, "approval")
	}
	a, err := scanApproval(tx.queryRow(ctx, "SELECT "+approvalCols+approvalFrom+" WHERE a.id = ?", id))
	if err != nil {
		return nil, notFound(err, "approval "+id)
	}
	return a, nil
}

// OpenApprovals lists the approvals of agency that wait, oldest first.
func (tx *Tx) OpenApprovals(ctx context.Context, agency string) ([]account.Approval, error) {
	rows, err := tx.query(ctx, "SELECT "+approvalCols+approvalFrom+
		" WHERE a.agency_id = ? AND a.decision = '' ORDER BY a.requested_at, a.id LIMIT 500", agency)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.Approval
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// CloseApproval records the decision on a, which must still be open.
func (tx *Tx) CloseApproval(ctx context.Context, a *account.Approval) error {
	return tx.execOne(ctx, "open approval "+a.ID, `UPDATE access_approvals SET decision = ?, decided_by = ?, decided_at = ?
		WHERE id = ? AND decision = ''`, a.Decision, nullStr(a.DecidedBy), ms(a.DecidedAt), a.ID)
}

// SupersedeApprovals closes every open approval of user.
func (tx *Tx) SupersedeApprovals(ctx context.Context, userID string, now time.Time) error {
	_, err := tx.exec(ctx, "UPDATE access_approvals SET decision = ?, decided_at = ? WHERE user_id = ? AND decision = ''",
		account.Superseded, ms(now), userID)
	return err
}

// InsertNotice stores a one-time notice.
func (tx *Tx) InsertNotice(ctx context.Context, n *account.Notice) error {
	if n.ID == "" {
		n.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO account_notices (id, user_id, kind, actor_id, created_at, shown_at)
		VALUES (?, ?, ?, ?, ?, NULL)`, n.ID, n.UserID, n.Kind, nullStr(n.ActorID), ms(n.CreatedAt))
	return err
}

// HasNotices reports whether user has notices not yet shown.
func (tx *Tx) HasNotices(ctx context.Context, userID string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM account_notices WHERE user_id = ? AND shown_at IS NULL", userID).Scan(&n)
	return n > 0, err
}

// TakeNotices returns user's notices not yet shown, oldest first, with the
// names of who acted, and marks them shown at now.
func (tx *Tx) TakeNotices(ctx context.Context, userID string, now time.Time) ([]account.Notice, error) {
	rows, err := tx.query(ctx, `SELECT n.id, n.user_id, n.kind, n.actor_id, COALESCE(u.display_name, ''), n.created_at
		FROM account_notices n LEFT JOIN users u ON u.id = n.actor_id
		WHERE n.user_id = ? AND n.shown_at IS NULL ORDER BY n.created_at, n.id`, userID)
	if err != nil {
		return nil, err
	}
	var out []account.Notice
	for rows.Next() {
		var n account.Notice
		var actor sql.NullString
		var at int64
		if err := rows.Scan(&n.ID, &n.UserID, &n.Kind, &actor, &n.ActorName, &at); err != nil {
			rows.Close()
			return nil, err
		}
		n.ActorID, n.CreatedAt = actor.String, fromMS(at)
		out = append(out, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	_, err = tx.exec(ctx, "UPDATE account_notices SET shown_at = ? WHERE user_id = ? AND shown_at IS NULL", ms(now), userID)
	return out, err
}

// UserSessions lists user's sessions still in force at now (seen since
// idleSince, before their end), most recently seen first.
func (tx *Tx) UserSessions(ctx context.Context, userID string, idleSince, now time.Time) ([]Session, error) {
	rows, err := tx.query(ctx, `SELECT id, public_id, user_id, created_at, last_seen_at, expires_at, ip, user_agent
		FROM sessions WHERE user_id = ? AND last_seen_at >= ? AND expires_at > ? ORDER BY last_seen_at DESC, created_at DESC`,
		userID, ms(idleSince), ms(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var s Session
		var created, seen, expires int64
		if err := rows.Scan(&s.ID, &s.PublicID, &s.UserID, &created, &seen, &expires, &s.IP, &s.UserAgent); err != nil {
			return nil, err
		}
		s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
		out = append(out, s)
	}
	return out, rows.Err()
}

// EndSession ends user's session with public ID id.
func (tx *Tx) EndSession(ctx context.Context, userID, id string) error {
	return tx.execOne(ctx, "session "+id, "DELETE FROM sessions WHERE public_id = ? AND user_id = ?", id, userID)
}
