package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/clientip"
)

// behindProxy returns e served again, over the same database and clock,
// by a server that trusts the proxies in list.
func behindProxy(t *testing.T, e *env, list string) *env {
	t.Helper()
	srv, err := New(e.db, e.srv.prof, Config{PasswordParams: cheap, Now: e.clock.now,
		TrustedProxies: clientip.MustParseProxies(list),
		Logger:         slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	p := *e
	p.srv, p.ts = srv, httptest.NewServer(srv)
	t.Cleanup(p.ts.Close)
	return &p
}

// loginVia posts the sign-in form with the X-Forwarded-For header xff.
func (c *client) loginVia(xff, username, password string) *response {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.ts.URL+"/login",
		strings.NewReader(url.Values{"username": {username}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", xff)
	return c.do(req)
}

// TestForwardedForSpoofing: behind a trusted proxy, the client address is
// the one the proxy appended. A client forging the leftmost entry changes
// neither the address in the audit trail nor the throttle it is counted
// under; a header from a peer that is not a trusted proxy is ignored.
func TestForwardedForSpoofing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		p := behindProxy(t, e, "127.0.0.1")
		proxy := p.from("127.0.0.1")
		// Each guess forges a new leftmost address, as if from elsewhere.
		for i, forged := range []string{"6.6.6.1", "6.6.6.2", "6.6.6.3", "6.6.6.4"} {
			if res := proxy.loginVia(forged+", 203.0.113.9", "caseworker", "wrong"); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d", i+1, res.StatusCode)
			}
		}
		// The fifth is slowed down: the four were counted under one address.
		res := proxy.loginVia("6.6.6.5, 203.0.113.9", "caseworker", testPassword)
		if res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("fifth guess with yet another forged address: %d, want 429", res.StatusCode)
		}
		// Another real client behind the same proxy is not slowed.
		if res := proxy.loginVia("198.51.100.7", "caseworker", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Errorf("the owner behind the proxy: %d, want 303", res.StatusCode)
		}
		for _, ev := range auditOf(t, e, "auth.login_failed") {
			if ev.IP != "203.0.113.9" {
				t.Errorf("a failed sign-in audited from %q, want 203.0.113.9", ev.IP)
			}
		}
		for _, ev := range auditOf(t, e, "auth.login") {
			if ev.IP != "198.51.100.7" {
				t.Errorf("the sign-in audited from %q, want 198.51.100.7", ev.IP)
			}
		}
		if page := proxy.get("/account"); strings.Contains(page.Body, "6.6.6.") || !failedRow("203.0.113.9", 4).MatchString(page.Body) {
			t.Errorf("the failed sign-ins listed are not the 4 from 203.0.113.9:\n%s", page.Body)
		}

		// A peer that is not a trusted proxy: its header is ignored.
		direct := p.from("127.0.0.2")
		if res := direct.loginVia("203.0.113.77", "supervisor", "wrong"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("from an untrusted peer: %d", res.StatusCode)
		}
		// And a server that trusts no proxy ignores it from anyone.
		if res := e.from("127.0.0.1").loginVia("203.0.113.78", "supervisor", "wrong"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("without trusted proxies: %d", res.StatusCode)
		}
		var ips []string
		for _, ev := range auditOf(t, e, "auth.login_failed") {
			if ev.RecordID == e.users["supervisor"].ID {
				ips = append(ips, ev.IP)
			}
		}
		if strings.Join(ips, " ") != "127.0.0.1 127.0.0.2" && strings.Join(ips, " ") != "127.0.0.2 127.0.0.1" {
			t.Errorf("failed sign-ins with an ignored header audited from %v, want the peers 127.0.0.2 and 127.0.0.1", ips)
		}
	})
}
