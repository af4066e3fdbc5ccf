package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var now = fixture.Now

func TestUpdateCaseConflict(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), now)
		var first, second *cases.Case
		fixture.Read(t, db, func(tx *store.Tx) error {
			var err error
			if first, err = tx.Case(ctx, c.ID); err != nil {
				return err
			}
			second, err = tx.Case(ctx, c.ID)
			return err
		})
		first.RiskLevel = profile.High
		fixture.In(t, db, func(tx *store.Tx) error { return tx.UpdateCase(ctx, first, nil) })
		if first.Version != 2 {
			t.Errorf("version after update = %d, want 2", first.Version)
		}
		second.Sex = "male"
		err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.UpdateCase(ctx, second, &cases.Identity{GivenName: "Overwritten"})
		})
		var ce *errs.ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("stale update: %v, want *errs.ConflictError", err)
		}
		snap, ok := ce.Current.(cases.Snapshot)
		if !ok || ce.Version != 2 || snap.Case.Version != 2 || snap.Case.RiskLevel != profile.High || snap.Case.Sex != "female" ||
			snap.Identity == nil || snap.Identity.GivenName != "Amina" {
			t.Errorf("conflict %+v with current %+v, want the stored case at version 2 and its identity", ce, ce.Current)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			got, err := tx.Case(ctx, c.ID)
			if err != nil {
				return err
			}
			id, err := tx.Identity(ctx, c.ID)
			if got.Sex != "female" || got.Version != 2 || id.GivenName != "Amina" {
				t.Errorf("the stale update wrote: sex %s version %d name %s", got.Sex, got.Version, id.GivenName)
			}
			return err
		})
		// A missing case is not found, not a conflict.
		err = db.Read(ctx, func(tx *store.Tx) error { _, err := tx.Case(ctx, store.NewID()); return err })
		if !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("missing case: %v, want not found", err)
		}
	})
}

func TestUpdateUserConflict(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		stale := *o.Caseworker
		u := *o.Caseworker
		u.DisplayName = "Renamed"
		fixture.In(t, db, func(tx *store.Tx) error { return tx.UpdateUser(ctx, &u) })
		stale.Email = "x@example.org"
		err := db.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, &stale) })
		var ce *errs.ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("stale update: %v, want a conflict", err)
		}
		if cur, ok := ce.Current.(*org.User); !ok || cur.DisplayName != "Renamed" || cur.Version != 2 {
			t.Errorf("conflict current %+v, want the renamed user at version 2", ce.Current)
		}
	})
}

// caseload registers, for the caseworker of team A, cases whose order in a
// caseload is known, and one case in team B. It returns the codes in the
// expected caseload order of team A.
func caseload(t *testing.T, db *store.DB, o *fixture.Org) (want []string, teamB string) {
	t.Helper()
	cw := fixture.Actor(o.Caseworker)
	reg := func(risk string, urgent bool, care string) *cases.Case {
		r := fixture.Registration(profile.CP)
		r.RiskLevel, r.CareStatus = risk, care
		if urgent {
			r.Urgent, r.UrgentNeeds = true, "urgent need"
		}
		return fixture.Register(t, db, cw, r, now)
	}
	a := reg(profile.Medium, false, cases.Accompanied)  // assessment in 1w
	b := reg(profile.High, false, cases.Accompanied)    // assessment in 24h
	c := reg(profile.Low, true, cases.Accompanied)      // urgent response in 24h
	d := reg(profile.Low, false, cases.Separated)       // priority; assessment in 2w
	e := reg(profile.Medium, true, cases.Unaccompanied) // urgent and priority
	f := reg(profile.Low, false, cases.Accompanied)     // assessment in 2w
	g := reg(profile.High, false, cases.Accompanied)    // nothing due once at no risk
	fixture.In(t, db, func(tx *store.Tx) error {
		_, err := cases.ChangeRisk(ctx, tx, profile.Default(), cw, g.ID, 1, profile.NoRisk, "safe now", now)
		return err
	})
	r := fixture.Registration(profile.CP)
	other := fixture.Register(t, db, fixture.Actor(o.CaseworkerB), r, now)
	return []string{e.Code, c.Code, d.Code, b.Code, a.Code, f.Code, g.Code}, other.Code
}

func TestCaseload(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		want, teamB := caseload(t, db, o)
		list := func(f store.CaseFilter) []store.CaseRow {
			t.Helper()
			var rows []store.CaseRow
			fixture.Read(t, db, func(tx *store.Tx) error {
				var err error
				rows, err = tx.Caseload(ctx, f)
				return err
			})
			return rows
		}
		codes := func(rows []store.CaseRow) []string {
			var out []string
			for _, r := range rows {
				out = append(out, r.Code)
			}
			return out
		}
		for _, tt := range []struct {
			name string
			f    store.CaseFilter
			want []string
		}{
			{"own", store.CaseFilter{Scope: access.Own, ID: o.Caseworker.ID}, want},
			{"team", store.CaseFilter{Scope: access.Team, ID: o.TeamA.ID}, want},
			{"other team", store.CaseFilter{Scope: access.Team, ID: o.TeamB.ID}, []string{teamB}},
			{"first page", store.CaseFilter{Scope: access.Own, ID: o.Caseworker.ID, Limit: 3}, want[:3]},
			{"second page", store.CaseFilter{Scope: access.Own, ID: o.Caseworker.ID, Limit: 3, Offset: 3}, want[3:6]},
			{"closed", store.CaseFilter{Scope: access.Own, ID: o.Caseworker.ID, Status: cases.Closed}, nil},
			{"another caseworker", store.CaseFilter{Scope: access.Own, ID: o.Caseworker2.ID}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, codes(list(tt.f))); diff != "" {
					t.Errorf("caseload order (-want +got):\n%s", diff)
				}
			})
		}
		agency := codes(list(store.CaseFilter{Scope: access.Agency, ID: o.Agency.ID}))
		if len(agency) != 8 {
			t.Errorf("agency caseload has %d cases, want 8", len(agency))
		}
		rows := list(store.CaseFilter{Scope: access.Own, ID: o.Caseworker.ID})
		first, last := rows[0], rows[len(rows)-1]
		if !first.Urgent || !first.Priority || first.NextDueKind != deadline.UrgentResponse || !first.NextDueAt.Equal(now.Add(24*time.Hour)) ||
			first.CaseworkerName != o.Caseworker.DisplayName || first.CareStatus != cases.Unaccompanied {
			t.Errorf("first row %+v", first)
		}
		// The no-risk case has no step deadline: only the far-off alert to
		// plan for the child turning adult.
		if last.NextDueKind != deadline.AgeOut || last.NextDueAt.Before(now.AddDate(1, 0, 0)) || last.RiskLevel != profile.NoRisk {
			t.Errorf("last row %+v, want only the age-out alert, years ahead", last)
		}
		err := db.Read(ctx, func(tx *store.Tx) error {
			_, err := tx.Caseload(ctx, store.CaseFilter{Scope: "region", ID: o.Agency.ID})
			return err
		})
		if err == nil {
			t.Error("an unknown scope lists cases")
		}

		for _, tt := range []struct {
			f    store.CaseFilter
			max  int
			want int
		}{
			{store.CaseFilter{Scope: access.Agency, ID: o.Agency.ID}, 1000, 8},
			{store.CaseFilter{Scope: access.Agency, ID: o.Agency.ID}, 5, 5},
			{store.CaseFilter{Scope: access.Own, ID: o.Caseworker.ID}, 7, 7},
			{store.CaseFilter{Scope: access.Team, ID: o.TeamB.ID}, 1000, 1},
			{store.CaseFilter{Scope: access.Team, ID: o.TeamB.ID, Status: cases.Closed}, 1000, 0},
		} {
			fixture.Read(t, db, func(tx *store.Tx) error {
				n, err := tx.CountCases(ctx, tt.f, tt.max)
				if n != tt.want {
					t.Errorf("CountCases(%+v, %d) = %d, want %d", tt.f, tt.max, n, tt.want)
				}
				return err
			})
		}
	})
}

func TestTasksAndTeamLoad(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		caseload(t, db, o)
		horizon := now.Add(profile.Default().TaskHorizon.D())
		tasks := func(scope access.Scope, id string) []store.TaskRow {
			t.Helper()
			var out []store.TaskRow
			fixture.Read(t, db, func(tx *store.Tx) error {
				var err error
				out, err = tx.TasksDueBefore(ctx, scope, id, horizon, 0)
				return err
			})
			return out
		}
		type task struct {
			Kind deadline.Kind
			Due  time.Duration
		}
		summary := func(rows []store.TaskRow) []task {
			var out []task
			for _, r := range rows {
				out = append(out, task{r.Kind, r.DueAt.Sub(now)})
				if r.CaseCode == "" || r.AssigneeName == "" || r.Overdue(now) {
					t.Errorf("task row %+v", r)
				}
			}
			return out
		}
		day, week := 24*time.Hour, 7*24*time.Hour
		// Open deadlines only, earliest first: the done registrations and the
		// no-risk case have none.
		want := []task{
			{deadline.Assessment, day},      // b
			{deadline.UrgentResponse, day},  // c
			{deadline.UrgentResponse, day},  // e
			{deadline.Assessment, week},     // a
			{deadline.Assessment, week},     // e
			{deadline.Assessment, 2 * week}, // c
			{deadline.Assessment, 2 * week}, // d
			{deadline.Assessment, 2 * week}, // f
		}
		got := summary(tasks(access.Own, o.Caseworker.ID))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("own tasks (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, summary(tasks(access.Team, o.TeamA.ID))); diff != "" {
			t.Errorf("team tasks (-want +got):\n%s", diff)
		}
		// Beyond the horizon: the alerts to plan for turning adult, one per child case.
		fixture.Read(t, db, func(tx *store.Tx) error {
			all, err := tx.Tasks(ctx, access.Own, o.Caseworker.ID, 0)
			if err != nil {
				return err
			}
			later := 0
			for _, r := range all[len(want):] {
				if r.Kind != deadline.AgeOut || r.DueAt.Before(horizon) {
					t.Errorf("task beyond the horizon %+v", r)
				}
				later++
			}
			n, err := tx.CountTasksFrom(ctx, access.Own, o.Caseworker.ID, horizon, 100)
			if n != later || later == 0 {
				t.Errorf("CountTasksFrom = %d, want %d (> 0)", n, later)
			}
			if n, _ := tx.CountTasksFrom(ctx, access.Own, o.Caseworker.ID, horizon, 2); n != 2 {
				t.Errorf("CountTasksFrom with max 2 = %d", n)
			}
			return err
		})
		if n := len(tasks(access.Team, o.TeamB.ID)); n != 1 {
			t.Errorf("team B has %d tasks, want 1", n)
		}
		if n := len(tasks(access.Own, o.Caseworker2.ID)); n != 0 {
			t.Errorf("an idle caseworker has %d tasks", n)
		}
		if err := db.Read(ctx, func(tx *store.Tx) error { _, err := tx.Tasks(ctx, access.Agency, o.Agency.ID, 0); return err }); err == nil {
			t.Error("tasks by agency are listed")
		}

		// Two days on: three are overdue, two more are due within the week.
		var load []store.WorkerLoad
		fixture.Read(t, db, func(tx *store.Tx) error {
			var err error
			load, err = tx.TeamLoad(ctx, o.TeamA.ID, now.Add(2*day), now.Add(8*day))
			return err
		})
		wantLoad := []store.WorkerLoad{
			{UserID: o.Caseworker.ID, Name: o.Caseworker.DisplayName, Role: "caseworker", Open: 7, High: 1, Urgent: 2, Priority: 2, Overdue: 3, DueSoon: 2},
			{UserID: o.Caseworker2.ID, Name: o.Caseworker2.DisplayName, Role: "caseworker"},
			{UserID: o.Supervisor.ID, Name: o.Supervisor.DisplayName, Role: "supervisor"},
		}
		if diff := cmp.Diff(wantLoad, load); diff != "" {
			t.Errorf("team load (-want +got):\n%s", diff)
		}
	})
}

// TestTeamLoadFormerMember: a case of the team held by someone who left it
// still shows, under that person's name.
func TestTeamLoadFormerMember(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		fixture.Register(t, db, fixture.Actor(o.Caseworker2), fixture.Registration(profile.CP), now)
		moved := *o.Caseworker2
		moved.TeamID = o.TeamB.ID
		fixture.In(t, db, func(tx *store.Tx) error { return tx.UpdateUser(ctx, &moved) })
		var load []store.WorkerLoad
		fixture.Read(t, db, func(tx *store.Tx) error {
			var err error
			load, err = tx.TeamLoad(ctx, o.TeamA.ID, now, now.Add(time.Hour))
			return err
		})
		var found bool
		for _, w := range load {
			if w.UserID == o.Caseworker2.ID {
				found = true
				if w.Open != 1 || w.Name != o.Caseworker2.DisplayName || w.Role != "caseworker" {
					t.Errorf("former member's line %+v", w)
				}
			}
		}
		if !found || len(load) != 3 {
			t.Errorf("team load %+v, want two members and the former member", load)
		}
	})
}
