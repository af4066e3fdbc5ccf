package gen_test

import (
	"context"
	"testing"

	"github.com/safecase/safecase/internal/gen"
	"github.com/safecase/safecase/internal/incident"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestDemoIncidents: the demo links a GBV case of Sara's to a CP case of
// Amina's at another agency (Sara asks, Amina is asked and accepts, Sara is
// told); the GBV case has incidents; one incident waits for the
// supervisor's mandatory-reporting decision with the caseworker's
// recommendation, and the supervisor has been told; seeding again adds
// nothing.
func TestDemoIncidents(t *testing.T) {
	p := profile.Default()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := gen.Demo(ctx, db, p, now); err != nil {
			t.Fatal(err)
		}
		if err := gen.DemoIncidents(ctx, db, p, now); err != nil {
			t.Fatal(err)
		}
		err := db.Read(ctx, func(tx *store.Tx) error {
			sara, err := tx.UserByName(ctx, "sara")
			if err != nil {
				return err
			}
			sam, err := tx.UserByName(ctx, "sam")
			if err != nil {
				return err
			}
			amina, err := tx.UserByName(ctx, "amina")
			if err != nil {
				return err
			}
			rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: "own", ID: sara.ID, Limit: 200})
			if err != nil {
				return err
			}
			var links, gbvIncidents, pending, recommended int
			var pendingCase string
			for _, r := range rows {
				vs, err := tx.CaseLinks(ctx, r.ID)
				if err != nil {
					return err
				}
				for _, v := range vs {
					links++
					if r.Type != profile.GBV || v.Type != profile.CP || v.Other.CaseworkerID != amina.ID {
						t.Errorf("link from a %s case to a %s case of %s", r.Type, v.Type, v.Caseworker)
					}
					incs, err := tx.Incidents(ctx, r.ID)
					if err != nil {
						return err
					}
					gbvIncidents = len(incs)
					other, err := tx.Incidents(ctx, v.Other.ID)
					if err != nil {
						return err
					}
					for _, in := range append(incs, other...) {
						if in.Report.Open() {
							pending++
							pendingCase = in.CaseID
							if in.Report.Recommendation == incident.DoReport && in.Report.RecommendWhy != "" {
								recommended++
							}
						}
					}
				}
			}
			if links != 1 || gbvIncidents < 2 || pending != 1 || recommended != 1 {
				t.Errorf("%d links, %d incidents on the GBV case, %d pending decisions (%d recommended)", links, gbvIncidents,
					pending, recommended)
			}
			ns, err := tx.Notifications(ctx, sam.ID, 500)
			if err != nil {
				return err
			}
			told := false
			for _, n := range ns {
				told = told || n.Kind == notify.MandatoryReport && n.CaseID == pendingCase
			}
			if !told {
				t.Error("sam was not told of the mandatory report")
			}
			ns, err = tx.Notifications(ctx, amina.ID, 500)
			if err != nil {
				return err
			}
			asked := false
			for _, n := range ns {
				asked = asked || n.Kind == notify.LinkRequested
			}
			if !asked {
				t.Error("amina was not asked to accept the link")
			}
			ns, err = tx.Notifications(ctx, sara.ID, 500)
			if err != nil {
				return err
			}
			linked := false
			for _, n := range ns {
				linked = linked || n.Kind == notify.CaseLinked
			}
			if !linked {
				t.Error("sara was not told that the link was made")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
