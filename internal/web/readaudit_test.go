package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/audit"
	akeys "github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/testdb"
)

// breakAudit makes every audit write of e fail from now until the test
// ends, the way a process with the wrong deployment key finds the chain:
// it refuses to write to a chain keyed with another key (store.WrongKeyError).
// The chain must hold an event already, so that it is keyed.
func breakAudit(t *testing.T, e *env) {
	t.Helper()
	other, err := akeys.New(bytes.Repeat([]byte{7}, akeys.Size), "another deployment")
	if err != nil {
		t.Fatal(err)
	}
	e.db.UseKeys(other)
	t.Cleanup(func() { e.db.UseKeys(testdb.Keys()) })
}

// TestUnauditedReadShowsNothing: a page and an API answer whose read's
// audit event cannot be made durable answer 500 and carry nothing of the
// case — the collector holds the response until the event is written, and
// drops it when the write fails. The same reads answer the case while the
// audit trail works.
func TestUnauditedReadShowsNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.as("caseworker")
		id := strings.TrimPrefix(cw.post("/cases", registrationValues()).location(), "/cases/")
		var c struct {
			Code string `json:"code"`
		}
		mustJSON(t, cw.json("GET", "/api/v1/cases/"+id, "").Body, &c)
		reads := []string{"/cases/" + id + "/assessments", "/cases/" + id + "/consent", "/api/v1/cases/" + id,
			"/api/v1/cases/" + id + "/consent"}
		for _, path := range reads {
			if res := getAs(cw, path); res.StatusCode != http.StatusOK || c.Code == "" || !strings.Contains(res.Body, c.Code) &&
				!strings.Contains(res.Body, id) {
				t.Fatalf("GET %s with the audit trail working: %d %.300s", path, res.StatusCode, res.Body)
			}
		}
		breakAudit(t, e)
		for _, path := range reads {
			res := getAs(cw, path)
			if res.StatusCode != http.StatusInternalServerError {
				t.Errorf("GET %s with the audit trail failing: %d, want 500", path, res.StatusCode)
			}
			for _, secret := range []string{c.Code, id, "Amal", "Testcase", "Block 4", "alone at night"} {
				if strings.Contains(res.Body, secret) {
					t.Errorf("GET %s with the audit trail failing shows %q", path, secret)
				}
			}
			if strings.HasPrefix(path, "/api/") != strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Errorf("GET %s answered %s", path, res.Header.Get("Content-Type"))
			}
		}
	})
}

// TestReadAuditCollector runs a handler that makes two audited reads and
// answers (an HTML page, a JSON answer, or nothing): both events are in the
// trail before the answer, and with a failing trail the answer is a 500
// that holds none of what the handler wrote, nor the headers it set.
func TestReadAuditCollector(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		answers := map[string]func(w http.ResponseWriter) error{
			"html": func(w http.ResponseWriter) error { return writeHTML(w, http.StatusOK, []byte("<p>secret page</p>")) },
			"json": func(w http.ResponseWriter) error { return jsonOK(w, map[string]string{"secret": "json"}) },
			"redirect": func(w http.ResponseWriter) error {
				w.Header().Set("Location", "/secret")
				w.WriteHeader(http.StatusSeeOther)
				return nil
			},
			"none": func(http.ResponseWriter) error { return nil },
		}
		run := func(kind string) *httptest.ResponseRecorder {
			h := e.srv.wrap(route{method: "GET", path: "/probe", auth: public, h: func(w http.ResponseWriter, r *http.Request, rq *request) error {
				for _, rec := range []string{"one", "two"} {
					rq.auditRead(r.Context(), audit.Event{Action: "probe.view", RecordType: "probe", RecordID: kind + "-" + rec})
				}
				return answers[kind](w)
			}})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/probe", nil).WithContext(ctx))
			return w
		}
		for kind := range answers {
			if w := run(kind); w.Code >= 400 {
				t.Fatalf("%s: %d %s", kind, w.Code, w.Body)
			}
			got := map[string]bool{}
			for _, ev := range auditOf(t, e, "probe.view") {
				got[ev.RecordID] = true
			}
			if !got[kind+"-one"] || !got[kind+"-two"] {
				t.Errorf("%s: the two reads left events %v", kind, got)
			}
		}
		breakAudit(t, e)
		for kind := range answers {
			w := run(kind)
			if w.Code != http.StatusInternalServerError {
				t.Errorf("%s with the audit trail failing: %d, want 500", kind, w.Code)
			}
			if b := w.Body.String(); strings.Contains(b, "secret") {
				t.Errorf("%s with the audit trail failing sent %q", kind, b)
			}
			if loc := w.Header().Get("Location"); loc != "" {
				t.Errorf("%s with the audit trail failing kept Location %q", kind, loc)
			}
		}
	})
}
