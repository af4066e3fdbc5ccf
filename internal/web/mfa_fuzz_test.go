package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/testdb"
)

// FuzzSecondFactorHTTP sends arbitrary text as the second step's code and
// passkey answer, as a passkey's name and as the browser's answer to a
// passkey registration, through a running server on every engine: no
// answer is a 500, and a session starts only for a code the app shows now
// or an unused recovery code.
func FuzzSecondFactorHTTP(f *testing.F) {
	for _, s := range []string{"", "123456", "12 34 56", "١٢٣٤٥٦", "ABCD-EFGH-JKMN-PQRS", "abcd efgh jkmn pqrs", "O0O0-1I1L-0000-0000",
		"\x00", "1234\x0056", "\xff\xfe", `{}`, `{"id":"x","rawId":"x","type":"public-key","response":{}}`, `{"response":{"clientDataJSON":"!!"}}`,
		"null", "[]", strings.Repeat("9", 200), strings.Repeat("{", 1000), "\u200b123456", "work laptop", "\u202e"} {
		f.Add(s)
	}
	type target struct {
		e      *env
		secret string
		codes  map[string]bool
	}
	var targets []*target
	for _, eng := range testdb.Engines(f) {
		e := newEnv(f, testdb.Open(f, eng), withSecondFactor())
		_, secret, codes := e.enrolled("caseworker")
		tg := &target{e: e, secret: secret, codes: map[string]bool{}}
		for _, k := range codes {
			_, norm := mfa.ParseCode(k)
			tg.codes[norm] = true
		}
		targets = append(targets, tg)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tg := range targets {
			ev := *tg.e
			ev.t = t
			e := &ev
			// A new window each time: wrong codes do not lock the account for the next input.
			e.clock.add(mfa.FailureWindow + time.Minute)
			kind, norm := mfa.ParseCode(s)
			valid := kind == mfa.RecoveryKind && tg.codes[norm]
			for d := -1; d <= 1; d++ {
				valid = valid || kind == mfa.TOTPCode && norm == appCode(t, tg.secret, e.clock.now().Add(time.Duration(d)*30*time.Second))
			}
			for _, field := range []string{"code", "passkey"} {
				c := e.anon()
				c.passwordStep(e.users["caseworker"].Username, testPassword, "")
				if field == "passkey" {
					c.post("/login/second-factor/passkey", nil)
				}
				res := c.post("/login/second-factor", url.Values{field: {s}})
				if res.StatusCode >= 500 {
					t.Fatalf("second step with %s %q: %d\n%.500s", field, s, res.StatusCode, res.Body)
				}
				signedIn := c.cookieNamed("safecase") != ""
				if signedIn && (field == "passkey" || !valid) {
					t.Fatalf("second step with %s %q signed in", field, s)
				}
				if signedIn && kind == mfa.RecoveryKind {
					delete(tg.codes, norm) // used
				}
			}
			owner := e.session("caseworker")
			for _, r := range []struct {
				path string
				form url.Values
			}{
				{"/account/second-factor/passkeys/begin", url.Values{"name": {s}, "password": {testPassword}}},
				{"/account/second-factor/passkeys/finish", url.Values{"name": {"laptop"}, "credential": {s}}},
				{"/account/second-factor/totp/confirm", url.Values{"code": {s}}},
			} {
				res := owner.post(r.path, r.form)
				if res.StatusCode >= 500 || res.StatusCode == http.StatusSeeOther && res.location() == "/login" {
					t.Fatalf("POST %s with %q: %d %q\n%.500s", r.path, s, res.StatusCode, res.location(), res.Body)
				}
			}
		}
	})
}
