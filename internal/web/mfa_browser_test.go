package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/safecase/safecase/internal/store"
)

// TestBrowserEnrolAppAndSignIn is the browser test: a caseworker
// whose role must use a second factor signs in with the password and is led
// to set one up; she sets up an authenticator app on the page (the key read
// from the page, the codes computed by pquerna/otp as a phone would), gets
// her recovery codes and says she saved them; she signs out, signs in with
// password and code, and opens a case.
func TestBrowserEnrolAppAndSignIn(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		var code string
		ctx := context.Background()
		e.db.Read(ctx, func(tx *store.Tx) error {
			c, err := tx.Case(ctx, m.caseID)
			if err == nil {
				code = c.Code
			}
			return err
		})
		b := newBrowser(t, e)
		b.signIn("caseworker")
		b.wantText("h1", "Second factor")
		b.wantText("main", "Set up a second factor to continue", "Authenticator app", "Passkeys")
		b.screenshot("mfa-must-enrol")
		// Every other page leads back here until a factor is set up.
		b.open("/caseload")
		b.wantText("h1", "Second factor")

		b.submit("form[action='/account/second-factor/totp'] button")
		b.wantText("h1", "Set up an authenticator app")
		b.wantText("main", "Install an authenticator app", "scan this QR code", "time-based, 6 digits")
		if n := b.count("img.qr[src^='data:image/png;base64,']"); n != 1 {
			t.Errorf("%d QR code images as data: URLs", n)
		}
		b.screenshot("mfa-app")
		secret := strings.TrimSpace(b.text("#totp-secret"))
		if len(strings.ReplaceAll(secret, " ", "")) != 32 {
			t.Fatalf("the key on the page: %q", secret)
		}
		// A mistyped code first: the same key is asked for again.
		b.do(chromedp.SendKeys(chromedp.CSS("#f-app_code"), wrongCode(t, secret, e.clock.now())))
		b.submitRefused("form[action='/account/second-factor/totp/confirm'] button[type=submit]")
		b.wantText(".field-error", "That code is not right")
		if again := strings.TrimSpace(b.text("#totp-secret")); again != secret {
			t.Errorf("after a mistyped code the key changed: %q, was %q", again, secret)
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#f-app_code"), appCode(t, secret, e.clock.now())))
		b.submit("form[action='/account/second-factor/totp/confirm'] button[type=submit]")
		b.wantText("h1", "Your recovery codes")
		b.wantText("main", "shown only this once", "I have saved them")
		codes := strings.Fields(b.text("#recovery-codes"))
		if len(codes) != 10 {
			t.Errorf("recovery codes on the page: %q", codes)
		}
		b.screenshot("mfa-codes")
		b.submit("a.button[href='/account/second-factor']")
		b.wantText("#app", "Set up on")
		b.wantText("#recovery", "10 of 10 codes left")
		b.screenshot("mfa-manage")

		b.signOut()
		e.clock.add(30 * time.Second)
		b.signIn("caseworker")
		b.wantText("h1", "One more step")
		b.screenshot("mfa-second-step")
		b.open("/caseload") // no session yet
		b.wantText("h1", "Sign in")
		b.signIn("caseworker")
		b.do(chromedp.SendKeys(chromedp.CSS("#f-app_code"), appCode(t, secret, e.clock.now())))
		b.submit("#app-code-form button[type=submit]")
		b.wantText("h1", "My caseload")
		b.open("/cases/" + m.caseID)
		b.wantText("h1", code)
		b.screenshot("mfa-case")

		// Lost phone: a recovery code, then the page says what to do.
		b.signOut()
		b.signIn("caseworker")
		b.do(chromedp.Click(chromedp.CSS("details.recovery summary")),
			chromedp.SendKeys(chromedp.CSS("#f-recovery_code"), codes[0]))
		b.submit("#recovery-form button[type=submit]")
		b.wantText(".flash", "You signed in with a recovery code")
		b.wantText("#recovery", "9 of 10 codes left")
		b.screenshot("mfa-recovery-used")
		// Changes ask for the password on a page of their own.
		b.submit("form[action='/account/second-factor/recovery'] button")
		b.wantText("h1", "Make new recovery codes")
		b.screenshot("mfa-confirm")
		b.open("/account")
		b.wantText("#second-factor", "Authenticator app", "set up", "Manage your second factor")
		b.screenshot("mfa-account")

		// The administrator, who signs in with her own app, resets the
		// caseworker's account with its second factor (a lost phone).
		b.signOut()
		adminSecret := e.enrolDirect("agency_admin")
		b.signIn("agency_admin")
		b.do(chromedp.SendKeys(chromedp.CSS("#f-app_code"), appCode(t, adminSecret, e.clock.now())))
		b.submit("#app-code-form button[type=submit]")
		b.open("/admin/users/" + e.users["caseworker"].ID)
		b.wantText("main", "Second factor", "authenticator app", "Also remove the second factor (lost phone)")
		b.screenshot("mfa-admin-reset")
		b.do(chromedp.Click(chromedp.CSS("input[name=second_factor]")))
		b.submit("form[action$='/reset'] button[type=submit]")
		b.wantText("main", "Their second factor was removed")
		b.screenshot("mfa-admin-reset-done")
		if st := e.mfaStatus(e.users["caseworker"].ID); st.Enrolled() || st.RecoveryLeft != 0 {
			t.Errorf("after the reset with the option: %+v", st)
		}
	}, withSecondFactor())
}

// TestBrowserPasskey registers a passkey on the page with Chrome's virtual
// authenticator (the DevTools WebAuthn domain: CTAP2, internal transport,
// resident key, user verification), then signs in with the password and
// the passkey: the page's script, the browser's WebAuthn, the library and
// the database end to end.
func TestBrowserPasskey(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		b := newBrowser(t, e)
		b.host = e.origin() // http://localhost:<port>: a passkey is bound to a name
		b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
				Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
					Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
					IsUserVerified: true, AutomaticPresenceSimulation: true}})
			return err
		}))
		sup := e.users["supervisor"]
		b.signIn("supervisor")
		b.wantText("h1", "Second factor")
		if b.count("form.passkey-add button[hidden]") != 0 {
			t.Fatal("the script did not offer to add a passkey")
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#f-name"), "this laptop"))
		b.submit("form.passkey-add button[type=submit]")
		b.wantText("h1", "Your recovery codes")
		if st := e.mfaStatus(sup.ID); st.Passkeys != 1 || st.TOTP || st.RecoveryLeft != 10 {
			t.Fatalf("after adding a passkey: %+v", st)
		}
		b.submit("a.button[href='/account/second-factor']")
		b.wantText("#passkeys", "this laptop", "never used")
		b.screenshot("mfa-passkeys")

		b.signOut()
		b.signIn("supervisor")
		b.wantText("h1", "One more step")
		if b.count("#passkey-form button[hidden]") != 0 || b.count("#f-app_code") != 0 {
			t.Fatal("the second step does not offer the passkey alone")
		}
		b.screenshot("mfa-second-step-passkey")
		b.submit("#passkey-form button[type=submit]")
		b.wantText("h1", "Team: North")
		ev := e.eventsOf("auth.second_factor", sup.ID)
		if len(ev) != 1 || !strings.Contains(ev[0].Detail, `"method":"passkey"`) {
			t.Errorf("auth.second_factor: %+v", ev)
		}
		b.open("/account/second-factor")
		b.wantText("#passkeys", "last used")
		// The passkey's origin is the site's: opened at the IP address, the
		// browser refuses to use it there (and the server would refuse it).
		if !strings.HasPrefix(b.host, "http://localhost:") || strings.Contains(e.ts.URL, "localhost") {
			t.Errorf("the test runs at %q and %q", b.host, e.ts.URL)
		}
		u, _ := url.Parse(b.host)
		if u.Hostname() != "localhost" {
			t.Errorf("relying party host %q", u.Hostname())
		}
	}, withSecondFactor())
}
