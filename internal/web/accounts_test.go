package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// Tests of account administration that keeps separation of duties (issue
// 8, items 1, 2, 3 and 17). They test the effect: what an account can read
// afterwards, what the audit trail and the notifications hold.

// strongPassword passes the password policy, now and when it grows stricter.
const strongPassword = "tangerine-ocelot-47-umbrella"

// uaTransport sends every request with a User-Agent.
type uaTransport struct{ ua string }

func (t uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.ua)
	return http.DefaultTransport.RoundTrip(r)
}

// browser returns an anonymous client that says it is ua.
func (e *env) browser(ua string) *client {
	c := e.anon()
	c.hc.Transport = uaTransport{ua}
	return c
}

// signIn signs c in through the form and returns the answer.
func (c *client) signIn(username, password string) *response {
	c.e.t.Helper()
	return c.post("/login", url.Values{"username": {username}, "password": {password}})
}

// decode reads a JSON answer into v, failing the test on bad JSON.
func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("status %d, body %q: %v", r.StatusCode, r.Body, err)
	}
}

var setupCodeRE = regexp.MustCompile(`id="setup-code">([A-Z0-9-]+)<`)

// setupCode finds the setup code a page shows the administrator once.
func setupCode(t testing.TB, res *response) string {
	t.Helper()
	m := setupCodeRE.FindStringSubmatch(res.Body)
	if m == nil {
		t.Fatalf("no setup code on the page (status %d):\n%.2000s", res.StatusCode, res.Body)
	}
	return m[1]
}

// setup sets a password with a setup code through the public page.
func (e *env) setup(code, password string) *response {
	return e.anon().post("/setup", url.Values{"setup_code": {code}, "new_password": {password}, "confirm_password": {password}})
}

// approvalOf returns the ID of the approval that waits for user, as the manager lists it.
func (e *env) approvalOf(user string) string {
	e.t.Helper()
	var out struct {
		Approvals []struct {
			ID     string `json:"id"`
			UserID string `json:"user_id"`
		} `json:"approvals"`
	}
	res := e.session("manager").json("GET", "/api/v1/approvals", "")
	res.decode(e.t, &out)
	for _, a := range out.Approvals {
		if a.UserID == user {
			return a.ID
		}
	}
	e.t.Fatalf("no approval waits for %s: %s", user, res.Body)
	return ""
}

// userNamed returns the stored user called username.
func (e *env) userNamed(username string) *org.User {
	e.t.Helper()
	var u *org.User
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.UserByName(ctx, username)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// mustChangePassword makes user id change their password at the next
// request, as an administrator's reset or the shell's password does.
func (e *env) mustChangePassword(t testing.TB, id string) {
	t.Helper()
	ctx := context.Background()
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.User(ctx, id)
		if err != nil {
			return err
		}
		u.MustChangePassword = true
		return tx.UpdateUser(ctx, u)
	}); err != nil {
		t.Fatal(err)
	}
}

// assign makes user the caseworker of case id (the supervisor acts).
func (m *matrix) assign(id, user string) {
	m.tx(func(tx *store.Tx) error {
		c, err := tx.Case(m.ctx(), id)
		if err != nil {
			return err
		}
		_, err = cases.Assign(m.ctx(), tx, m.actor("supervisor"), id, c.Version, user, m.e.clock.now())
		return err
	})
}

// readsNoCase checks that c reads no case: not case id's page, nor its
// API record, nor a caseload or task list.
func readsNoCase(t *testing.T, who string, c *client, id string) {
	t.Helper()
	for _, path := range []string{"/cases/" + id, "/cases/" + id + "/family", "/caseload", "/tasks"} {
		res := c.get(path)
		if res.StatusCode == 200 || (res.StatusCode == 303 && res.location() != "/account") {
			t.Errorf("%s: GET %s answered %d (to %q)", who, path, res.StatusCode, res.location())
		}
		if strings.Contains(res.Body, "Matrix") {
			t.Errorf("%s: GET %s shows the child's name", who, path)
		}
	}
	for _, path := range []string{"/api/v1/cases/" + id, "/api/v1/cases", "/api/v1/tasks", "/api/v1/cases/" + id + "/family"} {
		res := c.json("GET", path, "")
		if res.StatusCode != 404 && res.StatusCode != 403 {
			t.Errorf("%s: GET %s answered %d: %.200s", who, path, res.StatusCode, res.Body)
		}
		if strings.Contains(res.Body, "Matrix") {
			t.Errorf("%s: GET %s shows the child's name", who, path)
		}
	}
}

// TestAdminCannotGiveHerselfCaseAccess: an agency administrator sends
// PATCH /api/v1/users/<her own id> with a case role, or her own team, and
// is refused; afterwards she still reads no case. A system administrator
// neither.
func TestAdminCannotGiveHerselfCaseAccess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		for _, key := range []string{"agency_admin", "system_admin"} {
			me := e.users[key]
			c := e.session(key)
			for _, body := range []string{
				`{"role":"manager","version":1}`,
				`{"role":"caseworker","team_id":"` + e.team + `","version":1}`,
				`{"team_id":"` + e.team + `","version":1}`,
				`{"agency_id":"` + e.agencyB + `","version":1}`,
			} {
				res := c.json("PATCH", "/api/v1/users/"+me.ID, body)
				if res.StatusCode != 422 {
					t.Errorf("%s PATCHes herself with %s: %d %s", key, body, res.StatusCode, res.Body)
				}
			}
			if u := e.userNamed(me.Username); u.Role != me.Role || u.TeamID != "" || u.AgencyID != me.AgencyID {
				t.Errorf("%s after the refusals: %s team %q agency %s", key, u.Role, u.TeamID, u.AgencyID)
			}
			readsNoCase(t, key, c, m.caseID)
			// Nor through the page.
			res := c.post("/admin/users/"+me.ID, url.Values{"version": {"1"}, "display_name": {me.DisplayName},
				"role": {"manager"}, "team_id": {""}})
			if res.StatusCode != 422 || !strings.Contains(res.Body, "Nobody changes their own role") {
				t.Errorf("%s posts her own role: %d", key, res.StatusCode)
			}
			readsNoCase(t, key, c, m.caseID)
		}
		// The agency administrator does not reach a system administrator's account.
		res := e.session("agency_admin").json("PATCH", "/api/v1/users/"+e.users["system_admin"].ID, `{"display_name":"X","version":1}`)
		if res.StatusCode != 403 {
			t.Errorf("agency admin edits the system administrator: %d", res.StatusCode)
		}
	})
}

// TestNewAccountSetupAndApproval: an administrator adds a caseworker and
// gets a setup code, not a password field; signing in before setup fails;
// after setup the person signs in but reads no case until a manager
// approves; then they read their cases. The code works once, within 24 hours.
func TestNewAccountSetupAndApproval(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		admin := e.session("agency_admin")
		if res := admin.get("/admin/users/new"); res.StatusCode != 200 || strings.Contains(res.Body, `type="password"`) {
			t.Errorf("the new-user form: %d, has a password field: %v", res.StatusCode, strings.Contains(res.Body, `type="password"`))
		}
		res := admin.post("/admin/users", url.Values{"username": {"nadia"}, "display_name": {"Nadia K"}, "role": {"caseworker"},
			"team_id": {e.team}, "password": {"chosen-by-the-admin-1"}})
		if res.StatusCode != 200 {
			t.Fatalf("add a caseworker: %d %.500s", res.StatusCode, res.Body)
		}
		code := setupCode(t, res)
		nadia := e.userNamed("nadia")
		if nadia.PasswordHash != "" {
			t.Error("the administrator's password was stored")
		}
		// Before setup, no password opens the account.
		for _, pw := range []string{"", "chosen-by-the-admin-1", code} {
			if res := e.anon().signIn("nadia", pw); res.StatusCode == http.StatusSeeOther {
				t.Errorf("signed in before setup with %q", pw)
			}
		}
		// A supervisor gives her a case meanwhile: she must not read it yet.
		m.assign(m.caseID, nadia.ID)
		if res := e.setup(code, strongPassword); res.StatusCode != http.StatusSeeOther || res.location() != "/login" {
			t.Fatalf("setup: %d %q %.300s", res.StatusCode, res.location(), res.Body)
		}
		if res := e.setup(code, "another-long-pass-phrase-9"); res.StatusCode != 422 || !strings.Contains(res.Body, "does not work") {
			t.Errorf("the code used twice: %d", res.StatusCode)
		}
		c := e.anon()
		res = c.signIn("nadia", strongPassword)
		if res.StatusCode != http.StatusSeeOther || res.location() != "/account" {
			t.Fatalf("sign in after setup: %d to %q", res.StatusCode, res.location())
		}
		if res := c.get("/account"); !strings.Contains(res.Body, "no access to cases") {
			t.Errorf("the account page does not say case access waits:\n%.2000s", res.Body)
		}
		readsNoCase(t, "nadia awaiting approval", c, m.caseID)
		// The DPO may not approve (the profile says a manager); the manager does.
		id := e.approvalOf(nadia.ID)
		if res := e.session("dp_officer").post("/accounts/approvals/"+id+"/approve", nil); res.StatusCode != 403 {
			t.Errorf("the DPO approves: %d", res.StatusCode)
		}
		if res := admin.post("/accounts/approvals/"+id+"/approve", nil); res.StatusCode != 404 {
			t.Errorf("the administrator approves her own addition: %d", res.StatusCode)
		}
		readsNoCase(t, "nadia after refused approvals", c, m.caseID)
		if res := e.session("manager").post("/accounts/approvals/"+id+"/approve", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the manager approves: %d %.300s", res.StatusCode, res.Body)
		}
		if res := c.get("/cases/" + m.caseID); res.StatusCode != 200 || !strings.Contains(res.Body, "Matrix") {
			t.Errorf("approved, nadia reads her case: %d", res.StatusCode)
		}
		if res := c.get("/caseload"); res.StatusCode != 200 {
			t.Errorf("approved, nadia's caseload: %d", res.StatusCode)
		}

		// A code more than 24 hours old does not work.
		res = admin.post("/admin/users", url.Values{"username": {"late.one"}, "display_name": {"Late"}, "role": {"im_officer"}})
		late := setupCode(t, res)
		e.clock.add(24*time.Hour + time.Minute)
		if res := e.setup(late, strongPassword); res.StatusCode != 422 {
			t.Errorf("a code a day old: %d", res.StatusCode)
		}
		if !e.userNamed("late.one").SetupPending() {
			t.Error("an expired code set the password")
		}
	})
}

// TestAdminResetGivesNoCaseAccess: an administrator resets a caseworker:
// the caseworker's sessions and tokens die; the administrator, using the
// code herself, reads none of the caseworker's cases; at the person's
// next sign-in the page says who reset the account and when.
func TestAdminResetGivesNoCaseAccess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		cw := e.users["caseworker"]
		browser := e.as("caseworker")
		api := e.apiClient("caseworker")
		if res := api.json("GET", "/api/v1/cases/"+m.caseID, ""); res.StatusCode != 200 {
			t.Fatalf("before: %d", res.StatusCode)
		}
		admin := e.apiClient("agency_admin")
		res := admin.json("POST", "/api/v1/users/"+cw.ID+"/reset", "")
		var out struct {
			CaseAccess string `json:"case_access"`
			Setup      struct {
				Code   string `json:"code"`
				Mailed bool   `json:"mailed"`
			} `json:"setup"`
		}
		res.decode(t, &out)
		if res.StatusCode != 200 || out.Setup.Code == "" || out.Setup.Mailed || out.CaseAccess != "pending" {
			t.Fatalf("reset: %d %s", res.StatusCode, res.Body)
		}
		if res := browser.get("/caseload"); res.StatusCode != http.StatusSeeOther || res.location() != "/login" {
			t.Errorf("the caseworker's session after the reset: %d to %q", res.StatusCode, res.location())
		}
		if res := api.json("GET", "/api/v1/me", ""); res.StatusCode != 401 {
			t.Errorf("the caseworker's token after the reset: %d", res.StatusCode)
		}
		if res := e.anon().signIn(cw.Username, testPassword); res.StatusCode == http.StatusSeeOther {
			t.Error("the old password still opens the account")
		}
		// The administrator uses the code herself.
		if res := e.setup(out.Setup.Code, strongPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("setup: %d", res.StatusCode)
		}
		impostor := e.anon()
		if res := impostor.signIn(cw.Username, strongPassword); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in with the code's password: %d", res.StatusCode)
		}
		readsNoCase(t, "the administrator as the caseworker", impostor, m.caseID)

		// Reset again; the caseworker sets the password and is told.
		res = e.session("agency_admin").post("/admin/users/"+cw.ID+"/reset", nil)
		code := setupCode(t, res)
		if res := impostor.get("/account"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("the impostor's session outlives the second reset: %d", res.StatusCode)
		}
		if res := e.setup(code, "my-own-secret-phrase-2026"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("setup: %d", res.StatusCode)
		}
		c := e.anon()
		if res := c.signIn(cw.Username, "my-own-secret-phrase-2026"); res.location() != "/account" {
			t.Fatalf("after the reset, sign-in goes to %q", res.location())
		}
		page := c.get("/account")
		want := e.users["agency_admin"].DisplayName + " reset your account on " + e.clock.now().Format("2 Jan 2006 15:04")
		if !strings.Contains(page.Body, want) {
			t.Errorf("the account page does not say %q:\n%.3000s", want, page.Body)
		}
		if strings.Contains(c.get("/account").Body, want) {
			t.Error("the notice shows twice")
		}
	})
}

// TestUnlockMakesCaseAccessWait: unlocking an account with a case role
// makes its case access wait for approval again.
func TestUnlockMakesCaseAccessWait(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		cw := e.users["caseworker"]
		for i := 0; i < 5; i++ {
			e.anon().signIn(cw.Username, "wrong password")
		}
		if res := e.anon().signIn(cw.Username, testPassword); res.StatusCode != 429 {
			t.Fatalf("not locked: %d", res.StatusCode)
		}
		if res := e.session("agency_admin").post("/admin/users/"+cw.ID+"/unlock", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("unlock: %d %.300s", res.StatusCode, res.Body)
		}
		c := e.anon()
		if res := c.signIn(cw.Username, testPassword); res.StatusCode != http.StatusSeeOther || res.location() != "/account" {
			t.Fatalf("after unlock: %d to %q", res.StatusCode, res.location())
		}
		if !strings.Contains(c.get("/account").Body, "unlocked your account") {
			t.Error("the person is not told who unlocked the account")
		}
		readsNoCase(t, "unlocked caseworker", c, m.caseID)
		e.session("manager").post("/accounts/approvals/"+e.approvalOf(cw.ID)+"/approve", nil)
		if res := c.get("/cases/" + m.caseID); res.StatusCode != 200 {
			t.Errorf("approved again: %d", res.StatusCode)
		}
	})
}

// TestDPOToldOfAccountEvents: the DPO is notified of a role change, an
// approval, a reset and an unlock; the audit detail has the old and new
// values; the account events page lists them for the DPO and a manager,
// not for a caseworker.
func TestDPOToldOfAccountEvents(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.apiClient("agency_admin")
		imo := e.users["im_officer"]
		if res := admin.json("PATCH", "/api/v1/users/"+imo.ID, `{"role":"manager","version":1}`); res.StatusCode != 200 {
			t.Fatalf("role change: %d %s", res.StatusCode, res.Body)
		}
		e.session("manager").post("/accounts/approvals/"+e.approvalOf(imo.ID)+"/approve", nil)
		admin.json("POST", "/api/v1/users/"+e.users["caseworker2"].ID+"/reset", "")
		admin.json("POST", "/api/v1/users/"+e.users["supervisor"].ID+"/unlock", "")

		dpo := e.session("dp_officer")
		notes := dpo.get("/notifications").Body
		for _, want := range []string{"role or team changed", "Case access was approved", "A staff account was reset", "A staff account was unlocked"} {
			if !strings.Contains(notes, want) {
				t.Errorf("the DPO's notifications lack %q", want)
			}
		}
		var audit struct {
			Events []struct {
				Action, Detail, RecordID string
			} `json:"events"`
		}
		e.apiClient("dp_officer").json("GET", "/api/v1/audit?action=user.role", "").decode(t, &audit)
		if len(audit.Events) != 1 || !strings.Contains(audit.Events[0].Detail, `"role":{"old":"im_officer","new":"manager"}`) {
			t.Errorf("the audit of the role change: %+v", audit.Events)
		}
		for _, key := range []string{"dp_officer", "manager"} {
			page := e.session(key).get("/accounts")
			if page.StatusCode != 200 {
				t.Fatalf("%s: /accounts %d", key, page.StatusCode)
			}
			for _, want := range []string{"Role or team changed", "Information management officer", "Manager", "Case access approved", "Account reset",
				"Account unlocked", imo.DisplayName, e.users["agency_admin"].DisplayName} {
				if !strings.Contains(page.Body, want) {
					t.Errorf("%s: the account events page lacks %q", key, want)
				}
			}
			// Most recent first: the unlock, then the reset, the approval and the role change.
			events := page.Body[strings.Index(page.Body, "<h2>Account events</h2>"):]
			order := []string{"Account unlocked", "Account reset", "Case access approved", "Role or team changed"}
			for i := 1; i < len(order); i++ {
				if strings.Index(events, order[i-1]) > strings.Index(events, order[i]) {
					t.Errorf("%s: %q listed after %q", key, order[i-1], order[i])
				}
			}
		}
		for _, key := range []string{"caseworker", "agency_admin", "system_admin", "other_agency"} {
			if res := e.session(key).get("/accounts"); res.StatusCode != 403 {
				t.Errorf("%s: /accounts %d", key, res.StatusCode)
			}
		}
		// Another agency's managers see none of it.
		var evs struct {
			Events []any `json:"events"`
		}
		other := e.addUser("manager_b", org.Manager, e.agencyB, "")
		_ = other
		e.session("manager_b").json("GET", "/api/v1/account-events", "").decode(t, &evs)
		if len(evs.Events) != 0 {
			t.Errorf("another agency's manager sees %d account events", len(evs.Events))
		}
	})
}

// TestMustChangePasswordEverywhere: while an account must change its
// password, every API route answers 403 with a message saying what to do,
// pages go to the account page; signing out and changing the password work.
func TestMustChangePasswordEverywhere(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		cw := e.users["caseworker"]
		gated := func(password string) *client {
			e.mustChangePassword(t, cw.ID)
			c := e.anon()
			if res := c.signIn(cw.Username, password); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in: %d", res.StatusCode)
			}
			return c
		}
		c := gated(testPassword)
		res := c.json("GET", "/api/v1/cases/"+m.caseID, "")
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		res.decode(t, &body)
		if res.StatusCode != 403 || body.Error.Code != "password_change_required" || !strings.Contains(body.Error.Message, "change your password") {
			t.Errorf("a case read: %d %s", res.StatusCode, res.Body)
		}
		if strings.Contains(res.Body, "Matrix") {
			t.Error("case content in the refusal")
		}
		if res := c.json("POST", "/api/v1/tokens", `{"name":"x","days":30}`); res.StatusCode != 403 {
			t.Errorf("token creation: %d %s", res.StatusCode, res.Body)
		}
		// Every API route but changing the password.
		for _, rt := range e.srv.routeTable() {
			if rt.auth != apiAuth || rt.path == "/api/v1/account/password" {
				continue
			}
			path := regexpBraces.ReplaceAllString(rt.path, m.caseID)
			res := c.json(rt.method, path, "{}")
			if res.StatusCode != 403 || !strings.Contains(res.Body, "password_change_required") {
				t.Errorf("%s %s while the password must change: %d %.200s", rt.method, rt.path, res.StatusCode, res.Body)
			}
		}
		for _, path := range []string{"/caseload", "/cases/" + m.caseID, "/notifications"} {
			if res := c.get(path); res.StatusCode != http.StatusSeeOther || res.location() != "/account" {
				t.Errorf("GET %s: %d to %q", path, res.StatusCode, res.location())
			}
		}
		if res := c.post("/account/tokens", url.Values{"name": {"x"}, "days": {"3"}}); res.location() != "/account" {
			t.Errorf("POST /account/tokens: %d to %q", res.StatusCode, res.location())
		}
		if res := c.get("/account"); res.StatusCode != 200 {
			t.Errorf("the account page: %d", res.StatusCode)
		}
		if res := c.post("/logout", nil); res.StatusCode != http.StatusSeeOther || res.location() != "/login" {
			t.Errorf("sign out: %d to %q", res.StatusCode, res.location())
		}
		// Changing the password opens the account again, by page…
		c = e.as("caseworker")
		res = c.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {strongPassword},
			"confirm_password": {strongPassword}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("change password: %d", res.StatusCode)
		}
		if res := c.get("/cases/" + m.caseID); res.StatusCode != 200 {
			t.Errorf("after the change: %d", res.StatusCode)
		}
		// …and by the API.
		c = gated(strongPassword)
		res = c.json("POST", "/api/v1/account/password", fmt.Sprintf(`{"current_password":%q,"new_password":"a-third-long-passphrase","confirm_password":"a-third-long-passphrase"}`, strongPassword))
		if res.StatusCode != 204 {
			t.Fatalf("API change password: %d %s", res.StatusCode, res.Body)
		}
		c = e.anon()
		c.signIn(cw.Username, "a-third-long-passphrase")
		if res := c.json("GET", "/api/v1/cases/"+m.caseID, ""); res.StatusCode != 200 {
			t.Errorf("after the API change: %d", res.StatusCode)
		}
	})
}

// TestTokensExpireAndDie: a token needs an expiry within the profile's
// maximum; a password change or reset, a role change and disabling each
// revoke every token of the user.
func TestTokensExpireAndDie(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.session("caseworker")
		for body, want := range map[string]string{
			`{"name":"x"}`:            "days",
			`{"name":"x","days":0}`:   "days",
			`{"name":"x","days":91}`:  "days",
			`{"name":"x","days":-1}`:  "days",
			`{"name":"","days":30}`:   "name",
			`{"name":"x","days":"7"}`: "days",
		} {
			res := c.json("POST", "/api/v1/tokens", body)
			if res.StatusCode != 422 || !strings.Contains(res.Body, `"field":"`+want+`"`) {
				t.Errorf("token %s: %d %s, want 422 naming %s", body, res.StatusCode, res.Body, want)
			}
		}
		res := c.post("/account/tokens", url.Values{"name": {"x"}, "days": {""}})
		if res.StatusCode != 422 || !strings.Contains(res.Body, "Every token expires") {
			t.Errorf("token form without days: %d", res.StatusCode)
		}
		var tok struct {
			ExpiresAt string `json:"expires_at"`
		}
		c.json("POST", "/api/v1/tokens", `{"name":"x","days":90}`).decode(t, &tok)
		if want := e.clock.now().Add(90 * 24 * time.Hour).UTC().Format(time.RFC3339); tok.ExpiresAt != want {
			t.Errorf("expires %s, want %s", tok.ExpiresAt, want)
		}

		admin := e.apiClient("agency_admin")
		alive := func(key string) bool {
			t.Helper()
			return e.apiClient(key).json("GET", "/api/v1/me", "").StatusCode == 200
		}
		for _, tt := range []struct {
			name, key string
			act       func(u *org.User) *response
		}{
			{"password change", "caseworker2", func(u *org.User) *response {
				return e.session("caseworker2").json("POST", "/api/v1/account/password",
					fmt.Sprintf(`{"current_password":%q,"new_password":%q,"confirm_password":%q}`, testPassword, strongPassword, strongPassword))
			}},
			{"reset", "service_provider", func(u *org.User) *response {
				return admin.json("POST", "/api/v1/users/"+u.ID+"/reset", "")
			}},
			{"role change", "im_officer", func(u *org.User) *response {
				return admin.json("PATCH", "/api/v1/users/"+u.ID, `{"role":"community_volunteer","version":1}`)
			}},
			{"disable", "community_volunteer", func(u *org.User) *response {
				return admin.json("PATCH", "/api/v1/users/"+u.ID, `{"disabled":true,"version":1}`)
			}},
		} {
			u := e.users[tt.key]
			first := e.apiClient(tt.key)
			if !alive(tt.key) {
				t.Fatalf("%s: a new token does not work", tt.name)
			}
			if res := tt.act(u); res.StatusCode >= 300 {
				t.Fatalf("%s: %d %s", tt.name, res.StatusCode, res.Body)
			}
			res := first.json("GET", "/api/v1/me", "")
			if res.StatusCode != 401 {
				t.Errorf("%s: the token answers %d", tt.name, res.StatusCode)
			}
		}
	})
}

// TestSessionsListedAndEnded: the account page lists the user's sessions
// (device, address, last seen, this device) and ends any; ending one signs
// that browser out; changing the password ends the others.
func TestSessionsListedAndEnded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.users["caseworker"]
		firefox := e.browser("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0")
		phone := e.browser("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")
		third := e.browser("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
		for _, b := range []*client{firefox, phone, third} {
			if res := b.signIn(cw.Username, testPassword); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in: %d", res.StatusCode)
			}
		}
		e.clock.add(2 * time.Minute)
		phone.get("/caseload") // seen later than the others
		page := firefox.get("/account").Body
		for _, want := range []string{"Firefox on Windows", "Chrome on Android", "Safari on iPhone", "(this device)", "127.0.0.1",
			e.clock.now().Format("2 Jan 2006 15:04")} {
			if !strings.Contains(page, want) {
				t.Errorf("the account page lacks %q", want)
			}
		}
		if strings.Count(page, "(this device)") != 1 {
			t.Error("more than one session marked this device")
		}
		// The API lists them too, with opaque IDs that are not the token hashes.
		var list struct {
			Sessions []struct {
				ID, Device, IP string
				Current        bool
			} `json:"sessions"`
		}
		res := phone.json("GET", "/api/v1/sessions", "")
		res.decode(t, &list)
		current := 0
		for _, s := range list.Sessions {
			if s.Current {
				current++
				if s.Device != "Chrome on Android" {
					t.Errorf("the current session is %s", s.Device)
				}
			}
		}
		if len(list.Sessions) != 3 || current != 1 || list.Sessions[2].Device != "Safari on iPhone" {
			t.Errorf("sessions (the iPhone, seen longest ago, last): %s", res.Body)
		}
		ctx := context.Background()
		e.db.Read(ctx, func(tx *store.Tx) error {
			ss, err := tx.UserSessions(ctx, cw.ID, time.Time{}, e.clock.now())
			for _, s := range ss {
				if strings.Contains(res.Body, s.ID) || strings.Contains(page, s.ID) {
					t.Errorf("the token hash of a session is exposed")
				}
			}
			return err
		})
		// End the iPhone's session from the Firefox page.
		var iphone string
		for _, s := range list.Sessions {
			if s.Device == "Safari on iPhone" {
				iphone = s.ID
			}
		}
		if res := firefox.post("/account/sessions/"+iphone+"/end", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("end a session: %d", res.StatusCode)
		}
		if res := third.get("/caseload"); res.location() != "/login" {
			t.Errorf("the ended session still works: %d %q", res.StatusCode, res.location())
		}
		var phoneID string
		for _, s := range list.Sessions {
			if s.Current {
				phoneID = s.ID
			}
		}
		if res := e.session("caseworker2").post("/account/sessions/"+phoneID+"/end", nil); res.StatusCode != 404 {
			t.Errorf("another user ends a session: %d", res.StatusCode)
		}
		if res := phone.get("/caseload"); res.StatusCode != 200 {
			t.Errorf("another user ended the session: %d", res.StatusCode)
		}
		// Changing the password on the Firefox ends the phone's session.
		res = firefox.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {strongPassword},
			"confirm_password": {strongPassword}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("change password: %d", res.StatusCode)
		}
		if res := phone.get("/caseload"); res.location() != "/login" {
			t.Errorf("the phone's session outlives the password change: %d", res.StatusCode)
		}
		if res := firefox.get("/caseload"); res.StatusCode != 200 {
			t.Errorf("the browser that changed the password was signed out: %d", res.StatusCode)
		}
		if res := firefox.json("DELETE", "/api/v1/sessions/"+phoneID, ""); res.StatusCode != 404 {
			t.Errorf("ending an ended session: %d", res.StatusCode)
		}
	})
}

// captureMailer keeps the setup mails instead of sending them (the SMTP
// side is tested in package mail), or fails when told to.
type captureMailer struct {
	to, links []string
	fail      bool
}

func (m *captureMailer) SendSetup(ctx context.Context, to, link string, now time.Time) error {
	if m.fail {
		return fmt.Errorf("smtp: 451 try later")
	}
	m.to, m.links = append(m.to, to), append(m.links, link)
	return nil
}

// TestSetupCodeByMail: with e-mail on, a person with an address gets the
// setup link by mail and the administrator never sees the code; without
// an address, the code is shown once; a mail that fails shows no code.
func TestSetupCodeByMail(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := &captureMailer{}
		e.srv.cfg.Mailer, e.srv.cfg.BaseURL = m, "https://safecase.example.org/"
		admin := e.session("agency_admin")
		res := admin.post("/admin/users", url.Values{"username": {"rima"}, "display_name": {"Rima"}, "role": {"im_officer"},
			"email": {"rima@example.org"}})
		if res.StatusCode != 200 || setupCodeRE.MatchString(res.Body) || !strings.Contains(res.Body, "sent to rima@example.org") {
			t.Fatalf("add with an address: %d\n%.2000s", res.StatusCode, res.Body)
		}
		if len(m.links) != 1 || m.to[0] != "rima@example.org" || !strings.HasPrefix(m.links[0], "https://safecase.example.org/setup?code=") {
			t.Fatalf("mails: %v %v", m.to, m.links)
		}
		// The link opens the setup page with the code filled in.
		link, _ := url.Parse(m.links[0])
		code := link.Query().Get("code")
		if page := e.anon().get("/setup?" + link.RawQuery); !strings.Contains(page.Body, `value="`+code+`"`) {
			t.Errorf("the setup page does not hold the code of the link")
		}
		if res := e.setup(code, strongPassword); res.StatusCode != http.StatusSeeOther {
			t.Errorf("setup with the mailed code: %d", res.StatusCode)
		}
		var audit struct {
			Events []struct{ Detail string } `json:"events"`
		}
		e.apiClient("dp_officer").json("GET", "/api/v1/audit?action=user.create", "").decode(t, &audit)
		if len(audit.Events) != 1 || !strings.Contains(audit.Events[0].Detail, `"setup":{"old":"","new":"mail"}`) || strings.Contains(audit.Events[0].Detail, code) {
			t.Errorf("audit of the creation: %+v", audit.Events)
		}
		// No address: the code is shown once.
		res = admin.post("/admin/users", url.Values{"username": {"omar"}, "display_name": {"Omar"}, "role": {"im_officer"}})
		setupCode(t, res)
		// The mail fails: no code is shown, the administrator is told.
		m.fail = true
		res = admin.post("/admin/users/"+e.userNamed("rima").ID+"/reset", nil)
		if setupCodeRE.MatchString(res.Body) || !strings.Contains(res.Body, "could not be sent") {
			t.Errorf("a failed mail: %d\n%.2000s", res.StatusCode, res.Body)
		}
		var out struct {
			Setup map[string]any `json:"setup"`
		}
		e.apiClient("agency_admin").json("POST", "/api/v1/users/"+e.userNamed("rima").ID+"/reset", "").decode(t, &out)
		if out.Setup["mail_failed"] != true || out.Setup["code"] != nil {
			t.Errorf("API reset with a failed mail: %v", out.Setup)
		}
	})
}

// TestSetupThrottled: wrong setup codes from one address are slowed down
// like failed sign-ins, even for a right code, until the wait is over; a
// code not shaped like one is refused without counting.
func TestSetupThrottled(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		res := e.session("agency_admin").post("/admin/users", url.Values{"username": {"zed"}, "display_name": {"Zed"}, "role": {"im_officer"}})
		code := setupCode(t, res)
		for i := 0; i < 20; i++ {
			if res := e.setup("not a code", strongPassword); res.StatusCode != 422 {
				t.Fatalf("malformed code %d: %d", i, res.StatusCode)
			}
		}
		slowed := false
		for i := 0; i < 10 && !slowed; i++ {
			res := e.setup("ABCD-EFGH-JKMN-PQRS-TVWX-YZ2"+string("3456789ABCDEFGHJKMNPQRSTVWXYZ"[i%29]), strongPassword)
			switch res.StatusCode {
			case 422:
			case 429:
				slowed = i > 0
				if res.Header.Get("Retry-After") == "" && !strings.Contains(res.Body, "Too many wrong setup codes") {
					t.Errorf("slowed down without saying so: %.1000s", res.Body)
				}
			default:
				t.Fatalf("wrong code %d: %d", i, res.StatusCode)
			}
		}
		if !slowed {
			t.Fatal("ten wrong setup codes from one address were never slowed down")
		}
		if res := e.setup(code, strongPassword); res.StatusCode != 429 || !strings.Contains(res.Body, "Too many wrong setup codes") {
			t.Errorf("the right code from a slowed address: %d", res.StatusCode)
		}
		if !e.userNamed("zed").SetupPending() {
			t.Error("a slowed address set a password")
		}
		e.clock.add(16 * time.Minute)
		if res := e.setup(code, strongPassword); res.StatusCode != http.StatusSeeOther {
			t.Errorf("after the wait: %d", res.StatusCode)
		}
	})
}

// openWhilePending are the GET routes a user whose case access awaits
// approval still reads: their own account, notifications, the directory,
// the profile, the identification form and what names no case.
var openWhilePending = map[string]bool{
	"GET /{$}": true, "GET /account": true, "GET /consent-register": true, // the lookup form: any code answers "unknown"
	"GET /identify": true, "GET /notifications": true,
	"GET /directory": true, "GET /directory/{id}": true, "GET /directory/{sid}": true, "GET /api/v1/directory/{sid}": true, "GET /directory/grid": true, "GET /directory/export.csv": true,
	"GET /api/v1/me": true, "GET /api/v1/profile": true, "GET /api/v1/agencies": true, "GET /api/v1/tokens": true,
	"GET /api/v1/sessions": true, "GET /api/v1/notifications": true, "GET /api/v1/directory": true,
	"GET /api/v1/directory/{id}": true, "GET /api/v1/directory/export.csv": true,
	// One's own second factor is open too, like the rest of one's own
	// account.
	"GET /account/second-factor":        true,
	"GET /api/v1/account/second-factor": true,
}

// TestPendingReadsNothing sends every GET route of the server, with the
// path values the route x role matrix uses, as a caseworker, a supervisor,
// a manager and a service provider whose case access awaits approval:
// none reads anything but what openWhilePending names.
func TestPendingReadsNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		m := newMatrix(t, e)
		exps := routeExpectations()
		ctx := context.Background()
		for _, role := range []string{"caseworker", "supervisor", "manager", "service_provider"} {
			// Path values made while the role is approved (fixtures are made by the approved roles).
			vals := map[string]map[string]string{}
			for _, rt := range e.srv.routeTable() {
				key := rt.method + " " + rt.path
				if rt.method != "GET" || rt.auth == public {
					continue
				}
				vals[key] = m.values(role)
				if x := exps[key]; x.fresh != nil {
					vals[key] = x.fresh(m, role)
				}
			}
			if err := e.db.Tx(ctx, func(tx *store.Tx) error {
				u, err := tx.User(ctx, e.users[role].ID)
				if err != nil {
					return err
				}
				u.CaseAccessPending = true
				return tx.UpdateUser(ctx, u)
			}); err != nil {
				t.Fatal(err)
			}
			c := e.session(role)
			for _, rt := range e.srv.routeTable() {
				key := rt.method + " " + rt.path
				if rt.method != "GET" || rt.auth == public {
					continue
				}
				path := strings.TrimSuffix(rt.path, "{$}")
				for k, v := range vals[key] {
					path = strings.ReplaceAll(path, "{"+k+"}", v)
				}
				path = regexpBraces.ReplaceAllString(path, "none")
				var res *response
				if strings.HasPrefix(rt.path, "/api/") {
					res = c.json("GET", path, "")
				} else {
					res = c.get(path)
				}
				okay := res.StatusCode == 200 || (res.StatusCode == http.StatusSeeOther && res.location() == "/account")
				if okay && !openWhilePending[key] {
					t.Errorf("%s awaiting approval: %s answered %d", role, key, res.StatusCode)
				}
				if strings.Contains(res.Body, "Matrix") {
					t.Errorf("%s awaiting approval: %s shows the child's name", role, key)
				}
			}
		}
	})
}

// TestAgencyAdminSeesNoSystemAdminForm: the edit page of a system
// administrator is not offered to an agency administrator.
func TestAgencyAdminSeesNoSystemAdminForm(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		if res := e.session("agency_admin").get("/admin/users/" + e.users["system_admin"].ID); res.StatusCode != 404 {
			t.Errorf("agency admin opens the system administrator's form: %d", res.StatusCode)
		}
		if res := e.session("agency_admin").post("/admin/users/"+e.users["system_admin"].ID+"/reset", nil); res.StatusCode != 403 {
			t.Errorf("agency admin resets the system administrator: %d", res.StatusCode)
		}
		if res := e.session("system_admin").get("/admin/users/" + e.users["agency_admin"].ID); res.StatusCode != 200 {
			t.Errorf("the system administrator opens an agency administrator's form: %d", res.StatusCode)
		}
	})
}
