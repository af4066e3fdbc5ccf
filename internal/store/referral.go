package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
)

// InsertReferral stores a new referral.
func (tx *Tx) InsertReferral(ctx context.Context, r *referral.Referral) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO referrals (id, case_id, screening_id, action_id, service_id, from_agency_id,
		to_agency_id, to_user_id, service_type, reason, urgent, sections, basis, consent_id, override_id, consent_giver,
		consent_on, status, response_due, decline_reason, service_note, outcome, sent_by, sent_at, responded_by,
		responded_at, provided_at, outcome_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, nullStr(r.CaseID), nullStr(r.ScreeningID), nullStr(r.ActionID), r.ServiceID, r.FromAgencyID,
		nullStr(r.ToAgencyID), nullStr(r.ToUserID), r.ServiceType, r.Reason, r.Urgent, jsonList(share.Names(r.Sections)),
		r.Basis, nullStr(r.ConsentID), nullStr(r.OverrideID), r.ConsentGiver, r.ConsentOn, r.Status,
		nullMS(r.ResponseDue), r.DeclineReason, r.ServiceNote, r.Outcome, r.SentBy, ms(r.SentAt), nullStr(r.RespondedBy),
		nullMS(r.RespondedAt), nullMS(r.ProvidedAt), nullMS(r.OutcomeAt), r.Version)
	return err
}

// UpdateReferral saves a referral's state if its version is still the
// stored one, and bumps the version.
func (tx *Tx) UpdateReferral(ctx context.Context, r *referral.Referral) error {
	res, err := tx.exec(ctx, `UPDATE referrals SET status = ?, decline_reason = ?, service_note = ?, outcome = ?,
		responded_by = ?, responded_at = ?, provided_at = ?, outcome_at = ?, version = version + 1
		WHERE id = ? AND version = ?`, r.Status, r.DeclineReason, r.ServiceNote, r.Outcome, nullStr(r.RespondedBy),
		nullMS(r.RespondedAt), nullMS(r.ProvidedAt), nullMS(r.OutcomeAt), r.ID, r.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "referral", Version: r.Version}
	}
	r.Version++
	return nil
}

const referralCols = `r.id, r.case_id, r.screening_id, r.action_id, r.service_id, r.from_agency_id, r.to_agency_id,
	r.to_user_id, r.service_type, r.reason, r.urgent, r.sections, r.basis, r.consent_id, r.override_id, r.consent_giver,
	r.consent_on, r.status, r.response_due, r.decline_reason, r.service_note, r.outcome, r.sent_by, r.sent_at,
	r.responded_by, r.responded_at, r.provided_at, r.outcome_at, r.version, COALESCE(c.code, ''),
	COALESCE(d.organisation, '')`

const referralFrom = ` FROM referrals r LEFT JOIN cases c ON c.id = r.case_id
	LEFT JOIN directory_services d ON d.id = r.service_id`

// Referral returns one referral.
func (tx *Tx) Referral(ctx context.Context, id string) (*referral.Referral, error) {
	return oneByID(ctx, tx, "referral", `SELECT `+referralCols+referralFrom+` WHERE r.id = ?`, id, scanReferrals)
}

// CaseReferrals returns a case's referrals, newest first.
func (tx *Tx) CaseReferrals(ctx context.Context, caseID string) ([]referral.Referral, error) {
	rows, err := tx.query(ctx, `SELECT `+referralCols+referralFrom+` WHERE r.case_id = ? ORDER BY r.sent_at DESC, r.id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	return scanReferrals(rows)
}

// openReferral is the WHERE term of an open referral, written with the
// states as literals: the partial index referrals_open_to (migration 0011)
// has the same term, and an engine uses a partial index only for a query
// whose WHERE clause implies the index's, which bound parameters cannot.
const openReferral = `r.status IN ('` + referral.Sent + `', '` + referral.Accepted + `', '` + referral.Provided + `')`

// ReferralsTo returns the open referrals addressed to agency — to user by
// name, or to nobody by name when providers is true — oldest first (the
// longest waiting at the top), at most limit. It reads the agency's open
// referrals in the order it lists them (referrals_open_to) and stops at
// limit, instead of sorting every open referral of the agency.
func (tx *Tx) ReferralsTo(ctx context.Context, agency, user string, providers bool, limit int) ([]referral.Referral, error) {
	rows, err := tx.query(ctx, referralsToQuery(providers), agency, user, limit)
	if err != nil {
		return nil, err
	}
	return scanReferrals(rows)
}

// referralsToQuery is ReferralsTo's query: its arguments are the agency, the
// user and the limit.
func referralsToQuery(providers bool) string {
	q := `SELECT ` + referralCols + referralFrom + ` WHERE r.to_agency_id = ? AND ` + openReferral + ` AND (r.to_user_id = ?`
	if providers {
		q += ` OR r.to_user_id IS NULL`
	}
	return q + `) ORDER BY r.sent_at, r.id LIMIT ?`
}

// ReferralsFrom returns the stand-alone referrals sent by agency, newest first.
func (tx *Tx) ReferralsFrom(ctx context.Context, agency string, limit int) ([]referral.Referral, error) {
	rows, err := tx.query(ctx, `SELECT `+referralCols+referralFrom+` WHERE r.from_agency_id = ? AND r.case_id IS NULL
		ORDER BY r.sent_at DESC, r.id DESC LIMIT ?`, agency, limit)
	if err != nil {
		return nil, err
	}
	return scanReferrals(rows)
}

func scanReferrals(rows storeRows) (out []referral.Referral, err error) {
	defer rows.Close()
	for rows.Next() {
		var r referral.Referral
		var caseID, screening, action, toAgency, toUser, consentID, overrideID, respondedBy sql.NullString
		var secs string
		var sent int64
		var due, responded, provided, outcome sql.NullInt64
		if err := rows.Scan(&r.ID, &caseID, &screening, &action, &r.ServiceID, &r.FromAgencyID, &toAgency, &toUser,
			&r.ServiceType, &r.Reason, &r.Urgent, &secs, &r.Basis, &consentID, &overrideID, &r.ConsentGiver,
			&r.ConsentOn, &r.Status, &due, &r.DeclineReason, &r.ServiceNote, &r.Outcome, &r.SentBy, &sent,
			&respondedBy, &responded, &provided, &outcome, &r.Version, &r.CaseCode, &r.Organisation); err != nil {
			return nil, err
		}
		var ss []string
		if err := json.Unmarshal([]byte(secs), &ss); err != nil {
			return nil, fmt.Errorf("referral %s sections: %w", r.ID, err)
		}
		for _, s := range ss {
			r.Sections = append(r.Sections, access.Section(s))
		}
		r.CaseID, r.ScreeningID, r.ActionID = caseID.String, screening.String, action.String
		r.ToAgencyID, r.ToUserID, r.ConsentID, r.OverrideID = toAgency.String, toUser.String, consentID.String, overrideID.String
		r.RespondedBy, r.ResponseDue, r.SentAt = respondedBy.String, fromNullMS(due), fromMS(sent)
		r.RespondedAt, r.ProvidedAt, r.OutcomeAt = fromNullMS(responded), fromNullMS(provided), fromNullMS(outcome)
		out = append(out, r)
	}
	return out, rows.Err()
}
