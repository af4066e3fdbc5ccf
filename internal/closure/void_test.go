package closure_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestReopenVoid: a case closed as registered in error (or as a duplicate)
// is not reopened through closure: its marking is undone where it was made
// (cases.UnmarkVoid), which gives its tasks back.
func TestReopenVoid(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, sup := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := cases.MarkVoid(ctx, tx, sup, c.ID, c.Version, cases.VoidInput{Reason: cases.ReasonInError}, now)
			return err
		})
		if _, err := reopen(db, sup, c.ID, "she was registered once after all", now); !cmp.Equal(fieldCodes(err),
			[]string{"reopen_reason=err.void_reopen"}) {
			t.Errorf("reopen a void case: %v", err)
		}
		if got := caseNow(t, db, c.ID); !got.Void() {
			t.Errorf("the void case changed: %s %s", got.Status, got.ClosureReason)
		}
	})
}
