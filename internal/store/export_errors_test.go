package store

import "context"

// OneStringForTest runs q, which returns one text column, through queryRow
// and scans its first row: tests see how a failed query's error is labelled.
func (tx *Tx) OneStringForTest(ctx context.Context, q string, args ...any) (string, error) {
	var s string
	err := tx.queryRow(ctx, q, args...).Scan(&s)
	return s, err
}

// IntsForTest runs q, which returns one integer column, through query and
// scans every row.
func (tx *Tx) IntsForTest(ctx context.Context, q string, args ...any) ([]int, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ExecForTest runs q through exec.
func (tx *Tx) ExecForTest(ctx context.Context, q string, args ...any) error {
	_, err := tx.exec(ctx, q, args...)
	return err
}

// OuterForTest calls the exported operation Case from inside another
// exported operation, for the label of a failure nested in two.
func (tx *Tx) OuterForTest(ctx context.Context, id string) error {
	_, err := tx.Case(ctx, id)
	return err
}
