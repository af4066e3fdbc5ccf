package store_test

import (
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// rewriteUnkeyed rewrites the stored chain from event from on as an
// attacker with write access to the database but without the key would:
// edit is applied to each event, whose hash is then recomputed with the
// chain's public, unkeyed algorithm (SHA-256), and the head is moved to
// the new end.
func rewriteUnkeyed(t *testing.T, db *store.DB, events []audit.Event, from int64, edit func(e *audit.Event)) {
	t.Helper()
	prev := audit.Genesis
	for _, e := range events {
		if e.Seq < from {
			prev = e.Hash
			continue
		}
		edit(&e)
		e.PrevHash = prev
		e.Hash = e.ComputeHash()
		if err := db.ExecRaw(ctx, "UPDATE audit_events SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?", e.Detail, e.PrevHash, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
	if err := db.ExecRaw(ctx, "UPDATE audit_head SET hash = ? WHERE id = 1", prev); err != nil {
		t.Fatal(err)
	}
}

// TestAuditAttacks: what an insider with write access to the database
// (and not the key) does to hide what they did, each caught by VerifyAudit.
func TestAuditAttacks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		attack func(t *testing.T, db *store.DB, events []audit.Event)
		says   string
	}{
		{"delete the last events and move the head to match", func(t *testing.T, db *store.DB, events []audit.Event) {
			for _, q := range []string{"DELETE FROM audit_events WHERE seq > 3",
				"UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_events WHERE seq = 3) WHERE id = 1"} {
				if err := db.ExecRaw(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}, "head"},
		{"edit an event and rehash the rest of the chain with SHA-256", func(t *testing.T, db *store.DB, events []audit.Event) {
			rewriteUnkeyed(t, db, events, 2, func(e *audit.Event) {
				if e.Seq == 2 {
					e.Detail = `{"n":99}`
				}
			})
		}, "edited"},
		{"rehash the whole chain with SHA-256", func(t *testing.T, db *store.DB, events []audit.Event) {
			rewriteUnkeyed(t, db, events, 1, func(e *audit.Event) {})
		}, "edited"},
		{"delete the last events and rehash the one before with SHA-256", func(t *testing.T, db *store.DB, events []audit.Event) {
			if err := db.ExecRaw(ctx, "DELETE FROM audit_events WHERE seq > 4"); err != nil {
				t.Fatal(err)
			}
			rewriteUnkeyed(t, db, events[:4], 4, func(e *audit.Event) { e.Detail = `{"n":0}` })
			if err := db.ExecRaw(ctx, "UPDATE audit_head SET seq = 4 WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
		}, "head"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *store.DB) {
				for i := 1; i <= 5; i++ {
					fixture.In(t, db, func(tx *store.Tx) error { return tx.Record(ctx, event(i)) })
				}
				verifyOK(t, db, 5)
				events := allEvents(t, db)
				for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
					events[i], events[j] = events[j], events[i] // oldest first
				}
				tt.attack(t, db, events)
				v, err := db.VerifyAudit(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if v.OK() {
					t.Fatal("VerifyAudit found nothing wrong")
				}
				found := false
				for _, p := range v.Problems {
					found = found || strings.Contains(p.String(), tt.says)
				}
				if !found {
					t.Errorf("problems %v, want one saying %q", v.Problems, tt.says)
				}
			})
		})
	}
}
