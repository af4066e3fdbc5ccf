package store

import "context"

// ExecRaw runs q (with ? placeholders) on the write pool, outside the
// store's methods: tests use it to tamper with the database behind the
// store's back, as an attacker with database access would.
func (db *DB) ExecRaw(ctx context.Context, q string, args ...any) error {
	_, err := db.w.ExecContext(ctx, db.rebind(q), args...)
	return err
}
