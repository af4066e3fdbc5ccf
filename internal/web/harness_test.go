package web

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// cheap keeps password hashing fast in tests; the stored hash carries its
// parameters, so sign-in checks stay real.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

const testPassword = "correct horse battery"

// clock is a settable clock for the server under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a running SafeCase over a real database with one user of every
// role in agency A (team 1), a second caseworker in team 2, and a
// caseworker in agency B.
type env struct {
	t       testing.TB
	db      *store.DB
	srv     *Server
	ts      *httptest.Server
	clock   *clock
	users   map[string]*org.User
	agency  string
	agencyB string
	team    string
	team2   string
}

// roles used by the tests: every org role plus two outsiders.
var testRoles = []string{"caseworker", "supervisor", "manager", "service_provider", "community_volunteer",
	"im_officer", "dp_officer", "agency_admin", "system_admin", "caseworker2", "other_agency"}

// envOption changes how newEnv sets up the server.
type envOption func(*envSetup)

type envSetup struct {
	prof *profile.Profile
}

// withSecondFactor runs the server with the default profile as it is: the
// roles it names must sign in with a second factor. Without it the
// harness's profile lists none (second_factor_roles: []), so that the tests
// of everything else sign in with a password and every user is not first
// led to set up an authenticator app; the second factor's own tests
// (mfa_*_test.go) use it with enrolled users.
func withSecondFactor() envOption {
	return func(s *envSetup) { s.prof = profile.Default() }
}

func newEnv(t testing.TB, db *store.DB, opts ...envOption) *env {
	t.Helper()
	noSecondFactor := *profile.Default()
	noSecondFactor.SecondFactorRoles = nil
	setup := envSetup{prof: &noSecondFactor}
	for _, o := range opts {
		o(&setup)
	}
	ctx := context.Background()
	e := &env{t: t, db: db, clock: &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}, users: map[string]*org.User{}}
	hash, err := auth.HashPassword(testPassword, cheap)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.now()
	err = db.Tx(ctx, func(tx *store.Tx) error {
		a := &org.Agency{Name: "Hope for Children", Code: "HFC", CreatedAt: now}
		b := &org.Agency{Name: "Other Agency", Code: "OTH", CreatedAt: now}
		for _, ag := range []*org.Agency{a, b} {
			if err := tx.InsertAgency(ctx, ag); err != nil {
				return err
			}
		}
		t1 := &org.Team{AgencyID: a.ID, Name: "North", CreatedAt: now}
		t2 := &org.Team{AgencyID: a.ID, Name: "South", CreatedAt: now}
		tb := &org.Team{AgencyID: b.ID, Name: "Central", CreatedAt: now}
		for _, tm := range []*org.Team{t1, t2, tb} {
			if err := tx.InsertTeam(ctx, tm); err != nil {
				return err
			}
		}
		e.agency, e.agencyB, e.team, e.team2 = a.ID, b.ID, t1.ID, t2.ID
		for _, key := range testRoles {
			u := &org.User{AgencyID: a.ID, Username: strings.ReplaceAll(key, "_", "-"), DisplayName: "User " + key,
				PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
			switch key {
			case "caseworker2":
				u.Role, u.TeamID = org.Caseworker, t2.ID
			case "other_agency":
				u.Role, u.AgencyID, u.TeamID = org.Caseworker, b.ID, tb.ID
			default:
				u.Role = org.Role(key)
				if u.Role.NeedsTeam() {
					u.TeamID = t1.ID
				}
			}
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
			e.users[key] = u
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The server knows its address before it starts: passkeys are bound to
	// http://localhost:<port> (browsers offer them to localhost, never to
	// an IP address), and authenticator apps' secrets are sealed with the
	// test key.
	e.ts = httptest.NewUnstartedServer(nil)
	_, port, _ := net.SplitHostPort(e.ts.Listener.Addr().String())
	e.srv, err = New(db, setup.prof, Config{PasswordParams: cheap, Now: e.clock.now, Keys: testdb.Keys(),
		BaseURL: "http://localhost:" + port,
		Logger:  slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	e.ts.Config.Handler = e.srv
	e.ts.Start()
	t.Cleanup(e.ts.Close)
	return e
}

// origin is the address passkeys are bound to in the test server.
func (e *env) origin() string { return e.srv.cfg.BaseURL }

// forEachEngine runs fn with a fresh environment on every engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env), opts ...envOption) {
	testdb.Each(t, func(t *testing.T, db *store.DB) { fn(t, newEnv(t, db, opts...)) })
}

// client is a browser-like client: it keeps cookies and does not follow redirects.
type client struct {
	e     *env
	hc    *http.Client
	token string // API bearer token, when set
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// as returns a client signed in as the user with key, through the real
// sign-in form.
func (e *env) as(key string) *client {
	e.t.Helper()
	c := e.anon()
	res := c.post("/login", url.Values{"username": {e.users[key].Username}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in as %s: status %d: %s", key, res.StatusCode, res.Body)
	}
	return c
}

// session returns a client with a session made directly in the store (fast:
// used by the route x role matrix).
func (e *env) session(key string) *client {
	e.t.Helper()
	c := e.anon()
	tok, hash := auth.NewToken("")
	now := e.clock.now()
	ctx := context.Background()
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertSession(ctx, &store.Session{ID: hash, UserID: e.users[key].ID, CreatedAt: now,
			LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
	}); err != nil {
		e.t.Fatal(err)
	}
	u, _ := url.Parse(e.ts.URL)
	c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "safecase", Value: tok, Path: "/"}})
	return c
}

// response is a read response.
type response struct {
	StatusCode int
	Header     http.Header
	Body       string
}

func (c *client) do(req *http.Request) *response {
	c.e.t.Helper()
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		if m := missingKey.FindString(string(b)); m != "" {
			c.e.t.Errorf("%s %s shows a message key missing from the catalog: %s", req.Method, req.URL.Path, m)
		}
		if dup := pageDuplicateIDs(req.URL.Path, string(b)); len(dup) > 0 {
			c.e.t.Errorf("%s %s: more than one element has id %q", req.Method, req.URL.Path, dup)
		}
	}
	return &response{StatusCode: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (c *client) get(path string) *response {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.ts.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values) *response {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) json(method, path, body string) *response {
	c.e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.e.ts.URL+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.do(req)
}

// location returns the path a redirect points to.
func (r *response) location() string {
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		return ""
	}
	return u.Path
}

// testLog sends the server's warnings and errors to the test log.
type testLog struct{ t testing.TB }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
