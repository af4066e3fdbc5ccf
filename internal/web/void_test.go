package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/store"
)

// dupCase reads case id, for its code and version.
func dupCase(t *testing.T, e *env, id string) *cases.Case {
	t.Helper()
	var c *cases.Case
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		c, err = tx.Case(ctx, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestVoidReasonsInCatalog: every reason the form offers, and the case page
// shows through Opt "closure", has its words.
func TestVoidReasonsInCatalog(t *testing.T) {
	cat := i18n.MustLoad()
	for _, r := range cases.VoidReasons {
		if !cat.Has("void.reason." + r) {
			t.Errorf("void.reason.%s is not in the catalog", r)
		}
	}
}

// TestDuplicatePages: the supervisor marks a case as a duplicate on its
// page (the caseworker is not offered the form); a wrong code shows the form
// again with the error and what was typed; the marked case says "Duplicate
// of" the case kept, with a link, and the case kept lists it; the case is
// gone from the caseworker's caseload and tasks and from the team view;
// "This is not a duplicate" brings it back.
func TestDuplicatePages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		dupID, keptID := closureCase(t, e, 9, ""), closureCase(t, e, 9, "")
		dup, kept := dupCase(t, e, dupID), dupCase(t, e, keptID)
		cw, sup := e.session("caseworker"), e.session("supervisor")
		for _, path := range []string{"/caseload", "/tasks"} {
			wantStatus(t, "before: "+path, cw.get(path), 200, dup.Code)
		}
		if res := cw.get("/cases/" + dupID); strings.Contains(res.Body, `id="mark-duplicate"`) {
			t.Error("the caseworker is offered the form")
		}
		wantStatus(t, "the supervisor's case page", sup.get("/cases/"+dupID), 200, `id="mark-duplicate"`,
			`action="/cases/`+dupID+`/duplicate"`)
		form := url.Values{"version": {"1"}, "void_reason": {cases.ReasonDuplicate}, "kept_case_code": {"C-NOSUCH"},
			"void_note": {"met twice at the gate"}}
		wantStatus(t, "a code no case has", sup.post("/cases/"+dupID+"/duplicate", form), 422,
			"No case of your agency that you can see has this code.", `value="C-NOSUCH"`, "met twice at the gate")
		wantStatus(t, "the caseworker marks", cw.post("/cases/"+dupID+"/duplicate", form), 403)

		form.Set("kept_case_code", strings.ToLower(kept.Code))
		res := sup.post("/cases/"+dupID+"/duplicate", form)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/cases/"+dupID+"?done=marked_void" {
			t.Fatalf("mark: %d to %q\n%.600s", res.StatusCode, res.Header.Get("Location"), res.Body)
		}
		if st, _ := closureStatus(t, e, dupID); st != cases.Closed {
			t.Fatalf("marked case status %s", st)
		}
		wantStatus(t, "the marked case", sup.get("/cases/"+dupID+"?done=marked_void"), 200, "Duplicate of",
			`href="/cases/`+keptID+`">`+kept.Code+`</a>`, "met twice at the gate", "Duplicate of another case",
			`action="/cases/`+dupID+`/duplicate/undo"`, "It no longer shows in caseloads")
		// The tasks the marking closed were cancelled, not done: the page does not list them as done.
		if page := sup.get("/cases/" + dupID).Body; strings.Contains(doneSection(page), ">Assessment<") {
			t.Errorf("the marked case lists its cancelled assessment as done:\n%s", doneSection(page))
		}
		wantStatus(t, "the case kept", sup.get("/cases/"+keptID), 200, "Duplicates of this case:",
			`href="/cases/`+dupID+`">`+dup.Code+`</a>`)
		// Its caseworker still reads it (nothing is deleted) but may not undo it.
		if res := cw.get("/cases/" + dupID); res.StatusCode != 200 || strings.Contains(res.Body, "/duplicate/undo") {
			t.Errorf("the caseworker reads the marked case: %d, offered the undo: %v", res.StatusCode,
				strings.Contains(res.Body, "/duplicate/undo"))
		}
		for _, path := range []string{"/caseload", "/tasks"} {
			if res := cw.get(path); res.StatusCode != 200 || strings.Contains(res.Body, dup.Code) {
				t.Errorf("%s: %d, shows the duplicate %v", path, res.StatusCode, strings.Contains(res.Body, dup.Code))
			}
		}
		if res := sup.get("/team"); res.StatusCode != 200 || strings.Contains(res.Body, dup.Code) {
			t.Errorf("team view: %d, shows the duplicate %v", res.StatusCode, strings.Contains(res.Body, dup.Code))
		}
		// Marked twice: the page again, with the error.
		wantStatus(t, "marked twice", sup.post("/cases/"+dupID+"/duplicate", url.Values{"version": {closureVersion(t, e, dupID)},
			"void_reason": {cases.ReasonInError}}), 422)

		res = sup.post("/cases/"+dupID+"/duplicate/undo", url.Values{"version": {closureVersion(t, e, dupID)}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("undo: %d\n%.600s", res.StatusCode, res.Body)
		}
		if st, _ := closureStatus(t, e, dupID); st != cases.Open {
			t.Fatalf("undone case status %s", st)
		}
		wantStatus(t, "after the undo", cw.get("/caseload"), 200, dup.Code)
		if res := sup.get("/cases/" + keptID); strings.Contains(res.Body, "Duplicates of this case:") {
			t.Error("the case kept still lists the case that is not a duplicate")
		}
	})
}

// TestDuplicateAPI: POST /api/v1/cases/{id}/duplicate marks a case (the
// supervisor, not the caseworker, nobody of another agency), answers with
// the marking, and refuses what the form refuses, naming the field; the
// duplicate leaves the tasks API; undo reopens it.
func TestDuplicateAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		dupID, keptID := closureCase(t, e, 9, ""), closureCase(t, e, 9, "")
		dup, kept := dupCase(t, e, dupID), dupCase(t, e, keptID)
		cw, sup, other := e.apiClient("caseworker"), e.apiClient("supervisor"), e.apiClient("other_agency")
		path := "/api/v1/cases/" + dupID + "/duplicate"
		wantStatus(t, "tasks before", cw.json("GET", "/api/v1/tasks", ""), 200, dup.Code)
		body := `{"version":1,"void_reason":"duplicate","kept_case_code":"` + kept.Code + `"}`
		wantStatus(t, "the caseworker", cw.json("POST", path, body), 403)
		wantStatus(t, "another agency", other.json("POST", path, body), 404)
		wantStatus(t, "an unknown field", sup.json("POST", path, `{"version":1,"void_reason":"duplicate","kept":"x"}`), 422,
			"json_unknown_field")
		wantStatus(t, "no code", sup.json("POST", path, `{"version":1,"void_reason":"duplicate"}`), 422, "kept_case_code")
		wantStatus(t, "itself", sup.json("POST", path, `{"version":1,"void_reason":"duplicate","kept_case_code":"`+dup.Code+`"}`),
			422, "kept_case_code")
		wantStatus(t, "a stale version", sup.json("POST", path, `{"version":7,"void_reason":"registered_in_error"}`), 409)

		res := sup.json("POST", path, body)
		wantStatus(t, "mark", res, 200)
		var got voidJSON
		if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
			t.Fatal(err)
		}
		if !got.Void || got.Status != cases.Closed || got.ClosureReason != cases.ReasonDuplicate ||
			got.DuplicateOf == nil || *got.DuplicateOf != kept.Code || got.ClosedAt == nil {
			t.Errorf("answer %+v", got)
		}
		if res := cw.json("GET", "/api/v1/tasks", ""); res.StatusCode != 200 || strings.Contains(res.Body, dup.Code) {
			t.Errorf("tasks API after: %d, lists the duplicate %v", res.StatusCode, strings.Contains(res.Body, dup.Code))
		}
		if res := cw.json("GET", "/api/v1/cases", ""); res.StatusCode != 200 || strings.Contains(res.Body, dup.Code) {
			t.Errorf("cases API after: %d, lists the duplicate %v", res.StatusCode, strings.Contains(res.Body, dup.Code))
		}
		res = sup.json("POST", path+"/undo", `{"version":`+closureVersion(t, e, dupID)+`}`)
		wantStatus(t, "undo", res, 200, `"void":false`, `"status":"open"`)
	})
}

// doneSection returns the "Done" section of a case page, or "".
func doneSection(page string) string {
	i := strings.Index(page, `id="h-done"`)
	if i < 0 {
		return ""
	}
	page = page[i:]
	if j := strings.Index(page, "</section>"); j >= 0 {
		page = page[:j]
	}
	return page
}
