package closure_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

func TestProposeValidation(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		tests := []struct {
			name string
			in   closure.ProposeInput
			want []string
		}{
			{"no reason", closure.ProposeInput{}, []string{"closure_reason=err.choose"}},
			{"unknown reason", closure.ProposeInput{Reason: "bored"}, []string{"closure_reason=err.choose"}},
			{"no contact is for GBV cases only", closure.ProposeInput{Reason: closure.NoContact}, []string{"closure_reason=err.choose"}},
			{"objectives met without confirmations", closure.ProposeInput{Reason: closure.ObjectivesMet},
				[]string{"confirmations=err.closure_confirmations"}},
			{"objectives met with two of three", closure.ProposeInput{Reason: closure.ObjectivesMet,
				Confirmations: []string{closure.ConfirmObjectives, closure.ConfirmSafe, closure.ConfirmSafe}},
				[]string{"confirmations=err.closure_confirmations"}},
			{"an unknown confirmation", closure.ProposeInput{Reason: closure.ObjectivesMet,
				Confirmations: append([]string{"happy"}, closure.Confirmations...)},
				[]string{"confirmations=err.choose", "confirmations=err.closure_confirmations"}},
			{"declined without saying why not override", closure.ProposeInput{Reason: closure.Declined, Explanation: "  "},
				[]string{"explanation=err.closure_declined_note"}},
			{"left the area without saying why no transfer", closure.ProposeInput{Reason: closure.LeftArea},
				[]string{"explanation=err.closure_transfer_why"}},
			{"explanation too long", closure.ProposeInput{Reason: closure.Death, Explanation: strings.Repeat("x", 4001)},
				[]string{"explanation=err.too_long"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := propose(db, cw, c.ID, tt.in, now)
				if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
					t.Errorf("err %v (-want +got):\n%s", err, diff)
				}
			})
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			cs, err := tx.Closures(ctx, c.ID)
			if len(cs) != 0 {
				t.Errorf("%d proposals written by refused calls", len(cs))
			}
			return err
		})
		if got := caseNow(t, db, c.ID); got.Step != cases.StepAssessment || got.Version != c.Version {
			t.Errorf("a refused proposal moved the case: step %s version %d", got.Step, got.Version)
		}
		for _, in := range []closure.ProposeInput{
			{Reason: closure.Declined, Explanation: "she wants no more visits; no protection concern left"},
		} {
			if _, err := propose(db, cw, c.ID, in, now); err != nil {
				t.Errorf("%s: %v", in.Reason, err)
			}
		}
	})
}

func TestProposeOpensApprovalAndListsGaps(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		at := now.Add(2 * time.Hour)
		cl, err := propose(db, cw, c.ID, closure.ProposeInput{Reason: closure.ObjectivesMet,
			Confirmations: []string{closure.ConfirmNoRisk, closure.ConfirmSafe, closure.ConfirmObjectives}}, at)
		if err != nil {
			t.Fatal(err)
		}
		// A registered, never assessed case without consents on file: every
		// gap shows (a 10-year-old needs the child's assent and a caregiver's
		// consent for each of the three required scopes; the assessment is due).
		want := []closure.Gap{{Key: closure.GapConsents, Count: 6}, {Key: closure.GapNoAssessment, Count: 1},
			{Key: closure.GapNoPlan, Count: 1}, {Key: closure.GapTasks, Count: 2}}
		if diff := cmp.Diff(want, cl.Gaps); diff != "" {
			t.Errorf("gaps (-want +got):\n%s", diff)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			cs, err := tx.Closures(ctx, c.ID)
			if err != nil {
				return err
			}
			if len(cs) != 1 || cs[0].Status != closure.Proposed || cs[0].ProposedBy != o.Caseworker.ID ||
				!cs[0].ProposedAt.Equal(at) || len(cs[0].Confirmations) != 3 {
				t.Errorf("stored proposal %+v", cs)
			}
			if diff := cmp.Diff(want, cs[0].Gaps); diff != "" {
				t.Errorf("stored gaps (-want +got):\n%s", diff)
			}
			hist, err := tx.StepHistory(ctx, c.ID)
			if err != nil {
				return err
			}
			if hist[0].From != cases.StepAssessment || hist[0].To != cases.StepClosure {
				t.Errorf("step history starts %+v", hist[0])
			}
			return nil
		})
		if got := caseNow(t, db, c.ID); got.Step != cases.StepClosure || !got.IsOpen() {
			t.Errorf("case after proposal: step %s status %s", got.Step, got.Status)
		}
		approvals := open(deadlines(t, db, c.ID), deadline.ClosureApproval)
		if len(approvals) != 1 || approvals[0].AssigneeID != o.Supervisor.ID || !approvals[0].DueAt.Equal(at.Add(prof.ApprovalWithin.D())) {
			t.Errorf("approval tasks %+v, want one for the team's supervisor due %v", approvals, at.Add(prof.ApprovalWithin.D()))
		}
		if !hasKind(notices(t, db, o.Supervisor, c.ID), notify.ClosureProposed) {
			t.Error("the supervisor was not told of the proposal")
		}
		if hasKind(notices(t, db, o.SupervisorB, c.ID), notify.ClosureProposed) {
			t.Error("another team's supervisor was told of the proposal")
		}
		if _, err := propose(db, cw, c.ID, objectivesMet, at); !cmp.Equal(fieldCodes(err), []string{"closure=err.closure_pending"}) {
			t.Errorf("second proposal: %v, want closure=err.closure_pending", err)
		}
	})
}

// TestCheckCountsPlanAndConsents checks the completeness check of a case
// with consents, an assessment and an active plan with open items.
func TestCheckCountsPlanAndConsents(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		r := fixture.Registration(profile.GBV) // a 25-year-old survivor gives her own consent
		c := fixture.Register(t, db, cw, r, now)
		fixture.In(t, db, func(tx *store.Tx) error {
			for _, sc := range []string{"participation", "collect_store"} {
				if err := tx.InsertConsent(ctx, consentRecord(c.ID, sc, "self", "consent", "2025-03-10", o.Caseworker.ID)); err != nil {
					return err
				}
			}
			if err := tx.InsertAssessment(ctx, &assessment.Assessment{CaseID: c.ID, Kind: assessment.Initial,
				AssessedOn: "2025-03-10", RiskLevel: profile.Medium, RiskReason: "r", CreatedBy: o.Caseworker.ID, CreatedAt: now}); err != nil {
				return err
			}
			pl := &plan.Plan{CaseID: c.ID, Number: 1, Status: plan.Active, CreatedBy: o.Caseworker.ID, CreatedAt: now, ActivatedAt: now,
				Objectives: []plan.Objective{
					{Description: "safe housing", Measure: "m", DueOn: "2025-04-01", Status: plan.Met},
					{Description: "school", Measure: "m", DueOn: "2025-04-01", Status: plan.InProgress},
					{Description: "dropped", Measure: "m", DueOn: "2025-04-01", Status: plan.Dropped},
					{Description: "not met", Measure: "m", DueOn: "2025-04-01", Status: plan.NotMet},
				},
				Actions: []plan.Action{
					{What: "visit", Kind: "direct", Who: "caseworker", DueOn: "2025-03-20", Horizon: "short", Status: plan.Done},
					{What: "talk", Kind: "direct", Who: "caseworker", DueOn: "2025-03-20", Horizon: "short", Status: plan.Doing},
					{What: "refer to health", Kind: "referral", Who: "provider", DueOn: "2025-03-20", Horizon: "short", Status: plan.Planned},
					{What: "refer to legal", Kind: "referral", Who: "provider", DueOn: "2025-03-20", Horizon: "short", Status: plan.Cancelled},
				}}
			if err := tx.InsertPlan(ctx, pl); err != nil {
				return err
			}
			if err := tx.ReplacePlanItems(ctx, pl); err != nil {
				return err
			}
			// Mark the assessment done, and a follow-up due in the future: neither is a gap.
			ds, err := tx.CaseDeadlines(ctx, c.ID)
			if err != nil {
				return err
			}
			for _, d := range ds {
				if d.Kind == deadline.Assessment {
					d.DoneAt, d.DoneBy = now, o.Caseworker.ID
					if err := tx.UpdateDeadline(ctx, &d); err != nil {
						return err
					}
				}
			}
			return tx.InsertDeadline(ctx, &deadline.Deadline{CaseID: c.ID, Kind: deadline.FollowUp, AnchorAt: now,
				DueAt: now.Add(14 * day), AssigneeID: o.Caseworker.ID, TeamID: c.TeamID, AgencyID: c.AgencyID, CreatedAt: now})
		})
		check := func(at time.Time) []closure.Gap {
			var gaps []closure.Gap
			fixture.Read(t, db, func(tx *store.Tx) (err error) {
				gaps, err = closure.Check(ctx, tx, prof, caseNow(t, db, c.ID), at)
				return err
			})
			return gaps
		}
		want := []closure.Gap{{Key: closure.GapConsents, Count: 1}, {Key: closure.GapObjectives, Count: 2},
			{Key: closure.GapActions, Count: 1}, {Key: closure.GapReferrals, Count: 1}}
		if diff := cmp.Diff(want, check(now)); diff != "" {
			t.Errorf("gaps (-want +got):\n%s", diff)
		}
		// An overdue follow-up is a gap.
		want = append(want, closure.Gap{Key: closure.GapTasks, Count: 1})
		if diff := cmp.Diff(want, check(now.Add(15*day))); diff != "" {
			t.Errorf("gaps with the follow-up overdue (-want +got):\n%s", diff)
		}
	})
}

// TestNoContactClosure checks that a GBV case closes for no contact only
// once the survivor has not been seen for the profile's period.
func TestNoContactClosure(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		noContact := closure.ProposeInput{Reason: closure.NoContact}
		if prof.NoContactClosure.D() != 30*day {
			t.Fatalf("the default profile's no-contact period is %v, the test expects 30 days", prof.NoContactClosure)
		}
		c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), now)
		_, err := propose(db, cw, c.ID, noContact, now.Add(29*day))
		if got := fieldCodes(err); !cmp.Equal(got, []string{"closure_reason=err.closure_no_contact"}) {
			t.Fatalf("no contact after 29 days since registration: %v", err)
		}
		fe, _ := errs.AsFields(err)
		if diff := cmp.Diff([]any{29, 30}, fe[0].Args); diff != "" {
			t.Errorf("message arguments (-want +got):\n%s", diff)
		}
		if _, err := propose(db, cw, c.ID, noContact, now.Add(30*day)); err != nil {
			t.Errorf("no contact 30 days after registration: %v", err)
		}

		// A follow-up that saw her restarts the count; one that did not, does not.
		c2 := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), now)
		fixture.In(t, db, func(tx *store.Tx) error {
			for _, f := range []followup.FollowUp{
				{CaseID: c2.ID, Mode: "home_visit", HappenedOn: "2025-03-20", Seen: true, Safety: "safe", RecordedBy: o.Caseworker.ID, CreatedAt: now},
				{CaseID: c2.ID, Mode: "phone", HappenedOn: "2025-04-05", Seen: false, Safety: "unknown", RecordedBy: o.Caseworker.ID, CreatedAt: now},
			} {
				if err := tx.InsertFollowUp(ctx, &f); err != nil {
					return err
				}
			}
			return nil
		})
		seen := time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)
		if _, err := propose(db, cw, c2.ID, noContact, seen.Add(30*day-time.Minute)); !cmp.Equal(fieldCodes(err), []string{"closure_reason=err.closure_no_contact"}) {
			t.Errorf("just under 30 days after she was last seen: %v", err)
		}
		if _, err := propose(db, cw, c2.ID, noContact, seen.Add(30*day)); err != nil {
			t.Errorf("30 days after she was last seen: %v", err)
		}
	})
}
