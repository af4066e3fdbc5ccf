package conference_test

import (
	"context"
	"testing"

	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// broken is a transaction whose reads of users go to a transaction already
// finished: they fail as a database does, not as a missing row.
type broken struct {
	*store.Tx
	done *store.Tx
}

func (b broken) User(ctx context.Context, id string) (*org.User, error) { return b.done.User(ctx, id) }

// TestStorageErrorsAreNotFieldErrors checks that a failing read of a
// participant answers with that failure, not with "choose a valid value":
// only a missing participant is the form's error.
func TestStorageErrorsAreNotFieldErrors(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), fixture.Now)
		done := fixture.Finished(t, db)
		in := conference.Input{Reason: "coordinate", ScheduledAt: "2025-03-12T10:00", Participants: []string{o.Supervisor.ID}}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := conference.Schedule(ctx, broken{Tx: tx, done: done}, profile.Default(), cw, c.ID, in, fixture.Now)
			return err
		})
		if err == nil || errs.KindOf(err) == errs.Invalid {
			t.Errorf("participant's read failing: %v, want the storage error", err)
		}
		in.Participants = []string{"0190a0a0-0000-7000-8000-000000000000"}
		if _, err := run(t, db, func(tx *store.Tx) (*conference.Conference, error) {
			return conference.Schedule(ctx, tx, profile.Default(), cw, c.ID, in, fixture.Now)
		}); !hasField(err, "participants") {
			t.Errorf("missing participant: %v", err)
		}
	})
}

var _ conference.ReadTx = (*store.Tx)(nil)
