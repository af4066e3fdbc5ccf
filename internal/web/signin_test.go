package web

import (
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/store"
)

// from returns an anonymous browser-like client whose connections come
// from ip, an address of the loopback range 127.0.0.0/8: each test address
// is a different client as the server sees it.
func (e *env) from(ip string) *client {
	jar, _ := cookiejar.New(nil)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &client{e: e, hc: &http.Client{Jar: jar,
		Transport:     &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login posts the sign-in form.
func (c *client) login(username, password string) *response {
	c.e.t.Helper()
	return c.post("/login", url.Values{"username": {username}, "password": {password}})
}

// retryAfter returns the Retry-After of a 429, failing the test when it is
// missing or not a positive number of seconds.
func retryAfter(t *testing.T, res *response) int {
	t.Helper()
	n, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || n <= 0 {
		t.Fatalf("429 with Retry-After %q, want a positive number of seconds", res.Header.Get("Retry-After"))
	}
	return n
}

// fail makes n failed sign-ins of username from c, waiting (on the test
// clock) as long as each refusal says. It returns the waits asked for.
func fail(t *testing.T, e *env, c *client, username string, n int) []int {
	t.Helper()
	var waits []int
	for failures := 0; failures < n; {
		res := c.login(username, "wrong guess "+strconv.Itoa(failures))
		switch res.StatusCode {
		case http.StatusUnauthorized:
			failures++
		case http.StatusTooManyRequests:
			w := retryAfter(t, res)
			if !strings.Contains(res.Body, "Too many failed attempts") || !strings.Contains(res.Body, "then try again") {
				t.Fatalf("a slowed-down sign-in does not say why and what to do:\n%s", res.Body)
			}
			waits = append(waits, w)
			e.clock.add(time.Duration(w) * time.Second)
		default:
			t.Fatalf("failed sign-in %d: status %d", failures+1, res.StatusCode)
		}
	}
	return waits
}

// auditOf returns the audit events of action.
func auditOf(t *testing.T, e *env, action string) []audit.Event {
	t.Helper()
	ctx := context.Background()
	var evs []audit.Event
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		evs, err = tx.AuditEvents(ctx, store.AuditFilter{Action: action, Limit: 1000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

// failedRow matches a row of the failed sign-ins table: address, then count.
func failedRow(ip string, n int) *regexp.Regexp {
	return regexp.MustCompile(`>` + regexp.QuoteMeta(ip) + `</span></td>\s*<td[^>]*>` + strconv.Itoa(n) + `</td>`)
}

// TestAttackerElsewhereCannotKeepOwnerOut: fifty wrong passwords for amina
// from one address slow that address down more and more, but amina signs in
// at once from hers, and she and her administrator see the attempts.
func TestAttackerElsewhereCannotKeepOwnerOut(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		attacker := e.from("127.0.0.66")
		waits := fail(t, e, attacker, "caseworker", 50)
		if len(waits) == 0 {
			t.Fatal("fifty wrong passwords in a row were never slowed down")
		}
		for i := 1; i < len(waits); i++ {
			if waits[i] < waits[i-1] {
				t.Errorf("delays %v do not grow", waits)
				break
			}
		}
		if waits[0] > 2 || waits[len(waits)-1] < 60 || waits[len(waits)-1] > 15*60 {
			t.Errorf("delays %v: want them to start at a second or two and grow to minutes, at most 15", waits)
		}

		// The attacker's address stays slowed down, even with the right password.
		res := attacker.login("caseworker", testPassword)
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("the attacked address with the right password at once: %d, want 429", res.StatusCode)
		}
		retryAfter(t, res)

		// The owner, at her own address, is not held back at all.
		owner := e.from("127.0.0.10")
		if res := owner.login("caseworker", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the owner signing in from another address: %d, want 303\n%s", res.StatusCode, res.Body)
		}
		// She sees the attempts on her account page; so does her administrator.
		page := owner.get("/account")
		if !failedRow("127.0.0.66", 50).MatchString(page.Body) {
			t.Errorf("the account page does not list 50 failed sign-ins from 127.0.0.66:\n%s", page.Body)
		}
		if !strings.Contains(page.Body, "50 failed attempts from one address.") {
			t.Error("the account page does not sum up the failed sign-ins")
		}
		admin := e.as("agency_admin").get("/admin/users/" + e.users["caseworker"].ID)
		if !failedRow("127.0.0.66", 50).MatchString(admin.Body) {
			t.Errorf("the administrator's page of the user does not list the failed sign-ins:\n%s", admin.Body)
		}
		if other := e.as("supervisor").get("/account"); strings.Contains(other.Body, "127.0.0.66") {
			t.Error("another user's account page lists the caseworker's failed sign-ins")
		}
		// The audit trail holds every failure, from the attacker's address.
		n := 0
		for _, ev := range auditOf(t, e, "auth.login_failed") {
			if ev.RecordID == e.users["caseworker"].ID && ev.IP == "127.0.0.66" {
				n++
			}
		}
		if n != 50 {
			t.Errorf("%d auth.login_failed events from 127.0.0.66, want 50", n)
		}
		if len(auditOf(t, e, "auth.login_refused")) == 0 {
			t.Error("refused sign-ins are not audited")
		}
	})
}

// TestOfficeAddressSlowsOnlyTheAttackedName: thirty wrong passwords for one
// username from an office's one address slow that username down there, and
// nobody else: colleagues behind the same address sign in at once, whether
// they signed in from there before or never did.
func TestOfficeAddressSlowsOnlyTheAttackedName(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		const office = "127.0.0.20"
		if res := e.from(office).login("supervisor", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("supervisor at the office: %d", res.StatusCode)
		}
		fail(t, e, e.from(office), "caseworker", 30)
		if res := e.from(office).login("caseworker", testPassword); res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("the attacked username at the office at once: %d, want 429", res.StatusCode)
		}
		for _, who := range []string{"supervisor", "manager", "caseworker2"} {
			if res := e.from(office).login(e.users[who].Username, testPassword); res.StatusCode != http.StatusSeeOther {
				t.Errorf("%s at the same office address: %d, want 303 at once", who, res.StatusCode)
			}
		}
		// A colleague's typo there costs nothing either.
		if res := e.from(office).login("manager", "typo"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("a colleague's typo: %d, want 401", res.StatusCode)
		}
	})
}

// TestSprayingFromOneAddress: many usernames failing from one address
// (password spraying) slow down, at that address, the usernames that do not
// sign in from there; a colleague who does is not slowed, and the same
// usernames elsewhere are not either.
func TestSprayingFromOneAddress(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		const office = "127.0.0.30"
		if res := e.from(office).login("supervisor", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("supervisor at the office: %d", res.StatusCode)
		}
		sprayer := e.from(office)
		refused := 0
		for i := 0; i < 8; i++ {
			res := sprayer.login("sprayed"+strconv.Itoa(i), "Winter2026!")
			if res.StatusCode == http.StatusTooManyRequests {
				refused++
			} else if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("sprayed name %d: %d", i, res.StatusCode)
			}
		}
		if refused == 0 {
			t.Error("eight usernames tried from one address at once: none slowed down")
		}
		res := sprayer.login("manager", testPassword)
		if res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a username new to the spraying address: %d, want 429", res.StatusCode)
		}
		if res := e.from(office).login("supervisor", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Errorf("a colleague who signs in from the spraying address: %d, want 303 at once", res.StatusCode)
		}
		if res := e.from("127.0.0.31").login("manager", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Errorf("the manager elsewhere: %d, want 303", res.StatusCode)
		}
	})
}

// TestUnknownUsernamesLikeKnown: the same attempts on a username that
// belongs to nobody get the same answers, waits and words as on a real one.
func TestUnknownUsernamesLikeKnown(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		type answer struct {
			status int
			retry  string
			body   string
		}
		run := func(ip, username string) []answer {
			c := e.from(ip)
			var out []answer
			for i := 0; i < 14; i++ {
				res := c.login(username, "wrong guess")
				body := strings.ReplaceAll(res.Body, username, "NAME")
				out = append(out, answer{res.StatusCode, res.Header.Get("Retry-After"), body})
				if i%3 == 2 {
					e.clock.add(1500 * time.Millisecond)
				}
			}
			return out
		}
		start := e.clock.now()
		known := run("127.0.0.40", "caseworker")
		e.clock.add(start.Sub(e.clock.now()) + 48*time.Hour) // fresh counts for the second run
		unknown := run("127.0.0.41", "nobody-here")
		for i := range known {
			if known[i].status != unknown[i].status || known[i].retry != unknown[i].retry {
				t.Errorf("attempt %d: known name %d (Retry-After %q), unknown name %d (Retry-After %q)", i+1,
					known[i].status, known[i].retry, unknown[i].status, unknown[i].retry)
			}
			if known[i].body != unknown[i].body {
				t.Errorf("attempt %d: the pages for a known and an unknown name differ", i+1)
			}
		}
	})
}

// TestParallelGuessesAreCounted: guesses sent all at once cannot slip
// through while the first ones are being checked.
func TestParallelGuessesAreCounted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.from("127.0.0.70")
		const n = 12
		var wg sync.WaitGroup
		codes := make(chan int, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", e.ts.URL+"/login",
					strings.NewReader(url.Values{"username": {"caseworker"}, "password": {"parallel guess"}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				res, err := c.hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				codes <- res.StatusCode
			}()
		}
		wg.Wait()
		close(codes)
		checked := 0
		for code := range codes {
			if code == http.StatusUnauthorized {
				checked++
			}
		}
		// The clock stands still: three free failures and the fourth that
		// starts the first delay; the rest wait.
		if checked != 4 {
			t.Errorf("%d of %d parallel guesses had their password checked, want 4", checked, n)
		}
	})
}

// TestAdminClearsSignInDelays: the administrator's "clear the delays"
// lets the user sign in at once from an address that was slowed down.
func TestAdminClearsSignInDelays(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		const desk = "127.0.0.50"
		fail(t, e, e.from(desk), "caseworker", 8)
		if res := e.from(desk).login("caseworker", testPassword); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("after 8 failures at once: %d, want 429", res.StatusCode)
		}
		u := e.users["caseworker"]
		res := e.as("agency_admin").post("/admin/users/"+u.ID+"/unlock", url.Values{})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("clear the delays: %d\n%s", res.StatusCode, res.Body)
		}
		if res := e.from(desk).login("caseworker", testPassword); res.StatusCode != http.StatusSeeOther {
			t.Errorf("after the administrator cleared the delays: %d, want 303", res.StatusCode)
		}
	})
}
