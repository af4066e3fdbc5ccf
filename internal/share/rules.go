package share

import (
	"context"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
)

// The bases on which something of a case is shared.
const (
	BasisConsent  = "consent"  // the consent scope is given and in force
	BasisOverride = "override" // a supervisor's override of that scope
)

// Basis says on which basis the case with consent state st may be shared
// under consent scope: BasisConsent, BasisOverride (with the override), or
// "" when it may not.
func Basis(st *consent.State, scope string) (string, *consent.Override) {
	for _, s := range st.Scopes {
		if s.Scope.Key != scope || !s.Satisfied {
			continue
		}
		if s.Override != nil {
			return BasisOverride, s.Override
		}
		return BasisConsent, nil
	}
	return "", nil
}

// Excluded reports whether the family's exclusion list names agency or
// one of names (an organisation, a person): nothing may be shared with them.
//
// An exclusion removed from the list (RemovedAt set) never matches. One
// with an agency matches that agency exactly (an empty agency matches
// nothing). One with a name matches every name that contains it as a
// substring, ignoring case and surrounding spaces: excluding "Hope" excludes
// "Hope Clinic" and "The Hope Centre" (the family names whom they fear, not
// how the directory spells them), while "Hope Clinic" does not exclude
// "Hope". A blank name, on either side, matches nothing.
func Excluded(ex []consent.Exclusion, agency string, names ...string) bool {
	for _, e := range ex {
		if !e.RemovedAt.IsZero() {
			continue
		}
		if e.AgencyID != "" && e.AgencyID == agency {
			return true
		}
		n := strings.ToLower(strings.TrimSpace(e.Name))
		if n == "" {
			continue
		}
		for _, x := range names {
			if x = strings.ToLower(strings.TrimSpace(x)); x != "" && strings.Contains(x, n) {
				return true
			}
		}
	}
	return false
}

// TellFamily opens (or keeps open) the caseworker's task to tell the family
// of a share made under a consent override, and tells the caseworker.
func TellFamily(ctx context.Context, tx cases.Tx, p *profile.Profile, a access.Actor, c *cases.Case, now time.Time) error {
	if err := cases.EnsureDeadline(ctx, tx, p, c, deadline.TellFamily, now, now); err != nil {
		return err
	}
	return notify.Send(ctx, tx, []string{c.CaseworkerID}, notify.ReferralOverride, c.ID, a.UserID, now)
}
