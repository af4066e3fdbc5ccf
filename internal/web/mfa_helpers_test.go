package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	keyset "github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/passkeytest"
	"github.com/safecase/safecase/internal/signin"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// Helpers of the second factor's HTTP tests: they set factors up through
// the real pages, as a person would, and compute the app's codes with
// pquerna/otp from the key the page shows for typing.

var (
	secretRE   = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`)
	recoveryRE = regexp.MustCompile(`<li class="code">([0-9A-Z-]+)</li>`)
)

// appCode is the code an authenticator app set up with secret (as the page
// shows it, in groups) shows at when.
func appCode(t testing.TB, secret string, when time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(strings.ReplaceAll(secret, " ", ""), when,
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolApp sets up an authenticator app on the pages for the user signed
// in on c and returns the key shown and the recovery codes shown.
func (c *client) enrolApp(t testing.TB) (secret string, codes []string) {
	t.Helper()
	res := c.post("/account/second-factor/totp", nil)
	m := secretRE.FindStringSubmatch(res.Body)
	if res.StatusCode != 200 || m == nil {
		t.Fatalf("start the app: %d\n%.2000s", res.StatusCode, mainOf(res.Body))
	}
	secret = m[1]
	if !strings.Contains(res.Body, `src="data:image/png;base64,`) {
		t.Errorf("the set-up page shows no QR code as a data: URL")
	}
	res = c.post("/account/second-factor/totp/confirm", url.Values{"code": {appCode(t, secret, c.e.clock.now())}})
	if res.StatusCode != 200 {
		t.Fatalf("confirm the app: %d\n%.2000s", res.StatusCode, mainOf(res.Body))
	}
	for _, m := range recoveryRE.FindAllStringSubmatch(res.Body, -1) {
		codes = append(codes, m[1])
	}
	// The first code's time step is used: the next code comes later.
	c.e.clock.add(30 * time.Second)
	return secret, codes
}

// enrolled signs the user with key in (password only: they have no factor
// yet) and sets up an app; it returns the signed-in client, the key and the
// recovery codes.
func (e *env) enrolled(key string) (*client, string, []string) {
	e.t.Helper()
	c := e.as(key)
	secret, codes := c.enrolApp(e.t)
	if len(codes) != mfa.RecoveryCount {
		e.t.Fatalf("%s got %d recovery codes, want %d", key, len(codes), mfa.RecoveryCount)
	}
	return c, secret, codes
}

// enrolDirect sets up an authenticator app for the user with key through
// package mfa, without signing in (so that nothing of a sign-in is
// recorded), and returns the key as shown for typing.
func (e *env) enrolDirect(key string) string {
	e.t.Helper()
	ctx := context.Background()
	u := e.users[key]
	a := access.Actor{UserID: u.ID, AgencyID: u.AgencyID, TeamID: u.TeamID, Role: u.Role}
	s, err := mfa.NewSealer(testdb.Keys().Derive(keyset.TOTPSecrets))
	if err != nil {
		e.t.Fatal(err)
	}
	var en *mfa.Enrolment
	if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
		en, err = mfa.StartTOTP(ctx, tx, s, a, e.clock.now())
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := mfa.ConfirmTOTP(ctx, tx, s, a, appCode(e.t, en.Secret, e.clock.now()), e.clock.now())
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	e.clock.add(30 * time.Second)
	return en.Secret
}

// passwordStep posts the sign-in form; next, if given, is the page asked for.
func (c *client) passwordStep(username, password, next string) *response {
	c.e.t.Helper()
	v := url.Values{"username": {username}, "password": {password}}
	if next != "" {
		v.Set("next", next)
	}
	return c.post("/login", v)
}

// answer posts a code to the second step.
func (c *client) answer(code, next string) *response {
	c.e.t.Helper()
	v := url.Values{"code": {code}}
	if next != "" {
		v.Set("next", next)
	}
	return c.post("/login/second-factor", v)
}

// signInWithApp signs the user with key in with the password and the app's
// current code, and moves the clock on past that code's time step.
func (e *env) signInWithApp(key, secret string) *client {
	e.t.Helper()
	c := e.anon()
	if res := c.passwordStep(e.users[key].Username, testPassword, ""); res.location() != "/login/second-factor" {
		e.t.Fatalf("password step of %s: %d to %q", key, res.StatusCode, res.location())
	}
	if res := c.answer(appCode(e.t, secret, e.clock.now()), ""); res.StatusCode != http.StatusSeeOther || strings.HasPrefix(res.location(), "/login") {
		e.t.Fatalf("second step of %s: %d to %q\n%.1000s", key, res.StatusCode, res.location(), mainOf(res.Body))
	}
	e.clock.add(30 * time.Second)
	return c
}

// cookieNamed returns the cookie the client holds for the server by name, or "".
func (c *client) cookieNamed(name string) string {
	u, _ := url.Parse(c.e.ts.URL)
	for _, k := range c.hc.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// mfaStatus reads what the user with ID id has set up.
func (e *env) mfaStatus(id string) mfa.Status {
	e.t.Helper()
	var st mfa.Status
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		st, err = mfa.StatusOf(ctx, tx, id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return st
}

// eventsOf returns the audit events with action about (record) user id,
// oldest first.
func (e *env) eventsOf(action, id string) []audit.Event {
	e.t.Helper()
	var evs []audit.Event
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		evs, err = tx.AuditEvents(ctx, store.AuditFilter{Action: action, Limit: 1000})
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	var out []audit.Event
	for i := len(evs) - 1; i >= 0; i-- {
		if id == "" || evs[i].RecordID == id {
			out = append(out, evs[i])
		}
	}
	return out
}

// knownAddress reports whether the user with key counts as signing in from
// the test client's address (package signin's mark, made at sign-in).
func (e *env) knownAddress(key string) bool {
	e.t.Helper()
	var st signin.State
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		st, err = tx.SignInState(ctx, e.users[key].Username, signin.AddressKey("127.0.0.1"), false)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return !st.KnownAt.IsZero()
}

// addPasskey registers authenticator a as a passkey named name for the
// user signed in on c, through the pages (the script's part done by the
// test: begin, the authenticator's answer, the form), and returns the
// answer to the form (the recovery codes page for a first factor).
func (c *client) addPasskey(t testing.TB, a *passkeytest.Authenticator, name, password string) *response {
	t.Helper()
	v := url.Values{"name": {name}}
	if password != "" {
		v.Set("password", password)
	}
	res := c.post("/account/second-factor/passkeys/begin", v)
	if res.StatusCode != 200 {
		t.Fatalf("begin a passkey: %d %s", res.StatusCode, res.Body)
	}
	cred := a.Create(t, []byte(res.Body))
	return c.post("/account/second-factor/passkeys/finish", url.Values{"name": {name}, "credential": {string(cred)}})
}

// passkeyAnswer runs the passkey step of the pending sign-in on c with a
// and returns the answer to the form.
func (c *client) passkeyAnswer(t testing.TB, a *passkeytest.Authenticator, next string) *response {
	t.Helper()
	res := c.post("/login/second-factor/passkey", nil)
	if res.StatusCode != 200 {
		t.Fatalf("passkey step options: %d %s", res.StatusCode, res.Body)
	}
	var o struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal([]byte(res.Body), &o); err != nil || len(o.PublicKey) == 0 {
		t.Fatalf("passkey step options %s: %v", res.Body, err)
	}
	v := url.Values{"passkey": {string(a.Get(t, []byte(res.Body)))}}
	if next != "" {
		v.Set("next", next)
	}
	return c.post("/login/second-factor", v)
}
