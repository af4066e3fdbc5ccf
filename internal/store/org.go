package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// InsertAgency stores a new agency, giving it an ID.
func (tx *Tx) InsertAgency(ctx context.Context, a *org.Agency) error {
	if a.ID == "" {
		a.ID = NewID()
	}
	a.Version = 1
	_, err := tx.exec(ctx, "INSERT INTO agencies (id, name, code, created_at, version) VALUES (?, ?, ?, ?, 1)",
		a.ID, a.Name, a.Code, ms(a.CreatedAt))
	if isUnique(err) {
		return errs.Field("code", "err.taken")
	}
	return err
}

// Agencies lists every agency by name.
func (tx *Tx) Agencies(ctx context.Context) ([]org.Agency, error) {
	rows, err := tx.query(ctx, "SELECT id, name, code, created_at, version FROM agencies ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Agency
	for rows.Next() {
		var a org.Agency
		var at int64
		if err := rows.Scan(&a.ID, &a.Name, &a.Code, &at, &a.Version); err != nil {
			return nil, err
		}
		a.CreatedAt = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Agency returns agency id.
func (tx *Tx) Agency(ctx context.Context, id string) (*org.Agency, error) {
	if badID(id) {
		return nil, errs.E(errs.NotFound, "agency")
	}
	var a org.Agency
	var at int64
	err := tx.queryRow(ctx, "SELECT id, name, code, created_at, version FROM agencies WHERE id = ?", id).
		Scan(&a.ID, &a.Name, &a.Code, &at, &a.Version)
	if err != nil {
		return nil, notFound(err, "agency "+id)
	}
	a.CreatedAt = fromMS(at)
	return &a, nil
}

// AgencyExists reports whether agency id exists.
func (tx *Tx) AgencyExists(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	_, err := tx.Agency(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return false, nil
	}
	return err == nil, err
}

// InsertTeam stores a new team.
func (tx *Tx) InsertTeam(ctx context.Context, t *org.Team) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	t.Version = 1
	_, err := tx.exec(ctx, "INSERT INTO teams (id, agency_id, name, created_at, version) VALUES (?, ?, ?, ?, 1)",
		t.ID, t.AgencyID, t.Name, ms(t.CreatedAt))
	if isUnique(err) {
		return errs.Field("name", "err.taken")
	}
	return err
}

// Teams lists the teams of agency (all teams when agency is empty).
func (tx *Tx) Teams(ctx context.Context, agency string) ([]org.Team, error) {
	q := "SELECT id, agency_id, name, created_at, version FROM teams"
	var args []any
	if agency != "" {
		q += " WHERE agency_id = ?"
		args = append(args, agency)
	}
	rows, err := tx.query(ctx, q+" ORDER BY name", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Team
	for rows.Next() {
		var t org.Team
		var at int64
		if err := rows.Scan(&t.ID, &t.AgencyID, &t.Name, &at, &t.Version); err != nil {
			return nil, err
		}
		t.CreatedAt = fromMS(at)
		out = append(out, t)
	}
	return out, rows.Err()
}

// Team returns team id.
func (tx *Tx) Team(ctx context.Context, id string) (*org.Team, error) {
	if badID(id) {
		return nil, errs.E(errs.NotFound, "team")
	}
	var t org.Team
	var at int64
	err := tx.queryRow(ctx, "SELECT id, agency_id, name, created_at, version FROM teams WHERE id = ?", id).
		Scan(&t.ID, &t.AgencyID, &t.Name, &at, &t.Version)
	if err != nil {
		return nil, notFound(err, "team "+id)
	}
	t.CreatedAt = fromMS(at)
	return &t, nil
}

const userCols = `id, agency_id, team_id, username, display_name, role, email, gender, languages,
	password_hash, must_change_password, disabled_at, failed_logins, locked_until, created_at, updated_at, version,
	case_access_pending`

func scanUser(sc interface{ Scan(...any) error }) (*org.User, error) {
	var u org.User
	var team sql.NullString
	var langs string
	var disabled, locked sql.NullInt64
	var created, updated int64
	var role string
	err := sc.Scan(&u.ID, &u.AgencyID, &team, &u.Username, &u.DisplayName, &role, &u.Email, &u.Gender, &langs,
		&u.PasswordHash, &u.MustChangePassword, &disabled, &u.FailedLogins, &locked, &created, &updated, &u.Version,
		&u.CaseAccessPending)
	if err != nil {
		return nil, err
	}
	u.Role = org.Role(role)
	u.TeamID = team.String
	json.Unmarshal([]byte(langs), &u.Languages)
	u.DisabledAt, u.LockedUntil = fromNullMS(disabled), fromNullMS(locked)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return &u, nil
}

// InsertUser stores a new user.
func (tx *Tx) InsertUser(ctx context.Context, u *org.User) error {
	if u.ID == "" {
		u.ID = NewID()
	}
	u.Version = 1
	langs, _ := json.Marshal(u.Languages)
	if u.Languages == nil {
		langs = []byte("[]")
	}
	_, err := tx.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
		u.ID, u.AgencyID, nullStr(u.TeamID), u.Username, u.DisplayName, string(u.Role), u.Email, u.Gender, string(langs),
		u.PasswordHash, u.MustChangePassword, nullMS(u.DisabledAt), u.FailedLogins, nullMS(u.LockedUntil),
		ms(u.CreatedAt), ms(u.UpdatedAt), u.CaseAccessPending)
	if isUnique(err) {
		return errs.Field("username", "err.taken")
	}
	return err
}

// UpdateUser saves u, which was read at u.Version, and bumps the version.
func (tx *Tx) UpdateUser(ctx context.Context, u *org.User) error {
	langs, _ := json.Marshal(u.Languages)
	if u.Languages == nil {
		langs = []byte("[]")
	}
	res, err := tx.exec(ctx, `UPDATE users SET team_id = ?, display_name = ?, role = ?, email = ?, gender = ?,
		languages = ?, password_hash = ?, must_change_password = ?, disabled_at = ?, failed_logins = ?,
		locked_until = ?, updated_at = ?, case_access_pending = ?, version = version + 1 WHERE id = ? AND version = ?`,
		nullStr(u.TeamID), u.DisplayName, string(u.Role), u.Email, u.Gender, string(langs), u.PasswordHash,
		u.MustChangePassword, nullMS(u.DisabledAt), u.FailedLogins, nullMS(u.LockedUntil), ms(u.UpdatedAt),
		u.CaseAccessPending, u.ID, u.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		cur, err := tx.User(ctx, u.ID)
		if err != nil {
			return err
		}
		return &errs.ConflictError{Record: "user", Version: cur.Version, Current: cur}
	}
	u.Version++
	return nil
}

// User returns user id.
func (tx *Tx) User(ctx context.Context, id string) (*org.User, error) {
	if badID(id) {
		return nil, errs.E(errs.NotFound, "user")
	}
	u, err := scanUser(tx.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "user "+id)
	}
	return u, nil
}

// UserNames returns the display names of the users ids, in one query.
func (tx *Tx) UserNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	var args []any
	for _, id := range ids {
		if id != "" {
			args = append(args, id)
		}
	}
	if len(args) == 0 {
		return out, nil
	}
	q := "SELECT id, display_name FROM users WHERE id IN (?" + strings.Repeat(", ?", len(args)-1) + ")"
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// UserByName returns the user called username.
func (tx *Tx) UserByName(ctx context.Context, username string) (*org.User, error) {
	u, err := scanUser(tx.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE username = ?", username))
	if err != nil {
		return nil, notFound(err, "user "+username)
	}
	return u, nil
}

// Users lists the users of agency (every user when agency is empty), by name.
func (tx *Tx) Users(ctx context.Context, agency string) ([]org.User, error) {
	q := "SELECT " + userCols + " FROM users"
	var args []any
	if agency != "" {
		q += " WHERE agency_id = ?"
		args = append(args, agency)
	}
	rows, err := tx.query(ctx, q+" ORDER BY display_name", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// Session is a signed-in browser session.
type Session struct {
	ID         string // the hash of the cookie's token
	PublicID   string // an opaque ID to list and end the session by (never the token's hash)
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end
	IP         string
	UserAgent  string
}

// InsertSession stores a new session.
func (tx *Tx) InsertSession(ctx context.Context, s *Session) error {
	if s.PublicID == "" {
		s.PublicID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO sessions (id, public_id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, s.PublicID, s.UserID, ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt),
		s.IP, s.UserAgent)
	return err
}

// SessionUser returns the session with token hash id and its user.
func (tx *Tx) SessionUser(ctx context.Context, id string) (*Session, *org.User, error) {
	var s Session
	var created, seen, expires int64
	row := tx.queryRow(ctx, `SELECT s.id, s.public_id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent,
		u.id, u.agency_id, u.team_id, u.username, u.display_name, u.role, u.email, u.gender, u.languages,
		u.password_hash, u.must_change_password, u.disabled_at, u.failed_logins, u.locked_until, u.created_at,
		u.updated_at, u.version, u.case_access_pending
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, id)
	u, err := scanUser(scanPrefix{row, []any{&s.ID, &s.PublicID, &s.UserID, &created, &seen, &expires, &s.IP, &s.UserAgent}})
	if err != nil {
		return nil, nil, notFound(err, "session")
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return &s, u, nil
}

// scanPrefix scans some leading columns into pre before handing the rest on.
type scanPrefix struct {
	sc  interface{ Scan(...any) error }
	pre []any
}

func (p scanPrefix) Scan(dest ...any) error { return p.sc.Scan(append(p.pre, dest...)...) }

// TouchSession records that session id was used at now.
func (tx *Tx) TouchSession(ctx context.Context, id string, now time.Time) error {
	_, err := tx.exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id = ?", ms(now), id)
	return err
}

// DeleteSession ends session id.
func (tx *Tx) DeleteSession(ctx context.Context, id string) error {
	_, err := tx.exec(ctx, "DELETE FROM sessions WHERE id = ?", id)
	return err
}

// DeleteUserSessions ends every session of user id (password change, disable).
func (tx *Tx) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := tx.exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
	return err
}

// DeleteExpiredSessions removes sessions idle since before idleBefore or past their end.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, idleBefore, now time.Time) (int64, error) {
	res, err := tx.exec(ctx, "DELETE FROM sessions WHERE last_seen_at < ? OR expires_at < ?", ms(idleBefore), ms(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// APIToken is a personal API token (only its hash is stored).
type APIToken struct {
	ID         string
	UserID     string
	Name       string
	Hash       string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
}

// InsertToken stores a new API token.
func (tx *Tx) InsertToken(ctx context.Context, t *APIToken) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, last_used_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, NULL, ?, NULL)`, t.ID, t.UserID, t.Name, t.Hash, ms(t.CreatedAt), nullMS(t.ExpiresAt))
	return err
}

// Tokens lists user's API tokens, newest first.
func (tx *Tx) Tokens(ctx context.Context, userID string) ([]APIToken, error) {
	rows, err := tx.query(ctx, `SELECT id, user_id, name, token_hash, created_at, last_used_at, expires_at, revoked_at
		FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var created int64
		var used, expires, revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &created, &used, &expires, &revoked); err != nil {
			return nil, err
		}
		t.CreatedAt, t.LastUsedAt, t.ExpiresAt, t.RevokedAt = fromMS(created), fromNullMS(used), fromNullMS(expires), fromNullMS(revoked)
		out = append(out, t)
	}
	return out, rows.Err()
}

// TokenUser returns the live token with hash h and its user.
func (tx *Tx) TokenUser(ctx context.Context, h string, now time.Time) (*APIToken, *org.User, error) {
	var t APIToken
	var created int64
	var used, expires, revoked sql.NullInt64
	row := tx.queryRow(ctx, `SELECT t.id, t.user_id, t.name, t.token_hash, t.created_at, t.last_used_at, t.expires_at, t.revoked_at,
		u.id, u.agency_id, u.team_id, u.username, u.display_name, u.role, u.email, u.gender, u.languages,
		u.password_hash, u.must_change_password, u.disabled_at, u.failed_logins, u.locked_until, u.created_at,
		u.updated_at, u.version, u.case_access_pending
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, h)
	u, err := scanUser(scanPrefix{row, []any{&t.ID, &t.UserID, &t.Name, &t.Hash, &created, &used, &expires, &revoked}})
	if err != nil {
		return nil, nil, notFound(err, "token")
	}
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt, t.RevokedAt = fromMS(created), fromNullMS(used), fromNullMS(expires), fromNullMS(revoked)
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && now.After(t.ExpiresAt)) {
		return nil, nil, errs.E(errs.NotFound, "token")
	}
	return &t, u, nil
}

// TouchToken records that token id was used at now.
func (tx *Tx) TouchToken(ctx context.Context, id string, now time.Time) error {
	_, err := tx.exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", ms(now), id)
	return err
}

// staffNearQuery is StaffNear's query: its arguments are the team, the
// agency twice and the two roles.
const staffNearQuery = `SELECT id, display_name, role, team_id FROM users
	WHERE team_id = ? AND agency_id = ? AND disabled_at IS NULL
	UNION
	SELECT id, display_name, role, team_id FROM users
	WHERE agency_id = ? AND role IN (?, ?) AND disabled_at IS NULL
	ORDER BY display_name, id`

// RevokeToken revokes user's token id.
func (tx *Tx) RevokeToken(ctx context.Context, userID, id string, now time.Time) error {
	return tx.execOne(ctx, "token "+id, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
		ms(now), id, userID)
}

// StaffNear returns the active users of agency in team, and its supervisors
// and managers: who a case's forms offer by name (the rest of a large
// agency is named by sign-in name). Only the columns a form needs are read.
// The two halves are two ranges of indexes that hold every column read
// here (users_staff_team, users_staff_agency), rather than every user of
// the agency (1,280 at 1M cases) read from the table and filtered.
func (tx *Tx) StaffNear(ctx context.Context, agency, team string) ([]org.User, error) {
	rows, err := tx.query(ctx, staffNearQuery, team, agency, agency, string(org.Supervisor), string(org.Manager))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.User
	for rows.Next() {
		u := org.User{AgencyID: agency}
		var role string
		var team sql.NullString
		if err := rows.Scan(&u.ID, &u.DisplayName, &role, &team); err != nil {
			return nil, err
		}
		u.Role, u.TeamID = org.Role(role), team.String
		out = append(out, u)
	}
	return out, rows.Err()
}
