package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/clientip"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/store"
)

// written counts what the input tests could have written: cases,
// identifications, family members, risk changes and referrals of case id,
// and directory entries.
type written struct {
	Cases, Identifications, People, Risks, Referrals, Directory int
}

func (e *env) written(t *testing.T, caseID string) written {
	t.Helper()
	ctx := context.Background()
	var w written
	if err := e.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if w.Cases, err = tx.CountCases(ctx, store.CaseFilter{Scope: access.Agency, ID: e.agency}, 1000); err != nil {
			return err
		}
		if w.Identifications, err = tx.CountIdentifications(ctx, e.agency, intake.StatusNew); err != nil {
			return err
		}
		people, err := tx.CasePeople(ctx, caseID)
		if err != nil {
			return err
		}
		risks, err := tx.RiskHistory(ctx, caseID)
		if err != nil {
			return err
		}
		refs, err := tx.CaseReferrals(ctx, caseID)
		if err != nil {
			return err
		}
		dir, err := tx.DirectoryServices(ctx)
		if err != nil {
			return err
		}
		w.People, w.Risks, w.Referrals, w.Directory = len(people), len(risks), len(refs), len(dir)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// dirCSVHeader is the header of a directory file.
func dirCSVHeader() []string { return directory.Columns }

// dirCSVRow is a valid directory file row of a new entry of e's agency,
// with the cells of set in place of the defaults.
func dirCSVRow(e *env, set map[string]string) string {
	def := map[string]string{"agency_id": e.agency, "organisation": "Town Clinic", "sector": "health_nutrition",
		"services": "Care", "avg_days": "1", "last_verified": "2026-11-01", "active": "yes"}
	var cells []string
	for _, c := range directory.Columns {
		v, ok := set[c]
		if !ok {
			v = def[c]
		}
		cells = append(cells, v)
	}
	return strings.Join(cells, ",")
}

// alertOf is the error summary of a page, for messages.
func alertOf(body string) string {
	if i := strings.Index(body, `<div class="alert"`); i >= 0 {
		return body[i:]
	}
	return mainOf(body)
}

// apiFields returns the field errors of an API error body, as field → code.
func apiFields(t *testing.T, body string) map[string]string {
	t.Helper()
	var b apiError
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("not an API error: %v: %s", err, body)
	}
	out := map[string]string{}
	for _, f := range b.Error.Fields {
		out[f.Field] = f.Code
	}
	return out
}

// inputWorld is a case of the caseworker's, with consent to collect and
// store and to share for services, and a service of agency B to refer it to.
func inputWorld(t *testing.T, e *env) *coordWorld {
	t.Helper()
	w := newCoordWorld(t, e)
	ctx := context.Background()
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		for _, scope := range []string{e.srv.prof.GateScope(), "share_services"} {
			if _, err := consent.Add(ctx, tx, e.srv.prof, fixture.Actor(e.users["caseworker"]), w.c.ID,
				consent.Input{Scope: scope, Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given,
					Method: "written", ObtainedOn: e.clock.now().Format("2006-01-02")}, e.clock.now()); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestNULRefused sends a NUL character (U+0000) in a text field of real
// forms, real API bodies, a directory import and a query, on both engines:
// each answers 422 naming the field, and nothing is written. (PostgreSQL
// refuses NUL in text and SQLite stores it: before, the same request gave
// 500 on one engine and stored the character on the other.)
func TestNULRefused(t *testing.T) {
	en := i18n.MustLoad().Locale("en")
	nulMsg := en.T("err.nul")
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		w := inputWorld(t, e)
		id := w.c.ID
		cw, admin := e.as("caseworker"), e.as("agency_admin")
		api, apiAdmin := e.apiClient("caseworker"), e.apiClient("agency_admin")
		before := e.written(t, id)
		caseVersion := func() int {
			t.Helper()
			var v int
			if err := e.db.Read(context.Background(), func(tx *store.Tx) error {
				c, err := tx.Case(context.Background(), id)
				if err == nil {
					v = c.Version
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return v
		}

		// Forms: the page lists the field with the message.
		reg := registrationValues()
		reg.Set("given_name", "Am\x00al")
		dir := dirEntryForm(e)
		dir.Set("organisation", "Town\x00Clinic")
		// Each form is refused with its field marked: the summary links to
		// it (the import's fields name a row and a column instead).
		forms := []struct {
			name  string
			c     *client
			path  string
			form  url.Values
			field string
		}{
			{"registration", cw, "/cases", reg, "given_name"},
			{"family", cw, "/cases/" + id + "/family", url.Values{"relationship": {"aunt_uncle"}, "name": {"Aunt\x00"}}, "name"},
			{"risk reason", cw, "/cases/" + id + "/risk", url.Values{"risk_level": {"high"}, "risk_reason": {"seen \x00 again"},
				"version": {fmt.Sprint(caseVersion())}}, "risk_reason"},
			{"referral reason", cw, "/cases/" + id + "/referrals", url.Values{"service_id": {w.svc.ID},
				"reason": {"clinical\x00care"}, "sections": {"registration"}}, "reason"},
			{"identification", cw, "/identify", url.Values{"source": {e.srv.prof.IdentificationSources[0].Key},
				"location": {"Block\x004"}}, "location"},
			{"directory", admin, "/directory", dir, "organisation"},
			{"directory import", admin, "/directory/import", url.Values{"csv": {strings.Join(dirCSVHeader(), ",") + "\n" +
				dirCSVRow(e, map[string]string{"area": "Block\x003"})}}, "row 2, area"},
		}
		for _, f := range forms {
			mark := `href="#f-` + f.field + `"`
			if strings.Contains(f.field, " ") {
				mark = f.field + ": " + nulMsg
			}
			res := f.c.post(f.path, f.form)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, mark) ||
				!strings.Contains(res.Body, nulMsg) {
				t.Errorf("form %s: %d, want 422 marking %s with %q:\n%.300s", f.name, res.StatusCode, f.field, nulMsg, alertOf(res.Body))
			}
		}

		// An uploaded directory file: its row and column.
		ct, file := multipartBody(t, strings.Join(dirCSVHeader(), ",")+"\n"+dirCSVRow(e, map[string]string{"focal_point": "Joy\x00"}))
		req, _ := http.NewRequest("POST", e.ts.URL+"/directory/import", file)
		req.Header.Set("Content-Type", ct)
		if res := admin.do(req); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "row 2, focal_point: "+nulMsg) {
			t.Errorf("directory upload: %d, want 422 naming row 2, focal_point:\n%.300s", res.StatusCode, alertOf(res.Body))
		}
		// A path holding a NUL names nothing.
		if res := cw.get("/directory/%00"); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /directory/%%00: %d, want 404", res.StatusCode)
		}

		// API bodies: the field's JSON path, code "nul".
		bodies := []struct {
			name, path, body, field string
			c                       *client
		}{
			{"registration", "/api/v1/cases", `{"type":"cp","given_name":"Am\u0000al","age":9,"sex":"female","location":"x",
				"contact":"y","care_status":"accompanied","concerns":["neglect"],"risk_level":"low","risk_reason":"r"}`, "given_name", api},
			{"family", "/api/v1/cases/" + id + "/family", `{"relationship":"aunt_uncle","name":"Aunt\u0000"}`, "name", api},
			{"referral reason", "/api/v1/cases/" + id + "/referrals", fmt.Sprintf(
				`{"service_id":%q,"reason":"clinical\u0000care","sections":["registration"]}`, w.svc.ID), "reason", api},
			{"assessment need", "/api/v1/cases/" + id + "/assessments", fmt.Sprintf(`{"kind":"initial","interviewed_child":true,
				"needs":[{"domain":"safety","description":"fine","met":"not","priority":"high"},
				{"domain":"safety","description":"alone\u0000at night","met":"not","priority":"high"}],
				"risk_level":"high","risk_reason":"x","version":%d}`, caseVersion()), "needs.1.description", api},
			{"directory", "/api/v1/directory", `{"organisation":"Town\u0000Clinic","sector":"health_nutrition",
				"services":"x","last_verified":"2026-11-01"}`, "organisation", apiAdmin},
		}
		for _, b := range bodies {
			res := b.c.json("POST", b.path, b.body)
			if got := apiFields(t, res.Body); res.StatusCode != http.StatusUnprocessableEntity || got[b.field] != "nul" {
				t.Errorf("API %s: %d %v, want 422 with %s: nul", b.name, res.StatusCode, got, b.field)
			}
			doc.checkResponse(t, "POST", strings.Replace(b.path, id, "{id}", 1), res)
		}

		// Queries that reach the database: the parameter is named.
		dpo := e.as("dp_officer")
		for _, q := range []struct {
			c           *client
			path, param string
		}{{dpo, "/audit?action=case.view%00", "action"}, {dpo, "/audit?actor=amina%00", "actor"}} {
			res := q.c.get(q.path)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `href="#f-`+q.param+`"`) ||
				!strings.Contains(res.Body, nulMsg) {
				t.Errorf("GET %s: %d, want 422 naming %s:\n%.300s", q.path, res.StatusCode, q.param, alertOf(res.Body))
			}
		}
		res := api.get("/api/v1/cases?team=%00")
		if got := apiFields(t, res.Body); res.StatusCode != http.StatusUnprocessableEntity || got["team"] != "nul" {
			t.Errorf("API query: %d %v, want 422 with team: nul", res.StatusCode, got)
		}
		doc.checkResponse(t, "GET", "/api/v1/cases", res)

		if after := e.written(t, id); after != before {
			t.Errorf("refused requests wrote: before %+v, after %+v", before, after)
		}
	})
}

// TestInvalidUTF8Refused sends text that is not UTF-8 through the API and a
// form, on both engines: 422 naming the field, nothing written (before, the
// API stored it with each bad byte replaced by U+FFFD, and the
// identification form stored it while showing the error).
func TestInvalidUTF8Refused(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		w := inputWorld(t, e)
		id := w.c.ID
		cw, api := e.as("caseworker"), e.apiClient("caseworker")
		before := e.written(t, id)
		for _, b := range []struct{ name, path, body, field string }{
			{"registration", "/api/v1/cases", "{\"type\":\"cp\",\"given_name\":\"Am\xffal\",\"age\":9,\"sex\":\"female\",\"location\":\"x\"," +
				"\"contact\":\"y\",\"care_status\":\"accompanied\",\"concerns\":[\"neglect\"],\"risk_level\":\"low\",\"risk_reason\":\"r\"}", "given_name"},
			{"family", "/api/v1/cases/" + id + "/family", "{\"relationship\":\"aunt_uncle\",\"name\":\"Aunt \xc3\x28\"}", "name"},
			{"referral", "/api/v1/cases/" + id + "/referrals", fmt.Sprintf(
				"{\"service_id\":%q,\"sections\":[\"registration\"],\"reason\":\"care \xed\xa0\x80\"}", w.svc.ID), "reason"},
			{"lone surrogate", "/api/v1/cases/" + id + "/family", `{"relationship":"aunt_uncle","name":"Aunt \ud800"}`, "name"},
			{"a key", "/api/v1/cases/" + id + "/family", "{\"relationship\":\"aunt_uncle\",\"na\xffme\":\"x\"}", "na\ufffdme"},
		} {
			res := api.json("POST", b.path, b.body)
			if got := apiFields(t, res.Body); res.StatusCode != http.StatusUnprocessableEntity || got[b.field] != "encoding" {
				t.Errorf("API %s: %d %v, want 422 with %s: encoding", b.name, res.StatusCode, got, b.field)
			}
			doc.checkResponse(t, "POST", strings.Replace(b.path, id, "{id}", 1), res)
		}
		res := cw.post("/identify", url.Values{"source": {e.srv.prof.IdentificationSources[0].Key}, "location": {"Block \xff"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `href="#f-location"`) {
			t.Errorf("identification form: %d, want 422 marking location:\n%.300s", res.StatusCode, alertOf(res.Body))
		}
		if after := e.written(t, id); after != before {
			t.Errorf("refused requests wrote: before %+v, after %+v", before, after)
		}
	})
}

// TestTooLargeSaysSo sends a form and an API body over their caps: the
// answer says the form or body is too large, naming the limit, rather than
// asking to correct fields that are not marked; nothing is written.
func TestTooLargeSaysSo(t *testing.T) {
	en := i18n.MustLoad().Locale("en")
	doc := loadOpenAPI(t)
	// The messages name the limits the code enforces.
	if want := fmt.Sprintf("%d MB", maxForm>>20); !strings.Contains(en.T("error.too_large_help"), want) {
		t.Errorf("error.too_large_help %q does not name the limit %s", en.T("error.too_large_help"), want)
	}
	if want := fmt.Sprintf("%d MB", maxJSON>>20); !strings.Contains(en.T("err.json_too_large"), want) {
		t.Errorf("err.json_too_large %q does not name the limit %s", en.T("err.json_too_large"), want)
	}
	forEachEngine(t, func(t *testing.T, e *env) {
		w := inputWorld(t, e)
		id := w.c.ID
		cw, admin, api := e.as("caseworker"), e.as("agency_admin"), e.apiClient("caseworker")
		before := e.written(t, id)
		big := strings.Repeat("a", maxForm+1)
		for _, f := range []struct {
			c    *client
			path string
		}{{cw, "/cases/" + id + "/family"}, {cw, "/cases"}, {admin, "/directory/import"}} {
			path := f.path
			res := f.c.post(path, url.Values{"relationship": {"aunt_uncle"}, "name": {big}, "csv": {big}})
			if res.StatusCode != http.StatusRequestEntityTooLarge ||
				!strings.Contains(res.Body, en.T("error.too_large")) ||
				!strings.Contains(res.Body, en.T("error.too_large_help")) ||
				strings.Contains(res.Body, en.T("error.invalid_help")) {
				t.Errorf("POST %s over the cap: %d, want 413 saying the form is too large:\n%.600s", path, res.StatusCode, mainOf(res.Body))
			}
		}
		res := api.json("POST", "/api/v1/cases/"+id+"/family", `{"relationship":"aunt_uncle","name":"`+big+`"}`)
		if got := apiFields(t, res.Body); res.StatusCode != http.StatusUnprocessableEntity || got["body"] != "json_too_large" ||
			!strings.Contains(res.Body, en.T("err.json_too_large")) {
			t.Errorf("API body over the cap: %d %.300s, want 422 with body: json_too_large", res.StatusCode, res.Body)
		}
		doc.checkResponse(t, "POST", "/api/v1/cases/{id}/family", res)
		if after := e.written(t, id); after != before {
			t.Errorf("refused requests wrote: before %+v, after %+v", before, after)
		}
	})
}

// TestDirectoryExportNeutralisesFormulas downloads the directory with
// entries typed to run in a spreadsheet (=HYPERLINK, +, -, @, full-width =)
// and with a quote typed on purpose: every such cell of the file starts
// with a quote that the spreadsheet shows as text, other cells are as
// typed; importing the file back changes nothing, on both engines.
func TestDirectoryExportNeutralisesFormulas(t *testing.T) {
	values := []string{`=HYPERLINK("http://x","y")`, "+1+1", "@SUM(A1)", "-2+3", "\uff1d1+1", "'quoted on purpose",
		"Walk in, weekdays"}
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, v := range values {
			e.addDirEntry(t, directory.Input{Organisation: v, Sector: "legal", Services: v, HowToRefer: v,
				Languages: []string{v, "English"}, AgencyID: e.agency, LastVerified: "2026-11-01"})
		}
		before := e.dirEntries(t)
		admin := e.as("agency_admin")
		res := admin.get("/directory/export.csv")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("export: %d", res.StatusCode)
		}
		rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, row := range rows[1:] {
			for i, c := range directory.Columns {
				cell := row[i]
				if c != "organisation" && c != "services" && c != "how_to_refer" && c != "languages" {
					continue
				}
				v, _ := strings.CutSuffix(cell, ";English")
				v, quoted := strings.CutPrefix(v, "'")
				if !slices.Contains(values, v) {
					t.Errorf("%s cell %q is none of the values typed", c, cell)
					continue
				}
				seen++
				if wantQuote := v != "Walk in, weekdays"; quoted != wantQuote {
					t.Errorf("%s cell %q: quoted %v, want %v", c, cell, quoted, wantQuote)
				}
			}
		}
		if seen != 4*len(values) {
			t.Errorf("%d cells checked, want %d", seen, 4*len(values))
		}
		imp := admin.post("/directory/import", url.Values{"csv": {res.Body}})
		if imp.StatusCode != http.StatusSeeOther {
			t.Fatalf("import of the export: %d\n%.300s", imp.StatusCode, alertOf(imp.Body))
		}
		if q, _ := url.ParseQuery(strings.SplitN(imp.Header.Get("Location"), "?", 2)[1]); q.Get("unchanged") != fmt.Sprint(len(values)) {
			t.Errorf("import of the export: %s, want all %d unchanged", imp.Header.Get("Location"), len(values))
		}
		if after := e.dirEntries(t); !slices.EqualFunc(before, after, func(a, b directory.Service) bool {
			return a.ID == b.ID && a.Version == b.Version && a.Organisation == b.Organisation &&
				a.HowToRefer == b.HowToRefer && slices.Equal(a.Languages, b.Languages)
		}) {
			t.Errorf("the round trip changed entries:\n%+v\n%+v", before, after)
		}
	})
}

// TestJSONTextPaths: a refused JSON body names the string at fault by its
// path, whatever its depth, for bad bytes and escaped lone surrogates (a
// raw scan) and for NUL characters (a walk of the decoded value).
func TestJSONTextPaths(t *testing.T) {
	for body, want := range map[string]string{
		"{\"a\":\"\xff\"}": "a",
		"{\"a\":[1,{\"b\":\"x\"},{\"b\":\"x\xff\"}]}": "a.2.b",
		"{\"a\xffb\":1}":                           "a\ufffdb",
		"{\"a\":{\"\":\"\xc3\x28\"}}":              "a.",
		"{\"\":\"\x80\"}":                          "body",
		"\"\xff\"":                                 "body",
		`{"a":1,"b":"\ud800"}`:                     "b",
		`{"a":"\udc00\ud800"}`:                     "a",
		`{"a":"\ud800\u0041"}`:                     "a",
		`{"a":"ok","b":["\ud83d\ude00","\ude00"]}`: "b.1",
		"{\"a\":1} \"\xff\"":                       "body",
	} {
		err := checkJSONText([]byte(body))
		if fe, ok := errs.AsFields(err); !ok || len(fe) != 1 || fe[0].Field != want || fe[0].Msg != "err.encoding" {
			t.Errorf("%q: %v, want %s: err.encoding", body, err, want)
		}
	}
	for _, body := range []string{`{"a":"\ud83d\ude00"}`, `{"a":"\\ud800"}`, `{"a":"é"}`, `{}`, `{"a":"\u00e9\\"}`} {
		if err := checkJSONText([]byte(body)); err != nil {
			t.Errorf("%q refused: %v", body, err)
		}
	}

	type inner struct {
		Note string `json:"note"`
	}
	type Embedded struct {
		Deep string `json:"deep"`
	}
	type body struct {
		Embedded
		Name    string            `json:"name"`
		Skip    string            `json:"-"`
		Untaged string            //
		Items   []inner           `json:"items"`
		Ptr     *inner            `json:"ptr"`
		Map     map[string]string `json:"map"`
		Bytes   []byte            `json:"bytes"`
	}
	for _, tt := range []struct {
		v    body
		want string
	}{
		{body{Name: "a\x00"}, "name"},
		{body{Items: []inner{{"x"}, {"\x00"}}}, "items.1.note"},
		{body{Ptr: &inner{"\x00"}}, "ptr.note"},
		{body{Map: map[string]string{"k": "\x00"}}, "map.k"},
		{body{Map: map[string]string{"k\x00": "v"}}, "map.k\ufffd"},
		{body{Embedded: Embedded{"\x00"}}, "deep"},
		{body{Untaged: "\x00"}, "Untaged"},
		{body{Skip: "\x00", Bytes: []byte{0}}, ""},
	} {
		got, found := nulPath(reflect.ValueOf(&tt.v), "")
		if got != tt.want || found != (tt.want != "") {
			t.Errorf("%+v: %q, %v; want %q", tt.v, got, found, tt.want)
		}
	}
	if got, _ := nulPath(reflect.ValueOf(map[string]any{"": "\x00"}), ""); got != "body" {
		t.Errorf("an empty key at the top: %q, want body", got)
	}
}

// loginAs signs in through the real form with a User-Agent and an
// X-Forwarded-For of the caller's choosing.
func (c *client) loginAs(username, userAgent, forwarded string) *response {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.ts.URL+"/login",
		strings.NewReader(url.Values{"username": {username}, "password": {testPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", userAgent)
	if forwarded != "" {
		req.Header.Set("X-Forwarded-For", forwarded)
	}
	return c.do(req)
}

// TestSignInWithBadText signs in with text that cannot be stored where the
// sign-in stores or audits it, on both engines: a username holding a NUL or
// bytes that are not UTF-8 is refused naming the field (it was the record
// of the failed sign-in's audit event, and a 500 on PostgreSQL); a long
// browser name cut in the middle of a character, and a forwarded address
// that is not an address (behind a trusted proxy), still sign in, keeping
// what can be kept (they were stored as they came, or a 500).
func TestSignInWithBadText(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, name := range []string{"caseworker\x00", "case\xffworker"} {
			res := e.anon().loginAs(name, "Mozilla/5.0", "")
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `href="#f-username"`) {
				t.Errorf("sign in as %q: %d, want 422 marking the username:\n%.300s", name, res.StatusCode, alertOf(res.Body))
			}
		}
		var evs []audit.Event
		if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
			evs, err = tx.AuditEvents(ctx, store.AuditFilter{Action: "auth.", Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(evs) != 0 {
			t.Errorf("refused sign-ins were audited as attempts: %+v", evs)
		}

		// A browser name of 199 bytes and a two-byte character: cut at 200.
		ua := strings.Repeat("a", 199) + "é and more"
		if res := e.anon().loginAs("caseworker", ua, ""); res.StatusCode != http.StatusSeeOther {
			t.Errorf("sign in with a long browser name: %d\n%.300s", res.StatusCode, mainOf(res.Body))
		}

		// Behind a trusted proxy, a forwarded address that is no address is
		// not taken: the connection's address is; of a list, the rightmost
		// address that is not a trusted proxy is.
		trusted, err := clientip.ParseProxies("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		proxied, err := New(e.db, e.srv.prof, Config{PasswordParams: cheap, Now: e.clock.now, TrustedProxies: trusted,
			Logger: e.srv.log})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(proxied)
		defer ts.Close()
		c := e.anon()
		c.e = &env{t: t, ts: ts}
		for _, fwd := range []string{"10.1.2.3\xff", "not an address", "10.9.8.7, 10.0.0.1"} {
			if res := c.loginAs("caseworker", "Mozilla/5.0", fwd); res.StatusCode != http.StatusSeeOther {
				t.Errorf("sign in forwarded for %q: %d\n%.300s", fwd, res.StatusCode, mainOf(res.Body))
			}
		}
		if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
			evs, err = tx.AuditEvents(ctx, store.AuditFilter{Action: "auth.login", Limit: 100})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var ips []string
		for _, ev := range evs {
			ips = append(ips, ev.IP)
		}
		slices.Sort(ips)
		if want := []string{"10.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"}; !slices.Equal(ips, want) {
			t.Errorf("addresses of the sign-ins: %q, want %q", ips, want)
		}
	})
}
