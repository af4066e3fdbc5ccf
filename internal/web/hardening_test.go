package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/store"
)

// failedSignIns returns the auth.login_failed events of the audit trail.
func failedSignIns(t *testing.T, e *env) []audit.Event {
	t.Helper()
	ctx := context.Background()
	var evs []audit.Event
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		evs, err = tx.AuditEvents(ctx, store.AuditFilter{Action: "auth.login_failed", Limit: 500})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestChangePasswordGuessesThrottled: a stolen API token (or an open
// session) is no place to guess the current password: wrong guesses are
// counted and audited like failed sign-ins, and slowed down — even the
// right password waits — until the wait is over.
func TestChangePasswordGuessesThrottled(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		api := e.apiClient("caseworker")
		change := func(current string) *response {
			return api.json("POST", "/api/v1/account/password", fmt.Sprintf(
				`{"current_password":%q,"new_password":"copper-walrus-93-lantern","confirm_password":"copper-walrus-93-lantern"}`, current))
		}
		slowed := false
		for i := 0; i < 12 && !slowed; i++ {
			res := change(fmt.Sprintf("guess number %d", i))
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("guess %d: %d %s", i, res.StatusCode, res.Body)
			}
			slowed = strings.Contains(res.Body, "wait")
		}
		if !slowed {
			t.Fatal("twelve wrong current passwords were never slowed down")
		}
		var mine int
		for _, ev := range failedSignIns(t, e) {
			if ev.RecordID == e.users["caseworker"].ID {
				mine++
			}
		}
		if mine < 4 {
			t.Errorf("%d wrong current passwords audited, want every one counted", mine)
		}
		if res := change(testPassword); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "wait") {
			t.Errorf("the right password while slowed down: %d %s", res.StatusCode, res.Body)
		}
		e.clock.add(16 * time.Minute)
		if res := change(testPassword); res.StatusCode != http.StatusNoContent {
			t.Errorf("the right password after the wait: %d %s", res.StatusCode, res.Body)
		}
	})
}

// TestTokenMintsNoToken: a token is made from a signed-in session; a
// request authenticated by a token cannot make the next one.
func TestTokenMintsNoToken(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		api := e.apiClient("caseworker")
		res := api.json("POST", "/api/v1/tokens", `{"name":"next","days":90}`)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, `"session_required"`) {
			t.Fatalf("a token made by a token: %d %s", res.StatusCode, res.Body)
		}
		var list struct {
			Tokens []json.RawMessage `json:"tokens"`
		}
		api.json("GET", "/api/v1/tokens", "").decode(t, &list)
		if len(list.Tokens) != 1 {
			t.Errorf("%d tokens after the refusal, want the one made from the session", len(list.Tokens))
		}
	})
}

// TestUnknownUsernameNotWritten: a username that belongs to nobody (often
// a password typed in the wrong field) is neither in the audit trail nor
// in the list of failed sign-ins; a real account's failure names it.
func TestUnknownUsernameNotWritten(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		const typed = "my secret passphrase 42"
		if res := e.anon().login(typed, "whatever it is"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unknown username: %d", res.StatusCode)
		}
		if res := e.anon().login(e.users["caseworker"].Username, "wrong password here"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", res.StatusCode)
		}
		evs := failedSignIns(t, e)
		if len(evs) != 2 {
			t.Fatalf("%d failed sign-ins audited, want 2", len(evs))
		}
		named := 0
		for _, ev := range evs {
			if strings.Contains(ev.RecordID+ev.Reason+ev.Detail, "secret") {
				t.Errorf("the typed username reached the audit trail: %+v", ev)
			}
			if ev.RecordID == e.users["caseworker"].ID {
				named++
			}
		}
		if named != 1 {
			t.Errorf("the real account's failure is not named: %+v", evs)
		}
	})
}
