package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/gen"
	"github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestUserResetSecondFactor: the way back for a sole system administrator
// who lost phone and recovery codes: `user reset` alone leaves the second
// factor; with --second-factor it is removed (audited as the shell's), and
// the setup code printed sets a new password.
func TestUserResetSecondFactor(t *testing.T) {
	eachURL(t, func(t *testing.T, dbURL string) {
		env := map[string]string{"SAFECASE_DB": dbURL}
		const strong = "tangerine-ocelot-47-umbrella"
		if r := run(t, env, strong+"\n", "user", "add", "--username", "root", "--name", "Root", "--role", "system_admin",
			"--agency", "HQ", "--agency-name", "Head office"); r.code != 0 {
			t.Fatalf("first admin: %d %q %q", r.code, r.stdout, r.stderr)
		}
		ctx := context.Background()
		db, err := store.Open(ctx, dbURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ks := testKeys(t, dbURL)
		db.UseKeys(ks)
		user := func() *org.User {
			var u *org.User
			if err := db.Read(ctx, func(tx *store.Tx) (err error) {
				u, err = tx.UserByName(ctx, "root")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return u
		}
		status := func() mfa.Status {
			var st mfa.Status
			if err := db.Read(ctx, func(tx *store.Tx) (err error) {
				st, err = mfa.StatusOf(ctx, tx, user().ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return st
		}
		// Root sets up an authenticator app (as the pages do).
		sealer, err := mfa.NewSealer(ks.Derive(keys.TOTPSecrets))
		if err != nil {
			t.Fatal(err)
		}
		u := user()
		a := access.Actor{UserID: u.ID, AgencyID: u.AgencyID, Role: u.Role}
		now := time.Now()
		var en *mfa.Enrolment
		if err := db.Tx(ctx, func(tx *store.Tx) (err error) {
			en, err = mfa.StartTOTP(ctx, tx, sealer, a, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		code, err := totp.GenerateCodeCustom(strings.ReplaceAll(en.Secret, " ", ""), now,
			totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := mfa.ConfirmTOTP(ctx, tx, sealer, a, code, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if st := status(); !st.TOTP || st.RecoveryLeft != mfa.RecoveryCount {
			t.Fatalf("set up: %+v", st)
		}

		r := run(t, env, "", "user", "reset", "--username", "root")
		if r.code != 0 || !setupCodeRE.MatchString(r.stdout) || strings.Contains(r.stdout, "second factor") {
			t.Fatalf("reset: %d %q %q", r.code, r.stdout, r.stderr)
		}
		if st := status(); !st.TOTP || st.RecoveryLeft != mfa.RecoveryCount {
			t.Errorf("a reset without --second-factor removed it: %+v", st)
		}

		r = run(t, env, "", "user", "reset", "--username", "root", "--second-factor")
		if r.code != 0 || !setupCodeRE.MatchString(r.stdout) || !strings.Contains(r.stdout, "their second factor is removed") {
			t.Fatalf("reset --second-factor: %d %q %q", r.code, r.stdout, r.stderr)
		}
		if st := status(); st.Enrolled() || st.RecoveryLeft != 0 {
			t.Errorf("after reset --second-factor: %+v", st)
		}
		var evs []string
		if err := db.Read(ctx, func(tx *store.Tx) error {
			list, err := tx.AuditEvents(ctx, store.AuditFilter{Action: "mfa.reset", Limit: 10})
			for _, e := range list {
				evs = append(evs, e.ActorRole+" "+e.RecordID+" "+e.Detail)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || !strings.HasPrefix(evs[0], "cli "+u.ID) || !strings.Contains(evs[0], `"totp":true`) {
			t.Errorf("mfa.reset events: %q", evs)
		}
		// The code printed is the way back in.
		pw, err := account.NewPassword(strong+"-2", strong+"-2", u, hashPassword)
		if err != nil {
			t.Fatal(err)
		}
		code = setupCodeRE.FindStringSubmatch(r.stdout)[1]
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := account.CompleteSetup(ctx, tx, code, pw, time.Now())
			return err
		}); err != nil {
			t.Errorf("the printed code: %v", err)
		}
		if r := run(t, env, "", "user", "reset", "--help"); !strings.Contains(r.stdout+r.stderr, "--second-factor") {
			t.Errorf("user reset --help does not name --second-factor: %q", r.stdout+r.stderr)
		}
	})
}

// TestDemoSecondFactorOptional: the demo stays usable in one command: it
// says plainly that the second factor is optional there and which roles a
// deployment's profile requires it of; its users sign in with the printed
// password and reach their pages; and it serves at http://localhost:<port>
// with passkeys offered.
func TestDemoSecondFactorOptional(t *testing.T) {
	demo := start(t, map[string]string{"SAFECASE_DB": testdb.URL(t, "sqlite")}, 3*time.Minute,
		[]string{"demo", "--addr", "127.0.0.1:0"})
	defer demo.stop(t)
	base, out := demo.url, &demo.out
	if !strings.HasPrefix(base, "http://localhost:") {
		t.Errorf("the demo serves at %q, want http://localhost:<port>/ (passkeys need a name)", base)
	}
	for _, want := range []string{"Second factor: optional in this demo",
		"requires it for caseworker, supervisor, manager, service_provider, dp_officer, agency_admin, system_admin.",
		"SafeCase is running at " + base} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo does not say %q:\n%s", want, out.String())
		}
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.PostForm(base+"login", url.Values{"username": {"amina"}, "password": {gen.DemoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/caseload" {
		t.Fatalf("amina signs in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	for path, want := range map[string]string{"caseload": "My caseload", "account/second-factor": "data-passkey-create"} {
		res, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET /%s in the demo: %d, does not say %q", path, res.StatusCode, want)
		}
	}
}

// TestFirstAdminEnrols follows the README for a new deployment: the first
// system administrator, added at the shell with a typed password, signs in
// at /login on `serve` and is led to set up a second factor before anything
// else; serve seals the app's secret with the deployment's key (the set-up
// page shows a QR code) and, without a base URL, offers no passkeys.
func TestFirstAdminEnrols(t *testing.T) {
	dbURL := testdb.URL(t, "sqlite")
	env := map[string]string{"SAFECASE_DB": dbURL}
	const strong = "tangerine-ocelot-47-umbrella"
	if r := run(t, env, strong+"\n", "user", "add", "--username", "admin", "--name", "Site Admin", "--role", "system_admin",
		"--agency", "HQ", "--agency-name", "Head office"); r.code != 0 {
		t.Fatalf("user add: %d %q %q", r.code, r.stdout, r.stderr)
	}
	srv := start(t, env, 20*time.Second, []string{"serve", "--addr", "127.0.0.1:0"})
	defer srv.stop(t)
	base := srv.url
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		var res *http.Response
		var err error
		if method == "GET" {
			res, err = hc.Get(base + path)
		} else {
			res, err = hc.PostForm(base+path, form)
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	if res, _ := get("POST", "login", url.Values{"username": {"admin"}, "password": {strong}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", res.StatusCode)
	}
	for _, path := range []string{"admin/users", "admin/agencies", "account"} {
		if res, _ := get("GET", path, nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account/second-factor" {
			t.Errorf("GET /%s before a second factor: %d to %q", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, body := get("GET", "account/second-factor", nil)
	if res.StatusCode != 200 || !strings.Contains(body, "Set up a second factor to continue") || strings.Contains(body, "data-passkey-create") {
		t.Errorf("the set-up page: %d, passkeys offered: %v", res.StatusCode, strings.Contains(body, "data-passkey-create"))
	}
	res, body = get("POST", "account/second-factor/totp", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `src="data:image/png;base64,`) || !strings.Contains(body, `id="totp-secret"`) {
		t.Errorf("start an app on serve: %d", res.StatusCode)
	}
	if !strings.Contains(srv.errOut.String(), "passkeys are not offered") {
		t.Errorf("serve does not say passkeys are off without a base URL: %s", srv.errOut.String())
	}
}
