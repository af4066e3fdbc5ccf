package store

import (
	"context"
	"database/sql"

	"github.com/safecase/safecase/internal/cases"
)

// SetMarking stores the marking of case caseID as a duplicate (the case
// kept) or as registered in error (the note alone); a zero marking clears
// both.
func (tx *Tx) SetMarking(ctx context.Context, caseID string, m cases.Marking) error {
	return tx.execOne(ctx, "case "+caseID, "UPDATE cases SET duplicate_of = ?, duplicate_note = ? WHERE id = ?",
		nullStr(m.KeptID), m.Note, caseID)
}

// CaseMarking returns the marking of case caseID: zero for a case not
// marked.
func (tx *Tx) CaseMarking(ctx context.Context, caseID string) (cases.Marking, error) {
	var kept sql.NullString
	var m cases.Marking
	err := tx.queryRow(ctx, "SELECT duplicate_of, duplicate_note FROM cases WHERE id = ?", caseID).Scan(&kept, &m.Note)
	if err != nil {
		return cases.Marking{}, notFound(err, "case "+caseID)
	}
	m.KeptID = kept.String
	return m, nil
}

// DuplicatesOf returns the cases marked as duplicates of case keptID and
// still closed as such, oldest registration first (the partial index
// cases_duplicate_of).
func (tx *Tx) DuplicatesOf(ctx context.Context, keptID string) ([]cases.Case, error) {
	if badID(keptID) {
		return nil, nil
	}
	rows, err := tx.query(ctx, "SELECT "+caseCols+` FROM cases
		WHERE duplicate_of = ? AND status = ? AND closure_reason = ? ORDER BY registered_at, id`, keptID, cases.Closed,
		cases.ReasonDuplicate)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cases.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}
