package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/share"
)

// InsertGrant stores a grant.
func (tx *Tx) InsertGrant(ctx context.Context, g *share.Record) error {
	if g.ID == "" {
		g.ID = NewID()
	}
	if g.SourceID == "" {
		g.SourceID = g.ID
	}
	roles := make([]string, len(g.Grant.Roles))
	for i, r := range g.Grant.Roles {
		roles[i] = string(r)
	}
	secs := make([]string, len(g.Grant.Sections))
	for i, s := range g.Grant.Sections {
		secs[i] = string(s)
	}
	_, err := tx.exec(ctx, `INSERT INTO case_grants (id, case_id, via, source_id, user_id, agency_id, team_id, role,
		sections, reason, created_by, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
		g.ID, g.CaseID, g.Grant.Via, g.SourceID, nullStr(g.Grant.UserID), nullStr(g.Grant.AgencyID),
		nullStr(g.Grant.TeamID), strings.Join(roles, ","),
		jsonList(secs), g.Reason, g.CreatedBy, ms(g.CreatedAt), nullMS(g.Grant.Until))
	return err
}

// RevokeGrants ends every grant made by source (a referral, transfer or
// conference) at now.
func (tx *Tx) RevokeGrants(ctx context.Context, source string, now time.Time) error {
	_, err := tx.exec(ctx, `UPDATE case_grants SET revoked_at = ? WHERE source_id = ? AND revoked_at IS NULL`,
		ms(now), source)
	return err
}

const grantCols = `id, case_id, via, source_id, user_id, agency_id, team_id, role, sections, reason, created_by,
	created_at, expires_at, revoked_at`

// CaseGrants returns the grants not revoked on a case (expired ones too:
// access.Grant.Holds knows the time).
func (tx *Tx) CaseGrants(ctx context.Context, caseID string) ([]access.Grant, error) {
	rows, err := tx.query(ctx, `SELECT `+grantCols+` FROM case_grants WHERE case_id = ? AND revoked_at IS NULL`, caseID)
	if err != nil {
		return nil, err
	}
	gs, err := scanGrants(rows)
	out := make([]access.Grant, len(gs))
	for i := range gs {
		out[i] = gs[i].Grant
	}
	return out, err
}

// GrantRecords returns every grant of a case ever made, newest first, for the
// list of shares on the case.
func (tx *Tx) GrantRecords(ctx context.Context, caseID string) ([]share.Record, error) {
	rows, err := tx.query(ctx, `SELECT `+grantCols+` FROM case_grants WHERE case_id = ? ORDER BY created_at DESC, id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	return scanGrants(rows)
}

// BreakGlassSince returns the break-glass grants made at or after since on
// cases of agency (its cases at the time), newest first (for the data
// protection officer).
func (tx *Tx) BreakGlassSince(ctx context.Context, agency string, since time.Time, limit int) ([]share.Record, error) {
	rows, err := tx.query(ctx, `SELECT g.id, g.case_id, g.via, g.source_id, g.user_id, g.agency_id, g.team_id, g.role, g.sections,
		g.reason, g.created_by, g.created_at, g.expires_at, g.revoked_at FROM case_grants g
		WHERE g.via = 'break_glass' AND g.created_at >= ? AND g.agency_id = ? ORDER BY g.created_at DESC, g.id DESC LIMIT ?`,
		ms(since), agency, limit)
	if err != nil {
		return nil, err
	}
	return scanGrants(rows)
}

func scanGrants(rows storeRows) (out []share.Record, err error) {
	defer rows.Close()
	for rows.Next() {
		var g share.Record
		var user, agency, team sql.NullString
		var roles, secs string
		var created int64
		var expires, revoked sql.NullInt64
		if err := rows.Scan(&g.ID, &g.CaseID, &g.Grant.Via, &g.SourceID, &user, &agency, &team, &roles, &secs, &g.Reason,
			&g.CreatedBy, &created, &expires, &revoked); err != nil {
			return nil, err
		}
		var ss []string
		if err := json.Unmarshal([]byte(secs), &ss); err != nil {
			return nil, fmt.Errorf("grant %s sections: %w", g.ID, err)
		}
		for _, s := range ss {
			g.Grant.Sections = append(g.Grant.Sections, access.Section(s))
		}
		if roles != "" {
			for _, r := range strings.Split(roles, ",") {
				g.Grant.Roles = append(g.Grant.Roles, org.Role(r))
			}
		}
		g.Grant.UserID, g.Grant.AgencyID, g.Grant.TeamID = user.String, agency.String, team.String
		g.Grant.Until, g.CreatedAt, g.RevokedAt = fromNullMS(expires), fromMS(created), fromNullMS(revoked)
		out = append(out, g)
	}
	return out, rows.Err()
}

// RevokeCaseGrants ends every grant of the case made through via at now.
func (tx *Tx) RevokeCaseGrants(ctx context.Context, caseID string, via access.Channel, now time.Time) error {
	_, err := tx.exec(ctx, `UPDATE case_grants SET revoked_at = ? WHERE case_id = ? AND via = ? AND revoked_at IS NULL`,
		ms(now), caseID, via)
	return err
}
