package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/store"
)

// childValues is a complete registration form of a boy named given family,
// aged age.
func childValues(given, family string, age string) url.Values {
	v := registrationValues()
	v.Set("given_name", given)
	v.Set("family_name", family)
	v.Set("sex", "male")
	v.Set("age", age)
	return v
}

// countAgencyCases counts the cases of agency.
func (e *env) countAgencyCases(t *testing.T, agency string) int {
	t.Helper()
	var n int
	if err := e.db.Read(context.Background(), func(tx *store.Tx) (err error) {
		n, err = tx.CountCases(context.Background(), store.CaseFilter{Scope: "agency", ID: agency}, 1000)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// caseCode returns the code of the case at path /cases/{id}.
func (e *env) caseCode(t *testing.T, path string) string {
	t.Helper()
	id := strings.TrimPrefix(path, "/cases/")
	var code string
	if err := e.db.Read(context.Background(), func(tx *store.Tx) error {
		c, err := tx.Case(context.Background(), id)
		if err == nil {
			code = c.Code
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return code
}

// duplicateEvents returns the case.duplicate_check events recorded.
func (e *env) duplicateEvents(t *testing.T) []audit.Event {
	t.Helper()
	var ev []audit.Event
	if err := e.db.Read(context.Background(), func(tx *store.Tx) (err error) {
		ev, err = tx.AuditEvents(context.Background(), store.AuditFilter{Action: "case.duplicate_check", Limit: 100})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ev
}

var duplicatesPanel = regexp.MustCompile(`(?s)id="duplicates".*?id="save-anyway"`)

func TestRegisterDuplicateForm(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.as("caseworker")
		res := cw.post("/cases", childValues("Mohamed", "Abdi Warsame", "10"))
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first registration: %d\n%s", res.StatusCode, res.Body)
		}
		first := res.location()
		code := e.caseCode(t, first)
		n := e.countAgencyCases(t, e.agency)

		// The same child again, spelt differently, a year older.
		again := childValues("Muhammad", "Abdi Warsami", "11")
		again.Set("risk_reason", "sleeps at the market")
		res = cw.post("/cases", again)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("second registration: %d, want 422 with the possible duplicates", res.StatusCode)
		}
		panel := duplicatesPanel.FindString(res.Body)
		if panel == "" || !strings.Contains(panel, code) || !strings.Contains(panel, `href="`+first+`"`) {
			t.Fatalf("no possible duplicate %s listed:\n%s", code, res.Body)
		}
		if !strings.Contains(panel, "Mohamed Abdi Warsame") {
			t.Errorf("the case's own caseworker is not shown its name:\n%s", panel)
		}
		for _, kept := range []string{`value="Muhammad"`, `value="Abdi Warsami"`, `value="11"`, "sleeps at the market", `value="through her aunt"`} {
			if !strings.Contains(res.Body, kept) {
				t.Errorf("the form lost %s", kept)
			}
		}
		if got := e.countAgencyCases(t, e.agency); got != n {
			t.Fatalf("cases %d, want %d: the unconfirmed registration saved something", got, n)
		}
		ev := e.duplicateEvents(t)
		if len(ev) != 1 || ev[0].CaseID != strings.TrimPrefix(first, "/cases/") || !strings.Contains(ev[0].Detail, code) ||
			!strings.Contains(ev[0].Detail, `"name_shown":true`) {
			t.Fatalf("duplicate check audit: %+v", ev)
		}
		for _, name := range []string{"Mohamed", "Muhammad", "Abdi", "Warsam"} {
			if strings.Contains(ev[0].Detail, name) {
				t.Errorf("the audit detail holds %q: %s", name, ev[0].Detail)
			}
		}

		// Confirmed: saved.
		again.Set("different_child", "1")
		res = cw.post("/cases", again)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirmed registration: %d\n%s", res.StatusCode, res.Body)
		}
		if got := e.countAgencyCases(t, e.agency); got != n+1 {
			t.Fatalf("cases %d, want %d", got, n+1)
		}

		// Another team's caseworker, who may not read the case, sees its
		// code and not its name.
		res = e.as("caseworker2").post("/cases", childValues("Mohammed", "Abdi Warsame", "10"))
		panel = duplicatesPanel.FindString(res.Body)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(panel, code) {
			t.Fatalf("caseworker2: %d\n%s", res.StatusCode, res.Body)
		}
		if strings.Contains(panel, "Mohamed ") || strings.Contains(panel, "Muhammad") {
			t.Errorf("caseworker2 is shown a name they may not read:\n%s", panel)
		}

		// Another agency's caseworker registers the same child: no warning.
		res = e.as("other_agency").post("/cases", childValues("Mohamed", "Abdi Warsame", "10"))
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("other agency: %d, want 303 (other agencies' cases are never checked)\n%s", res.StatusCode, res.Body)
		}
	})
}

func TestRegisterDuplicateAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		api := e.apiClient("caseworker")
		body := func(given, extra string) string {
			return `{"type":"cp","given_name":"` + given + `","family_name":"Okot","age":9,"sex":"female",
				"location":"Block 4","contact":"via teacher","care_status":"accompanied","concerns":["neglect"],
				"risk_level":"medium","risk_reason":"alone"` + extra + `}`
		}
		res := api.json("POST", "/api/v1/cases", body("Aisha", ""))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("first: %d %s", res.StatusCode, res.Body)
		}
		var first struct{ ID, Code string }
		json.Unmarshal([]byte(res.Body), &first)
		n := e.countAgencyCases(t, e.agency)

		res = api.json("POST", "/api/v1/cases", body("Ayesha", ""))
		var dup struct {
			Error struct{ Code string } `json:"error"`
			Codes []string              `json:"possible_duplicates"`
		}
		json.Unmarshal([]byte(res.Body), &dup)
		if res.StatusCode != http.StatusConflict || dup.Error.Code != "possible_duplicates" || !slices.Equal(dup.Codes, []string{first.Code}) {
			t.Fatalf("second: %d %s, want 409 listing %s", res.StatusCode, res.Body, first.Code)
		}
		if strings.Contains(res.Body, "Aisha") || strings.Contains(res.Body, "Okot") {
			t.Errorf("the 409 names a child: %s", res.Body)
		}
		loadOpenAPI(t).checkResponse(t, "POST", "/api/v1/cases", res)
		if got := e.countAgencyCases(t, e.agency); got != n {
			t.Fatalf("cases %d, want %d", got, n)
		}
		res = api.json("POST", "/api/v1/cases", body("Ayesha", `,"different_child":true`))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("confirmed: %d %s", res.StatusCode, res.Body)
		}
		var second struct{ ID string }
		json.Unmarshal([]byte(res.Body), &second)
		var ev []audit.Event
		if err := e.db.Read(context.Background(), func(tx *store.Tx) (err error) {
			ev, err = tx.AuditEvents(context.Background(), store.AuditFilter{CaseID: second.ID, Action: "case.register", Limit: 5})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(ev) != 1 || !strings.Contains(ev[0].Detail, `"different_child_confirmed":["`+first.Code+`"]`) {
			t.Fatalf("registration audit: %+v", ev)
		}
		if len(e.duplicateEvents(t)) != 1 {
			t.Errorf("the 409 was not audited: %+v", e.duplicateEvents(t))
		}
		// The other agency's API user: no 409.
		res = e.apiClient("other_agency").json("POST", "/api/v1/cases", body("Aisha", ""))
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("other agency: %d %s", res.StatusCode, res.Body)
		}
	})
}

// TestBrowserRegisterDuplicate is the "done when": a caseworker
// registers a child, registers the same child again (spelt differently),
// is warned of the duplicate, confirms a different child, and it is saved.
func TestBrowserRegisterDuplicate(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		b := newBrowser(t, e)
		b.signIn("caseworker")
		register := func(given, family string, submit func(string)) {
			b.open("/cases/new")
			b.do(chromedp.SendKeys(chromedp.CSS("#f-given_name"), given),
				chromedp.SendKeys(chromedp.CSS("#f-family_name"), family),
				chromedp.SendKeys(chromedp.CSS("#f-age"), "10"),
				chromedp.SetValue(chromedp.CSS("#f-sex"), "male"),
				chromedp.SendKeys(chromedp.CSS("#f-location"), "Block 7, near the clinic"),
				chromedp.SendKeys(chromedp.CSS("#f-contact"), "through his uncle"),
				chromedp.SetValue(chromedp.CSS("#f-care_status"), "separated"),
				chromedp.Click(chromedp.CSS("input[name=concerns][value=neglect]")),
				chromedp.SetValue(chromedp.CSS("#f-risk_level"), "high"),
				chromedp.SendKeys(chromedp.CSS("#f-risk_reason"), "sleeps at the market"))
			submit("form[action='/cases'] button[type=submit]")
		}
		register("Mohamed", "Abdi", b.submit)
		b.wantText("main", "The case is registered")
		code := strings.TrimSpace(b.text("h1 .code"))

		register("Muhammad", "Abdy", b.submitRefused)
		b.wantText("#duplicates", "Possible duplicates", code, "Mohamed Abdi", "Open")
		b.screenshot("duplicates")
		if given, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#f-given_name"))); given != "Muhammad" {
			t.Errorf("the form lost the name typed: %q", given)
		}
		if n := e.countAgencyCases(t, e.agency); n != 1 {
			t.Fatalf("cases %d before the confirmation, want 1", n)
		}
		b.do(chromedp.Click(chromedp.CSS("#f-different_child")))
		b.submit("#save-anyway")
		b.wantText("main", "The case is registered")
		if other := strings.TrimSpace(b.text("h1 .code")); other == code || other == "" {
			t.Errorf("new case %q, first %q", other, code)
		}
		if n := e.countAgencyCases(t, e.agency); n != 2 {
			t.Fatalf("cases %d after the confirmation, want 2", n)
		}
	})
}

func TestIdentifyDuplicate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.as("caseworker")
		res := cw.post("/cases", childValues("Mohamed", "Abdi Warsame", "10"))
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("registration: %d\n%s", res.StatusCode, res.Body)
		}
		code := e.caseCode(t, res.location())
		ident := url.Values{"agency_id": {e.agency}, "source": {"community"}, "name": {"Muhammad Abdi Warsame"},
			"age": {"11"}, "sex": {"male"}, "location": {"Block 4"}, "notes": {"seen at the market"}}
		res = cw.post("/identify", ident)
		panel := duplicatesPanel.FindString(res.Body)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(panel, code) ||
			!strings.Contains(res.Body, "seen at the market") {
			t.Fatalf("identification: %d, want 422 listing %s with the form kept\n%s", res.StatusCode, code, res.Body)
		}
		// Someone who does not register cases is never shown which children the agency knows.
		res = e.as("community_volunteer").post("/identify", ident)
		if res.StatusCode != http.StatusOK || strings.Contains(res.Body, code) {
			t.Fatalf("volunteer: %d\n%s", res.StatusCode, res.Body)
		}
		ident.Set("different_child", "1")
		res = cw.post("/identify", ident)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "ID-") {
			t.Fatalf("confirmed: %d\n%s", res.StatusCode, res.Body)
		}
		var ev []audit.Event
		if err := e.db.Read(context.Background(), func(tx *store.Tx) (err error) {
			ev, err = tx.AuditEvents(context.Background(), store.AuditFilter{Action: "identification.different_child", Limit: 5})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(ev) != 1 || !strings.Contains(ev[0].Detail, code) || strings.Contains(ev[0].Detail, "Abdi") {
			t.Fatalf("confirmation audit: %+v", ev)
		}
		// The API: 409, then 201.
		api := e.apiClient("caseworker")
		body := `{"agency_id":"` + e.agency + `","source":"community","name":"Mohammed Abdi Warsame","age":"10","sex":"male"`
		res = api.json("POST", "/api/v1/identifications", body+`}`)
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, code) {
			t.Fatalf("API: %d %s", res.StatusCode, res.Body)
		}
		loadOpenAPI(t).checkResponse(t, "POST", "/api/v1/identifications", res)
		if res = api.json("POST", "/api/v1/identifications", body+`,"different_child":true}`); res.StatusCode != http.StatusCreated {
			t.Fatalf("API confirmed: %d %s", res.StatusCode, res.Body)
		}
	})
}
