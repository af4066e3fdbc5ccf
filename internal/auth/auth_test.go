package auth_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/auth"
)

// cheap keeps argon2 fast in tests; DefaultParams is tested once.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

func TestPasswordRoundTrip(t *testing.T) {
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
	a, _ := auth.HashPassword("same password", cheap)
	b, _ := auth.HashPassword("same password", cheap)
	if a == b {
		t.Error("two hashes of one password are equal: no random salt")
	}
}

func TestDefaultParams(t *testing.T) {
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

func TestThrottle(t *testing.T) {
	p := auth.DefaultPolicy
	t0 := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	limit := p.AccountFailures

	var th auth.Throttle
	if th.Locked(t0) {
		t.Fatal("a fresh throttle is locked")
	}
	for i := 1; i < limit; i++ {
		th = th.Fail(t0.Add(time.Duration(i)*time.Second), limit, p)
		if th.Locked(t0.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("locked after %d failures, limit %d", i, limit)
		}
		if th.Failures != i {
			t.Fatalf("Failures = %d after %d failures", th.Failures, i)
		}
	}
	at := t0.Add(time.Minute)
	th = th.Fail(at, limit, p)
	if !th.Locked(at) || !th.Locked(at.Add(p.Lockout-time.Second)) {
		t.Errorf("not locked after %d failures: %+v", limit, th)
	}
	if th.Locked(at.Add(p.Lockout)) {
		t.Error("still locked when the lockout has passed")
	}
	if th.Failures != 0 {
		t.Errorf("Failures = %d after a lock, want the count to start again", th.Failures)
	}

	// Failures older than the window are forgotten.
	var slow auth.Throttle
	for i := 0; i < limit-1; i++ {
		slow = slow.Fail(t0, limit, p)
	}
	later := t0.Add(p.Window + time.Second)
	slow = slow.Fail(later, limit, p)
	if slow.Locked(later) || slow.Failures != 1 || !slow.WindowStart.Equal(later) {
		t.Errorf("after the window: %+v, want one failure in a new window", slow)
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
