package web

import (
	"context"
	"testing"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
)

// TestCoordinationUserByNameErrors checks the look-up of a user the transfer and
// conference forms name by sign-in name: an unknown name is the field's
// error, a failing database (here a finished transaction) is not.
func TestCoordinationUserByNameErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var done *store.Tx
		if err := e.db.Read(ctx, func(tx *store.Tx) error {
			done = tx
			id, err := userIDByName(ctx, tx, "to_user_id", "caseworker")
			if err != nil || id != e.users["caseworker"].ID {
				t.Errorf("a known name: %q, %v", id, err)
			}
			_, err = userIDByName(ctx, tx, "to_user_id", "nobody.here")
			if f, ok := errs.AsFields(err); !ok || !f.Has("to_user_id") {
				t.Errorf("an unknown name: %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := userIDByName(ctx, done, "to_user_id", "caseworker"); err == nil || errs.KindOf(err) == errs.Invalid {
			t.Errorf("a failing database: %v, want its error", err)
		}
	})
}
