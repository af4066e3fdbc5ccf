package cases_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// markVoid marks case id by a, at the case's current version.
func markVoid(db *store.DB, a access.Actor, id string, in cases.VoidInput) (*cases.Case, error) {
	return run(db, func(tx *store.Tx) (*cases.Case, error) {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return nil, err
		}
		return cases.MarkVoid(ctx, tx, a, id, c.Version, in, now)
	})
}

func unmarkVoid(db *store.DB, a access.Actor, id string) (*cases.Case, error) {
	return run(db, func(tx *store.Tx) (*cases.Case, error) {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return nil, err
		}
		return cases.UnmarkVoid(ctx, tx, a, id, c.Version, now)
	})
}

func dupOf(code string) cases.VoidInput {
	return cases.VoidInput{Reason: cases.ReasonDuplicate, KeptCode: code}
}

// TestMarkVoidWho: the case's team supervisor and the agency's manager mark
// a case, and undo it; its caseworker is refused; anyone who may not see
// the case is answered as for a missing one.
func TestMarkVoidWho(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		tests := []struct {
			name string
			a    access.Actor
			want errs.Kind
		}{
			{"the team's supervisor", fixture.Actor(o.Supervisor), errs.Other},
			{"the agency's manager", fixture.Actor(o.Manager), errs.Other},
			{"the case's caseworker", cw, errs.Forbidden},
			{"another caseworker of the team", fixture.Actor(o.Caseworker2), errs.NotFound},
			{"another team's supervisor", fixture.Actor(o.SupervisorB), errs.NotFound},
			{"another agency's manager", fixture.Actor(o.OtherManager), errs.NotFound},
			{"the data protection officer", fixture.Actor(o.DPOfficer), errs.NotFound},
			{"a service provider", fixture.Actor(o.ServiceProvider), errs.NotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				kept := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
				dup := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
				_, err := markVoid(db, tt.a, dup.ID, dupOf(kept.Code))
				if errs.KindOf(err) != tt.want || (tt.want == errs.Other && err != nil) {
					t.Fatalf("mark: %v, want kind %v", err, tt.want)
				}
				if err != nil {
					return
				}
				// Undo is for the same roles: the caseworker still may not.
				if _, err := unmarkVoid(db, cw, dup.ID); errs.KindOf(err) != errs.Forbidden {
					t.Errorf("the caseworker undoes: %v, want forbidden", err)
				}
				if _, err := unmarkVoid(db, tt.a, dup.ID); err != nil {
					t.Errorf("undo: %v", err)
				}
			})
		}
	})
}

// TestMarkVoidRules: the case kept is another case of the same agency that
// the supervisor may see and that is not void itself; a case is marked
// once; registered in error names no case kept.
func TestMarkVoidRules(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, sup := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor)
		reg := func(a access.Actor) *cases.Case {
			return fixture.Register(t, db, a, fixture.Registration(profile.CP), now)
		}
		dup, kept := reg(cw), reg(cw)
		otherAgency := reg(fixture.Actor(o.OtherCaseworker))
		teamB := reg(fixture.Actor(o.CaseworkerB))
		void := reg(cw)
		if _, err := markVoid(db, sup, void.ID, cases.VoidInput{Reason: cases.ReasonInError}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			in   cases.VoidInput
			want []string
		}{
			{"no reason", cases.VoidInput{KeptCode: kept.Code}, []string{"void_reason=err.choose"}},
			{"an unknown reason", cases.VoidInput{Reason: "boring", KeptCode: kept.Code}, []string{"void_reason=err.choose"}},
			{"a duplicate of nothing", cases.VoidInput{Reason: cases.ReasonDuplicate}, []string{"kept_case_code=err.required"}},
			{"itself", dupOf(dup.Code), []string{"kept_case_code=err.void_self"}},
			{"itself, typed in lower case", dupOf(" " + strings.ToLower(dup.Code)), []string{"kept_case_code=err.void_self"}},
			{"not a code", dupOf("C-7K4Q2M; DROP"), []string{"kept_case_code=err.void_kept"}},
			{"a code no case has", dupOf("C-ZZZZZZZZ"), []string{"kept_case_code=err.void_kept"}},
			{"another agency's case, answered as no case", dupOf(otherAgency.Code), []string{"kept_case_code=err.void_kept"}},
			{"another team's case the supervisor may not see", dupOf(teamB.Code), []string{"kept_case_code=err.void_kept"}},
			{"a void case", dupOf(void.Code), []string{"kept_case_code=err.void_kept_void"}},
			{"registered in error names no case", cases.VoidInput{Reason: cases.ReasonInError, KeptCode: kept.Code},
				[]string{"kept_case_code=err.void_in_error_kept"}},
			{"a note too long", cases.VoidInput{Reason: cases.ReasonInError, Note: strings.Repeat("x", 1001)},
				[]string{"void_note=err.too_long"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := markVoid(db, sup, dup.ID, tt.in)
				if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
					t.Errorf("err %v (-want +got):\n%s", err, diff)
				}
			})
		}
		if c := loadCase(t, db, dup.ID); !c.IsOpen() {
			t.Fatalf("a refused marking changed the case: %s %s", c.Status, c.ClosureReason)
		}
		// The manager sees the whole agency: another team's case may be the one kept.
		if _, err := markVoid(db, fixture.Actor(o.Manager), dup.ID, dupOf(teamB.Code)); err != nil {
			t.Fatalf("the manager marks a duplicate of another team's case: %v", err)
		}
		if _, err := markVoid(db, sup, dup.ID, dupOf(kept.Code)); !cmp.Equal(fieldCodes(err), []string{"void_reason=err.void_already"}) {
			t.Errorf("marked twice: %v", err)
		}
		// A case others are duplicates of is the one kept: it is not marked.
		if _, err := markVoid(db, fixture.Actor(o.Manager), teamB.ID, dupOf(kept.Code)); !cmp.Equal(fieldCodes(err),
			[]string{"void_reason=err.void_has_duplicates"}) {
			t.Errorf("the case kept marked: %v", err)
		}
		// Only a void case is unmarked.
		if _, err := unmarkVoid(db, sup, kept.ID); !cmp.Equal(fieldCodes(err), []string{"void_reason=err.void_not_marked"}) {
			t.Errorf("unmark an open case: %v", err)
		}
		// A stale version is a conflict.
		_, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.MarkVoid(ctx, tx, sup, kept.ID, kept.Version-1, dupOf(teamB.Code), now)
		})
		if errs.KindOf(err) != errs.Conflict {
			t.Errorf("stale version: %v, want a conflict", err)
		}
		// A case closed for another reason is not marked.
		fixture.In(t, db, func(tx *store.Tx) error {
			c, err := tx.Case(ctx, kept.ID)
			if err != nil {
				return err
			}
			c.Status, c.ClosedAt, c.ClosureReason = cases.Closed, now, "death"
			return tx.UpdateCase(ctx, c, nil)
		})
		if _, err := markVoid(db, sup, kept.ID, cases.VoidInput{Reason: cases.ReasonInError}); !cmp.Equal(fieldCodes(err),
			[]string{"void_reason=err.void_closed"}) {
			t.Errorf("mark a closed case: %v", err)
		}
	})
}

// lists is what the lists, tasks and counts show of a team's work.
type lists struct {
	own, team, agency, closed map[string]bool // case IDs
	tasksOwn, tasksTeam       map[string]bool // case IDs with a task
	count, teamOpen           int
}

func listsOf(t *testing.T, db *store.DB, o *fixture.Org) lists {
	t.Helper()
	l := lists{own: map[string]bool{}, team: map[string]bool{}, agency: map[string]bool{}, closed: map[string]bool{},
		tasksOwn: map[string]bool{}, tasksTeam: map[string]bool{}}
	fixture.Read(t, db, func(tx *store.Tx) error {
		for _, x := range []struct {
			f   store.CaseFilter
			out map[string]bool
		}{
			{store.CaseFilter{Scope: access.Own, ID: o.Caseworker.ID}, l.own},
			{store.CaseFilter{Scope: access.Team, ID: o.TeamA.ID}, l.team},
			{store.CaseFilter{Scope: access.Agency, ID: o.Agency.ID}, l.agency},
			{store.CaseFilter{Scope: access.Agency, ID: o.Agency.ID, Status: cases.Closed}, l.closed},
		} {
			rows, err := tx.Caseload(ctx, x.f)
			if err != nil {
				return err
			}
			for _, r := range rows {
				x.out[r.ID] = true
			}
		}
		var err error
		if l.count, err = tx.CountCases(ctx, store.CaseFilter{Scope: access.Agency, ID: o.Agency.ID}, 1000); err != nil {
			return err
		}
		closed, err := tx.CountCases(ctx, store.CaseFilter{Scope: access.Agency, ID: o.Agency.ID, Status: cases.Closed}, 1000)
		if err != nil {
			return err
		}
		if closed != len(l.closed) {
			t.Errorf("closed cases: counted %d, listed %d", closed, len(l.closed))
		}
		for _, x := range []struct {
			scope access.Scope
			id    string
			out   map[string]bool
		}{{access.Own, o.Caseworker.ID, l.tasksOwn}, {access.Team, o.TeamA.ID, l.tasksTeam}} {
			ts, _, err := deadline.Tasks[store.TaskRow](ctx, tx, profile.Default(), x.scope, x.id, now)
			if err != nil {
				return err
			}
			for _, r := range ts {
				x.out[r.CaseID] = true
			}
		}
		load, err := tx.TeamLoad(ctx, o.TeamA.ID, now, deadline.SoonUntil(now))
		if err != nil {
			return err
		}
		for _, w := range load {
			l.teamOpen += w.Open
		}
		return nil
	})
	return l
}

// TestMarkVoidEffects: a duplicate closes with its reason and points to the
// case kept; its tasks are closed, so it leaves the tasks lists, the
// caseloads, the team view and the counts (the closed list too); nothing is
// deleted; one audit event names the case kept by its code and no name.
// Undoing brings it all back.
func TestMarkVoidEffects(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, sup := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor)
		r := fixture.Registration(profile.CP)
		r.Urgent, r.UrgentNeeds = true, "no shelter tonight"
		dup := fixture.Register(t, db, cw, r, now)
		kept := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		before := listsOf(t, db, o)
		for name, in := range map[string]map[string]bool{"own": before.own, "team": before.team, "agency": before.agency,
			"own tasks": before.tasksOwn, "team tasks": before.tasksTeam} {
			if !in[dup.ID] {
				t.Fatalf("before: the case is not in the %s list", name)
			}
		}
		dsBefore := allDeadlines(t, db, dup.ID)
		open := 0
		for _, d := range dsBefore {
			if d.Open() {
				open++
			}
		}
		if open == 0 {
			t.Fatal("before: the case has no open deadline")
		}

		c, err := markVoid(db, sup, dup.ID, cases.VoidInput{Reason: cases.ReasonDuplicate, KeptCode: kept.Code,
			Note: "Amina was registered twice at the gate"})
		if err != nil {
			t.Fatal(err)
		}
		got := loadCase(t, db, dup.ID)
		if got.Status != cases.Closed || got.ClosureReason != cases.ReasonDuplicate || !got.ClosedAt.Equal(now) ||
			got.Step != cases.StepClosure || !got.Void() || got.Version != c.Version || !got.NextDueAt.IsZero() {
			t.Errorf("marked case: status %s reason %s closed %v step %s void %v next due %v", got.Status,
				got.ClosureReason, got.ClosedAt, got.Step, got.Void(), got.NextDueAt)
		}
		if loadCase(t, db, kept.ID).Void() {
			t.Error("the case kept is void")
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			m, err := tx.CaseMarking(ctx, dup.ID)
			if err != nil {
				return err
			}
			if m.KeptID != kept.ID || m.Note != "Amina was registered twice at the gate" {
				t.Errorf("marking %+v, want the case kept %s and the note", m, kept.ID)
			}
			ds, err := tx.DuplicatesOf(ctx, kept.ID)
			if err != nil {
				return err
			}
			if len(ds) != 1 || ds[0].ID != dup.ID {
				t.Errorf("duplicates of the case kept: %v", ds)
			}
			// Nothing deleted: the identity is still there.
			id, err := tx.Identity(ctx, dup.ID)
			if err != nil {
				return err
			}
			if id.GivenName != "Amina" {
				t.Errorf("identity after marking: %+v", id)
			}
			evs, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: dup.ID, Action: "case.mark_duplicate"})
			if err != nil {
				return err
			}
			if len(evs) != 1 {
				t.Fatalf("%d case.mark_duplicate events, want 1", len(evs))
			}
			if e := evs[0]; !strings.Contains(e.Detail, kept.Code) || strings.Contains(e.Detail, "Amina") ||
				e.ActorID != sup.UserID {
				t.Errorf("audit event %+v: want the kept case's code, no name, the supervisor", e)
			}
			return nil
		})
		dsAfter := allDeadlines(t, db, dup.ID)
		if len(dsAfter) != len(dsBefore) {
			t.Errorf("deadlines: %d before, %d after: none is deleted", len(dsBefore), len(dsAfter))
		}
		for _, d := range dsAfter {
			if d.Open() {
				t.Errorf("deadline %s still open", d.Kind)
			}
		}
		after := listsOf(t, db, o)
		for name, in := range map[string]map[string]bool{"own": after.own, "team": after.team, "agency": after.agency,
			"closed": after.closed, "own tasks": after.tasksOwn, "team tasks": after.tasksTeam} {
			if in[dup.ID] {
				t.Errorf("the duplicate is still in the %s list", name)
			}
		}
		if !after.own[kept.ID] {
			t.Error("the case kept left the caseload")
		}
		if after.count != before.count-1 || after.teamOpen != before.teamOpen-1 {
			t.Errorf("counts: agency %d -> %d, team view %d -> %d; want one fewer", before.count, after.count,
				before.teamOpen, after.teamOpen)
		}

		// This is not a duplicate: the case opens again as it was.
		if _, err := unmarkVoid(db, sup, dup.ID); err != nil {
			t.Fatal(err)
		}
		got = loadCase(t, db, dup.ID)
		if !got.IsOpen() || got.ClosureReason != "" || got.Step != dup.Step || got.NextDueAt.IsZero() {
			t.Errorf("undone: status %s reason %q step %s (was %s) next due %v", got.Status, got.ClosureReason,
				got.Step, dup.Step, got.NextDueAt)
		}
		reopened := 0
		for _, d := range allDeadlines(t, db, dup.ID) {
			if d.Open() {
				reopened++
			}
		}
		if reopened != open {
			t.Errorf("undone: %d open deadlines, want %d", reopened, open)
		}
		back := listsOf(t, db, o)
		if !back.own[dup.ID] || !back.tasksOwn[dup.ID] || back.count != before.count {
			t.Errorf("undone: in the caseload %v, in the tasks %v, count %d (want %d)", back.own[dup.ID],
				back.tasksOwn[dup.ID], back.count, before.count)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			m, err := tx.CaseMarking(ctx, dup.ID)
			if err != nil {
				return err
			}
			if m != (cases.Marking{}) {
				t.Errorf("undone: marking %+v", m)
			}
			evs, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: dup.ID, Action: "case.unmark_duplicate"})
			if err != nil {
				return err
			}
			if len(evs) != 1 {
				t.Errorf("%d case.unmark_duplicate events, want 1", len(evs))
			}
			return nil
		})
	})
}

// TestMarkVoidInError: a case registered in error closes with that reason
// and points to no case.
func TestMarkVoidInError(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.GBV), now)
		if _, err := markVoid(db, fixture.Actor(o.Manager), c.ID, cases.VoidInput{Reason: " " + cases.ReasonInError + " "}); err != nil {
			t.Fatal(err)
		}
		got := loadCase(t, db, c.ID)
		if !got.Void() || got.ClosureReason != cases.ReasonInError {
			t.Errorf("status %s reason %s", got.Status, got.ClosureReason)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			m, err := tx.CaseMarking(ctx, c.ID)
			if m.KeptID != "" {
				t.Errorf("registered in error points to %s", m.KeptID)
			}
			evs, _ := tx.AuditEvents(ctx, store.AuditFilter{CaseID: c.ID, Action: "case.mark_duplicate"})
			if len(evs) != 1 || strings.Contains(evs[0].Detail, "kept_case") {
				t.Errorf("events %v", evs)
			}
			return err
		})
	})
}

// FuzzMarkVoid: whatever the form or the API body holds, MarkVoid either
// marks the case or refuses it as invalid input and writes nothing; it
// never fails otherwise, and never marks a case as a duplicate of a case other
// than the one kept.
func FuzzMarkVoid(f *testing.F) {
	db := testdb.Open(f, "sqlite")
	var o *fixture.Org
	fixture.In(f, db, func(tx *store.Tx) (err error) { o, err = fixture.Insert(ctx, tx); return err })
	cw, sup := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor)
	kept := fixture.Register(f, db, cw, fixture.Registration(profile.CP), now)
	for _, s := range []struct{ reason, code, note string }{
		{cases.ReasonDuplicate, kept.Code, ""},
		{cases.ReasonDuplicate, strings.ToLower(kept.Code) + " ", "met twice"},
		{cases.ReasonInError, "", strings.Repeat("é", 600)},
		{cases.ReasonInError, kept.Code, ""},
		{"duplicate\x00", "C-%", "x"},
		{" duplicate ", "c-\u0130", ""},
		{"", "' OR 1=1 --", ""},
	} {
		f.Add(s.reason, s.code, s.note)
	}
	f.Fuzz(func(t *testing.T, reason, code, note string) {
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		_, err := markVoid(db, sup, c.ID, cases.VoidInput{Reason: reason, KeptCode: code, Note: note})
		got := loadCase(t, db, c.ID)
		if err != nil {
			// Text no engine stores alike is refused at the boundary
			// (parseForm, DecodeJSON); behind it the store refuses it as
			// invalid input, and the transaction rolls back.
			if _, ok := errs.AsFields(err); !ok && errs.KindOf(err) != errs.Invalid {
				t.Fatalf("refused other than as invalid input: %v", err)
			}
			if !got.IsOpen() || got.Version != c.Version {
				t.Fatalf("a refused marking wrote: %s v%d", got.Status, got.Version)
			}
			return
		}
		var m cases.Marking
		fixture.Read(t, db, func(tx *store.Tx) (err error) { m, err = tx.CaseMarking(ctx, c.ID); return err })
		if !got.Void() || (m.KeptID != "" && m.KeptID != kept.ID) || (got.ClosureReason == cases.ReasonInError) != (m.KeptID == "") {
			t.Fatalf("marked %s %s, kept %q", got.Status, got.ClosureReason, m.KeptID)
		}
	})
}
