package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/incident"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestIncidentStorage: incidents list latest first with their reports; a
// report keeps the recommendation and its reasoning apart; a stale update is
// a conflict; malformed and unknown IDs answer "not found" on both engines.
func TestIncidentStorage(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), fixture.Now)
		day := func(n int) string { return fixture.Now.AddDate(0, 0, -n).Format(time.DateOnly) }
		fixture.In(t, db, func(tx *store.Tx) error {
			for i, in := range []*incident.Incident{
				{CaseID: c.ID, Type: "neglect", HappenedOn: day(5)},
				{CaseID: c.ID, Type: "sexual", HappenedOn: day(1)},
				{CaseID: c.ID, Type: "physical", HappenedOn: day(3)},
			} {
				in.RecordedBy, in.RecordedAt = o.Caseworker.ID, fixture.Now.Add(time.Duration(i)*time.Minute)
				if err := tx.InsertIncident(ctx, in); err != nil {
					return err
				}
				if in.Type == "sexual" {
					r := &incident.Report{CaseID: c.ID, IncidentID: in.ID, Status: incident.Pending}
					if err := tx.InsertMandatoryReport(ctx, r); err != nil {
						return err
					}
					r.Recommendation, r.RecommendWhy, r.RecommendedBy = incident.NoReport, "first line\nsecond line", o.Caseworker.ID
					if err := tx.UpdateMandatoryReport(ctx, r); err != nil {
						return err
					}
					r.Version = 1
					if err := tx.UpdateMandatoryReport(ctx, r); errs.KindOf(err) != errs.Conflict {
						t.Errorf("stale update: %v", err)
					}
				}
			}
			return nil
		})
		fixture.Read(t, db, func(tx *store.Tx) error {
			incs, err := tx.Incidents(ctx, c.ID)
			if err != nil {
				return err
			}
			if len(incs) != 3 || incs[0].Type != "sexual" || incs[1].Type != "physical" || incs[2].Type != "neglect" {
				t.Fatalf("incidents %+v", incs)
			}
			r := incs[0].Report
			if r == nil || r.Recommendation != incident.NoReport || r.RecommendWhy != "first line\nsecond line" ||
				r.Version != 2 || r.Status != incident.Pending || incs[1].Report != nil {
				t.Errorf("report %+v", r)
			}
			if n, err := tx.PendingMandatoryReports(ctx, c.ID); err != nil || n != 1 {
				t.Errorf("pending %d, %v", n, err)
			}
			if _, err := tx.Incident(ctx, c.ID, incs[0].ID); err != nil {
				t.Error(err)
			}
			for _, id := range []string{"none", store.NewID()} {
				if _, err := tx.Incident(ctx, c.ID, id); errs.KindOf(err) != errs.NotFound {
					t.Errorf("Incident(%q): %v", id, err)
				}
				if _, err := tx.CaseLink(ctx, id); errs.KindOf(err) != errs.NotFound {
					t.Errorf("CaseLink(%q): %v", id, err)
				}
			}
			// An incident is found only through its own case.
			if _, err := tx.Incident(ctx, store.NewID(), incs[0].ID); errs.KindOf(err) != errs.NotFound {
				t.Errorf("incident through another case: %v", err)
			}
			return nil
		})
	})
}
