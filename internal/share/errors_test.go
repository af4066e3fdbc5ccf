package share_test

import (
	"context"
	"testing"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// broken is a transaction whose look-up of a case by its code goes to a
// transaction already finished: it fails as a database does, not as a
// missing row.
type broken struct {
	*store.Tx
	done *store.Tx
}

func (b broken) CaseByCode(ctx context.Context, code string) (*cases.Case, error) {
	return b.done.CaseByCode(ctx, code)
}

// TestBreakGlassStorageError checks that a failing look-up of the code
// answers with that failure, not "no such case": only a missing case is
// the form's error.
func TestBreakGlassStorageError(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), fixture.Now)
		cw2 := fixture.Actor(o.Caseworker2)
		done := fixture.Finished(t, db)
		in := share.GlassInput{Code: c.Code, Reason: "the caseworker is away and the child is at risk"}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, _, err := share.BreakGlass(ctx, broken{Tx: tx, done: done}, profile.Default(), cw2, in, fixture.Now)
			return err
		})
		if err == nil || errs.KindOf(err) == errs.Invalid {
			t.Errorf("look-up failing: %v, want the storage error", err)
		}
		in.Code = "NO-SUCH-CODE"
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, _, err := share.BreakGlass(ctx, tx, profile.Default(), cw2, in, fixture.Now)
			return err
		})
		if f, ok := errs.AsFields(err); !ok || !f.Has("code") {
			t.Errorf("a code no case has: %v", err)
		}
	})
}
