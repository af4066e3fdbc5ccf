package transfer_test

import (
	"context"
	"testing"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
	"github.com/safecase/safecase/internal/transfer"
)

// broken is a transaction one of whose reads (fail) goes to a transaction
// already finished: it fails as a database does, not as a missing row.
type broken struct {
	*store.Tx
	done *store.Tx
	fail string
}

func (b broken) User(ctx context.Context, id string) (*org.User, error) {
	if b.fail == "User" {
		return b.done.User(ctx, id)
	}
	return b.Tx.User(ctx, id)
}

func (b broken) Agency(ctx context.Context, id string) (*org.Agency, error) {
	if b.fail == "Agency" {
		return b.done.Agency(ctx, id)
	}
	return b.Tx.Agency(ctx, id)
}

func (b broken) Team(ctx context.Context, id string) (*org.Team, error) {
	if b.fail == "Team" {
		return b.done.Team(ctx, id)
	}
	return b.Tx.Team(ctx, id)
}

// TestStorageErrorsAreNotFieldErrors checks that a failing read of the new
// caseworker, the receiving agency or its team answers with that failure,
// not with "choose a valid value": only a missing record is the form's error.
func TestStorageErrorsAreNotFieldErrors(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), fixture.Now)
		done := fixture.Finished(t, db)
		internal := form(c.Version)
		internal.Reason, internal.ToUserID = "caseworker_unavailable", o.CaseworkerB.ID
		external := form(c.Version)
		external.ToAgencyID, external.ToTeamID = o.OtherAgency.ID, o.OtherTeam.ID
		for _, tt := range []struct {
			fail string
			in   transfer.Input
		}{{"User", internal}, {"Agency", external}, {"Team", external}} {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := transfer.Request(ctx, broken{Tx: tx, done: done, fail: tt.fail}, profile.Default(), cw, c.ID, tt.in,
					fixture.Now)
				return err
			})
			if err == nil || errs.KindOf(err) == errs.Invalid {
				t.Errorf("%s failing: %v, want the storage error", tt.fail, err)
			}
		}
		// A missing colleague is still the form's error.
		internal.ToUserID = "0190a0a0-0000-7000-8000-000000000000"
		_, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Request(ctx, tx, profile.Default(), cw, c.ID, internal, fixture.Now)
		})
		if f, ok := errs.AsFields(err); !ok || !f.Has("to_user_id") {
			t.Errorf("missing colleague: %v", err)
		}
	})
}

var (
	_ transfer.ReadTx  = (*store.Tx)(nil)
	_ transfer.InboxTx = (*store.Tx)(nil)
)
