package gen

import (
	"context"
	"fmt"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

// DemoCoordination gives the demo work between agencies, all through the
// domain operations:
//   - one of Amina's cases (with consent to share recorded) referred to the
//     Community Care Network clinic, whose service provider Peter finds it
//     in his inbox, with the registration and assessment shared;
//   - another of her cases referred by Sam, her supervisor, under an
//     override (no consent to share yet), which leaves a task to tell the
//     family;
//   - a case conference on the first case with Sam and Leila of Safe Haven;
//   - a transfer of one of Joseph's cases to Safe Haven, waiting for Leila.
//
// It does nothing when the demo already has referrals.
func DemoCoordination(ctx context.Context, db *store.DB, p *profile.Profile, now time.Time) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		amina, err := demoActor(ctx, tx, "amina")
		if err != nil {
			return err
		}
		sam, err := demoActor(ctx, tx, "sam")
		if err != nil {
			return err
		}
		joseph, err := demoActor(ctx, tx, "joseph")
		if err != nil {
			return err
		}
		leila, err := tx.UserByName(ctx, "leila")
		if err != nil {
			return err
		}
		clinic, tracing, err := demoCoordServices(ctx, tx)
		if err != nil || clinic == nil {
			return err
		}
		first, err := demoCaseOf(ctx, tx, p, amina, profile.CP, now)
		if err != nil || first == nil {
			return err
		}
		if rs, err := tx.CaseReferrals(ctx, first.ID); err != nil || len(rs) > 0 {
			return err // seeded already
		}
		if err := demoShareConsent(ctx, tx, p, amina, first, now); err != nil {
			return err
		}
		if _, err := referral.Send(demoAs(ctx, amina), tx, p, amina, first.ID, referral.Input{ServiceID: clinic.ID,
			Reason:   "Bruises and pain after a beating at home; needs a medical check and treatment.",
			Sections: []string{"registration", "assessment"}}, now.Add(-26*time.Hour)); err != nil {
			return fmt.Errorf("demo referral: %w", err)
		}
		if _, err := conference.Schedule(demoAs(ctx, amina), tx, p, amina, first.ID, conference.Input{
			Reason:       "Agree with Safe Haven who supports the mother and who the child",
			ScheduledAt:  now.In(p.Location()).AddDate(0, 0, 2).Format("2006-01-02") + "T10:00",
			Place:        "Hope for Children office, meeting room",
			Sections:     []string{"registration", "plan"},
			Participants: []string{sam.UserID, leila.ID}}, now.Add(-3*time.Hour)); err != nil {
			return fmt.Errorf("demo conference: %w", err)
		}
		if tracing != nil {
			other, err := demoOtherCase(ctx, tx, p, amina, first.ID, now)
			if err != nil {
				return err
			}
			if other != nil {
				if _, err := referral.Send(demoAs(ctx, sam), tx, p, sam, other.ID, referral.Input{ServiceID: tracing.ID,
					Reason: "Separated from her father at the border crossing; tracing request.", Sections: []string{"registration"},
					OverrideReason: "The father may be moved on within days; the mother cannot be reached to ask."},
					now.Add(-5*time.Hour)); err != nil {
					return fmt.Errorf("demo override referral: %w", err)
				}
			}
		}
		moving, err := demoCaseOf(ctx, tx, p, joseph, profile.CP, now)
		if err != nil || moving == nil {
			return err
		}
		if err := demoShareConsent(ctx, tx, p, joseph, moving, now); err != nil {
			return err
		}
		if moving, err = tx.Case(ctx, moving.ID); err != nil {
			return err
		}
		day := p.Today(now.AddDate(0, 0, -1))
		if _, err := transfer.Request(demoAs(ctx, joseph), tx, p, joseph, moving.ID, transfer.Input{Version: moving.Version,
			ToAgencyID: leila.AgencyID, ToTeamID: leila.TeamID, Reason: "specialised_services",
			ReasonNotes:  "The mother now has a GBV case at Safe Haven; one caseworker for the family is safer.",
			FamilyToldOn: day, FamilyToldTo: "The mother", FamilyToldWhy: "Safe Haven supports her already and can follow the child too.",
			HandoverPlan:   "Joint home visit with the new caseworker, then the plan and contacts handed over.",
			WarmHandoverOn: p.Today(now.AddDate(0, 0, 3)), Sections: []string{"registration", "plan"}},
			now.Add(-2*time.Hour)); err != nil {
			return fmt.Errorf("demo transfer: %w", err)
		}
		return nil
	})
}

// demoCoordServices finds the clinic of the Community Care Network (Peter's) and
// the family tracing desk in the demo directory.
func demoCoordServices(ctx context.Context, tx *store.Tx) (clinic, tracing *directory.Service, err error) {
	all, err := tx.DirectoryServices(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := range all {
		s := &all[i]
		switch {
		case s.Sector == "health_nutrition" && s.AgencyID != "" && s.Active && clinic == nil:
			clinic = s
		case s.Sector == "family_tracing" && s.Active && tracing == nil:
			tracing = s
		}
	}
	return clinic, tracing, nil
}

// demoOtherCase returns another open CP case of a's (not skip) for the
// override referral, or nil.
func demoOtherCase(ctx context.Context, tx *store.Tx, p *profile.Profile, a access.Actor, skip string, now time.Time) (*cases.Case, error) {
	rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: access.Own, ID: a.UserID, Limit: 200})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.ID == skip || r.Type != profile.CP {
			continue
		}
		c, err := tx.Case(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		st, err := consent.Load(ctx, tx, p, c, now)
		if err != nil {
			return nil, err
		}
		if !consent.Allows(st.Scopes, "share_services") {
			return c, nil
		}
	}
	return nil, nil
}

// demoShareConsent records consent to share with service providers on c
// where it is missing: the caregiver's consent and the child's assent, as
// the case's age band asks.
func demoShareConsent(ctx context.Context, tx *store.Tx, p *profile.Profile, a access.Actor, c *cases.Case, now time.Time) error {
	st, err := consent.Load(ctx, tx, p, c, now)
	if err != nil {
		return err
	}
	for _, s := range st.Scopes {
		if s.Scope.Key != "share_services" || s.Satisfied {
			continue
		}
		for _, n := range s.Needs {
			kind := n.Kinds[0]
			if _, err := consent.Add(demoAs(ctx, a), tx, p, a, c.ID, consent.Input{Scope: "share_services", Giver: n.Giver,
				Kind: kind, Decision: consent.Given, Method: "written", ObtainedOn: p.Today(now.AddDate(0, 0, -2))}, now); err != nil {
				return fmt.Errorf("demo consent to share: %w", err)
			}
		}
	}
	return nil
}
