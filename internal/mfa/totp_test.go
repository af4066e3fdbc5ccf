package mfa

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// at is a fixed time in the middle of a 30-second step.
var at = time.Date(2025, 3, 10, 9, 0, 15, 0, time.UTC)

var secret = []byte("12345678901234567890") // RFC 6238's test secret

// code returns the app's code for secret at t, computed by pquerna/otp's
// TOTP generator as an authenticator app computes it.
func code(t *testing.T, secret []byte, when time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(b32.EncodeToString(secret), when,
		totp.ValidateOpts{Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRFC6238 checks the code generation against the RFC's test vectors
// (SHA-1, the last six of its eight digits).
func TestRFC6238(t *testing.T) {
	t.Parallel()
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471",
		1234567890: "005924", 2000000000: "279037", 20000000000: "353130"} {
		got, err := codeAt(secret, Step(time.Unix(unix, 0)))
		if err != nil || got != want {
			t.Errorf("code at %d = %q, %v; want %q", unix, got, err, want)
		}
	}
}

// TestMatchStep: a code made by an app at a given time is accepted within
// one step either side of the server's clock, and not two steps away.
func TestMatchStep(t *testing.T) {
	t.Parallel()
	cur := Step(at)
	for _, tt := range []struct {
		name   string
		made   time.Time // when the app made the code
		ok     bool
		offset int64 // of the step matched, from the current one
	}{
		{"now", at, true, 0},
		{"start of the step", at.Add(-15 * time.Second), true, 0},
		{"end of the step", at.Add(14 * time.Second), true, 0},
		{"previous step (phone behind)", at.Add(-30 * time.Second), true, -1},
		{"next step (phone ahead)", at.Add(30 * time.Second), true, 1},
		{"two steps behind", at.Add(-60 * time.Second), false, 0},
		{"two steps ahead", at.Add(60 * time.Second), false, 0},
		{"an hour ago", at.Add(-time.Hour), false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			step, ok, err := matchStep(secret, code(t, secret, tt.made), at)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok || (ok && step != cur+tt.offset) {
				t.Errorf("matchStep = %d, %v; want step %+d, %v", step-cur, ok, tt.offset, tt.ok)
			}
		})
	}
	if _, ok, _ := matchStep([]byte("another secret of 20"), code(t, secret, at), at); ok {
		t.Error("another secret's code is accepted")
	}
}

func TestStep(t *testing.T) {
	t.Parallel()
	for unix, want := range map[int64]int64{0: 0, 29: 0, 30: 1, 59: 1, 60: 2, -1: -1, -30: -1, -31: -2} {
		if got := Step(time.Unix(unix, 0)); got != want {
			t.Errorf("Step(%d) = %d, want %d", unix, got, want)
		}
	}
}

func TestSealer(t *testing.T) {
	t.Parallel()
	if _, err := NewSealer(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key is accepted")
	}
	key := bytes.Repeat([]byte{1}, KeySize)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.seal("user-a", secret)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, b32.EncodeToString(secret)) || bytes.Contains([]byte(sealed), secret) {
		t.Fatal("the sealed form holds the secret")
	}
	if again, _ := s.seal("user-a", secret); again == sealed {
		t.Error("sealing twice gives the same text: the nonce is not random")
	}
	if got, err := s.open("user-a", sealed); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("open = %q, %v", got, err)
	}
	// Copied onto another user's row, it does not open.
	if _, err := s.open("user-b", sealed); !errors.Is(err, ErrUnseal) {
		t.Errorf("opened for another user: %v", err)
	}
	// With another key (another key file), it does not open.
	other, _ := NewSealer(bytes.Repeat([]byte{2}, KeySize))
	if _, err := other.open("user-a", sealed); !errors.Is(err, ErrUnseal) {
		t.Errorf("opened with another key: %v", err)
	}
	// Altered, it does not open.
	b := []byte(sealed)
	b[len(b)-2] ^= 1
	for _, bad := range []string{string(b), "", "v1.", "v2." + sealed[3:], sealed[:20]} {
		if _, err := s.open("user-a", bad); !errors.Is(err, ErrUnseal) {
			t.Errorf("open(%q): %v", bad, err)
		}
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "ABC": "ABC", "ABCD": "ABCD", "ABCDEFGHIJ": "ABCD EFGH IJ"} {
		if got := groups(in); got != want {
			t.Errorf("groups(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPolicy: who must set up a second factor, and when signing in takes a
// second step, by role, profile and what is set up.
func TestPolicy(t *testing.T) {
	t.Parallel()
	def := profile.Default()
	admins, err := profile.Parse("sop.yaml", []byte("second_factor_roles: [system_admin]\n"))
	if err != nil {
		t.Fatal(err)
	}
	none := Status{}
	app := Status{TOTP: true, RecoveryLeft: 10}
	key := Status{Passkeys: 1}
	codesOnly := Status{RecoveryLeft: 3}
	for _, tt := range []struct {
		p         *profile.Profile
		role      org.Role
		st        Status
		mustEnrol bool
		second    bool
	}{
		{def, org.Caseworker, none, true, false},
		{def, org.Caseworker, app, false, true},
		{def, org.Caseworker, key, false, true},
		{def, org.Caseworker, codesOnly, true, false}, // recovery codes alone are no factor
		{def, org.SystemAdmin, none, true, false},
		{def, org.DPOfficer, none, true, false},
		{def, org.Volunteer, none, false, false},
		{def, org.Volunteer, app, false, true}, // not required, but set up: used
		{def, org.IMOfficer, none, false, false},
		{admins, org.Caseworker, none, false, false},
		{admins, org.SystemAdmin, none, true, false},
	} {
		if got := MustEnrol(tt.p, tt.role, tt.st); got != tt.mustEnrol {
			t.Errorf("%s %s %+v: MustEnrol = %v, want %v", tt.p.Source, tt.role, tt.st, got, tt.mustEnrol)
		}
		if got := NeedsSecondStep(tt.st); got != tt.second {
			t.Errorf("%+v: NeedsSecondStep = %v, want %v", tt.st, got, tt.second)
		}
	}
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	var th Throttle
	for i := range UserFailures - 1 { // the first at the window's start
		th = th.fail(at.Add(time.Duration(i) * time.Minute))
		if th.Locked(at.Add(time.Duration(i) * time.Minute)) {
			t.Fatalf("locked after %d failures", i+1)
		}
	}
	last := at.Add(12 * time.Minute)
	th = th.fail(last)
	if !th.Locked(last) || !th.Locked(at.Add(FailureWindow-time.Second)) {
		t.Errorf("not locked after %d failures: %+v", UserFailures, th)
	}
	if th.Locked(at.Add(FailureWindow)) {
		t.Errorf("still locked when the window ends: %+v", th)
	}
	// Failures spread wider than the window never lock.
	th = Throttle{}
	for i := range 3 * UserFailures {
		when := at.Add(time.Duration(i) * 2 * time.Minute)
		if th = th.fail(when); th.Locked(when) {
			t.Fatalf("locked by failure %d, two minutes apart", i+1)
		}
	}
}
