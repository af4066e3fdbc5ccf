package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestCaseChanges: the changes of a case, newest first, without its reads
// and denials, however many reads there are; through the partial index.
func TestCaseChanges(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
		var want []string
		u1, c1, c2 := store.NewID(), store.NewID(), store.NewID()
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for i, a := range []string{"case.register", "case.view", "consent.record", "access.denied", "case.view",
				"plan.save", "consent.view", "closure.propose", "case.view"} {
				if err := tx.Record(ctx, audit.Event{At: at.Add(time.Duration(i) * time.Minute), ActorID: u1,
					Action: a, RecordType: "case", RecordID: c1, CaseID: c1}); err != nil {
					return err
				}
			}
			// Another case's change is not this one's.
			return tx.Record(ctx, audit.Event{At: at, Action: "case.update", RecordType: "case", RecordID: c2, CaseID: c2})
		})
		if err != nil {
			t.Fatal(err)
		}
		want = []string{"closure.propose", "plan.save", "consent.record", "case.register"}
		var got []audit.Event
		if err := db.Read(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.CaseChanges(ctx, c1, 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("changes %+v, want %v", got, want)
		}
		for i, e := range got {
			if e.Action != want[i] || e.ActorID != u1 || e.CaseID != c1 || e.At.IsZero() {
				t.Errorf("change %d = %+v, want %s by u1", i, e, want[i])
			}
		}
		if err := db.Read(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.CaseChanges(ctx, c1, 2)
			return err
		}); err != nil || len(got) != 2 || got[0].Action != "closure.propose" {
			t.Errorf("limit 2: %+v, %v", got, err)
		}
		// The query uses the partial index (the plan names it).
		plan, err := db.Explain(ctx, store.CaseChangesQuery, c1, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "audit_case_changes") {
			t.Errorf("the timeline query does not use its index:\n%s", plan)
		}
	})
}
