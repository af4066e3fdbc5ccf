package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/intake"
)

const identCols = `i.id, i.code, i.agency_id, i.case_type, i.source, i.age_years, i.sex, i.concerns, i.urgent, i.status,
	i.submitted_by, i.submitted_at, i.screening_id, i.version, d.name, d.location, d.contact, d.notes`

func scanIdentification(sc interface{ Scan(...any) error }) (*intake.Identification, error) {
	var i intake.Identification
	var age sql.NullInt64
	var screening sql.NullString
	var concerns string
	var at int64
	if err := sc.Scan(&i.ID, &i.Code, &i.AgencyID, &i.CaseType, &i.Source, &age, &i.Sex, &concerns, &i.Urgent,
		&i.Status, &i.SubmittedBy, &at, &screening, &i.Version, &i.Name, &i.Location, &i.Contact, &i.Notes); err != nil {
		return nil, err
	}
	i.AgeYears, i.ScreeningID, i.SubmittedAt = fromNullInt(age), screening.String, fromMS(at)
	if err := json.Unmarshal([]byte(concerns), &i.Concerns); err != nil {
		return nil, fmt.Errorf("identification %s concerns: %w", i.ID, err)
	}
	return &i, nil
}

// InsertIdentification stores an identification form and, apart, its identifying data.
func (tx *Tx) InsertIdentification(ctx context.Context, i *intake.Identification) error {
	if i.ID == "" {
		i.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO identifications (id, code, agency_id, case_type, source, age_years, sex, concerns,
		urgent, status, submitted_by, submitted_at, screening_id, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1)`,
		i.ID, i.Code, i.AgencyID, i.CaseType, i.Source, nullInt(i.AgeYears), i.Sex, jsonList(i.Concerns), i.Urgent,
		i.Status, i.SubmittedBy, ms(i.SubmittedAt))
	if isUnique(err) {
		return fmt.Errorf("identification code %s taken: %w", i.Code, errs.ErrConflict)
	}
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO identification_identity (identification_id, name, location, contact, notes)
		VALUES (?, ?, ?, ?, ?)`, i.ID, i.Name, i.Location, i.Contact, i.Notes)
	return err
}

// Identification returns identification id.
func (tx *Tx) Identification(ctx context.Context, id string) (*intake.Identification, error) {
	i, err := scanIdentification(tx.queryRow(ctx, "SELECT "+identCols+
		" FROM identifications i JOIN identification_identity d ON d.identification_id = i.id WHERE i.id = ?", id))
	if err != nil {
		return nil, notFound(err, "identification "+id)
	}
	return i, nil
}

// Identifications lists agency's identifications with status, urgent first, oldest first.
func (tx *Tx) Identifications(ctx context.Context, agency, status string, limit int) ([]intake.Identification, error) {
	rows, err := tx.query(ctx, "SELECT "+identCols+` FROM identifications i
		JOIN identification_identity d ON d.identification_id = i.id
		WHERE i.agency_id = ? AND i.status = ? ORDER BY i.urgent DESC, i.submitted_at LIMIT ?`, agency, status, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []intake.Identification
	for rows.Next() {
		i, err := scanIdentification(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *i)
	}
	return out, rows.Err()
}

// CountIdentifications counts agency's identifications with status.
func (tx *Tx) CountIdentifications(ctx context.Context, agency, status string) (int, error) {
	var n int
	err := tx.queryRow(ctx, "SELECT COUNT(*) FROM identifications WHERE agency_id = ? AND status = ?", agency, status).Scan(&n)
	return n, err
}

// MarkIdentificationScreened takes identification id (read at version) off the queue.
func (tx *Tx) MarkIdentificationScreened(ctx context.Context, id, screeningID string, version int) error {
	res, err := tx.exec(ctx, `UPDATE identifications SET status = ?, screening_id = ?, version = version + 1
		WHERE id = ? AND version = ?`, intake.StatusScreened, screeningID, id, version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "identification", Version: version}
	}
	return nil
}

const screeningCols = `id, agency_id, identification_id, case_type, age_years, answers, outcome, reasoning, notes,
	screened_by, screened_at, case_id, version`

// InsertScreening stores a screening.
func (tx *Tx) InsertScreening(ctx context.Context, s *intake.Screening) error {
	if s.ID == "" {
		s.ID = NewID()
	}
	answers, _ := json.Marshal(s.Answers)
	reasons, _ := json.Marshal(s.Reasons)
	_, err := tx.exec(ctx, "INSERT INTO screenings ("+screeningCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
		s.ID, s.AgencyID, nullStr(s.IdentificationID), s.CaseType, nullInt(s.AgeYears), string(answers), s.Outcome,
		string(reasons), s.Notes, s.ScreenedBy, ms(s.ScreenedAt), nullStr(s.CaseID))
	return err
}

// Screening returns screening id.
func (tx *Tx) Screening(ctx context.Context, id string) (*intake.Screening, error) {
	if badID(id) {
		return nil, errs.E(errs.NotFound, "screening")
	}
	var s intake.Screening
	var ident, caseID sql.NullString
	var age sql.NullInt64
	var answers, reasons string
	var at int64
	err := tx.queryRow(ctx, "SELECT "+screeningCols+" FROM screenings WHERE id = ?", id).Scan(&s.ID, &s.AgencyID,
		&ident, &s.CaseType, &age, &answers, &s.Outcome, &reasons, &s.Notes, &s.ScreenedBy, &at, &caseID, &s.Version)
	if err != nil {
		return nil, notFound(err, "screening "+id)
	}
	s.IdentificationID, s.CaseID, s.AgeYears, s.ScreenedAt = ident.String, caseID.String, fromNullInt(age), fromMS(at)
	if err := json.Unmarshal([]byte(answers), &s.Answers); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(reasons), &s.Reasons); err != nil {
		return nil, err
	}
	return &s, nil
}

// LinkScreening records that screening id led to case caseID.
func (tx *Tx) LinkScreening(ctx context.Context, id, caseID string) error {
	return tx.execOne(ctx, "screening "+id, "UPDATE screenings SET case_id = ?, version = version + 1 WHERE id = ? AND case_id IS NULL", caseID, id)
}

// RecentScreenings lists agency's screenings since, newest first.
func (tx *Tx) RecentScreenings(ctx context.Context, agency string, since time.Time, limit int) ([]intake.Screening, error) {
	// The IDs are read to the end (and the rows closed) before each is loaded.
	ids, err := tx.queryStrings(ctx, "SELECT id FROM screenings WHERE agency_id = ? AND screened_at >= ? ORDER BY screened_at DESC LIMIT ?",
		agency, ms(since), limit)
	if err != nil {
		return nil, err
	}
	out := make([]intake.Screening, 0, len(ids))
	for _, id := range ids {
		s, err := tx.Screening(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, nil
}
