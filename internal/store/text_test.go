package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestUnstorableText is the last line behind the input boundaries: a write
// of text holding a NUL character or bytes that are not UTF-8 is refused as
// invalid input on both engines (PostgreSQL refused it with a driver error,
// a 500, and SQLite stored it), inside a transaction that then writes
// nothing; a lookup by such a text finds nothing on both engines (nothing
// stored can hold one), where PostgreSQL failed and aborted the transaction.
func TestUnstorableText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		for i, bad := range []string{"Hope\x00Agency", "Hope \xff Agency", "Hope \xed\xa0\x80"} {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				if err := tx.InsertAgency(ctx, &org.Agency{Name: "Fine", Code: fmt.Sprint("FIN", i), CreatedAt: now}); err != nil {
					return err
				}
				return tx.InsertAgency(ctx, &org.Agency{Name: bad, Code: fmt.Sprint("BAD", i), CreatedAt: now})
			})
			if errs.KindOf(err) != errs.Invalid {
				t.Errorf("insert %q: %v (kind %d), want invalid input", bad, err, errs.KindOf(err))
			}
		}
		var agencies []org.Agency
		err := db.Read(ctx, func(tx *store.Tx) (err error) {
			agencies, err = tx.Agencies(ctx)
			return err
		})
		if err != nil || len(agencies) != 0 {
			t.Errorf("after refused writes: %d agencies, %v; want none", len(agencies), err)
		}

		// Lookups, single and listed, in a write transaction that goes on.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.UserByName(ctx, "amina\x00"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("UserByName with a NUL: %v, want not found", err)
			}
			if _, err := tx.UserByName(ctx, "amina\xff"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("UserByName not UTF-8: %v, want not found", err)
			}
			if ts, err := tx.Teams(ctx, "x\x00"); err != nil || len(ts) != 0 {
				t.Errorf("Teams with a NUL: %v, %v; want none", ts, err)
			}
			return tx.InsertAgency(ctx, &org.Agency{Name: "After", Code: "AFT", CreatedAt: now})
		})
		if err != nil {
			t.Fatalf("the transaction could not go on after the lookups: %v", err)
		}
	})
}
