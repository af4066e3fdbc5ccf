package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserClosure drives the closure pages in Chromium: the caseworker
// proposes (a refused form first), the supervisor closes the case with a
// colleague as designee, the designee records the follow-up and feedback,
// and the caseworker reopens it; and the age-out pathway of a 17-year-old.
// With SAFECASE_SCREENSHOTS set it saves each page at desktop and phone width.
func TestBrowserClosure(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		id := closureCase(t, e, 10, "")
		path := "/cases/" + id + "/closure"
		b := newBrowser(t, e)
		b.signIn("caseworker")
		b.open(path)
		b.wantText("main", "Check the file first", "No assessment recorded", "Propose closure")
		b.do(chromedp.Click(chromedp.CSS("input[name=closure_reason][value=objectives_met]")),
			chromedp.Click(chromedp.CSS("input[name=confirmations][value=objectives_met]")),
			chromedp.SendKeys(chromedp.CSS("#f-explanation"), "All goals reached"))
		b.screenshot("closure-propose")
		b.submitRefused("form[action$='/closure'] button[type=submit]")
		b.wantText(".alert", "Confirmations", "needs all three confirmations")
		if v, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#f-explanation"))); v != "All goals reached" {
			t.Errorf("the explanation came back as %q", v)
		}
		b.screenshot("closure-propose-error")
		b.do(chromedp.Click(chromedp.CSS("input[name=confirmations][value=safe_supported]")),
			chromedp.Click(chromedp.CSS("input[name=confirmations][value=no_further_risk]")))
		b.submit("form[action$='/closure'] button[type=submit]")
		b.wantText(".flash", "Closure proposed")
		b.wantText("main", "Closure proposal", "What the file lacks")
		b.screenshot("closure-proposed")
		b.signOut()

		b.signIn("supervisor")
		b.open(path)
		b.wantText("main", "Close the case", "Return the proposal")
		b.do(chromedp.SetValue(chromedp.CSS("#f-follow_up_by"), e.users["caseworker2"].ID))
		b.screenshot("closure-decide")
		b.submit("form[action$='/closure/approve'] button[type=submit]")
		b.wantText(".flash", "The case is closed")
		b.wantText("main", "The file is read-only", "User caseworker2")
		b.screenshot("closure-closed")
		b.signOut()

		b.signIn("caseworker2")
		b.open(path)
		b.do(chromedp.Click(chromedp.CSS("input[name=child_safe][value=safe]")))
		for _, q := range e.srv.prof.FeedbackQuestions {
			b.do(chromedp.Click(chromedp.CSS("input[name='answers." + q.Key + "'][value=yes]")))
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#f-feedback_comments"), "She is back at school."))
		b.screenshot("closure-feedback")
		b.submit("form[action$='/feedback'] button[type=submit]")
		b.wantText(".flash", "Follow-up recorded")
		b.wantText("main", "She is back at school.", "Safe and well")
		b.screenshot("closure-feedback-done")
		b.signOut()

		b.signIn("caseworker")
		b.open(path)
		b.do(chromedp.SendKeys(chromedp.CSS("#f-reopen_reason"), "Her uncle is back in the house."))
		b.submit("form[action$='/reopen'] button[type=submit]")
		b.wantText(".flash", "The case is reopened")
		b.wantText("main", "Times reopened: 1.", "Her uncle is back in the house.")
		b.screenshot("closure-reopened")

		teen := closureCase(t, e, 0, "2009-02-01")
		b.open("/cases/" + teen + "/closure")
		b.wantText("main", "Turning adult", "Turns 18 on 1 Feb 2027")
		b.do(chromedp.Click(chromedp.CSS("input[name=pathway][value=short_term_continue]")))
		b.screenshot("closure-age-out")
		b.submit("form[action$='/age-out'] button[type=submit]")
		b.wantText(".flash", "The case stays open")
		if !strings.Contains(b.text("main"), "Continue support for a short time") {
			t.Error("the pathway is not shown")
		}
	})
}
