package referral_test

import (
	"context"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/referral"
)

// TestSortSent: open referrals first, then the newest; a closed referral
// sent yesterday stays below an open one sent a month ago.
func TestSortSent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return now.AddDate(0, 0, -n) }
	rs := []referral.Referral{
		{ID: "closed-new", Status: referral.Closed, SentAt: day(1)},
		{ID: "open-old", Status: referral.Sent, SentAt: day(30)},
		{ID: "declined", Status: referral.Declined, SentAt: day(3)},
		{ID: "open-new", Status: referral.Accepted, SentAt: day(2)},
		{ID: "provided", Status: referral.Provided, SentAt: day(10)},
	}
	referral.SortSent(rs)
	want := []string{"open-new", "provided", "open-old", "closed-new", "declined"}
	for i, r := range rs {
		if r.ID != want[i] {
			t.Fatalf("order %v, want %v", ids(rs), want)
		}
	}
}

func ids(rs []referral.Referral) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

type sentTx struct{ asked string }

func (tx *sentTx) ReferralsSentBy(_ context.Context, user string, _ int) ([]referral.Referral, error) {
	tx.asked = user
	return []referral.Referral{{ID: "a", Status: referral.Closed}, {ID: "b", Status: referral.Sent}}, nil
}

// TestSentBy: a caseworker's list is read and sorted; roles that do not
// refer from a caseload, and an actor awaiting approval, have none.
func TestSentBy(t *testing.T) {
	t.Parallel()
	tx := &sentTx{}
	rs, err := referral.SentBy(context.Background(), tx, access.Actor{UserID: "u1", Role: org.Caseworker}, 10)
	if err != nil || tx.asked != "u1" || len(rs) != 2 || rs[0].ID != "b" {
		t.Errorf("caseworker: %v %q %v", err, tx.asked, ids(rs))
	}
	for _, a := range []access.Actor{{UserID: "u2", Role: org.ServiceProvider}, {UserID: "u3", Role: org.Manager},
		{UserID: "u4", Role: org.Caseworker, Pending: true}} {
		tx := &sentTx{}
		if rs, err := referral.SentBy(context.Background(), tx, a, 10); err != nil || rs != nil || tx.asked != "" {
			t.Errorf("%s (pending %v): %v %v, asked %q", a.Role, a.Pending, ids(rs), err, tx.asked)
		}
	}
}
