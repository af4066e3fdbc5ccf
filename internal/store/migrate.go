package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := "migrations/" + db.Engine()
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", name)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrationLock is the PostgreSQL advisory lock key that keeps two processes
// from migrating at once.
const migrationLock = 0x5afeca5

// Migrate applies every migration not yet applied, each in its own
// transaction, and returns the names of those it applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	return db.migrate(ctx, 1<<30)
}

// migrate applies the migrations not yet applied up to version upTo.
func (db *DB) migrate(ctx context.Context, upTo int) ([]string, error) {
	ms, err := db.migrations()
	if err != nil {
		return nil, err
	}
	if db.pg {
		conn, err := db.w.Conn(ctx)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		// One lock per schema: processes migrating the same schema wait for
		// each other; different schemas (test databases) do not.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, hashtext(current_schema()))", migrationLock); err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, hashtext(current_schema()))", migrationLock)
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range ms {
		if applied[m.version] || m.version > upTo {
			continue
		}
		err := db.Tx(ctx, func(tx *Tx) error {
			if _, err := tx.q.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return done, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		done = append(done, m.name)
	}
	return done, nil
}

func (db *DB) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	rows, err := db.w.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

// Pending returns the names of migrations not yet applied.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	ms, err := db.migrations()
	if err != nil {
		return nil, err
	}
	var exists int
	q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
	if db.pg {
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
	}
	if err := db.r.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return nil, err
	}
	applied := map[int]bool{}
	if exists > 0 {
		if applied, err = db.appliedMigrations(ctx); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, m := range ms {
		if !applied[m.version] {
			out = append(out, m.name)
		}
	}
	return out, nil
}

// Column describes one column, for comparing the two engines' schemas.
type Column struct {
	Table, Name string
	NotNull     bool
}

// Columns lists every column of every SafeCase table.
func (db *DB) Columns(ctx context.Context) ([]Column, error) {
	var cols []Column
	if db.pg {
		rows, err := db.r.QueryContext(ctx, `SELECT table_name, column_name, is_nullable
			FROM information_schema.columns WHERE table_schema = current_schema()
			ORDER BY table_name, column_name`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var c Column
			var nullable string
			if err := rows.Scan(&c.Table, &c.Name, &nullable); err != nil {
				return nil, err
			}
			c.NotNull = nullable == "NO"
			cols = append(cols, c)
		}
		return cols, rows.Err()
	}
	rows, err := db.r.QueryContext(ctx, `SELECT m.name, p.name, p."notnull", p.pk
		FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
		ORDER BY m.name, p.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c Column
		var notNull, pk int
		if err := rows.Scan(&c.Table, &c.Name, &notNull, &pk); err != nil {
			return nil, err
		}
		// PostgreSQL makes primary keys NOT NULL; SQLite only says so for INTEGER keys.
		c.NotNull = notNull == 1 || pk > 0
		cols = append(cols, c)
	}
	return cols, rows.Err()
}
