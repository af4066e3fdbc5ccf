package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/safecase/safecase/internal/followup"
)

// InsertFollowUp stores a follow-up.
func (tx *Tx) InsertFollowUp(ctx context.Context, f *followup.FollowUp) error {
	if f.ID == "" {
		f.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO followups (id, case_id, plan_id, mode, contacts, happened_on, seen, safety,
		safety_notes, progress, new_needs, dissatisfied, notes, recorded_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.CaseID, nullStr(f.PlanID), f.Mode, jsonList(f.Contacts), f.HappenedOn, f.Seen, f.Safety, f.SafetyNotes,
		jsonRows(f.Progress), f.NewNeeds, f.Dissatisfied, f.Notes, f.RecordedBy, ms(f.CreatedAt))
	return err
}

// FollowUps returns a case's follow-ups, newest first. Each carries the risk
// level in force once it was recorded, read from the risk history (where a
// follow-up's re-check writes any change).
func (tx *Tx) FollowUps(ctx context.Context, caseID string) (out []followup.FollowUp, err error) {
	rows, err := tx.query(ctx, `SELECT f.id, f.case_id, f.plan_id, f.mode, f.contacts, f.happened_on, f.seen, f.safety,
		f.safety_notes, f.progress, f.new_needs, f.dissatisfied, f.notes, f.recorded_by, f.created_at,
		COALESCE((SELECT r.to_level FROM risk_changes r WHERE r.case_id = f.case_id AND r.changed_at <= f.created_at
			ORDER BY r.changed_at DESC, r.id DESC LIMIT 1), '')
		FROM followups f WHERE f.case_id = ? ORDER BY f.happened_on DESC, f.created_at DESC, f.id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f followup.FollowUp
		var planID sql.NullString
		var contacts, progress string
		var created int64
		if err := rows.Scan(&f.ID, &f.CaseID, &planID, &f.Mode, &contacts, &f.HappenedOn, &f.Seen, &f.Safety,
			&f.SafetyNotes, &progress, &f.NewNeeds, &f.Dissatisfied, &f.Notes, &f.RecordedBy, &created,
			&f.RiskLevel); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(contacts), &f.Contacts); err != nil {
			return nil, fmt.Errorf("follow-up %s contacts: %w", f.ID, err)
		}
		if err := json.Unmarshal([]byte(progress), &f.Progress); err != nil {
			return nil, fmt.Errorf("follow-up %s progress: %w", f.ID, err)
		}
		f.PlanID, f.CreatedAt = planID.String, fromMS(created)
		out = append(out, f)
	}
	return out, rows.Err()
}

// InsertReview stores a case review.
func (tx *Tx) InsertReview(ctx context.Context, r *followup.Review) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO reviews (id, case_id, plan_id, reviewed_on, trigger, objectives,
		child_participated, participation, plan_changes, risk_level, recorded_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.CaseID, nullStr(r.PlanID), r.ReviewedOn, r.Trigger, jsonRows(r.Evaluation), r.ChildParticipated,
		r.Participation, r.PlanChanges, r.RiskLevel, r.RecordedBy, ms(r.CreatedAt))
	return err
}

// Reviews returns a case's reviews, newest first.
func (tx *Tx) Reviews(ctx context.Context, caseID string) (out []followup.Review, err error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, plan_id, reviewed_on, trigger, objectives, child_participated,
		participation, plan_changes, risk_level, recorded_by, created_at
		FROM reviews WHERE case_id = ? ORDER BY reviewed_on DESC, created_at DESC, id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r followup.Review
		var planID sql.NullString
		var evals string
		var created int64
		if err := rows.Scan(&r.ID, &r.CaseID, &planID, &r.ReviewedOn, &r.Trigger, &evals, &r.ChildParticipated,
			&r.Participation, &r.PlanChanges, &r.RiskLevel, &r.RecordedBy, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(evals), &r.Evaluation); err != nil {
			return nil, fmt.Errorf("review %s objectives: %w", r.ID, err)
		}
		r.PlanID, r.CreatedAt = planID.String, fromMS(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// jsonRows stores a list of records as a JSON array ([] when empty).
func jsonRows[T any](rows []T) string {
	if len(rows) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(rows)
	return string(b)
}
