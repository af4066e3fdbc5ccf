package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

func TestRebind(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"a = '?' AND b = ?", "a = '?' AND b = $1"},
		{`"we?ird" = ? OR c = 'it''s ?'`, `"we?ird" = $1 OR c = 'it''s ?'`},
	}
	for _, tt := range tests {
		if got := store.Rebind(tt.in); got != tt.want {
			t.Errorf("Rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSchemasMatch proves both engines end with the same tables and columns.
func TestSchemasMatch(t *testing.T) {
	t.Parallel()
	engines := testdb.Engines(t)
	if len(engines) < 2 {
		t.Log("PostgreSQL not available: comparing SQLite with itself only")
	}
	var got [][]store.Column
	for _, eng := range engines {
		db := testdb.Open(t, eng)
		cols, err := db.Columns(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", eng, err)
		}
		if len(cols) < 50 {
			t.Fatalf("%s: only %d columns; migrations did not run?", eng, len(cols))
		}
		got = append(got, cols)
	}
	for i := 1; i < len(got); i++ {
		if diff := cmp.Diff(got[0], got[i]); diff != "" {
			t.Errorf("schemas differ (-%s +%s):\n%s", engines[0], engines[i], diff)
		}
	}
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		applied, err := db.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v", applied)
		}
		pending, err := db.Pending(context.Background())
		if err != nil || len(pending) != 0 {
			t.Errorf("Pending = %v, %v; want none", pending, err)
		}
	})
}
