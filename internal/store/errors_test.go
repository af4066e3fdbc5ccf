package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestErrorsNameTheOperation: an error that leaves the store names the
// store operation that failed, never the query's arguments, and keeps what
// it wraps visible to errors.Is and errs.KindOf.
func TestErrorsNameTheOperation(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const secret = "Amina-secret-argument"
		// Each check has its own transaction: PostgreSQL refuses every
		// query of a transaction after one failed.
		read := func(fn func(tx *store.Tx)) {
			t.Helper()
			if err := db.Read(ctx, func(tx *store.Tx) error { fn(tx); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		read(func(tx *store.Tx) {
			// sql.ErrNoRows, found only when the row is scanned.
			_, err := tx.OneStringForTest(ctx, "SELECT code FROM cases WHERE code = ?", secret)
			if !errors.Is(err, sql.ErrNoRows) {
				t.Errorf("no row: %v, want sql.ErrNoRows", err)
			}
			if want := "store.OneStringForTest: "; err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("no row: %q, want it to start %q", err, want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("no row: %q shows the query's argument", err)
			}
		})
		read(func(tx *store.Tx) {
			// A query the engine refuses.
			if _, err := tx.IntsForTest(ctx, "SELECT nonesuch FROM cases WHERE code = ?", secret); err == nil ||
				!strings.HasPrefix(err.Error(), "store.IntsForTest: ") || strings.Contains(err.Error(), secret) {
				t.Errorf("bad query: %v, want it named store.IntsForTest, without the argument", err)
			} else if errs.KindOf(err) != errs.Other {
				t.Errorf("bad query: kind %v, want Other", errs.KindOf(err))
			}
		})
		read(func(tx *store.Tx) {
			// A value that does not convert, found by rows.Scan.
			if _, err := tx.IntsForTest(ctx, "SELECT 'not a number' AS n"); err == nil || !strings.HasPrefix(err.Error(), "store.IntsForTest: ") ||
				!strings.Contains(err.Error(), `"n"`) || strings.Contains(err.Error(), "not a number") {
				t.Errorf("bad scan: %v, want it named store.IntsForTest, naming the column, not showing the value", err)
			}
		})
		read(func(tx *store.Tx) {
			// A real operation, with its context cancelled: the label is
			// the operation the caller called, and the cause stays visible.
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err := tx.Case(cctx, store.NewID())
			if !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled: %v, want context.Canceled", err)
			}
			if err == nil || !strings.HasPrefix(err.Error(), "store.Case: ") {
				t.Errorf("cancelled: %q, want it named store.Case", err)
			}
			// One operation failing inside another names both.
			if err := tx.OuterForTest(cctx, store.NewID()); err == nil || !strings.HasPrefix(err.Error(), "store.OuterForTest: store.Case: ") {
				t.Errorf("nested: %q, want it named store.OuterForTest: store.Case", err)
			}
		})
		read(func(tx *store.Tx) {
			// A missing record stays errs.NotFound.
			if _, err := tx.Case(ctx, store.NewID()); errs.KindOf(err) != errs.NotFound {
				t.Errorf("missing case: %v, want NotFound", err)
			}
		})
		err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.ExecForTest(ctx, "UPDATE nonesuch SET x = ? WHERE y = ?", secret, secret)
		})
		if err == nil || !strings.HasPrefix(err.Error(), "store.ExecForTest: ") || strings.Contains(err.Error(), secret) {
			t.Errorf("bad exec: %v, want it named store.ExecForTest, without the arguments", err)
		}
		// A transaction that cannot begin says which.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := db.Read(cctx, func(*store.Tx) error { return nil }); !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "store.Read: ") {
			t.Errorf("cancelled read: %v, want context.Canceled named store.Read", err)
		}
		if err := db.Tx(cctx, func(*store.Tx) error { return nil }); !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "store.Tx: ") {
			t.Errorf("cancelled write: %v, want context.Canceled named store.Tx", err)
		}
	})
}
