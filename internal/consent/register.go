package consent

import (
	"context"
	"sort"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
)

// Entry is one line of a case's consent register: that a consent or assent
// was recorded, or a supervisor's override, and when and by whom — never
// what it says. It carries no person (the giver's role only), no method, no
// notes, no reasons and no basis, so that it can be shown to whoever must
// know that a record exists (the data protection officer, for a closed
// case) without showing them the record.
type Entry struct {
	Scope       string
	Giver       string    // Self, Caregiver, Guardian or ThirdParty; empty for an override
	Kind        string    // KindConsent, KindAssent or KindOverride
	Decision    string    // Given or Refused (an override is given)
	On          string    // YYYY-MM-DD: the day it was obtained, or the override approved
	RecordedBy  string    // the user who recorded it (who approved the override)
	RecordedAt  time.Time // when it was recorded
	WithdrawnAt time.Time // when it was withdrawn (the override revoked); zero while it holds
}

// KindOverride is the Kind of a register entry that records a supervisor's
// override rather than an agreement.
const KindOverride = "override"

// Withdrawn reports whether the entry was withdrawn or revoked.
func (e *Entry) Withdrawn() bool { return !e.WithdrawnAt.IsZero() }

// Register is a case's consent register.
type Register struct {
	Case    *cases.Case
	Entries []Entry // oldest first (then by scope, giver and kind)
}

// RegisterTx is the storage ReadRegister needs.
type RegisterTx interface {
	Case(ctx context.Context, id string) (*cases.Case, error)
	Consents(ctx context.Context, caseID string) ([]Record, error)
	Overrides(ctx context.Context, caseID string) ([]Override, error)
}

// ReadRegister returns the consent register of case caseID for a: that its
// consent records and overrides exist, never their content. Package access
// decides who may (access.KindConsentRegister); a case a may not see answers
// like a missing one. The caller audits the read.
func ReadRegister(ctx context.Context, tx RegisterTx, a access.Actor, caseID string) (*Register, error) {
	c, err := tx.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if err := access.Check(a, access.View, access.Resource{Kind: access.KindConsentRegister, Case: c.Ref()},
		"consent_register", c.ID, c.ID, c.AgencyID); err != nil {
		return nil, err
	}
	recs, err := tx.Consents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	ovs, err := tx.Overrides(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	reg := &Register{Case: c}
	for _, r := range recs {
		reg.Entries = append(reg.Entries, Entry{Scope: r.Scope, Giver: r.Giver, Kind: r.Kind, Decision: r.Decision,
			On: r.ObtainedOn, RecordedBy: r.ObtainedBy, RecordedAt: r.CreatedAt, WithdrawnAt: r.WithdrawnAt})
	}
	for _, o := range ovs {
		reg.Entries = append(reg.Entries, Entry{Scope: o.Scope, Kind: KindOverride, Decision: Given,
			On: o.ApprovedAt.UTC().Format(time.DateOnly), RecordedBy: o.ApprovedBy, RecordedAt: o.ApprovedAt,
			WithdrawnAt: o.RevokedAt})
	}
	sort.SliceStable(reg.Entries, func(i, j int) bool {
		a, b := reg.Entries[i], reg.Entries[j]
		if !a.RecordedAt.Equal(b.RecordedAt) {
			return a.RecordedAt.Before(b.RecordedAt)
		}
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		return a.Giver+a.Kind < b.Giver+b.Kind
	})
	return reg, nil
}
