package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAuditTrail: the officer filters by action with the list (no
// script needed), follows a case code to its readers, and the page fits a
// 390 px phone (each event a stacked card, nothing wider than the screen)
// as well as a 1280 px laptop; on both engines.
func TestBrowserAuditTrail(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.incidentCase(t, "caseworker", "cp")
		e.as("supervisor").get("/cases/" + c.ID)
		b := newBrowser(t, e)
		b.signIn("dp_officer")
		b.open("/audit")
		b.do(chromedp.SetValue(chromedp.CSS("#f-action"), "case.view"))
		b.submit("form.audit-filter button[type=submit]")
		b.wantText("table.audit-events", "Read the case", "User supervisor", c.Code)
		if strings.Contains(b.text("table.audit-events"), "Registered the case") {
			t.Error("the action filter did not narrow")
		}
		b.submit("table.audit-events a.code")
		b.wantText("h1", "Who read this case", c.Code)
		for _, w := range []int64{390, 1280} {
			b.do(chromedp.EmulateViewport(w, 900))
			b.open("/audit?case=" + c.Code)
			wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			if wide > int(w) {
				t.Errorf("at %d px the page is %d px wide", w, wide)
			}
			head, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("table.audit-events thead")).display`))
			if err != nil {
				t.Fatal(err)
			}
			if (w == 390) != (head == "none") {
				t.Errorf("at %d px the table's heading row is display %q", w, head)
			}
			b.screenshot("audit")
		}
	})
}
