package web

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// A caseworker types a misspelt name in the header's search box, sees the
// child, opens the case; then finds the child by a phone number written
// another way.
func TestBrowserSearch(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.searchCase(t, "caseworker", "Nyaluak", "Gatluak", "0803 555 0192", "")
		b := newBrowser(t, e)
		b.signIn("caseworker")
		b.do(chromedp.SendKeys(chromedp.CSS("#top-q"), "Nyaluac Gatluac"))
		b.submit("form.top-search button[type=submit]")
		b.wantText("main", c.Code, "Nyaluak Gatluak", "sounds like")
		b.screenshot("search-results")
		b.submit("a[href='/cases/" + c.ID + "']")
		b.wantText("main", c.Code)

		b.do(chromedp.SendKeys(chromedp.CSS("#top-q"), "+234 (803) 555-0192"))
		b.submit("form.top-search button[type=submit]")
		b.wantText("main", c.Code, "phone")
		b.screenshot("search-phone")
	})
}
