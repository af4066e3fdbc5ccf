package followup_test

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
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

var (
	ctx  = context.Background()
	now  = fixture.Now
	prof = profile.Default()
)

// world is one organisation with one case of the caseworker's.
type world struct {
	t    *testing.T
	db   *store.DB
	o    *fixture.Org
	cw   access.Actor
	sup  access.Actor
	c    *cases.Case
	plan *plan.Plan // the active plan, once there is one
}

// newWorld registers a case of organisation o (a new one when nil) at risk
// level risk, with consent to collect and store overridden by the supervisor
// (so the gate is open).
func newWorld(t *testing.T, db *store.DB, o *fixture.Org, risk string) *world {
	t.Helper()
	if o == nil {
		o = fixture.New(t, db)
	}
	w := &world{t: t, db: db, o: o, cw: fixture.Actor(o.Caseworker), sup: fixture.Actor(o.Supervisor)}
	r := fixture.Registration("cp")
	r.RiskLevel = risk
	w.c = fixture.Register(t, db, w.cw, r, now)
	fixture.In(t, db, func(tx *store.Tx) error {
		_, err := consent.AddOverride(ctx, tx, prof, w.sup, w.c.ID, consent.OverrideInput{Scope: "collect_store",
			Basis: "best_interests", Reason: "the child's safety comes first here"}, now)
		return err
	})
	return w
}

// withPlan assesses the case and makes a plan with two objectives active
// (approved by the supervisor where the risk level needs it).
func (w *world) withPlan() *world {
	w.t.Helper()
	fixture.In(w.t, w.db, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, w.c.ID)
		if err != nil {
			return err
		}
		if _, err := assessment.Record(ctx, tx, prof, w.cw, c.ID, assessment.Input{Kind: assessment.Initial,
			InterviewedChild: true, RiskLevel: c.RiskLevel, RiskReason: "as registered",
			Needs: []assessment.NeedInput{
				{Domain: "safety", Description: "alone at night", Met: "not", Priority: "high"},
				{Domain: "education", Description: "out of school", Met: "not", Priority: "medium"}},
			Version: c.Version}, now); err != nil {
			return err
		}
		needs, err := tx.Needs(ctx, c.ID)
		if err != nil {
			return err
		}
		due := now.AddDate(0, 2, 0).Format(time.DateOnly)
		pl, err := plan.Save(ctx, tx, prof, w.cw, c.ID, plan.Input{Objectives: []plan.ObjectiveInput{
			{NeedID: needs[0].ID, Description: "a safe adult at night", Measure: "aunt stays over", DueOn: due},
			{NeedID: needs[1].ID, Description: "back in school", Measure: "attends 4 days a week", DueOn: due}}}, now)
		if err != nil {
			return err
		}
		if pl, err = plan.Submit(ctx, tx, prof, w.cw, c.ID, pl.ID, pl.Version, now); err != nil {
			return err
		}
		if pl.Status == plan.Submitted {
			if pl, err = plan.Approve(ctx, tx, prof, w.sup, c.ID, pl.ID, pl.Version, now); err != nil {
				return err
			}
		}
		return nil
	})
	w.plan = w.activePlan()
	if w.plan == nil {
		w.t.Fatal("no active plan")
	}
	return w
}

func (w *world) activePlan() *plan.Plan {
	w.t.Helper()
	var ps []plan.Plan
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		ps, err = tx.Plans(ctx, w.c.ID)
		return err
	})
	return plan.ActiveOf(ps)
}

func (w *world) plans() []plan.Plan {
	w.t.Helper()
	var ps []plan.Plan
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		ps, err = tx.Plans(ctx, w.c.ID)
		return err
	})
	return ps
}

func (w *world) caseNow() *cases.Case {
	w.t.Helper()
	var c *cases.Case
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		c, err = tx.Case(ctx, w.c.ID)
		return err
	})
	return c
}

// open returns the open deadline of kind k, or nil.
func (w *world) open(k deadline.Kind) *deadline.Deadline {
	w.t.Helper()
	var ds []deadline.Deadline
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		ds, err = tx.CaseDeadlines(ctx, w.c.ID)
		return err
	})
	var out *deadline.Deadline
	for i := range ds {
		if ds[i].Kind == k && ds[i].Open() {
			if out != nil {
				w.t.Errorf("two open %s deadlines", k)
			}
			out = &ds[i]
		}
	}
	return out
}

func (w *world) done(k deadline.Kind) int {
	w.t.Helper()
	var ds []deadline.Deadline
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		ds, err = tx.CaseDeadlines(ctx, w.c.ID)
		return err
	})
	n := 0
	for _, d := range ds {
		if d.Kind == k && !d.Open() {
			n++
		}
	}
	return n
}

// input is a valid follow-up of the case as it is now.
func (w *world) input() followup.Input {
	c := w.caseNow()
	return followup.Input{Mode: followup.HomeVisit, Contacts: []string{"child", "caregiver"}, Seen: true,
		Safety: followup.Safe, RiskLevel: c.RiskLevel, Version: c.Version}
}

func (w *world) record(a access.Actor, in followup.Input, at time.Time) (*followup.FollowUp, error) {
	var f *followup.FollowUp
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		f, err = followup.Record(ctx, tx, prof, a, w.c.ID, in, at)
		return err
	})
	return f, err
}

func (w *world) mustRecord(in followup.Input, at time.Time) *followup.FollowUp {
	w.t.Helper()
	f, err := w.record(w.cw, in, at)
	if err != nil {
		w.t.Fatalf("record follow-up: %v", err)
	}
	return f
}

// reviewInput is a valid review of every objective of the active plan.
func (w *world) reviewInput() followup.ReviewInput {
	c := w.caseNow()
	in := followup.ReviewInput{Trigger: "scheduled", ChildParticipated: true, Participation: "met her at school",
		RiskLevel: c.RiskLevel, Version: c.Version}
	for _, o := range w.activePlan().Objectives {
		in.Evaluation = append(in.Evaluation, followup.Evaluation{ObjectiveID: o.ID, Status: plan.InProgress,
			Effectiveness: followup.Partly})
	}
	return in
}

func (w *world) review(a access.Actor, in followup.ReviewInput, at time.Time) (*followup.Review, error) {
	var r *followup.Review
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		r, err = followup.RecordReview(ctx, tx, prof, a, w.c.ID, in, at)
		return err
	})
	return r, err
}

func fieldCodes(err error) []string {
	fe, _ := errs.AsFields(err)
	var out []string
	for _, f := range fe {
		out = append(out, f.Field+"="+f.Msg)
	}
	sort.Strings(out)
	return out
}

func timeline(tl profile.ByRisk, risk string) time.Duration {
	d, ok := tl.For(risk)
	if !ok {
		panic("no timeline for " + risk)
	}
	return d
}

// TestNextFollowUpByRisk: the follow-up done, the next is due from it by
// the risk level's timeline in the profile; the first moves the case on to
// the follow-up step, the next ones leave it there.
func TestNextFollowUpByRisk(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		for _, risk := range []string{profile.High, profile.Medium, profile.Low} {
			t.Run(risk, func(t *testing.T) {
				w := newWorld(t, db, o, risk).withPlan()
				if got := w.caseNow().Step; got != cases.StepImplementation {
					t.Fatalf("step after the plan = %s", got)
				}
				if w.open(deadline.FollowUp) == nil {
					t.Fatal("no follow-up deadline once the plan is active")
				}
				at := now.Add(26 * time.Hour)
				w.mustRecord(w.input(), at)
				d := w.open(deadline.FollowUp)
				if d == nil {
					t.Fatal("no next follow-up")
				}
				want := at.Add(timeline(prof.Timelines.FollowUp, risk))
				if !d.DueAt.Equal(want) {
					t.Errorf("next follow-up due %v, want %v", d.DueAt, want)
				}
				if n := w.done(deadline.FollowUp); n != 1 {
					t.Errorf("%d follow-up deadlines done, want 1", n)
				}
				c := w.caseNow()
				if c.Step != cases.StepFollowUp {
					t.Errorf("step = %s, want follow_up", c.Step)
				}
				// A second follow-up, entered the day after it happened, runs
				// from the start of that day and leaves the step alone.
				at2 := at.Add(48 * time.Hour)
				in := w.input()
				in.HappenedOn = at2.Add(-24 * time.Hour).Format(time.DateOnly)
				w.mustRecord(in, at2)
				day, _ := time.Parse(time.DateOnly, in.HappenedOn)
				if d := w.open(deadline.FollowUp); d == nil || !d.DueAt.Equal(day.Add(timeline(prof.Timelines.FollowUp, risk))) {
					t.Errorf("follow-up entered late: next due %v, want from %s", d, in.HappenedOn)
				}
				var steps []cases.StepChange
				fixture.Read(t, db, func(tx *store.Tx) (err error) {
					steps, err = tx.StepHistory(ctx, w.c.ID)
					return err
				})
				moves := 0
				for _, s := range steps {
					if s.To == cases.StepFollowUp {
						moves++
					}
				}
				if moves != 1 {
					t.Errorf("%d moves to follow_up in the step history, want 1", moves)
				}
			})
		}
	})
}

// TestFollowUpRiskAndDissatisfaction: a risk level raised at a follow-up
// joins the risk history, moves the next follow-up to the new timeline and
// makes the review due at once; the family's dissatisfaction makes the
// review due at once too.
func TestFollowUpRiskAndDissatisfaction(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, nil, profile.Medium).withPlan()
		at := now.Add(72 * time.Hour)
		in := w.input()
		in.RiskLevel, in.RiskReason = profile.High, "the stepfather moved back in"
		in.Safety, in.SafetyNotes = followup.Concerns, "she is afraid at home"
		f := w.mustRecord(in, at)
		c := w.caseNow()
		if c.RiskLevel != profile.High {
			t.Errorf("risk = %s, want high", c.RiskLevel)
		}
		if d := w.open(deadline.FollowUp); d == nil || !d.DueAt.Equal(at.Add(timeline(prof.Timelines.FollowUp, profile.High))) {
			t.Errorf("next follow-up %v, want at the high-risk timeline from the follow-up", d)
		}
		if d := w.open(deadline.Review); d == nil || !d.DueAt.Equal(at) {
			t.Errorf("review %v, want due at once", d)
		}
		var hist []cases.RiskChange
		var fus []followup.FollowUp
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			if hist, err = tx.RiskHistory(ctx, c.ID); err != nil {
				return err
			}
			fus, err = tx.FollowUps(ctx, c.ID)
			return err
		})
		if hist[0].To != profile.High || hist[0].Reason != "follow-up: the stepfather moved back in" {
			t.Errorf("latest risk change %+v", hist[0])
		}
		if len(fus) != 1 || fus[0].ID != f.ID || fus[0].RiskLevel != profile.High || fus[0].Safety != followup.Concerns ||
			!cmp.Equal(fus[0].Contacts, []string{"child", "caregiver"}) || fus[0].PlanID != w.plan.ID {
			t.Errorf("stored follow-ups %+v", fus)
		}

		// Dissatisfaction: the review (rescheduled by a review first) falls due at once.
		rin := w.reviewInput()
		if _, err := w.review(w.cw, rin, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if d := w.open(deadline.Review); d == nil || !d.DueAt.After(at.Add(7*24*time.Hour)) {
			t.Fatalf("review after the review %v", d)
		}
		at2 := at.Add(2 * time.Hour)
		in = w.input()
		in.Dissatisfied = true
		w.mustRecord(in, at2)
		if d := w.open(deadline.Review); d == nil || !d.DueAt.Equal(at2) {
			t.Errorf("review after dissatisfaction %v, want due at once (%v)", d, at2)
		}
		// Unchanged risk: the follow-up still knows the level it found.
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			fus, err = tx.FollowUps(ctx, c.ID)
			return err
		})
		if len(fus) != 2 || fus[0].RiskLevel != profile.High || !fus[0].Dissatisfied {
			t.Errorf("newest follow-up %+v", fus[0])
		}
	})
}

// TestFollowUpProgress: progress sets each objective's status; a status left
// empty keeps the objective's; an objective outside the active plan is refused.
func TestFollowUpProgress(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, nil, profile.Medium).withPlan()
		o1, o2 := w.plan.Objectives[0], w.plan.Objectives[1]
		in := w.input()
		in.Progress = []followup.Progress{{ObjectiveID: o1.ID, Status: plan.Met, Note: "aunt stays every night"},
			{ObjectiveID: o2.ID, Note: "enrolment next week"}}
		f := w.mustRecord(in, now.Add(time.Hour))
		got := map[string]string{}
		for _, o := range w.activePlan().Objectives {
			got[o.ID] = o.Status
		}
		if want := map[string]string{o1.ID: plan.Met, o2.ID: plan.NotStarted}; !cmp.Equal(got, want) {
			t.Errorf("objective statuses %v, want %v", got, want)
		}
		if len(f.Progress) != 2 || f.Progress[1].Status != plan.NotStarted {
			t.Errorf("progress %+v", f.Progress)
		}
		in = w.input()
		in.Progress = []followup.Progress{{ObjectiveID: "nope", Status: plan.Met}}
		if _, err := w.record(w.cw, in, now.Add(2*time.Hour)); !cmp.Equal(fieldCodes(err), []string{"progress.0.objective_id=err.followup_objective"}) {
			t.Errorf("unknown objective: %v", err)
		}
	})
}

// TestFollowUpRefusals: the form refuses what it must, and the case's
// version, consent and access are checked.
func TestFollowUpRefusals(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, nil, profile.Medium).withPlan()
		at := now.Add(time.Hour)
		for _, tc := range []struct {
			name string
			edit func(*followup.Input)
			want []string
		}{
			{"no safety check", func(in *followup.Input) { in.Safety = "" }, []string{"safety=err.followup_safety"}},
			{"concerns without notes", func(in *followup.Input) { in.Safety = followup.Concerns },
				[]string{"safety_notes=err.followup_safety_notes"}},
			{"unsafe without notes", func(in *followup.Input) { in.Safety, in.SafetyNotes = followup.Unsafe, "  " },
				[]string{"safety_notes=err.followup_safety_notes"}},
			{"unknown safety", func(in *followup.Input) { in.Safety = "fine" }, []string{"safety=err.choose"}},
			{"no mode", func(in *followup.Input) { in.Mode = "" }, []string{"mode=err.choose"}},
			{"nobody contacted", func(in *followup.Input) { in.Contacts = nil }, []string{"contacts=err.followup_contacts"}},
			{"unknown contact", func(in *followup.Input) { in.Contacts = []string{"child", "mayor"} }, []string{"contacts=err.choose"}},
			{"in the future", func(in *followup.Input) { in.HappenedOn = "2025-03-11" }, []string{"happened_on=err.future"}},
			{"not a date", func(in *followup.Input) { in.HappenedOn = "yesterday" }, []string{"happened_on=err.date"}},
			{"no risk re-check", func(in *followup.Input) { in.RiskLevel = "" }, []string{"risk_level=err.choose"}},
			{"new risk without a reason", func(in *followup.Input) { in.RiskLevel = profile.Low },
				[]string{"risk_reason=err.risk_reason"}},
			{"bad status", func(in *followup.Input) {
				in.Progress = []followup.Progress{{ObjectiveID: w.plan.Objectives[0].ID, Status: "half"}}
			}, []string{"progress.0.status=err.choose"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := w.input()
				tc.edit(&in)
				_, err := w.record(w.cw, in, at)
				if got := fieldCodes(err); !cmp.Equal(got, tc.want) {
					t.Errorf("errors %v, want %v (err %v)", got, tc.want, err)
				}
			})
		}
		if n := w.done(deadline.FollowUp); n != 0 {
			t.Errorf("a refused follow-up completed %d deadlines", n)
		}

		stale := w.input()
		stale.Version--
		var ce *errs.ConflictError
		if _, err := w.record(w.cw, stale, at); !errors.As(err, &ce) {
			t.Errorf("stale version: %v, want a conflict", err)
		}
		for _, tc := range []struct {
			name string
			a    access.Actor
			kind errs.Kind
		}{
			{"manager", fixture.Actor(w.o.Manager), errs.Forbidden},
			{"another team's caseworker", fixture.Actor(w.o.CaseworkerB), errs.NotFound},
			{"another agency's caseworker", fixture.Actor(w.o.OtherCaseworker), errs.NotFound},
			{"service provider", fixture.Actor(w.o.ServiceProvider), errs.NotFound},
		} {
			_, err := w.record(tc.a, w.input(), at)
			var de *errs.DeniedError
			if !errors.As(err, &de) || errs.KindOf(err) != tc.kind {
				t.Errorf("%s: %v, want denied (%v)", tc.name, err, tc.kind)
			}
		}
		// The supervisor of the team may record one.
		if _, err := w.record(w.sup, w.input(), at); err != nil {
			t.Errorf("supervisor: %v", err)
		}

		// Without consent to collect and store (no override), nothing is recorded.
		bare := newWorld(t, db, w.o, profile.Medium)
		fixture.In(t, db, func(tx *store.Tx) error {
			ovs, err := tx.Overrides(ctx, bare.c.ID)
			if err != nil {
				return err
			}
			return consent.RevokeOverride(ctx, tx, bare.sup, bare.c.ID, ovs[0].ID, now)
		})
		if _, err := bare.record(bare.cw, bare.input(), at); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
			t.Errorf("without consent: %v", err)
		}
	})
}

// TestFollowUpBeforeAPlan: a follow-up before any plan is recorded but sets
// no schedule and leaves the step.
func TestFollowUpBeforeAPlan(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, nil, profile.Medium)
		in := w.input()
		in.Dissatisfied = true
		w.mustRecord(in, now.Add(time.Hour))
		if d := w.open(deadline.FollowUp); d != nil {
			t.Errorf("follow-up deadline %+v without a plan", d)
		}
		if d := w.open(deadline.Review); d != nil {
			t.Errorf("review deadline %+v without a plan", d)
		}
		if s := w.caseNow().Step; s != cases.StepAssessment && s != cases.StepRegistration {
			t.Errorf("step = %s", s)
		}
	})
}

// TestReview: a review sets each objective's status, completes the review
// deadline and sets the next from its day; a new risk level goes to the
// history; ticking revise starts one draft of the plan.
func TestReview(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		for _, risk := range []string{profile.High, profile.Low} {
			t.Run(risk, func(t *testing.T) {
				w := newWorld(t, db, o, risk).withPlan()
				first := w.open(deadline.Review)
				if first == nil || !first.DueAt.Equal(now.Add(timeline(prof.Timelines.Review, risk))) {
					t.Fatalf("review after activation %+v", first)
				}
				if timeline(prof.Timelines.Review, risk) > prof.ReviewInterval.D() {
					t.Errorf("review timeline longer than the review interval")
				}
				at := now.Add(10 * 24 * time.Hour)
				in := w.reviewInput()
				in.ReviewedOn = at.Add(-24 * time.Hour).Format(time.DateOnly)
				in.Evaluation[0].Status, in.Evaluation[0].Effectiveness = plan.Met, followup.Effective
				in.Evaluation[1].Status, in.Evaluation[1].Effectiveness = plan.Dropped, ""
				in.Revise, in.PlanChanges = true, "school objective dropped: family moving"
				rv, err := w.review(w.cw, in, at)
				if err != nil {
					t.Fatal(err)
				}
				day, _ := time.Parse(time.DateOnly, in.ReviewedOn)
				if d := w.open(deadline.Review); d == nil || !d.DueAt.Equal(day.Add(timeline(prof.Timelines.Review, risk))) {
					t.Errorf("next review %+v, want from %s", d, in.ReviewedOn)
				}
				if n := w.done(deadline.Review); n != 1 {
					t.Errorf("%d review deadlines done, want 1", n)
				}
				var statuses []string
				for _, o := range w.activePlan().Objectives {
					statuses = append(statuses, o.Status)
				}
				if !cmp.Equal(statuses, []string{plan.Met, plan.Dropped}) {
					t.Errorf("objective statuses %v", statuses)
				}
				ps := w.plans()
				if pre := plan.InPreparation(ps); pre == nil || rv.RevisionID != pre.ID || len(ps) != 2 {
					t.Errorf("revision: %d plans, in preparation %+v, review says %q", len(ps), pre, rv.RevisionID)
				}
				var rvs []followup.Review
				fixture.Read(t, db, func(tx *store.Tx) (err error) {
					rvs, err = tx.Reviews(ctx, w.c.ID)
					return err
				})
				if len(rvs) != 1 || rvs[0].PlanID != w.plan.ID || len(rvs[0].Evaluation) != 2 ||
					rvs[0].Evaluation[0].Effectiveness != followup.Effective || rvs[0].Participation != "met her at school" {
					t.Errorf("stored reviews %+v", rvs)
				}
				// A second review with revise ticked while a draft exists starts no other.
				in = w.reviewInput()
				in.Revise, in.PlanChanges = true, "more"
				in.RiskLevel, in.RiskReason = profile.Medium, "things settled"
				if _, err := w.review(w.cw, in, at.Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
				if n := len(w.plans()); n != 2 {
					t.Errorf("%d plans after a second revise, want 2", n)
				}
				if c := w.caseNow(); c.RiskLevel != in.RiskLevel {
					t.Errorf("risk after the review %s, want %s", c.RiskLevel, in.RiskLevel)
				}
			})
		}
	})
}

// TestReviewRefusals: no review without an active plan; every objective is
// evaluated; the child's participation is described; version and access
// are checked.
func TestReviewRefusals(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		bare := newWorld(t, db, nil, profile.Medium)
		c := bare.caseNow()
		_, err := bare.review(bare.cw, followup.ReviewInput{Trigger: "scheduled", ChildParticipated: true,
			Participation: "x", RiskLevel: c.RiskLevel, Version: c.Version}, now)
		if !cmp.Equal(fieldCodes(err), []string{"evaluation=err.review_no_plan"}) {
			t.Errorf("without an active plan: %v", err)
		}

		w := newWorld(t, db, bare.o, profile.Medium).withPlan()
		at := now.Add(time.Hour)
		for _, tc := range []struct {
			name string
			edit func(*followup.ReviewInput)
			want []string
		}{
			{"objective left out", func(in *followup.ReviewInput) { in.Evaluation = in.Evaluation[:1] },
				[]string{"evaluation=err.review_every_objective"}},
			{"objective twice", func(in *followup.ReviewInput) { in.Evaluation[1].ObjectiveID = in.Evaluation[0].ObjectiveID },
				[]string{"evaluation.1.objective_id=err.followup_objective", "evaluation=err.review_every_objective"}},
			{"no effectiveness", func(in *followup.ReviewInput) { in.Evaluation[0].Effectiveness = "" },
				[]string{"evaluation.0.effectiveness=err.choose"}},
			{"no status", func(in *followup.ReviewInput) { in.Evaluation[1].Status = "" },
				[]string{"evaluation.1.status=err.choose"}},
			{"how the child took part", func(in *followup.ReviewInput) { in.Participation = "" },
				[]string{"participation=err.review_participation_how"}},
			{"why the child did not", func(in *followup.ReviewInput) { in.ChildParticipated, in.Participation = false, "" },
				[]string{"participation=err.review_participation_why"}},
			{"revise without changes", func(in *followup.ReviewInput) { in.Revise = true },
				[]string{"plan_changes=err.review_plan_changes"}},
			{"no trigger", func(in *followup.ReviewInput) { in.Trigger = "" }, []string{"trigger=err.choose"}},
			{"in the future", func(in *followup.ReviewInput) { in.ReviewedOn = "2030-01-01" }, []string{"reviewed_on=err.future"}},
			{"new risk without a reason", func(in *followup.ReviewInput) { in.RiskLevel = profile.High },
				[]string{"risk_reason=err.risk_reason"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := w.reviewInput()
				tc.edit(&in)
				_, err := w.review(w.cw, in, at)
				if got := fieldCodes(err); !cmp.Equal(got, tc.want) {
					t.Errorf("errors %v, want %v (err %v)", got, tc.want, err)
				}
			})
		}
		stale := w.reviewInput()
		stale.Version++
		var ce *errs.ConflictError
		if _, err := w.review(w.cw, stale, at); !errors.As(err, &ce) {
			t.Errorf("stale version: %v, want a conflict", err)
		}
		for _, tc := range []struct {
			name string
			a    access.Actor
			kind errs.Kind
		}{
			{"manager", fixture.Actor(w.o.Manager), errs.Forbidden},
			{"another team's caseworker", fixture.Actor(w.o.CaseworkerB), errs.NotFound},
			{"another team's supervisor", fixture.Actor(w.o.SupervisorB), errs.NotFound},
		} {
			_, err := w.review(tc.a, w.reviewInput(), at)
			var de *errs.DeniedError
			if !errors.As(err, &de) || errs.KindOf(err) != tc.kind {
				t.Errorf("%s: %v, want denied (%v)", tc.name, err, tc.kind)
			}
		}
		if n := w.done(deadline.Review); n != 0 {
			t.Errorf("refused reviews completed %d deadlines", n)
		}
	})
}

// TestFollowUpUnsafeTellsSupervisor: a follow-up that finds the child unsafe
// notifies the team's supervisors (and no one else); concerns alone do not.
func TestFollowUpUnsafeTellsSupervisor(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, nil, profile.Medium).withPlan()
		kinds := func(u string) map[notify.Kind]int {
			out := map[notify.Kind]int{}
			fixture.Read(t, db, func(tx *store.Tx) error {
				ns, err := tx.Notifications(ctx, u, 100)
				for _, n := range ns {
					out[n.Kind]++
				}
				return err
			})
			return out
		}
		in := w.input()
		in.Safety, in.SafetyNotes = followup.Concerns, "she hesitates to go home"
		w.mustRecord(in, now.Add(24*time.Hour))
		if n := kinds(w.o.Supervisor.ID)[notify.Unsafe]; n != 0 {
			t.Errorf("concerns alone sent %d unsafe notifications", n)
		}
		in = w.input()
		in.Safety, in.SafetyNotes = followup.Unsafe, "bruises; the uncle is back"
		w.mustRecord(in, now.Add(48*time.Hour))
		if n := kinds(w.o.Supervisor.ID)[notify.Unsafe]; n != 1 {
			t.Errorf("supervisor has %d unsafe notifications, want 1", n)
		}
		for _, u := range []string{w.o.Caseworker.ID, w.o.SupervisorB.ID} {
			if n := kinds(u)[notify.Unsafe]; n != 0 {
				t.Errorf("user %s got %d unsafe notifications", u, n)
			}
		}
	})
}
