package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// submitStatus clicks sel and returns the HTTP status of the page it leads to.
func (b *browser) submitStatus(sel string) int64 {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("submit %s: %v\npage: %s", sel, err, b.bodyText())
	}
	return res.Status
}

// TestBrowserSignInSlowedAndListed: in a real browser, at the owner's usual
// address, a few wrong
// passwords cost nothing, the next attempt is asked to wait a second and
// says so; afterwards the owner signs in and sees the failed attempts (hers
// and a guesser's elsewhere) on her account page, where a weak new password
// is refused with the reason; her administrator sees the same attempts.
func TestBrowserSignInSlowedAndListed(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		b := newBrowser(t, e)
		b.signIn("caseworker") // her usual address
		b.signOut()
		fail(t, e, e.from("127.0.0.66"), "caseworker", 7) // a guesser elsewhere
		login := func(password string) int64 {
			b.open("/login")
			b.do(chromedp.SendKeys(chromedp.CSS("#f-username"), "caseworker"),
				chromedp.SendKeys(chromedp.CSS("#f-password"), password))
			return b.submitStatus("form[action='/login'] button[type=submit]")
		}
		for i := 0; i < 4; i++ {
			if st := login("not my password"); st != 401 {
				t.Fatalf("wrong password %d: HTTP %d", i+1, st)
			}
		}
		b.wantText(".alert", "The username or password is wrong")
		if st := login(testPassword); st != 429 {
			t.Fatalf("right after four wrong passwords: HTTP %d, want 429", st)
		}
		b.wantText(".alert", "Too many failed attempts", "Wait a second, then try again")
		b.screenshot("login-slowed")

		e.clock.add(time.Second)
		b.signIn("caseworker")
		b.open("/account")
		b.wantText("#failed-signins", "Failed sign-ins", "11 failed attempts from 2 addresses", "127.0.0.66", "127.0.0.1")
		b.screenshot("account-failed-signins")
		b.do(chromedp.SendKeys(chromedp.CSS("#f-current_password"), testPassword),
			chromedp.SendKeys(chromedp.CSS("#f-new_password"), "password1234"),
			chromedp.SendKeys(chromedp.CSS("#f-confirm_password"), "password1234"))
		b.submitRefused("form[action='/account/password'] button[type=submit]")
		b.wantText(".field-error", "one of the most common passwords")
		b.screenshot("account-weak-password")

		b.signOut()
		b.signIn("agency_admin")
		b.open("/admin/users/" + e.users["caseworker"].ID)
		b.wantText("#failed-signins", "127.0.0.66", "127.0.0.1")
		if got := b.text("#failed-signins"); !strings.Contains(got, "7") || !strings.Contains(got, "4") {
			t.Errorf("the administrator's list lacks the counts: %s", got)
		}
		b.screenshot("user-edit-failed-signins")
	})
}
