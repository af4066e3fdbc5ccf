package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
)

// noDue is stored in cases.next_due_at when nothing is due, so that the
// caseload index sorts cases with deadlines first on both engines.
const noDue = int64(1) << 62

const caseCols = `id, code, case_type, agency_id, team_id, caseworker_id, status, step, risk_level, urgent,
	priority, care_status, care_arrangement, sex, age_years, age_estimated, registered_on, registration_place,
	referred_at, registered_at, source, concerns, details, declined, screening_id, next_due_at, created_by,
	created_at, updated_by, updated_at, version, consent_since, age_out_pathway, closed_at, closure_reason, reopened,
	follow_up_by`

func scanCase(sc interface{ Scan(...any) error }) (*cases.Case, error) {
	var c cases.Case
	var age sql.NullInt64
	var screening sql.NullString
	var referred, registered, next, created, updated int64
	var closed sql.NullInt64
	var followUp sql.NullString
	var concerns, details, declined string
	err := sc.Scan(&c.ID, &c.Code, &c.Type, &c.AgencyID, &c.TeamID, &c.CaseworkerID, &c.Status, &c.Step,
		&c.RiskLevel, &c.Urgent, &c.Priority, &c.CareStatus, &c.CareArrangement, &c.Sex, &age, &c.AgeEstimated,
		&c.RegisteredOn, &c.RegistrationPlace, &referred, &registered, &c.Source, &concerns, &details, &declined,
		&screening, &next, &c.CreatedBy, &created, &c.UpdatedBy, &updated, &c.Version, &c.ConsentSince,
		&c.AgeOutPathway, &closed, &c.ClosureReason, &c.Reopened, &followUp)
	if err != nil {
		return nil, err
	}
	c.ClosedAt, c.FollowUpBy = fromNullMS(closed), followUp.String
	c.AgeYears = fromNullInt(age)
	c.ScreeningID = screening.String
	c.ReferredAt, c.RegisteredAt, c.CreatedAt, c.UpdatedAt = fromMS(referred), fromMS(registered), fromMS(created), fromMS(updated)
	if next != noDue {
		c.NextDueAt = fromMS(next)
	}
	if err := json.Unmarshal([]byte(concerns), &c.Concerns); err != nil {
		return nil, fmt.Errorf("case %s concerns: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(details), &c.Details); err != nil {
		return nil, fmt.Errorf("case %s details: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(declined), &c.Declined); err != nil {
		return nil, fmt.Errorf("case %s declined: %w", c.ID, err)
	}
	return &c, nil
}

func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Case returns case id.
func (tx *Tx) Case(ctx context.Context, id string) (*cases.Case, error) {
	if badID(id) {
		return nil, errs.E(errs.NotFound, "case")
	}
	c, err := scanCase(tx.queryRow(ctx, "SELECT "+caseCols+" FROM cases WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "case "+id)
	}
	return c, nil
}

// CaseByCode returns the case with code.
func (tx *Tx) CaseByCode(ctx context.Context, code string) (*cases.Case, error) {
	c, err := scanCase(tx.queryRow(ctx, "SELECT "+caseCols+" FROM cases WHERE code = ?", code))
	if err != nil {
		return nil, notFound(err, "case "+code)
	}
	return c, nil
}

// InsertCase stores a new case and its identity. When the random code is
// already taken it draws another.
// (c.NextDueAt is stored as given: the earliest of the deadlines the caller
// inserts next, or zero for none.)
func (tx *Tx) InsertCase(ctx context.Context, c *cases.Case, id *cases.Identity) error {
	if c.ID == "" {
		c.ID = NewID()
	}
	details, _ := json.Marshal(c.Details)
	next := noDue
	if !c.NextDueAt.IsZero() {
		next = ms(c.NextDueAt)
	}
	for attempt := 0; ; attempt++ {
		res, err := tx.exec(ctx, `INSERT INTO cases (`+caseCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO NOTHING`,
			c.ID, c.Code, c.Type, c.AgencyID, c.TeamID, c.CaseworkerID, c.Status, c.Step, c.RiskLevel, c.Urgent,
			c.Priority, c.CareStatus, c.CareArrangement, c.Sex, nullInt(c.AgeYears), c.AgeEstimated, c.RegisteredOn,
			c.RegistrationPlace, ms(c.ReferredAt), ms(c.RegisteredAt), c.Source, jsonList(c.Concerns), string(details),
			jsonList(c.Declined), nullStr(c.ScreeningID), next, c.CreatedBy, ms(c.CreatedAt), c.UpdatedBy,
			ms(c.UpdatedAt), c.Version, c.ConsentSince, c.AgeOutPathway, nullMS(c.ClosedAt), c.ClosureReason, c.Reopened,
			nullStr(c.FollowUpBy))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			break
		}
		if attempt == 5 {
			return fmt.Errorf("insert case: no free case code after %d attempts", attempt+1)
		}
		c.Code = cases.NewCode("C")
	}
	if err := tx.insertIdentity(ctx, c.ID, id); err != nil {
		return err
	}
	return tx.indexCase(ctx, c.ID)
}

func (tx *Tx) insertIdentity(ctx context.Context, caseID string, id *cases.Identity) error {
	_, err := tx.exec(ctx, `INSERT INTO case_identity (case_id, given_name, family_name, other_names, date_of_birth,
		location, address, contact, registration_number, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		caseID, id.GivenName, id.FamilyName, id.OtherNames, id.DateOfBirth, id.Location, id.Address, id.Contact,
		id.RegistrationNumber, id.Notes)
	return err
}

// UpdateCase saves c, read at c.Version, and bumps its version; with a
// non-nil identity it saves that too. A concurrent edit gives a ConflictError.
func (tx *Tx) UpdateCase(ctx context.Context, c *cases.Case, id *cases.Identity) error {
	details, _ := json.Marshal(c.Details)
	res, err := tx.exec(ctx, `UPDATE cases SET team_id = ?, caseworker_id = ?, status = ?, step = ?, risk_level = ?,
		urgent = ?, priority = ?, care_status = ?, care_arrangement = ?, sex = ?, age_years = ?, age_estimated = ?,
		registered_on = ?, registration_place = ?, source = ?, concerns = ?, details = ?, declined = ?,
		consent_since = ?, age_out_pathway = ?, closed_at = ?, closure_reason = ?, reopened = ?, follow_up_by = ?,
		updated_by = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		c.TeamID, c.CaseworkerID, c.Status, c.Step, c.RiskLevel, c.Urgent, c.Priority, c.CareStatus,
		c.CareArrangement, c.Sex, nullInt(c.AgeYears), c.AgeEstimated, c.RegisteredOn, c.RegistrationPlace,
		c.Source, jsonList(c.Concerns), string(details), jsonList(c.Declined), c.ConsentSince, c.AgeOutPathway,
		nullMS(c.ClosedAt), c.ClosureReason, c.Reopened, nullStr(c.FollowUpBy), c.UpdatedBy, ms(c.UpdatedAt), c.ID, c.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		cur, err := tx.Case(ctx, c.ID)
		if err != nil {
			return err
		}
		curID, err := tx.Identity(ctx, c.ID)
		if err != nil {
			return err
		}
		return &errs.ConflictError{Record: "case", Version: cur.Version, Current: cases.Snapshot{Case: cur, Identity: curID}}
	}
	c.Version++
	if id == nil {
		return tx.moveTokens(ctx, c.ID, c.AgencyID)
	}
	if err := tx.execOne(ctx, "identity of case "+c.ID, `UPDATE case_identity SET given_name = ?, family_name = ?,
		other_names = ?, date_of_birth = ?, location = ?, address = ?, contact = ?, registration_number = ?, notes = ?
		WHERE case_id = ?`, id.GivenName, id.FamilyName, id.OtherNames, id.DateOfBirth, id.Location, id.Address,
		id.Contact, id.RegistrationNumber, id.Notes, c.ID); err != nil {
		return err
	}
	return tx.indexCase(ctx, c.ID)
}

// Identity returns the identifying data of case caseID.
func (tx *Tx) Identity(ctx context.Context, caseID string) (*cases.Identity, error) {
	var id cases.Identity
	err := tx.queryRow(ctx, `SELECT given_name, family_name, other_names, date_of_birth, location, address, contact,
		registration_number, notes FROM case_identity WHERE case_id = ?`, caseID).Scan(&id.GivenName, &id.FamilyName,
		&id.OtherNames, &id.DateOfBirth, &id.Location, &id.Address, &id.Contact, &id.RegistrationNumber, &id.Notes)
	if err != nil {
		return nil, notFound(err, "identity of case "+caseID)
	}
	return &id, nil
}

// InsertRiskChange appends to a case's risk history.
func (tx *Tx) InsertRiskChange(ctx context.Context, r *cases.RiskChange) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO risk_changes (id, case_id, from_level, to_level, reason, changed_by, changed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, r.ID, r.CaseID, r.From, r.To, r.Reason, r.ChangedBy, ms(r.ChangedAt))
	return err
}

// InsertStepChange appends to a case's step history.
func (tx *Tx) InsertStepChange(ctx context.Context, s *cases.StepChange) error {
	if s.ID == "" {
		s.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO step_changes (id, case_id, from_step, to_step, reason, changed_by, changed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.ID, s.CaseID, s.From, s.To, s.Reason, s.ChangedBy, ms(s.ChangedAt))
	return err
}

// StepHistory returns a case's step changes, newest first.
func (tx *Tx) StepHistory(ctx context.Context, caseID string) ([]cases.StepChange, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, from_step, to_step, reason, changed_by, changed_at
		FROM step_changes WHERE case_id = ? ORDER BY changed_at DESC, id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cases.StepChange
	for rows.Next() {
		var s cases.StepChange
		var at int64
		if err := rows.Scan(&s.ID, &s.CaseID, &s.From, &s.To, &s.Reason, &s.ChangedBy, &at); err != nil {
			return nil, err
		}
		s.ChangedAt = fromMS(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// RiskHistory returns a case's risk changes, newest first.
func (tx *Tx) RiskHistory(ctx context.Context, caseID string) ([]cases.RiskChange, error) {
	rows, err := tx.query(ctx, `SELECT id, case_id, from_level, to_level, reason, changed_by, changed_at
		FROM risk_changes WHERE case_id = ? ORDER BY changed_at DESC, id DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cases.RiskChange
	for rows.Next() {
		var r cases.RiskChange
		var at int64
		if err := rows.Scan(&r.ID, &r.CaseID, &r.From, &r.To, &r.Reason, &r.ChangedBy, &at); err != nil {
			return nil, err
		}
		r.ChangedAt = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

const personCols = `p.id, p.case_id, p.relationship, p.is_caregiver, p.alleged_perpetrator, p.alive, p.lives_with_child,
	p.age_years, p.sex, p.created_by, p.created_at, p.updated_at, p.version, i.name, i.contact, i.address, i.notes`

// CasePeople returns the family members and caregivers of a case.
func (tx *Tx) CasePeople(ctx context.Context, caseID string) ([]cases.Person, error) {
	rows, err := tx.query(ctx, `SELECT `+personCols+` FROM case_people p JOIN person_identity i ON i.person_id = p.id
		WHERE p.case_id = ? ORDER BY p.is_caregiver DESC, p.created_at, p.id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cases.Person
	for rows.Next() {
		var x cases.Person
		var age sql.NullInt64
		var created, updated int64
		if err := rows.Scan(&x.ID, &x.CaseID, &x.Relationship, &x.IsCaregiver, &x.AllegedPerpetrator, &x.Alive,
			&x.LivesWithChild, &age, &x.Sex, &x.CreatedBy, &created, &updated, &x.Version, &x.Name, &x.Contact,
			&x.Address, &x.Notes); err != nil {
			return nil, err
		}
		x.AgeYears = fromNullInt(age)
		x.CreatedAt, x.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, x)
	}
	return out, rows.Err()
}

// InsertPerson stores a family member and, apart, their identifying data.
func (tx *Tx) InsertPerson(ctx context.Context, x *cases.Person) error {
	if x.ID == "" {
		x.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO case_people (id, case_id, relationship, is_caregiver, alleged_perpetrator, alive,
		lives_with_child, age_years, sex, created_by, created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`, x.ID, x.CaseID, x.Relationship, x.IsCaregiver,
		x.AllegedPerpetrator, x.Alive, x.LivesWithChild, nullInt(x.AgeYears), x.Sex, x.CreatedBy, ms(x.CreatedAt),
		ms(x.UpdatedAt))
	if err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO person_identity (person_id, name, contact, address, notes) VALUES (?, ?, ?, ?, ?)`,
		x.ID, x.Name, x.Contact, x.Address, x.Notes)
	if err != nil || x.Contact == "" {
		return err
	}
	return tx.indexCase(ctx, x.CaseID)
}

// UpdatePerson saves x, read at x.Version.
func (tx *Tx) UpdatePerson(ctx context.Context, x *cases.Person) error {
	res, err := tx.exec(ctx, `UPDATE case_people SET relationship = ?, is_caregiver = ?, alleged_perpetrator = ?,
		alive = ?, lives_with_child = ?, age_years = ?, sex = ?, updated_at = ?, version = version + 1
		WHERE id = ? AND case_id = ? AND version = ?`, x.Relationship, x.IsCaregiver, x.AllegedPerpetrator, x.Alive,
		x.LivesWithChild, nullInt(x.AgeYears), x.Sex, ms(x.UpdatedAt), x.ID, x.CaseID, x.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "person", Version: x.Version}
	}
	x.Version++
	_, err = tx.exec(ctx, `UPDATE person_identity SET name = ?, contact = ?, address = ?, notes = ? WHERE person_id = ?`,
		x.Name, x.Contact, x.Address, x.Notes, x.ID)
	if err != nil {
		return err
	}
	return tx.indexCase(ctx, x.CaseID)
}

// DeletePerson removes family member id of case caseID.
func (tx *Tx) DeletePerson(ctx context.Context, caseID, id string) error {
	if _, err := tx.exec(ctx, "UPDATE consents SET person_id = NULL WHERE person_id = ? AND case_id = ?", id, caseID); err != nil {
		return err
	}
	if err := tx.execOne(ctx, "person "+id, "DELETE FROM case_people WHERE id = ? AND case_id = ?", id, caseID); err != nil {
		return err
	}
	return tx.indexCase(ctx, caseID)
}

const deadlineCols = `id, case_id, kind, anchor_at, due_at, assignee_id, team_id, agency_id, done_at, done_by, created_at`

func scanDeadline(sc interface{ Scan(...any) error }) (deadline.Deadline, error) {
	var d deadline.Deadline
	var caseID, team, doneBy sql.NullString
	var anchor, due, created int64
	var done sql.NullInt64
	var kind string
	err := sc.Scan(&d.ID, &caseID, &kind, &anchor, &due, &d.AssigneeID, &team, &d.AgencyID, &done, &doneBy, &created)
	d.Kind = deadline.Kind(kind)
	d.CaseID, d.TeamID, d.DoneBy = caseID.String, team.String, doneBy.String
	d.AnchorAt, d.DueAt, d.CreatedAt, d.DoneAt = fromMS(anchor), fromMS(due), fromMS(created), fromNullMS(done)
	return d, err
}

// CaseDeadlines returns every deadline of a case, earliest due first.
func (tx *Tx) CaseDeadlines(ctx context.Context, caseID string) ([]deadline.Deadline, error) {
	rows, err := tx.query(ctx, "SELECT "+deadlineCols+" FROM deadlines WHERE case_id = ? ORDER BY due_at, id", caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deadline.Deadline
	for rows.Next() {
		d, err := scanDeadline(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// InsertDeadline stores a new deadline.
func (tx *Tx) InsertDeadline(ctx context.Context, d *deadline.Deadline) error {
	if d.ID == "" {
		d.ID = NewID()
	}
	_, err := tx.exec(ctx, "INSERT INTO deadlines ("+deadlineCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		d.ID, nullStr(d.CaseID), string(d.Kind), ms(d.AnchorAt), ms(d.DueAt), d.AssigneeID, nullStr(d.TeamID),
		d.AgencyID, nullMS(d.DoneAt), nullStr(d.DoneBy), ms(d.CreatedAt))
	return err
}

// UpdateDeadline saves a deadline's due date, assignee and completion.
func (tx *Tx) UpdateDeadline(ctx context.Context, d *deadline.Deadline) error {
	return tx.execOne(ctx, "deadline "+d.ID, `UPDATE deadlines SET anchor_at = ?, due_at = ?, assignee_id = ?, team_id = ?,
		done_at = ?, done_by = ? WHERE id = ?`, ms(d.AnchorAt), ms(d.DueAt), d.AssigneeID, nullStr(d.TeamID), nullMS(d.DoneAt),
		nullStr(d.DoneBy), d.ID)
}

// DeleteDeadline removes a deadline that no longer applies.
func (tx *Tx) DeleteDeadline(ctx context.Context, id string) error {
	return tx.execOne(ctx, "deadline "+id, "DELETE FROM deadlines WHERE id = ?", id)
}

// RefreshNextDue stores the earliest open deadline of case caseID on the
// case, which the caseload lists sort by.
func (tx *Tx) RefreshNextDue(ctx context.Context, caseID string) error {
	_, err := tx.exec(ctx, `UPDATE cases SET next_due_at = COALESCE(
		(SELECT MIN(due_at) FROM deadlines WHERE case_id = ? AND done_at IS NULL), ?) WHERE id = ?`, caseID, noDue, caseID)
	return err
}
