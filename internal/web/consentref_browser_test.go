package web

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserConsentForEveryone records, in Chromium, the child's assent and
// a caregiver's consent on the one form: first refused (the caregiver's row
// lacks how it was documented, and the page says whose row), then saved.
func TestBrowserConsentForEveryone(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		c, _ := familyCase(t, e, "Halima Secret")
		path := "/cases/" + c.ID + "/consent"
		b := newBrowser(t, e)
		b.signIn("caseworker")
		b.open(path)
		b.wantText("#consent-all", "Record consent and assent for everyone", "The child", "Halima Secret", "Mother")
		b.do(chromedp.Click(chromedp.CSS("input[name='rows.0.scopes'][value=participation]")),
			chromedp.Click(chromedp.CSS("input[name='rows.0.scopes'][value=share_services]")),
			chromedp.SetValue(chromedp.CSS("select[name='rows.0.method']"), "verbal_witnessed"),
			chromedp.Click(chromedp.CSS("input[name='rows.1.scopes'][value=participation]")),
			chromedp.Click(chromedp.CSS("input[name='rows.1.scopes'][value=share_services]")))
		b.screenshot("consent-all")
		b.submitRefused("form[action$='/consent/all'] button[type=submit]")
		b.wantText(".alert", "Halima Secret (Mother) — How it was documented")
		b.screenshot("consent-all-error")
		b.do(chromedp.SetValue(chromedp.CSS("select[name='rows.1.method']"), "written"))
		b.submit("form[action$='/consent/all'] button[type=submit]")
		b.wantText(".flash", "Consent and assent recorded for everyone")
		b.wantText("main", "Parent or caregiver (Halima Secret) · Consent", "The child or survivor · Assent")
		if n := consentCount(t, e, c.ID); n != 2+4 {
			t.Errorf("%d records written, want 4", n-2)
		}
	})
}
