package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAccountSetup: in a real browser, an administrator adds a
// caseworker (the form has no password) and reads the setup code once; the
// person sets their password on /setup and is told their case access
// waits; a manager approves it on the staff accounts page, where the data
// protection officer reads what happened; the account page lists the
// person's sessions.
func TestBrowserAccountSetup(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		b := newBrowser(t, e)
		b.signIn("agency_admin")
		b.open("/admin/users/new")
		if b.count("input[type=password]") != 0 {
			t.Error("the new-user form asks for a password")
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#f-display_name"), "Hana Browser"),
			chromedp.SendKeys(chromedp.CSS("#f-username"), "hana"),
			chromedp.SetValue(chromedp.CSS("#f-role"), "caseworker"),
			chromedp.SetValue(chromedp.CSS("#f-team_id"), e.team))
		b.screenshot("user-new")
		b.submit("form[action='/admin/users'] button[type=submit]")
		code := strings.TrimSpace(b.text("#setup-code"))
		b.wantText("main", "shown only this once", "/setup?code=", "reads case content")
		b.screenshot("user-setup-code")
		b.open("/admin/users/" + e.userNamed("hana").ID)
		b.wantText("main", "Setup code not used yet", "Awaiting a second person's approval", "Reset the account", "Clear the delays")
		b.screenshot("user-edit")
		b.signOut()

		b.open("/setup?code=" + code)
		b.do(chromedp.SendKeys(chromedp.CSS("#f-new_password"), strongPassword),
			chromedp.SendKeys(chromedp.CSS("#f-confirm_password"), strongPassword))
		b.screenshot("setup")
		b.submit("form[action='/setup'] button[type=submit]")
		b.wantText(".flash", "Your password is set")
		b.do(chromedp.SendKeys(chromedp.CSS("#f-username"), "hana"), chromedp.SendKeys(chromedp.CSS("#f-password"), strongPassword))
		b.submit("form[action='/login'] button[type=submit]")
		b.wantText("main", "no access to cases", "Where you are signed in", "this device")
		if strings.Contains(b.text("nav.main"), "My caseload") {
			t.Error("the navigation offers the caseload before approval")
		}
		b.screenshot("account-pending")
		b.signOut()

		b.signIn("manager")
		b.open("/accounts")
		b.wantText("main", "Hana Browser", "New account", "Approve")
		b.screenshot("accounts-waiting")
		b.submit("form[action$='/approve'] button")
		b.wantText(".flash", "Case access approved")
		b.wantText("main", "Nothing waits for approval", "Case access approved", "Account added")
		b.screenshot("accounts-events")
		b.signOut()

		b.signIn("dp_officer")
		b.open("/accounts")
		b.wantText("main", "Hana Browser", "Case access approved", "awaiting approval → approved")
		b.open("/notifications")
		b.wantText("main", "A staff account was added", "Case access was approved")
	})
}
