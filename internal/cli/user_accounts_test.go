package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// setupCodeRE finds the setup code user add and user reset print.
var setupCodeRE = regexp.MustCompile(`setup code for [a-z0-9._-]+: ([A-Z0-9-]{29})\n`)

// TestUserResetApproveUnlock: the shell operator resets (a setup code that
// works), unlocks and, only when nobody in the agency may, approves case
// access; a typed password goes to the first system administrator only.
func TestUserResetApproveUnlock(t *testing.T) {
	eachURL(t, func(t *testing.T, dbURL string) {
		env := map[string]string{"SAFECASE_DB": dbURL}
		const strong = "tangerine-ocelot-47-umbrella"
		if r := run(t, env, strong+"\n", "user", "add", "--username", "root", "--name", "Root", "--role", "system_admin",
			"--agency", "HQ", "--agency-name", "Head office"); r.code != 0 || setupCodeRE.MatchString(r.stdout) {
			t.Fatalf("first admin: %d %q %q", r.code, r.stdout, r.stderr)
		}
		// A second system administrator gets a setup code, never a typed password.
		r := run(t, env, strong+"\n", "user", "add", "--username", "root2", "--name", "Root 2", "--role", "system_admin", "--agency", "HQ")
		if r.code != 0 || !setupCodeRE.MatchString(r.stdout) {
			t.Fatalf("second admin: %d %q %q", r.code, r.stdout, r.stderr)
		}
		// The agency's first manager: nobody may approve her yet but the shell.
		r = run(t, env, "", "user", "add", "--username", "mona", "--name", "Mona", "--role", "manager", "--agency", "HQ")
		if r.code != 0 || !strings.Contains(r.stdout, "takes effect once approved") {
			t.Fatalf("manager: %d %q %q", r.code, r.stdout, r.stderr)
		}
		code := setupCodeRE.FindStringSubmatch(r.stdout)[1]
		ctx := context.Background()
		db, err := store.Open(ctx, dbURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.UseKeys(testKeys(t, dbURL))
		pw, err := account.NewPassword(strong, strong, &org.User{Username: "someone"}, hashPassword)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := account.CompleteSetup(ctx, tx, code, pw, time.Now())
			return err
		}); err != nil {
			t.Fatalf("the printed code: %v", err)
		}
		user := func(name string) *org.User {
			var u *org.User
			if err := db.Read(ctx, func(tx *store.Tx) (err error) {
				u, err = tx.UserByName(ctx, name)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return u
		}
		if r := run(t, env, "", "user", "approve", "--username", "mona"); r.code != 0 || user("mona").CaseAccessPending {
			t.Fatalf("approve the first manager: %d %q", r.code, r.stderr)
		}
		// A second manager: mona may approve, so the shell may not.
		run(t, env, "", "user", "add", "--username", "max", "--name", "Max", "--role", "manager", "--agency", "HQ")
		if r := run(t, env, "", "user", "approve", "--username", "max"); r.code != 1 || !strings.Contains(r.stderr, "has someone in the agency who may approve it") {
			t.Errorf("approve with a manager there: %d %q", r.code, r.stderr)
		}
		// Reset: a new code, the password gone, case access waiting again.
		r = run(t, env, "", "user", "reset", "--username", "mona")
		if r.code != 0 || !setupCodeRE.MatchString(r.stdout) {
			t.Fatalf("reset: %d %q %q", r.code, r.stdout, r.stderr)
		}
		if u := user("mona"); !u.SetupPending() || !u.CaseAccessPending {
			t.Errorf("after reset: setup pending %v, case access pending %v", u.SetupPending(), u.CaseAccessPending)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := account.CompleteSetup(ctx, tx, code, pw, time.Now())
			return err
		}); err == nil {
			t.Error("the first code works after the reset")
		}
		if r := run(t, env, "", "user", "unlock", "--username", "root2"); r.code != 0 || !strings.Contains(r.stdout, "unlocked root2") {
			t.Errorf("unlock: %d %q %q", r.code, r.stdout, r.stderr)
		}
		r = run(t, env, "", "user", "list")
		if !strings.Contains(r.stdout, "setup code not used") {
			t.Errorf("user list: %q", r.stdout)
		}
	})
}
