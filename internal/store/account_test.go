package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestMigration0006 gives API tokens made without an expiry the default
// maximum (90 days from the migration) and every session an opaque public
// ID of its own, on both engines.
func TestMigration0006(t *testing.T) {
	t.Parallel()
	for _, eng := range testdb.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, testdb.URL(t, eng), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.MigrateThrough(ctx, 5); err != nil {
				t.Fatal(err)
			}
			const (
				agency = "01900000-0000-7000-8000-000000000001"
				user   = "01900000-0000-7000-8000-000000000002"
			)
			for _, q := range []string{
				"INSERT INTO agencies (id, name, code, created_at, version) VALUES ('" + agency + "', 'A', 'A', 0, 1)",
				"INSERT INTO users (id, agency_id, username, display_name, role, password_hash, created_at, updated_at, version) VALUES ('" + user + "', '" + agency + "', 'u', 'U', 'caseworker', 'h', 0, 0, 1)",
				"INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ('01900000-0000-7000-8000-000000000003', '" + user + "', 'forever', 'h1', 0)",
				"INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) VALUES ('01900000-0000-7000-8000-000000000004', '" + user + "', 'soon', 'h2', 0, 5000)",
				"INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) VALUES ('s1', '" + user + "', 0, 0, 1), ('s2', '" + user + "', 0, 0, 1)",
			} {
				if err := db.ExecRaw(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			before := time.Now()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			after := time.Now()
			err = db.Read(ctx, func(tx *store.Tx) error {
				toks, err := tx.Tokens(ctx, user)
				if err != nil {
					return err
				}
				for _, tk := range toks {
					switch tk.Name {
					case "forever":
						lo, hi := before.Add(90*24*time.Hour-time.Second), after.Add(90*24*time.Hour+time.Second)
						if tk.ExpiresAt.Before(lo) || tk.ExpiresAt.After(hi) {
							t.Errorf("a token without expiry now expires %v, want 90 days after the migration", tk.ExpiresAt)
						}
					case "soon":
						if tk.ExpiresAt.UnixMilli() != 5000 {
							t.Errorf("a token's expiry changed: %v", tk.ExpiresAt)
						}
					}
				}
				ss, err := tx.UserSessions(ctx, user, time.Time{}, time.Time{})
				if err != nil {
					return err
				}
				if len(ss) != 2 || ss[0].PublicID == "" || ss[0].PublicID == ss[1].PublicID || ss[0].PublicID == ss[0].ID {
					t.Errorf("sessions after the migration: %+v", ss)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
