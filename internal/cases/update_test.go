package cases_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// run runs op in a transaction of db and returns its error (the
// transaction rolls back when op fails).
func run(db *store.DB, op func(tx *store.Tx) (*cases.Case, error)) (*cases.Case, error) {
	var c *cases.Case
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = op(tx)
		return err
	})
	return c, err
}

func byKind(ds []deadline.Deadline, k deadline.Kind) []deadline.Deadline {
	var out []deadline.Deadline
	for _, d := range ds {
		if d.Kind == k {
			out = append(out, d)
		}
	}
	return out
}

func TestChangeRisk(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		cw := fixture.Actor(o.Caseworker)
		r := fixture.Registration(profile.CP)
		r.RiskLevel, r.ReferredOn = profile.High, "2025-03-09"
		c := fixture.Register(t, db, cw, r, now)
		referred := time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC)

		later := now.Add(5 * hour)
		c, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.ChangeRisk(ctx, tx, p, cw, c.ID, 1, profile.Low, "moved in with her aunt", later)
		})
		if err != nil {
			t.Fatal(err)
		}
		if c.RiskLevel != profile.Low || c.Version != 2 {
			t.Errorf("risk %s version %d, want low and 2", c.RiskLevel, c.Version)
		}
		ds := caseDeadlines(t, db, c.ID)
		// The open assessment moves from +24h to +2w from the same anchor;
		// the done registration deadline stays as it was.
		if a := byKind(ds, deadline.Assessment); len(a) != 1 || !a[0].AnchorAt.Equal(now) || !a[0].DueAt.Equal(now.Add(2*week)) {
			t.Errorf("assessment %+v, want due %v", a, now.Add(2*week))
		}
		if g := byKind(ds, deadline.Registration); len(g) != 1 || !g[0].DueAt.Equal(referred.Add(24*hour)) || g[0].Open() {
			t.Errorf("registration %+v, want done and due %v", g, referred.Add(24*hour))
		}
		if got := loadCase(t, db, c.ID).NextDueAt; !got.Equal(now.Add(2 * week)) {
			t.Errorf("NextDueAt = %v, want %v", got, now.Add(2*week))
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			hist, err := tx.RiskHistory(ctx, c.ID)
			want := []cases.RiskChange{
				{CaseID: c.ID, From: profile.High, To: profile.Low, Reason: "moved in with her aunt", ChangedBy: o.Caseworker.ID, ChangedAt: later},
				{CaseID: c.ID, To: profile.High, Reason: "left alone at night", ChangedBy: o.Caseworker.ID, ChangedAt: now},
			}
			if diff := cmp.Diff(want, hist, cmpopts.IgnoreFields(cases.RiskChange{}, "ID")); diff != "" {
				t.Errorf("risk history, newest first (-want +got):\n%s", diff)
			}
			return err
		})

		// No risk: the timeline deadlines go; nothing is due.
		c, err = run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.ChangeRisk(ctx, tx, p, fixture.Actor(o.Supervisor), c.ID, 2, profile.NoRisk, "reunified and safe", later.Add(hour))
		})
		if err != nil {
			t.Fatal(err)
		}
		ds = caseDeadlines(t, db, c.ID)
		if len(ds) != 1 || ds[0].Kind != deadline.Registration {
			t.Errorf("deadlines at no risk: %+v, want only the done registration", ds)
		}
		// Only the age-out task (years away) is still due.
		if got := loadCase(t, db, c.ID).NextDueAt; got.Before(now.AddDate(1, 0, 0)) {
			t.Errorf("NextDueAt = %v, want nothing but the distant age-out task", got)
		}

		// Back to medium: the open deadlines are gone, so nothing reappears.
		for _, tt := range []struct {
			name, level, reason string
			want                []string
		}{
			{"same level", profile.NoRisk, "still safe", []string{"risk_level=err.risk_same"}},
			{"unknown level", "severe", "why not", []string{"risk_level=err.choose"}},
			{"no reason", profile.High, "", []string{"risk_reason=err.risk_reason"}},
		} {
			_, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
				return cases.ChangeRisk(ctx, tx, p, cw, c.ID, 3, tt.level, tt.reason, later)
			})
			if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
				t.Errorf("%s: %v (-want +got):\n%s", tt.name, err, diff)
			}
		}
	})
}

func TestChangeRiskKeepsUrgentDeadline(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		r := fixture.Registration(profile.CP)
		r.Urgent, r.UrgentNeeds, r.RiskLevel = true, "medical care", profile.Medium
		c := fixture.Register(t, db, cw, r, now)
		_, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.ChangeRisk(ctx, tx, profile.Default(), cw, c.ID, 1, profile.High, "threats", now.Add(hour))
		})
		if err != nil {
			t.Fatal(err)
		}
		ds := caseDeadlines(t, db, c.ID)
		if u := byKind(ds, deadline.UrgentResponse); len(u) != 1 || !u[0].DueAt.Equal(now.Add(24*hour)) {
			t.Errorf("urgent deadline %+v moved with the risk level", u)
		}
		if a := byKind(ds, deadline.Assessment); len(a) != 1 || !a[0].DueAt.Equal(now.Add(24*hour)) {
			t.Errorf("assessment %+v, want due %v (high)", a, now.Add(24*hour))
		}
	})
}

func TestSetUrgent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now) // medium: assessment due in a week

		_, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.SetUrgent(ctx, tx, p, cw, c.ID, 1, true, "", now)
		})
		if diff := cmp.Diff([]string{"urgent_needs=err.urgent_needs"}, fieldCodes(err)); diff != "" {
			t.Errorf("urgent without a need: %v", err)
		}

		raised := now.Add(2 * hour)
		c, err = run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.SetUrgent(ctx, tx, p, cw, c.ID, 1, true, "no food for three days", raised)
		})
		if err != nil {
			t.Fatal(err)
		}
		stored := loadCase(t, db, c.ID)
		if !stored.Urgent || stored.Details.UrgentNeeds != "no food for three days" || stored.Version != 2 {
			t.Errorf("case after raising: urgent %v need %q version %d", stored.Urgent, stored.Details.UrgentNeeds, stored.Version)
		}
		u := byKind(caseDeadlines(t, db, c.ID), deadline.UrgentResponse)
		if len(u) != 1 || !u[0].Open() || !u[0].AnchorAt.Equal(raised) || !u[0].DueAt.Equal(raised.Add(24*hour)) ||
			u[0].AssigneeID != o.Caseworker.ID {
			t.Fatalf("urgent deadlines %+v, want one open, due %v", u, raised.Add(24*hour))
		}
		if !stored.NextDueAt.Equal(raised.Add(24 * hour)) {
			t.Errorf("NextDueAt = %v, want the urgent response %v", stored.NextDueAt, raised.Add(24*hour))
		}

		lowered := raised.Add(3 * hour)
		if _, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.SetUrgent(ctx, tx, p, fixture.Actor(o.Supervisor), c.ID, 2, false, "", lowered)
		}); err != nil {
			t.Fatal(err)
		}
		u = byKind(caseDeadlines(t, db, c.ID), deadline.UrgentResponse)
		if len(u) != 1 || !u[0].DoneAt.Equal(lowered) || u[0].DoneBy != o.Supervisor.ID {
			t.Errorf("urgent deadline after lowering %+v, want done at %v by the supervisor", u, lowered)
		}
		stored = loadCase(t, db, c.ID)
		if stored.Urgent || !stored.NextDueAt.Equal(now.Add(week)) {
			t.Errorf("urgent %v next due %v, want not urgent and the assessment %v", stored.Urgent, stored.NextDueAt, now.Add(week))
		}
	})
}

func TestAssign(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), now)

		tests := []struct {
			name string
			by   access.Actor
			to   string
			want []string
			kind errs.Kind
		}{
			{"caseworker", fixture.Actor(o.Caseworker), o.Caseworker2.ID, nil, errs.Forbidden},
			{"supervisor to another team", fixture.Actor(o.Supervisor), o.CaseworkerB.ID, []string{"caseworker_id=err.caseworker_team"}, 0},
			{"to a data protection officer", fixture.Actor(o.Manager), o.DPOfficer.ID, []string{"caseworker_id=err.caseworker"}, 0},
			{"to another agency", fixture.Actor(o.Manager), o.OtherCaseworker.ID, []string{"caseworker_id=err.caseworker"}, 0},
			{"supervisor of another team", fixture.Actor(o.SupervisorB), o.CaseworkerB.ID, nil, errs.NotFound},
		}
		for _, tt := range tests {
			_, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
				return cases.Assign(ctx, tx, tt.by, c.ID, 1, tt.to, now)
			})
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
					t.Errorf("%s: %v", tt.name, err)
				}
			} else if errs.KindOf(err) != tt.kind {
				t.Errorf("%s: %v, want kind %v", tt.name, err, tt.kind)
			}
		}

		at := now.Add(hour)
		c, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.Assign(ctx, tx, fixture.Actor(o.Supervisor), c.ID, 1, o.Caseworker2.ID, at)
		})
		if err != nil {
			t.Fatal(err)
		}
		check := func(worker, team string) {
			t.Helper()
			got := loadCase(t, db, c.ID)
			if got.CaseworkerID != worker || got.TeamID != team {
				t.Errorf("case held by %s in %s, want %s in %s", got.CaseworkerID, got.TeamID, worker, team)
			}
			for _, d := range caseDeadlines(t, db, c.ID) {
				wantWorker, wantTeam := worker, team
				if !d.Open() { // done deadlines stay with whoever did them
					wantWorker, wantTeam = o.Caseworker.ID, o.TeamA.ID
				}
				if d.AssigneeID != wantWorker || d.TeamID != wantTeam {
					t.Errorf("%s deadline (open %v) with %s in %s, want %s in %s", d.Kind, d.Open(), d.AssigneeID, d.TeamID, wantWorker, wantTeam)
				}
			}
		}
		check(o.Caseworker2.ID, o.TeamA.ID)

		// A manager moves it to the other team; its open deadlines follow.
		if _, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.Assign(ctx, tx, fixture.Actor(o.Manager), c.ID, 2, o.CaseworkerB.ID, at)
		}); err != nil {
			t.Fatal(err)
		}
		check(o.CaseworkerB.ID, o.TeamB.ID)
		// The first team's supervisor no longer sees it.
		_, err = run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.Assign(ctx, tx, fixture.Actor(o.Supervisor), c.ID, 3, o.Caseworker.ID, at)
		})
		if !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("old supervisor reassigns: %v, want not found", err)
		}
	})
}

// TestStaleVersion: every edit on a version that is no longer current is
// refused with a ConflictError carrying the case as it is now.
func TestStaleVersion(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		cw, sup := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		// Someone else edits it first: now at version 2.
		if _, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.ChangeRisk(ctx, tx, p, sup, c.ID, 1, profile.High, "new threat", now)
		}); err != nil {
			t.Fatal(err)
		}
		edits := map[string]func(tx *store.Tx) (*cases.Case, error){
			"update registration": func(tx *store.Tx) (*cases.Case, error) {
				return cases.UpdateRegistration(ctx, tx, p, cw, c.ID, 1, fixture.Registration(profile.CP), now)
			},
			"change risk": func(tx *store.Tx) (*cases.Case, error) {
				return cases.ChangeRisk(ctx, tx, p, cw, c.ID, 1, profile.Low, "calmer", now)
			},
			"set urgent": func(tx *store.Tx) (*cases.Case, error) {
				return cases.SetUrgent(ctx, tx, p, cw, c.ID, 1, true, "medical", now)
			},
			"assign": func(tx *store.Tx) (*cases.Case, error) {
				return cases.Assign(ctx, tx, sup, c.ID, 1, o.Caseworker2.ID, now)
			},
		}
		for name, edit := range edits {
			t.Run(name, func(t *testing.T) {
				_, err := run(db, edit)
				var ce *errs.ConflictError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want *errs.ConflictError", err)
				}
				snap, ok := ce.Current.(cases.Snapshot)
				if !ok || ce.Version != 2 || snap.Case.Version != 2 || snap.Case.RiskLevel != profile.High || snap.Identity.GivenName != "Amina" {
					t.Errorf("conflict %+v current %+v, want the case at version 2 with its identity", ce, ce.Current)
				}
				if errs.Status(err) != 409 {
					t.Errorf("Status = %d, want 409", errs.Status(err))
				}
			})
		}
		if got := loadCase(t, db, c.ID); got.Version != 2 || got.RiskLevel != profile.High {
			t.Errorf("case at version %d risk %s after refused edits", got.Version, got.RiskLevel)
		}
	})
}

// TestInvisibleCaseIsNotFound: a case the actor may not see answers exactly
// like a missing one; one they may see but not change is forbidden.
func TestInvisibleCaseIsNotFound(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), now)
		missing := store.NewID()
		ops := map[string]func(tx *store.Tx, a access.Actor, id string) (*cases.Case, error){
			"get": func(tx *store.Tx, a access.Actor, id string) (*cases.Case, error) {
				return cases.Get(ctx, tx, a, access.View, access.Identity, id)
			},
			"update registration": func(tx *store.Tx, a access.Actor, id string) (*cases.Case, error) {
				return cases.UpdateRegistration(ctx, tx, p, a, id, 1, fixture.Registration(profile.CP), now)
			},
			"change risk": func(tx *store.Tx, a access.Actor, id string) (*cases.Case, error) {
				return cases.ChangeRisk(ctx, tx, p, a, id, 1, profile.Low, "calmer", now)
			},
			"set urgent": func(tx *store.Tx, a access.Actor, id string) (*cases.Case, error) {
				return cases.SetUrgent(ctx, tx, p, a, id, 1, true, "medical", now)
			},
			"assign": func(tx *store.Tx, a access.Actor, id string) (*cases.Case, error) {
				return cases.Assign(ctx, tx, a, id, 1, o.Caseworker2.ID, now)
			},
		}
		outsiders := map[string]*struct{ a access.Actor }{
			"caseworker of another team": {fixture.Actor(o.CaseworkerB)},
			"colleague in the same team": {fixture.Actor(o.Caseworker2)},
			"supervisor of another team": {fixture.Actor(o.SupervisorB)},
			"another agency's manager":   {fixture.Actor(o.OtherManager)},
			"system administrator":       {fixture.Actor(o.SystemAdmin)},
			"agency administrator":       {fixture.Actor(o.AgencyAdmin)},
			"data protection officer":    {fixture.Actor(o.DPOfficer)},
			"service provider":           {fixture.Actor(o.ServiceProvider)},
			"community volunteer":        {fixture.Actor(o.Volunteer)},
		}
		for opName, op := range ops {
			for who, x := range outsiders {
				t.Run(opName+"/"+who, func(t *testing.T) {
					_, errCase := run(db, func(tx *store.Tx) (*cases.Case, error) { return op(tx, x.a, c.ID) })
					_, errMissing := run(db, func(tx *store.Tx) (*cases.Case, error) { return op(tx, x.a, missing) })
					if !errors.Is(errCase, errs.ErrNotFound) || !errors.Is(errMissing, errs.ErrNotFound) {
						t.Fatalf("hidden case: %v; missing case: %v; want both not found", errCase, errMissing)
					}
					if errs.Status(errCase) != errs.Status(errMissing) || errs.KindOf(errCase) != errs.KindOf(errMissing) {
						t.Errorf("a hidden case answers %d, a missing one %d", errs.Status(errCase), errs.Status(errMissing))
					}
				})
			}
		}
		// The manager sees the case but does not edit it.
		_, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.ChangeRisk(ctx, tx, p, fixture.Actor(o.Manager), c.ID, 1, profile.Low, "calmer", now)
		})
		if !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("manager edits: %v, want forbidden", err)
		}
		if got := loadCase(t, db, c.ID); got.Version != 1 {
			t.Errorf("case at version %d after refused edits", got.Version)
		}
	})
}

func TestChangedFields(t *testing.T) {
	t.Parallel()
	c := &cases.Case{Type: profile.CP, Sex: "female", Declined: []string{}, Concerns: []string{"neglect"}}
	id := &cases.Identity{GivenName: "Amina"}
	before := cases.FormOf(c, id, "")
	tests := []struct {
		name   string
		change func(r *cases.Registration)
		want   []string
	}{
		{"nothing", func(r *cases.Registration) {}, nil},
		{"an empty list left out", func(r *cases.Registration) { r.Declined = nil }, nil},
		{"a name", func(r *cases.Registration) { r.GivenName = "Amira" }, []string{"given_name"}},
		{"a list", func(r *cases.Registration) { r.Concerns = []string{"neglect", "exploitation"} }, []string{"concerns"}},
		{"declined", func(r *cases.Registration) { r.Declined = []string{"age"}; r.Age = intp(3) }, []string{"age", "declined"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := before
			tt.change(&after)
			if diff := cmp.Diff(tt.want, cases.ChangedFields(before, after)); diff != "" {
				t.Errorf("ChangedFields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpdateRegistration(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		r := fixture.Registration(profile.CP)
		r.Location, r.CareStatus = "Camp 5", cases.Separated
		r.RegisteredOn = c.RegisteredOn // as the edit form, filled by FormOf, sends it
		// Type, risk and urgency change only through their own operations.
		r.Type, r.RiskLevel, r.Urgent = profile.GBV, profile.Low, true
		later := now.Add(day)
		c, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.UpdateRegistration(ctx, tx, p, cw, c.ID, 1, r, later)
		})
		if err != nil {
			t.Fatal(err)
		}
		got := loadCase(t, db, c.ID)
		if got.Type != profile.CP || got.RiskLevel != profile.Medium || got.Urgent || !got.Priority ||
			got.CareStatus != cases.Separated || got.Version != 2 || !got.UpdatedAt.Equal(later) {
			t.Errorf("updated case %+v", got)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			id, err := tx.Identity(ctx, c.ID)
			if err == nil && id.Location != "Camp 5" {
				t.Errorf("location %q, want Camp 5", id.Location)
			}
			ev, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: c.ID, Action: "case.update"})
			if err == nil && (len(ev) != 1 || ev[0].Detail != `{"fields":["care_status","location"]}`) {
				t.Errorf("audit events %+v, want one naming the changed fields only", ev)
			}
			return err
		})
		r.Age = intp(30)
		_, err = run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.UpdateRegistration(ctx, tx, p, cw, c.ID, 2, r, later)
		})
		if diff := cmp.Diff([]string{"age=err.cp_adult"}, fieldCodes(err)); diff != "" {
			t.Errorf("invalid update: %v", err)
		}
	})
}
