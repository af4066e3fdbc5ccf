package auth_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/auth"
)

// cheap keeps argon2 fast in tests; DefaultParams is tested once.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

func TestPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{"correct horse battery", "ünïcödé pässwörd", strings.Repeat("x", 200), ""} {
		t.Run(fmt.Sprintf("%.20q", pw), func(t *testing.T) {
			h, err := auth.HashPassword(pw, cheap)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Errorf("hash %q does not record its parameters", h)
			}
			if strings.Contains(h, pw) && pw != "" {
				t.Error("the hash contains the password")
			}
			ok, err := auth.CheckPassword(h, pw)
			if err != nil || !ok {
				t.Errorf("CheckPassword(right) = %v, %v", ok, err)
			}
			ok, err = auth.CheckPassword(h, pw+"!")
			if err != nil || ok {
				t.Errorf("CheckPassword(wrong) = %v, %v", ok, err)
			}
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	t.Parallel()
	a, _ := auth.HashPassword("same password", cheap)
	b, _ := auth.HashPassword("same password", cheap)
	if a == b {
		t.Error("two hashes of one password are equal: no random salt")
	}
}

func TestDefaultParams(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("a real password", auth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not use the default parameters", h)
	}
	if ok, err := auth.CheckPassword(h, "a real password"); !ok || err != nil {
		t.Errorf("CheckPassword = %v, %v", ok, err)
	}
	auth.BurnTime("whatever") // must not panic
}

func TestMalformedHashes(t *testing.T) {
	t.Parallel()
	good, err := auth.HashPassword("pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..., salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := map[string]string{
		"empty":           "",
		"plain text":      "hunter2",
		"bcrypt":          "$2a$10$abcdefghijklmnopqrstuuJ8WQz0e3HkOsqJH5v8VJr3O4UiN2u6K",
		"argon2i":         with(1, "argon2i"),
		"too few parts":   strings.Join(parts[:5], "$"),
		"too many parts":  good + "$extra",
		"other version":   with(2, "v=18"),
		"no version":      with(2, "version"),
		"params garbled":  with(3, "m=x,t=1,p=1"),
		"zero threads":    with(3, "m=64,t=1,p=0"),
		"zero passes":     with(3, "m=64,t=0,p=1"),
		"too many passes": with(3, "m=64,t=17,p=1"),
		"too much memory": with(3, "m=4194304,t=1,p=1"),
		"threads > 255":   with(3, "m=64,t=1,p=300"),
		"salt not base64": with(4, "!!!"),
		"key not base64":  with(5, "***"),
		"empty key":       with(5, ""),
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			ok, err := auth.CheckPassword(h, "pw")
			if ok || !errors.Is(err, auth.ErrBadHash) {
				t.Errorf("CheckPassword(%q) = %v, %v; want false, ErrBadHash", h, ok, err)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	tok, hash := auth.NewToken("sc_")
	if !regexp.MustCompile(`^sc_[A-Za-z0-9_-]{43}$`).MatchString(tok) {
		t.Errorf("token %q: want sc_ and 32 random bytes in URL-safe base64", tok)
	}
	if hash != auth.HashToken(tok) {
		t.Error("NewToken's hash is not HashToken(token)")
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(hash) || strings.Contains(hash, tok[3:]) {
		t.Errorf("stored hash %q: want a SHA-256 hex digest that does not contain the token", hash)
	}
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		tok, _ := auth.NewToken("")
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
	if auth.HashToken("a") == auth.HashToken("b") {
		t.Error("HashToken does not tell tokens apart")
	}
}

// FuzzCheckPassword: no stored hash, however garbled, may panic the sign-in.
func FuzzCheckPassword(f *testing.F) {
	good, _ := auth.HashPassword("pw", cheap)
	f.Add(good, "pw")
	f.Add(good, "wrong")
	f.Add("$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$a2V5", "pw")
	f.Add("$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$a2V5", "pw")
	f.Add("$argon2id$v=19$m=0,t=1,p=1$$a2V5", "")
	f.Add("$$$$$", "")
	paramsRE := regexp.MustCompile(`m=(\d+),t=(\d+)`)
	f.Fuzz(func(t *testing.T, encoded, password string) {
		// Keep each run cheap: skip costs the parser accepts but that
		// would make the fuzzer crawl (they are bounded in CheckPassword).
		if m := paramsRE.FindStringSubmatch(encoded); m != nil && (len(m[1]) > 4 || len(m[2]) > 1) {
			return
		}
		ok, err := auth.CheckPassword(encoded, password)
		if err != nil && (ok || !errors.Is(err, auth.ErrBadHash)) {
			t.Fatalf("CheckPassword = %v, %v", ok, err)
		}
	})
}
