package consent_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var _ consent.RegisterTx = (*store.Tx)(nil)

// TestRegister: a case's consent register lists every consent, assent and
// override — scope, giver's role, kind, decision, day, who recorded it and
// when, withdrawal — and nothing of what they say. The officer of the
// case's agency reads it once the case is closed, not before; the case's
// supervisor reads it; the closed case's caseworker, another agency's
// officer and a stranger find no such case.
func TestRegister(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, sup, dpo := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor), fixture.Actor(o.DPOfficer)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), now)
		in := given("collect_store", consent.Self, consent.KindConsent)
		in.Notes, in.ObtainedOn = "she asked that her sister not be told", "2025-03-09"
		kept := mustAdd(t, db, cw, c.ID, in)
		gone := mustAdd(t, db, cw, c.ID, consent.Input{Scope: "share_services", Giver: consent.Self, Kind: consent.KindConsent,
			Decision: consent.Given, Method: "verbal_witnessed", Notes: "only the clinic"})
		later := now.Add(time.Hour)
		var ov *consent.Override
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			if _, err = consent.Withdraw(ctx, tx, cw, c.ID, gone.ID, gone.Version, "changed her mind", later); err != nil {
				return err
			}
			ov, err = consent.AddOverride(ctx, tx, profile.Default(), sup, c.ID, consent.OverrideInput{Scope: "share_services",
				Basis: "vital_interests", Reason: "her life is in danger"}, later.Add(time.Hour))
			return err
		})
		read := func(a access.Actor) (*consent.Register, error) {
			var reg *consent.Register
			err := db.Read(ctx, func(tx *store.Tx) (err error) {
				reg, err = consent.ReadRegister(ctx, tx, a, c.ID)
				return err
			})
			return reg, err
		}
		if _, err := read(dpo); errs.KindOf(err) != errs.NotFound {
			t.Errorf("the officer reads the register of an open case: %v", err)
		}
		reg, err := read(cw)
		if err != nil {
			t.Fatalf("the caseworker reads the register of an open case: %v", err)
		}
		if len(reg.Entries) != 3 {
			t.Fatalf("open case's register: %+v", reg.Entries)
		}

		fixture.In(t, db, func(tx *store.Tx) error {
			cur, err := tx.Case(ctx, c.ID)
			if err != nil {
				return err
			}
			if _, err := closure.Propose(ctx, tx, profile.Default(), cw, c.ID, cur.Version,
				closure.ProposeInput{Reason: closure.Death}, later); err != nil {
				return err
			}
			_, err = closure.Approve(ctx, tx, profile.Default(), sup, c.ID, cur.Version+1, "", later)
			return err
		})
		reg, err = read(dpo)
		if err != nil {
			t.Fatalf("the officer reads the register of the closed case: %v", err)
		}
		want := []consent.Entry{
			{Scope: "collect_store", Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given, On: "2025-03-09",
				RecordedBy: o.Caseworker.ID, RecordedAt: kept.CreatedAt},
			{Scope: "share_services", Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given,
				On: now.Format(time.DateOnly), RecordedBy: o.Caseworker.ID, RecordedAt: gone.CreatedAt, WithdrawnAt: later},
			{Scope: "share_services", Kind: consent.KindOverride, Decision: consent.Given, On: later.Format(time.DateOnly),
				RecordedBy: o.Supervisor.ID, RecordedAt: ov.ApprovedAt},
		}
		if diff := cmp.Diff(want, reg.Entries, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("register (-want +got):\n%s", diff)
		}
		if !reg.Entries[1].Withdrawn() || reg.Entries[0].Withdrawn() {
			t.Error("Withdrawn does not say which entry was withdrawn")
		}
		if _, err := read(sup); err != nil {
			t.Errorf("the supervisor reads the register of the closed case: %v", err)
		}
		for name, a := range map[string]access.Actor{"the closed case's caseworker": cw,
			"another agency's supervisor": fixture.Actor(o.OtherSupervisor), "an administrator": fixture.Actor(o.AgencyAdmin),
			"another team's supervisor": fixture.Actor(o.SupervisorB)} {
			if _, err := read(a); errs.KindOf(err) != errs.NotFound {
				t.Errorf("%s reads the register of the closed case: %v", name, err)
			}
		}
	})
}
