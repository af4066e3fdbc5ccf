package cases_test

import (
	"errors"
	"strings"
	"testing"
	"time"

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

// The tests of this file use the helpers of register_test.go and
// update_test.go (ctx, now, day, week, intp, allDeadlines, loadCase,
// fieldCodes, run, byKind).

// stepsTimeline is the profile's duration for risk on timeline tl; it fails
// the test when the level has none.
func stepsTimeline(t *testing.T, tl profile.ByRisk, risk string) time.Duration {
	t.Helper()
	d, ok := tl.For(risk)
	if !ok {
		t.Fatalf("the profile has no timeline for %s", risk)
	}
	return d
}

// openOf returns the open deadlines of kind k of case id.
func openOf(t *testing.T, db *store.DB, id string, k deadline.Kind) []deadline.Deadline {
	t.Helper()
	var out []deadline.Deadline
	for _, d := range byKind(allDeadlines(t, db, id), k) {
		if d.Open() {
			out = append(out, d)
		}
	}
	return out
}

func stepHistory(t *testing.T, db *store.DB, id string) []cases.StepChange {
	t.Helper()
	var out []cases.StepChange
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		out, err = tx.StepHistory(ctx, id)
		return err
	})
	return out
}

// inCase runs fn on case id, read afresh, in a write transaction.
func inCase(t *testing.T, db *store.DB, id string, fn func(tx *store.Tx, c *cases.Case) error) {
	t.Helper()
	fixture.In(t, db, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		return fn(tx, c)
	})
}

// TestStepHelpers covers the step and deadline helpers the lifecycle
// packages build on, on medium-risk cases registered at now, and moving a
// case back a step and the age-out task (one database per engine).
func TestStepHelpers(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		register := func() *cases.Case { return fixture.Register(t, db, cw, fixture.Registration(profile.CP), now) }

		t.Run("SetStep records the move once", func(t *testing.T) {
			c := register()
			before := len(stepHistory(t, db, c.ID))
			at := now.Add(time.Hour)
			inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
				if err := cases.SetStep(ctx, tx, c, cases.StepCasePlan, "assessed on paper", o.Caseworker.ID, at); err != nil {
					return err
				}
				if c.Step != cases.StepCasePlan {
					t.Errorf("step in memory = %s", c.Step)
				}
				// Already there: nothing more is recorded.
				if err := cases.SetStep(ctx, tx, c, cases.StepCasePlan, "again", o.Caseworker.ID, at.Add(time.Hour)); err != nil {
					return err
				}
				return tx.UpdateCase(ctx, c, nil)
			})
			hist := stepHistory(t, db, c.ID)
			if len(hist) != before+1 {
				t.Fatalf("%d step changes, want %d", len(hist), before+1)
			}
			want := cases.StepChange{ID: hist[0].ID, CaseID: c.ID, From: cases.StepAssessment, To: cases.StepCasePlan,
				Reason: "assessed on paper", ChangedBy: o.Caseworker.ID, ChangedAt: at}
			if diff := cmp.Diff(want, hist[0]); diff != "" {
				t.Errorf("newest step change (-want +got):\n%s", diff)
			}
			if got := loadCase(t, db, c.ID).Step; got != cases.StepCasePlan {
				t.Errorf("stored step %s", got)
			}
		})

		t.Run("EnsureDeadline opens one at most", func(t *testing.T) {
			c := register()
			a1, a2 := now.Add(2*time.Hour), now.Add(5*time.Hour)
			inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
				for _, anchor := range []time.Time{a1, a2} {
					if err := cases.EnsureDeadline(ctx, tx, p, c, deadline.CasePlan, anchor, anchor); err != nil {
						return err
					}
				}
				// The registration left the assessment open: no second one.
				return cases.EnsureDeadline(ctx, tx, p, c, deadline.Assessment, a2, a2)
			})
			cp := openOf(t, db, c.ID, deadline.CasePlan)
			if len(cp) != 1 || !cp[0].AnchorAt.Equal(a1) || !cp[0].DueAt.Equal(a1.Add(stepsTimeline(t, p.Timelines.CasePlan, c.RiskLevel))) ||
				cp[0].AssigneeID != o.Caseworker.ID || cp[0].TeamID != o.TeamA.ID || cp[0].AgencyID != o.Agency.ID {
				t.Errorf("case plan deadlines %+v, want one from %v", cp, a1)
			}
			if as := byKind(allDeadlines(t, db, c.ID), deadline.Assessment); len(as) != 1 || !as[0].AnchorAt.Equal(now) {
				t.Errorf("assessment deadlines %+v, want the registration's only", as)
			}
			// A level without that timeline opens nothing.
			inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
				c.RiskLevel = profile.NoRisk // in memory only
				return cases.EnsureDeadline(ctx, tx, p, c, deadline.FollowUp, a2, a2)
			})
			if fu := byKind(allDeadlines(t, db, c.ID), deadline.FollowUp); len(fu) != 0 {
				t.Errorf("follow-up at no risk: %+v", fu)
			}
		})

		t.Run("CompleteDeadlines", func(t *testing.T) {
			c := register()
			done := now.Add(3 * time.Hour)
			var n1, n2, n3 int
			inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) (err error) {
				for _, s := range []string{o.Supervisor.ID, o.SupervisorB.ID} {
					if err := cases.AddDeadline(ctx, tx, p, c, deadline.PlanApproval, now, s, now); err != nil {
						return err
					}
				}
				if n1, err = cases.CompleteDeadlines(ctx, tx, c, deadline.PlanApproval, o.Supervisor.ID, done); err != nil {
					return err
				}
				if n2, err = cases.CompleteDeadlines(ctx, tx, c, deadline.PlanApproval, o.Supervisor.ID, done.Add(time.Hour)); err != nil {
					return err
				}
				n3, err = cases.CompleteDeadlines(ctx, tx, c, deadline.CasePlan, o.Supervisor.ID, done)
				return err
			})
			if n1 != 2 || n2 != 0 || n3 != 0 {
				t.Errorf("completed %d, then %d, then %d (nothing open); want 2, 0, 0", n1, n2, n3)
			}
			for _, d := range byKind(allDeadlines(t, db, c.ID), deadline.PlanApproval) {
				if !d.DoneAt.Equal(done) || d.DoneBy != o.Supervisor.ID || !d.OnTime() {
					t.Errorf("approval %+v, want done at %v by the supervisor, on time", d, done)
				}
			}
			if as := openOf(t, db, c.ID, deadline.Assessment); len(as) != 1 {
				t.Errorf("another kind was completed: open assessments %+v", as)
			}
		})

		t.Run("RescheduleDeadline moves the open one", func(t *testing.T) {
			c := register()
			a1, a2 := now.Add(24*time.Hour), now.Add(10*24*time.Hour)
			inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
				return cases.RescheduleDeadline(ctx, tx, p, c, deadline.FollowUp, a1, a1)
			})
			first := openOf(t, db, c.ID, deadline.FollowUp)
			if len(first) != 1 || !first[0].AnchorAt.Equal(a1) || !first[0].DueAt.Equal(a1.Add(stepsTimeline(t, p.Timelines.FollowUp, profile.Medium))) ||
				first[0].AssigneeID != o.Caseworker.ID {
				t.Fatalf("follow-up opened %+v", first)
			}
			inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
				return cases.RescheduleDeadline(ctx, tx, p, c, deadline.FollowUp, a2, a2)
			})
			all := byKind(allDeadlines(t, db, c.ID), deadline.FollowUp)
			if len(all) != 1 || !all[0].Open() || !all[0].AnchorAt.Equal(a2) ||
				!all[0].DueAt.Equal(a2.Add(stepsTimeline(t, p.Timelines.FollowUp, profile.Medium))) {
				t.Fatalf("follow-up after rescheduling %+v, want one open, anchored at %v", all, a2)
			}
			// The new anchor is what a risk change recomputes from.
			if _, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
				c := loadCase(t, db, c.ID)
				return cases.ChangeRisk(ctx, tx, p, cw, c.ID, c.Version, profile.High, "threatened again", a2.Add(time.Hour))
			}); err != nil {
				t.Fatal(err)
			}
			if fu := openOf(t, db, c.ID, deadline.FollowUp); len(fu) != 1 ||
				!fu[0].DueAt.Equal(a2.Add(stepsTimeline(t, p.Timelines.FollowUp, profile.High))) {
				t.Errorf("follow-up after the risk rose %+v, want due %v", fu, a2.Add(stepsTimeline(t, p.Timelines.FollowUp, profile.High)))
			}
			// A level without that timeline: the open one goes.
			inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
				c.RiskLevel = profile.NoRisk // in memory only
				return cases.RescheduleDeadline(ctx, tx, p, c, deadline.FollowUp, a2, a2)
			})
			if fu := byKind(allDeadlines(t, db, c.ID), deadline.FollowUp); len(fu) != 0 {
				t.Errorf("follow-up at no risk: %+v", fu)
			}
		})

		t.Run("DueNow", func(t *testing.T) {
			c := register()
			at := now.Add(48 * time.Hour)
			inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
				// None open: one is opened, due at once.
				if err := cases.DueNow(ctx, tx, c, deadline.Review, at); err != nil {
					return err
				}
				// Already due: it stays due when it was.
				return cases.DueNow(ctx, tx, c, deadline.Review, at.Add(time.Hour))
			})
			rv := byKind(allDeadlines(t, db, c.ID), deadline.Review)
			if len(rv) != 1 || !rv[0].DueAt.Equal(at) || !rv[0].AnchorAt.Equal(at) || rv[0].AssigneeID != o.Caseworker.ID {
				t.Fatalf("review %+v, want one due at %v", rv, at)
			}
			// An open one due later becomes due now, anchored now, so that a
			// risk change does not put it off again.
			inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
				return cases.DueNow(ctx, tx, c, deadline.Assessment, at)
			})
			as := openOf(t, db, c.ID, deadline.Assessment)
			if len(as) != 1 || !as[0].DueAt.Equal(at) || !as[0].AnchorAt.Equal(at) {
				t.Errorf("assessment %+v, want due and anchored at %v", as, at)
			}
			if _, err := run(db, func(tx *store.Tx) (*cases.Case, error) {
				c := loadCase(t, db, c.ID)
				return cases.ChangeRisk(ctx, tx, profile.Default(), fixture.Actor(o.Caseworker), c.ID, c.Version, profile.Low,
					"calmer now", at.Add(time.Hour))
			}); err != nil {
				t.Fatal(err)
			}
			for _, k := range []deadline.Kind{deadline.Assessment, deadline.Review} {
				if ds := openOf(t, db, c.ID, k); len(ds) != 1 || !ds[0].DueAt.Equal(at) {
					t.Errorf("%s after a lower risk level %+v, want still due at %v", k, ds, at)
				}
			}
		})
	})
}

// testMoveStep: a case goes back to assessment or case planning by hand,
// with a reason, and that step's deadline is open again.
func testMoveStep(t *testing.T, db *store.DB, o *fixture.Org) {
	p := profile.Default()
	cw := fixture.Actor(o.Caseworker)
	c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
	move := func(a access.Actor, version int, to, reason string, at time.Time) (*cases.Case, error) {
		return run(db, func(tx *store.Tx) (*cases.Case, error) {
			return cases.MoveStep(ctx, tx, p, a, c.ID, version, to, reason, at)
		})
	}

	// At assessment: nothing to go back to.
	for _, tt := range []struct {
		name, to, reason string
		want             []string
	}{
		{"same step", cases.StepAssessment, "again", []string{"step=err.step_same"}},
		{"forward to case planning", cases.StepCasePlan, "skip it", []string{"step=err.choose"}},
		{"implementation", cases.StepImplementation, "why", []string{"step=err.choose"}},
		{"closure", cases.StepClosure, "why", []string{"step=err.choose"}},
		{"registration", cases.StepRegistration, "why", []string{"step=err.choose"}},
		{"no step", "", "why", []string{"step=err.choose"}},
		{"no reason", cases.StepCasePlan, "   ", []string{"step=err.choose", "step_reason=err.required"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := move(cw, c.Version, tt.to, tt.reason, now)
			if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
				t.Errorf("%v (-want +got):\n%s", err, diff)
			}
		})
	}

	// The case is at implementation, its assessment and plan deadlines done.
	inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
		for _, k := range []deadline.Kind{deadline.Assessment, deadline.CasePlan} {
			if _, err := cases.CompleteDeadlines(ctx, tx, c, k, o.Caseworker.ID, now); err != nil {
				return err
			}
		}
		if err := cases.SetStep(ctx, tx, c, cases.StepImplementation, "plan active", o.Caseworker.ID, now); err != nil {
			return err
		}
		return tx.UpdateCase(ctx, c, nil)
	})
	c = loadCase(t, db, c.ID)
	histBefore := len(stepHistory(t, db, c.ID))
	for _, tt := range []struct {
		name, to, reason string
		want             []string
	}{
		{"no reason", cases.StepCasePlan, "", []string{"step_reason=err.required"}},
		{"reason too long", cases.StepCasePlan, strings.Repeat("x", 4001), []string{"step_reason=err.required"}},
		{"same step", cases.StepImplementation, "why", []string{"step=err.choose"}},
		{"unknown step", "planning", "why", []string{"step=err.choose"}},
	} {
		t.Run("at implementation: "+tt.name, func(t *testing.T) {
			_, err := move(cw, c.Version, tt.to, tt.reason, now)
			if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
				t.Errorf("%v (-want +got):\n%s", err, diff)
			}
		})
	}
	var ce *errs.ConflictError
	if _, err := move(cw, c.Version-1, cases.StepCasePlan, "stale", now); !errors.As(err, &ce) {
		t.Errorf("stale version: %v, want a conflict", err)
	}
	for _, tt := range []struct {
		name string
		a    access.Actor
		kind errs.Kind
	}{
		{"manager", fixture.Actor(o.Manager), errs.Forbidden},
		{"another caseworker of the team", fixture.Actor(o.Caseworker2), errs.NotFound},
		{"another agency's supervisor", fixture.Actor(o.OtherSupervisor), errs.NotFound},
	} {
		var de *errs.DeniedError
		if _, err := move(tt.a, c.Version, cases.StepCasePlan, "why", now); !errors.As(err, &de) || errs.KindOf(err) != tt.kind {
			t.Errorf("%s: %v, want denied (%v)", tt.name, err, tt.kind)
		}
	}
	if n := len(stepHistory(t, db, c.ID)); n != histBefore {
		t.Errorf("refused moves wrote %d step changes", n-histBefore)
	}
	if got := loadCase(t, db, c.ID); got.Version != c.Version || got.Step != cases.StepImplementation {
		t.Errorf("refused moves changed the case: version %d step %s", got.Version, got.Step)
	}

	// Back to case planning: recorded with its reason, the plan deadline open again.
	at := now.Add(20 * day)
	got, err := move(cw, c.Version, cases.StepCasePlan, "  the family moved; the plan no longer fits ", at)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != cases.StepCasePlan || got.Version != c.Version+1 {
		t.Errorf("after the move: step %s version %d", got.Step, got.Version)
	}
	hist := stepHistory(t, db, c.ID)
	if want := (cases.StepChange{ID: hist[0].ID, CaseID: c.ID, From: cases.StepImplementation, To: cases.StepCasePlan,
		Reason: "the family moved; the plan no longer fits", ChangedBy: o.Caseworker.ID, ChangedAt: at}); !cmp.Equal(want, hist[0]) {
		t.Errorf("step change %+v, want %+v", hist[0], want)
	}
	cp := openOf(t, db, c.ID, deadline.CasePlan)
	if len(cp) != 1 || !cp[0].AnchorAt.Equal(at) || !cp[0].DueAt.Equal(at.Add(stepsTimeline(t, p.Timelines.CasePlan, c.RiskLevel))) {
		t.Errorf("case plan deadline %+v, want one from %v", cp, at)
	}
	if got := loadCase(t, db, c.ID).NextDueAt; !got.Equal(cp[0].DueAt) {
		t.Errorf("next due %v, want the case plan's %v", got, cp[0].DueAt)
	}

	// And on back to assessment, by the supervisor.
	at2 := at.Add(time.Hour)
	if _, err := move(fixture.Actor(o.Supervisor), got.Version, cases.StepAssessment, "new abuse disclosed", at2); err != nil {
		t.Fatal(err)
	}
	as := openOf(t, db, c.ID, deadline.Assessment)
	if len(as) != 1 || !as[0].AnchorAt.Equal(at2) || !as[0].DueAt.Equal(at2.Add(stepsTimeline(t, p.Timelines.Assessment, c.RiskLevel))) {
		t.Errorf("assessment deadline %+v, want one from %v", as, at2)
	}
	if hist := stepHistory(t, db, c.ID); hist[0].From != cases.StepCasePlan || hist[0].To != cases.StepAssessment ||
		hist[0].ChangedBy != o.Supervisor.ID {
		t.Errorf("step change %+v", hist[0])
	}
	fixture.Read(t, db, func(tx *store.Tx) error {
		evs, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: c.ID, Action: "case.step"})
		if len(evs) != 2 {
			t.Errorf("%d case.step audit events, want 2", len(evs))
		}
		return err
	})
}

// TestAdultOn: the 18th birthday (the profile's adult age) from the date of
// birth, or estimated from the age at registration.
func TestAdultOn(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	p16, err := profile.Parse("adult16.yaml", []byte("adult_age: 16\n"))
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, p.Location())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	c := &cases.Case{AgeYears: intp(10), RegisteredOn: "2025-03-10"}
	for _, tt := range []struct {
		name string
		p    *profile.Profile
		c    *cases.Case
		id   *cases.Identity
		want string // "" for unknown
	}{
		{"from the date of birth", p, c, &cases.Identity{DateOfBirth: "2010-06-15"}, "2028-06-15"},
		{"the profile's adult age", p16, c, &cases.Identity{DateOfBirth: "2010-06-15"}, "2026-06-15"},
		{"estimated from the age at registration", p, c, &cases.Identity{}, "2033-03-10"},
		{"no identity", p, c, nil, "2033-03-10"},
		{"a bad date of birth falls back to the age", p, c, &cases.Identity{DateOfBirth: "15/06/2010"}, "2033-03-10"},
		{"unknown age", p, &cases.Case{RegisteredOn: "2025-03-10"}, &cases.Identity{}, ""},
		{"unknown age and registration day", p, &cases.Case{AgeYears: intp(10)}, nil, ""},
	} {
		got, ok := cases.AdultOn(tt.p, tt.c, tt.id)
		switch {
		case tt.want == "" && ok:
			t.Errorf("%s: %v, want unknown", tt.name, got)
		case tt.want != "" && (!ok || !got.Equal(day(tt.want))):
			t.Errorf("%s: %v %v, want %s", tt.name, got, ok, tt.want)
		}
	}
}

// testSyncAgeOut: the age-out task is due the profile's age_out_alert before
// the adult birthday, follows the date of birth, and goes for an adult, a
// closed case or one whose pathway is decided.
func testSyncAgeOut(t *testing.T, db *store.DB, o *fixture.Org) {
	p := profile.Default()
	alert := p.AgeOutAlert.D()
	cw := fixture.Actor(o.Caseworker)
	c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now) // 10 at registration
	adult := time.Date(2025+p.AdultAge-10, 3, 10, 0, 0, 0, 0, p.Location())
	check := func(what string, adult time.Time) *deadline.Deadline {
		t.Helper()
		ao := byKind(allDeadlines(t, db, c.ID), deadline.AgeOut)
		if len(ao) != 1 || !ao[0].Open() || !ao[0].AnchorAt.Equal(adult) || !ao[0].DueAt.Equal(adult.Add(-alert)) ||
			ao[0].AssigneeID != o.Caseworker.ID {
			t.Fatalf("%s: age-out tasks %+v, want one anchored at %v due %v", what, ao, adult, adult.Add(-alert))
		}
		return &ao[0]
	}
	check("registered", adult)

	sync := func(id *cases.Identity, edit func(c *cases.Case)) {
		t.Helper()
		inCase(t, db, c.ID, func(tx *store.Tx, c *cases.Case) error {
			if edit != nil {
				edit(c)
			}
			return cases.SyncAgeOut(ctx, tx, p, c, id, now)
		})
	}
	// The date of birth becomes known: the task moves to it.
	sync(&cases.Identity{DateOfBirth: "2008-01-20"}, nil)
	moved := check("date of birth known", time.Date(2008+p.AdultAge, 1, 20, 0, 0, 0, 0, p.Location()))
	// Nothing changed: the task stays as it is.
	sync(&cases.Identity{DateOfBirth: "2008-01-20"}, nil)
	if again := check("synced again", moved.AnchorAt); again.ID != moved.ID {
		t.Errorf("an unchanged age replaced the task")
	}
	// Adult already: no task.
	sync(&cases.Identity{DateOfBirth: "2000-01-01"}, nil)
	if ao := byKind(allDeadlines(t, db, c.ID), deadline.AgeOut); len(ao) != 0 {
		t.Errorf("an adult has age-out tasks %+v", ao)
	}
	// A child again (the date was a mistake): the task is back.
	sync(nil, nil)
	check("date of birth removed", adult)
	// The pathway decided, or the case closed: the task goes.
	sync(nil, func(c *cases.Case) { c.AgeOutPathway = "adult_services" })
	if ao := byKind(allDeadlines(t, db, c.ID), deadline.AgeOut); len(ao) != 0 {
		t.Errorf("age-out tasks once the pathway is decided %+v", ao)
	}
	sync(nil, nil)
	check("pathway undecided", adult)
	sync(nil, func(c *cases.Case) { c.Status = cases.Closed })
	if ao := byKind(allDeadlines(t, db, c.ID), deadline.AgeOut); len(ao) != 0 {
		t.Errorf("age-out tasks on a closed case %+v", ao)
	}
	// Age unknown: no task.
	sync(nil, nil)
	sync(&cases.Identity{}, func(c *cases.Case) { c.AgeYears = nil })
	if ao := byKind(allDeadlines(t, db, c.ID), deadline.AgeOut); len(ao) != 0 {
		t.Errorf("age-out tasks with the age unknown %+v", ao)
	}

	// A 17-year-old: the alert is already due; a GBV survivor of 25 has none.
	r := fixture.Registration(profile.CP)
	r.Age, r.DateOfBirth = nil, "2007-08-01"
	c17 := fixture.Register(t, db, cw, r, now)
	ao := openOf(t, db, c17.ID, deadline.AgeOut)
	if want := time.Date(2007+p.AdultAge, 8, 1, 0, 0, 0, 0, p.Location()); len(ao) != 1 || !ao[0].AnchorAt.Equal(want) ||
		!ao[0].DueAt.Equal(want.Add(-alert)) || !ao[0].Overdue(now) {
		t.Errorf("17-year-old: age-out %+v, want overdue, anchored at %v", ao, want)
	}
	adultCase := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), now)
	if ao := byKind(allDeadlines(t, db, adultCase.ID), deadline.AgeOut); len(ao) != 0 {
		t.Errorf("adult survivor: age-out tasks %+v", ao)
	}
}
