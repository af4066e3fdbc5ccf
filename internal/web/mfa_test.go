package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/passkeytest"
	"github.com/safecase/safecase/internal/store"
)

// TestSecondStepBeforeSession: a user with an authenticator app gives the
// right password and is not signed in — no session cookie, the caseload
// sends them to sign in, no auth.login, the address not yet the account's
// own — until the app's code; then the session starts, auth.login and
// auth.second_factor are recorded, and the page asked for opens.
func TestSecondStepBeforeSession(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		secret := e.enrolDirect("caseworker")
		cw := e.users["caseworker"]
		logins := len(e.eventsOf("auth.login", cw.ID))

		c := e.anon()
		res := c.passwordStep(cw.Username, testPassword, "/cases/"+m.caseID)
		if res.StatusCode != http.StatusSeeOther || res.location() != "/login/second-factor" {
			t.Fatalf("password step: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		if !strings.Contains(res.Header.Get("Location"), url.QueryEscape("/cases/"+m.caseID)) {
			t.Errorf("the second step forgets the page asked for: %q", res.Header.Get("Location"))
		}
		if c.cookieNamed("safecase") != "" {
			t.Error("a session cookie after the password alone")
		}
		if c.cookieNamed("safecase-pending") == "" {
			t.Error("no pending sign-in cookie after the password")
		}
		for _, path := range []string{"/caseload", "/cases/" + m.caseID, "/account"} {
			if res := c.get(path); res.StatusCode != http.StatusSeeOther || res.location() != "/login" {
				t.Errorf("GET %s after the password alone: %d to %q", path, res.StatusCode, res.location())
			}
		}
		if res := c.json("GET", "/api/v1/me", ""); res.StatusCode != 401 {
			t.Errorf("the API after the password alone: %d", res.StatusCode)
		}
		if n := len(e.eventsOf("auth.login", cw.ID)); n != logins {
			t.Errorf("auth.login recorded after the password alone (%d events, %d before)", n, logins)
		}
		if e.knownAddress("caseworker") {
			t.Error("the address became the account's own after the password alone")
		}

		page := c.get("/login/second-factor?next=" + url.QueryEscape("/cases/"+m.caseID))
		if page.StatusCode != 200 || !strings.Contains(page.Body, "Code from the app") {
			t.Fatalf("second step page: %d\n%.2000s", page.StatusCode, mainOf(page.Body))
		}
		if strings.Contains(page.Body, `data-passkey-get`) {
			t.Error("a passkey is offered to a person who has none")
		}
		token := c.cookieNamed("safecase-pending")
		res = c.answer(appCode(t, secret, e.clock.now()), "/cases/"+m.caseID)
		if res.StatusCode != http.StatusSeeOther || res.location() != "/cases/"+m.caseID {
			t.Fatalf("second step: %d to %q\n%.1000s", res.StatusCode, res.location(), mainOf(res.Body))
		}
		if c.cookieNamed("safecase") == "" || c.cookieNamed("safecase-pending") != "" {
			t.Errorf("after the second step: session %q, pending %q", c.cookieNamed("safecase"), c.cookieNamed("safecase-pending"))
		}
		if res := c.get("/cases/" + m.caseID); res.StatusCode != 200 || !strings.Contains(res.Body, "Matrix") {
			t.Errorf("the case after the second step: %d", res.StatusCode)
		}
		if n := len(e.eventsOf("auth.login", cw.ID)); n != logins+1 {
			t.Errorf("auth.login events: %d, want %d", n, logins+1)
		}
		sf := e.eventsOf("auth.second_factor", cw.ID)
		if len(sf) != 1 || !strings.Contains(sf[0].Detail, `"method":"totp"`) || sf[0].ActorID != cw.ID {
			t.Errorf("auth.second_factor: %+v", sf)
		}
		if !e.knownAddress("caseworker") {
			t.Error("after the second step the address is not the account's own")
		}
		// The pending sign-in signs in once, even with the next right code.
		e.clock.add(30 * time.Second)
		again := e.anon()
		u, _ := url.Parse(e.ts.URL)
		again.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "safecase-pending", Value: token, Path: "/"}})
		if res := again.answer(appCode(t, secret, e.clock.now()), ""); res.location() != "/login" || again.cookieNamed("safecase") != "" {
			t.Errorf("the used pending sign-in again: %d to %q", res.StatusCode, res.location())
		}
	})
}

// wrongCode is a code the app set up with secret does not show within a
// step of now.
func wrongCode(t testing.TB, secret string, now time.Time) string {
	t.Helper()
	near := map[string]bool{}
	for d := -1; d <= 1; d++ {
		near[appCode(t, secret, now.Add(time.Duration(d)*30*time.Second))] = true
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", n); !near[c] {
			return c
		}
	}
}

// TestWrongCodesCountedAndVoid: a wrong code is refused, audited without
// the code and counted; the fifth voids the pending sign-in, after which
// even the right code does not sign in.
func TestWrongCodesCountedAndVoid(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		_, secret, _ := e.enrolled("supervisor")
		sup := e.users["supervisor"]
		c := e.anon()
		c.passwordStep(sup.Username, testPassword, "")
		pending := c.cookieNamed("safecase-pending")
		right := appCode(t, secret, e.clock.now())
		wrong := wrongCode(t, secret, e.clock.now())
		for i := 1; i < mfa.MaxAttempts; i++ {
			res := c.answer(wrong, "")
			if res.StatusCode != 422 || !strings.Contains(res.Body, "That code is not right") ||
				!strings.Contains(res.Body, fmt.Sprintf("You have %d tries left", mfa.MaxAttempts-i)) {
				t.Fatalf("wrong code %d: %d\n%.2000s", i, res.StatusCode, mainOf(res.Body))
			}
			if c.cookieNamed("safecase") != "" {
				t.Fatal("a session after a wrong code")
			}
		}
		failed := e.eventsOf("auth.second_factor_failed", sup.ID)
		if len(failed) != mfa.MaxAttempts-1 {
			t.Fatalf("auth.second_factor_failed events: %d, want %d", len(failed), mfa.MaxAttempts-1)
		}
		for _, ev := range failed {
			if strings.Contains(ev.Detail+ev.Reason, wrong) || ev.Reason != "wrong code" {
				t.Errorf("failure event: reason %q detail %q", ev.Reason, ev.Detail)
			}
		}
		if !strings.Contains(failed[len(failed)-1].Detail, fmt.Sprintf(`"attempt":%d`, mfa.MaxAttempts-1)) {
			t.Errorf("the last failure does not count the attempts: %s", failed[len(failed)-1].Detail)
		}
		res := c.answer(wrong, "")
		if res.StatusCode != http.StatusSeeOther || res.location() != "/login" || !strings.Contains(res.Header.Get("Location"), "again=attempts") {
			t.Fatalf("the last wrong code: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		if c.cookieNamed("safecase-pending") != "" {
			t.Error("the void sign-in's cookie is kept")
		}
		if page := c.get(res.Header.Get("Location")); !strings.Contains(page.Body, "Too many wrong answers") {
			t.Errorf("the sign-in page does not say why:\n%.1500s", mainOf(page.Body))
		}
		// The void sign-in's cookie kept by someone, with the right code: nothing.
		replay := e.anon()
		u, _ := url.Parse(e.ts.URL)
		replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "safecase-pending", Value: pending, Path: "/"}})
		if res := replay.answer(right, ""); res.location() != "/login" || replay.cookieNamed("safecase") != "" {
			t.Errorf("the right code on the void sign-in: %d to %q", res.StatusCode, res.location())
		}
		if n := len(e.eventsOf("auth.second_factor", sup.ID)); n != 0 {
			t.Errorf("%d accepted second steps", n)
		}
	})
}

// TestRecoveryCodeWorksOnce: a recovery code signs in once, in place of
// the app, and is audited with the count left; used again it is refused.
func TestRecoveryCodeWorksOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		_, _, codes := e.enrolled("manager")
		mgr := e.users["manager"]
		c := e.anon()
		c.passwordStep(mgr.Username, testPassword, "")
		res := c.post("/login/second-factor", url.Values{"code": {strings.ToLower(codes[3])}, "form": {"recovery"}})
		if res.StatusCode != http.StatusSeeOther || res.location() != "/account/second-factor" {
			t.Fatalf("recovery code: %d to %q\n%.1000s", res.StatusCode, res.location(), mainOf(res.Body))
		}
		page := c.get("/account/second-factor?done=recovery_used")
		if !strings.Contains(page.Body, "You signed in with a recovery code") || !strings.Contains(page.Body, "9 of 10 codes left") {
			t.Errorf("after a recovery code the page says:\n%.3000s", mainOf(page.Body))
		}
		used := e.eventsOf("mfa.recovery_used", mgr.ID)
		if len(used) != 1 || !strings.Contains(used[0].Detail, `"left":9`) {
			t.Errorf("mfa.recovery_used: %+v", used)
		}
		if e.mfaStatus(mgr.ID).RecoveryLeft != 9 {
			t.Errorf("recovery codes left: %d", e.mfaStatus(mgr.ID).RecoveryLeft)
		}
		c.post("/logout", nil)

		again := e.anon()
		again.passwordStep(mgr.Username, testPassword, "")
		res = again.post("/login/second-factor", url.Values{"code": {codes[3]}, "form": {"recovery"}})
		if res.StatusCode != 422 || again.cookieNamed("safecase") != "" {
			t.Fatalf("a used recovery code: %d to %q", res.StatusCode, res.location())
		}
		if !strings.Contains(res.Body, `id="f-recovery_code"`) || !strings.Contains(res.Body, "That code is not right") || !strings.Contains(res.Body, "<details class=\"recovery\" open>") {
			t.Errorf("the refusal is not shown at the recovery code's field:\n%.3000s", mainOf(res.Body))
		}
		if res := again.post("/login/second-factor", url.Values{"code": {codes[4]}, "form": {"recovery"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("another unused code: %d", res.StatusCode)
		}
	})
}

// TestReplayedCodeRefused: an app's code that signed in once does not sign
// in again, even within its 30 seconds; the next code does.
func TestReplayedCodeRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		_, secret, _ := e.enrolled("caseworker")
		cw := e.users["caseworker"]
		code := appCode(t, secret, e.clock.now())
		first := e.anon()
		first.passwordStep(cw.Username, testPassword, "")
		if res := first.answer(code, ""); res.StatusCode != http.StatusSeeOther || first.cookieNamed("safecase") == "" {
			t.Fatalf("first use: %d", res.StatusCode)
		}
		e.clock.add(5 * time.Second) // the same 30-second step, or the next within the skew
		second := e.anon()
		second.passwordStep(cw.Username, testPassword, "")
		res := second.answer(code, "")
		if res.StatusCode != 422 || second.cookieNamed("safecase") != "" || !strings.Contains(res.Body, "That code was used already") {
			t.Fatalf("replayed code: %d\n%.1500s", res.StatusCode, mainOf(res.Body))
		}
		ev := e.eventsOf("auth.second_factor_failed", cw.ID)
		if len(ev) != 1 || ev[0].Reason != "code already used (replay)" {
			t.Errorf("the replay's audit: %+v", ev)
		}
		e.clock.add(30 * time.Second)
		if res := second.answer(appCode(t, secret, e.clock.now()), ""); res.StatusCode != http.StatusSeeOther || second.cookieNamed("safecase") == "" {
			t.Errorf("the next code: %d", res.StatusCode)
		}
	})
}

// TestSecondFactorGateEverywhere: a caseworker, whom the default profile
// requires to use a second factor and who has none, signs in with the
// password but every page sends them to set one up and every API route
// answers 403 second_factor_required (by session and by an API token),
// except setting it up and signing out; once set up, all opens.
func TestSecondFactorGateEverywhere(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		cw := e.users["caseworker"]
		c := e.as("caseworker")
		if res := c.get("/caseload"); res.StatusCode != http.StatusSeeOther || res.location() != "/account/second-factor" {
			t.Fatalf("the caseload: %d to %q", res.StatusCode, res.location())
		}
		tok, hash := auth.NewToken("sc_")
		ctx := context.Background()
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			return tx.InsertToken(ctx, &store.APIToken{UserID: cw.ID, Name: "old", Hash: hash, CreatedAt: e.clock.now(),
				ExpiresAt: e.clock.now().Add(24 * time.Hour)})
		}); err != nil {
			t.Fatal(err)
		}
		api := e.anon()
		api.token = tok
		// Setting up a factor and signing out stay open.
		open := map[string]bool{"POST /logout": true, "GET /account/second-factor": true,
			"POST /account/second-factor/totp": true, "POST /account/second-factor/totp/confirm": true,
			"POST /account/second-factor/passkeys/begin": true, "POST /account/second-factor/passkeys/finish": true}
		for _, rt := range e.srv.routeTable() {
			key := rt.method + " " + rt.path
			if rt.auth == public || open[key] {
				continue
			}
			path := regexpBraces.ReplaceAllString(rt.path, m.caseID)
			path = strings.TrimSuffix(path, "{$}")
			if rt.auth == apiAuth {
				for who, cl := range map[string]*client{"session": c, "token": api} {
					res := cl.json(rt.method, path, "{}")
					var body struct {
						Error struct{ Code, Message string } `json:"error"`
					}
					res.decode(t, &body)
					if res.StatusCode != 403 || body.Error.Code != "second_factor_required" || !strings.Contains(body.Error.Message, "/account/second-factor") {
						t.Errorf("%s by %s without a second factor: %d %.200s", key, who, res.StatusCode, res.Body)
					}
					if strings.Contains(res.Body, "Matrix") {
						t.Errorf("%s: case content in the refusal", key)
					}
				}
				continue
			}
			var res *response
			if rt.method == "GET" {
				res = c.get(path)
			} else {
				res = c.post(path, url.Values{"version": {"1"}})
			}
			if res.StatusCode != http.StatusSeeOther || res.location() != "/account/second-factor" {
				t.Errorf("%s without a second factor: %d to %q", key, res.StatusCode, res.location())
			}
		}
		page := c.get("/account/second-factor")
		if page.StatusCode != 200 || !strings.Contains(page.Body, "Set up a second factor to continue") {
			t.Fatalf("the set-up page: %d\n%.2000s", page.StatusCode, mainOf(page.Body))
		}
		c.enrolApp(t)
		if res := c.get("/cases/" + m.caseID); res.StatusCode != 200 {
			t.Errorf("the case after setting up the app: %d", res.StatusCode)
		}
		if res := api.json("GET", "/api/v1/cases/"+m.caseID, ""); res.StatusCode != 200 {
			t.Errorf("the API after setting up the app: %d", res.StatusCode)
		}
		// A role the profile does not name is never held.
		vol := e.as("community_volunteer")
		if res := vol.get("/identify"); res.StatusCode != 200 {
			t.Errorf("a community volunteer without a second factor: %d to %q", res.StatusCode, res.location())
		}
	}, withSecondFactor())
}

// TestGatesInOrder: a person who must change their password and set up a
// second factor changes the password first (the second factor's pages are
// closed meanwhile), then is led to the second factor.
func TestGatesInOrder(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.users["caseworker"]
		e.mustChangePassword(t, cw.ID)
		c := e.as("caseworker")
		for _, path := range []string{"/caseload", "/account/second-factor"} {
			if res := c.get(path); res.location() != "/account" {
				t.Errorf("GET %s while the password must change: %d to %q", path, res.StatusCode, res.location())
			}
		}
		if res := c.json("GET", "/api/v1/me", ""); !strings.Contains(res.Body, "password_change_required") {
			t.Errorf("the API while both gates hold: %s", res.Body)
		}
		res := c.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {strongPassword},
			"confirm_password": {strongPassword}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("change the password: %d\n%.1000s", res.StatusCode, mainOf(res.Body))
		}
		for _, path := range []string{res.location(), "/caseload", "/account"} {
			if res := c.get(path); res.location() != "/account/second-factor" {
				t.Errorf("GET %s after the password change: %d to %q", path, res.StatusCode, res.location())
			}
		}
		if res := c.json("GET", "/api/v1/me", ""); !strings.Contains(res.Body, "second_factor_required") {
			t.Errorf("the API after the password change: %s", res.Body)
		}
	}, withSecondFactor())
}

// TestAdminResetRemovesSecondFactor: an administrator's reset leaves a
// person's second factors alone unless asked; with "also remove the second
// factor" (page and API) they go, in the reset's transaction, audited and
// told to the DPO: the setup code is the way back in, after which the person
// signs in with the new password and is led to set up a factor again, with
// case access awaiting approval.
func TestAdminResetRemovesSecondFactor(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		target := e.users["caseworker2"]
		c, secret, _ := e.enrolled("caseworker2")
		k := passkeytest.New(t, e.origin())
		if res := c.addPasskey(t, k, "work laptop", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("add a passkey: %d\n%.1500s", res.StatusCode, mainOf(res.Body))
		}
		before := e.mfaStatus(target.ID)
		if !before.TOTP || before.Passkeys != 1 || before.RecoveryLeft != 10 {
			t.Fatalf("set up: %+v", before)
		}
		e.enrolDirect("agency_admin") // or the gate holds the administrator too
		admin := e.session("agency_admin")
		if page := admin.get("/admin/users/" + target.ID); !strings.Contains(page.Body, "authenticator app · passkeys: 1") ||
			!strings.Contains(page.Body, "Also remove the second factor (lost phone)") {
			t.Errorf("the user's page:\n%.4000s", mainOf(page.Body))
		}
		// A reset without the option: the password goes, the factors stay.
		res := admin.post("/admin/users/"+target.ID+"/reset", nil)
		code := setupCode(t, res)
		if strings.Contains(res.Body, "Their second factor was removed") {
			t.Error("the setup page says the second factor was removed")
		}
		if st := e.mfaStatus(target.ID); st != before {
			t.Errorf("a reset without the option changed the second factor: %+v", st)
		}
		if res := e.setup(code, strongPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("setup: %d", res.StatusCode)
		}
		if res := e.anon().passwordStep(target.Username, strongPassword, ""); res.location() != "/login/second-factor" {
			t.Errorf("after a plain reset, the password alone: %d to %q", res.StatusCode, res.location())
		}

		// With the option, by the page.
		resets := len(e.eventsOf("mfa.reset", target.ID))
		res = admin.post("/admin/users/"+target.ID+"/reset", url.Values{"second_factor": {"1"}})
		code = setupCode(t, res)
		if !strings.Contains(res.Body, "Their second factor was removed") {
			t.Errorf("the setup page does not say the second factor was removed:\n%.2000s", mainOf(res.Body))
		}
		if st := e.mfaStatus(target.ID); st.Enrolled() || st.RecoveryLeft != 0 {
			t.Errorf("after the reset with the option: %+v", st)
		}
		evs := e.eventsOf("mfa.reset", target.ID)
		if len(evs) != resets+1 || evs[len(evs)-1].ActorID != e.users["agency_admin"].ID ||
			!strings.Contains(evs[len(evs)-1].Detail, `"passkeys":1`) || !strings.Contains(evs[len(evs)-1].Detail, `"totp":true`) {
			t.Errorf("mfa.reset events: %+v", evs)
		}
		ur := e.eventsOf("user.reset", target.ID)
		if !strings.Contains(ur[len(ur)-1].Detail, `"second_factor":{"old":"","new":"removed"}`) {
			t.Errorf("user.reset detail: %s", ur[len(ur)-1].Detail)
		}
		var told int
		ctx := context.Background()
		e.db.Read(ctx, func(tx *store.Tx) error {
			ns, err := tx.Notifications(ctx, e.users["dp_officer"].ID, 100)
			for _, n := range ns {
				if n.Kind == notify.AccountReset && n.SubjectID == target.ID {
					told++
				}
			}
			return err
		})
		if told != 2 {
			t.Errorf("the DPO was told of %d resets, want 2", told)
		}
		// The old password, app and passkey open nothing; the setup code does.
		if res := e.anon().passwordStep(target.Username, strongPassword, ""); res.StatusCode == http.StatusSeeOther {
			t.Error("the old password still opens the account")
		}
		if res := e.setup(code, "a-brand-new-passphrase-26"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("setup after the reset: %d", res.StatusCode)
		}
		back := e.anon()
		if res := back.passwordStep(target.Username, "a-brand-new-passphrase-26", ""); res.StatusCode != http.StatusSeeOther || res.location() == "/login/second-factor" {
			t.Fatalf("sign in after the reset: %d to %q", res.StatusCode, res.location())
		}
		if res := back.get("/caseload"); res.location() != "/account/second-factor" {
			t.Errorf("after the reset the person is not led to set up a factor: %d to %q", res.StatusCode, res.location())
		}
		if !e.userNamed(target.Username).CaseAccessPending {
			t.Error("case access does not wait for approval after the reset")
		}
		_ = secret

		// With the option, by the API.
		back.enrolApp(t)
		if !e.mfaStatus(target.ID).TOTP {
			t.Fatal("set up again")
		}
		api := e.apiClient("agency_admin")
		res = api.json("POST", "/api/v1/users/"+target.ID+"/reset", `{"second_factor":true}`)
		if res.StatusCode != 200 {
			t.Fatalf("API reset: %d %s", res.StatusCode, res.Body)
		}
		doc.checkResponse(t, "POST", "/api/v1/users/{id}/reset", res)
		if st := e.mfaStatus(target.ID); st.Enrolled() || st.RecoveryLeft != 0 {
			t.Errorf("after the API reset with the option: %+v", st)
		}
		res = api.json("POST", "/api/v1/users/"+target.ID+"/reset", `{"second_factor":"yes"}`)
		if res.StatusCode != 422 || !strings.Contains(res.Body, "second_factor") {
			t.Errorf("a bad option: %d %s", res.StatusCode, res.Body)
		}
		doc.checkResponse(t, "POST", "/api/v1/users/{id}/reset", res)
		// Nobody resets their own second factor.
		if res := e.session("agency_admin").post("/admin/users/"+e.users["agency_admin"].ID+"/reset", url.Values{"second_factor": {"1"}}); res.StatusCode != 422 {
			t.Errorf("an administrator resets herself: %d", res.StatusCode)
		}
	}, withSecondFactor())
}

// TestNoOtherRouteRemovesAnothersFactor sends every route but the reset,
// as every administrator, aimed at another user's account and passkey with
// bodies that ask for the factor to go (the administrator's own password
// included); the user's second factors are all still there afterwards.
func TestNoOtherRouteRemovesAnothersFactor(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		target := e.users["caseworker2"]
		c, _, _ := e.enrolled("caseworker2")
		k := passkeytest.New(t, e.origin())
		if res := c.addPasskey(t, k, "phone", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("add a passkey: %d", res.StatusCode)
		}
		// The administrators have their own factors, so that the gate lets
		// their requests through to the routes.
		e.enrolDirect("agency_admin")
		e.enrolDirect("system_admin")
		var passkeyID string
		ctx := context.Background()
		e.db.Read(ctx, func(tx *store.Tx) error {
			keys, err := tx.Passkeys(ctx, target.ID)
			if len(keys) == 1 {
				passkeyID = keys[0].ID
			}
			return err
		})
		before := e.mfaStatus(target.ID)
		form := url.Values{"password": {testPassword}, "confirm": {"1"}, "second_factor": {"1"}, "name": {"x"}, "version": {"1"}}
		for _, rt := range e.srv.routeTable() {
			key := rt.method + " " + rt.path
			if strings.HasSuffix(rt.path, "/reset") || key == "POST /logout" || strings.HasPrefix(rt.path, "/login") {
				continue
			}
			path := strings.NewReplacer("{id}", target.ID, "{$}", "").Replace(rt.path)
			if strings.Contains(rt.path, "/passkeys/{id}") {
				path = strings.ReplaceAll(rt.path, "{id}", passkeyID)
			}
			path = regexpBraces.ReplaceAllString(path, target.ID)
			for _, role := range []string{"agency_admin", "system_admin"} {
				a := e.session(role)
				switch {
				case strings.HasPrefix(path, "/api/"):
					a.json(rt.method, path, `{"second_factor":true}`)
				case rt.method == "GET":
					a.get(path)
				default:
					a.post(path, form)
				}
				if st := e.mfaStatus(target.ID); st != before {
					t.Fatalf("%s as %s changed another user's second factor: %+v, before %+v", key, role, st, before)
				}
			}
		}
		// The reset does.
		e.session("system_admin").post("/admin/users/"+target.ID+"/reset", url.Values{"second_factor": {"1"}})
		if e.mfaStatus(target.ID).Enrolled() {
			t.Error("the reset with the option left a factor")
		}
	}, withSecondFactor())
}

// TestChangesAskForThePassword: removing the app, making new recovery codes
// and setting up a new phone ask for the password again (a page of its
// own); a wrong one is refused and counted as a failed sign-in; the last
// factor of a role that must use one is not removed.
func TestChangesAskForThePassword(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c, _, codes := e.enrolled("caseworker")
		cw := e.users["caseworker"]
		for _, path := range []string{"/account/second-factor/totp/remove", "/account/second-factor/recovery", "/account/second-factor/totp"} {
			res := c.post(path, nil)
			if res.StatusCode != 200 || !strings.Contains(res.Body, `id="f-password"`) || !strings.Contains(res.Body, `action="`+path+`"`) {
				t.Errorf("POST %s without the password: %d\n%.1500s", path, res.StatusCode, mainOf(res.Body))
			}
			res = c.post(path, url.Values{"confirm": {"1"}, "password": {"not my password"}})
			if res.StatusCode != 422 || !strings.Contains(res.Body, "wrong") {
				t.Errorf("POST %s with a wrong password: %d\n%.1500s", path, res.StatusCode, mainOf(res.Body))
			}
		}
		if st := e.mfaStatus(cw.ID); !st.TOTP || st.RecoveryLeft != 10 {
			t.Errorf("changed without the password: %+v", st)
		}
		// The wrong passwords are counted and listed to the owner as failed sign-ins.
		total := 0
		ctx := context.Background()
		e.db.Read(ctx, func(tx *store.Tx) error {
			g, err := tx.SignInFailures(ctx, cw.ID, e.clock.now().Add(-time.Hour), 10)
			for _, x := range g {
				total += x.Count
			}
			return err
		})
		if total != 3 {
			t.Errorf("the wrong passwords counted as %d failed sign-ins, want 3", total)
		}

		// The last factor of a caseworker stays.
		res := c.post("/account/second-factor/totp/remove", url.Values{"confirm": {"1"}, "password": {testPassword}})
		if res.StatusCode != 422 || !strings.Contains(res.Body, "Your role must sign in with a second factor") {
			t.Errorf("remove the last factor: %d\n%.1500s", res.StatusCode, mainOf(res.Body))
		}
		if !e.mfaStatus(cw.ID).TOTP {
			t.Error("the last factor of a caseworker was removed")
		}
		// New recovery codes replace the old ones.
		res = c.post("/account/second-factor/recovery", url.Values{"confirm": {"1"}, "password": {testPassword}})
		fresh := recoveryRE.FindAllStringSubmatch(res.Body, -1)
		if res.StatusCode != 200 || len(fresh) != 10 {
			t.Fatalf("new codes: %d, %d codes", res.StatusCode, len(fresh))
		}
		out := e.anon()
		out.passwordStep(cw.Username, testPassword, "")
		if res := out.post("/login/second-factor", url.Values{"code": {codes[0]}, "form": {"recovery"}}); res.StatusCode != 422 {
			t.Errorf("an old recovery code after new ones: %d", res.StatusCode)
		}
		if res := out.post("/login/second-factor", url.Values{"code": {fresh[0][1]}, "form": {"recovery"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("a new recovery code: %d", res.StatusCode)
		}
		// A person whose role does not need one may remove their only factor.
		vol, _, _ := e.enrolled("community_volunteer")
		if res := vol.post("/account/second-factor/totp/remove", url.Values{"confirm": {"1"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("a volunteer removes the app: %d\n%.1000s", res.StatusCode, mainOf(res.Body))
		}
		if st := e.mfaStatus(e.users["community_volunteer"].ID); st.Enrolled() || st.RecoveryLeft != 0 {
			t.Errorf("after removing the only factor: %+v", st)
		}
	}, withSecondFactor())
}

// TestNewPhoneReplacesApp: setting up the app again (a new phone) keeps
// the old one working until the new one's first code; a mistyped first
// code shows the same key again.
func TestNewPhoneReplacesApp(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c, oldSecret, _ := e.enrolled("supervisor")
		res := c.post("/account/second-factor/totp", url.Values{"confirm": {"1"}, "password": {testPassword}})
		m := secretRE.FindStringSubmatch(res.Body)
		if res.StatusCode != 200 || m == nil || m[1] == oldSecret {
			t.Fatalf("a new phone: %d", res.StatusCode)
		}
		res = c.post("/account/second-factor/totp/confirm", url.Values{"code": {"000000"}})
		again := secretRE.FindStringSubmatch(res.Body)
		if res.StatusCode != 422 || again == nil || again[1] != m[1] || !strings.Contains(res.Body, "That code is not right") {
			t.Fatalf("a mistyped first code: %d, key shown again %v", res.StatusCode, again != nil && again[1] == m[1])
		}
		// Meanwhile the old phone still signs in.
		e.signInWithApp("supervisor", oldSecret)
		res = c.post("/account/second-factor/totp/confirm", url.Values{"code": {appCode(t, m[1], e.clock.now())}})
		if res.StatusCode != http.StatusSeeOther || res.location() != "/account/second-factor" {
			t.Fatalf("confirm the new phone: %d", res.StatusCode)
		}
		e.clock.add(30 * time.Second)
		old := e.anon()
		old.passwordStep(e.users["supervisor"].Username, testPassword, "")
		if res := old.answer(appCode(t, oldSecret, e.clock.now()), ""); res.StatusCode != 422 {
			t.Errorf("the old phone after the new one: %d", res.StatusCode)
		}
		e.signInWithApp("supervisor", m[1])
	}, withSecondFactor())
}

// TestPasskeySecondStep: a passkey added on the page signs in as the second
// step (no password alone); a passkey that is not the person's is refused
// and audited; the page offers the passkey only to those who have one.
func TestPasskeySecondStep(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		cw := e.users["caseworker"]
		c := e.as("caseworker")
		k := passkeytest.New(t, e.origin())
		res := c.addPasskey(t, k, "work laptop", "")
		got := recoveryRE.FindAllStringSubmatch(res.Body, -1)
		if res.StatusCode != 200 || len(got) != 10 {
			t.Fatalf("a first passkey: %d, %d recovery codes\n%.1500s", res.StatusCode, len(got), mainOf(res.Body))
		}
		if res := c.post("/account/second-factor/passkeys/finish", url.Values{"name": {"no script"}}); res.StatusCode != 422 ||
			!strings.Contains(res.Body, "Adding a passkey needs JavaScript") {
			t.Errorf("the add form sent without the script: %d", res.StatusCode)
		}
		page := c.get("/account/second-factor")
		if !strings.Contains(page.Body, "work laptop") || !strings.Contains(page.Body, "never used") {
			t.Errorf("the list of passkeys:\n%.3000s", mainOf(page.Body))
		}
		// A second passkey needs the password.
		k2 := passkeytest.New(t, e.origin())
		if res := c.post("/account/second-factor/passkeys/begin", url.Values{"name": {"phone"}}); res.StatusCode != 422 || !strings.Contains(res.Body, `"field":"password"`) {
			t.Errorf("a second passkey without the password: %d %s", res.StatusCode, res.Body)
		}
		if res := c.addPasskey(t, k2, "phone", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("a second passkey: %d", res.StatusCode)
		}

		s := e.anon()
		s.passwordStep(cw.Username, testPassword, "/cases/"+m.caseID)
		page = s.get("/login/second-factor")
		if !strings.Contains(page.Body, "data-passkey-get") || strings.Contains(page.Body, `id="f-app_code"`) {
			t.Errorf("the second step of a person with passkeys only:\n%.2000s", mainOf(page.Body))
		}
		stranger := passkeytest.New(t, e.origin())
		stranger.Handle = k.Handle
		stranger.CredID = k.CredID // the same credential ID, another key: a forgery
		if res := s.passkeyAnswer(t, stranger, ""); res.StatusCode != 422 || s.cookieNamed("safecase") != "" {
			t.Fatalf("a forged passkey: %d", res.StatusCode)
		}
		if ev := e.eventsOf("auth.second_factor_failed", cw.ID); len(ev) != 1 || !strings.Contains(ev[0].Detail, `"method":"passkey"`) {
			t.Errorf("the forged passkey's audit: %+v", ev)
		}
		res = s.passkeyAnswer(t, k, "/cases/"+m.caseID)
		if res.StatusCode != http.StatusSeeOther || res.location() != "/cases/"+m.caseID || s.cookieNamed("safecase") == "" {
			t.Fatalf("the passkey step: %d to %q\n%.1000s", res.StatusCode, res.location(), mainOf(res.Body))
		}
		if ev := e.eventsOf("auth.second_factor", cw.ID); len(ev) != 1 || !strings.Contains(ev[0].Detail, `"method":"passkey"`) {
			t.Errorf("auth.second_factor: %+v", ev)
		}
		// Rename and remove, by the owner only.
		e.enrolDirect("caseworker2")
		var ids []string
		ctx := context.Background()
		e.db.Read(ctx, func(tx *store.Tx) error {
			keys, err := tx.Passkeys(ctx, cw.ID)
			for _, x := range keys {
				ids = append(ids, x.ID)
			}
			return err
		})
		if res := e.session("caseworker2").post("/account/second-factor/passkeys/"+ids[0]+"/remove", url.Values{"confirm": {"1"}, "password": {testPassword}}); res.StatusCode != 404 {
			t.Errorf("another caseworker removes the passkey: %d", res.StatusCode)
		}
		if res := e.session("caseworker2").post("/account/second-factor/passkeys/"+ids[0]+"/rename", url.Values{"name": {"mine now"}}); res.StatusCode != 404 {
			t.Errorf("another caseworker renames the passkey: %d", res.StatusCode)
		}
		if res := s.post("/account/second-factor/passkeys/"+ids[0]+"/rename", url.Values{"name": {"old laptop"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("rename: %d", res.StatusCode)
		}
		if res := s.post("/account/second-factor/passkeys/"+ids[0]+"/remove", url.Values{"confirm": {"1"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("remove: %d", res.StatusCode)
		}
		page = s.get("/account/second-factor")
		if strings.Contains(page.Body, "old laptop") || !strings.Contains(page.Body, "phone") {
			t.Errorf("after rename and removal:\n%.3000s", mainOf(page.Body))
		}
		// The last passkey of a caseworker stays.
		if res := s.post("/account/second-factor/passkeys/"+ids[1]+"/remove", url.Values{"confirm": {"1"}, "password": {testPassword}}); res.StatusCode != 422 {
			t.Errorf("remove the last passkey: %d", res.StatusCode)
		}
	}, withSecondFactor())
}

// TestSecondStepExpires: a pending sign-in lasts five minutes; after that
// the page and the answer send the person back to sign in, and the sweep
// deletes it.
func TestSecondStepExpires(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		_, secret, _ := e.enrolled("caseworker")
		c := e.anon()
		c.passwordStep(e.users["caseworker"].Username, testPassword, "")
		token := c.cookieNamed("safecase-pending")
		e.clock.add(mfa.SignInFor + time.Second)
		if res := c.get("/login/second-factor"); res.location() != "/login" || !strings.Contains(res.Header.Get("Location"), "again=expired") {
			t.Errorf("an expired second step: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		if res := c.answer(appCode(t, secret, e.clock.now()), ""); res.location() != "/login" || c.cookieNamed("safecase") != "" {
			t.Errorf("an answer after the end: %d to %q", res.StatusCode, res.location())
		}
		if err := e.srv.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		err := e.db.Read(ctx, func(tx *store.Tx) error {
			_, err := tx.PendingSignIn(ctx, auth.HashToken(token))
			return err
		})
		if errs.KindOf(err) != errs.NotFound {
			t.Errorf("the sweep left the expired pending sign-in: %v", err)
		}
	}, withSecondFactor())
}

// TestSecondFactorAPIStatus: the API says what the caller has set up and
// matches its OpenAPI description.
func TestSecondFactorAPIStatus(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		c, _, _ := e.enrolled("caseworker")
		res := c.json("GET", "/api/v1/account/second-factor", "")
		doc.checkResponse(t, "GET", "/api/v1/account/second-factor", res)
		var st secondFactorJSON
		res.decode(t, &st)
		want := secondFactorJSON{Required: true, TOTP: true, RecoveryCodesLeft: 10, TOTPOffered: true, PasskeysOffered: true}
		if st != want {
			t.Errorf("status %+v, want %+v", st, want)
		}
		gated := e.as("supervisor").json("GET", "/api/v1/account/second-factor", "")
		doc.checkResponse(t, "GET", "/api/v1/account/second-factor", gated)
		if gated.StatusCode != 403 {
			t.Errorf("without a second factor: %d", gated.StatusCode)
		}
	}, withSecondFactor())
}

// TestSecondStepLockedForAccount: ten wrong codes for one account, over
// several sign-ins, refuse codes (even the right one) for the rest of the
// window — 429 with Retry-After and the page saying until when — so that
// someone who knows the password cannot guess on and on; afterwards the
// right code works.
func TestSecondStepLockedForAccount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		secret := e.enrolDirect("caseworker")
		cw := e.users["caseworker"]
		wrong := wrongCode(t, secret, e.clock.now())
		for range mfa.UserFailures / mfa.MaxAttempts {
			c := e.anon()
			c.passwordStep(cw.Username, testPassword, "")
			for range mfa.MaxAttempts {
				c.answer(wrong, "")
			}
		}
		c := e.anon()
		c.passwordStep(cw.Username, testPassword, "")
		res := c.answer(appCode(t, secret, e.clock.now()), "")
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
			!strings.Contains(res.Body, "Too many wrong codes for this account") || c.cookieNamed("safecase") != "" {
			t.Fatalf("the right code while locked: %d, Retry-After %q\n%.1500s", res.StatusCode, res.Header.Get("Retry-After"), mainOf(res.Body))
		}
		e.clock.add(mfa.FailureWindow)
		c = e.anon()
		c.passwordStep(cw.Username, testPassword, "")
		if res := c.answer(appCode(t, secret, e.clock.now()), ""); res.StatusCode != http.StatusSeeOther || c.cookieNamed("safecase") == "" {
			t.Errorf("the right code after the window: %d\n%.1000s", res.StatusCode, mainOf(res.Body))
		}
	})
}

// TestSecondFactorAudited: setting up and using second factors through the
// pages is audited by its actions, each naming the person, and no audit
// event holds the app's key, a code typed, a recovery code or a passkey's
// answer.
func TestSecondFactorAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c, secret, codes := e.enrolled("manager")
		mgr := e.users["manager"]
		k := passkeytest.New(t, e.origin())
		c.addPasskey(t, k, "desk", testPassword)
		typed := []string{secret, strings.ReplaceAll(secret, " ", "")}
		s := e.anon()
		s.passwordStep(mgr.Username, testPassword, "")
		wrong := wrongCode(t, secret, e.clock.now())
		s.answer(wrong, "")
		code := appCode(t, secret, e.clock.now())
		s.answer(code, "")
		typed = append(typed, wrong, code)
		e.clock.add(time.Minute)
		r := e.anon()
		r.passwordStep(mgr.Username, testPassword, "")
		r.post("/login/second-factor", url.Values{"code": {codes[0]}, "form": {"recovery"}})
		res := r.post("/account/second-factor/recovery", url.Values{"confirm": {"1"}, "password": {testPassword}})
		for _, m := range recoveryRE.FindAllStringSubmatch(res.Body, -1) {
			codes = append(codes, m[1])
		}
		for _, x := range codes {
			typed = append(typed, x, strings.ReplaceAll(x, "-", ""))
		}
		want := map[string]int{"mfa.totp_start": 1, "mfa.totp_confirm": 1, "mfa.recovery_new": 2, "mfa.passkey_add": 1,
			"auth.second_factor": 2, "auth.second_factor_failed": 1, "mfa.recovery_used": 1}
		for action, n := range want {
			evs := e.eventsOf(action, mgr.ID)
			if len(evs) != n {
				t.Errorf("%s: %d events, want %d", action, len(evs), n)
			}
			for _, ev := range evs {
				if action != "auth.second_factor_failed" && ev.ActorID != mgr.ID {
					t.Errorf("%s by %q, want the manager", action, ev.ActorID)
				}
			}
		}
		var words []*regexp.Regexp // a code as a word of its own: a six-digit code may occur inside an ID's hex by chance
		for _, x := range typed {
			words = append(words, regexp.MustCompile(`\b`+regexp.QuoteMeta(x)+`\b`))
		}
		for _, ev := range e.eventsOf("", "") {
			for _, w := range words {
				for _, f := range []string{ev.Detail, ev.Reason, ev.RecordID} {
					if w.MatchString(f) {
						t.Errorf("audit event %s holds a code or key: %q", ev.Action, f)
					}
				}
			}
			if strings.Contains(ev.Detail, "clientDataJSON") || strings.Contains(ev.Detail, "signature") {
				t.Errorf("audit event %s holds a passkey's answer: %s", ev.Action, ev.Detail)
			}
		}
	})
}
