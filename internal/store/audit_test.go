package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var ctx = context.Background()

func event(n int) audit.Event {
	return audit.Event{Action: "case.view", RecordType: "case", RecordID: fmt.Sprintf("r%d", n), Detail: fmt.Sprintf(`{"n":%d}`, n)}
}

func verifyOK(t *testing.T, db *store.DB, wantCount int64) {
	t.Helper()
	v, err := db.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Count != wantCount {
		t.Fatalf("VerifyAudit: OK=%v count %d (want %d) problems %v", v.OK(), v.Count, wantCount, v.Problems)
	}
}

func allEvents(t *testing.T, db *store.DB) []audit.Event {
	t.Helper()
	var out []audit.Event
	fixture.Read(t, db, func(tx *store.Tx) error {
		var before int64
		for {
			page, err := tx.AuditEvents(ctx, store.AuditFilter{Limit: 500, Before: before})
			if err != nil || len(page) == 0 {
				return err
			}
			out = append(out, page...)
			before = page[len(page)-1].Seq
		}
	})
	return out
}

// TestAuditChain writes events every way the store offers, many at once,
// and verifies the chain.
func TestAuditChain(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		verifyOK(t, db, 0)
		n := 0
		// Events recorded inside write transactions, several per transaction.
		for i := 0; i < 3; i++ {
			fixture.In(t, db, func(tx *store.Tx) error {
				for j := 0; j <= i; j++ {
					n++
					if err := tx.Record(ctx, event(n)); err != nil {
						return err
					}
				}
				return nil
			})
		}
		// Events of reads, one by one through the group commit.
		for i := 0; i < 3; i++ {
			n++
			if err := db.Audit(ctx, event(n)); err != nil {
				t.Fatal(err)
			}
		}
		// Many readers at once, with writers among them.
		const readers, writers = 60, 5
		var wg sync.WaitGroup
		errc := make(chan error, readers+writers)
		for i := 0; i < readers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errc <- db.Audit(ctx, event(1000+i))
			}(i)
		}
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errc <- db.Tx(ctx, func(tx *store.Tx) error {
					if err := tx.Record(ctx, event(2000+i)); err != nil {
						return err
					}
					return tx.Record(ctx, event(3000+i))
				})
			}(i)
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		total := n + readers + 2*writers
		verifyOK(t, db, int64(total))

		events := allEvents(t, db)
		if len(events) != total {
			t.Fatalf("%d events stored, want %d", len(events), total)
		}
		seen := map[string]bool{}
		for i, e := range events {
			if want := int64(total - i); e.Seq != want {
				t.Fatalf("event %d has seq %d, want %d (newest first, no gaps)", i, e.Seq, want)
			}
			if seen[e.RecordID] {
				t.Errorf("event for %s stored twice", e.RecordID)
			}
			seen[e.RecordID] = true
			if e.At.IsZero() || e.ID == "" {
				t.Errorf("event %d lacks a time or an ID: %+v", e.Seq, e)
			}
		}
		// An event recorded in a read-only transaction is refused.
		err := db.Read(ctx, func(tx *store.Tx) error { return tx.Record(ctx, event(9)) })
		if err == nil {
			t.Error("Record in a read transaction succeeded")
		}
	})
}

// TestAuditMeta: events carry the request's actor and address.
func TestAuditMeta(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		mctx := audit.WithMeta(ctx, audit.Meta{ActorID: o.DPOfficer.ID, ActorRole: string(org.DPOfficer), AgencyID: o.Agency.ID, IP: "192.0.2.7"})
		if err := db.Audit(mctx, audit.Event{Action: "audit.view"}); err != nil {
			t.Fatal(err)
		}
		fixture.In(t, db, func(tx *store.Tx) error { return tx.Record(mctx, audit.Event{Action: "user.update"}) })
		for _, e := range allEvents(t, db) {
			if e.ActorID != o.DPOfficer.ID || e.ActorRole != "dp_officer" || e.AgencyID != o.Agency.ID || e.IP != "192.0.2.7" {
				t.Errorf("event %s: %+v, want the request's metadata", e.Action, e)
			}
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			got, err := tx.AuditEvents(ctx, store.AuditFilter{Action: "audit."})
			if err == nil && (len(got) != 1 || got[0].Action != "audit.view") {
				t.Errorf("category filter: %+v", got)
			}
			got, err = tx.AuditEvents(ctx, store.AuditFilter{ActorID: o.Caseworker.ID})
			if err == nil && len(got) != 0 {
				t.Errorf("actor filter: %+v", got)
			}
			return err
		})
	})
}

// TestAuditTamper changes the stored chain behind the store's back, one way
// per fresh database, and expects VerifyAudit to say where.
func TestAuditTamper(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sql     []string
		wantSeq int64
		says    string
	}{
		{"edit a row's detail", []string{`UPDATE audit_events SET detail = '{"n":99}' WHERE seq = 3`}, 3, "edited"},
		{"edit a row's actor", []string{`UPDATE audit_events SET actor_role = 'system_admin' WHERE seq = 2`}, 2, "edited"},
		{"delete a middle row", []string{`DELETE FROM audit_events WHERE seq = 3`}, 3, "missing"},
		{"delete the last row", []string{`DELETE FROM audit_events WHERE seq = 5`}, 5, "head records event 5"},
		{"swap two rows' seq (reorder)", []string{
			`UPDATE audit_events SET seq = 1000 WHERE seq = 2`,
			`UPDATE audit_events SET seq = 2 WHERE seq = 3`,
			`UPDATE audit_events SET seq = 3 WHERE seq = 1000`,
		}, 2, "does not follow"},
		{"edit the head's hash", []string{`UPDATE audit_head SET hash = '` + strings.Repeat("a", 64) + `' WHERE id = 1`}, 5, "head edited"},
		{"delete the last row and move the head back", []string{
			`DELETE FROM audit_events WHERE seq = 5`,
			`UPDATE audit_head SET seq = 4 WHERE id = 1`,
		}, 4, "head"},
		{"insert a forged row", []string{
			`INSERT INTO audit_events (seq, id, at, actor_role, action, record_type, record_id, ip, reason, detail, prev_hash, hash)
			 SELECT 6, '` + store.NewID() + `', at, actor_role, action, record_type, record_id, ip, reason, detail, hash, hash
			 FROM audit_events WHERE seq = 5`,
		}, 6, "edited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *store.DB) {
				for i := 1; i <= 5; i++ {
					fixture.In(t, db, func(tx *store.Tx) error { return tx.Record(ctx, event(i)) })
				}
				verifyOK(t, db, 5)
				for _, q := range tt.sql {
					if err := db.ExecRaw(ctx, q); err != nil {
						t.Fatalf("tamper: %v", err)
					}
				}
				v, err := db.VerifyAudit(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if v.OK() {
					t.Fatal("VerifyAudit found nothing wrong")
				}
				found := false
				for _, p := range v.Problems {
					found = found || (p.Seq == tt.wantSeq && strings.Contains(p.Msg, tt.says))
				}
				if !found {
					t.Errorf("problems %v, want one at event %d saying %q", v.Problems, tt.wantSeq, tt.says)
				}
			})
		})
	}
}

// TestTxRollsBack: a transaction that fails writes nothing, its audit
// events included; one that succeeds writes everything.
func TestTxRollsBack(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		boom := errors.New("boom")
		ran := false
		err := db.Tx(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() { ran = true })
			if err := tx.InsertAgency(ctx, &org.Agency{Name: "Doomed", Code: "DOOM", CreatedAt: fixture.Now}); err != nil {
				return err
			}
			if err := tx.Record(ctx, audit.Event{Action: "agency.create"}); err != nil {
				return err
			}
			return fmt.Errorf("later step: %w", boom)
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx = %v, want the function's error", err)
		}
		if ran {
			t.Error("AfterCommit ran for a rolled-back transaction")
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			as, err := tx.Agencies(ctx)
			if len(as) != 0 {
				t.Errorf("agencies after rollback: %+v", as)
			}
			return err
		})
		verifyOK(t, db, 0)

		// A failing statement rolls back what came before it in the transaction.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertAgency(ctx, &org.Agency{Name: "One", Code: "ONE", CreatedAt: fixture.Now}); err != nil {
				return err
			}
			if err := tx.Record(ctx, audit.Event{Action: "agency.create"}); err != nil {
				return err
			}
			return tx.InsertAgency(ctx, &org.Agency{Name: "Two", Code: "ONE", CreatedAt: fixture.Now})
		})
		if !cmpFields(err, "code") {
			t.Fatalf("duplicate code: %v, want a field error on code", err)
		}
		verifyOK(t, db, 0)

		err = db.Tx(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() { ran = true })
			if err := tx.InsertAgency(ctx, &org.Agency{Name: "Kept", Code: "KEEP", CreatedAt: fixture.Now}); err != nil {
				return err
			}
			return tx.Record(ctx, audit.Event{Action: "agency.create"})
		})
		if err != nil || !ran {
			t.Fatalf("Tx = %v, AfterCommit ran %v", err, ran)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			as, err := tx.Agencies(ctx)
			if len(as) != 1 || as[0].Code != "KEEP" {
				t.Errorf("agencies after commit: %+v", as)
			}
			return err
		})
		verifyOK(t, db, 1)
	})
}

func cmpFields(err error, field string) bool {
	var f interface{ Has(string) bool }
	if errors.As(err, &f) {
		return f.Has(field)
	}
	return false
}
