package store

import (
	"context"
	"fmt"
	"strings"
)

// CaseChangesQuery is the timeline's query, for its plan.
const CaseChangesQuery = caseChangesQuery

// ExecRaw runs q (with ? placeholders) on the write pool, outside the
// store's methods: tests use it to tamper with the database behind the
// store's back, as an attacker with database access would.
func (db *DB) ExecRaw(ctx context.Context, q string, args ...any) error {
	_, err := db.w.ExecContext(ctx, db.rebind(q), args...)
	return err
}

// MigrateTo applies the migrations up to version upTo only: tests build a
// database as an earlier release left it.
func (db *DB) MigrateTo(ctx context.Context, upTo int) ([]string, error) {
	return db.migrate(ctx, upTo)
}

// Explain returns the engine's query plan for q (with ? placeholders) as
// text. On PostgreSQL sequential scans are switched off for the plan, so
// that a small test table shows which index the planner can use.
func (db *DB) Explain(ctx context.Context, q string, args ...any) (string, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	prefix := "EXPLAIN QUERY PLAN "
	if db.pg {
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			return "", err
		}
		prefix = "EXPLAIN "
	}
	rows, err := tx.QueryContext(ctx, prefix+db.rebind(q), args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		fmt.Fprintln(&out, vals...)
	}
	return out.String(), rows.Err()
}

// CountRaw returns the first column of the first row of q (with ?
// placeholders), an integer: tests look behind the store's back.
func (db *DB) CountRaw(ctx context.Context, q string, args ...any) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, db.rebind(q), args...).Scan(&n)
	return n, err
}
