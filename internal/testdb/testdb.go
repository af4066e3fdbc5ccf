// Package testdb gives tests a fresh, migrated database on every engine:
// SQLite always (a file in t.TempDir()), and PostgreSQL when a server is
// configured or reachable (a fresh schema per database, dropped afterwards).
//
// SAFECASE_TEST_POSTGRES selects PostgreSQL: a postgres:// URL makes it
// required (tests fail if it cannot be reached); "off" leaves it out; unset,
// the local default server is used when it answers.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/store"
)

// Key is the deployment key of every test database: fixed, so that tests
// are repeatable and can verify what they wrote.
var Key = []byte("safecase-test-key-0123456789abcd")

// Keys returns the key set of Key.
func Keys() *keys.Set {
	ks, err := keys.New(Key, "test key")
	if err != nil {
		panic(err)
	}
	return ks
}

// DefaultPostgres is tried when SAFECASE_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	pgOnce     sync.Once
	pgURL      string
	pgRequired bool
	pgErr      error
)

func postgres() (string, bool, error) {
	pgOnce.Do(func() {
		env := os.Getenv("SAFECASE_TEST_POSTGRES")
		switch env {
		case "off":
			return
		case "":
			pgURL = DefaultPostgres
		default:
			pgURL, pgRequired = env, true
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		d, err := sql.Open("pgx", pgURL)
		if err == nil {
			err = d.PingContext(ctx)
			d.Close()
		}
		if err != nil {
			pgErr = err
			if !pgRequired {
				pgURL = ""
			}
		}
	})
	return pgURL, pgRequired, pgErr
}

// Engines lists the engines to test on.
func Engines(t testing.TB) []string {
	u, required, err := postgres()
	if required && err != nil {
		t.Fatalf("SAFECASE_TEST_POSTGRES is set but PostgreSQL cannot be reached: %v", err)
	}
	if u == "" {
		return []string{"sqlite"}
	}
	return []string{"sqlite", "postgres"}
}

// Each runs fn once per engine as a subtest named after the engine, each with
// its own fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, eng := range Engines(t) {
		t.Run(eng, func(t *testing.T) {
			fn(t, Open(t, eng))
		})
	}
}

// URL returns a database URL for a fresh, empty database on engine. The
// database is removed when the test ends.
func URL(t testing.TB, engine string) string {
	t.Helper()
	if engine == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "safecase.db")
	}
	base, _, err := postgres()
	if err != nil || base == "" {
		t.Fatalf("postgres not available: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a fresh, migrated database on engine, keyed with Keys,
// closed when the test ends.
func Open(t testing.TB, engine string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, URL(t, engine), store.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		t.Fatalf("migrate %s: %v", engine, err)
	}
	db.UseKeys(Keys())
	// Registered after URL's cleanup, so it runs first: close before dropping.
	t.Cleanup(func() { db.Close() })
	return db
}
