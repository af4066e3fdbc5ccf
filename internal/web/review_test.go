package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// Tests of the holes the review of issue 8 found: each attacks a fix of
// the issue as an insider or an outsider would and checks the effect.

// withProfile makes e's server run under a copy of its profile changed by
// change (a deployment's own profile file).
func (e *env) withProfile(change func(p *profile.Profile)) {
	p := *e.srv.prof
	change(&p)
	e.srv.prof = &p
}

// TestAdministratorMakesNoApproverHTTP: under role_approval_by: dp_officer,
// an agency administrator adds a data protection officer (she is shown its
// setup code) and a caseworker, sets both passwords herself and, as the
// officer, approves the caseworker: she would read the agency's cases
// alone. The new officer's role waits for another officer's approval
// instead: it approves nothing, and the caseworker reads no case.
func TestAdministratorMakesNoApproverHTTP(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		e.withProfile(func(p *profile.Profile) { p.RoleApprovalBy = profile.ApprovalByDPO })
		admin := e.session("agency_admin")
		var dpo, cw struct {
			ID         string `json:"id"`
			CaseAccess string `json:"case_access"`
			Setup      struct {
				Code string `json:"code"`
			} `json:"setup"`
		}
		res := admin.json("POST", "/api/v1/users", `{"username":"sock.officer","display_name":"Sock Officer","role":"dp_officer"}`)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("add an officer: %d %s", res.StatusCode, res.Body)
		}
		res.decode(t, &dpo)
		if dpo.CaseAccess != "pending" {
			t.Errorf("the new officer's access: %q, want pending", dpo.CaseAccess)
		}
		// The page that shows the code says the officer's role waits.
		page := admin.post("/admin/users", url.Values{"username": {"page.officer"}, "display_name": {"Page Officer"},
			"role": {"dp_officer"}})
		if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "takes effect only once a second person approves it") {
			t.Errorf("the setup page of a new officer: %d\n%s", page.StatusCode, mainOf(page.Body))
		}
		res = admin.json("POST", "/api/v1/users", `{"username":"sock.worker","display_name":"Sock Worker","role":"caseworker","team_id":"`+e.team+`"}`)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("add a caseworker: %d %s", res.StatusCode, res.Body)
		}
		res.decode(t, &cw)
		m.assign(m.caseID, cw.ID)
		for _, code := range []string{dpo.Setup.Code, cw.Setup.Code} {
			if res := e.setup(code, strongPassword); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("setup: %d %.300s", res.StatusCode, res.Body)
			}
		}
		officer := e.anon()
		if res := officer.signIn("sock.officer", strongPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the sock officer signs in: %d", res.StatusCode)
		}
		approval := ""
		var list struct {
			Approvals []struct {
				ID     string `json:"id"`
				UserID string `json:"user_id"`
			} `json:"approvals"`
		}
		e.session("dp_officer").json("GET", "/api/v1/approvals", "").decode(t, &list)
		for _, a := range list.Approvals {
			if a.UserID == cw.ID {
				approval = a.ID
			}
		}
		if approval == "" {
			t.Fatalf("no approval waits for the caseworker: %+v", list)
		}
		if res := officer.json("POST", "/api/v1/approvals/"+approval+"/approve", ""); res.StatusCode < 400 {
			t.Errorf("the administrator's officer approves over the API: %d %s", res.StatusCode, res.Body)
		}
		if res := officer.post("/accounts/approvals/"+approval+"/approve", nil); res.StatusCode < 400 {
			t.Errorf("the administrator's officer approves on the page: %d", res.StatusCode)
		}
		if res := officer.json("GET", "/api/v1/audit", ""); res.StatusCode != http.StatusForbidden {
			t.Errorf("the waiting officer reads the audit trail: %d", res.StatusCode)
		}
		worker := e.anon()
		if res := worker.signIn("sock.worker", strongPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the sock caseworker signs in: %d", res.StatusCode)
		}
		readsNoCase(t, "the administrator's caseworker", worker, m.caseID)
		if u := e.userNamed("sock.worker"); !u.CaseAccessPending {
			t.Error("the sock caseworker's case access was approved")
		}
		// The officer in office approves the new officer; the account
		// events say so.
		dpoApproval := ""
		e.session("dp_officer").json("GET", "/api/v1/approvals", "").decode(t, &list)
		for _, a := range list.Approvals {
			if a.UserID == dpo.ID {
				dpoApproval = a.ID
			}
		}
		if res := e.session("dp_officer").json("POST", "/api/v1/approvals/"+dpoApproval+"/approve", ""); res.StatusCode != http.StatusOK {
			t.Fatalf("the officer in office approves the new one: %d %s", res.StatusCode, res.Body)
		}
		if res := officer.json("GET", "/api/v1/audit", ""); res.StatusCode != http.StatusOK {
			t.Errorf("the approved officer reads the audit trail: %d", res.StatusCode)
		}
		res = e.session("dp_officer").json("GET", "/api/v1/account-events", "")
		if !strings.Contains(res.Body, `"action":"user.approve"`) || !strings.Contains(res.Body, dpo.ID) {
			t.Errorf("account events lack the officer's approval: %.500s", res.Body)
		}
	})
}

// eventsSince counts the audit events after seq.
func (e *env) eventsSince(t *testing.T, seq int64) int {
	t.Helper()
	n := 0
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) error {
		evs, err := tx.AuditEvents(ctx, store.AuditFilter{Limit: 50})
		for _, ev := range evs {
			if ev.Seq > seq {
				n++
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRegisterLookupTellsNoCodesApart: the consent-register lookup
// answered a code of a case the reader may not see (another agency's, or
// an open one) after writing its denial to the audit trail and waiting
// for the disk, and an unknown code at once: on the demo the first took
// about a millisecond longer, so any signed-in user could tell which codes
// exist in the whole deployment by timing. Every lookup that finds nothing
// the reader may see now writes one audit event before it answers, and
// the answers are the same.
func TestRegisterLookupTellsNoCodesApart(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		mine := fixture.Register(t, e.db, fixture.Actor(e.users["caseworker"]), fixture.Registration("cp"), e.clock.now())
		theirs := fixture.Register(t, e.db, fixture.Actor(e.users["other_agency"]), fixture.Registration("cp"), e.clock.now())
		for _, key := range []string{"dp_officer", "other_agency", "community_volunteer", "agency_admin"} {
			c := e.session(key)
			var bodies []string
			for _, code := range []string{"C-ZZZZZZ", mine.Code, theirs.Code} {
				if key == "other_agency" && code == theirs.Code {
					continue // its own case: the reader may see its register
				}
				seq := e.lastSeq(t)
				res := c.get("/consent-register?code=" + url.QueryEscape(code))
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Errorf("%s looks up %s: %d", key, code, res.StatusCode)
				}
				if n := e.eventsSince(t, seq); n != 1 {
					t.Errorf("%s looks up %s: %d audit events written before the answer, want 1 whatever the code", key, code, n)
				}
				bodies = append(bodies, strings.ReplaceAll(mainOf(res.Body), code, "CODE"))
			}
			for _, b := range bodies[1:] {
				if b != bodies[0] {
					t.Errorf("%s: the lookup answers differ:\n%s\n---\n%s", key, bodies[0], b)
				}
			}
		}
	})
}

// TestDeclinedLinkRequestTellsNothing: a caseworker asks to link her case
// to a code of another agency's case and to a code no case has. When the
// other agency declines, the request vanished from her links page while
// the one to the unknown code waited on, and she could ask for the
// declined code again but not for the unknown one: the decline told her
// the code exists. Both now wait alike, at the same version, until she
// withdraws them, and asking again answers alike.
func TestDeclinedLinkRequestTellsNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw, other := e.apiClient("caseworker"), e.apiClient("other_agency")
		child := e.incidentCase(t, "caseworker", "cp")
		mother := e.incidentCase(t, "other_agency", "gbv")
		const unknown = "C-QQ7QQ7"
		base := "/api/v1/cases/" + child.ID + "/links"
		for _, code := range []string{mother.Code, unknown} {
			if res := cw.json("POST", base, `{"case_code":"`+code+`","relation":"parent_child"}`); res.StatusCode != 201 {
				t.Fatalf("ask for %s: %d %s", code, res.StatusCode, res.Body)
			}
		}
		var in struct {
			Received []struct {
				ID string `json:"id"`
			} `json:"requests_received"`
		}
		other.json("GET", "/api/v1/cases/"+mother.ID+"/links", "").decode(t, &in)
		if len(in.Received) != 1 {
			t.Fatalf("the other side: %+v", in)
		}
		if res := other.json("POST", "/api/v1/cases/"+mother.ID+"/link-requests/"+in.Received[0].ID+"/decline", `{"version":1}`); res.StatusCode != 200 {
			t.Fatalf("decline: %d %s", res.StatusCode, res.Body)
		}
		type sent struct {
			ID       string `json:"id"`
			Code     string `json:"code"`
			Relation string `json:"relation"`
			Version  int    `json:"version"`
		}
		var out struct {
			Sent []sent `json:"requests_sent"`
		}
		cw.json("GET", base, "").decode(t, &out)
		if len(out.Sent) != 2 {
			t.Fatalf("the requester sees %d waiting requests after the decline, want 2 alike: %+v", len(out.Sent), out.Sent)
		}
		if a, b := out.Sent[0], out.Sent[1]; a.Version != b.Version || a.Relation != b.Relation {
			t.Errorf("the declined and the unknown request differ: %+v %+v", a, b)
		}
		page := e.session("caseworker")
		body := strings.ReplaceAll(strings.ReplaceAll(mainOf(page.get("/cases/"+child.ID+"/links").Body), mother.Code, "CODE"), unknown, "CODE")
		for _, x := range out.Sent {
			body = strings.ReplaceAll(body, x.ID, "ID")
		}
		if strings.Count(body, `/withdraw"`) != 2 {
			t.Errorf("the links page does not offer both requests alike:\n%s", body)
		}
		// Asking again for either code answers the same.
		var again []string
		for _, code := range []string{mother.Code, unknown} {
			res := cw.json("POST", base, `{"case_code":"`+code+`","relation":"parent_child"}`)
			again = append(again, fmt.Sprint(res.StatusCode, " ", strings.ReplaceAll(res.Body, code, "CODE")))
		}
		if again[0] != again[1] {
			t.Errorf("asking again tells the codes apart:\n%s\n%s", again[0], again[1])
		}
		// Both withdraw alike at the version shown.
		for _, x := range out.Sent {
			res := cw.json("POST", "/api/v1/cases/"+child.ID+"/link-requests/"+x.ID+"/withdraw", fmt.Sprintf(`{"version":%d}`, x.Version))
			if res.StatusCode != 200 {
				t.Errorf("withdraw the request for %s: %d %s", x.Code, res.StatusCode, res.Body)
			}
		}
		cw.json("GET", base, "").decode(t, &out)
		if len(out.Sent) != 0 {
			t.Errorf("after withdrawing: %+v", out.Sent)
		}
	})
}

// TestAPIConflictReadAudited: a stale write through the API answers 409
// with the record as it is now — the case with the child's name and
// contact, a family member, a consent record — and wrote no audit event:
// whoever may edit a case could read it unrecorded by sending an old
// version. The page's conflict was audited; the API's now is too.
func TestAPIConflictReadAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.apiClient("caseworker")
		c := e.incidentCase(t, "caseworker", "cp")
		base := "/api/v1/cases/" + c.ID
		var p struct {
			ID string `json:"id"`
		}
		res := cw.json("POST", base+"/family", `{"relationship":"aunt_uncle","name":"Auntie Secretname","is_caregiver":true}`)
		if res.StatusCode != 201 {
			t.Fatalf("add a person: %d %s", res.StatusCode, res.Body)
		}
		res.decode(t, &p)
		res = cw.json("POST", base+"/consents", `{"scope":"share_services","giver":"caregiver","kind":"consent","decision":"given","method":"written","notes":"Notes only the file holds"}`)
		if res.StatusCode != 201 {
			t.Fatalf("add a consent: %d %s", res.StatusCode, res.Body)
		}
		var st struct {
			Records []struct {
				ID string `json:"id"`
			} `json:"records"`
		}
		cw.json("GET", base+"/consent", "").decode(t, &st)
		if len(st.Records) == 0 {
			t.Fatal("no consent record")
		}
		for _, tt := range []struct {
			name, method, path, body, secret string
		}{
			{"registration", "PUT", base + "/registration", `{"version":99,"type":"cp","given_name":"X","age":9,"sex":"female","location":"L","contact":"c","care_status":"accompanied","concerns":["neglect"]}`, "Secret"},
			{"family member", "PUT", base + "/family/" + p.ID, `{"relationship":"aunt_uncle","name":"Auntie","version":99}`, "Secretname"},
			{"consent", "POST", base + "/consents/" + st.Records[0].ID + "/withdraw", `{"reason":"changed her mind","version":99}`, "Notes only the file holds"},
		} {
			seq := e.lastSeq(t)
			res := cw.json(tt.method, tt.path, tt.body)
			if res.StatusCode != http.StatusConflict {
				t.Errorf("%s: stale write answered %d: %s", tt.name, res.StatusCode, res.Body)
				continue
			}
			if !strings.Contains(res.Body, tt.secret) {
				continue // nothing of the file shown: nothing to audit
			}
			if len(e.readsSince(t, seq, c.ID, e.users["caseworker"].ID)) == 0 {
				t.Errorf("%s: the 409 answer shows the record (%q) and no audit event names the case", tt.name, tt.secret)
			}
		}
	})
}

// TestAPIFieldLabelsFromCatalog: an API error named its field by a
// catalog key that does not exist — "[field.q]: This text holds an
// invisible NUL character…" for a query parameter, "[field.answers.is_child]"
// for an answer of a screening — showing a missing key to the client.
// The API names such a field as the pages do: by its catalog label when
// there is one, else as the client wrote it.
func TestAPIFieldLabelsFromCatalog(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.apiClient("caseworker")
		for _, tt := range []struct{ method, path, body string }{
			{"GET", "/api/v1/cases?q=%00", ""},
			{"GET", "/api/v1/tasks?zz%FF=1", ""},
			{"POST", "/api/v1/screenings", `{"case_type":"cp","answers":{"is_child":"maybe"}}`},
			{"POST", "/api/v1/tokens", `{"name":"x\u0000y","days":1}`},
		} {
			res := cw.json(tt.method, tt.path, tt.body)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s %s: %d %s", tt.method, tt.path, res.StatusCode, res.Body)
			}
			if strings.Contains(res.Body, "[field.") || strings.Contains(res.Body, "[err.") {
				t.Errorf("%s %s shows a missing catalog key: %s", tt.method, tt.path, res.Body)
			}
		}
	})
}

// TestAdministratorMakesNoOfficerHTTP: under the default profile
// (role_approval_by: manager) an agency administrator adds a data
// protection officer, sets its password with the code she was shown and
// reads, as that officer, the agency's audit trail — who read which case,
// the reasons staff gave for break-glass accesses — its account events and
// its break-glass log. The officer's role now waits for a manager's
// approval: until then none of it opens.
func TestAdministratorMakesNoOfficerHTTP(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.session("agency_admin")
		var dpo struct {
			ID    string `json:"id"`
			Setup struct {
				Code string `json:"code"`
			} `json:"setup"`
		}
		res := admin.json("POST", "/api/v1/users", `{"username":"sock.officer","display_name":"Sock Officer","role":"dp_officer"}`)
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("add an officer: %d %s", res.StatusCode, res.Body)
		}
		res.decode(t, &dpo)
		if res := e.setup(dpo.Setup.Code, strongPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("setup: %d", res.StatusCode)
		}
		officer := e.anon()
		if res := officer.signIn("sock.officer", strongPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d", res.StatusCode)
		}
		for _, path := range []string{"/api/v1/audit", "/api/v1/account-events", "/api/v1/approvals"} {
			if res := officer.json("GET", path, ""); res.StatusCode != http.StatusForbidden {
				t.Errorf("the administrator's officer reads %s: %d", path, res.StatusCode)
			}
		}
		for _, path := range []string{"/audit", "/accounts", "/break-glass/log"} {
			if res := officer.get(path); res.StatusCode != http.StatusForbidden {
				t.Errorf("the administrator's officer opens %s: %d", path, res.StatusCode)
			}
		}
		if res := e.session("manager").post("/accounts/approvals/"+e.approvalOf(dpo.ID)+"/approve", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the manager approves the officer: %d", res.StatusCode)
		}
		if res := officer.json("GET", "/api/v1/audit", ""); res.StatusCode != http.StatusOK {
			t.Errorf("the approved officer reads the audit trail: %d", res.StatusCode)
		}
	})
}
