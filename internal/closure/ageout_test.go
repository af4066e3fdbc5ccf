package closure_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

func load(t *testing.T, db *store.DB, id string, at time.Time) *closure.State {
	t.Helper()
	var st *closure.State
	fixture.Read(t, db, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		st, err = closure.Load(ctx, tx, prof, c, at)
		return err
	})
	return st
}

func TestAgeOutPathway(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		r := fixture.Registration(profile.CP)
		r.DateOfBirth, r.Age = "2007-08-01", nil // 17: turns 18 on 1 August 2025, inside the alert window
		c := fixture.Register(t, db, cw, r, now)
		adult := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
		st := load(t, db, c.ID, now)
		if st.AgeOutTask == nil || !st.AgeOutDue || !st.AdultOn.Equal(adult) || !st.ShowAgeOut() {
			t.Fatalf("age-out state: task %v due %v adult %v", st.AgeOutTask, st.AgeOutDue, st.AdultOn)
		}
		for name, x := range map[string]struct {
			a    access.Actor
			want errs.Kind
		}{
			"the manager":            {fixture.Actor(o.Manager), errs.Forbidden},
			"a colleague caseworker": {fixture.Actor(o.Caseworker2), errs.NotFound},
		} {
			if _, err := ageOut(db, x.a, c.ID, closure.ReferredAdult, "", now); errs.KindOf(err) != x.want {
				t.Errorf("pathway by %s: %s, want kind %d", name, kindOf(err), x.want)
			}
		}
		if _, err := ageOut(db, cw, c.ID, "closed_at_18", "", now); !cmp.Equal(fieldCodes(err), []string{"pathway=err.choose"}) {
			t.Errorf("an unknown pathway: %v", err)
		}
		if _, err := ageOut(db, cw, c.ID, closure.ReferredAdult, strings.Repeat("n", 4001), now); !cmp.Equal(fieldCodes(err), []string{"pathway_note=err.too_long"}) {
			t.Errorf("a long note: %v", err)
		}
		got, err := ageOut(db, cw, c.ID, closure.ShortTermContinue, "support until the court hearing", now)
		if err != nil {
			t.Fatal(err)
		}
		if got.AgeOutPathway != closure.ShortTermContinue || got.Status != cases.Open {
			t.Errorf("after the pathway: %q, status %s", got.AgeOutPathway, got.Status)
		}
		ds := deadlines(t, db, c.ID)
		if n := len(open(ds, deadline.AgeOut)); n != 0 {
			t.Errorf("%d age-out tasks still open", n)
		}
		done := false
		for _, d := range ds {
			done = done || (d.Kind == deadline.AgeOut && d.DoneBy == o.Caseworker.ID)
		}
		if !done {
			t.Error("the age-out task was not marked done")
		}
		// An edit of the registration does not bring the task back.
		fixture.In(t, db, func(tx *store.Tx) error {
			cur, _ := tx.Case(ctx, c.ID)
			_, err := cases.UpdateRegistration(ctx, tx, prof, cw, c.ID, cur.Version, r, now)
			return err
		})
		if n := len(open(deadlines(t, db, c.ID), deadline.AgeOut)); n != 0 {
			t.Errorf("%d age-out tasks after an edit", n)
		}
		// Past the 18th birthday the case is still open, and the pathway can change.
		later := adult.Add(10 * day)
		got, err = ageOut(db, cw, c.ID, closure.ReferredAdult, "the women's centre takes over", later)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != cases.Open || got.AgeOutPathway != closure.ReferredAdult {
			t.Errorf("after 18: status %s pathway %q", got.Status, got.AgeOutPathway)
		}
		st = load(t, db, c.ID, later)
		if len(st.AgeOuts) != 2 || st.AgeOuts[0].Pathway != closure.ReferredAdult || st.AgeOuts[0].Note != "the women's centre takes over" ||
			st.AgeOuts[1].Pathway != closure.ShortTermContinue || st.AgeOuts[0].RecordedBy != o.Caseworker.ID {
			t.Errorf("decisions %+v", st.AgeOuts)
		}

		// Nothing to decide for a survivor registered as an adult, or a child of unknown age.
		adultCase := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), now)
		if _, err := ageOut(db, cw, adultCase.ID, closure.CommunitySupport, "", now); !cmp.Equal(fieldCodes(err), []string{"pathway=err.age_out_not_due"}) {
			t.Errorf("a survivor registered at 25: %v", err)
		}
		if load(t, db, adultCase.ID, now).ShowAgeOut() {
			t.Error("the closure page of an adult's case offers the age-out pathway")
		}
		unknown := fixture.Registration(profile.CP)
		unknown.Age, unknown.Declined = nil, []string{"age"}
		u := fixture.Register(t, db, cw, unknown, now)
		if _, err := ageOut(db, cw, u.ID, closure.CommunitySupport, "", now); !cmp.Equal(fieldCodes(err), []string{"pathway=err.age_out_not_due"}) {
			t.Errorf("a child of unknown age: %v", err)
		}
	})
}

// TestClosedFileReadOnly proves that nothing in a closed file changes:
// people who may see the section get Forbidden, others NotFound, as if the
// case did not exist. The consent records of a closed case are kept apart:
// only the supervisor (and the data protection officer) see them, so the
// caseworker and the manager get NotFound there.
func TestClosedFileReadOnly(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		c := closed(t, db, o, o.Caseworker2)
		ops := map[string]func(tx *store.Tx, a access.Actor, v int) error{
			"registration edit": func(tx *store.Tx, a access.Actor, v int) error {
				_, err := cases.UpdateRegistration(ctx, tx, prof, a, c.ID, v, fixture.Registration(profile.CP), now)
				return err
			},
			"risk change": func(tx *store.Tx, a access.Actor, v int) error {
				_, err := cases.ChangeRisk(ctx, tx, prof, a, c.ID, v, profile.High, "worse", now)
				return err
			},
			"consent record": func(tx *store.Tx, a access.Actor, v int) error {
				_, err := consentAdd(tx, a, c.ID)
				return err
			},
			"family edit": func(tx *store.Tx, a access.Actor, v int) error {
				_, err := familyAdd(tx, a, c.ID)
				return err
			},
			"assessment": func(tx *store.Tx, a access.Actor, v int) error {
				_, err := assessmentRecord(tx, a, c.ID, v)
				return err
			},
			"plan save": func(tx *store.Tx, a access.Actor, v int) error {
				_, err := planSave(tx, a, c.ID)
				return err
			},
			"closure proposal": func(tx *store.Tx, a access.Actor, v int) error {
				_, err := closure.Propose(ctx, tx, prof, a, c.ID, v, objectivesMet, now)
				return err
			},
			"age-out pathway": func(tx *store.Tx, a access.Actor, v int) error {
				_, err := closure.RecordAgeOut(ctx, tx, prof, a, c.ID, v, closure.ReferredAdult, "", now)
				return err
			},
		}
		f, n := errs.Forbidden, errs.NotFound
		who := []struct {
			name string
			a    access.Actor
			want map[string]errs.Kind // by operation; missing: f
		}{
			{"the caseworker", fixture.Actor(o.Caseworker), map[string]errs.Kind{"consent record": n}},
			{"the supervisor", fixture.Actor(o.Supervisor), nil},
			{"the manager", fixture.Actor(o.Manager), map[string]errs.Kind{"consent record": n}},
			{"the designee", fixture.Actor(o.Caseworker2), map[string]errs.Kind{"consent record": n, "family edit": n,
				"assessment": n, "plan save": n}},
			{"another team's caseworker", fixture.Actor(o.CaseworkerB), map[string]errs.Kind{"registration edit": n,
				"risk change": n, "consent record": n, "family edit": n, "assessment": n, "plan save": n,
				"closure proposal": n, "age-out pathway": n}},
			{"another agency's supervisor", fixture.Actor(o.OtherSupervisor), map[string]errs.Kind{"registration edit": n,
				"risk change": n, "consent record": n, "family edit": n, "assessment": n, "plan save": n,
				"closure proposal": n, "age-out pathway": n}},
		}
		for _, w := range who {
			for op, fn := range ops {
				want, ok := w.want[op]
				if !ok {
					want = f
				}
				err := db.Tx(ctx, func(tx *store.Tx) error { return fn(tx, w.a, c.Version) })
				if errs.KindOf(err) != want {
					t.Errorf("%s by %s on a closed case: %s, want kind %d", op, w.name, kindOf(err), want)
				}
			}
		}
		if got := caseNow(t, db, c.ID); got.Version != c.Version || got.Status != cases.Closed {
			t.Errorf("the closed case changed: version %d -> %d, status %s", c.Version, got.Version, got.Status)
		}
	})
}
