package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/safecase/safecase/internal/audit"
)

// pendingEvent is an audit event waiting to be chained, with the digest of
// its content, computed before the chain's head is locked.
type pendingEvent struct {
	e audit.Event
	d audit.Digest
}

// prepare completes e from ctx (actor, time, ID) and digests its content.
func prepare(ctx context.Context, e audit.Event) pendingEvent {
	e.Fill(ctx, time.Now())
	if e.ID == "" {
		e.ID = NewID()
	}
	e.At = e.At.Truncate(time.Millisecond)
	return pendingEvent{e: e, d: e.Content()}
}

// Record queues audit event e to be written in this transaction, just
// before it commits: the event commits with the change or not at all, and the
// chain head stays locked for the shortest time.
func (tx *Tx) Record(ctx context.Context, e audit.Event) error {
	if !tx.writable {
		return errors.New("audit: record in a read-only transaction")
	}
	tx.events = append(tx.events, prepare(ctx, e))
	return nil
}

// flushAudit appends tx's queued events to the chain.
func (tx *Tx) flushAudit(ctx context.Context) error {
	if len(tx.events) == 0 {
		return nil
	}
	return tx.appendEvents(ctx, tx.events)
}

// appendEvents chains events after the current head and stores them. The
// head is locked from here to the commit; the events' content digests were
// computed before, so only the short keyed link of each is computed here.
func (tx *Tx) appendEvents(ctx context.Context, events []pendingEvent) error {
	h, err := tx.auditHead(ctx, true)
	if err != nil {
		return err
	}
	ch, key, found, err := tx.db.chainer(&h)
	if err != nil {
		return err
	}
	if found != "" {
		events = append([]pendingEvent{tamperEvent(found, time.Now())}, events...)
		tx.tampered(found)
	}
	for i := range events {
		e := &events[i].e
		ch.Chain(e, events[i].d, h.Seq, h.Hash)
		_, err := tx.exec(ctx, `INSERT INTO audit_events (seq, id, at, actor_id, actor_role, action,
			record_type, record_id, case_id, agency_id, ip, reason, detail, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Seq, e.ID, ms(e.At), nullStr(e.ActorID), e.ActorRole, e.Action, e.RecordType, e.RecordID,
			nullStr(e.CaseID), nullStr(e.AgencyID), e.IP, e.Reason, e.Detail, e.PrevHash, e.Hash)
		if err != nil {
			return fmt.Errorf("audit append: %w", err)
		}
		h.Seq, h.Hash = e.Seq, e.Hash
	}
	return tx.writeHead(ctx, h, key)
}

// auditWriter batches audit events of reads (group commit): many page views
// share one transaction and one disk flush, and each waits until its event is
// durable before its page is sent.
type auditWriter struct {
	db   *DB
	ch   chan auditReq
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

type auditReq struct {
	p    pendingEvent
	done chan error
}

const auditBatch = 256

func newAuditWriter(db *DB) *auditWriter {
	w := &auditWriter{db: db, ch: make(chan auditReq, 4096), quit: make(chan struct{})}
	w.wg.Add(1)
	go w.run()
	return w
}

func (w *auditWriter) run() {
	defer w.wg.Done()
	batch := make([]auditReq, 0, auditBatch)
	for {
		select {
		case r := <-w.ch:
			batch = append(batch[:0], r)
		case <-w.quit:
			// Drain what is queued so no acknowledged caller is left waiting.
			for {
				select {
				case r := <-w.ch:
					w.write([]auditReq{r})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < auditBatch {
			select {
			case r := <-w.ch:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		w.write(batch)
	}
}

func (w *auditWriter) write(batch []auditReq) {
	events := make([]pendingEvent, len(batch))
	for i, r := range batch {
		events[i] = r.p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := w.db.Tx(ctx, func(tx *Tx) error { return tx.appendEvents(ctx, events) })
	cancel()
	for _, r := range batch {
		r.done <- err
	}
}

func (w *auditWriter) close() {
	w.once.Do(func() {
		close(w.quit)
		w.wg.Wait()
	})
}

// AuditAsync queues event e (a read) for the next group commit and returns a
// function that waits until it is durable. Callers start it early, do their
// work, and wait before answering.
func (db *DB) AuditAsync(ctx context.Context, e audit.Event) func() error {
	r := auditReq{p: prepare(ctx, e), done: make(chan error, 1)}
	select {
	case db.audit.ch <- r:
	case <-ctx.Done():
		return func() error { return ctx.Err() }
	}
	return func() error {
		select {
		case err := <-r.done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Audit records event e outside any other transaction and waits until it is durable.
func (db *DB) Audit(ctx context.Context, e audit.Event) error {
	return db.AuditAsync(ctx, e)()
}

const auditCols = `seq, id, at, actor_id, actor_role, action, record_type, record_id,
	case_id, agency_id, ip, reason, detail, prev_hash, hash`

func scanEvent(sc interface{ Scan(...any) error }) (audit.Event, error) {
	var e audit.Event
	var at int64
	var actor, caseID, agency sql.NullString
	err := sc.Scan(&e.Seq, &e.ID, &at, &actor, &e.ActorRole, &e.Action, &e.RecordType, &e.RecordID,
		&caseID, &agency, &e.IP, &e.Reason, &e.Detail, &e.PrevHash, &e.Hash)
	e.At = fromMS(at)
	e.ActorID, e.CaseID, e.AgencyID = actor.String, caseID.String, agency.String
	return e, err
}

// VerifyAudit walks the whole chain in order and checks it against its
// head, with the key given to UseKeys, and against checkpoints (from
// outside the database) if given. A missing head is reported among the
// problems, as tampering. It returns an error when the chain is keyed
// with another key than db's, or db has none.
func (db *DB) VerifyAudit(ctx context.Context, checkpoints ...audit.Checkpoint) (*audit.Verifier, error) {
	key := db.auditKey()
	var v *audit.Verifier
	err := db.Read(ctx, func(tx *Tx) error {
		h, err := tx.auditHead(ctx, false)
		head := &h
		switch {
		case errors.Is(err, audit.ErrHeadMissing):
			head = nil
		case err != nil:
			return err
		case h.Keyed() && h.KeyID != key.ID:
			return &WrongKeyError{ChainKeyID: h.KeyID, KeyID: key.ID}
		}
		v = audit.NewVerifier(key, head)
		for _, c := range checkpoints {
			v.Expect(c)
		}
		rows, err := tx.query(ctx, "SELECT "+auditCols+" FROM audit_events ORDER BY seq")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				return err
			}
			v.Add(e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		v.Finish()
		return nil
	})
	return v, err
}

// AuditFilter selects audit events for the data protection officer's view.
type AuditFilter struct {
	ActorID  string
	Action   string // an action, or a category ending in ".", e.g. "case."
	CaseID   string
	AgencyID string // only events of this agency; empty for all
	From, To time.Time
	Before   int64 // keyset: only events with seq below this
	Limit    int

	// IP selects the events from one address, as stored.
	IP string
	// Actions selects events of any of these actions (with Action, both
	// must hold): "who read this case" passes every read action.
	Actions []string
	// After pages towards the newer events: only events with seq above
	// this, the oldest first in the query, returned newest first.
	After int64
}

// caseChangesQuery repeats the WHERE clause of the partial index
// audit_case_changes (migration 0004) word for word, so the planner uses it.
const caseChangesQuery = `SELECT seq, at, action, actor_id FROM audit_events
	WHERE case_id = ? AND action NOT LIKE '%.view' AND action NOT LIKE 'access.%'
	ORDER BY seq DESC LIMIT ?`

// CaseChanges returns the latest limit events of case caseID that are not
// reads or denials — what changed — newest first, with only the time, the
// action and the actor. Its WHERE clause is the partial index's
// (audit_case_changes), so reads do not slow it down.
func (tx *Tx) CaseChanges(ctx context.Context, caseID string, limit int) ([]audit.Event, error) {
	rows, err := tx.query(ctx, caseChangesQuery, caseID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		var e audit.Event
		var at int64
		var actor sql.NullString
		if err := rows.Scan(&e.Seq, &at, &e.Action, &actor); err != nil {
			return nil, err
		}
		e.At, e.CaseID, e.ActorID = fromMS(at), caseID, actor.String
		out = append(out, e)
	}
	return out, rows.Err()
}

// auditWhere returns the WHERE clause (with its "WHERE") and arguments of f.
func auditWhere(f AuditFilter) (string, []any) {
	var where []string
	var args []any
	if f.ActorID != "" {
		where, args = append(where, "actor_id = ?"), append(args, f.ActorID)
	}
	if strings.HasSuffix(f.Action, ".") {
		// A category such as "case.": every action from "case." up to "case/".
		where = append(where, "action >= ? AND action < ?")
		args = append(args, f.Action, strings.TrimSuffix(f.Action, ".")+"/")
	} else if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if len(f.Actions) > 0 {
		where = append(where, "action IN (?"+strings.Repeat(", ?", len(f.Actions)-1)+")")
		for _, a := range f.Actions {
			args = append(args, a)
		}
	}
	if f.CaseID != "" {
		where, args = append(where, "case_id = ?"), append(args, f.CaseID)
	}
	if f.AgencyID != "" {
		where, args = append(where, "agency_id = ?"), append(args, f.AgencyID)
	}
	if f.IP != "" {
		where, args = append(where, "ip = ?"), append(args, f.IP)
	}
	if !f.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, ms(f.To))
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	} else if f.After > 0 {
		where, args = append(where, "seq > ?"), append(args, f.After)
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// AuditEvents returns events matching f, newest first: the newest Limit
// (at most 500) below f.Before, or with f.After the oldest Limit above it.
// Paging by sequence number (keyset) reads one index range whatever the
// page, never skipping over rows as OFFSET would.
func (tx *Tx) AuditEvents(ctx context.Context, f AuditFilter) ([]audit.Event, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	where, args := auditWhere(f)
	order := " ORDER BY seq DESC LIMIT ?"
	if f.Before <= 0 && f.After > 0 {
		order = " ORDER BY seq LIMIT ?"
	}
	var out []audit.Event
	err := tx.eachEvent(ctx, "SELECT "+auditCols+" FROM audit_events"+where+order, append(args, f.Limit), func(e audit.Event) error {
		out = append(out, e)
		return nil
	})
	if f.Before <= 0 && f.After > 0 {
		slices.Reverse(out)
	}
	return out, err
}

// EachAuditEvent calls fn with each event matching f (its Before, After
// and Limit too, Limit unbounded when 0), newest first, as the rows
// arrive: an export streams them without holding them all.
func (tx *Tx) EachAuditEvent(ctx context.Context, f AuditFilter, fn func(audit.Event) error) error {
	f.After = 0
	where, args := auditWhere(f)
	q := "SELECT " + auditCols + " FROM audit_events" + where + " ORDER BY seq DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return tx.eachEvent(ctx, q, args, fn)
}

// eachEvent runs query q and calls fn with each event it returns.
func (tx *Tx) eachEvent(ctx context.Context, q string, args []any, fn func(audit.Event) error) error {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
