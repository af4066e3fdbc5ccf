package gen_test

import (
	"context"
	"testing"

	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/gen"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestDemoCoordination checks that the demo has work between agencies to
// show: a referral in Peter's inbox sharing two sections under consent, one
// sent under an override with the task to tell the family, a conference
// with Safe Haven's supervisor, and a transfer waiting for Safe Haven; and
// that seeding again adds nothing.
func TestDemoCoordination(t *testing.T) {
	p := profile.Default()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := gen.Demo(ctx, db, p, now); err != nil {
			t.Fatal(err)
		}
		if err := gen.DemoCoordination(ctx, db, p, now); err != nil {
			t.Fatal(err)
		}
		err := db.Read(ctx, func(tx *store.Tx) error {
			peter, err := tx.UserByName(ctx, "peter")
			if err != nil {
				return err
			}
			leila, err := tx.UserByName(ctx, "leila")
			if err != nil {
				return err
			}
			inbox, err := tx.ReferralsTo(ctx, peter.AgencyID, peter.ID, true, 50)
			if err != nil {
				return err
			}
			if len(inbox) != 1 || inbox[0].Basis != referral.BasisConsent || len(inbox[0].Sections) != 2 {
				t.Fatalf("Peter's inbox: %+v", inbox)
			}
			rs, err := tx.CaseReferrals(ctx, inbox[0].CaseID)
			if err != nil {
				return err
			}
			if len(rs) != 1 {
				t.Errorf("the referred case has %d referrals (seeded twice?)", len(rs))
			}
			confs, err := tx.ConferencesOf(ctx, leila.ID, 10)
			if err != nil {
				return err
			}
			if len(confs) != 1 || confs[0].CaseID != inbox[0].CaseID {
				t.Errorf("Leila's conferences: %+v", confs)
			}
			ts, err := tx.TransfersTo(ctx, leila.AgencyID, leila.TeamID, 10)
			if err != nil {
				return err
			}
			if len(ts) != 1 {
				t.Errorf("transfers waiting for Safe Haven: %+v", ts)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The override referral left the caseworker a task to tell the family.
		err = db.Read(ctx, func(tx *store.Tx) error {
			amina, err := tx.UserByName(ctx, "amina")
			if err != nil {
				return err
			}
			rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: "own", ID: amina.ID, Limit: 200})
			if err != nil {
				return err
			}
			overrides := 0
			for _, r := range rows {
				rs, err := tx.CaseReferrals(ctx, r.ID)
				if err != nil {
					return err
				}
				for _, x := range rs {
					if x.Basis != referral.BasisOverride {
						continue
					}
					overrides++
					ds, err := tx.CaseDeadlines(ctx, r.ID)
					if err != nil {
						return err
					}
					open := false
					for _, d := range ds {
						open = open || (d.Kind == deadline.TellFamily && d.Open() && d.AssigneeID == amina.ID)
					}
					if !open {
						t.Errorf("override referral without an open task to tell the family")
					}
				}
			}
			if overrides != 1 {
				t.Errorf("%d override referrals, want 1", overrides)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
