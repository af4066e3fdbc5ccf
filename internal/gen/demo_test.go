package gen_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/gen"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestDemo checks that the demo shows every state the system knows, at
// every step of the lifecycle, gives the demo caseworker a full caseload
// with overdue work at every step and the demo supervisor and caseworker
// their notifications, keeps the audit chain intact, and seeds only once.
func TestDemo(t *testing.T) {
	p := profile.Default()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Now()
		sum, err := gen.Demo(ctx, db, p, now)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("demo seeded %d cases in %v", sum.Cases, time.Since(start).Round(time.Millisecond))
		if sum.Agencies != 3 || sum.Users != len(gen.DemoLogins()) || sum.Cases < 150 || sum.Queued == 0 {
			t.Errorf("summary %+v", sum)
		}
		verify(t, db)
		if has, err := gen.HasDemo(ctx, db); err != nil || !has {
			t.Errorf("HasDemo = %v, %v after seeding", has, err)
		}
		if _, err := gen.Demo(ctx, db, p, now); !errors.Is(err, gen.ErrNotEmpty) {
			t.Errorf("second Demo: %v, want ErrNotEmpty", err)
		}

		seen := map[string]bool{}
		mark := func(cond bool, what string) {
			if cond {
				seen[what] = true
			}
		}
		err = db.Read(ctx, func(tx *store.Tx) error {
			// Every role can sign in with the demo password.
			roles := map[org.Role]bool{}
			for _, l := range gen.DemoLogins() {
				u, err := tx.UserByName(ctx, l.Username)
				if err != nil {
					return err
				}
				if u.Role != l.Role {
					t.Errorf("%s has role %s, want %s", l.Username, u.Role, l.Role)
				}
				roles[u.Role] = true
			}
			for _, r := range org.Roles {
				if !roles[r] {
					t.Errorf("no demo user has role %s", r)
				}
			}

			amina, err := tx.UserByName(ctx, "amina")
			if err != nil {
				return err
			}
			rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: access.Own, ID: amina.ID, Limit: 100})
			if err != nil {
				return err
			}
			overdue, soon := 0, 0
			for _, r := range rows {
				switch {
				case r.NextDueAt.IsZero():
				case r.NextDueAt.Before(now):
					overdue++
				case r.NextDueAt.Before(now.Add(48 * time.Hour)):
					soon++
				}
			}
			if len(rows) < 15 || len(rows) > 25 || overdue == 0 || soon == 0 {
				t.Errorf("amina holds %d open cases, %d overdue and %d due within two days; want 15-25 with some of each",
					len(rows), overdue, soon)
			}
			// A visitor signing in as amina sees the lifecycle at once: her
			// cases are at every step.
			aminaSteps := map[string]int{}
			for _, r := range rows {
				c, err := tx.Case(ctx, r.ID)
				if err != nil {
					return err
				}
				aminaSteps[c.Step]++
			}
			for _, step := range []string{cases.StepAssessment, cases.StepCasePlan, cases.StepImplementation,
				cases.StepFollowUp, cases.StepClosure} {
				if aminaSteps[step] == 0 {
					t.Errorf("amina has no open case at step %s (%v)", step, aminaSteps)
				}
			}
			sam, err := tx.UserByName(ctx, "sam")
			if err != nil {
				return err
			}
			for user, kinds := range map[*org.User][]notify.Kind{
				sam:   {notify.PlanSubmitted, notify.ClosureProposed, notify.MedicalReferral, notify.Reopened, notify.Urgent},
				amina: {notify.PlanReturned, notify.PlanApproved, notify.ClosureApproved},
			} {
				ns, err := tx.Notifications(ctx, user.ID, 500)
				if err != nil {
					return err
				}
				got := map[notify.Kind]bool{}
				for _, n := range ns {
					got[n.Kind] = true
				}
				for _, k := range kinds {
					if !got[k] {
						t.Errorf("%s has no %s notification", user.Username, k)
					}
				}
			}

			agencies, err := tx.Agencies(ctx)
			if err != nil {
				return err
			}
			for _, a := range agencies {
				queued, err := tx.Identifications(ctx, a.ID, intake.StatusNew, 100)
				if err != nil {
					return err
				}
				for _, i := range queued {
					mark(true, "identification in queue")
					mark(i.Urgent, "urgent identification in queue")
				}
				screenings, err := tx.RecentScreenings(ctx, a.ID, now.AddDate(0, -1, 0), 100)
				if err != nil {
					return err
				}
				for _, s := range screenings {
					mark(true, "screening "+s.Outcome)
				}
			}
			for _, row := range allCases(t, db, cases.Closed) {
				c, err := tx.Case(ctx, row.ID)
				if err != nil {
					return err
				}
				if c.ClosedAt.IsZero() || c.ClosureReason == "" || c.FollowUpBy == "" || c.FollowUpBy == c.CaseworkerID {
					t.Errorf("closed case %s: closed at %v for %q, follow-up by %q", c.Code, c.ClosedAt, c.ClosureReason, c.FollowUpBy)
				}
				mark(true, "closed")
				ds, err := tx.CaseDeadlines(ctx, c.ID)
				if err != nil {
					return err
				}
				for _, d := range ds {
					switch {
					case d.Kind == deadline.PostClosure && d.AssigneeID != c.FollowUpBy:
						t.Errorf("closed case %s: post-closure follow-up assigned to %s, not %s", c.Code, d.AssigneeID, c.FollowUpBy)
					case d.Kind == deadline.PostClosure:
						mark(d.Open() && !d.Overdue(now), "post-closure follow-up due")
						mark(d.Overdue(now), "post-closure follow-up overdue")
					case d.Open():
						t.Errorf("closed case %s: deadline %s still open", c.Code, d.Kind)
					}
				}
				fb, err := tx.Feedbacks(ctx, c.ID)
				if err != nil {
					return err
				}
				mark(len(fb) > 0, "feedback recorded")
			}
			for _, row := range allCases(t, db, cases.Open) {
				c, err := tx.Case(ctx, row.ID)
				if err != nil {
					return err
				}
				mark(true, "step "+c.Step)
				mark(c.Reopened > 0, "reopened")
				ps, err := tx.Plans(ctx, c.ID)
				if err != nil {
					return err
				}
				for _, pl := range ps {
					mark(pl.Status == plan.Submitted, "plan waiting for approval")
					mark(pl.Status == plan.Returned && pl.ReturnComments != "", "plan returned with comments")
					mark(pl.Status == plan.Active && len(pl.Objectives) > 0, "plan active")
				}
				svc, err := tx.Services(ctx, c.ID)
				if err != nil {
					return err
				}
				mark(len(svc) > 0, "service given")
				sps, err := tx.SafetyPlans(ctx, c.ID)
				if err != nil {
					return err
				}
				mark(len(sps) > 0, "safety plan")
				fund, err := tx.Disbursements(ctx, c.ID)
				if err != nil {
					return err
				}
				mark(len(fund) > 0, "emergency fund payment")
				fus, err := tx.FollowUps(ctx, c.ID)
				if err != nil {
					return err
				}
				dissatisfied := false
				for _, f := range fus {
					mark(true, "follow-up")
					dissatisfied = dissatisfied || f.Dissatisfied
				}
				rvs, err := tx.Reviews(ctx, c.ID)
				if err != nil {
					return err
				}
				mark(len(rvs) > 0, "review")
				cls, err := tx.Closures(ctx, c.ID)
				if err != nil {
					return err
				}
				for _, cl := range cls {
					mark(cl.Status == closure.Proposed, "closure waiting for approval")
				}
				id, err := tx.Identity(ctx, c.ID)
				if err != nil {
					return err
				}
				mark(closure.AgeOutDue(p, c, id, now), "age-out alert")
				cds, err := tx.CaseDeadlines(ctx, c.ID)
				if err != nil {
					return err
				}
				sups, err := tx.TeamSupervisors(ctx, c.TeamID)
				if err != nil {
					return err
				}
				for _, d := range cds {
					switch d.Kind {
					case deadline.PlanApproval, deadline.ClosureApproval:
						if len(sups) == 0 || d.AssigneeID != sups[0] {
							t.Errorf("case %s: %s assigned to %s, not the supervisor", c.Code, d.Kind, d.AssigneeID)
						}
					}
					mark(d.Kind == deadline.MedicalReferral && d.Open(), "medical-referral alert")
					mark(d.Kind == deadline.Review && d.Open() && !d.DueAt.After(now) && dissatisfied, "review due now (dissatisfied)")
					mark(d.Kind == deadline.FollowUp && d.Overdue(now), "follow-up overdue")
				}
				mark(true, c.Type+" "+c.RiskLevel)
				mark(c.Urgent, "urgent")
				mark(c.CareStatus == cases.Separated, "separated")
				mark(c.CareStatus == cases.Unaccompanied, "unaccompanied")
				mark(c.ScreeningID != "", "registered from a screening")
				recs, err := tx.Consents(ctx, c.ID)
				if err != nil {
					return err
				}
				mark(len(recs) == 0, "no consent yet")
				for _, r := range recs {
					mark(r.Decision == "refused", "consent refused")
					mark(!r.WithdrawnAt.IsZero(), "consent withdrawn")
					mark(r.Giver == "third_party", "third-party consent")
				}
				ovs, err := tx.Overrides(ctx, c.ID)
				if err != nil {
					return err
				}
				for _, o := range ovs {
					mark(true, "override "+o.Basis)
				}
				ex, err := tx.Exclusions(ctx, c.ID)
				if err != nil {
					return err
				}
				for _, e := range ex {
					mark(true, "exclusion of a "+e.Kind)
				}
				people, err := tx.CasePeople(ctx, c.ID)
				if err != nil {
					return err
				}
				for _, x := range people {
					mark(x.AllegedPerpetrator, "alleged perpetrator")
					mark(x.AllegedPerpetrator && x.IsCaregiver, "caregiver alleged perpetrator")
				}
				hist, err := tx.RiskHistory(ctx, c.ID)
				if err != nil {
					return err
				}
				mark(len(hist) > 1, "risk changed")
				ds, err := tx.CaseDeadlines(ctx, c.ID)
				if err != nil {
					return err
				}
				for _, d := range ds {
					mark(d.Kind == deadline.ConsentWithdrawn && d.Open(), "withdrawal to discuss")
					mark(d.Kind == deadline.UrgentResponse && !d.Open(), "urgent need answered")
					mark(d.Kind == deadline.UrgentResponse && d.Overdue(now), "urgent response overdue")
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"identification in queue", "urgent identification in queue",
			"screening " + profile.OutcomeFull, "screening " + profile.OutcomeReferral, "screening " + profile.OutcomeNotEligible,
			"cp high", "cp medium", "cp low", "cp no_risk", "gbv high", "gbv medium", "gbv low",
			"urgent", "separated", "unaccompanied", "registered from a screening",
			"no consent yet", "consent refused", "consent withdrawn", "third-party consent",
			"override caregiver_unavailable", "override caregiver_perpetrator",
			"exclusion of a person", "exclusion of a agency", "alleged perpetrator", "caregiver alleged perpetrator",
			"risk changed", "withdrawal to discuss", "urgent need answered", "urgent response overdue",
			"step " + cases.StepAssessment, "step " + cases.StepCasePlan, "step " + cases.StepImplementation,
			"step " + cases.StepFollowUp, "step " + cases.StepClosure, "medical-referral alert",
			"plan waiting for approval", "plan returned with comments", "plan active", "service given", "safety plan",
			"emergency fund payment", "follow-up", "follow-up overdue", "review", "review due now (dissatisfied)",
			"closure waiting for approval", "closed", "post-closure follow-up due", "post-closure follow-up overdue",
			"feedback recorded", "reopened", "age-out alert",
		} {
			if !seen[want] {
				t.Errorf("the demo shows no case with: %s", want)
			}
		}

		s, err := gen.Sample(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		checkSample(t, db, s)
	})
}
