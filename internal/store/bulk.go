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
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/search"
)

// Bulk loads many cases in one transaction for safecase gen: rows are
// buffered and written with multi-row INSERTs through prepared statements,
// and the audit chain head is kept in memory and written back at Commit.
//
// Bulk bypasses the domain operations, so its caller must hand it the rows
// the operations would have produced: unique case codes (Case does not draw
// another on a clash), next_due_at equal to the earliest open deadline (what
// RefreshNextDue stores), parents before the rows that refer to them. Rows
// are written table by table in foreign-key order at each flush, so a case's
// lifecycle rows (bulk_lifecycle.go) may be buffered in any order after it.
type Bulk struct {
	db      *DB
	tx      *sql.Tx
	head    audit.Head     // the chain's head, kept in memory while the load runs
	chainer *audit.Chainer // keyed with key when the process has one
	key     audit.Key

	cases, identity, risk, people, personIdentity, consents, overrides, exclusions, deadlines, events *bulkTable
	tokens                                                                                            *bulkTable   // the search index (search.go)
	order                                                                                             []*bulkTable // foreign-key order: parents first

	hasher      *search.Hasher    // the search key's, nil without a key
	agencyOf    map[string]string // the agency of each case buffered since the last flush, for its family's tokens
	searchFresh bool              // the index covered every case when the load began: it will cover them after

	life  *bulkLife  // the lifecycle tables (bulk_lifecycle.go)
	coord *bulkCoord // referrals and their grants (bulk_coord.go)

	prepared map[bulkShape]*sql.Stmt // on the pool, prepared once per load
	stmts    map[bulkShape]*sql.Stmt // the same, bound to the current transaction
	pending  int                     // cases buffered since the last flush
}

// bulkShape is one prepared statement: an INSERT of n rows into a table.
type bulkShape struct {
	t *bulkTable
	n int
}

// bulkTable buffers the rows of one table.
type bulkTable struct {
	name     string
	cols     string
	ncols    int
	perStmt  int // rows in one INSERT
	args     []any
	ignoring bool // ON CONFLICT DO NOTHING: a row already there is skipped
}

func (t *bulkTable) rows() int { return len(t.args) / t.ncols }

func (t *bulkTable) add(args ...any) {
	if len(args) != t.ncols {
		panic(fmt.Sprintf("bulk %s: %d values for %d columns", t.name, len(args), t.ncols))
	}
	t.args = append(t.args, args...)
}

// insertSQL returns a multi-row INSERT of n rows.
func (t *bulkTable) insertSQL(n int) string {
	var b strings.Builder
	row := "(" + strings.Repeat("?, ", t.ncols-1) + "?)"
	b.Grow(len(t.cols) + 32 + n*(len(row)+2))
	b.WriteString("INSERT INTO ")
	b.WriteString(t.name)
	b.WriteString(" (")
	b.WriteString(t.cols)
	b.WriteString(") VALUES ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	if t.ignoring {
		b.WriteString(" ON CONFLICT DO NOTHING")
	}
	return b.String()
}

// bulkFlushCases is how many cases are buffered before the rows are written.
const bulkFlushCases = 512

// bulkRows is the most rows one INSERT carries; statements of fewer rows
// come in powers of two, so that every shape is prepared once per load.
const bulkRows = 256

// maxBulkParams keeps one statement under both engines' parameter limits
// (SQLite 32766, PostgreSQL 65535).
const maxBulkParams = 30000

func newBulkTable(name, cols string) *bulkTable {
	n := strings.Count(cols, ",") + 1
	per := bulkRows
	for per*n > maxBulkParams {
		per /= 2
	}
	return &bulkTable{name: name, cols: strings.Join(strings.Fields(cols), " "), ncols: n, perStmt: per}
}

// BeginBulk starts a bulk load and its first transaction. On SQLite the
// load holds the one writer until Commit or Rollback; on PostgreSQL each
// transaction locks the audit chain head.
func (db *DB) BeginBulk(ctx context.Context) (*Bulk, error) {
	if !db.pg {
		// A bigger page cache keeps the indexes of a large load in memory.
		// Foreign keys go unchecked while it runs (the caller hands parents
		// first, and PostgreSQL still checks every row): each check is an
		// index lookup for every row of every child table.
		for _, q := range []string{"PRAGMA cache_size = -262144", "PRAGMA foreign_keys = OFF"} {
			if _, err := db.w.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("bulk: %w", err)
			}
		}
	}
	b := &Bulk{db: db, prepared: map[bulkShape]*sql.Stmt{}, stmts: map[bulkShape]*sql.Stmt{}}
	b.cases = newBulkTable("cases", caseCols)
	b.identity = newBulkTable("case_identity", `case_id, given_name, family_name, other_names, date_of_birth,
		location, address, contact, registration_number, notes`)
	b.risk = newBulkTable("risk_changes", "id, case_id, from_level, to_level, reason, changed_by, changed_at")
	b.people = newBulkTable("case_people", `id, case_id, relationship, is_caregiver, alleged_perpetrator, alive,
		lives_with_child, age_years, sex, created_by, created_at, updated_at, version`)
	b.personIdentity = newBulkTable("person_identity", "person_id, name, contact, address, notes")
	b.consents = newBulkTable("consents", consentCols)
	b.overrides = newBulkTable("consent_overrides", `id, case_id, scope, basis, reason, approved_by, approved_at,
		revoked_at, revoked_by`)
	b.exclusions = newBulkTable("sharing_exclusions", `id, case_id, kind, agency_id, name, reason, added_by,
		added_at, removed_at, removed_by`)
	b.deadlines = newBulkTable("deadlines", deadlineCols)
	b.events = newBulkTable("audit_events", auditCols)
	// A family member's phone may be the child's: the index keeps it once.
	b.tokens = newBulkTable("search_tokens", "token, agency_id, case_id, kind")
	b.tokens.ignoring = true
	b.hasher, b.agencyOf = db.searchHasher(), map[string]string{}
	if err := b.searchState(ctx); err != nil {
		return nil, err
	}
	b.order = []*bulkTable{b.cases, b.identity, b.risk, b.people, b.personIdentity, b.consents, b.overrides,
		b.exclusions, b.deadlines, b.events, b.tokens}
	b.lifecycleTables()
	b.coordTables()
	// Prepare every statement shape before the transaction takes SQLite's
	// one writer connection; each transaction then reuses them.
	for _, t := range b.order {
		for n := t.perStmt; n >= 1; n /= 2 {
			st, err := db.w.PrepareContext(ctx, db.rebind(t.insertSQL(n)))
			if err != nil {
				b.closeStmts()
				return nil, fmt.Errorf("bulk: prepare %s: %w", t.name, err)
			}
			b.prepared[bulkShape{t, n}] = st
		}
	}
	if err := b.begin(ctx); err != nil {
		b.closeStmts()
		return nil, err
	}
	return b, nil
}

// begin starts a transaction and reads the audit chain head.
func (b *Bulk) begin(ctx context.Context) error {
	tx, err := b.db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("bulk: begin: %w", err)
	}
	t := &Tx{q: tx, sqlTx: tx, pool: b.db.w, db: b.db, writable: true}
	h, err := t.auditHead(ctx, true)
	found := ""
	if err == nil {
		b.chainer, b.key, found, err = b.db.chainer(&h)
	}
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("bulk: %w", err)
	}
	b.head = h
	b.tx = tx
	clear(b.stmts)
	if found != "" {
		p := tamperEvent(found, time.Now())
		return b.Audit(p.e)
	}
	return nil
}

// Case buffers case c and its identity. c.NextDueAt is stored as given
// (zero for nothing due); the case code must be free.
func (b *Bulk) Case(ctx context.Context, c *cases.Case, id *cases.Identity) error {
	if c.ID == "" {
		c.ID = NewID()
	}
	details, err := json.Marshal(c.Details)
	if err != nil {
		return err
	}
	next := noDue
	if !c.NextDueAt.IsZero() {
		next = ms(c.NextDueAt)
	}
	b.cases.add(c.ID, c.Code, c.Type, c.AgencyID, c.TeamID, c.CaseworkerID, c.Status, c.Step, c.RiskLevel, c.Urgent,
		c.Priority, c.CareStatus, c.CareArrangement, c.Sex, nullInt(c.AgeYears), c.AgeEstimated, c.RegisteredOn,
		c.RegistrationPlace, ms(c.ReferredAt), ms(c.RegisteredAt), c.Source, jsonList(c.Concerns), string(details),
		jsonList(c.Declined), nullStr(c.ScreeningID), next, c.CreatedBy, ms(c.CreatedAt), c.UpdatedBy,
		ms(c.UpdatedAt), c.Version, c.ConsentSince, c.AgeOutPathway, nullMS(c.ClosedAt), c.ClosureReason, c.Reopened,
		nullStr(c.FollowUpBy))
	b.identity.add(c.ID, id.GivenName, id.FamilyName, id.OtherNames, id.DateOfBirth, id.Location, id.Address,
		id.Contact, id.RegistrationNumber, id.Notes)
	if b.hasher != nil {
		b.agencyOf[c.ID] = c.AgencyID
		for _, e := range b.hasher.Entries(search.Person{GivenName: id.GivenName, FamilyName: id.FamilyName,
			OtherNames: id.OtherNames, DateOfBirth: id.DateOfBirth, Location: id.Location, Contact: id.Contact,
			RegistrationPlace: c.RegistrationPlace}) {
			b.tokens.add(int64(e.Token), c.AgencyID, c.ID, int16(e.Kind))
		}
	}
	b.pending++
	if b.pending >= bulkFlushCases {
		return b.flush(ctx)
	}
	return nil
}

// RiskChange buffers an entry of a case's risk history.
func (b *Bulk) RiskChange(r *cases.RiskChange) {
	if r.ID == "" {
		r.ID = NewID()
	}
	b.risk.add(r.ID, r.CaseID, r.From, r.To, r.Reason, r.ChangedBy, ms(r.ChangedAt))
}

// Person buffers a family member and their identifying data.
func (b *Bulk) Person(x *cases.Person) {
	if x.ID == "" {
		x.ID = NewID()
	}
	if x.Version == 0 {
		x.Version = 1
	}
	b.people.add(x.ID, x.CaseID, x.Relationship, x.IsCaregiver, x.AllegedPerpetrator, x.Alive, x.LivesWithChild,
		nullInt(x.AgeYears), x.Sex, x.CreatedBy, ms(x.CreatedAt), ms(x.UpdatedAt), x.Version)
	b.personIdentity.add(x.ID, x.Name, x.Contact, x.Address, x.Notes)
	if agency, ok := b.agencyOf[x.CaseID]; ok && b.hasher != nil {
		for _, d := range search.Phones(x.Contact) {
			b.tokens.add(int64(b.hasher.Token(search.Phone, d)), agency, x.CaseID, int16(search.Phone))
		}
	} else if x.Contact != "" {
		b.searchFresh = false // a family member of a case flushed before: its phone is not in the index
	}
}

// Consent buffers a consent or assent record.
func (b *Bulk) Consent(r *consent.Record) {
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.Version == 0 {
		r.Version = 1
	}
	b.consents.add(r.ID, r.CaseID, r.Scope, r.Giver, nullStr(r.PersonID), r.Kind, r.Decision, r.Method, r.ObtainedOn,
		r.ObtainedBy, r.ToldMandatoryReporting, r.Notes, nullMS(r.WithdrawnAt), nullStr(r.WithdrawnBy),
		r.WithdrawalReason, ms(r.CreatedAt), r.Version)
}

// Override buffers a supervisor's consent override.
func (b *Bulk) Override(o *consent.Override) {
	if o.ID == "" {
		o.ID = NewID()
	}
	b.overrides.add(o.ID, o.CaseID, o.Scope, o.Basis, o.Reason, o.ApprovedBy, ms(o.ApprovedAt),
		nullMS(o.RevokedAt), nullStr(o.RevokedBy))
}

// Exclusion buffers an entry of a case's sharing exclusion list.
func (b *Bulk) Exclusion(e *consent.Exclusion) {
	if e.ID == "" {
		e.ID = NewID()
	}
	b.exclusions.add(e.ID, e.CaseID, e.Kind, nullStr(e.AgencyID), e.Name, e.Reason, e.AddedBy, ms(e.AddedAt),
		nullMS(e.RemovedAt), nullStr(e.RemovedBy))
}

// Deadline buffers a deadline.
func (b *Bulk) Deadline(d *deadline.Deadline) {
	if d.ID == "" {
		d.ID = NewID()
	}
	b.deadlines.add(d.ID, nullStr(d.CaseID), string(d.Kind), ms(d.AnchorAt), ms(d.DueAt), d.AssigneeID,
		nullStr(d.TeamID), d.AgencyID, nullMS(d.DoneAt), nullStr(d.DoneBy), ms(d.CreatedAt))
}

// Audit appends event e to the chain after the events buffered so far.
// e.At must be set: a bulk load records when things happened, not when it ran.
func (b *Bulk) Audit(e audit.Event) error {
	if e.At.IsZero() {
		return errors.New("bulk: audit event without a time")
	}
	if e.ID == "" {
		e.ID = NewID()
	}
	b.chainer.Chain(&e, e.Content(), b.head.Seq, b.head.Hash)
	b.events.add(e.Seq, e.ID, ms(e.At), nullStr(e.ActorID), e.ActorRole, e.Action, e.RecordType, e.RecordID,
		nullStr(e.CaseID), nullStr(e.AgencyID), e.IP, e.Reason, e.Detail, e.PrevHash, e.Hash)
	b.head.Seq, b.head.Hash = e.Seq, e.Hash
	return nil
}

// flush writes every buffered row, parents first.
func (b *Bulk) flush(ctx context.Context) error {
	for _, t := range b.order {
		if err := b.write(ctx, t); err != nil {
			return fmt.Errorf("bulk insert into %s: %w", t.name, err)
		}
	}
	b.pending = 0
	clear(b.agencyOf)
	return nil
}

// write inserts t's buffered rows in statements of bulkRows rows, then of
// the powers of two that make up the rest.
func (b *Bulk) write(ctx context.Context, t *bulkTable) error {
	args := t.args
	for n := t.perStmt; n >= 1 && len(args) > 0; n /= 2 {
		for len(args) >= n*t.ncols {
			sh := bulkShape{t, n}
			st := b.stmts[sh]
			if st == nil {
				st = b.tx.StmtContext(ctx, b.prepared[sh])
				b.stmts[sh] = st
			}
			if _, err := st.ExecContext(ctx, args[:n*t.ncols]...); err != nil {
				return err
			}
			args = args[n*t.ncols:]
		}
	}
	clear(t.args)
	t.args = t.args[:0]
	return nil
}

// commit writes what is buffered, moves the audit chain head and commits
// the current transaction.
func (b *Bulk) commit(ctx context.Context) error {
	if err := b.flush(ctx); err != nil {
		return err
	}
	t := &Tx{q: b.tx, sqlTx: b.tx, pool: b.db.w, db: b.db, writable: true}
	if err := t.writeHead(ctx, b.head, b.key); err != nil {
		return fmt.Errorf("bulk: %w", err)
	}
	var err error
	if b.hasher != nil && b.searchFresh {
		err = t.markSearchCurrent(ctx, time.Now())
	} else {
		_, err = t.exec(ctx, "DELETE FROM search_state")
	}
	if err != nil {
		return fmt.Errorf("bulk: search index state: %w", err)
	}
	err = b.tx.Commit()
	b.tx = nil
	if err != nil {
		return fmt.Errorf("bulk: commit: %w", err)
	}
	return nil
}

// Next commits what the load holds so far and starts the next transaction:
// a large load commits every few thousand cases.
func (b *Bulk) Next(ctx context.Context) error {
	if err := b.commit(ctx); err != nil {
		b.Rollback()
		return err
	}
	if err := b.begin(ctx); err != nil {
		b.Rollback()
		return err
	}
	return nil
}

// Commit writes what is buffered, moves the audit chain head, commits and
// ends the load.
func (b *Bulk) Commit(ctx context.Context) error {
	err := b.commit(ctx)
	b.Rollback()
	return err
}

// Rollback abandons what is not yet committed and ends the load; it is safe
// to call after Commit.
func (b *Bulk) Rollback() {
	if b.tx != nil {
		b.tx.Rollback()
		b.tx = nil
	}
	if len(b.prepared) > 0 && !b.db.pg {
		// Give the writer back its usual page cache (SQLite's default) and
		// its foreign key checks.
		b.db.w.ExecContext(context.Background(), "PRAGMA cache_size = -2000")
		b.db.w.ExecContext(context.Background(), "PRAGMA foreign_keys = ON")
	}
	b.closeStmts()
}

func (b *Bulk) closeStmts() {
	clear(b.stmts)
	for sh, st := range b.prepared {
		st.Close()
		delete(b.prepared, sh)
	}
}

// CaseCodes returns every case code in use, so a bulk load can draw codes
// that do not clash.
func (db *DB) CaseCodes(ctx context.Context) ([]string, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT code FROM cases")
	if err != nil {
		return nil, fmt.Errorf("case codes: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// searchState notes whether the search index covers every case as the
// load begins (it is current, or there are no cases): the load indexes
// what it writes, so the index still covers every case after it. Otherwise
// the load marks it stale, and the next start rebuilds it.
func (b *Bulk) searchState(ctx context.Context) error {
	if b.hasher == nil {
		return nil
	}
	current, err := b.db.SearchIndexCurrent(ctx)
	if err != nil {
		return err
	}
	if !current {
		var any int
		err := b.db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM cases LIMIT 1) x").Scan(&any)
		if err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
		current = any == 0
	}
	b.searchFresh = current
	return nil
}
