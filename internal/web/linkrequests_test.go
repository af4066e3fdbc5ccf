package web

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/org"
)

// TestLinkRequestsAnswered drives requests to link a case of another
// agency through the API, every answer checked against the OpenAPI
// document: the other case's caseworker sees who asks, from which agency
// and about which type of case; its manager may not answer, nor may the
// requester; a stale version is refused; a decline leaves nothing on the
// other side, and the requester sees the request wait until they withdraw
// it (as one to a code no case has); an acceptance links the cases, each side then seeing the
// other's code, type, caseworker and agency; the requester withdraws a
// request to a code no case has, from the API and from the links page.
func TestLinkRequestsAnswered(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		e.addUser("manager_b", org.Manager, e.agencyB, "")
		cw, other, mgrB := e.apiClient("caseworker"), e.apiClient("other_agency"), e.apiClient("manager_b")
		child := e.incidentCase(t, "caseworker", "cp")
		mother := e.incidentCase(t, "other_agency", "gbv")
		call := func(c *client, method, route, path, body string, want int) map[string]any {
			t.Helper()
			res := c.json(method, path, body)
			if res.StatusCode != want {
				t.Fatalf("%s %s: %d, want %d: %s", method, path, res.StatusCode, want, res.Body)
			}
			doc.checkResponse(t, method, route, res)
			var m map[string]any
			mustJSON(t, res.Body, &m)
			return m
		}
		const links, answer = "/api/v1/cases/{id}/links", "/api/v1/cases/{id}/link-requests/{rid}/"
		childLinks, motherLinks := "/api/v1/cases/"+child.ID+"/links", "/api/v1/cases/"+mother.ID+"/links"
		items := func(m map[string]any, key string) []map[string]any {
			var out []map[string]any
			for _, x := range m[key].([]any) {
				out = append(out, x.(map[string]any))
			}
			return out
		}
		ask := func() string {
			t.Helper()
			m := call(cw, "POST", links, childLinks, `{"case_code":"`+mother.Code+`","relation":"parent_child"}`, 201)
			if sent := items(m, "requests_sent"); len(sent) != 1 || sent[0]["code"] != mother.Code || len(items(m, "links")) != 0 {
				t.Fatalf("after asking: %v", m)
			}
			in := items(call(other, "GET", links, motherLinks, "", 200), "requests_received")
			if len(in) != 1 || in[0]["agency"] != "Hope for Children" || in[0]["type"] != "cp" ||
				in[0]["requester"] != e.users["caseworker"].DisplayName || in[0]["relation"] != "parent_child" {
				t.Fatalf("the other side's view: %v", in)
			}
			return in[0]["id"].(string)
		}
		path := func(caseID, rid, verb string) string {
			return fmt.Sprintf("/api/v1/cases/%s/link-requests/%s/%s", caseID, rid, verb)
		}

		rid := ask()
		call(mgrB, "POST", answer+"accept", path(mother.ID, rid, "accept"), `{"version":1}`, 403)
		call(cw, "POST", answer+"accept", path(mother.ID, rid, "accept"), `{"version":1}`, 404)
		call(cw, "POST", answer+"accept", path(child.ID, rid, "accept"), `{"version":1}`, 404)
		call(other, "POST", answer+"accept", path(mother.ID, rid, "accept"), `{"version":2}`, 409)
		call(other, "POST", answer+"accept", path(mother.ID, rid, "accept"), `{}`, 422)
		call(other, "POST", answer+"accept", path(mother.ID, "not-an-id", "accept"), `{"version":1}`, 404)
		m := call(other, "POST", answer+"decline", path(mother.ID, rid, "decline"), `{"version":1}`, 200)
		if len(items(m, "requests_received")) != 0 || len(items(m, "links")) != 0 {
			t.Errorf("after the decline, the other side: %v", m)
		}
		// The requester sees the declined request wait, as a request to a
		// code no case has would wait, until they withdraw it.
		m = call(cw, "GET", links, childLinks, "", 200)
		if sent := items(m, "requests_sent"); len(sent) != 1 || sent[0]["code"] != mother.Code || sent[0]["version"] != 1.0 ||
			len(items(m, "links")) != 0 {
			t.Errorf("after the decline, the requester: %v", m)
		}
		call(other, "POST", answer+"decline", path(mother.ID, rid, "decline"), `{"version":2}`, 422)
		call(cw, "POST", answer+"withdraw", path(child.ID, rid, "withdraw"), `{"version":1}`, 200)

		rid = ask()
		m = call(other, "POST", answer+"accept", path(mother.ID, rid, "accept"), `{"version":1}`, 200)
		if l := items(m, "links"); len(l) != 1 || l[0]["code"] != child.Code || l[0]["agency"] != "Hope for Children" {
			t.Errorf("the other side's links after the acceptance: %v", m)
		}
		m = call(cw, "GET", links, childLinks, "", 200)
		if l := items(m, "links"); len(l) != 1 || l[0]["code"] != mother.Code || l[0]["agency"] != "Other Agency" ||
			l[0]["type"] != "gbv" || l[0]["caseworker"] != e.users["other_agency"].DisplayName || l[0]["case_id"] != nil {
			t.Errorf("the requester's links after the acceptance: %v", m)
		}

		// Withdrawn: through the API, then through the page.
		m = call(cw, "POST", links, childLinks, `{"case_code":"C-QQ7QQ7","relation":"siblings"}`, 201)
		sent := items(m, "requests_sent")
		call(other, "POST", answer+"withdraw", path(mother.ID, sent[0]["id"].(string), "withdraw"), `{"version":1}`, 404)
		m = call(cw, "POST", answer+"withdraw", path(child.ID, sent[0]["id"].(string), "withdraw"), `{"version":1}`, 200)
		if len(items(m, "requests_sent")) != 0 {
			t.Errorf("after the withdrawal: %v", m)
		}
		page := e.session("caseworker")
		base := "/cases/" + child.ID + "/links"
		if res := page.post(base, url.Values{"case_code": {"C-QQ7QQ7"}, "relation": {"siblings"}}); res.StatusCode != 303 {
			t.Fatalf("asking again: %d", res.StatusCode)
		}
		body := page.get(base).Body
		form := regexp.MustCompile(`action="(/cases/` + child.ID + `/link-requests/[^/"]+/withdraw)"`).FindStringSubmatch(body)
		if form == nil || !strings.Contains(body, "C-QQ7QQ7") {
			t.Fatalf("no waiting request on the links page:\n%s", mainOf(body))
		}
		if res := page.post(form[1], url.Values{"version": {"2"}}); res.StatusCode != 409 || !strings.Contains(res.Body, `id="f-request"`) {
			t.Errorf("a stale withdrawal: %d", res.StatusCode)
		}
		if res := page.post(form[1], url.Values{"version": {"1"}}); res.StatusCode != 303 || res.location() != base {
			t.Fatalf("withdraw: %d %s", res.StatusCode, res.Body)
		}
		if body := page.get(base + "?done=withdrawn").Body; strings.Contains(body, "C-QQ7QQ7") || !strings.Contains(body, "Request withdrawn") {
			t.Errorf("after withdrawing on the page:\n%s", mainOf(body))
		}
	})
}
