package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// readUser reads the user with key from the database.
func readUser(t *testing.T, e *env, key string) *org.User {
	t.Helper()
	ctx := t.Context()
	var u *org.User
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.User(ctx, e.users[key].ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestChangePasswordShowsWhy: the account page refuses a weak new password
// with the reason, in plain words, beside the field, and keeps the old
// password; a strong one is taken.
func TestChangePasswordShowsWhy(t *testing.T) {
	l := i18n.MustLoad().Locale("en")
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as("caseworker")
		for _, tt := range []struct{ password, why string }{
			{"short pass", l.T("err.password_short", 12)},
			{"password1234", l.T("err.password_common")},
			{"aaaaaaaaaaaaaaaa", l.T("err.password_repeat")},
			{"abcdefghijklmn", l.T("err.password_sequence")},
			{"januaryfebruary", l.T("err.password_word")},
			{"caseworker2024!", l.T("err.password_personal")},   // the username
			{"User Caseworker 1", l.T("err.password_personal")}, // the name
		} {
			res := c.post("/account/password", url.Values{"current_password": {testPassword},
				"new_password": {tt.password}, "confirm_password": {tt.password}})
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("new password %q: %d, want 422", tt.password, res.StatusCode)
				continue
			}
			if want := `<span class="field-error">` + html.EscapeString(tt.why) + `</span>`; !strings.Contains(res.Body, want) {
				t.Errorf("new password %q: the form does not say %q", tt.password, tt.why)
			}
			if strings.Contains(res.Body, tt.password) {
				t.Errorf("the refused password %q is written back into the page", tt.password)
			}
		}
		u := readUser(t, e, "caseworker")
		if ok, _ := auth.CheckPassword(u.PasswordHash, testPassword); !ok {
			t.Fatal("a refused new password changed the password")
		}
		const strong = "mango kettle violin"
		res := c.post("/account/password", url.Values{"current_password": {testPassword},
			"new_password": {strong}, "confirm_password": {strong}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("a strong new password: %d\n%s", res.StatusCode, res.Body)
		}
		if ok, _ := auth.CheckPassword(readUser(t, e, "caseworker").PasswordHash, strong); !ok {
			t.Error("the strong password was not set")
		}
	})
}

// TestSetupPasswordsFollowThePolicy: an administrator never sets a
// password (the API refuses the field); the person who sets theirs with a
// setup code meets the policy, with their own names as its user inputs.
func TestSetupPasswordsFollowThePolicy(t *testing.T) {
	l := i18n.MustLoad().Locale("en")
	forEachEngine(t, func(t *testing.T, e *env) {
		admin := e.as("agency_admin")
		res := admin.post("/admin/users", url.Values{"username": {"newcw"}, "display_name": {"Grace Auma"}, "role": {"caseworker"},
			"team_id": {e.team}})
		code := setupCode(t, res)
		if res := e.setup(code, "grace auma 2024"); res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(res.Body, html.EscapeString(l.T("err.password_personal"))) {
			t.Errorf("setup with a password of her name: %d", res.StatusCode)
		}
		if res := e.setup(code, "iloveyou12345"); res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(res.Body, html.EscapeString(l.T("err.password_common"))) {
			t.Errorf("setup with a common password: %d", res.StatusCode)
		}
		if !e.userNamed("newcw").SetupPending() {
			t.Fatal("a refused password was set")
		}
		if res := e.setup(code, "mango kettle violin"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("setup with a strong password: %d\n%s", res.StatusCode, res.Body)
		}
		if ok, _ := auth.CheckPassword(e.userNamed("newcw").PasswordHash, "mango kettle violin"); !ok {
			t.Error("the strong password was not set")
		}
		res = e.apiClient("agency_admin").json("POST", "/api/v1/users", fmt.Sprintf(
			`{"username":"newbie","display_name":"New Bie","role":"caseworker","team_id":%q,"password":"qwertyuiop123"}`, e.team))
		var body struct {
			Error struct {
				Fields []struct{ Field, Code, Message string }
			}
		}
		if err := json.Unmarshal([]byte(res.Body), &body); err != nil || res.StatusCode != http.StatusUnprocessableEntity ||
			len(body.Error.Fields) != 1 || body.Error.Fields[0].Field != "password" || body.Error.Fields[0].Code != "json_unknown_field" {
			t.Errorf("API user with a password chosen by the administrator: %d %s", res.StatusCode, res.Body)
		}
	})
}
