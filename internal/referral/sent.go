package referral

import (
	"context"
	"slices"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/org"
)

// SentTx is storage that lists the referrals a person sent for the cases
// they hold, open ones first, then the newest, at most limit.
type SentTx interface {
	ReferralsSentBy(ctx context.Context, user string, limit int) ([]Referral, error)
}

// SentLimit is the most referrals "Referrals you sent" lists.
const SentLimit = 100

// SentBy lists the referrals a sent for the cases a holds — the
// caseworker's own follow-up of what they asked of other services — in
// the order SortSent gives. Only those who refer from a caseload (a
// caseworker, a supervisor holding cases) have such a list; for everyone
// else it is empty.
func SentBy(ctx context.Context, tx SentTx, a access.Actor, limit int) ([]Referral, error) {
	if a.Pending || (a.Role != org.Caseworker && a.Role != org.Supervisor) {
		return nil, nil
	}
	rs, err := tx.ReferralsSentBy(ctx, a.UserID, limit)
	if err != nil {
		return nil, err
	}
	SortSent(rs)
	return rs, nil
}

// SortSent orders sent referrals the way their sender follows them up:
// the open ones (still waiting for an answer or the service) first, then
// by the date sent, the newest first. Stable.
func SortSent(rs []Referral) {
	slices.SortStableFunc(rs, func(a, b Referral) int {
		if ao, bo := a.Open(), b.Open(); ao != bo {
			if ao {
				return -1
			}
			return 1
		}
		return b.SentAt.Compare(a.SentAt)
	})
}
