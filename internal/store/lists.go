package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/referral"
)

// CaseRow is one line of a caseload list: the pseudonymous code and what
// the next thing to do is, never a name (cases.ListNames adds the names the
// reader may see).
type CaseRow struct {
	ID             string
	Code           string
	Type           string
	AgencyID       string
	TeamID         string
	FollowUpBy     string
	Status         string
	Step           string
	RiskLevel      string
	Urgent         bool
	Priority       bool
	CareStatus     string
	AgeYears       *int
	Sex            string
	RegisteredOn   string
	NextDueAt      time.Time
	NextDueKind    deadline.Kind
	CaseworkerID   string
	CaseworkerName string
}

// Listed returns what cases.ListNames needs of r.
func (r *CaseRow) Listed() cases.Listed {
	return cases.Listed{Ref: access.Case{ID: r.ID, AgencyID: r.AgencyID, TeamID: r.TeamID, CaseworkerID: r.CaseworkerID,
		Closed: r.Status == cases.Closed, FollowUpBy: r.FollowUpBy}, Type: r.Type, Code: r.Code}
}

// CaseFilter selects a caseload.
type CaseFilter struct {
	Scope  access.Scope // own: ID is a user; team: a team; agency: an agency
	ID     string
	Status string // "" means open
	Offset int
	Limit  int
}

// Caseload returns a page of cases in f's scope: urgent first, then
// unaccompanied and separated children, then by the next due date.
func (tx *Tx) Caseload(ctx context.Context, f CaseFilter) ([]CaseRow, error) {
	col, err := scopeColumn(f.Scope)
	if err != nil {
		return nil, err
	}
	if f.Status == "" {
		f.Status = cases.Open
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 25
	}
	rows, err := tx.query(ctx, `SELECT c.id, c.code, c.case_type, c.agency_id, c.team_id, c.follow_up_by, c.status, c.step, c.risk_level, c.urgent, c.priority,
		c.care_status, c.age_years, c.sex, c.registered_on, c.next_due_at, c.caseworker_id, u.display_name,
		(SELECT d.kind FROM deadlines d WHERE d.case_id = c.id AND d.done_at IS NULL ORDER BY d.due_at LIMIT 1)
		FROM cases c JOIN users u ON u.id = c.caseworker_id
		WHERE c.`+col+` = ? AND c.status = ?`+notVoid(f.Status, "c.")+`
		ORDER BY c.urgent DESC, c.priority DESC, c.next_due_at, c.id LIMIT ? OFFSET ?`,
		f.ID, f.Status, f.Limit, f.Offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CaseRow
	for rows.Next() {
		var r CaseRow
		var age sql.NullInt64
		var next int64
		var kind, followUp sql.NullString
		if err := rows.Scan(&r.ID, &r.Code, &r.Type, &r.AgencyID, &r.TeamID, &followUp, &r.Status, &r.Step, &r.RiskLevel, &r.Urgent, &r.Priority,
			&r.CareStatus, &age, &r.Sex, &r.RegisteredOn, &next, &r.CaseworkerID, &r.CaseworkerName, &kind); err != nil {
			return nil, err
		}
		r.AgeYears, r.FollowUpBy = fromNullInt(age), followUp.String
		if next != noDue {
			r.NextDueAt = fromMS(next)
		}
		r.NextDueKind = deadline.Kind(kind.String)
		out = append(out, r)
	}
	return out, rows.Err()
}

// CountCases counts the cases in f's scope, stopping at max (so a count
// over a large agency stays an index range of bounded length).
func (tx *Tx) CountCases(ctx context.Context, f CaseFilter, max int) (int, error) {
	col, err := scopeColumn(f.Scope)
	if err != nil {
		return 0, err
	}
	if f.Status == "" {
		f.Status = cases.Open
	}
	var n int
	err = tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE `+col+` = ? AND status = ?`+
		notVoid(f.Status, "")+` LIMIT ?) x`,
		f.ID, f.Status, max).Scan(&n)
	return n, err
}

// notVoid is the condition that leaves the cases closed as duplicates or
// registered in error (cases.Case.Void) out of a list of cases of status;
// an open case is never void, so the open lists need none.
func notVoid(status, alias string) string {
	if status == cases.Open {
		return ""
	}
	return " AND " + alias + "closure_reason NOT IN " + voidReasons
}

// voidReasons is cases.VoidReasons as an SQL list.
var voidReasons = "('" + strings.Join(cases.VoidReasons, "', '") + "')"

func scopeColumn(s access.Scope) (string, error) {
	switch s {
	case access.Own:
		return "caseworker_id", nil
	case access.Team:
		return "team_id", nil
	case access.Agency:
		return "agency_id", nil
	}
	return "", fmt.Errorf("caseload: unknown scope %q", s)
}

// TaskRow is one open deadline with what its list shows of the case (and
// what cases.ListNames needs to decide on its name).
type TaskRow struct {
	ID           string
	Kind         deadline.Kind
	AnchorAt     time.Time
	DueAt        time.Time
	CaseID       string
	CaseCode     string
	CaseType     string
	AgencyID     string
	TeamID       string
	CaseworkerID string
	CaseStatus   string
	FollowUpBy   string
	RiskLevel    string
	Urgent       bool
	Priority     bool
	AssigneeID   string
	AssigneeName string
}

func dueBefore(t time.Time) int64 {
	if t.IsZero() {
		return noDue
	}
	return ms(t)
}

// Listed returns what cases.ListNames needs of t's case.
func (t *TaskRow) Listed() cases.Listed {
	return cases.Listed{Ref: access.Case{ID: t.CaseID, AgencyID: t.AgencyID, TeamID: t.TeamID, CaseworkerID: t.CaseworkerID,
		Closed: t.CaseStatus == cases.Closed, FollowUpBy: t.FollowUpBy}, Type: t.CaseType, Code: t.CaseCode}
}

// Overdue reports whether t is past due at now.
func (t TaskRow) Overdue(now time.Time) bool { return now.After(t.DueAt) }

// TaskOrder is what deadline.SortTasks orders a task by.
func (t TaskRow) TaskOrder() (urgent, priority bool, due time.Time) {
	return t.Urgent, t.Priority, t.DueAt
}

// Tasks returns the open deadlines of a user (scope own) or a team (scope
// team), earliest due first.
func (tx *Tx) Tasks(ctx context.Context, scope access.Scope, id string, limit int) ([]TaskRow, error) {
	return tx.TasksDueBefore(ctx, scope, id, time.Time{}, limit)
}

// TasksDueBefore is Tasks limited to deadlines due before before (all when
// it is zero): what needs attention now is an index range, not a filter.
func (tx *Tx) TasksDueBefore(ctx context.Context, scope access.Scope, id string, before time.Time, limit int) ([]TaskRow, error) {
	col := "d.assignee_id"
	if scope == access.Team {
		col = "d.team_id"
	} else if scope != access.Own {
		return nil, fmt.Errorf("tasks: unknown scope %q", scope)
	}
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	rows, err := tx.query(ctx, tasksQuery(col), id, dueBefore(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TaskRow
	for rows.Next() {
		var t TaskRow
		var kind string
		var anchor, due int64
		var followUp sql.NullString
		if err := rows.Scan(&t.ID, &kind, &anchor, &due, &t.CaseID, &t.CaseCode, &t.RiskLevel, &t.Urgent,
			&t.Priority, &t.AssigneeID, &t.AssigneeName, &t.CaseType, &t.AgencyID, &t.TeamID, &t.CaseworkerID,
			&t.CaseStatus, &followUp); err != nil {
			return nil, err
		}
		t.Kind, t.AnchorAt, t.DueAt, t.FollowUpBy = deadline.Kind(kind), fromMS(anchor), fromMS(due), followUp.String
		out = append(out, t)
	}
	return out, rows.Err()
}

// tasksQuery is TasksDueBefore's query for the deadlines whose column col
// (d.assignee_id or d.team_id) is its first argument; then the time they
// are due before and the limit.
func tasksQuery(col string) string {
	return `SELECT d.id, d.kind, d.anchor_at, d.due_at, c.id, c.code, c.risk_level, c.urgent,
		c.priority, d.assignee_id, u.display_name, c.case_type, c.agency_id, c.team_id, c.caseworker_id, c.status,
		c.follow_up_by
		FROM deadlines d JOIN cases c ON c.id = d.case_id JOIN users u ON u.id = d.assignee_id
		WHERE ` + col + ` = ? AND d.done_at IS NULL AND d.due_at < ? ORDER BY d.due_at, d.id LIMIT ?`
}

// ListNames returns the given and family names (only those) of the cases
// ids, by case ID, in one query: what cases.ListNames shows in a list once
// it decided the reader may see them.
func (tx *Tx) ListNames(ctx context.Context, ids []string) (map[string]cases.Identity, error) {
	out := map[string]cases.Identity{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.query(ctx, `SELECT case_id, given_name, family_name FROM case_identity WHERE case_id IN (?`+
		strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var i cases.Identity
		if err := rows.Scan(&id, &i.GivenName, &i.FamilyName); err != nil {
			return nil, err
		}
		out[id] = i
	}
	return out, rows.Err()
}

// CountTasksFrom counts the open deadlines of scope id due at or after from
// (at most max): the tasks a horizon leaves out.
func (tx *Tx) CountTasksFrom(ctx context.Context, scope access.Scope, id string, from time.Time, max int) (int, error) {
	col := "assignee_id"
	if scope == access.Team {
		col = "team_id"
	} else if scope != access.Own {
		return 0, fmt.Errorf("tasks: unknown scope %q", scope)
	}
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM deadlines WHERE `+col+` = ? AND done_at IS NULL
		AND due_at >= ? LIMIT ?) t`, id, ms(from), max).Scan(&n)
	return n, err
}

// WorkerLoad is one caseworker's line on the supervisor's team view.
type WorkerLoad struct {
	UserID   string
	Name     string
	Role     org.Role
	Open     int
	High     int
	Urgent   int
	Priority int
	Overdue  int
	DueSoon  int
}

// teamLoadQuery counts the open cases of a team (its arguments: the team
// and the open status) by caseworker, risk and flags: one range of the
// index cases_team_load, which holds every column it reads.
const teamLoadQuery = `SELECT caseworker_id, COUNT(*),
	SUM(CASE WHEN risk_level = 'high' THEN 1 ELSE 0 END),
	SUM(CASE WHEN urgent THEN 1 ELSE 0 END),
	SUM(CASE WHEN priority THEN 1 ELSE 0 END)
	FROM cases WHERE team_id = ? AND status = ? GROUP BY caseworker_id`

// teamDueQuery counts the open deadlines of a team due before a time (its
// arguments: now, the team and that time) by assignee, and those overdue:
// one range of the index deadlines_team_open, which holds every column it
// reads.
const teamDueQuery = `SELECT assignee_id, SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END), COUNT(*)
	FROM deadlines WHERE team_id = ? AND done_at IS NULL AND due_at < ? GROUP BY assignee_id`

// TeamLoad returns, for every member of team, their open cases by risk and
// urgency and their overdue and due-soon deadlines at now.
func (tx *Tx) TeamLoad(ctx context.Context, team string, now, soon time.Time) ([]WorkerLoad, error) {
	rows, err := tx.query(ctx, `SELECT id, display_name, role FROM users
		WHERE team_id = ? AND disabled_at IS NULL ORDER BY display_name`, team)
	if err != nil {
		return nil, err
	}
	var out []WorkerLoad
	idx := map[string]int{}
	for rows.Next() {
		var w WorkerLoad
		if err := rows.Scan(&w.UserID, &w.Name, &w.Role); err != nil {
			rows.Close()
			return nil, err
		}
		idx[w.UserID] = len(out)
		out = append(out, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.query(ctx, teamLoadQuery, team, cases.Open)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var n, high, urgent, prio int
		if err := rows.Scan(&id, &n, &high, &urgent, &prio); err != nil {
			rows.Close()
			return nil, err
		}
		i, ok := idx[id]
		if !ok {
			// A case of the team held by someone who left it: show them too.
			i = len(out)
			idx[id] = i
			out = append(out, WorkerLoad{UserID: id})
		}
		out[i].Open, out[i].High, out[i].Urgent, out[i].Priority = n, high, urgent, prio
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.query(ctx, teamDueQuery, ms(now), team, ms(soon))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var overdue, due int
		if err := rows.Scan(&id, &overdue, &due); err != nil {
			return nil, err
		}
		if i, ok := idx[id]; ok {
			out[i].Overdue, out[i].DueSoon = overdue, due-overdue
		}
	}
	for i := range out {
		if out[i].Name == "" {
			if u, err := tx.User(ctx, out[i].UserID); err == nil {
				out[i].Name, out[i].Role = u.DisplayName, u.Role
			}
		}
	}
	return out, rows.Err()
}

// referralsSentByQuery is ReferralsSentBy's query (arguments: the user
// twice and the limit): the referrals of the cases the user holds
// (cases_caseworker, then referrals_case for each) that the user sent.
const referralsSentByQuery = `SELECT ` + referralCols + ` FROM cases c JOIN referrals r ON r.case_id = c.id
	LEFT JOIN directory_services d ON d.id = r.service_id
	WHERE c.caseworker_id = ? AND r.sent_by = ?
	ORDER BY CASE WHEN ` + openReferral + ` THEN 0 ELSE 1 END, r.sent_at DESC, r.id DESC LIMIT ?`

// ReferralsSentBy returns the referrals user sent for the cases they hold,
// open ones first, then the newest, at most limit.
func (tx *Tx) ReferralsSentBy(ctx context.Context, user string, limit int) ([]referral.Referral, error) {
	rows, err := tx.query(ctx, referralsSentByQuery, user, user, limit)
	if err != nil {
		return nil, err
	}
	return scanReferrals(rows)
}
