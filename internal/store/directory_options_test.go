package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestDirectoryServiceOptions: the options are the active entries of the
// whole directory, in its order, with the fields a form labels them by.
func TestDirectoryServiceOptions(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		entry := func(org, sector string, days int, end, verified string, active bool) *directory.Service {
			return &directory.Service{Organisation: org, Sector: sector, Services: "counselling", Address: "Main street",
				AvgDays: days, ProjectEnd: end, Languages: []string{"en"}, Profiles: []string{"girls"},
				Quality: []string{"safe"}, LastVerified: verified, Active: active, CreatedBy: o.Manager.ID, CreatedAt: now, UpdatedAt: now}
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			for _, s := range []*directory.Service{
				entry("Zeta Clinic", "health", 3, "", "2026-01-02", true),
				entry("Closed Shelter", "shelter", 0, "2025-12-31", "2025-06-01", false),
				entry("Alpha Legal", "legal", 0, "2027-03-01", "2026-02-03", true),
				entry("Beta Clinic", "health", 7, "2026-05-05", "", true),
			} {
				if err := tx.InsertDirectoryService(ctx, s); err != nil {
					return err
				}
			}
			return nil
		})
		var all, got []directory.Service
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			if all, err = tx.DirectoryServices(ctx); err != nil {
				return err
			}
			got, err = tx.DirectoryServiceOptions(ctx)
			return err
		})
		var want []directory.Service
		for _, s := range all {
			if s.Active {
				want = append(want, directory.Service{ID: s.ID, Organisation: s.Organisation, Sector: s.Sector,
					AvgDays: s.AvgDays, ProjectEnd: s.ProjectEnd, LastVerified: s.LastVerified, Active: true})
			}
		}
		if len(want) != 3 {
			t.Fatalf("%d active entries in the directory, want 3", len(want))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("DirectoryServiceOptions (-want +got):\n%s", diff)
		}
	})
}
