package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserFormTooLarge pastes more text than a form may hold into the
// family form in a real browser: the page that comes back says the form is
// too large, with the limit, and not that fields need correcting; nothing
// is saved.
func TestBrowserFormTooLarge(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := inputWorld(t, e)
		before := e.written(t, w.c.ID)
		b := newBrowser(t, e)
		b.signIn("caseworker")
		b.open("/cases/" + w.c.ID + "/family")
		b.do(chromedp.SetValue(chromedp.CSS(`[name='name']`), "Aunt"),
			chromedp.SetValue(chromedp.CSS(`[name='notes']`), strings.Repeat("a", maxForm+1)))
		res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`form.stacked button[type=submit]`)))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != 413 {
			t.Errorf("submit: HTTP %d, want 413", res.Status)
		}
		b.screenshot("form-too-large")
		en := e.srv.cat.Locale("en")
		b.wantText("main", en.T("error.too_large"), en.T("error.too_large_help"))
		if got := b.text("main"); strings.Contains(got, en.T("error.invalid_help")) {
			t.Errorf("the page asks to correct fields:\n%s", got)
		}
		if after := e.written(t, w.c.ID); after != before {
			t.Errorf("wrote: before %+v, after %+v", before, after)
		}
	})
}
