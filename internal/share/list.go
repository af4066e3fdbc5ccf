package share

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/consent"
)

// ListTx is the storage List needs.
type ListTx interface {
	GrantRecords(ctx context.Context, caseID string) ([]Record, error)
	Overrides(ctx context.Context, caseID string) ([]consent.Override, error)
}

// Made is what made a share: the basis of the referral, transfer or
// conference a grant names (its SourceID), and the consent override it
// rests on, if any.
type Made struct {
	Basis      string
	OverrideID string
}

// Listed is one share of a case, as the case's coordination page lists
// it: a grant with what made it. Every field means something for every kind
// of share (empty when it does not apply).
type Listed struct {
	Record
	Basis      string // consent, override, internal or break_glass
	Reason     string // the override's or the break-glass's stated reason
	ApproverID string // who approved the override (empty for other bases)
	Ended      bool   // revoked, or past its time
}

// BasisBreakGlass is the basis of a break-glass share: a stated reason.
const BasisBreakGlass = string(access.ViaBreakGlass)

// List lists every grant of case caseID with what made it (made, by source
// ID), in the order stored. A transfer grants its sections to the receiving
// agency's managers and to its supervisors: one share, listed once.
func List(ctx context.Context, tx ListTx, caseID string, made map[string]Made, now time.Time) ([]Listed, error) {
	gs, err := tx.GrantRecords(ctx, caseID)
	if err != nil {
		return nil, err
	}
	var ovs []consent.Override
	for _, m := range made {
		if m.OverrideID != "" {
			if ovs, err = tx.Overrides(ctx, caseID); err != nil {
				return nil, err
			}
			break
		}
	}
	override := func(id string) (reason, approver string) {
		for _, o := range ovs {
			if id != "" && o.ID == id {
				return o.Reason, o.ApprovedBy
			}
		}
		return "", ""
	}
	var out []Listed
	seen := map[string]bool{}
	for _, g := range gs {
		if g.Grant.Via != access.ViaBreakGlass && g.Grant.UserID == "" {
			if seen[g.SourceID] {
				continue
			}
			seen[g.SourceID] = true
		}
		l := Listed{Record: g, Ended: !g.RevokedAt.IsZero() || (!g.Grant.Until.IsZero() && !now.Before(g.Grant.Until))}
		if g.Grant.Via == access.ViaBreakGlass {
			l.Basis, l.Reason = BasisBreakGlass, g.Reason
		} else if m, ok := made[g.SourceID]; ok {
			l.Basis = m.Basis
			l.Reason, l.ApproverID = override(m.OverrideID)
		}
		out = append(out, l)
	}
	return out, nil
}
