package store

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/safecase/safecase/internal/service"
)

// InsertService stores a direct service given.
func (tx *Tx) InsertService(ctx context.Context, g *service.Given) error {
	if g.ID == "" {
		g.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO services_given (id, case_id, action_id, service_type, given_on, description, given_by,
		created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, g.ID, g.CaseID, nullStr(g.ActionID), g.ServiceType, g.GivenOn,
		g.Description, g.GivenBy, ms(g.CreatedAt))
	return err
}

// Services returns the direct services given to a case, newest first.
func (tx *Tx) Services(ctx context.Context, caseID string) ([]service.Given, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, action_id, service_type, given_on, description, given_by, created_at
		FROM services_given WHERE case_id = ? ORDER BY given_on DESC, created_at DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []service.Given
	for rows.Next() {
		var g service.Given
		var action sql.NullString
		var created int64
		if err := rows.Scan(&g.ID, &g.CaseID, &action, &g.ServiceType, &g.GivenOn, &g.Description, &g.GivenBy, &created); err != nil {
			return nil, err
		}
		g.ActionID, g.CreatedAt = action.String, fromMS(created)
		out = append(out, g)
	}
	return out, rows.Err()
}

// InsertSafetyPlan stores a new version of a safety plan.
func (tx *Tx) InsertSafetyPlan(ctx context.Context, s *service.SafetyPlan) error {
	if s.ID == "" {
		s.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO safety_plans (id, case_id, number, concern, current_strategies, unsafe, avoidance,
		emergency, resources, review_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.CaseID, s.Number, s.Concern, s.CurrentStrategies, s.Unsafe, s.Avoidance, s.Emergency, s.Resources,
		s.ReviewOn, s.CreatedBy, ms(s.CreatedAt))
	return err
}

// SafetyPlans returns the versions of a case's safety plan, newest first.
func (tx *Tx) SafetyPlans(ctx context.Context, caseID string) ([]service.SafetyPlan, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, number, concern, current_strategies, unsafe, avoidance, emergency,
		resources, review_on, created_by, created_at FROM safety_plans WHERE case_id = ? ORDER BY number DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []service.SafetyPlan
	for rows.Next() {
		var s service.SafetyPlan
		var created int64
		if err := rows.Scan(&s.ID, &s.CaseID, &s.Number, &s.Concern, &s.CurrentStrategies, &s.Unsafe, &s.Avoidance,
			&s.Emergency, &s.Resources, &s.ReviewOn, &s.CreatedBy, &created); err != nil {
			return nil, err
		}
		s.CreatedAt = fromMS(created)
		out = append(out, s)
	}
	return out, rows.Err()
}

// InsertDisbursement stores an emergency fund payment.
func (tx *Tx) InsertDisbursement(ctx context.Context, d *service.Disbursement) error {
	if d.ID == "" {
		d.ID = NewID()
	}
	crit, _ := json.Marshal(d.Criteria)
	_, err := tx.exec(ctx, `INSERT INTO fund_disbursements (id, case_id, agency_id, team_id, amount_cents, currency, purpose,
		criteria, paid_on, notes, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.CaseID, d.AgencyID, d.TeamID, d.AmountCents, d.Currency, d.Purpose, string(crit), d.PaidOn, d.Notes,
		d.RecordedBy, ms(d.CreatedAt))
	return err
}

const fundCols = `id, case_id, agency_id, team_id, amount_cents, currency, purpose, criteria, paid_on, notes, recorded_by, created_at`

func scanDisbursements(rows storeRows) ([]service.Disbursement, error) {
	defer rows.Close()
	var out []service.Disbursement
	for rows.Next() {
		var d service.Disbursement
		var crit string
		var created int64
		if err := rows.Scan(&d.ID, &d.CaseID, &d.AgencyID, &d.TeamID, &d.AmountCents, &d.Currency, &d.Purpose, &crit,
			&d.PaidOn, &d.Notes, &d.RecordedBy, &created); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(crit), &d.Criteria)
		d.CreatedAt = fromMS(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Disbursements returns a case's emergency fund payments, newest first.
func (tx *Tx) Disbursements(ctx context.Context, caseID string) ([]service.Disbursement, error) {
	rows, err := tx.query(ctx, "SELECT "+fundCols+" FROM fund_disbursements WHERE case_id = ? ORDER BY paid_on DESC, created_at DESC", caseID)
	if err != nil {
		return nil, err
	}
	return scanDisbursements(rows)
}

// TeamDisbursements returns the emergency fund payments of a team's cases
// paid from the date from (YYYY-MM-DD), newest first, with the case codes.
func (tx *Tx) TeamDisbursements(ctx context.Context, team, from string) ([]service.Disbursement, map[string]string, error) {
	rows, err := tx.query(ctx, "SELECT "+fundCols+" FROM fund_disbursements WHERE team_id = ? AND paid_on >= ? ORDER BY paid_on DESC, created_at DESC",
		team, from)
	if err != nil {
		return nil, nil, err
	}
	ds, err := scanDisbursements(rows)
	if err != nil {
		return nil, nil, err
	}
	codes := map[string]string{}
	for _, d := range ds {
		if _, ok := codes[d.CaseID]; ok {
			continue
		}
		var code string
		if err := tx.queryRow(ctx, "SELECT code FROM cases WHERE id = ?", d.CaseID).Scan(&code); err != nil {
			return nil, nil, err
		}
		codes[d.CaseID] = code
	}
	return ds, codes, nil
}
