package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/share"
)

// InsertConference stores a new conference with its participants and actions.
func (tx *Tx) InsertConference(ctx context.Context, c *conference.Conference) error {
	if c.ID == "" {
		c.ID = NewID()
	}
	if _, err := tx.exec(ctx, `INSERT INTO conferences (id, case_id, reason, scheduled_at, place, sections, basis, summary,
		risks, needs, services, decisions, status, created_by, created_at, held_at, closed_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.CaseID, c.Reason, ms(c.ScheduledAt), c.Place,
		jsonList(share.Names(c.Sections)), c.Basis, c.Summary, c.Risks, c.Needs, c.Services, c.Decisions, c.Status, c.CreatedBy,
		ms(c.CreatedAt), nullMS(c.HeldAt), nullMS(c.ClosedAt), c.Version); err != nil {
		return err
	}
	return tx.conferenceRows(ctx, c)
}

// conferenceRows writes c's participants and actions afresh.
func (tx *Tx) conferenceRows(ctx context.Context, c *conference.Conference) error {
	for _, q := range []string{"DELETE FROM conference_participants WHERE conference_id = ?",
		"DELETE FROM conference_actions WHERE conference_id = ?"} {
		if _, err := tx.exec(ctx, q, c.ID); err != nil {
			return err
		}
	}
	for i := range c.Participants {
		x := &c.Participants[i]
		if x.ID == "" {
			x.ID = NewID()
		}
		if _, err := tx.exec(ctx, `INSERT INTO conference_participants (id, conference_id, user_id, external,
			signed_off_at, position) VALUES (?, ?, ?, ?, ?, ?)`, x.ID, c.ID, x.UserID, x.External,
			nullMS(x.SignedOffAt), i); err != nil {
			return err
		}
	}
	for i := range c.Actions {
		x := &c.Actions[i]
		if x.ID == "" {
			x.ID = NewID()
		}
		if _, err := tx.exec(ctx, `INSERT INTO conference_actions (id, conference_id, description, owner_id, due_on,
			plan_action_id, position) VALUES (?, ?, ?, ?, ?, ?, ?)`, x.ID, c.ID, x.Description, x.OwnerID, x.DueOn,
			nullStr(x.PlanActionID), i); err != nil {
			return err
		}
	}
	return nil
}

// UpdateConference saves a conference if its version is still the stored
// one, and bumps the version.
func (tx *Tx) UpdateConference(ctx context.Context, c *conference.Conference) error {
	res, err := tx.exec(ctx, `UPDATE conferences SET summary = ?, risks = ?, needs = ?, services = ?, decisions = ?,
		status = ?, held_at = ?, closed_at = ?, version = version + 1 WHERE id = ? AND version = ?`, c.Summary, c.Risks,
		c.Needs, c.Services, c.Decisions, c.Status, nullMS(c.HeldAt), nullMS(c.ClosedAt), c.ID, c.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "conference", Version: c.Version}
	}
	c.Version++
	return tx.conferenceRows(ctx, c)
}

const conferenceCols = `f.id, f.case_id, f.reason, f.scheduled_at, f.place, f.sections, f.basis, f.summary, f.risks, f.needs,
	f.services, f.decisions, f.status, f.created_by, f.created_at, f.held_at, f.closed_at, f.version, c.code
	FROM conferences f JOIN cases c ON c.id = f.case_id`

// Conference returns one conference with its participants and actions.
func (tx *Tx) Conference(ctx context.Context, id string) (*conference.Conference, error) {
	c, err := oneByID(ctx, tx, "conference", `SELECT `+conferenceCols+` WHERE f.id = ?`, id, scanConferences)
	if err != nil {
		return nil, err
	}
	prow, err := tx.query(ctx, `SELECT p.id, p.user_id, p.external, p.signed_off_at, u.display_name, a.name
		FROM conference_participants p JOIN users u ON u.id = p.user_id JOIN agencies a ON a.id = u.agency_id
		WHERE p.conference_id = ? ORDER BY p.position`, id)
	if err != nil {
		return nil, err
	}
	defer prow.Close()
	for prow.Next() {
		var x conference.Participant
		var signed sql.NullInt64
		if err := prow.Scan(&x.ID, &x.UserID, &x.External, &signed, &x.Name, &x.AgencyName); err != nil {
			return nil, err
		}
		x.SignedOffAt = fromNullMS(signed)
		c.Participants = append(c.Participants, x)
	}
	if err := prow.Err(); err != nil {
		return nil, err
	}
	arow, err := tx.query(ctx, `SELECT x.id, x.description, x.owner_id, x.due_on, x.plan_action_id, u.display_name
		FROM conference_actions x JOIN users u ON u.id = x.owner_id WHERE x.conference_id = ? ORDER BY x.position`, id)
	if err != nil {
		return nil, err
	}
	defer arow.Close()
	for arow.Next() {
		var x conference.Action
		var plan sql.NullString
		if err := arow.Scan(&x.ID, &x.Description, &x.OwnerID, &x.DueOn, &plan, &x.OwnerName); err != nil {
			return nil, err
		}
		x.PlanActionID = plan.String
		c.Actions = append(c.Actions, x)
	}
	return c, arow.Err()
}

// CaseConferences returns a case's conferences, newest first (without
// participants and actions).
func (tx *Tx) CaseConferences(ctx context.Context, caseID string) ([]conference.Conference, error) {
	rows, err := tx.query(ctx, `SELECT `+conferenceCols+` WHERE f.case_id = ? ORDER BY f.scheduled_at DESC, f.id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	return scanConferences(rows)
}

// ConferencesOf returns the open conferences user takes part in, soonest first.
func (tx *Tx) ConferencesOf(ctx context.Context, user string, limit int) ([]conference.Conference, error) {
	rows, err := tx.query(ctx, `SELECT `+conferenceCols+` JOIN conference_participants p ON p.conference_id = f.id
		WHERE p.user_id = ? AND f.status <> ? ORDER BY f.scheduled_at, f.id LIMIT ?`, user, conference.Closed, limit)
	if err != nil {
		return nil, err
	}
	return scanConferences(rows)
}

func scanConferences(rows storeRows) (out []conference.Conference, err error) {
	defer rows.Close()
	for rows.Next() {
		var c conference.Conference
		var secs string
		var at, created int64
		var held, closed sql.NullInt64
		if err := rows.Scan(&c.ID, &c.CaseID, &c.Reason, &at, &c.Place, &secs, &c.Basis, &c.Summary, &c.Risks, &c.Needs,
			&c.Services, &c.Decisions, &c.Status, &c.CreatedBy, &created, &held, &closed, &c.Version, &c.CaseCode); err != nil {
			return nil, err
		}
		var ss []string
		if err := json.Unmarshal([]byte(secs), &ss); err != nil {
			return nil, fmt.Errorf("conference %s sections: %w", c.ID, err)
		}
		for _, s := range ss {
			c.Sections = append(c.Sections, access.Section(s))
		}
		c.ScheduledAt, c.CreatedAt, c.HeldAt, c.ClosedAt = fromMS(at), fromMS(created), fromNullMS(held), fromNullMS(closed)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CaseConferenceActions returns the action items agreed at a case's held or
// closed conferences, oldest first, with each owner's name and whether the
// owner works in the case's agency.
func (tx *Tx) CaseConferenceActions(ctx context.Context, caseID string) ([]conference.Action, []bool, error) {
	rows, err := tx.query(ctx, `SELECT x.id, x.description, x.owner_id, x.due_on, x.plan_action_id, u.display_name,
		u.agency_id = c.agency_id FROM conference_actions x JOIN conferences f ON f.id = x.conference_id
		JOIN cases c ON c.id = f.case_id JOIN users u ON u.id = x.owner_id
		WHERE f.case_id = ? AND f.status <> ? ORDER BY f.scheduled_at, x.position`, caseID, conference.Scheduled)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []conference.Action
	var internal []bool
	for rows.Next() {
		var x conference.Action
		var plan sql.NullString
		var in bool
		if err := rows.Scan(&x.ID, &x.Description, &x.OwnerID, &x.DueOn, &plan, &x.OwnerName, &in); err != nil {
			return nil, nil, err
		}
		x.PlanActionID = plan.String
		out = append(out, x)
		internal = append(internal, in)
	}
	return out, internal, rows.Err()
}

// CloseOpenConferences closes the case's conferences not yet closed (an
// external transfer ends them) and ends their grants.
func (tx *Tx) CloseOpenConferences(ctx context.Context, caseID string, now time.Time) error {
	if _, err := tx.exec(ctx, `UPDATE conferences SET status = ?, closed_at = ?, version = version + 1
		WHERE case_id = ? AND status <> ?`, conference.Closed, ms(now), caseID, conference.Closed); err != nil {
		return err
	}
	return tx.RevokeCaseGrants(ctx, caseID, access.ViaConference, now)
}
