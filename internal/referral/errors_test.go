package referral_test

import (
	"context"
	"testing"

	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// broken is a transaction one of whose reads (fail) goes to a transaction
// already finished: it fails as a database does, not as a missing row.
type broken struct {
	*store.Tx
	done *store.Tx
	fail string
}

func (b broken) DirectoryService(ctx context.Context, id string) (*directory.Service, error) {
	if b.fail == "DirectoryService" {
		return b.done.DirectoryService(ctx, id)
	}
	return b.Tx.DirectoryService(ctx, id)
}

func (b broken) User(ctx context.Context, id string) (*org.User, error) {
	if b.fail == "User" {
		return b.done.User(ctx, id)
	}
	return b.Tx.User(ctx, id)
}

func (b broken) Plans(ctx context.Context, caseID string) ([]plan.Plan, error) {
	if b.fail == "Plans" {
		return b.done.Plans(ctx, caseID)
	}
	return b.Tx.Plans(ctx, caseID)
}

// TestStorageErrorsAreNotFieldErrors checks that a failing read of the
// service, the receiver or the plan answers with that failure, not with
// "choose a valid value": only a missing record is the form's error.
func TestStorageErrorsAreNotFieldErrors(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.giveConsent(t)
		done := fixture.Finished(t, db)
		for _, tt := range []struct {
			fail string
			in   referral.Input
		}{
			{"DirectoryService", referral.Input{ServiceID: w.svc.ID, Reason: "care", Sections: []string{"registration"}}},
			{"User", referral.Input{ServiceID: w.svc.ID, ToUserID: w.provider.UserID, Reason: "care",
				Sections: []string{"registration"}}},
			{"Plans", referral.Input{ServiceID: w.svc.ID, ActionID: "0190a0a0-0000-7000-8000-000000000000", Reason: "care",
				Sections: []string{"registration"}}},
		} {
			err := w.db.Tx(ctx, func(tx *store.Tx) error {
				_, err := referral.Send(ctx, broken{Tx: tx, done: done, fail: tt.fail}, profile.Default(), w.cw, w.c.ID, tt.in,
					fixture.Now)
				return err
			})
			if err == nil || errs.KindOf(err) == errs.Invalid {
				t.Errorf("%s failing: %v (%s), want the storage error", tt.fail, err, fieldOf(err))
			}
		}
		// A missing service is still the form's error.
		_, err := w.send(t, w.cw, referral.Input{ServiceID: "0190a0a0-0000-7000-8000-000000000000", Reason: "care",
			Sections: []string{"registration"}})
		if fieldOf(err) != "service_id=err.choose" {
			t.Errorf("missing service: %v", err)
		}
	})
}

var (
	_ referral.ReadTx  = (*store.Tx)(nil)
	_ referral.InboxTx = (*store.Tx)(nil)
)
