package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/store"
)

func TestSecurityHeaders(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, p := range []string{"/login", "/api/v1/openapi.json", "/nowhere"} {
			res := e.anon().get(p)
			for h, want := range map[string]string{
				"Content-Security-Policy": "default-src 'self'",
				"X-Content-Type-Options":  "nosniff",
				"X-Frame-Options":         "DENY",
				"Referrer-Policy":         "no-referrer",
			} {
				if got := res.Header.Get(h); !strings.Contains(got, want) {
					t.Errorf("GET %s: %s = %q, want it to contain %q", p, h, got, want)
				}
			}
		}
		c := e.as("caseworker")
		if res := c.get("/caseload"); res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("a page with case data is cacheable: %q", res.Header.Get("Cache-Control"))
		}
	})
}

func TestSessionCookieAndIdleExpiry(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.anon()
		res := c.post("/login", url.Values{"username": {"caseworker"}, "password": {testPassword}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", res.StatusCode)
		}
		set := res.Header.Get("Set-Cookie")
		for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(set, want) {
				t.Errorf("session cookie %q lacks %s", set, want)
			}
		}
		if res := c.get("/caseload"); res.StatusCode != http.StatusOK {
			t.Fatalf("caseload: %d", res.StatusCode)
		}
		e.clock.add(29 * time.Minute)
		if res := c.get("/caseload"); res.StatusCode != http.StatusOK {
			t.Fatalf("caseload after 29 idle minutes: %d", res.StatusCode)
		}
		e.clock.add(31 * time.Minute)
		if res := c.get("/caseload"); res.StatusCode != http.StatusSeeOther || res.location() != "/login" {
			t.Errorf("after 31 idle minutes: %d to %q, want the sign-in", res.StatusCode, res.location())
		}
	})
}

func TestSecureCookiesName(t *testing.T) {
	s := &Server{cfg: Config{SecureCookies: true}}
	if s.cookieName() != "__Host-safecase" {
		t.Errorf("secure cookie name %q", s.cookieName())
	}
}

// TestLoginSlowedNotLocked: a few wrong passwords cost nothing; then the
// next attempt must wait a moment, said in plain words and in Retry-After,
// and nothing is ever locked.
func TestLoginSlowedNotLocked(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.anon()
		for i := 0; i < 4; i++ {
			res := c.post("/login", url.Values{"username": {"caseworker"}, "password": {"wrong password"}})
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d", i+1, res.StatusCode)
			}
			if !strings.Contains(res.Body, "wrong") {
				t.Errorf("attempt %d does not say the password is wrong", i+1)
			}
		}
		// Slowed down: even the right password waits, with a plain explanation.
		res := c.post("/login", url.Values{"username": {"caseworker"}, "password": {testPassword}})
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" ||
			!strings.Contains(res.Body, "Wait a second, then try again") {
			t.Fatalf("right after 4 failures: %d, Retry-After %q\n%s", res.StatusCode, res.Header.Get("Retry-After"), res.Body)
		}
		// Other accounts are not affected.
		if e.as("supervisor") == nil {
			t.Fatal("supervisor")
		}
		e.clock.add(time.Second)
		if res := c.post("/login", url.Values{"username": {"caseworker"}, "password": {testPassword}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("after the wait: %d", res.StatusCode)
		}
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as("caseworker")
		req, _ := http.NewRequest("POST", e.ts.URL+"/cases", strings.NewReader(registrationValues().Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		if res := c.do(req); res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST: %d, want 403", res.StatusCode)
		}
		n := 0
		e.db.Read(context.Background(), func(tx *store.Tx) (err error) {
			n, err = tx.CountCases(context.Background(), store.CaseFilter{Scope: "own", ID: e.users["caseworker"].ID}, 10)
			return err
		})
		if n != 0 {
			t.Errorf("the cross-site POST registered %d cases", n)
		}
	})
}

// TestMustChangePassword: a password the shell operator set must be
// changed at sign-in before anything else; the case access it put on hold
// comes back only with a manager's approval.
func TestMustChangePassword(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			pw, err := account.NewPassword("tangerine-lantern-58-harbour", "tangerine-lantern-58-harbour", e.users["caseworker"], e.srv.hashPassword)
			if err != nil {
				return err
			}
			_, err = account.SetPassword(ctx, tx, e.srv.prof, e.users["caseworker"].Username, pw, e.clock.now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c := e.anon()
		c.post("/login", url.Values{"username": {"caseworker"}, "password": {"tangerine-lantern-58-harbour"}})
		if res := c.get("/caseload"); res.StatusCode != http.StatusSeeOther || res.location() != "/account" {
			t.Fatalf("a user with a temporary password reached the caseload: %d %q", res.StatusCode, res.location())
		}
		res := c.post("/account/password", url.Values{"current_password": {"tangerine-lantern-58-harbour"}, "new_password": {strongPassword},
			"confirm_password": {strongPassword}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("change password: %d", res.StatusCode)
		}
		if res := c.get("/caseload"); res.StatusCode != http.StatusForbidden {
			t.Errorf("after choosing a password, before approval: %d", res.StatusCode)
		}
		e.session("manager").post("/accounts/approvals/"+e.approvalOf(e.users["caseworker"].ID)+"/approve", nil)
		if res := c.get("/caseload"); res.StatusCode != http.StatusOK {
			t.Errorf("after approval: %d", res.StatusCode)
		}
	})
}

// TestStaleEditShowsWhatChanged opens the same case in two tabs: the second
// save is refused and shows the difference, and nothing is overwritten.
func TestStaleEditShowsWhatChanged(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.as("caseworker")
		sup := e.as("supervisor")
		casePath := cw.post("/cases", registrationValues()).location()
		form := registrationValues()
		form.Set("version", "1")
		form.Set("location", "Block 9, moved")
		if res := sup.post(casePath+"/edit", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first edit: %d\n%s", res.StatusCode, res.Body)
		}
		form.Set("location", "Tent 3")
		res := cw.post(casePath+"/edit", form)
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("stale edit: %d, want 409", res.StatusCode)
		}
		for _, want := range []string{"Someone else saved this case", "User supervisor", "Tent 3", "Block 9, moved"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("the conflict page does not show %q", want)
			}
		}
		if page := cw.get(casePath); !strings.Contains(page.Body, "Block 9, moved") || strings.Contains(page.Body, "Tent 3") {
			t.Errorf("the stale edit overwrote the saved one")
		}
	})
}

// TestCaseReadIsAudited checks that opening a case page appends a case.view
// event naming the reader, and a denied reader leaves an access.denied event.
func TestCaseReadIsAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.as("caseworker")
		casePath := cw.post("/cases", registrationValues()).location()
		caseID := strings.TrimPrefix(casePath, "/cases/")
		cw.get(casePath)
		if res := e.as("caseworker2").get(casePath); res.StatusCode != http.StatusNotFound {
			t.Fatalf("another team's caseworker: %d", res.StatusCode)
		}
		ctx := context.Background()
		var views, denials int
		e.db.Read(ctx, func(tx *store.Tx) error {
			evs, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: caseID, Limit: 100})
			for _, ev := range evs {
				switch {
				case ev.Action == "case.view" && ev.ActorID == e.users["caseworker"].ID:
					views++
				case ev.Action == "access.denied" && ev.ActorID == e.users["caseworker2"].ID:
					denials++
				}
			}
			return err
		})
		if views == 0 || denials == 0 {
			t.Errorf("case.view events %d, access.denied events %d; want both", views, denials)
		}
		v, err := e.db.VerifyAudit(ctx)
		if err != nil || !v.OK() {
			t.Errorf("audit chain: %v %v", err, v.Problems)
		}
	})
}
