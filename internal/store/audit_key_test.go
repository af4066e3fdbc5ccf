package store_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// openURL opens the database at url (migrated up to version upTo, all
// when 0), without a key, closed when the test ends.
func openURL(t *testing.T, url string, upTo int) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if upTo > 0 {
		_, err = db.MigrateTo(ctx, upTo)
	} else {
		_, err = db.Migrate(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// eachURL runs fn with the URL of a fresh, empty database on every engine.
func eachURL(t *testing.T, fn func(t *testing.T, url string)) {
	for _, eng := range testdb.Engines(t) {
		t.Run(eng, func(t *testing.T) { fn(t, testdb.URL(t, eng)) })
	}
}

func otherKeys(t *testing.T) *keys.Set {
	ks, err := keys.New(bytes.Repeat([]byte{7}, keys.Size), "other")
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func record(t *testing.T, db *store.DB, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		fixture.In(t, db, func(tx *store.Tx) error { return tx.Record(ctx, event(i)) })
	}
}

// verify returns db's verification of its chain against checkpoints.
func verifyWith(t *testing.T, db *store.DB, cps ...audit.Checkpoint) *audit.Verifier {
	t.Helper()
	v, err := db.VerifyAudit(ctx, cps...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// has reports whether one of v's problems contains every one of want.
func has(v *audit.Verifier, want ...string) bool {
	for _, p := range v.Problems {
		all := true
		for _, w := range want {
			all = all && strings.Contains(p.String(), w)
		}
		if all {
			return true
		}
	}
	return false
}

// TestAuditChainIsKeyed: events are hashed with the key, not with the
// public SHA-256, and the head is sealed with it.
func TestAuditChainIsKeyed(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		record(t, db, 1, 3)
		if err := db.Audit(ctx, event(4)); err != nil {
			t.Fatal(err)
		}
		for _, e := range allEvents(t, db) {
			if e.Hash == e.ComputeHash() {
				t.Errorf("event %d carries the unkeyed hash", e.Seq)
			}
		}
		h, err := db.AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		k := testdb.Keys()
		if h.Seq != 4 || h.KeyedFrom != 1 || h.KeyID != k.ID() || !h.Sealed(k.Derive(keys.AuditChain)) {
			t.Errorf("head %+v, want event 4, keyed from 1 with key %s, sealed", h, k.ID())
		}
		if v := verifyWith(t, db); !v.OK() || v.KeyedFrom != 1 || v.Count != 4 {
			t.Errorf("verify: %v, keyed from %d, %d events", v.Problems, v.KeyedFrom, v.Count)
		}
	})
}

// TestAuditHeadReset: an attacker clears the head's key and rehashes the
// whole chain with SHA-256, so that it looks like a chain from before
// keys; the deployment, which has a key, reports it.
func TestAuditHeadReset(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		record(t, db, 1, 4)
		events := allEvents(t, db)
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
		rewriteUnkeyed(t, db, events, 1, func(e *audit.Event) {
			if e.Seq == 2 {
				e.Detail = `{"n":"hidden"}`
			}
		})
		if err := db.ExecRaw(ctx, "UPDATE audit_head SET keyed_from = 0, key_id = '', mac = '' WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		v := verifyWith(t, db)
		if v.OK() || !has(v, "head", "names no key although this deployment has one") {
			t.Errorf("problems %v, want the reset head reported", v.Problems)
		}
	})
}

// TestAuditHeadMissing: deleting the head is reported as tampering — by
// verification, which still checks every event, and by every write, which
// is refused — never as an SQL error.
func TestAuditHeadMissing(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		record(t, db, 1, 3)
		if err := db.ExecRaw(ctx, "DELETE FROM audit_head"); err != nil {
			t.Fatal(err)
		}
		v := verifyWith(t, db)
		if v.OK() || v.Count != 3 || !has(v, "head: tampering: the chain's head record is missing") {
			t.Errorf("verify: %v, %d events", v.Problems, v.Count)
		}
		if _, err := db.AuditHead(ctx); !errors.Is(err, audit.ErrHeadMissing) {
			t.Errorf("AuditHead: %v", err)
		}
		if err := db.Audit(ctx, event(4)); !errors.Is(err, audit.ErrHeadMissing) {
			t.Errorf("a read's event: %v, want the head reported missing", err)
		}
		err := db.Tx(ctx, func(tx *store.Tx) error { return tx.Record(ctx, event(5)) })
		if !errors.Is(err, audit.ErrHeadMissing) {
			t.Errorf("a write's event: %v, want the head reported missing", err)
		}
		if _, err := db.BindAuditKey(ctx, fixture.Now); !errors.Is(err, audit.ErrHeadMissing) {
			t.Errorf("BindAuditKey: %v", err)
		}
		if _, err := db.AuditCheckpoint(ctx, fixture.Now); !errors.Is(err, audit.ErrHeadMissing) {
			t.Errorf("AuditCheckpoint: %v", err)
		}
		if n := len(allEvents(t, db)); n != 3 {
			t.Errorf("%d events stored, want the 3 from before", n)
		}
	})
}

// TestAuditRollback: a rollback of the database to an earlier state (its
// last events deleted and the head restored from a copy taken then) leaves
// a consistent chain; the checkpoints taken since catch it.
func TestAuditRollback(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		record(t, db, 1, 3)
		old, err := db.AuditHead(ctx) // the insider's copy
		if err != nil {
			t.Fatal(err)
		}
		cp3, err := db.AuditCheckpoint(ctx, fixture.Now)
		if err != nil {
			t.Fatal(err)
		}
		record(t, db, 4, 5)
		cp5, err := db.AuditCheckpoint(ctx, fixture.Now.Add(5*60e9))
		if err != nil {
			t.Fatal(err)
		}
		if cp5.Seq != 5 || cp5.KeyedFrom != 1 || cp5.KeyID != testdb.Keys().ID() {
			t.Errorf("checkpoint %+v", cp5)
		}
		cp3.Where, cp5.Where = "cp3", "cp5"
		if v := verifyWith(t, db, cp3, cp5); !v.OK() || v.Checkpoints != 2 {
			t.Fatalf("before: %v, %d checkpoints", v.Problems, v.Checkpoints)
		}

		if err := db.ExecRaw(ctx, "DELETE FROM audit_events WHERE seq > 3"); err != nil {
			t.Fatal(err)
		}
		if err := db.ExecRaw(ctx, "UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1", old.Seq, old.Hash, old.MAC); err != nil {
			t.Fatal(err)
		}
		if v := verifyWith(t, db); !v.OK() {
			t.Fatalf("the rolled-back chain alone: %v (a whole-database rollback is consistent)", v.Problems)
		}
		v := verifyWith(t, db, cp3, cp5)
		if v.OK() || !has(v, "cp5", "truncated", "recorded event 5", "ends at event 3") || has(v, "cp3") {
			t.Errorf("rolled back: %v", v.Problems)
		}

		// The server goes on after the rollback: events 4 and 5 exist
		// again, but they are not the ones the checkpoint recorded.
		record(t, db, 104, 105)
		v = verifyWith(t, db, cp3, cp5)
		if v.OK() || !has(v, "cp5", "rewritten: event 5") || has(v, "cp3") {
			t.Errorf("rolled back and rewritten: %v", v.Problems)
		}

		// A forged checkpoint line: the attacker edits the recorded hash.
		forged, err := audit.ParseCheckpoint(strings.Replace(cp5.String(), cp5.Hash, allEvents(t, db)[0].Hash, 1))
		if err != nil {
			t.Fatal(err)
		}
		forged.Where = "forged"
		if v := verifyWith(t, db, forged); !has(v, "forged", "forged or altered checkpoint") {
			t.Errorf("forged checkpoint: %v", v.Problems)
		}
	})
}

// TestAuditCheckpointRefusesMovedHead: no checkpoint vouches for a head
// that does not match its MAC.
func TestAuditCheckpointRefusesMovedHead(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		record(t, db, 1, 3)
		if err := db.ExecRaw(ctx, "DELETE FROM audit_events WHERE seq = 3"); err != nil {
			t.Fatal(err)
		}
		if err := db.ExecRaw(ctx, "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2) WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if cp, err := db.AuditCheckpoint(ctx, fixture.Now); err == nil || !strings.Contains(err.Error(), "does not match its MAC") {
			t.Errorf("AuditCheckpoint = %v, %v; want a refusal", cp, err)
		}
	})
}

// TestAuditWrongKey: a process with another key, or none, writes nothing
// to a keyed chain and cannot verify it.
func TestAuditWrongKey(t *testing.T) {
	t.Parallel()
	eachURL(t, func(t *testing.T, url string) {
		db := openURL(t, url, 0)
		db.UseKeys(testdb.Keys())
		record(t, db, 1, 2)

		other := openURL(t, url, 0)
		other.UseKeys(otherKeys(t))
		keyless := openURL(t, url, 0)
		for name, x := range map[string]*store.DB{"another key": other, "no key": keyless} {
			var wk *store.WrongKeyError
			err := x.Tx(ctx, func(tx *store.Tx) error { return tx.Record(ctx, event(3)) })
			if !errors.As(err, &wk) || wk.ChainKeyID != testdb.Keys().ID() {
				t.Errorf("%s: a write's event: %v", name, err)
			}
			if err := x.Audit(ctx, event(4)); !errors.As(err, &wk) {
				t.Errorf("%s: a read's event: %v", name, err)
			}
			if _, err := x.VerifyAudit(ctx); !errors.As(err, &wk) {
				t.Errorf("%s: verify: %v", name, err)
			}
		}
		if _, err := other.BindAuditKey(ctx, fixture.Now); err == nil || !strings.Contains(err.Error(), "not with this process's key") {
			t.Errorf("BindAuditKey with another key: %v", err)
		}
		if cp, err := db.BindAuditKey(ctx, fixture.Now); err != nil || cp != nil {
			t.Errorf("BindAuditKey on a chain keyed with the same key: %v, %v; want nothing to do", cp, err)
		}
		if v := verifyWith(t, db); !v.OK() || v.Count != 2 {
			t.Errorf("after the refusals: %v, %d events", v.Problems, v.Count)
		}
	})
}

// appendOld appends n events from seq as the release before keys did:
// rows hashed with the unkeyed SHA-256, and the head's seq and hash.
func appendOld(t *testing.T, db *store.DB, seq int64, hash string, n int) (int64, string) {
	t.Helper()
	for i := 0; i < n; i++ {
		e := event(int(seq) + 1)
		e.ID, e.At, e.ActorRole = store.NewID(), fixture.Now, "system_admin"
		e.Chain(nil, seq, hash)
		err := db.ExecRaw(ctx, `INSERT INTO audit_events (seq, id, at, actor_role, action, record_type, record_id,
			ip, reason, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Seq, e.ID, e.At.UnixMilli(), e.ActorRole, e.Action, e.RecordType, e.RecordID, e.IP, e.Reason, e.Detail, e.PrevHash, e.Hash)
		if err != nil {
			t.Fatal(err)
		}
		seq, hash = e.Seq, e.Hash
	}
	if err := db.ExecRaw(ctx, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", seq, hash); err != nil {
		t.Fatal(err)
	}
	return seq, hash
}

// TestAuditPreKeyDatabase: a database from before keys migrates; its
// events keep their unkeyed hashes, the chain is keyed from the next event
// on, the point where it was keyed is a checkpoint, and the unkeyed part
// cannot be rewritten unnoticed.
func TestAuditPreKeyDatabase(t *testing.T) {
	t.Parallel()
	eachURL(t, func(t *testing.T, url string) {
		db := openURL(t, url, 5) // the release before keys
		seq, hash := appendOld(t, db, 0, audit.Genesis, 4)
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		// Without a key it verifies as it did.
		if v := verifyWith(t, db); !v.OK() || v.Count != 4 || v.KeyedFrom != 0 {
			t.Fatalf("after migrating: %v, %d events, keyed from %d", v.Problems, v.Count, v.KeyedFrom)
		}
		db.UseKeys(testdb.Keys())
		cp, err := db.BindAuditKey(ctx, fixture.Now)
		if err != nil || cp == nil {
			t.Fatalf("BindAuditKey = %v, %v", cp, err)
		}
		if cp.Seq != seq || cp.Hash != hash || cp.KeyedFrom != 5 || cp.KeyID != testdb.Keys().ID() {
			t.Errorf("the keying checkpoint %+v, want event %d %s keyed from 5", cp, seq, hash)
		}
		cp.Where = "keyed"
		record(t, db, 5, 7)
		v := verifyWith(t, db, *cp)
		if !v.OK() || v.Count != 7 || v.KeyedFrom != 5 || v.Checkpoints != 1 {
			t.Fatalf("continued keyed: %v, %d events, keyed from %d", v.Problems, v.Count, v.KeyedFrom)
		}
		events := allEvents(t, db)
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
		for _, e := range events {
			if keyed := e.Hash != e.ComputeHash(); keyed != (e.Seq >= 5) {
				t.Errorf("event %d: keyed %v", e.Seq, keyed)
			}
		}

		// The unkeyed part rewritten and rehashed up to the keyed part.
		rewriteUnkeyed(t, db, events[:4], 2, func(e *audit.Event) {
			if e.Seq == 2 {
				e.Detail = `{"n":"hidden"}`
			}
		})
		if err := db.ExecRaw(ctx, "UPDATE audit_head SET hash = ? WHERE id = 1", events[6].Hash); err != nil {
			t.Fatal(err) // rewriteUnkeyed moved the head to event 4's new hash: put it back
		}
		v = verifyWith(t, db, *cp)
		if v.OK() || !has(v, "event 5: does not follow") || !has(v, "keyed", "rewritten: event 4") {
			t.Errorf("unkeyed part rewritten: %v", v.Problems)
		}
	})
}

// TestAuditKeyedOnFirstWrite: a process with a key that appends to a
// chain without one keys it from that event on, in the same transaction,
// and a process without a key can no longer append.
func TestAuditKeyedOnFirstWrite(t *testing.T) {
	t.Parallel()
	eachURL(t, func(t *testing.T, url string) {
		keyless := openURL(t, url, 0)
		record(t, keyless, 1, 2)
		if v := verifyWith(t, keyless); !v.OK() || v.KeyedFrom != 0 {
			t.Fatalf("unkeyed: %v", v.Problems)
		}
		db := openURL(t, url, 0)
		db.UseKeys(testdb.Keys())
		if err := db.Audit(ctx, event(3)); err != nil {
			t.Fatal(err)
		}
		record(t, db, 4, 4)
		if v := verifyWith(t, db); !v.OK() || v.KeyedFrom != 3 || v.Count != 4 {
			t.Errorf("keyed on the first write: %v, keyed from %d", v.Problems, v.KeyedFrom)
		}
		var wk *store.WrongKeyError
		if err := keyless.Audit(ctx, event(5)); !errors.As(err, &wk) {
			t.Errorf("keyless append to a keyed chain: %v", err)
		}
	})
}

// TestAuditTamperingRecorded: a server that finds the head moved without
// the key (events deleted from the end) or stripped of its key does not
// paper over it by sealing the head again at its next write: it records
// what it found as an event of the keyed chain, which verification keeps
// reporting, and goes on.
func TestAuditTamperingRecorded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sql, found string
	}{
		{"head moved back", "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2) WHERE id = 1",
			"did not match its MAC"},
		{"head stripped of its key", "UPDATE audit_head SET keyed_from = 0, key_id = '', mac = '' WHERE id = 1",
			"had lost its key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *store.DB) {
				var mu sync.Mutex
				var told []string
				db.OnTampering(func(found string) {
					mu.Lock()
					defer mu.Unlock()
					told = append(told, found)
				})
				record(t, db, 1, 3)
				if tt.found == "did not match its MAC" {
					if err := db.ExecRaw(ctx, "DELETE FROM audit_events WHERE seq = 3"); err != nil {
						t.Fatal(err)
					}
				}
				if err := db.ExecRaw(ctx, tt.sql); err != nil {
					t.Fatal(err)
				}
				// The server goes on: a read, then a write.
				if err := db.Audit(ctx, event(10)); err != nil {
					t.Fatal(err)
				}
				record(t, db, 11, 11)
				v := verifyWith(t, db)
				if v.OK() || !has(v, "SafeCase found the chain tampered with", tt.found) {
					t.Errorf("problems %v, want the tampering found by the server reported", v.Problems)
				}
				var found []audit.Event
				for _, e := range allEvents(t, db) {
					if e.Action == audit.ActionTampering {
						found = append(found, e)
					}
				}
				if len(found) != 1 {
					t.Errorf("%d tampering events, want 1: %+v", len(found), found)
				}
				mu.Lock()
				defer mu.Unlock()
				if len(told) != 1 || !strings.Contains(told[0], tt.found) {
					t.Errorf("OnTampering was told %q, want once about %q", told, tt.found)
				}
			})
		})
	}
}

// TestBulkAuditKeyed: a bulk load (safecase gen) keys its events too,
// refuses a chain keyed with another key, and records tampering it finds
// with the head when each of its transactions begins.
func TestBulkAuditKeyed(t *testing.T) {
	t.Parallel()
	eachURL(t, func(t *testing.T, url string) {
		db := openURL(t, url, 0)
		db.UseKeys(testdb.Keys())
		load := func(db *store.DB, n int) error {
			b, err := db.BeginBulk(ctx)
			if err != nil {
				return err
			}
			for i := 0; i < n; i++ {
				e := event(100 + i)
				e.At = fixture.Now
				if err := b.Audit(e); err != nil {
					b.Rollback()
					return err
				}
				if i == 1 {
					if err := b.Next(ctx); err != nil {
						return err
					}
				}
			}
			return b.Commit(ctx)
		}
		if err := load(db, 3); err != nil {
			t.Fatal(err)
		}
		if v := verifyWith(t, db); !v.OK() || v.Count != 3 || v.KeyedFrom != 1 {
			t.Fatalf("bulk load: %v, %d events, keyed from %d", v.Problems, v.Count, v.KeyedFrom)
		}
		other := openURL(t, url, 0)
		other.UseKeys(otherKeys(t))
		var wk *store.WrongKeyError
		if err := load(other, 1); !errors.As(err, &wk) {
			t.Errorf("bulk load with another key: %v", err)
		}
		if err := db.ExecRaw(ctx, "DELETE FROM audit_events WHERE seq = 3"); err != nil {
			t.Fatal(err)
		}
		if err := db.ExecRaw(ctx, "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2) WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
		if err := load(db, 2); err != nil {
			t.Fatal(err)
		}
		v := verifyWith(t, db)
		if v.OK() || len(v.Problems) != 1 || !has(v, "event 3: SafeCase found the chain tampered with", "did not match its MAC") {
			t.Errorf("bulk load over a moved head: %v", v.Problems)
		}
	})
}
