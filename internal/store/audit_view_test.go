package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// viewEvents writes events varying each filtered column: event i (from 1)
// has actor a<i%3>, action case.view or case.update (every other), case
// c<i%4>, agency g<i%2>, address 10.0.0.<i%5>, and time base + i hours.
func viewEvents(t *testing.T, db *store.DB, base time.Time, from, to int) {
	t.Helper()
	fixture.In(t, db, func(tx *store.Tx) error {
		for i := from; i <= to; i++ {
			action := "case.view"
			if i%2 == 0 {
				action = "case.update"
			}
			e := audit.Event{ActorID: uid('a', i%3), Action: action, RecordType: "case",
				RecordID: fmt.Sprint(i), CaseID: uid('c', i%4), AgencyID: uid('e', i%2),
				IP: fmt.Sprintf("10.0.0.%d", i%5), At: base.Add(time.Duration(i) * time.Hour)}
			if err := tx.Record(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// uid is a made-up UUID (PostgreSQL's columns are UUIDs) for kind k and number n.
func uid(k byte, n int) string { return fmt.Sprintf("%c0000000-0000-4000-8000-%012d", k, n) }

// ids returns the record IDs (the events' numbers) of events.
func ids(events []audit.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.RecordID
	}
	return out
}

// TestAuditFilters: each filter narrows to exactly the events it names, on
// both engines, and the streamed reader returns the same.
func TestAuditFilters(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		const n = 120
		viewEvents(t, db, base, 1, n)
		want := func(keep func(i int) bool) []string {
			var out []string
			for i := n; i >= 1; i-- {
				if keep(i) {
					out = append(out, fmt.Sprint(i))
				}
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    store.AuditFilter
			keep func(i int) bool
		}{
			{"actor", store.AuditFilter{ActorID: uid('a', 1)}, func(i int) bool { return i%3 == 1 }},
			{"action", store.AuditFilter{Action: "case.update"}, func(i int) bool { return i%2 == 0 }},
			{"category", store.AuditFilter{Action: "case."}, func(i int) bool { return true }},
			{"reads", store.AuditFilter{Actions: []string{"case.view", "share.view"}}, func(i int) bool { return i%2 == 1 }},
			{"case", store.AuditFilter{CaseID: uid('c', 3)}, func(i int) bool { return i%4 == 3 }},
			{"agency", store.AuditFilter{AgencyID: uid('e', 0)}, func(i int) bool { return i%2 == 0 }},
			{"address", store.AuditFilter{IP: "10.0.0.4"}, func(i int) bool { return i%5 == 4 }},
			{"dates", store.AuditFilter{From: base.Add(10 * time.Hour), To: base.Add(20 * time.Hour)}, func(i int) bool { return i >= 10 && i < 20 }},
			{"who read case c1", store.AuditFilter{CaseID: uid('c', 1), Actions: []string{"case.view"}, AgencyID: uid('e', 1)}, func(i int) bool { return i%4 == 1 }},
			{"what a2 read", store.AuditFilter{ActorID: uid('a', 2), Actions: []string{"case.view"}}, func(i int) bool { return i%3 == 2 && i%2 == 1 }},
		} {
			tc.f.Limit = 500
			var got, streamed []audit.Event
			fixture.Read(t, db, func(tx *store.Tx) (err error) {
				if got, err = tx.AuditEvents(ctx, tc.f); err != nil {
					return err
				}
				return tx.EachAuditEvent(ctx, tc.f, func(e audit.Event) error {
					streamed = append(streamed, e)
					return nil
				})
			})
			w := want(tc.keep)
			if !slices.Equal(ids(got), w) {
				t.Errorf("%s: got %v, want %v", tc.name, ids(got), w)
			}
			if !slices.Equal(ids(streamed), w) {
				t.Errorf("%s: streamed %v, want %v", tc.name, ids(streamed), w)
			}
		}
	})
}

// TestAuditKeysetPaging: 50 a page, older pages stay the same while new
// events arrive, and paging back towards the newer returns the same pages.
func TestAuditKeysetPaging(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		viewEvents(t, db, base, 1, 130)
		page := func(f store.AuditFilter) []audit.Event {
			f.Limit = 50
			var out []audit.Event
			fixture.Read(t, db, func(tx *store.Tx) (err error) {
				out, err = tx.AuditEvents(ctx, f)
				return err
			})
			return out
		}
		first := page(store.AuditFilter{})
		if len(first) != 50 || first[0].RecordID != "130" || first[49].RecordID != "81" {
			t.Fatalf("first page %v", ids(first))
		}
		viewEvents(t, db, base, 131, 140) // new events while paging
		second := page(store.AuditFilter{Before: first[49].Seq})
		if len(second) != 50 || second[0].RecordID != "80" || second[49].RecordID != "31" {
			t.Fatalf("second page after inserts %v", ids(second))
		}
		third := page(store.AuditFilter{Before: second[49].Seq})
		if len(third) != 30 || third[29].RecordID != "1" {
			t.Fatalf("last page %v", ids(third))
		}
		// Back up: newer than the second page's first is the first page again.
		back := page(store.AuditFilter{After: second[0].Seq})
		if !slices.Equal(ids(back), ids(first)) {
			t.Fatalf("newer page %v, want %v", ids(back), ids(first))
		}
		newest := page(store.AuditFilter{After: first[0].Seq})
		if len(newest) != 10 || newest[0].RecordID != "140" || newest[9].RecordID != "131" {
			t.Fatalf("newest page %v", ids(newest))
		}
	})
}
