package mfa_test

// Tests of OWASP ASVS 4.0.3 Level 2 requirements cited by docs/SECURITY.md.

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/passkeytest"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestASVSPasskeyChallenges (ASVS 2.9.2): every passkey ceremony, adding a
// passkey or answering a second step with one, gets a challenge of at least
// 64 bits (go-webauthn makes 256) that no other ceremony had.
func TestASVSPasskeyChallenges(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		rp := relyingParty(t)
		cw := o.Caseworker
		if _, _, err := register(t, db, rp, cw, passkeytest.New(t, origin), "desk", now); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		take := func(what string, raw json.RawMessage) {
			t.Helper()
			ch := passkeytest.ReadOptions(t, raw).PublicKey.Challenge
			b, err := base64.RawURLEncoding.DecodeString(ch)
			if err != nil {
				t.Fatalf("%s: challenge %q is not base64url: %v", what, ch, err)
			}
			if len(b) < 8 {
				t.Errorf("%s: a challenge of %d bits, want at least 64", what, 8*len(b))
			}
			if seen[ch] {
				t.Errorf("%s: challenge %q was given before", what, ch)
			}
			seen[ch] = true
		}
		for range 10 {
			var raw json.RawMessage
			fixture.In(t, db, func(tx *store.Tx) (err error) {
				_, raw, err = mfa.BeginPasskey(ctx, tx, rp, fixture.Actor(cw), now)
				return err
			})
			take("adding a passkey", raw)
			tok := startSignIn(t, db, cw, now)
			fixture.In(t, db, func(tx *store.Tx) (err error) {
				raw, err = mfa.BeginPasskeyStep(ctx, tx, rp, tok, now)
				return err
			})
			take("a second step", raw)
		}
		if len(seen) != 20 {
			t.Errorf("%d distinct challenges in 20 ceremonies", len(seen))
		}
	})
}
