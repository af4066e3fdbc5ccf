package store

import (
	"context"
	"time"
)

// MigrateThrough applies the migrations up to and including version last,
// as Migrate does: tests use it to put data in an older schema before the
// next migration runs.
func (db *DB) MigrateThrough(ctx context.Context, last int) error {
	ms, err := db.migrations()
	if err != nil {
		return err
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	for _, m := range ms {
		if m.version > last {
			break
		}
		if err := db.Tx(ctx, func(tx *Tx) error {
			if _, err := tx.q.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UnixMilli())
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}
