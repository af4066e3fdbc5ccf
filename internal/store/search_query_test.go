package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/search"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// A search matches on the index, never on case_identity: a name changed
// behind the store's back (raw SQL, no reindexing) is not found, and the
// name the index holds still is.
func TestSearchReadsTheIndexNotTheIdentity(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := fixture.New(t, db)
		r := fixture.Registration(profile.CP)
		r.GivenName, r.FamilyName = "Nyaluak", "Deng"
		a := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, a, r, time.Now())
		if err := db.ExecRaw(ctx, "UPDATE case_identity SET given_name = 'Wanjiru', family_name = 'Kamau' WHERE case_id = ?", c.ID); err != nil {
			t.Fatal(err)
		}
		find := func(q string) []search.ResultRow {
			var res *search.Result
			fixture.Read(t, db, func(tx *store.Tx) (err error) {
				res, err = search.Find(ctx, tx, db.SearchHasher(), a, search.Query{Terms: search.Terms(q), Page: 1})
				return err
			})
			return res.Hits
		}
		if hits := find("Wanjiru Kamau"); len(hits) != 0 {
			t.Errorf("the search read case_identity: %+v", hits)
		}
		hits := find("Nyaluak Deng")
		if len(hits) != 1 || hits[0].CaseID != c.ID {
			t.Fatalf("the index's name is not found: %+v", hits)
		}
		// The name shown for display is read from the identity section.
		if hits[0].Name != "Wanjiru Kamau" || !hits[0].NameShown {
			t.Errorf("displayed name %q", hits[0].Name)
		}
	})
}
