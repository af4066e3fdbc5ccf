package store

import "context"

// CountRows returns the number of rows of table, for tests that check
// what a method left behind.
func (db *DB) CountRows(ctx context.Context, table string) (int, error) {
	var n int
	err := db.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n)
	return n, err
}
