package store

import (
	"context"
	"database/sql"

	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
)

const consentCols = `id, case_id, scope, giver, person_id, kind, decision, method, obtained_on, obtained_by,
	told_mandatory_reporting, notes, withdrawn_at, withdrawn_by, withdrawal_reason, created_at, version`

// Consents returns a case's consent and assent records, newest first.
func (tx *Tx) Consents(ctx context.Context, caseID string) ([]consent.Record, error) {
	rows, err := tx.query(ctx, "SELECT "+consentCols+" FROM consents WHERE case_id = ? ORDER BY created_at DESC, id DESC", caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.Record
	for rows.Next() {
		var r consent.Record
		var person, withdrawnBy sql.NullString
		var withdrawn sql.NullInt64
		var created int64
		if err := rows.Scan(&r.ID, &r.CaseID, &r.Scope, &r.Giver, &person, &r.Kind, &r.Decision, &r.Method,
			&r.ObtainedOn, &r.ObtainedBy, &r.ToldMandatoryReporting, &r.Notes, &withdrawn, &withdrawnBy,
			&r.WithdrawalReason, &created, &r.Version); err != nil {
			return nil, err
		}
		r.PersonID, r.WithdrawnBy = person.String, withdrawnBy.String
		r.WithdrawnAt, r.CreatedAt = fromNullMS(withdrawn), fromMS(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// InsertConsent stores a consent or assent record.
func (tx *Tx) InsertConsent(ctx context.Context, r *consent.Record) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	_, err := tx.exec(ctx, "INSERT INTO consents ("+consentCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
		r.ID, r.CaseID, r.Scope, r.Giver, nullStr(r.PersonID), r.Kind, r.Decision, r.Method, r.ObtainedOn,
		r.ObtainedBy, r.ToldMandatoryReporting, r.Notes, nullMS(r.WithdrawnAt), nullStr(r.WithdrawnBy),
		r.WithdrawalReason, ms(r.CreatedAt))
	return err
}

// UpdateConsent saves a withdrawal of r, read at r.Version.
func (tx *Tx) UpdateConsent(ctx context.Context, r *consent.Record) error {
	res, err := tx.exec(ctx, `UPDATE consents SET withdrawn_at = ?, withdrawn_by = ?, withdrawal_reason = ?,
		version = version + 1 WHERE id = ? AND version = ?`, nullMS(r.WithdrawnAt), nullStr(r.WithdrawnBy),
		r.WithdrawalReason, r.ID, r.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "consent", Version: r.Version}
	}
	r.Version++
	return nil
}

// Overrides returns a case's consent overrides, newest first.
func (tx *Tx) Overrides(ctx context.Context, caseID string) ([]consent.Override, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, scope, basis, reason, approved_by, approved_at, revoked_at, revoked_by
		FROM consent_overrides WHERE case_id = ? ORDER BY approved_at DESC, id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.Override
	for rows.Next() {
		var o consent.Override
		var approved int64
		var revoked sql.NullInt64
		var revokedBy sql.NullString
		if err := rows.Scan(&o.ID, &o.CaseID, &o.Scope, &o.Basis, &o.Reason, &o.ApprovedBy, &approved, &revoked, &revokedBy); err != nil {
			return nil, err
		}
		o.ApprovedAt, o.RevokedAt, o.RevokedBy = fromMS(approved), fromNullMS(revoked), revokedBy.String
		out = append(out, o)
	}
	return out, rows.Err()
}

// InsertOverride stores a supervisor's consent override.
func (tx *Tx) InsertOverride(ctx context.Context, o *consent.Override) error {
	if o.ID == "" {
		o.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO consent_overrides (id, case_id, scope, basis, reason, approved_by, approved_at,
		revoked_at, revoked_by) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)`, o.ID, o.CaseID, o.Scope, o.Basis, o.Reason,
		o.ApprovedBy, ms(o.ApprovedAt))
	return err
}

// UpdateOverride saves the revocation of o.
func (tx *Tx) UpdateOverride(ctx context.Context, o *consent.Override) error {
	return tx.execOne(ctx, "override "+o.ID, "UPDATE consent_overrides SET revoked_at = ?, revoked_by = ? WHERE id = ?",
		nullMS(o.RevokedAt), nullStr(o.RevokedBy), o.ID)
}

// Exclusions returns a case's sharing exclusion list, including removed entries.
func (tx *Tx) Exclusions(ctx context.Context, caseID string) ([]consent.Exclusion, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, kind, agency_id, name, reason, added_by, added_at, removed_at, removed_by
		FROM sharing_exclusions WHERE case_id = ? ORDER BY added_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.Exclusion
	for rows.Next() {
		var e consent.Exclusion
		var agency, removedBy sql.NullString
		var added int64
		var removed sql.NullInt64
		if err := rows.Scan(&e.ID, &e.CaseID, &e.Kind, &agency, &e.Name, &e.Reason, &e.AddedBy, &added, &removed, &removedBy); err != nil {
			return nil, err
		}
		e.AgencyID, e.RemovedBy = agency.String, removedBy.String
		e.AddedAt, e.RemovedAt = fromMS(added), fromNullMS(removed)
		out = append(out, e)
	}
	return out, rows.Err()
}

// InsertExclusion adds to a case's sharing exclusion list.
func (tx *Tx) InsertExclusion(ctx context.Context, e *consent.Exclusion) error {
	if e.ID == "" {
		e.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO sharing_exclusions (id, case_id, kind, agency_id, name, reason, added_by, added_at,
		removed_at, removed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`, e.ID, e.CaseID, e.Kind, nullStr(e.AgencyID),
		e.Name, e.Reason, e.AddedBy, ms(e.AddedAt))
	return err
}

// UpdateExclusion saves the removal of e.
func (tx *Tx) UpdateExclusion(ctx context.Context, e *consent.Exclusion) error {
	return tx.execOne(ctx, "exclusion "+e.ID, "UPDATE sharing_exclusions SET removed_at = ?, removed_by = ? WHERE id = ?",
		nullMS(e.RemovedAt), nullStr(e.RemovedBy), e.ID)
}
