package family_test

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/family"
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

var gateClosed = []string{"consent=err.consent_gate"}

func mother() family.Input {
	return family.Input{Name: " Fatima ", Relationship: "mother", IsCaregiver: true, Alive: "alive", LivesWithChild: true}
}

func addPerson(db *store.DB, a access.Actor, caseID string, in family.Input) (*cases.Person, error) {
	var x *cases.Person
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		x, err = family.Add(ctx, tx, profile.Default(), a, caseID, in, now)
		return err
	})
	return x, err
}

func update(db *store.DB, a access.Actor, caseID, id string, version int, in family.Input) (*cases.Person, error) {
	var x *cases.Person
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		x, err = family.Update(ctx, tx, profile.Default(), a, caseID, id, version, in, now.Add(time.Hour))
		return err
	})
	return x, err
}

func people(t *testing.T, db *store.DB, caseID string) []cases.Person {
	t.Helper()
	var out []cases.Person
	fixture.Read(t, db, func(tx *store.Tx) error {
		var err error
		out, err = tx.CasePeople(ctx, caseID)
		return err
	})
	return out
}

func giveConsent(t *testing.T, db *store.DB, a access.Actor, caseID, giver, kind string) *consent.Record {
	t.Helper()
	var r *consent.Record
	fixture.In(t, db, func(tx *store.Tx) error {
		var err error
		r, err = consent.Add(ctx, tx, profile.Default(), a, caseID, consent.Input{Scope: "collect_store", Giver: giver,
			Kind: kind, Decision: consent.Given, Method: "written"}, now)
		return err
	})
	return r
}

func TestGateWithConsent(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now) // 10: assent and caregiver consent

		if _, err := addPerson(db, cw, c.ID, mother()); !cmp.Equal(fieldCodes(err), gateClosed) {
			t.Fatalf("add without consent: %v, want %v", err, gateClosed)
		}
		giveConsent(t, db, cw, c.ID, consent.Self, consent.KindAssent)
		if _, err := addPerson(db, cw, c.ID, mother()); !cmp.Equal(fieldCodes(err), gateClosed) {
			t.Fatalf("add with the child's assent only: %v, want %v", err, gateClosed)
		}
		if n := len(people(t, db, c.ID)); n != 0 {
			t.Fatalf("%d people written while the gate was closed", n)
		}
		caregiver := giveConsent(t, db, cw, c.ID, consent.Caregiver, consent.KindConsent)

		x, err := addPerson(db, cw, c.ID, mother())
		if err != nil {
			t.Fatalf("add after the required consents: %v", err)
		}
		got := people(t, db, c.ID)
		want := []cases.Person{{ID: x.ID, CaseID: c.ID, Relationship: "mother", IsCaregiver: true, Alive: "alive",
			LivesWithChild: true, CreatedBy: o.Caseworker.ID, CreatedAt: now, UpdatedAt: now, Version: 1, Name: "Fatima"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("people (-want +got):\n%s", diff)
		}

		in := mother()
		in.Contact, in.Alive = "+254 700 000 000", "unknown"
		y, err := update(db, cw, c.ID, x.ID, 1, in)
		if err != nil {
			t.Fatal(err)
		}
		if y.Version != 2 || y.Contact != "+254 700 000 000" || y.Alive != "unknown" {
			t.Errorf("updated person %+v", y)
		}
		var ce *errs.ConflictError
		if _, err := update(db, cw, c.ID, x.ID, 1, mother()); !errors.As(err, &ce) || ce.Version != 2 {
			t.Errorf("update at a stale version: %v, want a conflict at version 2", err)
		}
		if _, err := update(db, cw, c.ID, store.NewID(), 1, mother()); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("update a missing person: %v, want not found", err)
		}

		// Once the caregiver withdraws, nothing more is recorded.
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := consent.Withdraw(ctx, tx, cw, c.ID, caregiver.ID, 1, "no longer agrees", now)
			return err
		})
		if _, err := update(db, cw, c.ID, x.ID, 2, mother()); !cmp.Equal(fieldCodes(err), gateClosed) {
			t.Errorf("update after withdrawal: %v, want %v", err, gateClosed)
		}
		if _, err := addPerson(db, cw, c.ID, mother()); !cmp.Equal(fieldCodes(err), gateClosed) {
			t.Errorf("add after withdrawal: %v, want %v", err, gateClosed)
		}
	})
}

func TestGateWithOverride(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		if _, err := addPerson(db, cw, c.ID, mother()); !cmp.Equal(fieldCodes(err), gateClosed) {
			t.Fatalf("add without consent: %v", err)
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := consent.AddOverride(ctx, tx, profile.Default(), fixture.Actor(o.Supervisor), c.ID,
				consent.OverrideInput{Scope: "collect_store", Basis: "best_interests", Reason: "the child is in danger tonight"}, now)
			return err
		})
		if _, err := addPerson(db, cw, c.ID, mother()); err != nil {
			t.Errorf("add after a supervisor's override: %v", err)
		}
	})
}

func TestValidationAndAccess(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		r := fixture.Registration(profile.GBV) // 25: her own consent
		c := fixture.Register(t, db, cw, r, now)
		giveConsent(t, db, cw, c.ID, consent.Self, consent.KindConsent)
		age := 130
		for _, tt := range []struct {
			name   string
			change func(in *family.Input)
			want   []string
		}{
			{"unknown relationship", func(in *family.Input) { in.Relationship = "landlord" }, []string{"relationship=err.choose"}},
			{"alive is not yes or no", func(in *family.Input) { in.Alive = "maybe" }, []string{"alive=err.choose"}},
			{"age out of range", func(in *family.Input) { in.Age = &age }, []string{"age=err.age"}},
			{"unknown sex", func(in *family.Input) { in.Sex = "m" }, []string{"sex=err.choose"}},
		} {
			in := mother()
			tt.change(&in)
			if _, err := addPerson(db, cw, c.ID, in); !cmp.Equal(fieldCodes(err), tt.want) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			}
		}
		for _, who := range []access.Actor{fixture.Actor(o.CaseworkerB), fixture.Actor(o.OtherSupervisor), fixture.Actor(o.SystemAdmin)} {
			if _, err := addPerson(db, who, c.ID, mother()); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("%s adds family: %v, want not found", who.Role, err)
			}
		}
		if _, err := addPerson(db, fixture.Actor(o.Manager), c.ID, mother()); !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("manager adds family: %v, want forbidden", err)
		}
		if n := len(people(t, db, c.ID)); n != 0 {
			t.Errorf("%d people written by refused calls", n)
		}
	})
}

func TestRemove(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), now)
		giveConsent(t, db, cw, c.ID, consent.Self, consent.KindConsent)
		x, err := addPerson(db, cw, c.ID, mother())
		if err != nil {
			t.Fatal(err)
		}
		sister := mother()
		sister.Relationship, sister.IsCaregiver = "sibling", false
		y, err := addPerson(db, cw, c.ID, sister)
		if err != nil {
			t.Fatal(err)
		}
		// A consent record names the person to be removed.
		var rec *consent.Record
		fixture.In(t, db, func(tx *store.Tx) error {
			var err error
			rec, err = consent.Add(ctx, tx, profile.Default(), cw, c.ID, consent.Input{Scope: "share_services", Giver: consent.ThirdParty,
				PersonID: x.ID, Kind: consent.KindConsent, Decision: consent.Given, Method: "written"}, now)
			return err
		})
		remove := func(a access.Actor, id string) error {
			return db.Tx(ctx, func(tx *store.Tx) error { return family.Remove(ctx, tx, a, c.ID, id, fixture.Now) })
		}
		if err := remove(fixture.Actor(o.CaseworkerB), x.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("another team's caseworker removes: %v, want not found", err)
		}
		if err := remove(cw, x.ID); err != nil {
			t.Fatal(err)
		}
		if got := people(t, db, c.ID); len(got) != 1 || got[0].ID != y.ID {
			t.Errorf("people after removal: %+v, want the sister only", got)
		}
		if err := remove(cw, x.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("remove twice: %v, want not found", err)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			recs, err := tx.Consents(ctx, c.ID)
			for _, r := range recs {
				if r.ID == rec.ID && (r.PersonID != "" || r.Giver != consent.ThirdParty) {
					t.Errorf("consent record after removal: %+v, want the giver kept and the link gone", r)
				}
			}
			return err
		})
	})
}
