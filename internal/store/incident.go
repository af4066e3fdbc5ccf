package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/incident"
)

// InsertIncident stores an incident.
func (tx *Tx) InsertIncident(ctx context.Context, in *incident.Incident) error {
	if in.ID == "" {
		in.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO incidents (id, case_id, type, happened_on, location, perpetrator, description,
		recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.ID, in.CaseID, in.Type, in.HappenedOn, in.Location, in.Perpetrator, in.Description, in.RecordedBy,
		ms(in.RecordedAt))
	return err
}

// incidentCols reads an incident with its mandatory report (LEFT JOIN: the
// report's columns are NULL when there is none).
const incidentCols = `i.id, i.case_id, i.type, i.happened_on, i.location, i.perpetrator, i.description,
	i.recorded_by, i.recorded_at, r.id, r.status, r.recommendation, r.recommendation_reasoning, r.recommended_by,
	r.recommended_at, r.decision, r.reasoning, r.authority, r.shared_what, r.shared_how, r.reported_on,
	r.family_told, r.family_told_on, r.family_not_told_why, r.decided_by, r.decided_at, r.version
	FROM incidents i LEFT JOIN mandatory_reports r ON r.incident_id = i.id`

func scanIncident(sc interface{ Scan(...any) error }) (*incident.Incident, error) {
	var in incident.Incident
	var recorded int64
	var rid, status, rec, recWhy, recBy, decision, reasoning, authority, what, how, reportedOn, toldOn, notTold,
		decBy sql.NullString
	var recAt, decAt, version sql.NullInt64
	var told sql.NullBool
	if err := sc.Scan(&in.ID, &in.CaseID, &in.Type, &in.HappenedOn, &in.Location, &in.Perpetrator, &in.Description,
		&in.RecordedBy, &recorded, &rid, &status, &rec, &recWhy, &recBy, &recAt, &decision, &reasoning, &authority,
		&what, &how, &reportedOn, &told, &toldOn, &notTold, &decBy, &decAt, &version); err != nil {
		return nil, err
	}
	in.RecordedAt = fromMS(recorded)
	if rid.Valid {
		r := &incident.Report{ID: rid.String, CaseID: in.CaseID, IncidentID: in.ID, Status: status.String,
			Recommendation: rec.String, RecommendWhy: recWhy.String, RecommendedBy: recBy.String,
			RecommendedAt: fromNullMS(recAt), Decision: decision.String,
			Reasoning: reasoning.String, Authority: authority.String, SharedWhat: what.String, SharedHow: how.String,
			ReportedOn: reportedOn.String, FamilyTold: told.Bool, FamilyToldOn: toldOn.String,
			FamilyNotToldWhy: notTold.String, DecidedBy: decBy.String, DecidedAt: fromNullMS(decAt),
			Version: int(version.Int64)}
		in.Report = r
	}
	return &in, nil
}

// Incident returns incident id of case caseID with its mandatory report.
func (tx *Tx) Incident(ctx context.Context, caseID, id string) (*incident.Incident, error) {
	if uuid.Validate(id) != nil { // PostgreSQL refuses a malformed UUID; both engines say "not found"
		return nil, errs.E(errs.NotFound, "incident")
	}
	in, err := scanIncident(tx.queryRow(ctx, "SELECT "+incidentCols+" WHERE i.id = ? AND i.case_id = ?", id, caseID))
	if err != nil {
		return nil, notFound(err, "incident "+id)
	}
	return in, nil
}

// Incidents returns the incidents of case caseID with their mandatory
// reports, the latest first (by the day it happened, then as recorded).
func (tx *Tx) Incidents(ctx context.Context, caseID string) (out []incident.Incident, err error) {
	rows, err := tx.query(ctx, "SELECT "+incidentCols+` WHERE i.case_id = ?
		ORDER BY i.happened_on DESC, i.recorded_at DESC, i.id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *in)
	}
	return out, rows.Err()
}

// PendingMandatoryReports counts the mandatory reports of case caseID that
// wait for the supervisor's decision.
func (tx *Tx) PendingMandatoryReports(ctx context.Context, caseID string) (int, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM mandatory_reports WHERE case_id = ? AND status = ?",
		caseID, incident.Pending).Scan(&n)
	return n, err
}

// InsertMandatoryReport stores a new mandatory report.
func (tx *Tx) InsertMandatoryReport(ctx context.Context, r *incident.Report) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.Version == 0 {
		r.Version = 1
	}
	_, err := tx.exec(ctx, `INSERT INTO mandatory_reports (id, case_id, incident_id, status, recommendation,
		recommendation_reasoning, recommended_by, recommended_at, decision, reasoning, authority, shared_what,
		shared_how, reported_on, family_told, family_told_on, family_not_told_why, decided_by, decided_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.CaseID, r.IncidentID, r.Status, r.Recommendation, r.RecommendWhy,
		nullStr(r.RecommendedBy), nullMS(r.RecommendedAt), r.Decision, r.Reasoning, r.Authority, r.SharedWhat,
		r.SharedHow, r.ReportedOn, r.FamilyTold, r.FamilyToldOn, r.FamilyNotToldWhy, nullStr(r.DecidedBy),
		nullMS(r.DecidedAt), r.Version)
	return err
}

// UpdateMandatoryReport saves r if its version is still the stored one, and
// bumps the version.
func (tx *Tx) UpdateMandatoryReport(ctx context.Context, r *incident.Report) error {
	res, err := tx.exec(ctx, `UPDATE mandatory_reports SET status = ?, recommendation = ?, recommendation_reasoning = ?,
		recommended_by = ?, recommended_at = ?, decision = ?, reasoning = ?, authority = ?, shared_what = ?,
		shared_how = ?, reported_on = ?, family_told = ?, family_told_on = ?, family_not_told_why = ?, decided_by = ?,
		decided_at = ?, version = version + 1 WHERE id = ? AND case_id = ? AND version = ?`,
		r.Status, r.Recommendation, r.RecommendWhy, nullStr(r.RecommendedBy),
		nullMS(r.RecommendedAt), r.Decision, r.Reasoning, r.Authority, r.SharedWhat, r.SharedHow, r.ReportedOn,
		r.FamilyTold, r.FamilyToldOn, r.FamilyNotToldWhy, nullStr(r.DecidedBy), nullMS(r.DecidedAt),
		r.ID, r.CaseID, r.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "mandatory_report", Version: r.Version}
	}
	r.Version++
	return nil
}

// Case links

// InsertCaseLink stores a link between two cases.
func (tx *Tx) InsertCaseLink(ctx context.Context, l *caselink.Link) error {
	if l.ID == "" {
		l.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO case_links (id, case_a, case_b, relation, created_by, created_at, removed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, l.ID, l.CaseA, l.CaseB, l.Relation, l.CreatedBy, ms(l.CreatedAt),
		nullMS(l.RemovedAt))
	return err
}

// CaseLink returns link id, removed or not.
func (tx *Tx) CaseLink(ctx context.Context, id string) (*caselink.Link, error) {
	if uuid.Validate(id) != nil {
		return nil, errs.E(errs.NotFound, "case link")
	}
	var l caselink.Link
	var created int64
	var removed sql.NullInt64
	err := tx.queryRow(ctx, `SELECT id, case_a, case_b, relation, created_by, created_at, removed_at
		FROM case_links WHERE id = ?`, id).Scan(&l.ID, &l.CaseA, &l.CaseB, &l.Relation, &l.CreatedBy, &created, &removed)
	if err != nil {
		return nil, notFound(err, "case link "+id)
	}
	l.CreatedAt, l.RemovedAt = fromMS(created), fromNullMS(removed)
	return &l, nil
}

// RemoveCaseLink ends link id at at.
func (tx *Tx) RemoveCaseLink(ctx context.Context, id string, at time.Time) error {
	return tx.execOne(ctx, "case link "+id, "UPDATE case_links SET removed_at = ? WHERE id = ? AND removed_at IS NULL",
		ms(at), id)
}

// ActiveLinkBetween reports whether cases a and b are linked (either way).
func (tx *Tx) ActiveLinkBetween(ctx context.Context, a, b string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM case_links WHERE removed_at IS NULL
		AND ((case_a = ? AND case_b = ?) OR (case_a = ? AND case_b = ?))`, a, b, b, a).Scan(&n)
	return n > 0, err
}

// CaseLinks returns the links in force of case caseID, oldest first, each
// with only what may be shown of the other case: its code, type,
// caseworker's name and agency's name (and, never shown, what an access
// decision needs).
func (tx *Tx) CaseLinks(ctx context.Context, caseID string) (out []caselink.View, err error) {
	const cols = `l.id, l.relation, l.created_by, l.created_at, o.id, o.code, o.case_type, o.agency_id,
		o.team_id, o.caseworker_id, o.status, o.follow_up_by, u.display_name, g.name`
	const join = ` JOIN users u ON u.id = o.caseworker_id JOIN agencies g ON g.id = o.agency_id`
	rows, err := tx.query(ctx, `SELECT `+cols+` FROM case_links l JOIN cases o ON o.id = l.case_b`+join+`
		WHERE l.case_a = ? AND l.removed_at IS NULL
		UNION ALL
		SELECT `+cols+` FROM case_links l JOIN cases o ON o.id = l.case_a`+join+`
		WHERE l.case_b = ? AND l.removed_at IS NULL
		ORDER BY 4, 1`, caseID, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v caselink.View
		var created int64
		var team, followUp sql.NullString
		var status string
		if err := rows.Scan(&v.ID, &v.Relation, &v.CreatedBy, &created, &v.Other.ID, &v.Code, &v.Type,
			&v.Other.AgencyID, &team, &v.Other.CaseworkerID, &status, &followUp, &v.Caseworker, &v.Agency); err != nil {
			return nil, err
		}
		v.CreatedAt = fromMS(created)
		v.Other.TeamID, v.Other.FollowUpBy, v.Other.Closed = team.String, followUp.String, status == cases.Closed
		out = append(out, v)
	}
	return out, rows.Err()
}
