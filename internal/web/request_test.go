package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// refuseWrites makes the database at dbURL refuse every op ("UPDATE",
// "DELETE") on table, as a failing disk or a lost connection would, while
// reads go on.
func refuseWrites(t *testing.T, dbURL, op, table string) {
	t.Helper()
	ctx := context.Background()
	name := "refuse_" + strings.ToLower(op) + "_" + table
	driver, dsn := "pgx", dbURL
	stmts := []string{
		`CREATE FUNCTION ` + name + `() RETURNS trigger AS $f$ BEGIN RAISE EXCEPTION 'refused by the test'; END $f$ LANGUAGE plpgsql`,
		`CREATE TRIGGER ` + name + ` BEFORE ` + op + ` ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION ` + name + `()`,
	}
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		driver, dsn = "sqlite", path
		stmts = []string{`CREATE TRIGGER ` + name + ` BEFORE ` + op + ` ON ` + table + ` BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`}
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range stmts {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestBookkeepingFailuresLogged: when the database refuses to record an API
// token's last use, the request it authenticated still succeeds and the
// failure is logged; when it refuses to delete an ended session, the
// session is refused all the same and the failure is logged. Neither log
// line shows the token, the cookie or the session's hash.
func TestBookkeepingFailuresLogged(t *testing.T) {
	for _, eng := range testdb.Engines(t) {
		t.Run(eng, func(t *testing.T) { testBookkeepingFailuresLogged(t, eng) })
	}
}

func testBookkeepingFailuresLogged(t *testing.T, eng string) {
	ctx := context.Background()
	dbURL := testdb.URL(t, eng)
	db, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db.UseKeys(testdb.Keys())
	e := newEnv(t, db)
	logs := e.captureLog()
	le := e
	api := le.apiClient("caseworker")
	le.clock.add(2 * time.Minute) // the token's last use is recorded again
	refuseWrites(t, dbURL, "UPDATE", "api_tokens")
	if res := api.get("/api/v1/me"); res.StatusCode != http.StatusOK {
		t.Errorf("API request while its token's last use cannot be recorded: %d %s", res.StatusCode, res.Body)
	}
	out := logs.String()
	if !strings.Contains(out, "recording an API token's last use") || !strings.Contains(out, "store.TouchToken") {
		t.Errorf("the failed TouchToken is not logged (with its operation); logs:\n%s", out)
	}
	if strings.Contains(out, api.token) || strings.Contains(out, auth.HashToken(api.token)) {
		t.Errorf("the log shows the API token or its hash:\n%s", out)
	}

	// An idle session whose row the database will not delete.
	c := le.session("supervisor")
	u, _ := url.Parse(le.ts.URL)
	cookie := c.hc.Jar.Cookies(u)[0].Value
	refuseWrites(t, dbURL, "DELETE", "sessions")
	le.clock.add(le.srv.cfg.Policy.IdleTimeout + time.Minute)
	if res := c.get("/tasks"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("an idle session whose deletion failed: %d %s, want a redirect to sign in", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/api/v1/me"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("an idle session whose deletion failed, on the API: %d, want 401", res.StatusCode)
	}
	out = logs.String()
	if !strings.Contains(out, "deleting an ended session") || !strings.Contains(out, "store.DeleteSession") ||
		!strings.Contains(out, e.users["supervisor"].ID) {
		t.Errorf("the failed DeleteSession is not logged (with its operation and the user); logs:\n%s", out)
	}
	if strings.Contains(out, cookie) || strings.Contains(out, auth.HashToken(cookie)) {
		t.Errorf("the log shows the session's cookie or its hash:\n%s", out)
	}
}
