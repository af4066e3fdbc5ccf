package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/storable"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// fuzzTarget is a running server on one engine with a case whose family
// page takes entries, and clients of the roles the requests need.
type fuzzTarget struct {
	engine        string
	e             *env
	caseID        string
	cw, dpo, api  *client
	admin, apiAdm *client
}

func newFuzzTarget(tb testing.TB, engine string) *fuzzTarget {
	e := newEnv(tb, testdb.Open(tb, engine))
	ctx := context.Background()
	now := e.clock.now()
	ft := &fuzzTarget{engine: engine, e: e}
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := cases.Register(ctx, tx, e.srv.prof, fixture.Actor(e.users["caseworker"]), fixture.Registration(profile.GBV),
			func() string { return cases.NewCode("C") }, now)
		if err != nil {
			return err
		}
		ft.caseID = c.ID
		_, err = consent.Add(ctx, tx, e.srv.prof, fixture.Actor(e.users["caseworker"]), c.ID,
			consent.Input{Scope: e.srv.prof.GateScope(), Giver: consent.Self, Kind: consent.KindConsent,
				Decision: consent.Given, Method: "written", ObtainedOn: now.Format("2006-01-02")}, now)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	ft.cw, ft.dpo, ft.admin = e.session("caseworker"), e.session("dp_officer"), e.session("agency_admin")
	ft.api, ft.apiAdm = e.apiClient("caseworker"), e.apiClient("agency_admin")
	return ft
}

// send sends req as c, outside the env's own test (the fuzz target's).
func (ft *fuzzTarget) send(t *testing.T, c *client, method, path, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ft.e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, "" // not a request a client could send
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// FuzzInputHTTP sends arbitrary text through real forms, API bodies, query
// parameters and a directory import of a running server, on every engine:
// no answer is a 500 (a NUL or bytes that are not UTF-8 gave 500 on
// PostgreSQL), a refused API body names its field, and nothing stored holds
// text that cannot be stored.
func FuzzInputHTTP(f *testing.F) {
	for _, s := range []string{"Aunt", "", "A\x00", "\x00", "A\xff", "\xc3\x28", "\xed\xa0\x80", `\u0000`, `\ud800`,
		`"`, `\`, "=HYPERLINK(\"http://x\",\"y\")", "a,b\nc", "%00", "\u2028", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	var targets []*fuzzTarget
	for _, eng := range testdb.Engines(f) {
		targets = append(targets, newFuzzTarget(f, eng))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, ft := range targets {
			id := ft.caseID
			form := "application/x-www-form-urlencoded"
			quoted, _ := json.Marshal(s) // NUL as \u0000; bytes that are not UTF-8 as U+FFFD
			for _, r := range []struct {
				c                  *client
				method, path, ct   string
				body               string
				api                bool
				wantRefusedIfBadIn bool
				plainOK            bool // "Aunt" is accepted: the request reaches the database
			}{
				{ft.cw, "POST", "/cases/" + id + "/family", form, url.Values{"relationship": {"aunt_uncle"}, "name": {s}}.Encode(), false, true, true},
				{ft.cw, "POST", "/cases", form, func() string {
					v := registrationValues()
					v.Set("given_name", s)
					return v.Encode()
				}(), false, true, true},
				{ft.api, "POST", "/api/v1/cases/" + id + "/family", "application/json",
					`{"relationship":"aunt_uncle","name":"` + s + `"}`, true, true, true},
				{ft.api, "POST", "/api/v1/cases/" + id + "/family", "application/json",
					`{"relationship":"aunt_uncle","name":` + string(quoted) + `}`, true, false, true},
				{ft.api, "GET", "/api/v1/cases?scope=team&team=" + url.QueryEscape(s), "", "", true, true, false},
				{ft.dpo, "GET", "/audit?action=" + url.QueryEscape(s) + "&actor=" + url.QueryEscape(s), "", "", false, true, false},
				{ft.admin, "POST", "/directory/import", form, url.Values{"csv": {strings.Join(dirCSVHeader(), ",") + "\n" +
					dirCSVRow(ft.e, map[string]string{"area": s, "organisation": s})}}.Encode(), false, true, true},
				{ft.apiAdm, "POST", "/api/v1/directory", "application/json", `{"organisation":` + string(quoted) +
					`,"sector":"legal","services":"x","last_verified":"2026-11-01"}`, true, false, true},
			} {
				status, body := ft.send(t, r.c, r.method, r.path, r.ct, r.body)
				if status == 0 {
					continue
				}
				if status >= 500 {
					t.Fatalf("%s: %s %s with %q: %d\n%.500s", ft.engine, r.method, r.path, s, status, body)
				}
				if s == "Aunt" && r.plainOK && status >= 400 {
					t.Fatalf("%s: %s %s with %q: %d, want accepted\n%.500s", ft.engine, r.method, r.path, s, status, body)
				}
				if r.wantRefusedIfBadIn && !storable.Text(s) && status < 400 {
					t.Fatalf("%s: %s %s with %q: %d, want refused", ft.engine, r.method, r.path, s, status)
				}
				if r.api && status == http.StatusUnprocessableEntity {
					var b apiError
					if err := json.Unmarshal([]byte(body), &b); err != nil || len(b.Error.Fields) == 0 || b.Error.Fields[0].Field == "" {
						t.Fatalf("%s: %s %s with %q: 422 naming no field: %s", ft.engine, r.method, r.path, s, body)
					}
				}
			}
			// Nothing stored holds text that cannot be stored.
			ctx := context.Background()
			if err := ft.e.db.Read(ctx, func(tx *store.Tx) error {
				people, err := tx.CasePeople(ctx, id)
				if err != nil {
					return err
				}
				for _, p := range people {
					if !storable.Text(p.Name) {
						t.Fatalf("%s: stored name %q", ft.engine, p.Name)
					}
				}
				dir, err := tx.DirectoryServices(ctx)
				for _, d := range dir {
					if !storable.Text(d.Organisation) || !storable.Text(d.Area) {
						t.Fatalf("%s: stored directory entry %q, %q", ft.engine, d.Organisation, d.Area)
					}
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
