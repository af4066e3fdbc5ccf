package web

import (
	"fmt"
	"strings"
	"testing"
)

// TestAccountAPIMatchesOpenAPI drives the account administration API
// through a whole flow and checks every answer against the OpenAPI document.
func TestAccountAPIMatchesOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		check := func(c *client, method, route, path, body string, want int) map[string]any {
			t.Helper()
			res := c.json(method, path, body)
			if res.StatusCode != want {
				t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, res.Body)
			}
			doc.checkResponse(t, method, route, res)
			var m map[string]any
			if res.StatusCode != 204 {
				res.decode(t, &m)
			}
			return m
		}
		admin := e.apiClient("agency_admin")
		mgr := e.apiClient("manager")
		dpo := e.apiClient("dp_officer")
		cw := e.apiClient("caseworker")

		u := check(admin, "POST", "/api/v1/users", "/api/v1/users",
			fmt.Sprintf(`{"username":"amal","display_name":"Amal","role":"supervisor","team_id":%q,"email":"amal@example.org"}`, e.team), 201)
		id := u["id"].(string)
		setup := u["setup"].(map[string]any)
		if setup["code"] == "" || setup["mailed"] != false || u["case_access"] != "pending" || u["setup_pending"] != true {
			t.Errorf("new user: %v", u)
		}
		check(admin, "POST", "/api/v1/users", "/api/v1/users", `{"username":"amal2","display_name":"A","role":"manager","password":"chosen-by-me-1"}`, 422)
		check(admin, "PATCH", "/api/v1/users/{id}", "/api/v1/users/"+id, `{"password":"chosen-by-me-1","version":1}`, 422)
		check(admin, "PATCH", "/api/v1/users/{id}", "/api/v1/users/"+e.users["agency_admin"].ID, `{"role":"manager","version":1}`, 422)
		check(admin, "POST", "/api/v1/users/{id}/reset", "/api/v1/users/"+id+"/reset", "", 200)
		check(admin, "POST", "/api/v1/users/{id}/reset", "/api/v1/users/"+e.users["agency_admin"].ID+"/reset", "", 422)
		check(admin, "POST", "/api/v1/users/{id}/unlock", "/api/v1/users/"+id+"/unlock", "", 200)
		check(admin, "POST", "/api/v1/users/{id}/unlock", "/api/v1/users/"+e.users["system_admin"].ID+"/unlock", "", 403)
		check(cw, "POST", "/api/v1/users/{id}/reset", "/api/v1/users/"+id+"/reset", "", 404)

		list := check(mgr, "GET", "/api/v1/approvals", "/api/v1/approvals", "", 200)
		approvals := list["approvals"].([]any)
		if len(approvals) != 1 || approvals[0].(map[string]any)["may_decide"] != true || approvals[0].(map[string]any)["reason"] != "unlock" {
			t.Fatalf("approvals: %v", list)
		}
		aid := approvals[0].(map[string]any)["id"].(string)
		check(dpo, "GET", "/api/v1/approvals", "/api/v1/approvals", "", 200)
		check(cw, "GET", "/api/v1/approvals", "/api/v1/approvals", "", 403)
		check(dpo, "POST", "/api/v1/approvals/{id}/approve", "/api/v1/approvals/"+aid+"/approve", "", 403)
		check(cw, "POST", "/api/v1/approvals/{id}/approve", "/api/v1/approvals/"+aid+"/approve", "", 404)
		a := check(mgr, "POST", "/api/v1/approvals/{id}/approve", "/api/v1/approvals/"+aid+"/approve", "", 200)
		if a["decision"] != "approved" {
			t.Errorf("approved: %v", a)
		}
		check(mgr, "POST", "/api/v1/approvals/{id}/refuse", "/api/v1/approvals/"+aid+"/refuse", "", 409)
		if u := check(admin, "GET", "/api/v1/users/{id}", "/api/v1/users/"+id, "", 200); u["case_access"] != "granted" {
			t.Errorf("after approval: %v", u)
		}
		// A role change waits again, and may be refused.
		check(admin, "PATCH", "/api/v1/users/{id}", "/api/v1/users/"+id, `{"role":"manager","team_id":"","version":4}`, 200)
		aid = e.approvalOf(id)
		check(mgr, "POST", "/api/v1/approvals/{id}/refuse", "/api/v1/approvals/"+aid+"/refuse", "", 200)

		evs := check(dpo, "GET", "/api/v1/account-events", "/api/v1/account-events", "", 200)
		events := evs["events"].([]any)
		var actions []string
		for _, ev := range events {
			actions = append(actions, ev.(map[string]any)["action"].(string))
		}
		if got := strings.Join(actions, " "); !strings.HasPrefix(got, "user.refuse user.role user.approve user.unlock user.reset user.create") {
			t.Errorf("account events: %s", got)
		}
		role := events[1].(map[string]any)["changes"].(map[string]any)["role"].(map[string]any)
		if role["old"] != "supervisor" || role["new"] != "manager" {
			t.Errorf("role change: %v", role)
		}
		check(mgr, "GET", "/api/v1/account-events", "/api/v1/account-events?before=1", "", 200)
		check(cw, "GET", "/api/v1/account-events", "/api/v1/account-events", "", 403)

		// Sessions: the API lists the browser's sessions; a token reads them too.
		b := e.as("caseworker")
		s := check(b, "GET", "/api/v1/sessions", "/api/v1/sessions", "", 200)
		// (The token was made in a session of its own, which is listed too.)
		var current string
		for _, x := range s["sessions"].([]any) {
			if x.(map[string]any)["current"] == true {
				current = x.(map[string]any)["id"].(string)
			}
		}
		if len(s["sessions"].([]any)) != 2 || current == "" {
			t.Fatalf("sessions: %v", s)
		}
		check(cw, "GET", "/api/v1/sessions", "/api/v1/sessions", "", 200)
		check(cw, "DELETE", "/api/v1/sessions/{id}", "/api/v1/sessions/"+current, "", 204)
		check(cw, "DELETE", "/api/v1/sessions/{id}", "/api/v1/sessions/nope", "", 404)
		if res := b.get("/caseload"); res.location() != "/login" {
			t.Errorf("the ended session works: %d", res.StatusCode)
		}

		// Tokens and the password.
		check(cw, "POST", "/api/v1/tokens", "/api/v1/tokens", `{"name":"x"}`, 403) // a token makes no token
		check(cw, "POST", "/api/v1/account/password", "/api/v1/account/password", `{"current_password":"wrong","new_password":"x","confirm_password":"y"}`, 422)
		check(cw, "POST", "/api/v1/account/password", "/api/v1/account/password",
			fmt.Sprintf(`{"current_password":%q,"new_password":%q,"confirm_password":%q}`, testPassword, strongPassword, strongPassword), 204)
		check(cw, "GET", "/api/v1/me", "/api/v1/me", "", 401)
	})
}
