package consent_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	ctx = context.Background()
	now = fixture.Now
)

func fieldCodes(err error) []string {
	fe, _ := errs.AsFields(err)
	var out []string
	for _, f := range fe {
		out = append(out, f.Field+"="+f.Msg)
	}
	sort.Strings(out)
	return out
}

func given(scope, giver, kind string) consent.Input {
	return consent.Input{Scope: scope, Giver: giver, Kind: kind, Decision: consent.Given, Method: "written"}
}

func add(db *store.DB, a access.Actor, caseID string, in consent.Input) (*consent.Record, error) {
	var r *consent.Record
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		r, err = consent.Add(ctx, tx, profile.Default(), a, caseID, in, now)
		return err
	})
	return r, err
}

func mustAdd(t *testing.T, db *store.DB, a access.Actor, caseID string, in consent.Input) *consent.Record {
	t.Helper()
	r, err := add(db, a, caseID, in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func gateErr(t *testing.T, db *store.DB, c *cases.Case, at time.Time) error {
	t.Helper()
	var err error
	fixture.Read(t, db, func(tx *store.Tx) error {
		err = consent.Gate(ctx, tx, profile.Default(), c, at)
		return nil
	})
	return err
}

func insertPerson(t *testing.T, db *store.DB, caseID string, perpetrator bool) *cases.Person {
	t.Helper()
	x := &cases.Person{CaseID: caseID, Relationship: "father", IsCaregiver: true, AllegedPerpetrator: perpetrator,
		Alive: "alive", CreatedBy: store.NewID(), CreatedAt: now, UpdatedAt: now, Version: 1, Name: "A person"}
	fixture.In(t, db, func(tx *store.Tx) error { return tx.InsertPerson(ctx, x) })
	return x
}

func TestAddValidation(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		perp := insertPerson(t, db, c.ID, true)
		other := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		stranger := insertPerson(t, db, other.ID, false)
		tests := []struct {
			name   string
			change func(in *consent.Input)
			want   []string
		}{
			{"unknown scope", func(in *consent.Input) { in.Scope = "everything" }, []string{"scope=err.choose"}},
			{"unknown giver", func(in *consent.Input) { in.Giver = "neighbour" }, []string{"giver=err.choose"}},
			{"unknown kind", func(in *consent.Input) { in.Kind = "nod" }, []string{"kind=err.choose"}},
			{"no decision", func(in *consent.Input) { in.Decision = "" }, []string{"decision=err.choose"}},
			{"unknown method", func(in *consent.Input) { in.Method = "telepathy" }, []string{"method=err.choose"}},
			{"obtained tomorrow", func(in *consent.Input) { in.ObtainedOn = "2025-03-11" }, []string{"obtained_on=err.future"}},
			{"obtained on no date", func(in *consent.Input) { in.ObtainedOn = "yesterday" }, []string{"obtained_on=err.date"}},
			{"notes too long", func(in *consent.Input) { in.Notes = strings.Repeat("n", 4001) }, []string{"notes=err.too_long"}},
			{"from an alleged perpetrator", func(in *consent.Input) { in.PersonID = perp.ID }, []string{"person_id=err.perpetrator_consent"}},
			{"from someone not on the case", func(in *consent.Input) { in.PersonID = stranger.ID }, []string{"person_id=err.choose"}},
			{"the child named as a family member", func(in *consent.Input) { in.Giver, in.PersonID = consent.Self, perp.ID },
				[]string{"person_id=err.perpetrator_consent", "person_id=err.person_self"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := given("collect_store", consent.Caregiver, consent.KindConsent)
				tt.change(&in)
				_, err := add(db, cw, c.ID, in)
				if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
					t.Errorf("err %v (-want +got):\n%s", err, diff)
				}
			})
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			recs, err := tx.Consents(ctx, c.ID)
			if len(recs) != 0 {
				t.Errorf("%d records written by refused calls", len(recs))
			}
			return err
		})
		// Outsiders get what a missing case gets.
		if _, err := add(db, fixture.Actor(o.CaseworkerB), c.ID, given("collect_store", consent.Self, consent.KindAssent)); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("another team's caseworker adds consent: %v, want not found", err)
		}
	})
}

func TestAddWithdrawAndGate(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now) // 10 years old
		mother := insertPerson(t, db, c.ID, false)

		if err := gateErr(t, db, c, now); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
			t.Fatalf("gate with no consent: %v, want consent=err.consent_gate", err)
		}
		mustAdd(t, db, cw, c.ID, given("collect_store", consent.Self, consent.KindAssent))
		if err := gateErr(t, db, c, now); err == nil {
			t.Fatal("gate open with the child's assent alone")
		}
		in := given("collect_store", consent.Caregiver, consent.KindConsent)
		in.PersonID, in.ObtainedOn, in.Notes = mother.ID, "2025-03-09", "  signed form  "
		r := mustAdd(t, db, cw, c.ID, in)
		if err := gateErr(t, db, c, now); err != nil {
			t.Fatalf("gate closed after assent and caregiver consent: %v", err)
		}
		want := &consent.Record{ID: r.ID, CaseID: c.ID, Scope: "collect_store", Giver: consent.Caregiver, PersonID: mother.ID,
			Kind: consent.KindConsent, Decision: consent.Given, Method: "written", ObtainedOn: "2025-03-09",
			ObtainedBy: o.Caseworker.ID, Notes: "signed form", CreatedAt: now, Version: 1}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("record (-want +got):\n%s", diff)
		}

		withdraw := func(a access.Actor, id string, version int, reason string, at time.Time) error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := consent.Withdraw(ctx, tx, a, c.ID, id, version, reason, at)
				return err
			})
		}
		if err := withdraw(cw, r.ID, 1, "  ", now); !cmp.Equal(fieldCodes(err), []string{"withdrawal_reason=err.required"}) {
			t.Errorf("withdraw without a reason: %v", err)
		}
		var ce *errs.ConflictError
		if err := withdraw(cw, r.ID, 7, "changed her mind", now); !errors.As(err, &ce) || ce.Version != 1 {
			t.Errorf("withdraw at a stale version: %v, want a conflict at version 1", err)
		}
		if err := withdraw(cw, store.NewID(), 1, "changed her mind", now); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("withdraw a missing record: %v", err)
		}
		at := now.Add(3 * time.Hour)
		if err := withdraw(cw, r.ID, 1, "changed her mind", at); err != nil {
			t.Fatal(err)
		}
		if err := gateErr(t, db, c, at); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
			t.Errorf("gate after withdrawal: %v, want closed", err)
		}
		if err := withdraw(cw, r.ID, 2, "again", at); !cmp.Equal(fieldCodes(err), []string{"consent=err.not_active"}) {
			t.Errorf("withdraw twice: %v", err)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			ds, err := tx.CaseDeadlines(ctx, c.ID)
			if err != nil {
				return err
			}
			var tasks []deadline.Deadline
			for _, d := range ds {
				if d.Kind == deadline.ConsentWithdrawn {
					tasks = append(tasks, d)
				}
			}
			if len(tasks) != 1 || !tasks[0].Open() || !tasks[0].DueAt.Equal(at.Add(48*time.Hour)) || tasks[0].AssigneeID != o.Caseworker.ID {
				t.Errorf("consent_withdrawn tasks %+v, want one open for the caseworker, due %v", tasks, at.Add(48*time.Hour))
			}
			recs, err := tx.Consents(ctx, c.ID)
			for _, x := range recs {
				if x.ID == r.ID && (!x.WithdrawnAt.Equal(at) || x.WithdrawnBy != o.Caseworker.ID || x.WithdrawalReason != "changed her mind" || x.Version != 2) {
					t.Errorf("withdrawn record %+v", x)
				}
			}
			return err
		})
	})
}

func TestOverride(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), now)
		in := consent.OverrideInput{Scope: "collect_store", Basis: "caregiver_perpetrator", Reason: "the father is the alleged perpetrator"}
		override := func(a access.Actor, in consent.OverrideInput) (*consent.Override, error) {
			var ov *consent.Override
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				ov, err = consent.AddOverride(ctx, tx, p, a, c.ID, in, now)
				return err
			})
			return ov, err
		}
		for _, tt := range []struct {
			who  string
			a    access.Actor
			kind errs.Kind
		}{
			{"caseworker", fixture.Actor(o.Caseworker), errs.Forbidden},
			{"manager", fixture.Actor(o.Manager), errs.Forbidden},
			{"supervisor of another team", fixture.Actor(o.SupervisorB), errs.NotFound},
			{"another agency's supervisor", fixture.Actor(o.OtherSupervisor), errs.NotFound},
		} {
			if _, err := override(tt.a, in); errs.KindOf(err) != tt.kind {
				t.Errorf("%s overrides: %v, want kind %v", tt.who, err, tt.kind)
			}
		}
		for _, tt := range []struct {
			name   string
			change func(in *consent.OverrideInput)
			want   []string
		}{
			{"short reason", func(in *consent.OverrideInput) { in.Reason = " because " }, []string{"reason=err.override_reason"}},
			{"unknown basis", func(in *consent.OverrideInput) { in.Basis = "convenience" }, []string{"basis=err.choose"}},
			{"unknown scope", func(in *consent.OverrideInput) { in.Scope = "all" }, []string{"scope=err.choose"}},
		} {
			x := in
			tt.change(&x)
			if _, err := override(fixture.Actor(o.Supervisor), x); !cmp.Equal(fieldCodes(err), tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			}
		}
		if err := gateErr(t, db, c, now); err == nil {
			t.Fatal("gate open before the override")
		}
		ov, err := override(fixture.Actor(o.Supervisor), in)
		if err != nil {
			t.Fatal(err)
		}
		if ov.ApprovedBy != o.Supervisor.ID || !ov.Active() {
			t.Errorf("override %+v", ov)
		}
		if err := gateErr(t, db, c, now); err != nil {
			t.Errorf("gate closed after a supervisor's override: %v", err)
		}
		if _, err := override(fixture.Actor(o.Supervisor), in); !cmp.Equal(fieldCodes(err), []string{"scope=err.override_exists"}) {
			t.Errorf("a second active override: %v", err)
		}
		revoke := func(a access.Actor, id string) error {
			return db.Tx(ctx, func(tx *store.Tx) error { return consent.RevokeOverride(ctx, tx, a, c.ID, id, now.Add(time.Hour)) })
		}
		if err := revoke(fixture.Actor(o.Caseworker), ov.ID); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("caseworker revokes: %v, want forbidden", err)
		}
		if err := revoke(fixture.Actor(o.Supervisor), ov.ID); err != nil {
			t.Fatal(err)
		}
		if err := gateErr(t, db, c, now.Add(time.Hour)); err == nil {
			t.Error("gate open after the override was revoked")
		}
		if err := revoke(fixture.Actor(o.Supervisor), ov.ID); !cmp.Equal(fieldCodes(err), []string{"override=err.not_active"}) {
			t.Errorf("revoke twice: %v", err)
		}
		if err := revoke(fixture.Actor(o.Supervisor), store.NewID()); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("revoke a missing override: %v", err)
		}
		// A new override after the revoked one is allowed.
		if _, err := override(fixture.Actor(o.Supervisor), in); err != nil {
			t.Errorf("override after revocation: %v", err)
		}
	})
}

func TestExclusions(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), now)
		addEx := func(in consent.ExclusionInput) (*consent.Exclusion, error) {
			var e *consent.Exclusion
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				e, err = consent.AddExclusion(ctx, tx, cw, c.ID, in, now)
				return err
			})
			return e, err
		}
		for _, tt := range []struct {
			name string
			in   consent.ExclusionInput
			want []string
		}{
			{"person without a name", consent.ExclusionInput{Kind: "person", Name: " "}, []string{"name=err.required"}},
			{"unknown agency", consent.ExclusionInput{Kind: "agency", AgencyID: store.NewID()}, []string{"agency_id=err.choose"}},
			{"unknown kind", consent.ExclusionInput{Kind: "village", Name: "X"}, []string{"kind=err.choose"}},
			{"reason too long", consent.ExclusionInput{Kind: "person", Name: "X", Reason: strings.Repeat("r", 4001)}, []string{"reason=err.too_long"}},
		} {
			if _, err := addEx(tt.in); !cmp.Equal(fieldCodes(err), tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			}
		}
		person, err := addEx(consent.ExclusionInput{Kind: "person", Name: " Her husband ", AgencyID: o.OtherAgency.ID, Reason: "danger"})
		if err != nil {
			t.Fatal(err)
		}
		agency, err := addEx(consent.ExclusionInput{Kind: "agency", AgencyID: o.OtherAgency.ID, Name: "ignored"})
		if err != nil {
			t.Fatal(err)
		}
		remove := func(id string) error {
			return db.Tx(ctx, func(tx *store.Tx) error { return consent.RemoveExclusion(ctx, tx, cw, c.ID, id, now.Add(time.Hour)) })
		}
		if err := remove(person.ID); err != nil {
			t.Fatal(err)
		}
		if err := remove(person.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("remove twice: %v, want not found", err)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			ex, err := tx.Exclusions(ctx, c.ID)
			want := []consent.Exclusion{
				{ID: person.ID, CaseID: c.ID, Kind: "person", Name: "Her husband", Reason: "danger", AddedBy: o.Caseworker.ID,
					AddedAt: now, RemovedAt: now.Add(time.Hour), RemovedBy: o.Caseworker.ID},
				{ID: agency.ID, CaseID: c.ID, Kind: "agency", AgencyID: o.OtherAgency.ID, AddedBy: o.Caseworker.ID, AddedAt: now},
			}
			sort.Slice(ex, func(i, j int) bool { return ex[i].Kind > ex[j].Kind })
			if diff := cmp.Diff(want, ex); diff != "" {
				t.Errorf("exclusions (-want +got):\n%s", diff)
			}
			return err
		})
	})
}

func TestLoad(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		r := fixture.Registration(profile.CP)
		r.Age, r.DateOfBirth = nil, "2010-03-11" // 14 today, 15 tomorrow
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), r, now)
		for _, tt := range []struct {
			at      time.Time
			age     int
			bandMin int
		}{
			{now, 14, 12},
			{now.Add(24 * time.Hour), 15, 15}, // crossing an age band
		} {
			fixture.Read(t, db, func(tx *store.Tx) error {
				st, err := consent.Load(ctx, tx, profile.Default(), c, tt.at)
				if err != nil {
					return err
				}
				if st.Age == nil || *st.Age != tt.age || st.Band == nil || st.Band.Min != tt.bandMin {
					t.Errorf("at %v: age %v band %+v, want %d in the band from %d", tt.at, st.Age, st.Band, tt.age, tt.bandMin)
				}
				if len(st.Scopes) != 4 {
					t.Errorf("%d scopes", len(st.Scopes))
				}
				return nil
			})
		}
	})
}
