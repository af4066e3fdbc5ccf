package gen

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/incident"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// DemoIncidents gives the demo a family whose cases need coordination: a
// GBV case of Sara's at Safe Haven (the mother: a physical assault and
// psychological abuse by her partner) linked to a CP case of Amina's at Hope
// for Children (her daughter, made to work at a quarry): Sara asked for the
// link and Amina accepted it. One incident is
// reportable under the profile's mandatory_reporting_incident_types — on the
// GBV case when the profile makes one of its types reportable, otherwise on
// the daughter's CP case (the default profile lists CP types only) — and its
// decision waits for the supervisor, with the caseworker's recommendation
// recorded. It does nothing when the demo already has incidents or links.
func DemoIncidents(ctx context.Context, db *store.DB, p *profile.Profile, now time.Time) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		sara, err := demoActor(ctx, tx, "sara")
		if err != nil {
			return err
		}
		amina, err := demoActor(ctx, tx, "amina")
		if err != nil {
			return err
		}
		mother, err := demoCaseOf(ctx, tx, p, sara, profile.GBV, now)
		if err != nil || mother == nil {
			return err
		}
		child, err := demoCaseOf(ctx, tx, p, amina, profile.CP, now)
		if err != nil || child == nil {
			return err
		}
		for _, c := range []*cases.Case{mother, child} {
			incs, err := tx.Incidents(ctx, c.ID)
			if err != nil {
				return err
			}
			links, err := tx.CaseLinks(ctx, c.ID)
			if err != nil || len(incs) > 0 || len(links) > 0 {
				return err // seeded already
			}
		}
		day := func(n int) string { return p.Today(now.AddDate(0, 0, -n)) }
		at := func(h int) time.Time { return now.Add(-time.Duration(h) * time.Hour) }

		// The mother's incidents; a reportable GBV type when the profile has one.
		gbv := []incident.Input{
			{Type: "physical_assault", HappenedOn: day(9), Location: "At home", Perpetrator: "intimate_partner",
				Description: "Beaten after asking for money for the children's school fees."},
			{Type: "psychological_abuse", HappenedOn: day(4), Location: "At home", Perpetrator: "intimate_partner",
				Description: "Threatened to take the children away if she seeks help."},
		}
		var reportable *incident.Input
		for _, o := range incident.Types(p, profile.GBV) {
			if incident.Mandatory(p, o.Key) && !p.IsSexualIncident(o.Key) {
				reportable = &incident.Input{Type: o.Key, HappenedOn: day(3), Location: "At home",
					Perpetrator: "intimate_partner", Description: "Reported by the survivor at the second session."}
				break
			}
		}
		if reportable != nil {
			gbv = append(gbv, *reportable)
		}
		sctx := demoAs(ctx, sara)
		var mandatory *incident.Incident
		for i, in := range gbv {
			in = keepKnown(p, profile.GBV, in)
			if in.Type == "" {
				continue
			}
			inc, err := incident.Record(sctx, tx, p, sara, mother.ID, in, at(30-i))
			if err != nil {
				return fmt.Errorf("incident on the mother's case: %w", err)
			}
			if inc.Report != nil {
				mandatory = inc
			}
		}
		// The daughter's case: a reportable CP incident when the GBV case had none.
		actx := demoAs(ctx, amina)
		if mandatory == nil {
			for _, typ := range []string{"exploitation", "recruitment", "sexual"} {
				if !incident.Mandatory(p, typ) || !profile.Has(incident.Types(p, profile.CP), typ) {
					continue
				}
				inc, err := incident.Record(actx, tx, p, amina, child.ID, incident.Input{Type: typ, HappenedOn: day(12),
					Location: "Quarry outside the camp", Perpetrator: "employer",
					Description: "Made to carry stones after school for a few coins; her mother found out last week."}, at(20))
				if err != nil {
					return fmt.Errorf("incident on the child's case: %w", err)
				}
				mandatory = inc
				break
			}
		}
		if mandatory != nil {
			a, rctx := amina, actx
			if mandatory.CaseID == mother.ID {
				a, rctx = sara, sctx
			}
			if _, err := incident.Recommend(rctx, tx, a, mandatory.CaseID, mandatory.ID, incident.RecommendInput{
				Recommendation: incident.DoReport, Version: mandatory.Report.Version,
				Reasoning: "The law of this context requires it, and reporting lets the authority act on the workplace. The child and her mother agree, and the mother is safe to be told."},
				at(18)); err != nil {
				return fmt.Errorf("recommendation: %w", err)
			}
		}
		// The link, asked for by the mother's caseworker: the daughter's case
		// is another agency's, so Amina is asked, and accepts.
		relation := "parent_child"
		if !profile.Has(p.LinkRelations, relation) && len(p.LinkRelations) > 0 {
			relation = p.LinkRelations[0].Key
		}
		_, req, err := caselink.Add(sctx, tx, p, sara, mother.ID, caselink.Input{Code: child.Code, Relation: relation}, at(26))
		if err != nil {
			return fmt.Errorf("link: %w", err)
		}
		if req != nil {
			if _, err := caselink.Accept(actx, tx, amina, child.ID, req.ID, req.Version, at(25)); err != nil {
				return fmt.Errorf("accept the link: %w", err)
			}
		}
		return nil
	})
}

// keepKnown leaves out an incident type the profile does not offer for a
// case of type typ (a deployment's profile may have its own list).
func keepKnown(p *profile.Profile, typ string, in incident.Input) incident.Input {
	if !profile.Has(incident.Types(p, typ), in.Type) {
		in.Type = ""
	}
	if in.Perpetrator != "" && !profile.Has(p.PerpetratorRelations, in.Perpetrator) {
		in.Perpetrator = ""
	}
	return in
}

// demoActor returns the demo user username as an actor.
func demoActor(ctx context.Context, tx *store.Tx, username string) (access.Actor, error) {
	u, err := tx.UserByName(ctx, username)
	if err != nil {
		return access.Actor{}, fmt.Errorf("the demo's %s: %w", username, err)
	}
	return access.Actor{UserID: u.ID, AgencyID: u.AgencyID, TeamID: u.TeamID, Role: u.Role}, nil
}

func demoAs(ctx context.Context, a access.Actor) context.Context {
	return audit.WithMeta(ctx, audit.Meta{ActorID: a.UserID, ActorRole: string(a.Role), AgencyID: a.AgencyID})
}

// demoCaseOf returns an open, not urgent case of type typ of caseworker a,
// with no review open, whose consent to collect and store is in force (the
// first registered such case), or nil when there is none.
func demoCaseOf(ctx context.Context, tx *store.Tx, p *profile.Profile, a access.Actor, typ string, now time.Time) (*cases.Case, error) {
	if a.Role != org.Caseworker {
		return nil, nil
	}
	rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: access.Own, ID: a.UserID, Limit: 200})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(x, y store.CaseRow) int {
		return cmp.Or(strings.Compare(x.RegisteredOn, y.RegisteredOn), strings.Compare(x.Code, y.Code))
	})
next:
	for _, r := range rows {
		if r.Type != typ || r.Urgent {
			continue
		}
		// A new incident makes an open review due at once: leave the demo's
		// reviews as they are.
		ds, err := tx.CaseDeadlines(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			if d.Open() && d.Kind == deadline.Review {
				continue next
			}
		}
		c, err := tx.Case(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		if err := consent.Gate(ctx, tx, p, c, now); err == nil {
			return c, nil
		}
	}
	return nil, nil
}
