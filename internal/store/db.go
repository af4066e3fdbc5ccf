// Package store is SafeCase's storage on SQLite (the embedded default) and
// PostgreSQL (at scale): opening, migrations, the dialect differences, one
// transaction helper, and the SQL behind every domain operation. SQL is
// written once with ? placeholders and rebound to $n for PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"

	"github.com/safecase/safecase/internal/errs"
)

// DB is an open database. On SQLite writes go through a pool of one
// connection (SQLite has one writer; queuing in Go avoids busy errors) and
// reads through a separate pool; on PostgreSQL both use one pool.
type DB struct {
	w, r  *sql.DB
	pg    bool
	url   string
	audit *auditWriter
	keys  atomic.Pointer[keyState] // the deployment's key (UseKeys), nil without
	// sawKeyed records that this process saw the chain keyed with its key:
	// a head without a key after that was stripped of it.
	sawKeyed atomic.Bool
	onTamper atomic.Pointer[func(found string)] // OnTampering

	rebound sync.Map // query string -> PostgreSQL form

	// Prepared statements of the SQLite read pool, by query. database/sql
	// keeps one prepared copy per connection and reuses it inside
	// transactions, so a page's queries are parsed once per connection, not
	// once per request. (The one-connection write pool cannot prepare on the
	// pool while a transaction holds its connection, so writes are not cached.)
	rStmts, preparing sync.Map

	// The background preparations (prepareRead), which Close waits for: one
	// still opening a connection would otherwise create files after Close.
	bgMu     sync.Mutex
	bgClosed bool
	bg       sync.WaitGroup
}

// Options tune Open.
type Options struct {
	// Readers is the size of the SQLite read pool (default 4).
	Readers int
	// Bulk turns off SQLite's fsync for bulk loading (safecase gen). Never for serving.
	Bulk bool
}

// Open opens the database at dbURL: postgres://… or postgresql://… for
// PostgreSQL; sqlite:path, file:path or a plain path for SQLite.
func Open(ctx context.Context, dbURL string, opt Options) (*DB, error) {
	if strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://") {
		return openPostgres(ctx, dbURL)
	}
	return openSQLite(ctx, dbURL, opt)
}

// IsPostgres reports whether dbURL selects PostgreSQL.
func IsPostgres(dbURL string) bool {
	return strings.HasPrefix(dbURL, "postgres://") || strings.HasPrefix(dbURL, "postgresql://")
}

func openPostgres(ctx context.Context, dbURL string) (*DB, error) {
	d, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	d.SetMaxOpenConns(20)
	d.SetMaxIdleConns(20)
	d.SetConnMaxIdleTime(5 * time.Minute)
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open postgres %s: %w", redact(dbURL), err)
	}
	db := &DB{w: d, r: d, pg: true, url: dbURL}
	db.audit = newAuditWriter(db)
	return db, nil
}

func openSQLite(ctx context.Context, dbURL string, opt Options) (*DB, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return nil, errors.New("open sqlite: the database URL names no file")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
	}
	sync := "FULL" // an acknowledged write, audit events included, survives a power cut
	if opt.Bulk {
		sync = "OFF"
	}
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)"
	w, err := sql.Open("sqlite", base+"&_pragma=synchronous("+sync+")&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	readers := opt.Readers
	if readers <= 0 {
		readers = 4
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)&_pragma=cache_size(-16000)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	db := &DB{w: w, r: r, url: dbURL}
	db.audit = newAuditWriter(db)
	return db, nil
}

// redact drops the password from a database URL for messages.
func redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// Close stops the audit writer and closes the pools.
func (db *DB) Close() error {
	db.audit.close()
	db.bgMu.Lock()
	db.bgClosed = true
	db.bgMu.Unlock()
	db.bg.Wait()
	db.rStmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	err := db.w.Close()
	if db.r != db.w {
		if e := db.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Postgres reports whether db is PostgreSQL.
func (db *DB) Postgres() bool { return db.pg }

// Engine names the engine, for messages and benchmarks.
func (db *DB) Engine() string {
	if db.pg {
		return "postgres"
	}
	return "sqlite"
}

// Ping checks the database answers, for /readyz.
func (db *DB) Ping(ctx context.Context) error { return db.r.PingContext(ctx) }

// querier is what *sql.Tx and *sql.DB share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx runs queries inside one transaction (or, from Read, one read-only
// snapshot). The domain packages' storage interfaces are its methods.
type Tx struct {
	q        querier
	sqlTx    *sql.Tx
	pool     *sql.DB
	db       *DB
	writable bool
	after    []func()
	events   []pendingEvent
}

// Tx runs fn in a write transaction: it commits when fn returns nil and rolls
// back otherwise, so a failed request writes nothing.
func (db *DB) Tx(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store.Tx: begin: %w", err)
	}
	tx := &Tx{q: sqlTx, sqlTx: sqlTx, pool: db.w, db: db, writable: true}
	if err := fn(tx); err != nil {
		if rb := sqlTx.Rollback(); rb != nil && !errors.Is(rb, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("store.Tx: rollback: %w", rb))
		}
		return err
	}
	if err := tx.flushAudit(ctx); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store.Tx: commit: %w", err)
	}
	for _, f := range tx.after {
		f()
	}
	return nil
}

// Read runs fn against a consistent read-only snapshot.
func (db *DB) Read(ctx context.Context, fn func(*Tx) error) error {
	var opts *sql.TxOptions
	if db.pg {
		opts = &sql.TxOptions{ReadOnly: true}
	}
	sqlTx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store.Read: begin: %w", err)
	}
	defer sqlTx.Rollback()
	return fn(&Tx{q: sqlTx, sqlTx: sqlTx, pool: db.r, db: db})
}

// AfterCommit runs f once the transaction has committed (never if it rolls back).
func (tx *Tx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

// rebind turns ? placeholders into $1, $2… for PostgreSQL, leaving quoted text alone.
func (db *DB) rebind(q string) string {
	if !db.pg {
		return q
	}
	if v, ok := db.rebound.Load(q); ok {
		return v.(string)
	}
	out := Rebind(q)
	db.rebound.Store(q, out)
	return out
}

// Rebind converts ? placeholders to $n, skipping string literals and quoted identifiers.
func Rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// stmt returns q prepared for use in tx, or nil when it is not (yet)
// cached: PostgreSQL (pgx caches its own), the write pool, or a query seen
// for the first time. A new query is prepared on the pool in the background:
// preparing it here could wait for a free connection while every connection
// is held by a transaction like this one.
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if tx.db.pg || tx.sqlTx == nil || tx.pool != tx.db.r {
		return nil
	}
	v, ok := tx.db.rStmts.Load(q)
	if !ok {
		if _, busy := tx.db.preparing.LoadOrStore(q, true); !busy {
			db := tx.db
			db.bgMu.Lock()
			if !db.bgClosed {
				db.bg.Add(1)
				go func() {
					defer db.bg.Done()
					db.prepareRead(q)
				}()
			}
			db.bgMu.Unlock()
		}
		return nil
	}
	return tx.sqlTx.StmtContext(ctx, v.(*sql.Stmt))
}

// prepareRead prepares q on the read pool and caches it.
func (db *DB) prepareRead(q string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := db.r.PrepareContext(ctx, q)
	if err != nil {
		db.preparing.Delete(q) // try again on a later use
		return
	}
	db.rStmts.Store(q, st)
}

// The store's errors name the store operation that failed ("store.Case:
// …"), so that a 5xx log line says which query to look at. exec, query and
// queryRow label the errors they return, and the rows and row they return
// label the errors of Scan and Err, so the methods that run SQL need no
// code of their own for it. A label is the name of the exported store
// method running (found on the stack, on the error path only: a query that
// succeeds pays nothing) — never the query's arguments or any value read.
// The error stays wrapped, so errors.Is(err, sql.ErrNoRows),
// errors.Is(err, context.Canceled) and errs.KindOf see through the label.
//
// exec runs a statement in tx: through the read pool's cached statement
// when there is one, refusing arguments the engines would not store alike.
func (tx *Tx) exec(ctx context.Context, q string, args ...any) (res sql.Result, err error) {
	if unstorable(args) {
		return nil, labelled(errUnstorable)
	}
	if st := tx.stmt(ctx, q); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = tx.q.ExecContext(ctx, tx.db.rebind(q), args...)
	}
	if err != nil {
		return nil, labelled(err)
	}
	return res, nil
}

// query runs a query in tx; arguments no engine could store find nothing.
func (tx *Tx) query(ctx context.Context, q string, args ...any) (storeRows, error) {
	var rows *sql.Rows
	var err error
	if unstorable(args) {
		rows, err = tx.q.QueryContext(ctx, findsNothing)
	} else if st := tx.stmt(ctx, q); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = tx.q.QueryContext(ctx, tx.db.rebind(q), args...)
	}
	if err != nil {
		return storeRows{}, labelled(err)
	}
	return storeRows{rows}, nil
}

// queryRow runs a query of at most one row in tx; its error, if any, comes
// with Scan.
func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) storeRow {
	if unstorable(args) {
		return storeRow{tx.q.QueryRowContext(ctx, findsNothing)}
	}
	if st := tx.stmt(ctx, q); st != nil {
		return storeRow{st.QueryRowContext(ctx, args...)}
	}
	return storeRow{tx.q.QueryRowContext(ctx, tx.db.rebind(q), args...)}
}

// storeRows is the result of query: *sql.Rows whose Scan and Err label
// their errors with the store operation.
type storeRows struct{ *sql.Rows }

// Scan is (*sql.Rows).Scan, its error labelled.
func (r storeRows) Scan(dest ...any) error { return labelled(withoutValue(r.Rows.Scan(dest...))) }

// Err is (*sql.Rows).Err, its error labelled.
func (r storeRows) Err() error { return labelled(r.Rows.Err()) }

// storeRow is the result of queryRow: *sql.Row whose Scan and Err label
// their errors (sql.ErrNoRows included) with the store operation.
type storeRow struct{ row *sql.Row }

// Scan is (*sql.Row).Scan, its error labelled.
func (r storeRow) Scan(dest ...any) error { return labelled(withoutValue(r.row.Scan(dest...))) }

// Err is (*sql.Row).Err, its error labelled.
func (r storeRow) Err() error { return labelled(r.row.Err()) }

// withoutValue returns the error of a Scan without the value it could not
// convert, which database/sql quotes ("converting driver.Value type string
// ("…") to a int"): a stored value may be case content, and errors end in
// logs. The column's name stays.
func withoutValue(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "sql: Scan error on column index ") {
		return err
	}
	if i := strings.Index(msg, ": converting "); i >= 0 {
		return errors.New(msg[:i] + ": the stored value does not convert to the destination's type (value not shown)")
	}
	return err
}

// labelled returns err (nil for nil) wrapped with the name of the store
// operation that is running, as operation finds it.
func labelled(err error) error {
	if err == nil {
		return nil
	}
	return &opError{op: operation(3), err: err}
}

// opError is an error labelled with the store operation that returned it.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// storePrefix begins the name of every function of package store.
const storePrefix = "github.com/safecase/safecase/internal/store."

// operation names the store operation running in the caller of the caller
// of its caller (skip counts as runtime.Callers does): the exported store
// functions and methods on the stack, outermost first, up to the first
// frame outside the package — "store.Case", or "store.SetRisk: store.Case"
// when one operation failed inside another. Unexported helpers, closures
// inside a method (named after it) and the methods of unexported types are
// left out; a stack with no exported store function (a background
// goroutine of the store) is named after its outermost store function.
func operation(skip int) string {
	var ops []string
	outer := ""
	// The stack is read a few frames at a time: the walk usually leaves the
	// package within the first few.
	var pcs [8]uintptr
walk:
	for {
		n := runtime.Callers(skip+1, pcs[:])
		if n == 0 {
			break
		}
		frames := runtime.CallersFrames(pcs[:n])
		for {
			f, more := frames.Next()
			name, ok := strings.CutPrefix(f.Function, storePrefix)
			if !ok {
				break walk
			}
			recv, fn := splitFuncName(name)
			outer = fn
			if recv != "" {
				outer = recv + "." + fn
			}
			if exported(fn) && (recv == "" || exported(recv)) && (len(ops) == 0 || ops[len(ops)-1] != fn) {
				ops = append(ops, fn)
			}
			if !more {
				break
			}
		}
		if n < len(pcs) {
			break
		}
		skip += n
	}
	switch len(ops) {
	case 0:
		if outer == "" {
			return "store"
		}
		return "store." + outer
	case 1:
		return "store." + ops[0]
	}
	slices.Reverse(ops)
	return "store." + strings.Join(ops, ": store.")
}

// splitFuncName splits the name of a function of package store, as the
// runtime spells it after the package path, into its receiver type (empty
// for a function) and its name, dropping pointers, type arguments and the
// suffixes of closures: "(*Tx).Case.func1" is ("Tx", "Case"),
// "storeRows.Scan" is ("storeRows", "Scan"), "Open.func2.1" is ("", "Open"),
// "oneByID[...]" is ("", "oneByID").
func splitFuncName(name string) (recv, fn string) {
	if rest, ok := strings.CutPrefix(name, "("); ok {
		r, after, _ := strings.Cut(rest, ").")
		recv, name = strings.TrimPrefix(r, "*"), after
	}
	parts := strings.Split(name, ".")
	fn = parts[0]
	if recv == "" && len(parts) > 1 && !closureSuffix(parts[1]) {
		recv, fn = parts[0], parts[1] // a method with a value receiver
	}
	recv, _, _ = strings.Cut(recv, "[")
	fn, _, _ = strings.Cut(fn, "[")
	return recv, fn
}

// closureSuffix reports whether s is how the runtime names a closure, a
// deferred or a go statement's call inside a function: func1, 2, deferwrap1, gowrap1.
func closureSuffix(s string) bool {
	s = strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(s, "func"), "deferwrap"), "gowrap"), "0123456789")
	return s == ""
}

// exported reports whether name is exported.
func exported(name string) bool { return name != "" && name[0] >= 'A' && name[0] <= 'Z' }

// queryStrings runs a query of one text column and returns its values in
// the order of the rows.
func (tx *Tx) queryStrings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// execOne runs an UPDATE or DELETE that must touch exactly one row; it
// returns errs.NotFound when it touched none.
func (tx *Tx) execOne(ctx context.Context, what, q string, args ...any) error {
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return labelled(err)
	}
	if n == 0 {
		return errs.E(errs.NotFound, "%s", what)
	}
	return nil
}

// NewID returns a new UUIDv7: time-ordered, safe to create offline.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// ms converts a time to the stored form: milliseconds since the epoch.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts stored milliseconds back to a time in UTC.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// nullMS stores a zero time as NULL.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromNullMS reads a nullable millisecond column.
func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// nullStr stores an empty string as NULL (for optional references).
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullInt stores a nil *int as NULL.
func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// fromNullInt reads a nullable integer column.
func fromNullInt(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	i := int(v.Int64)
	return &i
}

// notFound converts sql.ErrNoRows into errs.NotFound naming what was sought.
// oneByID runs q (which ends in "WHERE x.id = ?") for id and returns the
// only record scan reads from it, or NotFound naming what; a malformed ID is
// not found either.
func oneByID[T any](ctx context.Context, tx *Tx, what, q, id string, scan func(storeRows) ([]T, error)) (*T, error) {
	if badID(id) {
		return nil, errs.E(errs.NotFound, "%s", what)
	}
	rows, err := tx.query(ctx, q, id)
	if err != nil {
		return nil, err
	}
	out, err := scan(rows)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errs.E(errs.NotFound, "%s", what)
	}
	return &out[0], nil
}

// badID reports whether id cannot be a record's ID. PostgreSQL refuses a
// malformed UUID with an error (and aborts the transaction); both engines
// answer it as a missing record instead.
func badID(id string) bool { return uuid.Validate(id) != nil }

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "%s", what)
	}
	return err
}

// isUnique reports whether err is a unique-constraint violation on either engine.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}
