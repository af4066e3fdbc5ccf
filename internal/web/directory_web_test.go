package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// dirEntryForm is a complete entry form.
func dirEntryForm(e *env) url.Values {
	return url.Values{"organisation": {"Town Clinic"}, "sector": {"health_nutrition"},
		"services": {"Clinical management of rape within 72 hours"}, "agency_id": {e.agency}, "area": {"Block 3"},
		"opening_hours": {"Mon-Sat 8-17"}, "languages": {"English, Arabic"}, "profiles": {"women", "girls"},
		"entry_point": {"1"}, "how_to_refer": {"Walk in or call the focal point"}, "focal_point": {"Nurse Joy, 0700 000"},
		"focal_user_id": {e.users["service_provider"].ID}, "avg_days": {"1"}, "quality": {"safe", "child_friendly"},
		"last_verified": {"2026-11-01"}, "active": {"1"}}
}

func (e *env) dirEntries(t *testing.T) []directory.Service {
	t.Helper()
	var out []directory.Service
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.DirectoryServices(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) addDirEntry(t *testing.T, in directory.Input) *directory.Service {
	t.Helper()
	var s *directory.Service
	ctx := context.Background()
	if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
		s, err = directory.Create(ctx, tx, e.srv.prof, e.actor("system_admin"), in, e.clock.now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s does not show %q", what, w)
		}
	}
}

// TestDirectoryPages adds, lists, filters, maps, edits (with a conflict)
// and refuses entries through the pages.
func TestDirectoryPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin, cw := e.as("agency_admin"), e.as("caseworker")

		// Everyone has the directory in the navigation; only administrators the add link.
		for _, role := range testRoles {
			res := e.session(role).get("/directory")
			if res.StatusCode != 200 || !strings.Contains(res.Body, `href="/directory" aria-current="page"`) {
				t.Errorf("%s: /directory %d, or no current nav entry", role, res.StatusCode)
			}
		}
		if res := cw.get("/directory"); strings.Contains(res.Body, "/directory/new") || strings.Contains(res.Body, "/directory/import") {
			t.Error("a caseworker is offered to add or import entries")
		}
		if res := admin.get("/directory/new"); res.StatusCode != 200 || !strings.Contains(res.Body, `value="2026-11-20"`) {
			t.Errorf("new entry form: %d (last verified should default to today)", res.StatusCode)
		}

		// Field errors come back on the form, with what was typed.
		bad := dirEntryForm(e)
		bad.Set("avg_days", "a week")
		bad.Set("sector", "astrology")
		res := admin.post("/directory", bad)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad form: %d", res.StatusCode)
		}
		mustContain(t, "the refused form", res.Body, "Write a whole number.", "Choose one of the options.",
			`value="Town Clinic"`, "Nurse Joy")
		if n := len(e.dirEntries(t)); n != 0 {
			t.Fatalf("a refused form saved %d entries", n)
		}
		if res := cw.post("/directory", dirEntryForm(e)); res.StatusCode != http.StatusForbidden {
			t.Errorf("caseworker adds an entry: %d", res.StatusCode)
		}
		other := dirEntryForm(e)
		other.Set("agency_id", e.agencyB)
		other.Del("focal_user_id")
		if res := admin.post("/directory", other); res.StatusCode != http.StatusForbidden {
			t.Errorf("agency admin adds another agency's entry: %d", res.StatusCode)
		}

		res = admin.post("/directory", dirEntryForm(e))
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.location(), "/directory/") {
			t.Fatalf("add: %d %s", res.StatusCode, res.Body)
		}
		id := strings.TrimPrefix(res.location(), "/directory/")
		page := admin.get("/directory/" + id + "?done=created")
		mustContain(t, "the new entry", page.Body, "Entry added", "Town Clinic", "Health and nutrition", "Women",
			"Entry point", "User service_provider", "Hope for Children", "English, Arabic", "Child-friendly")
		if strings.Contains(page.Body, "Needs verifying") || strings.Contains(page.Body, "Project ended") {
			t.Error("a fresh entry is flagged")
		}

		// A stale entry, an ended project, and one for boys only.
		e.addDirEntry(t, directory.Input{Organisation: "Old Shelter", Sector: "shelter_nfi", Services: "Beds for women",
			Area: "Hill district", Profiles: []string{"women"}, FunnellingPoint: true, LastVerified: "2025-01-10"})
		e.addDirEntry(t, directory.Input{Organisation: "Cash Project", Sector: "cash", Services: "Multi-purpose cash",
			Area: "Block 3", Profiles: []string{"boys"}, ProjectEnd: "2026-06-30", LastVerified: "2026-11-01"})
		list := cw.get("/directory")
		mustContain(t, "the list", list.Body, "Town Clinic", "Old Shelter", "Cash Project", "3 entries",
			"Needs verifying", "Project ended", "Last verified more than 13 weeks ago")
		if n := strings.Count(list.Body, `class="soon"`); n != 1 {
			t.Errorf("%d entries flagged as needing verification, want 1", n)
		}
		for q, want := range map[string][]string{
			"sector=cash":                   {"Cash Project"},
			"profile=women":                 {"Town Clinic", "Old Shelter"},
			"area=block+3":                  {"Town Clinic", "Cash Project"},
			"area=block+3&profile=girls":    {"Town Clinic"},
			"sector=legal":                  {},
			"sector=health_nutrition&x=<b>": {"Town Clinic"},
		} {
			body := cw.get("/directory?" + q).Body
			for _, org := range []string{"Town Clinic", "Old Shelter", "Cash Project"} {
				shown := strings.Contains(body, ">"+org+"</a>")
				wanted := strings.Contains(strings.Join(want, "|"), org)
				if shown != wanted {
					t.Errorf("filter %s: %s shown %v, want %v", q, org, shown, wanted)
				}
			}
			if len(want) == 0 && !strings.Contains(body, "No entry matches") {
				t.Errorf("filter %s: no empty-result message", q)
			}
		}

		// The grid: organisations by profile, entry and funnelling points
		// marked; an ended project is left out.
		grid := cw.get("/directory/grid")
		mustContain(t, "the grid", grid.Body, "Persons with disabilities", "LGBTI", "Town Clinic", "Old Shelter",
			"Entry point", "Funnelling point")
		if strings.Contains(grid.Body, "Cash Project") {
			t.Error("the grid shows a service whose project ended")
		}
		if n := strings.Count(grid.Body, `href="/directory/`+id+`"`); n != 2 {
			t.Errorf("the clinic's service shows in %d cells, want 2 (girls, women)", n)
		}

		// Editing: a caseworker sees no form and is refused; a stale form is a conflict.
		if strings.Contains(cw.get("/directory/"+id).Body, `action="/directory/`+id+`"`) {
			t.Error("a caseworker is shown the edit form")
		}
		edit := dirEntryForm(e)
		edit.Set("version", "1")
		edit.Set("how_to_refer", "Call first")
		if res := cw.post("/directory/"+id, edit); res.StatusCode != http.StatusForbidden {
			t.Errorf("caseworker edits: %d", res.StatusCode)
		}
		if res := admin.post("/directory/"+id, edit); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", res.StatusCode, res.Body)
		}
		edit.Set("how_to_refer", "Send a letter")
		res = e.as("system_admin").post("/directory/"+id, edit)
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("stale edit: %d", res.StatusCode)
		}
		mustContain(t, "the conflict", res.Body, "Someone else saved this entry", "Call first", "Send a letter",
			`name="version" value="2"`)
		junk := dirEntryForm(e)
		junk.Set("version", "2")
		junk.Set("avg_days", "soon")
		if res := cw.post("/directory/"+id, junk); res.StatusCode != http.StatusForbidden {
			t.Errorf("caseworker with a junk form: %d, want 403", res.StatusCode)
		}
		if res := admin.post("/directory/"+id, junk); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("junk form: %d", res.StatusCode)
		}
		for _, s := range e.dirEntries(t) {
			if s.ID == id && (s.HowToRefer != "Call first" || s.Version != 2) {
				t.Errorf("after the edits: %q at version %d", s.HowToRefer, s.Version)
			}
		}
		if res := cw.get("/directory/01890000-0000-7000-8000-000000000000"); res.StatusCode != 404 {
			t.Errorf("unknown entry: %d", res.StatusCode)
		}
		if res := cw.get("/directory/nonsense"); res.StatusCode != 404 {
			t.Errorf("malformed entry ID: %d", res.StatusCode)
		}
	})
}

// multipartBody is a form upload of file as "file".
func multipartBody(t *testing.T, file string) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "directory.csv")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(file))
	mw.WriteField("csv", "")
	mw.Close()
	return mw.FormDataContentType(), &buf
}

// TestDirectoryExportImport downloads the directory, imports it back by
// upload and by pasting, and shows import errors by row and column.
func TestDirectoryExportImport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		first := e.addDirEntry(t, directory.Input{Organisation: "Legal Aid", Sector: "legal", Services: "Counselling, court",
			Profiles: []string{"women", "men"}, Languages: []string{"English", "French"}, LastVerified: "2026-11-01"})
		e.addDirEntry(t, directory.Input{Organisation: "MHPSS Centre", Sector: "mhpss", Services: "Group sessions",
			AgencyID: e.agency, LastVerified: "2026-10-01"})
		cw, admin := e.as("caseworker"), e.as("agency_admin")
		res := cw.get("/directory/export.csv")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", res.StatusCode, res.Header)
		}
		lines := strings.Split(strings.TrimSpace(res.Body), "\n")
		if len(lines) != 3 || lines[0] != strings.Join(directory.Columns, ",") || !strings.Contains(res.Body, "women;men") {
			t.Fatalf("export:\n%s", res.Body)
		}

		// A caseworker may not import.
		if res := cw.post("/directory/import", url.Values{"csv": {res.Body}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("caseworker imports: %d", res.StatusCode)
		}

		// Pasted text with an error on row 3: nothing saved, the error names the row and column, the text stays.
		broken := strings.Replace(res.Body, "Group sessions", "Group sessions and more", 1)
		broken = strings.Replace(broken, "2026-10-01", "1 Oct", 1)
		bad := admin.post("/directory/import", url.Values{"csv": {broken}})
		if bad.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("broken import: %d", bad.StatusCode)
		}
		mustContain(t, "the refused import", bad.Body, "row 3, last_verified: Write a date as year-month-day.", "1 Oct")
		for _, s := range e.dirEntries(t) {
			if s.Version != 1 {
				t.Errorf("a refused import changed %s", s.Organisation)
			}
		}

		// Uploaded as a file: one entry edited, one row added.
		file := strings.Replace(res.Body, "Counselling, court", "Counselling and court accompaniment", 1) +
			",,,Family Tracing Desk,family_tracing,Tracing and reunification,,,,,,,,,0,,,girls;boys,no,yes,,,2026-11-15,yes\n"
		ct, body := multipartBody(t, file)
		req, _ := http.NewRequest("POST", e.ts.URL+"/directory/import", body)
		req.Header.Set("Content-Type", ct)
		up := admin.do(req)
		if up.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", up.StatusCode, up.Body)
		}
		done := admin.get(up.Header.Get("Location"))
		mustContain(t, "the list after import", done.Body, "Directory imported", "Entries added: 1. Updated: 1. Unchanged: 1.",
			"Family Tracing Desk", "Counselling and court accompaniment")
		for _, s := range e.dirEntries(t) {
			if s.ID == first.ID && (s.Version != 2 || s.Services != "Counselling and court accompaniment") {
				t.Errorf("imported edit: %+v", s)
			}
		}
	})
}

// TestDirectoryAPIMatchesOpenAPI drives the directory API through its
// answers and checks each against the OpenAPI document.
func TestDirectoryAPIMatchesOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		admin, sys, cw := e.apiClient("agency_admin"), e.apiClient("system_admin"), e.apiClient("caseworker")
		check := func(c *client, method, route, path, body string, want int) map[string]any {
			t.Helper()
			res := c.json(method, path, body)
			if res.StatusCode != want {
				t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, res.Body)
			}
			doc.checkResponse(t, method, route, res)
			var m map[string]any
			json.Unmarshal([]byte(res.Body), &m)
			return m
		}
		const list, one = "/api/v1/directory", "/api/v1/directory/{sid}"
		l := check(cw, "GET", list, list, "", 200)
		if l["refresh_days"].(float64) != 91 || len(l["services"].([]any)) != 0 {
			t.Errorf("empty directory: %v", l)
		}
		body := fmt.Sprintf(`{"organisation":"Safe House","sector":"shelter_nfi","services":"Emergency shelter",
			"agency_id":%q,"focal_user_id":%q,"profiles":["women","girls"],"quality":["safe"],"languages":["English"],
			"avg_days":0,"entry_point":false,"funnelling_point":true,"last_verified":"2026-11-01"}`, e.agency, e.users["service_provider"].ID)
		check(cw, "POST", list, list, body, 403)
		bad := check(admin, "POST", list, list, `{"organisation":"X","sector":"spa","services":"Y","avg_days":400,"last_verified":"2026-11-01"}`, 422)
		fields := fmt.Sprint(bad["error"].(map[string]any)["fields"])
		if !strings.Contains(fields, "field:sector") || !strings.Contains(fields, "field:avg_days") {
			t.Errorf("refusal names %s", fields)
		}
		check(admin, "POST", list, list, `{"organisation":"X","bogus":1}`, 422)
		s := check(admin, "POST", list, list, body, 201)
		id := s["id"].(string)
		if s["active"] != true || s["stale"] != false || s["agency_id"] != e.agency || s["version"].(float64) != 1 {
			t.Errorf("created %v", s)
		}
		path := "/api/v1/directory/" + id
		got := check(cw, "GET", one, path, "", 200)
		if fmt.Sprint(got["profiles"]) != "[girls women]" {
			t.Errorf("profiles %v", got["profiles"])
		}
		check(cw, "GET", one, "/api/v1/directory/01890000-0000-7000-8000-000000000000", "", 404)
		check(cw, "PUT", one, path, strings.Replace(body, "{", `{"version":1,`, 1), 403)
		upd := check(admin, "PUT", one, path, strings.Replace(strings.Replace(body, "{", `{"version":1,"active":false,`, 1),
			"Emergency shelter", "Emergency shelter, 14 nights", 1), 200)
		if upd["version"].(float64) != 2 || upd["active"] != false || upd["services"] != "Emergency shelter, 14 nights" {
			t.Errorf("updated %v", upd)
		}
		conflict := check(sys, "PUT", one, path, strings.Replace(body, "{", `{"version":1,`, 1), 409)
		if conflict["error"].(map[string]any)["current"] == nil {
			t.Errorf("conflict without the current version: %v", conflict)
		}
		check(admin, "PUT", one, path, `{"organisation":"X"}`, 422) // no version
		// The system administrator moves it to agency B; agency A's admin then may not edit it.
		moved := strings.Replace(strings.Replace(body, e.agency, e.agencyB, 1), e.users["service_provider"].ID, "", 1)
		check(sys, "PUT", one, path, strings.Replace(moved, "{", `{"version":2,`, 1), 200)
		check(admin, "PUT", one, path, strings.Replace(moved, "{", `{"version":3,`, 1), 403)
		l = check(cw, "GET", list, list+"?profile=girls&sector=shelter_nfi", "", 200)
		if len(l["services"].([]any)) != 1 {
			t.Errorf("filtered list %v", l)
		}
		l = check(cw, "GET", list, list+"?profile=men", "", 200)
		if len(l["services"].([]any)) != 0 {
			t.Errorf("list for men %v", l)
		}
	})
}

// TestDirectoryNavEveryRole checks that every role's navigation ends with
// the service directory.
func TestDirectoryNavEveryRole(t *testing.T) {
	for _, r := range org.Roles {
		nav := navFor(r)
		if len(nav) < 2 || nav[len(nav)-1].Href != "/directory" {
			t.Errorf("%s: navigation %v", r, nav)
		}
	}
}

// FuzzDirectoryForm feeds arbitrary form bodies to the entry form reader:
// it never panics, junk in avg_days is a field error for it, and what it
// reads and Check accepts is a valid entry.
func FuzzDirectoryForm(f *testing.F) {
	for _, s := range []string{"organisation=A&sector=legal&services=B&last_verified=2026-01-01",
		"avg_days=seven", "avg_days=-3&profiles=girls&profiles=elders", "languages=en,%3Bar;fr&quality=safe",
		"active=on&entry_point=yes&version=99999999999999999999", "%zz", "agency_id=x&focal_user_id=%00"} {
		f.Add(s)
	}
	p := profile.Default()
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		fm := &form{v: v}
		in := dirForm(fm)
		if s := fm.str("avg_days"); s != "" && !fm.errs.Has("avg_days") {
			if n, err := strconv.Atoi(s); err != nil || n != in.AvgDays {
				t.Fatalf("avg_days %q read as %d without an error", s, in.AvgDays)
			}
		}
		if in.Active == nil {
			t.Fatal("the form always says whether the entry is active")
		}
		checked := in
		if fe := directory.Check(p, &checked, "2026-11-20"); len(fe) == 0 {
			if checked.Organisation == "" || checked.Services == "" || checked.AvgDays < 0 || checked.AvgDays > 365 {
				t.Fatalf("accepted %+v", checked)
			}
			for _, l := range checked.Languages {
				if strings.ContainsAny(l, ",;") || strings.TrimSpace(l) != l || l == "" {
					t.Fatalf("language %q", l)
				}
			}
		}
	})
}
