package web

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDuplicateBrowser: in a real browser, without any script of ours
// needed, the supervisor opens "Mark as duplicate or registered in error"
// on a case page, is refused a code of no case, then closes the case as a
// duplicate of another; the page says which case is kept, and undoing it
// works. At phone width the page, with the form open, fits the screen.
func TestDuplicateBrowser(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		dupID, keptID := closureCase(t, e, 9, ""), closureCase(t, e, 9, "")
		kept := dupCase(t, e, keptID)
		b := newBrowser(t, e)
		b.signIn("supervisor")
		b.open("/cases/" + dupID)
		b.do(chromedp.Click(chromedp.CSS("#mark-duplicate summary")))
		for _, w := range []int64{390, 1280} {
			b.do(chromedp.EmulateViewport(w, 900))
			over, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
			if err != nil {
				t.Fatal(err)
			}
			if over {
				t.Errorf("the case page is wider than the screen at %d px", w)
			}
		}
		b.do(chromedp.Click(chromedp.CSS(`input[name=void_reason][value=duplicate]`)),
			chromedp.SendKeys(chromedp.CSS("#f-kept_case_code"), "C-NOSUCH"))
		b.submitRefused("#mark-duplicate button[type=submit]")
		b.wantText("#mark-duplicate", "No case of your agency that you can see has this code.")
		b.screenshot("duplicate-refused")
		b.do(chromedp.SetValue(chromedp.CSS("#f-kept_case_code"), kept.Code),
			chromedp.SendKeys(chromedp.CSS("#f-void_note"), "registered twice"))
		b.submit("#mark-duplicate button[type=submit]")
		b.wantText("#duplicate", "Duplicate of", kept.Code, "registered twice")
		b.wantText("main", "It no longer shows in caseloads")
		b.screenshot("duplicate-marked")
		b.submit("#duplicate button[type=submit]")
		b.wantText("main", "The case is open again.")
		if b.count("#mark-duplicate") != 1 {
			t.Error("the form is not offered again on the reopened case")
		}
	})
}
