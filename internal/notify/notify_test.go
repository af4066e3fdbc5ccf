package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	ctx = context.Background()
	now = fixture.Now
)

// TestNotify: Send tells each user once, never the actor; Supervisors tells
// the active supervisors of the team and nobody else.
func TestNotify(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), now)
		// A second supervisor of team A, and a disabled one.
		sup2 := &org.User{AgencyID: o.Agency.ID, TeamID: o.TeamA.ID, Username: "sup2.a", DisplayName: "Second",
			Role: org.Supervisor, PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
		gone := &org.User{AgencyID: o.Agency.ID, TeamID: o.TeamA.ID, Username: "sup.gone", DisplayName: "Gone",
			Role: org.Supervisor, PasswordHash: "x", DisabledAt: now, CreatedAt: now, UpdatedAt: now}
		fixture.In(t, db, func(tx *store.Tx) error {
			if err := tx.InsertUser(ctx, sup2); err != nil {
				return err
			}
			return tx.InsertUser(ctx, gone)
		})
		everyone := []*org.User{o.Caseworker, o.Caseworker2, o.CaseworkerB, o.Supervisor, o.SupervisorB, o.Manager,
			o.ServiceProvider, o.OtherCaseworker, o.OtherSupervisor, sup2, gone}
		// got returns how many notices of the case each user has, for those with any.
		got := func() map[string]int {
			t.Helper()
			out := map[string]int{}
			fixture.Read(t, db, func(tx *store.Tx) error {
				for _, u := range everyone {
					ns, err := tx.Notifications(ctx, u.ID, 100)
					if err != nil {
						return err
					}
					for _, n := range ns {
						if n.CaseID == c.ID {
							out[u.Username]++
						}
					}
				}
				return nil
			})
			return out
		}
		run := func(fn func(tx *store.Tx) error) {
			t.Helper()
			fixture.In(t, db, fn)
		}

		// Send: once per user, the actor and empty IDs skipped.
		at := now.Add(time.Hour)
		run(func(tx *store.Tx) error {
			return notify.Send(ctx, tx, []string{o.Supervisor.ID, o.Caseworker.ID, "", o.Supervisor.ID, o.Caseworker2.ID},
				notify.PlanSubmitted, c.ID, o.Caseworker2.ID, at)
		})
		if diff := cmp.Diff(map[string]int{"sup.a": 1, "cw.a": 1}, got()); diff != "" {
			t.Errorf("after Send (-want +got):\n%s", diff)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			ns, err := tx.Notifications(ctx, o.Supervisor.ID, 10)
			if err != nil {
				return err
			}
			if len(ns) != 1 {
				t.Fatalf("supervisor's notices %+v", ns)
			}
			n := ns[0]
			if n.Kind != notify.PlanSubmitted || n.CaseID != c.ID || n.CaseCode != c.Code || n.ActorID != o.Caseworker2.ID ||
				n.ActorName != o.Caseworker2.DisplayName || !n.CreatedAt.Equal(at) || !n.ReadAt.IsZero() || n.UserID != o.Supervisor.ID {
				t.Errorf("notice %+v", n)
			}
			return nil
		})
		// Nobody to tell: nothing happens.
		run(func(tx *store.Tx) error {
			if err := notify.Send(ctx, tx, nil, notify.Urgent, c.ID, o.Caseworker.ID, at); err != nil {
				return err
			}
			return notify.Send(ctx, tx, []string{o.Caseworker.ID}, notify.Urgent, c.ID, o.Caseworker.ID, at)
		})
		if diff := cmp.Diff(map[string]int{"sup.a": 1, "cw.a": 1}, got()); diff != "" {
			t.Errorf("after sending to nobody but the actor (-want +got):\n%s", diff)
		}

		// Supervisors: the active supervisors of team A only.
		run(func(tx *store.Tx) error {
			return notify.Supervisors(ctx, tx, o.TeamA.ID, notify.MedicalReferral, c.ID, o.Caseworker.ID, at)
		})
		if diff := cmp.Diff(map[string]int{"sup.a": 2, "sup2.a": 1, "cw.a": 1}, got()); diff != "" {
			t.Errorf("after Supervisors (-want +got):\n%s", diff)
		}
		// A supervisor acting is not told of it; the team's other supervisor is.
		run(func(tx *store.Tx) error {
			return notify.Supervisors(ctx, tx, o.TeamA.ID, notify.Reopened, c.ID, o.Supervisor.ID, at)
		})
		if diff := cmp.Diff(map[string]int{"sup.a": 2, "sup2.a": 2, "cw.a": 1}, got()); diff != "" {
			t.Errorf("after a supervisor's act (-want +got):\n%s", diff)
		}
		// Team B's supervisor for team B; a team without supervisors: nobody.
		emptyTeam := &org.Team{AgencyID: o.Agency.ID, Name: "Team C", CreatedAt: now}
		run(func(tx *store.Tx) error {
			if err := tx.InsertTeam(ctx, emptyTeam); err != nil {
				return err
			}
			if err := notify.Supervisors(ctx, tx, emptyTeam.ID, notify.Urgent, c.ID, o.Caseworker.ID, at); err != nil {
				return err
			}
			return notify.Supervisors(ctx, tx, o.TeamB.ID, notify.Urgent, c.ID, o.Caseworker.ID, at)
		})
		if diff := cmp.Diff(map[string]int{"sup.a": 2, "sup2.a": 2, "cw.a": 1, "sup.b": 1}, got()); diff != "" {
			t.Errorf("after other teams (-want +got):\n%s", diff)
		}
	})
}

// TestKinds: every kind is listed once.
func TestKinds(t *testing.T) {
	t.Parallel()
	seen := map[notify.Kind]bool{}
	for _, k := range notify.Kinds {
		if k == "" || seen[k] {
			t.Errorf("kind %q empty or listed twice", k)
		}
		seen[k] = true
	}
	for _, k := range []notify.Kind{notify.PlanSubmitted, notify.MedicalReferral, notify.ClosureProposed, notify.Urgent} {
		if !seen[k] {
			t.Errorf("%s is not in Kinds", k)
		}
	}
}
