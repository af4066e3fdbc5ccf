package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/search"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// The index follows every write of what it is made of, in the same
// transaction, and a rebuild makes exactly what the writes made.
func TestSearchIndexFollowsWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := fixture.New(t, db)
		h := db.SearchHasher()
		if h == nil {
			t.Fatal("the test database has no search key")
		}
		r := fixture.Registration(profile.CP)
		r.GivenName, r.FamilyName, r.Contact, r.DateOfBirth = "Aïcha", "Al-Hassan", "+234 803 555 0192", "2015-04-02"
		r.Age = nil
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), r, time.Now())
		entries := func() []search.Entry {
			var es []search.Entry
			fixture.Read(t, db, func(tx *store.Tx) error {
				var err error
				es, err = tx.SearchEntries(ctx, c.ID)
				return err
			})
			return es
		}
		has := func(es []search.Entry, k search.Kind, tok search.Token) bool {
			return slices.Contains(es, search.Entry{Token: tok, Kind: k})
		}
		es := entries()
		phone, _ := h.PhoneToken("0803 555 0192")
		birth, _ := h.BirthToken("2015-04-02")
		for name, ok := range map[string]bool{
			"part":   has(es, search.Part, h.Name("aicha")[0].Part),
			"sound":  has(es, search.Sound, h.Name("Ayesha")[0].Sound),
			"prefix": has(es, search.Prefix, h.Name("Hass")[0].Prefix),
			"phone":  has(es, search.Phone, phone),
			"birth":  has(es, search.Birth, birth),
		} {
			if !ok {
				t.Errorf("registration: no %s token", name)
			}
		}

		// A new name replaces the old tokens.
		fixture.In(t, db, func(tx *store.Tx) error {
			cur, err := tx.Case(ctx, c.ID)
			if err != nil {
				return err
			}
			id, err := tx.Identity(ctx, c.ID)
			if err != nil {
				return err
			}
			id.GivenName, id.Contact = "Mariam", ""
			return tx.UpdateCase(ctx, cur, id)
		})
		es = entries()
		if has(es, search.Part, h.Name("aicha")[0].Part) || has(es, search.Phone, phone) {
			t.Error("the old name or phone is still in the index after the identity changed")
		}
		if !has(es, search.Part, h.Name("mariam")[0].Part) {
			t.Error("the new name is not in the index")
		}

		// A family member's phone finds the case, and leaves with them.
		uncle := &cases.Person{CaseID: c.ID, Relationship: "uncle", Name: "Musa", Contact: "0704 111 222",
			CreatedBy: o.Caseworker.ID, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		fixture.In(t, db, func(tx *store.Tx) error { return tx.InsertPerson(ctx, uncle) })
		uphone, _ := h.PhoneToken("+256 704 111 222")
		if !has(entries(), search.Phone, uphone) {
			t.Error("a family member's phone is not in the index")
		}
		before := entries()
		if err := db.RebuildSearchIndex(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if after := entries(); !slices.Equal(before, after) {
			t.Errorf("a rebuild made %d entries, the writes %d", len(after), len(before))
		}
		if ok, err := db.SearchIndexCurrent(ctx); err != nil || !ok {
			t.Errorf("after a rebuild the index is not current (%v)", err)
		}
		fixture.In(t, db, func(tx *store.Tx) error { return tx.DeletePerson(ctx, c.ID, uncle.ID) })
		if has(entries(), search.Phone, uphone) {
			t.Error("a deleted family member's phone is still in the index")
		}
	})
}

// A process without the key cannot make tokens: it marks the index stale,
// and EnsureSearchIndex under the key rebuilds it.
func TestSearchIndexWithoutKeyIsRebuilt(t *testing.T) {
	for _, eng := range testdb.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			u := testdb.URL(t, eng)
			open := func() *store.DB {
				db, err := store.Open(ctx, u, store.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			db := open()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			db.UseKeys(testdb.Keys())
			o := fixture.New(t, db)
			if _, err := db.EnsureSearchIndex(ctx, nil); err != nil {
				t.Fatal(err)
			}
			plain := open() // a process without the key
			c := fixture.Register(t, plain, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), time.Now())
			if ok, _ := db.SearchIndexCurrent(ctx); ok {
				t.Fatal("a case written without the key left the index marked current")
			}
			rebuilt, err := db.EnsureSearchIndex(ctx, nil)
			if err != nil || !rebuilt {
				t.Fatalf("EnsureSearchIndex = %v, %v; want a rebuild", rebuilt, err)
			}
			var es []search.Entry
			fixture.Read(t, db, func(tx *store.Tx) error {
				var err error
				es, err = tx.SearchEntries(ctx, c.ID)
				return err
			})
			if !slices.Contains(es, search.Entry{Token: db.SearchHasher().Name("Amina")[0].Part, Kind: search.Part}) {
				t.Error("the rebuild did not index the case written without the key")
			}
			if rebuilt, _ := db.EnsureSearchIndex(ctx, nil); rebuilt {
				t.Error("a current index was rebuilt again")
			}
		})
	}
}
