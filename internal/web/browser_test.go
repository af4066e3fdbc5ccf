package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive the real pages in headless Chromium. They need
// Debian's chromium package; without it they are skipped, unless
// SAFECASE_BROWSER=required (as in CI), which makes a missing browser a failure.
// SAFECASE_SCREENSHOTS=dir saves a desktop and a phone screenshot of each page.

func chromiumPath(t *testing.T) string {
	for _, p := range []string{os.Getenv("SAFECASE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("SAFECASE_BROWSER") == "required" {
		t.Fatal("SAFECASE_BROWSER=required but no Chromium found: apt-get install chromium")
	}
	t.Skip("no Chromium: install Debian's chromium package to run the browser tests")
	return ""
}

// browser is a headless Chromium tab on env e.
type browser struct {
	t    *testing.T
	e    *env
	ctx  context.Context
	shot string // screenshot folder, if any
	n    int
	who  string // the user signed in
	host string // scheme://host:port to open instead of the test server's IP address (passkeys need a name)
}

func newBrowser(t *testing.T, e *env) *browser {
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel3)
	b := &browser{t: t, e: e, ctx: ctx, shot: os.Getenv("SAFECASE_SCREENSHOTS")}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	// A missing element would be waited for until the test's deadline: fail sooner.
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v\npage: %s", err, b.bodyText())
	}
}

// submit clicks sel and waits for the page it leads to.
func (b *browser) submit(sel string) {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("submit %s: %v\npage: %s", sel, err, b.bodyText())
	}
	if res.Status >= 400 {
		b.t.Fatalf("submit %s: HTTP %d\npage: %s", sel, res.Status, b.bodyText())
	}
}

// submitRefused clicks sel and expects the form back with its errors (422).
func (b *browser) submitRefused(sel string) {
	b.t.Helper()
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("submit %s: %v\npage: %s", sel, err, b.bodyText())
	}
	if res.Status != 422 {
		b.t.Fatalf("submit %s: HTTP %d, want 422\npage: %s", sel, res.Status, b.bodyText())
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	base := b.e.ts.URL
	if b.host != "" {
		base = b.host
	}
	res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if res.Status >= 400 {
		b.t.Fatalf("open %s: HTTP %d\npage: %s", path, res.Status, b.bodyText())
	}
}

func (b *browser) bodyText() string {
	s, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
	return s
}

// text returns the visible text of sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v\npage: %s", sel, err, b.bodyText())
	}
	return s
}

func (b *browser) wantText(sel string, parts ...string) {
	b.t.Helper()
	got := b.text(sel)
	for _, p := range parts {
		if !strings.Contains(got, p) {
			b.t.Errorf("%s does not say %q; it says:\n%s", sel, p, got)
		}
	}
}

func (b *browser) signIn(key string) {
	b.t.Helper()
	b.open("/login")
	b.do(chromedp.SendKeys(chromedp.CSS("#f-username"), b.e.users[key].Username),
		chromedp.SendKeys(chromedp.CSS("#f-password"), testPassword))
	b.submit("form[action='/login'] button[type=submit]")
	b.who = key
}

// later moves the clock on by d and signs the same user in again if their
// session has run out meanwhile.
func (b *browser) later(d time.Duration) {
	b.t.Helper()
	b.e.clock.add(d)
	b.open("/")
	if b.count("form[action='/login']") > 0 {
		b.signIn(b.who)
	}
}

func (b *browser) signOut() {
	b.t.Helper()
	b.submit("form[action='/logout'] button")
}

// screenshot saves the page at desktop and phone widths when asked to.
func (b *browser) screenshot(name string) {
	if b.shot == "" {
		return
	}
	b.n++
	for _, w := range []int64{1280, 390} {
		if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(w, 900)); err != nil {
			b.t.Logf("screenshot %s: %v", name, err)
			continue
		}
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Logf("screenshot %s: %v", name, err)
			continue
		}
		os.WriteFile(filepath.Join(b.shot, fmt.Sprintf("%02d-%s-%d.png", b.n, name, w)), png, 0o644)
	}
	chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 900))
}

// TestBrowserRegisterToTeamView is the "done when": a caseworker
// signs in, screens and registers a child with consent, sees the case in the
// caseload with its due dates, and the supervisor sees it on the team view.
func TestBrowserRegisterToTeamView(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		b := newBrowser(t, e)
		b.signIn("caseworker")
		b.wantText("h1", "My caseload")
		b.screenshot("caseload-empty")

		// Screen a child who came in person.
		b.open("/screen")
		b.do(chromedp.SendKeys(chromedp.CSS("#f-age"), "10"),
			chromedp.Click(chromedp.CSS("input[name=answer_harmed_or_at_risk][value=yes]")),
			chromedp.Click(chromedp.CSS("input[name=answer_case_management_appropriate][value=yes]")))
		b.screenshot("screen")
		b.submit("form[action='/screen'] button[type=submit]")
		b.wantText("main", "Eligible for full case management", "from the age")
		b.screenshot("screening")

		// Register from the screening.
		b.submit("a[href^='/cases/new?screening=']")
		b.do(chromedp.SendKeys(chromedp.CSS("#f-given_name"), "Amal"),
			chromedp.SendKeys(chromedp.CSS("#f-family_name"), "Browser"),
			chromedp.SetValue(chromedp.CSS("#f-sex"), "female"),
			chromedp.SendKeys(chromedp.CSS("#f-location"), "Block 7, near the clinic"),
			chromedp.Click(chromedp.CSS("input[name=declined][value=contact]")),
			chromedp.SetValue(chromedp.CSS("#f-care_status"), "separated"),
			chromedp.Click(chromedp.CSS("input[name=concerns][value=neglect]")),
			chromedp.SetValue(chromedp.CSS("#f-risk_level"), "high"),
			chromedp.SendKeys(chromedp.CSS("#f-risk_reason"), "alone at night, no caregiver present"))
		b.screenshot("register")
		b.submit("form[action='/cases'] button[type=submit]")
		b.wantText("main", "The case is registered", "Assessment", "Due in 24 hours", "21 Nov 2026", "Separated")
		b.wantText(".alert", "Consent to collect and store information is missing")
		code := strings.TrimSpace(b.text("h1 .code"))
		if !strings.HasPrefix(code, "C-") {
			t.Fatalf("case code %q", code)
		}
		title, _ := chromedp.Run(b.ctx, chromedp.Title())
		if strings.Contains(title, "Amal") || strings.Contains(title, code) {
			t.Errorf("the tab title %q names the case", title)
		}
		b.screenshot("case")

		// Consent: the child's assent and the caregiver's consent to collect and store.
		b.submit("a[href$='/consent']")
		b.wantText("main", "The child gives assent.", "A parent or caregiver gives consent.")
		for _, g := range []struct{ giver, kind string }{{"self", "assent"}, {"caregiver", "consent"}} {
			b.do(chromedp.SetValue(chromedp.CSS("#f-scope"), "collect_store"),
				chromedp.SetValue(chromedp.CSS("#f-giver"), g.giver),
				chromedp.Click(chromedp.CSS("input[name=kind][value="+g.kind+"]")),
				chromedp.Click(chromedp.CSS("input[name=decision][value=given]")),
				chromedp.SetValue(chromedp.CSS("#f-method"), "written"))
			b.submit("form[action$='/consent'] button[type=submit]")
			b.wantText(".flash", "Recorded")
		}
		b.screenshot("consent")
		b.submit("a[href^='/cases/'].no-print, p.no-print a")
		if strings.Contains(b.bodyText(), "Consent to collect and store information is missing") {
			t.Errorf("the consent gate is still closed after assent and caregiver consent")
		}

		// The caseload lists the case by code, with its due date, and the
		// child's name (a CP case) beside it, which "Hide names" blurs.
		b.open("/caseload")
		b.wantText("main", code, "Assessment", "Due in 24 hours", "High risk", "Separated")
		b.wantText("main .list-name", "Amal Browser")
		b.screenshot("caseload")
		b.do(chromedp.Click(chromedp.CSS("#pii-toggle")))
		blur, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("main .list-name")).filter`))
		if err != nil || !strings.Contains(blur, "blur") {
			t.Errorf("Hide names leaves the listed name readable (filter %q, %v)", blur, err)
		}
		b.do(chromedp.Click(chromedp.CSS("#pii-toggle")))
		b.open("/tasks")
		b.wantText("main", code, "Assessment", "Due in 24 hours")

		// The supervisor sees it on the team view.
		b.signOut()
		b.wantText("main", "You have signed out")
		b.signIn("supervisor")
		b.wantText("h1", "Team: North")
		b.wantText("main", code, "Assessment", "Due in 24 hours")
		b.screenshot("team")
	})
}
