package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/errs"
)

const closureCols = `id, case_id, status, reason, confirmations, explanation, gaps, proposed_by, proposed_at,
	decided_by, decided_at, required_actions, follow_up_by, version`

func gapsJSON(gs []closure.Gap) string {
	if len(gs) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(gs)
	return string(b)
}

// InsertClosure stores a new closure proposal.
func (tx *Tx) InsertClosure(ctx context.Context, c *closure.Closure) error {
	if c.ID == "" {
		c.ID = NewID()
	}
	c.Version = 1
	_, err := tx.exec(ctx, "INSERT INTO closures ("+closureCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
		c.ID, c.CaseID, c.Status, c.Reason, jsonList(c.Confirmations), c.Explanation, gapsJSON(c.Gaps), c.ProposedBy,
		ms(c.ProposedAt), nullStr(c.DecidedBy), nullMS(c.DecidedAt), c.RequiredActions, nullStr(c.FollowUpBy))
	return err
}

// UpdateClosure saves the decision on c, read at c.Version, and bumps its version.
func (tx *Tx) UpdateClosure(ctx context.Context, c *closure.Closure) error {
	res, err := tx.exec(ctx, `UPDATE closures SET status = ?, decided_by = ?, decided_at = ?, required_actions = ?,
		follow_up_by = ?, version = version + 1 WHERE id = ? AND case_id = ? AND version = ?`,
		c.Status, nullStr(c.DecidedBy), nullMS(c.DecidedAt), c.RequiredActions, nullStr(c.FollowUpBy), c.ID, c.CaseID, c.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "closure", Version: c.Version}
	}
	c.Version++
	return nil
}

// Closures returns the closure proposals of a case, newest first.
func (tx *Tx) Closures(ctx context.Context, caseID string) ([]closure.Closure, error) {
	rows, err := tx.query(ctx, "SELECT "+closureCols+" FROM closures WHERE case_id = ? ORDER BY proposed_at DESC, id DESC", caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []closure.Closure
	for rows.Next() {
		var c closure.Closure
		var confs, gaps string
		var proposed int64
		var decided sql.NullInt64
		var decidedBy, followUp sql.NullString
		if err := rows.Scan(&c.ID, &c.CaseID, &c.Status, &c.Reason, &confs, &c.Explanation, &gaps, &c.ProposedBy,
			&proposed, &decidedBy, &decided, &c.RequiredActions, &followUp, &c.Version); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(confs), &c.Confirmations); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(gaps), &c.Gaps); err != nil {
			return nil, err
		}
		c.ProposedAt, c.DecidedAt = fromMS(proposed), fromNullMS(decided)
		c.DecidedBy, c.FollowUpBy = decidedBy.String, followUp.String
		out = append(out, c)
	}
	return out, rows.Err()
}

// InsertFeedback stores a post-closure follow-up with its feedback survey.
func (tx *Tx) InsertFeedback(ctx context.Context, f *closure.Feedback) error {
	if f.ID == "" {
		f.ID = NewID()
	}
	answers, _ := json.Marshal(f.Answers)
	if f.Answers == nil {
		answers = []byte("{}")
	}
	_, err := tx.exec(ctx, `INSERT INTO feedback (id, case_id, closure_id, answers, comments, child_safe, recorded_by,
		recorded_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, f.CaseID, nullStr(f.ClosureID), string(answers),
		f.Comments, f.ChildSafe, f.RecordedBy, f.RecordedOn, ms(f.CreatedAt))
	return err
}

// Feedbacks returns the post-closure follow-ups of a case, newest first.
func (tx *Tx) Feedbacks(ctx context.Context, caseID string) ([]closure.Feedback, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, closure_id, answers, comments, child_safe, recorded_by, recorded_on,
		created_at FROM feedback WHERE case_id = ? ORDER BY created_at DESC, id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []closure.Feedback
	for rows.Next() {
		var f closure.Feedback
		var closureID sql.NullString
		var answers string
		var created int64
		if err := rows.Scan(&f.ID, &f.CaseID, &closureID, &answers, &f.Comments, &f.ChildSafe, &f.RecordedBy,
			&f.RecordedOn, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(answers), &f.Answers); err != nil {
			return nil, err
		}
		f.ClosureID, f.CreatedAt = closureID.String, fromMS(created)
		out = append(out, f)
	}
	return out, rows.Err()
}

// InsertReopening stores a reopening of a case.
func (tx *Tx) InsertReopening(ctx context.Context, r *closure.Reopening) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO reopenings (id, case_id, reason, reopened_by, reopened_at) VALUES (?, ?, ?, ?, ?)`,
		r.ID, r.CaseID, r.Reason, r.ReopenedBy, ms(r.ReopenedAt))
	return err
}

// Reopenings returns the reopenings of a case, newest first.
func (tx *Tx) Reopenings(ctx context.Context, caseID string) ([]closure.Reopening, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, reason, reopened_by, reopened_at FROM reopenings WHERE case_id = ?
		ORDER BY reopened_at DESC, id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []closure.Reopening
	for rows.Next() {
		var r closure.Reopening
		var at int64
		if err := rows.Scan(&r.ID, &r.CaseID, &r.Reason, &r.ReopenedBy, &at); err != nil {
			return nil, err
		}
		r.ReopenedAt = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// InsertAgeOut stores a decision on a case's age-out pathway.
func (tx *Tx) InsertAgeOut(ctx context.Context, a *closure.AgeOut) error {
	if a.ID == "" {
		a.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO age_out_decisions (id, case_id, pathway, note, recorded_by, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?)`, a.ID, a.CaseID, a.Pathway, a.Note, a.RecordedBy, ms(a.RecordedAt))
	return err
}

// AgeOuts returns the age-out pathway decisions of a case, newest first.
func (tx *Tx) AgeOuts(ctx context.Context, caseID string) ([]closure.AgeOut, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, pathway, note, recorded_by, recorded_at FROM age_out_decisions
		WHERE case_id = ? ORDER BY recorded_at DESC, id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []closure.AgeOut
	for rows.Next() {
		var a closure.AgeOut
		var at int64
		if err := rows.Scan(&a.ID, &a.CaseID, &a.Pathway, &a.Note, &a.RecordedBy, &at); err != nil {
			return nil, err
		}
		a.RecordedAt = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// LastSeenOn returns the day (YYYY-MM-DD) of the latest follow-up of a case
// that saw the person, or "" when none did.
func (tx *Tx) LastSeenOn(ctx context.Context, caseID string) (string, error) {
	var last sql.NullString
	err := tx.queryRow(ctx, "SELECT MAX(happened_on) FROM followups WHERE case_id = ? AND seen", caseID).Scan(&last)
	return last.String, err
}
