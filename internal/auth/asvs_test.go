package auth_test

// Tests of OWASP ASVS 4.0.3 Level 2 requirements cited by docs/SECURITY.md.

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/auth"
)

// TestASVSSaltPerHash (ASVS 2.4.2): each password hash has a salt of its
// own, at least 32 bits (SafeCase uses 128), stored with the hash; no two
// hashes, of one password or of many, share one.
func TestASVSSaltPerHash(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := range 50 {
		pw := "same password"
		if i%2 == 1 {
			pw = strings.Repeat("x", i)
		}
		h, err := auth.HashPassword(pw, cheap)
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(h, "$") // "", argon2id, v=19, m=…, salt, key
		if len(parts) != 6 {
			t.Fatalf("hash %q", h)
		}
		salt, err := base64.RawStdEncoding.DecodeString(parts[4])
		if err != nil {
			t.Fatalf("salt %q: %v", parts[4], err)
		}
		if len(salt) < 4 {
			t.Errorf("a salt of %d bits, want at least 32", 8*len(salt))
		}
		if seen[parts[4]] {
			t.Errorf("salt %q used twice", parts[4])
		}
		seen[parts[4]] = true
	}
}
