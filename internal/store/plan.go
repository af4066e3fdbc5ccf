package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/plan"
)

const planCols = `id, case_id, number, status, meeting_on, participants, child_views, caregiver_views, notes,
	created_by, created_at, submitted_at, decided_by, decided_at, return_comments, activated_at, version`

// InsertPlan stores a new plan (not its items).
func (tx *Tx) InsertPlan(ctx context.Context, p *plan.Plan) error {
	if p.ID == "" {
		p.ID = NewID()
	}
	parts, _ := json.Marshal(p.Participants)
	if p.Participants == nil {
		parts = []byte("[]")
	}
	p.Version = 1
	_, err := tx.exec(ctx, "INSERT INTO plans ("+planCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
		p.ID, p.CaseID, p.Number, p.Status, p.MeetingOn, string(parts), p.ChildViews, p.CaregiverViews, p.Notes,
		p.CreatedBy, ms(p.CreatedAt), nullMS(p.SubmittedAt), nullStr(p.DecidedBy), nullMS(p.DecidedAt),
		p.ReturnComments, nullMS(p.ActivatedAt))
	if isUnique(err) {
		return &errs.ConflictError{Record: "plan", Version: 0}
	}
	return err
}

// UpdatePlan saves p, read at p.Version, and bumps its version.
func (tx *Tx) UpdatePlan(ctx context.Context, p *plan.Plan) error {
	parts, _ := json.Marshal(p.Participants)
	if p.Participants == nil {
		parts = []byte("[]")
	}
	res, err := tx.exec(ctx, `UPDATE plans SET status = ?, meeting_on = ?, participants = ?, child_views = ?,
		caregiver_views = ?, notes = ?, submitted_at = ?, decided_by = ?, decided_at = ?, return_comments = ?,
		activated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		p.Status, p.MeetingOn, string(parts), p.ChildViews, p.CaregiverViews, p.Notes, nullMS(p.SubmittedAt),
		nullStr(p.DecidedBy), nullMS(p.DecidedAt), p.ReturnComments, nullMS(p.ActivatedAt), p.ID, p.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "plan", Version: p.Version}
	}
	p.Version++
	return nil
}

// ReplacePlanItems replaces the objectives, actions and gaps of p with
// those in p, giving them IDs. An action's ObjectiveID of "#n" names the
// n-th objective of p.
func (tx *Tx) ReplacePlanItems(ctx context.Context, p *plan.Plan) error {
	for _, t := range []string{"plan_actions", "objectives", "service_gaps"} {
		if _, err := tx.exec(ctx, "DELETE FROM "+t+" WHERE plan_id = ?", p.ID); err != nil {
			return err
		}
	}
	for i := range p.Objectives {
		o := &p.Objectives[i]
		o.ID, o.PlanID, o.CaseID, o.Position = NewID(), p.ID, p.CaseID, i+1
		if _, err := tx.exec(ctx, `INSERT INTO objectives (id, plan_id, case_id, need_id, description, measure, due_on,
			status, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, o.PlanID, o.CaseID, nullStr(o.NeedID),
			o.Description, o.Measure, o.DueOn, o.Status, o.Position); err != nil {
			return err
		}
	}
	for i := range p.Actions {
		a := &p.Actions[i]
		if n, ok := strings.CutPrefix(a.ObjectiveID, "#"); ok {
			k, _ := strconv.Atoi(n)
			a.ObjectiveID = ""
			if k >= 1 && k <= len(p.Objectives) {
				a.ObjectiveID = p.Objectives[k-1].ID
			}
		}
		a.ID, a.PlanID, a.CaseID, a.Position = NewID(), p.ID, p.CaseID, i+1
		if _, err := tx.exec(ctx, `INSERT INTO plan_actions (id, plan_id, case_id, objective_id, what, kind, who, who_name,
			due_on, horizon, status, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.PlanID, a.CaseID,
			nullStr(a.ObjectiveID), a.What, a.Kind, a.Who, a.WhoName, a.DueOn, a.Horizon, a.Status, a.Position); err != nil {
			return err
		}
	}
	for i := range p.Gaps {
		g := &p.Gaps[i]
		g.ID, g.PlanID, g.CaseID = NewID(), p.ID, p.CaseID
		if _, err := tx.exec(ctx, `INSERT INTO service_gaps (id, plan_id, case_id, need_id, description) VALUES (?, ?, ?, ?, ?)`,
			g.ID, g.PlanID, g.CaseID, nullStr(g.NeedID), g.Description); err != nil {
			return err
		}
	}
	return nil
}

// Plans returns every plan of a case, newest first, with its items.
func (tx *Tx) Plans(ctx context.Context, caseID string) ([]plan.Plan, error) {
	rows, err := tx.query(ctx, "SELECT "+planCols+" FROM plans WHERE case_id = ? ORDER BY number DESC", caseID)
	if err != nil {
		return nil, err
	}
	var out []plan.Plan
	idx := map[string]int{}
	for rows.Next() {
		var p plan.Plan
		var parts string
		var created int64
		var submitted, decided, activated sql.NullInt64
		var decidedBy sql.NullString
		if err := rows.Scan(&p.ID, &p.CaseID, &p.Number, &p.Status, &p.MeetingOn, &parts, &p.ChildViews,
			&p.CaregiverViews, &p.Notes, &p.CreatedBy, &created, &submitted, &decidedBy, &decided, &p.ReturnComments,
			&activated, &p.Version); err != nil {
			rows.Close()
			return nil, err
		}
		json.Unmarshal([]byte(parts), &p.Participants)
		p.CreatedAt, p.SubmittedAt, p.DecidedAt, p.ActivatedAt = fromMS(created), fromNullMS(submitted),
			fromNullMS(decided), fromNullMS(activated)
		p.DecidedBy = decidedBy.String
		idx[p.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rows, err = tx.query(ctx, `SELECT id, plan_id, case_id, need_id, description, measure, due_on, status, position
		FROM objectives WHERE case_id = ? ORDER BY position`, caseID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var o plan.Objective
		var need sql.NullString
		if err := rows.Scan(&o.ID, &o.PlanID, &o.CaseID, &need, &o.Description, &o.Measure, &o.DueOn, &o.Status, &o.Position); err != nil {
			rows.Close()
			return nil, err
		}
		o.NeedID = need.String
		if i, ok := idx[o.PlanID]; ok {
			out[i].Objectives = append(out[i].Objectives, o)
		}
	}
	rows.Close()
	rows, err = tx.query(ctx, `SELECT id, plan_id, case_id, objective_id, what, kind, who, who_name, due_on, horizon, status,
		position FROM plan_actions WHERE case_id = ? ORDER BY position`, caseID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var a plan.Action
		var obj sql.NullString
		if err := rows.Scan(&a.ID, &a.PlanID, &a.CaseID, &obj, &a.What, &a.Kind, &a.Who, &a.WhoName, &a.DueOn, &a.Horizon,
			&a.Status, &a.Position); err != nil {
			rows.Close()
			return nil, err
		}
		a.ObjectiveID = obj.String
		if i, ok := idx[a.PlanID]; ok {
			out[i].Actions = append(out[i].Actions, a)
		}
	}
	rows.Close()
	rows, err = tx.query(ctx, `SELECT id, plan_id, case_id, need_id, description FROM service_gaps WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var g plan.Gap
		var need sql.NullString
		if err := rows.Scan(&g.ID, &g.PlanID, &g.CaseID, &need, &g.Description); err != nil {
			return nil, err
		}
		g.NeedID = need.String
		if i, ok := idx[g.PlanID]; ok {
			out[i].Gaps = append(out[i].Gaps, g)
		}
	}
	return out, rows.Err()
}

// SetObjectiveStatus sets the status of objective id of plan planID.
func (tx *Tx) SetObjectiveStatus(ctx context.Context, planID, id, status string) error {
	return tx.execOne(ctx, "objective "+id, "UPDATE objectives SET status = ? WHERE id = ? AND plan_id = ?", status, id, planID)
}

// SetActionStatus sets the status of action id of plan planID.
func (tx *Tx) SetActionStatus(ctx context.Context, planID, id, status string) error {
	return tx.execOne(ctx, "action "+id, "UPDATE plan_actions SET status = ? WHERE id = ? AND plan_id = ?", status, id, planID)
}
