package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/search"
)

// keyState is the deployment's key as the store uses it.
type keyState struct {
	set    *keys.Set
	audit  audit.Key
	search *search.Hasher
}

// UseKeys gives db the deployment's key: from then on the audit events it
// writes are keyed, and it refuses to write to a chain keyed with another
// key. Call it once, after Open and Migrate and before any event is
// written.
func (db *DB) UseKeys(ks *keys.Set) {
	db.keys.Store(&keyState{set: ks, audit: audit.Key{Secret: ks.Derive(keys.AuditChain), ID: ks.ID()},
		search: search.NewHasher(ks.Derive(keys.SearchIndex))})
}

// Keys returns the deployment's key given to UseKeys, or nil.
func (db *DB) Keys() *keys.Set {
	if k := db.keys.Load(); k != nil {
		return k.set
	}
	return nil
}

// auditKey returns the audit chain's key, or the zero Key without one.
func (db *DB) auditKey() audit.Key {
	if k := db.keys.Load(); k != nil {
		return k.audit
	}
	return audit.Key{}
}

// WrongKeyError reports that the audit chain is keyed with another key
// than the one the process holds (or that it holds none).
type WrongKeyError struct {
	ChainKeyID string // the key the chain is keyed with
	KeyID      string // the process's key; "" for none
}

func (e *WrongKeyError) Error() string {
	if e.KeyID == "" {
		return fmt.Sprintf("the audit chain is keyed with key %s, and this process has no key", e.ChainKeyID)
	}
	return fmt.Sprintf("the audit chain is keyed with key %s, not with this process's key %s", e.ChainKeyID, e.KeyID)
}

// headQuery reads the chain's head.
const headQuery = "SELECT seq, hash, keyed_from, key_id, mac FROM audit_head WHERE id = 1"

// auditHead reads the chain's head; with lock, it locks it until the
// transaction ends (PostgreSQL; on SQLite the one writer is the lock). A
// missing head is audit.ErrHeadMissing.
func (tx *Tx) auditHead(ctx context.Context, lock bool) (audit.Head, error) {
	q := headQuery
	if lock && tx.db.pg {
		q += " FOR UPDATE"
	}
	var h audit.Head
	err := tx.queryRow(ctx, q).Scan(&h.Seq, &h.Hash, &h.KeyedFrom, &h.KeyID, &h.MAC)
	if errors.Is(err, sql.ErrNoRows) || isUndefinedTable(err) {
		return h, audit.ErrHeadMissing
	}
	if err != nil {
		return h, fmt.Errorf("audit head: %w", err)
	}
	if key := tx.db.auditKey(); h.Keyed() && h.KeyID == key.ID {
		tx.db.sawKeyed.Store(true)
	}
	return h, nil
}

// isUndefinedTable reports whether err says a table does not exist.
func isUndefinedTable(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "no such table: audit_head") || (strings.Contains(s, "SQLSTATE 42P01") && strings.Contains(s, "audit_head"))
}

// chainer checks that the process may append to the chain whose head is h
// and returns the chainer to append with. A process with a key binds a
// chain without one to it (keyed from the next event); a process without a
// key appends unkeyed events only to a chain that has none.
//
// It also says what it found wrong with the head, if anything: a head that
// does not match its MAC (moved back over deleted events, or rewritten),
// or one stripped of its key after this process saw it keyed. Sealing such
// a head again would hide what was done, so the caller records it first
// (tamperEvent).
func (db *DB) chainer(h *audit.Head) (_ *audit.Chainer, _ audit.Key, found string, _ error) {
	key := db.auditKey()
	switch {
	case key.IsZero() && h.Keyed():
		return nil, key, "", &WrongKeyError{ChainKeyID: h.KeyID}
	case key.IsZero():
		return audit.NewChainer(nil), key, "", nil
	case !h.Keyed():
		if db.sawKeyed.Load() {
			found = fmt.Sprintf("the head had lost its key (its keyed start, key and MAC were cleared) at event %d", h.Seq)
		}
		h.Bind(key)
	case h.KeyID != key.ID:
		return nil, key, "", &WrongKeyError{ChainKeyID: h.KeyID, KeyID: key.ID}
	case !h.Sealed(key.Secret):
		found = fmt.Sprintf("the head at event %d did not match its MAC (moved back over deleted events, or rewritten)", h.Seq)
	}
	return audit.NewChainer(key.Secret), key, found, nil
}

// OnTampering makes db call f, after the commit, each time it records
// tampering it found with the audit chain's head (serve logs it). Call it
// before any event is written.
func (db *DB) OnTampering(f func(found string)) { db.onTamper.Store(&f) }

// tampered calls the OnTampering function, if any, once tx commits.
func (tx *Tx) tampered(found string) {
	if f := tx.db.onTamper.Load(); f != nil {
		tx.AfterCommit(func() { (*f)(found) })
	}
}

// tamperEvent is the event that records tampering found with the head.
func tamperEvent(found string, now time.Time) pendingEvent {
	detail, _ := json.Marshal(map[string]string{"found": found})
	return prepare(context.Background(), audit.Event{Action: audit.ActionTampering, RecordType: "audit_head",
		Detail: string(detail), At: now})
}

// writeHead stores head h, sealed with key when there is one.
func (tx *Tx) writeHead(ctx context.Context, h audit.Head, key audit.Key) error {
	if !key.IsZero() {
		h.Seal(key.Secret)
	}
	_, err := tx.exec(ctx, "UPDATE audit_head SET seq = ?, hash = ?, keyed_from = ?, key_id = ?, mac = ? WHERE id = 1",
		h.Seq, h.Hash, h.KeyedFrom, h.KeyID, h.MAC)
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	return nil
}

// AuditHead returns the recorded head of the audit chain: audit.ErrHeadMissing
// when the record is gone.
func (db *DB) AuditHead(ctx context.Context) (audit.Head, error) {
	var h audit.Head
	err := db.Read(ctx, func(tx *Tx) error {
		var err error
		h, err = tx.auditHead(ctx, false)
		return err
	})
	return h, err
}

// BindAuditKey keys the audit chain with the key given to UseKeys, from
// the next event on, if it has no key yet, and returns the checkpoint of
// that point at now: the events before it keep their unkeyed hashes, and
// the checkpoint, kept outside the database, shows later that they were
// not rewritten. It returns nil when the chain was keyed already with this
// key, and a *WrongKeyError when with another.
func (db *DB) BindAuditKey(ctx context.Context, now time.Time) (*audit.Checkpoint, error) {
	key := db.auditKey()
	if key.IsZero() {
		return nil, errors.New("bind the audit chain: no key (UseKeys)")
	}
	var cp *audit.Checkpoint
	err := db.Tx(ctx, func(tx *Tx) error {
		h, err := tx.auditHead(ctx, true)
		if err != nil {
			return err
		}
		if h.Keyed() {
			if h.KeyID != key.ID {
				return &WrongKeyError{ChainKeyID: h.KeyID, KeyID: key.ID}
			}
			return nil
		}
		h.Bind(key)
		if err := tx.writeHead(ctx, h, key); err != nil {
			return err
		}
		c := audit.NewCheckpoint(key, h, now)
		cp = &c
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.sawKeyed.Store(true)
	return cp, nil
}

// AuditCheckpoint returns the checkpoint of the audit chain's head at now,
// sealed with the key. It refuses a head that does not match its MAC: a
// checkpoint must not vouch for a head someone moved.
func (db *DB) AuditCheckpoint(ctx context.Context, now time.Time) (audit.Checkpoint, error) {
	key := db.auditKey()
	if key.IsZero() {
		return audit.Checkpoint{}, errors.New("audit checkpoint: no key")
	}
	h, err := db.AuditHead(ctx)
	if err != nil {
		return audit.Checkpoint{}, err
	}
	switch {
	case !h.Keyed():
		return audit.Checkpoint{}, errors.New("audit checkpoint: the chain has no key yet")
	case h.KeyID != key.ID:
		return audit.Checkpoint{}, &WrongKeyError{ChainKeyID: h.KeyID, KeyID: key.ID}
	case !h.Sealed(key.Secret):
		return audit.Checkpoint{}, errors.New("audit checkpoint: the chain's head does not match its MAC " +
			"(it was moved or rewritten without the key): run 'safecase audit verify'")
	}
	return audit.NewCheckpoint(key, h, now), nil
}
