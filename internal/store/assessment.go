package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/safecase/safecase/internal/assessment"
)

const assessmentCols = `id, case_id, kind, assessed_on, interviewed_child, not_interviewed_why, domains, vulnerabilities,
	protective_factors, child_views, caregiver_views, risk_level, risk_reason, created_by, created_at, version`

// InsertAssessment stores an assessment (not its threats and needs).
func (tx *Tx) InsertAssessment(ctx context.Context, a *assessment.Assessment) error {
	if a.ID == "" {
		a.ID = NewID()
	}
	domains, _ := json.Marshal(a.Domains)
	_, err := tx.exec(ctx, "INSERT INTO assessments ("+assessmentCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
		a.ID, a.CaseID, a.Kind, a.AssessedOn, a.InterviewedChild, a.NotInterviewedWhy, string(domains), a.Vulnerabilities,
		a.ProtectiveFactors, a.ChildViews, a.CaregiverViews, a.RiskLevel, a.RiskReason, a.CreatedBy, ms(a.CreatedAt))
	return err
}

// InsertThreat stores a safety threat.
func (tx *Tx) InsertThreat(ctx context.Context, t *assessment.Threat) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO safety_threats (id, case_id, assessment_id, incident_type, location, frequency,
		ongoing, perpetrator, occurred_at, notes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.CaseID, nullStr(t.AssessmentID), t.IncidentType, t.Location, t.Frequency, t.Ongoing, t.Perpetrator,
		nullMS(t.OccurredAt), t.Notes, ms(t.CreatedAt))
	return err
}

// InsertNeed stores a need.
func (tx *Tx) InsertNeed(ctx context.Context, n *assessment.Need) error {
	if n.ID == "" {
		n.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO needs (id, case_id, assessment_id, domain, description, met, priority, essential,
		created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.ID, n.CaseID, nullStr(n.AssessmentID), n.Domain, n.Description,
		n.Met, n.Priority, n.Essential, ms(n.CreatedAt))
	return err
}

// Assessments returns a case's assessments, newest first, with their
// threats and needs.
func (tx *Tx) Assessments(ctx context.Context, caseID string) ([]assessment.Assessment, error) {
	rows, err := tx.query(ctx, "SELECT "+assessmentCols+" FROM assessments WHERE case_id = ? ORDER BY created_at DESC, id DESC", caseID)
	if err != nil {
		return nil, err
	}
	var out []assessment.Assessment
	for rows.Next() {
		var a assessment.Assessment
		var domains string
		var created int64
		if err := rows.Scan(&a.ID, &a.CaseID, &a.Kind, &a.AssessedOn, &a.InterviewedChild, &a.NotInterviewedWhy, &domains,
			&a.Vulnerabilities, &a.ProtectiveFactors, &a.ChildViews, &a.CaregiverViews, &a.RiskLevel, &a.RiskReason,
			&a.CreatedBy, &created, &a.Version); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(domains), &a.Domains); err != nil {
			rows.Close()
			return nil, fmt.Errorf("assessment %s domains: %w", a.ID, err)
		}
		a.CreatedAt = fromMS(created)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	threats, err := tx.Threats(ctx, caseID)
	if err != nil {
		return nil, err
	}
	needs, err := tx.Needs(ctx, caseID)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for i := range out {
		idx[out[i].ID] = i
	}
	for _, t := range threats {
		if i, ok := idx[t.AssessmentID]; ok {
			out[i].Threats = append(out[i].Threats, t)
		}
	}
	for _, n := range needs {
		if i, ok := idx[n.AssessmentID]; ok {
			out[i].Needs = append(out[i].Needs, n)
		}
	}
	return out, nil
}

// Threats returns a case's safety threats, oldest first (incidents recorded
// on their own have no assessment).
func (tx *Tx) Threats(ctx context.Context, caseID string) ([]assessment.Threat, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, assessment_id, incident_type, location, frequency, ongoing, perpetrator,
		occurred_at, notes, created_at FROM safety_threats WHERE case_id = ? ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assessment.Threat
	for rows.Next() {
		var t assessment.Threat
		var aid sql.NullString
		var occurred sql.NullInt64
		var created int64
		if err := rows.Scan(&t.ID, &t.CaseID, &aid, &t.IncidentType, &t.Location, &t.Frequency, &t.Ongoing, &t.Perpetrator,
			&occurred, &t.Notes, &created); err != nil {
			return nil, err
		}
		t.AssessmentID, t.OccurredAt, t.CreatedAt = aid.String, fromNullMS(occurred), fromMS(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// Needs returns a case's needs, oldest first.
func (tx *Tx) Needs(ctx context.Context, caseID string) ([]assessment.Need, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, assessment_id, domain, description, met, priority, essential, created_at
		FROM needs WHERE case_id = ? ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assessment.Need
	for rows.Next() {
		var n assessment.Need
		var aid sql.NullString
		var created int64
		if err := rows.Scan(&n.ID, &n.CaseID, &aid, &n.Domain, &n.Description, &n.Met, &n.Priority, &n.Essential, &created); err != nil {
			return nil, err
		}
		n.AssessmentID, n.CreatedAt = aid.String, fromMS(created)
		out = append(out, n)
	}
	return out, rows.Err()
}
