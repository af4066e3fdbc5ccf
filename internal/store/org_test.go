package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

func TestOrgQueries(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		fixture.Read(t, db, func(tx *store.Tx) error {
			u, err := tx.UserByName(ctx, "cw.a")
			if err != nil {
				return err
			}
			if diff := cmp.Diff(o.Caseworker, u, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("UserByName (-inserted +read):\n%s", diff)
			}
			if _, err := tx.UserByName(ctx, "nobody"); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("missing user: %v", err)
			}
			users, err := tx.Users(ctx, o.OtherAgency.ID)
			if err != nil || len(users) != 3 {
				t.Errorf("other agency's users: %d, %v; want 3", len(users), err)
			}
			teams, err := tx.Teams(ctx, o.Agency.ID)
			if err != nil || len(teams) != 2 || teams[0].Name != "Team A" {
				t.Errorf("teams: %+v, %v", teams, err)
			}
			for id, want := range map[string]bool{o.Agency.ID: true, store.NewID(): false, "": false} {
				if ok, err := tx.AgencyExists(ctx, id); ok != want || err != nil {
					t.Errorf("AgencyExists(%q) = %v, %v; want %v", id, ok, err, want)
				}
			}
			return nil
		})
		for _, tt := range []struct {
			name  string
			write func(tx *store.Tx) error
			field string
		}{
			{"duplicate username", func(tx *store.Tx) error {
				return tx.InsertUser(ctx, &org.User{AgencyID: o.Agency.ID, Username: "cw.a", DisplayName: "X", Role: org.Manager, PasswordHash: "x"})
			}, "username"},
			{"duplicate team name", func(tx *store.Tx) error {
				return tx.InsertTeam(ctx, &org.Team{AgencyID: o.Agency.ID, Name: "Team A"})
			}, "name"},
			{"duplicate agency code", func(tx *store.Tx) error {
				return tx.InsertAgency(ctx, &org.Agency{Name: "Copy", Code: "CA"})
			}, "code"},
		} {
			err := db.Tx(ctx, tt.write)
			if fe, ok := errs.AsFields(err); !ok || !fe.Has(tt.field) {
				t.Errorf("%s: %v, want a field error on %s", tt.name, err, tt.field)
			}
		}
	})
}

func TestSessionsAndTokens(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		_, h1 := auth.NewToken("")
		_, h2 := auth.NewToken("")
		fixture.In(t, db, func(tx *store.Tx) error {
			for _, s := range []*store.Session{
				{ID: h1, UserID: o.Caseworker.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(12 * time.Hour), IP: "10.0.0.1"},
				{ID: h2, UserID: o.Supervisor.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(12 * time.Hour)},
			} {
				if err := tx.InsertSession(ctx, s); err != nil {
					return err
				}
			}
			return tx.TouchSession(ctx, h1, now.Add(time.Hour))
		})
		fixture.Read(t, db, func(tx *store.Tx) error {
			s, u, err := tx.SessionUser(ctx, h1)
			if err != nil {
				return err
			}
			if u.ID != o.Caseworker.ID || !s.LastSeenAt.Equal(now.Add(time.Hour)) || s.IP != "10.0.0.1" {
				t.Errorf("session %+v of user %s", s, u.Username)
			}
			return nil
		})
		// Idle for 30 minutes since now+30m: the second session goes, the touched one stays.
		fixture.In(t, db, func(tx *store.Tx) error {
			n, err := tx.DeleteExpiredSessions(ctx, now.Add(30*time.Minute), now.Add(time.Hour))
			if n != 1 {
				t.Errorf("DeleteExpiredSessions removed %d, want 1", n)
			}
			return err
		})
		fixture.Read(t, db, func(tx *store.Tx) error {
			if _, _, err := tx.SessionUser(ctx, h2); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("idle session: %v, want not found", err)
			}
			return nil
		})

		tok, hash := auth.NewToken("sc_")
		expired := &store.APIToken{UserID: o.Manager.ID, Name: "old", Hash: auth.HashToken(tok + "old"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		live := &store.APIToken{UserID: o.Manager.ID, Name: "sync", Hash: hash, CreatedAt: now}
		fixture.In(t, db, func(tx *store.Tx) error {
			if err := tx.InsertToken(ctx, expired); err != nil {
				return err
			}
			return tx.InsertToken(ctx, live)
		})
		lookup := func(h string, at time.Time) error {
			return db.Read(ctx, func(tx *store.Tx) error {
				tk, u, err := tx.TokenUser(ctx, h, at)
				if err == nil && (u.ID != o.Manager.ID || tk.Name == "") {
					t.Errorf("token %+v of user %s", tk, u.Username)
				}
				return err
			})
		}
		if err := lookup(auth.HashToken(tok), now); err != nil {
			t.Errorf("live token: %v", err)
		}
		if err := lookup(expired.Hash, now.Add(2*time.Hour)); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("expired token: %v, want not found", err)
		}
		if err := lookup(tok, now); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("the token itself, not its hash, was accepted: %v", err)
		}
		revoke := func(user string) error {
			return db.Tx(ctx, func(tx *store.Tx) error { return tx.RevokeToken(ctx, user, live.ID, now) })
		}
		if err := revoke(o.Caseworker.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("revoke someone else's token: %v, want not found", err)
		}
		if err := revoke(o.Manager.ID); err != nil {
			t.Fatal(err)
		}
		if err := lookup(hash, now); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("revoked token: %v, want not found", err)
		}
		if err := revoke(o.Manager.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("revoke twice: %v, want not found", err)
		}
	})
}
