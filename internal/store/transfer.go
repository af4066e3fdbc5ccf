package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/transfer"
)

// InsertTransfer stores a new transfer.
func (tx *Tx) InsertTransfer(ctx context.Context, t *transfer.Transfer) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO transfers (id, case_id, kind, reason, reason_notes, from_agency_id, from_team_id,
		from_caseworker_id, to_agency_id, to_team_id, to_user_id, sections, basis, family_told_on, family_told_to,
		family_told_why, handover_plan, warm_handover_on, no_warm_handover_why, status, batch_id, requested_by,
		requested_at, approved_by, approved_at, decided_by, decided_at, decline_reason, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.CaseID, t.Kind, t.Reason, t.ReasonNotes, t.FromAgencyID, nullStr(t.FromTeamID), t.FromCaseworkerID,
		t.ToAgencyID, nullStr(t.ToTeamID), nullStr(t.ToUserID), jsonList(share.Names(t.Sections)), t.Basis,
		t.FamilyToldOn, t.FamilyToldTo, t.FamilyToldWhy, t.HandoverPlan, t.WarmHandoverOn, t.NoWarmHandoverWhy,
		t.Status, nullStr(t.BatchID), t.RequestedBy, ms(t.RequestedAt), nullStr(t.ApprovedBy), nullMS(t.ApprovedAt),
		nullStr(t.DecidedBy), nullMS(t.DecidedAt), t.DeclineReason, t.Version)
	return err
}

// UpdateTransfer saves a transfer's decision if its version is still the
// stored one, and bumps the version.
func (tx *Tx) UpdateTransfer(ctx context.Context, t *transfer.Transfer) error {
	res, err := tx.exec(ctx, `UPDATE transfers SET status = ?, to_team_id = ?, to_user_id = ?, approved_by = ?,
		approved_at = ?, decided_by = ?, decided_at = ?, decline_reason = ?, version = version + 1
		WHERE id = ? AND version = ?`, t.Status, nullStr(t.ToTeamID), nullStr(t.ToUserID), nullStr(t.ApprovedBy),
		nullMS(t.ApprovedAt), nullStr(t.DecidedBy), nullMS(t.DecidedAt), t.DeclineReason, t.ID, t.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "transfer", Version: t.Version}
	}
	t.Version++
	return nil
}

const transferCols = `t.id, t.case_id, t.kind, t.reason, t.reason_notes, t.from_agency_id, t.from_team_id,
	t.from_caseworker_id, t.to_agency_id, t.to_team_id, t.to_user_id, t.sections, t.basis, t.family_told_on,
	t.family_told_to, t.family_told_why, t.handover_plan, t.warm_handover_on, t.no_warm_handover_why, t.status,
	t.batch_id, t.requested_by, t.requested_at, t.approved_by, t.approved_at, t.decided_by, t.decided_at,
	t.decline_reason, t.version, c.code FROM transfers t JOIN cases c ON c.id = t.case_id`

// Transfer returns one transfer.
func (tx *Tx) Transfer(ctx context.Context, id string) (*transfer.Transfer, error) {
	return oneByID(ctx, tx, "transfer", `SELECT `+transferCols+` WHERE t.id = ?`, id, scanTransfers)
}

// CaseTransfers returns a case's transfers, newest first.
func (tx *Tx) CaseTransfers(ctx context.Context, caseID string) ([]transfer.Transfer, error) {
	rows, err := tx.query(ctx, `SELECT `+transferCols+` WHERE t.case_id = ? ORDER BY t.requested_at DESC, t.id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	return scanTransfers(rows)
}

// TransfersTo returns the external transfers waiting for agency's answer,
// oldest first; with team set, those addressed to that team or to none.
func (tx *Tx) TransfersTo(ctx context.Context, agency, team string, limit int) ([]transfer.Transfer, error) {
	q := `SELECT ` + transferCols + ` WHERE t.to_agency_id = ? AND t.status = ? AND t.kind = ?`
	args := []any{agency, transfer.Requested, transfer.External}
	if team != "" {
		q += ` AND (t.to_team_id = ? OR t.to_team_id IS NULL)`
		args = append(args, team)
	}
	rows, err := tx.query(ctx, q+` ORDER BY t.requested_at, t.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return scanTransfers(rows)
}

func scanTransfers(rows storeRows) (out []transfer.Transfer, err error) {
	defer rows.Close()
	for rows.Next() {
		var t transfer.Transfer
		var fromTeam, toTeam, toUser, batch, approvedBy, decidedBy sql.NullString
		var secs string
		var requested int64
		var approved, decided sql.NullInt64
		if err := rows.Scan(&t.ID, &t.CaseID, &t.Kind, &t.Reason, &t.ReasonNotes, &t.FromAgencyID, &fromTeam,
			&t.FromCaseworkerID, &t.ToAgencyID, &toTeam, &toUser, &secs, &t.Basis, &t.FamilyToldOn, &t.FamilyToldTo,
			&t.FamilyToldWhy, &t.HandoverPlan, &t.WarmHandoverOn, &t.NoWarmHandoverWhy, &t.Status, &batch,
			&t.RequestedBy, &requested, &approvedBy, &approved, &decidedBy, &decided, &t.DeclineReason, &t.Version,
			&t.CaseCode); err != nil {
			return nil, err
		}
		var ss []string
		if err := json.Unmarshal([]byte(secs), &ss); err != nil {
			return nil, fmt.Errorf("transfer %s sections: %w", t.ID, err)
		}
		for _, s := range ss {
			t.Sections = append(t.Sections, access.Section(s))
		}
		t.FromTeamID, t.ToTeamID, t.ToUserID, t.BatchID = fromTeam.String, toTeam.String, toUser.String, batch.String
		t.ApprovedBy, t.DecidedBy, t.RequestedAt = approvedBy.String, decidedBy.String, fromMS(requested)
		t.ApprovedAt, t.DecidedAt = fromNullMS(approved), fromNullMS(decided)
		out = append(out, t)
	}
	return out, rows.Err()
}

// MoveCase gives case c to caseworker of team in agency: the case's owner
// changes, and its open deadlines follow — the caseworker's to the new
// caseworker, the supervisors' to the receiving team's first supervisor
// (or the new caseworker when the team has none).
func (tx *Tx) MoveCase(ctx context.Context, c *cases.Case, agency, team, caseworker string, supervisors []string, now time.Time) error {
	res, err := tx.exec(ctx, `UPDATE cases SET agency_id = ?, team_id = ?, caseworker_id = ?, follow_up_by = NULL,
		updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`, agency, team, caseworker, ms(now), c.ID, c.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "case", Version: c.Version}
	}
	c.AgencyID, c.TeamID, c.CaseworkerID, c.FollowUpBy, c.UpdatedAt = agency, team, caseworker, "", now
	c.Version++
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `UPDATE deadlines SET agency_id = ? WHERE case_id = ? AND done_at IS NULL`, agency, c.ID); err != nil {
		return err
	}
	sup := caseworker
	if len(supervisors) > 0 {
		sup = supervisors[0]
	}
	for _, d := range ds {
		if !d.Open() {
			continue
		}
		d.AgencyID, d.TeamID, d.AssigneeID = agency, team, caseworker
		if deadline.ForSupervisor(d.Kind) {
			d.AssigneeID = sup
		}
		if err := tx.UpdateDeadline(ctx, &d); err != nil {
			return err
		}
	}
	return nil
}

// OpenCaseIDsOfTeam returns the IDs of the open cases of team in agency.
func (tx *Tx) OpenCaseIDsOfTeam(ctx context.Context, team, agency string) ([]string, error) {
	if badID(team) {
		return nil, nil
	}
	return tx.queryStrings(ctx, `SELECT id FROM cases WHERE team_id = ? AND agency_id = ? AND status <> 'closed' ORDER BY id`,
		team, agency)
}

// CaseCodes returns the codes of the cases ids.
func (tx *Tx) CaseCodes(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if _, ok := out[id]; ok || badID(id) {
			continue
		}
		var code string
		if err := tx.queryRow(ctx, `SELECT code FROM cases WHERE id = ?`, id).Scan(&code); err != nil {
			return nil, notFound(err, "case "+id)
		}
		out[id] = code
	}
	return out, nil
}
