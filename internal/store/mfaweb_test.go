package store_test

import (
	"testing"

	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestHasSecondFactor: the gate's read says yes for a confirmed app or a
// passkey, no for nothing, an app awaiting its first code or recovery codes
// alone, and never for another user's factor.
func TestHasSecondFactor(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		has := func(id string) bool {
			t.Helper()
			var ok bool
			fixture.Read(t, db, func(tx *store.Tx) (err error) {
				ok, err = tx.HasSecondFactor(ctx, id)
				return err
			})
			return ok
		}
		u := o.Caseworker.ID
		in := func(fn func(tx *store.Tx) error) { t.Helper(); fixture.In(t, db, fn) }
		if has(u) {
			t.Error("nothing set up")
		}
		in(func(tx *store.Tx) error {
			if err := tx.SaveTOTP(ctx, &mfa.TOTP{UserID: u, PendingSecret: "v1.pending", PendingSince: now, UpdatedAt: now}); err != nil {
				return err
			}
			return tx.ReplaceRecoveryCodes(ctx, u, []mfa.RecoveryCode{{ID: store.NewID(), UserID: u, Hash: "h", CreatedAt: now}})
		})
		if has(u) {
			t.Error("an app awaiting its first code, or recovery codes alone, count as a second factor")
		}
		in(func(tx *store.Tx) error {
			return tx.SaveTOTP(ctx, &mfa.TOTP{UserID: u, Secret: "v1.sealed", ConfirmedAt: now, UpdatedAt: now})
		})
		if !has(u) || has(o.Caseworker2.ID) {
			t.Errorf("a confirmed app: %v; another user: %v", has(u), has(o.Caseworker2.ID))
		}
		p := o.Supervisor.ID
		in(func(tx *store.Tx) error {
			return tx.InsertPasskey(ctx, &mfa.Passkey{ID: store.NewID(), UserID: p, CredentialID: []byte{1, 2, 3},
				PublicKey: []byte{4}, Name: "laptop", CreatedAt: now})
		})
		if !has(p) {
			t.Error("a passkey alone")
		}
	})
}
