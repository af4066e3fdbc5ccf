package directory_test

import (
	"context"
	"testing"

	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/gen"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestDemoDirectory seeds the demo's directory over the demo's agencies and
// users: eight valid entries, some tied to agencies and focal users, one
// needing verification, one whose project ended; a second run adds nothing.
func TestDemoDirectory(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		p := profile.Default()
		users := map[string]*org.User{}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			ags := map[string]*org.Agency{}
			for _, code := range []string{"HFC", "SHW", "CCN"} {
				ags[code] = &org.Agency{Name: code, Code: code, CreatedAt: now}
				if err := tx.InsertAgency(ctx, ags[code]); err != nil {
					return err
				}
			}
			for _, u := range []struct {
				name, agency string
				role         org.Role
			}{{"root", "CCN", org.SystemAdmin}, {"peter", "CCN", org.ServiceProvider}, {"leila", "SHW", org.ServiceProvider}} {
				users[u.name] = &org.User{AgencyID: ags[u.agency].ID, Username: u.name, DisplayName: u.name, Role: u.role,
					PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
				if err := tx.InsertUser(ctx, users[u.name]); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for run := 0; run < 2; run++ {
			if err := gen.DemoDirectory(ctx, db, p, now); err != nil {
				t.Fatal(err)
			}
		}
		w := &world{db: db}
		all := w.all(t)
		if len(all) != 8 {
			t.Fatalf("%d entries, want 8", len(all))
		}
		var withAgency, withFocal, stale, ended, entry, funnel int
		sectors := map[string]bool{}
		for i := range all {
			s := &all[i]
			in := directory.InputOf(s)
			if fe := directory.Check(p, &in, today); len(fe) > 0 {
				t.Errorf("%s: %v", s.Organisation, fe)
			}
			sectors[s.Sector] = true
			if s.AgencyID != "" {
				withAgency++
			}
			if s.FocalUserID != "" {
				withFocal++
				if s.FocalUserID != users["peter"].ID && s.FocalUserID != users["leila"].ID {
					t.Errorf("%s: focal user %s", s.Organisation, s.FocalUserID)
				}
			}
			if directory.Stale(s, now, p.DirectoryRefresh.D()) {
				stale++
			}
			if s.Ended(today) {
				ended++
			}
			if s.EntryPoint {
				entry++
			}
			if s.FunnellingPoint {
				funnel++
			}
			if s.CreatedBy != users["root"].ID {
				t.Errorf("%s created by %s", s.Organisation, s.CreatedBy)
			}
		}
		if withAgency < 2 || withFocal != 2 || stale != 1 || ended != 1 || entry < 1 || funnel < 1 {
			t.Errorf("%d with an agency, %d with a focal user, %d stale, %d ended, %d entry and %d funnelling points",
				withAgency, withFocal, stale, ended, entry, funnel)
		}
		for _, s := range []string{"health_nutrition", "gbv", "legal", "mhpss", "education", "cash", "gbv_case_management", "family_tracing"} {
			if !sectors[s] {
				t.Errorf("no %s entry", s)
			}
		}
		if n := len(w.events(t, "directory.create")); n != 8 {
			t.Errorf("%d audit events, want 8", n)
		}
	})
}
