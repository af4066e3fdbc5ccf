package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserConsentRegisterAndLinkRequests drives the new pages in
// Chromium: the data protection officer follows the navigation to the
// consent register, types a closed case's code and reads that its records
// exist and nothing of what they say; a caseworker asks to link a case of
// another agency and sees only the code she typed, waiting; the other
// caseworker sees who asks and accepts; then the first sees the link.
func TestBrowserConsentRegisterAndLinkRequests(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		closed := closedCase(t, e)
		b := newBrowser(t, e)

		b.signIn("dp_officer")
		b.click("nav a[href='/consent-register']")
		b.do(chromedp.SendKeys(chromedp.CSS("#f-code"), closed.Code))
		b.screenshot("register-lookup")
		b.submit("form[action='/consent-register'] button[type=submit]")
		b.wantText("main", "Consent register", closed.Code, "Share information with service providers", "Parent or caregiver",
			"Nothing else of the case is shown here")
		main := b.text("main")
		for _, s := range closedSecrets {
			if strings.Contains(main, s) {
				t.Errorf("the register shows %q", s)
			}
		}
		if n := b.count("tr.register-entry"); n != 6 {
			t.Errorf("%d register entries, want 6", n)
		}
		b.screenshot("register")
		b.signOut()

		child := e.incidentCase(t, "caseworker", "cp")
		mother := e.incidentCase(t, "other_agency", "gbv")
		b.signIn("caseworker")
		b.open("/cases/" + child.ID + "/links")
		b.do(chromedp.SendKeys(chromedp.CSS("#f-case_code"), mother.Code),
			chromedp.SetValue(chromedp.CSS("#f-relation"), "parent_child"))
		b.submit("form[action$='/links'] button[type=submit]")
		b.wantText("main", "Request sent", "Requests waiting", mother.Code, "waiting")
		if strings.Contains(b.text("main"), "Other Agency") {
			t.Error("the requester's page names the other agency")
		}
		b.screenshot("link-requested")
		b.signOut()

		b.signIn("other_agency")
		b.open("/notifications")
		b.click("main a[href='/cases/" + mother.ID + "/links']")
		b.wantText("main", "Requests to link this case", "Hope for Children", e.users["caseworker"].DisplayName,
			"Child protection", "Parent and child")
		b.screenshot("link-request-received")
		b.submit("form[action$='/accept'] button[type=submit]")
		b.wantText("main", "Link accepted", child.Code, "Hope for Children")
		b.signOut()

		b.signIn("caseworker")
		b.open("/cases/" + child.ID + "/links")
		b.wantText("main", mother.Code, "Other Agency", e.users["other_agency"].DisplayName)
		if b.count("tr.link-request") != 0 {
			t.Error("the accepted request still waits on the requester's page")
		}
		b.screenshot("link-accepted")
	})
}
