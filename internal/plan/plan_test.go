package plan_test

import (
	"context"
	"errors"
	"sort"
	"strings"
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
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	ctx  = context.Background()
	now  = fixture.Now
	prof = profile.Default()
	day  = 24 * time.Hour
)

// world is one case of organisation o's caseworker, with the consent gate
// open by the supervisor's override.
type world struct {
	t     *testing.T
	db    *store.DB
	o     *fixture.Org
	cw    access.Actor
	sup   access.Actor
	c     *cases.Case
	needs []assessment.Need
}

func newWorld(t *testing.T, db *store.DB, o *fixture.Org) *world {
	t.Helper()
	w := &world{t: t, db: db, o: o, cw: fixture.Actor(o.Caseworker), sup: fixture.Actor(o.Supervisor)}
	w.c = fixture.Register(t, db, w.cw, fixture.Registration(profile.CP), now)
	fixture.In(t, db, func(tx *store.Tx) error {
		_, err := consent.AddOverride(ctx, tx, prof, w.sup, w.c.ID, consent.OverrideInput{Scope: prof.GateScope(),
			Basis: "best_interests", Reason: "the child's safety comes first here"}, now)
		return err
	})
	return w
}

// assessed records an assessment with two needs that sets risk level risk.
func (w *world) assessed(risk string) *world {
	w.t.Helper()
	fixture.In(w.t, w.db, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, w.c.ID)
		if err != nil {
			return err
		}
		if _, err := assessment.Record(ctx, tx, prof, w.cw, c.ID, assessment.Input{Kind: assessment.Initial,
			InterviewedChild: true, RiskLevel: risk, RiskReason: "assessed",
			Needs: []assessment.NeedInput{
				{Domain: "safety", Description: "alone at night", Met: assessment.MetNot, Priority: "high"},
				{Domain: "education", Description: "out of school", Met: assessment.MetNot, Priority: "medium"}},
			Version: c.Version}, now); err != nil {
			return err
		}
		w.needs, err = tx.Needs(ctx, c.ID)
		return err
	})
	return w
}

// input is a valid plan: two objectives, an action for the second, a
// referral for none, and a gap.
func (w *world) input() plan.Input {
	due := now.AddDate(0, 2, 0).Format(time.DateOnly)
	return plan.Input{MeetingOn: "2025-03-10", Participants: []plan.Participant{{Role: "child", Name: "A."}, {}, {Role: "caregiver"}},
		ChildViews: "wants to go back to school", Notes: " met at the office ",
		Objectives: []plan.ObjectiveInput{
			{NeedID: w.needs[0].ID, Description: "a safe adult at night", Measure: "aunt stays over 7 nights a week", DueOn: due},
			{}, // a blank row is skipped
			{NeedID: w.needs[1].ID, Description: "back in school", Measure: "attends 4 days a week", DueOn: due}},
		Actions: []plan.ActionInput{
			{Objective: 3, What: "enrol her", Who: "caseworker", DueOn: "2025-03-20", Horizon: "short"},
			{What: "refer to the clinic", Kind: "referral", Who: "provider", WhoName: "Clinic 4", DueOn: "2025-03-12", Horizon: "immediate"}},
		Gaps: []plan.GapInput{{NeedID: w.needs[1].ID, Description: "no school uniform support"}},
	}
}

func (w *world) save(a access.Actor, in plan.Input, at time.Time) (*plan.Plan, error) {
	return w.saveP(prof, a, in, at)
}

func (w *world) saveP(p *profile.Profile, a access.Actor, in plan.Input, at time.Time) (*plan.Plan, error) {
	var pl *plan.Plan
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		pl, err = plan.Save(ctx, tx, p, a, w.c.ID, in, at)
		return err
	})
	return pl, err
}

func (w *world) submit(p *profile.Profile, a access.Actor, pl *plan.Plan, at time.Time) (*plan.Plan, error) {
	var out *plan.Plan
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		out, err = plan.Submit(ctx, tx, p, a, w.c.ID, pl.ID, pl.Version, at)
		return err
	})
	return out, err
}

func (w *world) approve(a access.Actor, pl *plan.Plan, at time.Time) (*plan.Plan, error) {
	var out *plan.Plan
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		out, err = plan.Approve(ctx, tx, prof, a, w.c.ID, pl.ID, pl.Version, at)
		return err
	})
	return out, err
}

func (w *world) giveBack(a access.Actor, pl *plan.Plan, comments string, at time.Time) (*plan.Plan, error) {
	var out *plan.Plan
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		out, err = plan.Return(ctx, tx, prof, a, w.c.ID, pl.ID, pl.Version, comments, at)
		return err
	})
	return out, err
}

func (w *world) revise(a access.Actor, at time.Time) (*plan.Plan, error) {
	var out *plan.Plan
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		out, err = plan.Revise(ctx, tx, prof, a, w.c.ID, at)
		return err
	})
	return out, err
}

// must fails the test on err and returns pl.
func (w *world) must(pl *plan.Plan, err error) *plan.Plan {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	return pl
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

func (w *world) plan(id string) *plan.Plan {
	w.t.Helper()
	for _, p := range w.plans() {
		if p.ID == id {
			return &p
		}
	}
	w.t.Fatalf("no plan %s", id)
	return nil
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

func (w *world) deadlines(k deadline.Kind) []deadline.Deadline {
	w.t.Helper()
	var ds []deadline.Deadline
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		ds, err = tx.CaseDeadlines(ctx, w.c.ID)
		return err
	})
	var out []deadline.Deadline
	for _, d := range ds {
		if d.Kind == k {
			out = append(out, d)
		}
	}
	return out
}

func (w *world) openDeadlines(k deadline.Kind) []deadline.Deadline {
	var out []deadline.Deadline
	for _, d := range w.deadlines(k) {
		if d.Open() {
			out = append(out, d)
		}
	}
	return out
}

func (w *world) notices(u *org.User, k notify.Kind) int {
	w.t.Helper()
	n := 0
	fixture.Read(w.t, w.db, func(tx *store.Tx) error {
		ns, err := tx.Notifications(ctx, u.ID, 100)
		for _, x := range ns {
			if x.CaseID == w.c.ID && x.Kind == k {
				n++
			}
		}
		return err
	})
	return n
}

func (w *world) stepHistory() []cases.StepChange {
	w.t.Helper()
	var out []cases.StepChange
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		out, err = tx.StepHistory(ctx, w.c.ID)
		return err
	})
	return out
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

func denied(err error, kind errs.Kind) bool {
	var de *errs.DeniedError
	return errors.As(err, &de) && errs.KindOf(err) == kind
}

func conflict(err error) bool {
	var ce *errs.ConflictError
	return errors.As(err, &ce)
}

// TestSave: a plan needs the assessment's needs; every objective is tied
// to one of them and is SMART; errors name their field; nothing is written
// on refusal; edits are versioned; one plan is prepared at a time.
func TestSave(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		bare := newWorld(t, db, o)
		if _, err := bare.save(bare.cw, plan.Input{Objectives: []plan.ObjectiveInput{{NeedID: "x", Description: "x",
			Measure: "x", DueOn: "2025-04-01"}}}, now); !cmp.Equal(fieldCodes(err), []string{"objectives=err.assess_first"}) {
			t.Errorf("before the assessment: %v", err)
		}
		other := newWorld(t, db, o).assessed(profile.Medium)
		w := newWorld(t, db, o).assessed(profile.Medium)
		for _, tc := range []struct {
			name string
			edit func(*plan.Input)
			want []string
		}{
			{"no objectives", func(in *plan.Input) { in.Objectives, in.Actions = nil, nil }, []string{"objectives=err.objectives_required"}},
			{"only blank objective rows", func(in *plan.Input) { in.Objectives, in.Actions = []plan.ObjectiveInput{{}, {DueOn: " "}}, nil },
				[]string{"objectives=err.objectives_required"}},
			{"another case's need", func(in *plan.Input) { in.Objectives[0].NeedID = other.needs[0].ID },
				[]string{"objectives.0.need_id=err.objective_need"}},
			{"no need", func(in *plan.Input) { in.Objectives[2].NeedID = "" }, []string{"objectives.2.need_id=err.objective_need"}},
			{"no description", func(in *plan.Input) { in.Objectives[0].Description = " " }, []string{"objectives.0.description=err.required"}},
			{"no measure", func(in *plan.Input) { in.Objectives[0].Measure = "" }, []string{"objectives.0.measure=err.objective_measure"}},
			{"measure too long", func(in *plan.Input) { in.Objectives[0].Measure = strings.Repeat("x", 4001) },
				[]string{"objectives.0.measure=err.objective_measure"}},
			{"no due date", func(in *plan.Input) { in.Objectives[0].DueOn = "" }, []string{"objectives.0.due_on=err.required"}},
			{"due date not a date", func(in *plan.Input) { in.Objectives[0].DueOn = "in May" }, []string{"objectives.0.due_on=err.date"}},
			{"due date in the past", func(in *plan.Input) { in.Objectives[2].DueOn = "2025-03-09" }, []string{"objectives.2.due_on=err.past"}},
			{"meeting in the future", func(in *plan.Input) { in.MeetingOn = "2025-03-11" }, []string{"meeting_on=err.future"}},
			{"meeting not a date", func(in *plan.Input) { in.MeetingOn = "Monday" }, []string{"meeting_on=err.date"}},
			{"unknown participant role", func(in *plan.Input) { in.Participants[2].Role = "mayor" }, []string{"participants.2.role=err.choose"}},
			{"notes too long", func(in *plan.Input) { in.Notes = strings.Repeat("x", 4001) }, []string{"notes=err.too_long"}},
			{"action without what", func(in *plan.Input) { in.Actions[0].What = "" }, []string{"actions.0.what=err.required"}},
			{"action by nobody known", func(in *plan.Input) { in.Actions[1].Who = "someone" }, []string{"actions.1.who=err.choose"}},
			{"action without horizon", func(in *plan.Input) { in.Actions[0].Horizon = "" }, []string{"actions.0.horizon=err.choose"}},
			{"action of an unknown kind", func(in *plan.Input) { in.Actions[0].Kind = "magic" }, []string{"actions.0.kind=err.choose"}},
			{"action without when", func(in *plan.Input) { in.Actions[0].DueOn = "" }, []string{"actions.0.due_on=err.required"}},
			{"action for a blank objective row", func(in *plan.Input) { in.Actions[0].Objective = 2 }, []string{"actions.0.objective=err.choose"}},
			{"action for no such objective", func(in *plan.Input) { in.Actions[0].Objective = 4 }, []string{"actions.0.objective=err.choose"}},
			{"gap for another case's need", func(in *plan.Input) { in.Gaps[0].NeedID = other.needs[1].ID }, []string{"gaps.0.need_id=err.choose"}},
			{"gap without description", func(in *plan.Input) { in.Gaps[0].Description = "" }, []string{"gaps.0.description=err.required"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := w.input()
				tc.edit(&in)
				_, err := w.save(w.cw, in, now)
				if !errors.Is(err, errs.ErrInvalid) {
					t.Errorf("err %v, want invalid input", err)
				}
				if diff := cmp.Diff(tc.want, fieldCodes(err)); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
			})
		}
		for _, tc := range []struct {
			name string
			u    *org.User
			kind errs.Kind
		}{
			{"manager", o.Manager, errs.Forbidden},
			{"another caseworker of the team", o.Caseworker2, errs.NotFound},
			{"another agency's caseworker", o.OtherCaseworker, errs.NotFound},
		} {
			if _, err := w.save(fixture.Actor(tc.u), w.input(), now); !denied(err, tc.kind) {
				t.Errorf("%s: %v, want denied (%v)", tc.name, err, tc.kind)
			}
		}
		if ps := w.plans(); len(ps) != 0 {
			t.Fatalf("refused plans were written: %+v", ps)
		}

		// Saved: a draft, its items stored and linked (an objective may be due today).
		in := w.input()
		in.Objectives[2].DueOn = prof.Today(now)
		pl := w.must(w.save(w.cw, in, now))
		ps := w.plans()
		if len(ps) != 1 || plan.InPreparation(ps) == nil || plan.InPreparation(ps).ID != pl.ID || plan.ActiveOf(ps) != nil {
			t.Fatalf("plans %+v", ps)
		}
		got := ps[0]
		if got.Status != plan.Draft || got.Number != 1 || got.Version != 1 || got.CreatedBy != o.Caseworker.ID ||
			got.Notes != "met at the office" || !cmp.Equal(got.Participants, []plan.Participant{{Role: "child", Name: "A."}, {Role: "caregiver"}}) {
			t.Errorf("stored plan %+v", got)
		}
		if len(got.Objectives) != 2 || got.Objectives[0].NeedID != w.needs[0].ID || got.Objectives[1].NeedID != w.needs[1].ID ||
			got.Objectives[1].Position != 2 || got.Objectives[0].Status != plan.NotStarted {
			t.Errorf("objectives %+v", got.Objectives)
		}
		if len(got.Actions) != 2 || got.Actions[0].ObjectiveID != got.Objectives[1].ID || got.Actions[0].Kind != "direct" ||
			got.Actions[0].Status != plan.Planned || got.Actions[1].ObjectiveID != "" || got.Actions[1].Kind != "referral" {
			t.Errorf("actions %+v", got.Actions)
		}
		if len(got.Gaps) != 1 || got.Gaps[0].NeedID != w.needs[1].ID {
			t.Errorf("gaps %+v", got.Gaps)
		}

		// Edited at its version; a stale edit is a conflict and changes nothing.
		in = w.input()
		in.Objectives, in.Actions, in.Version = in.Objectives[:1], nil, pl.Version
		edited := w.must(w.save(w.cw, in, now.Add(time.Hour)))
		if edited.ID != pl.ID || edited.Version != 2 || len(edited.Objectives) != 1 {
			t.Errorf("edited plan %+v", edited)
		}
		stale := w.input()
		stale.Version = pl.Version
		if _, err := w.save(w.cw, stale, now.Add(2*time.Hour)); !conflict(err) {
			t.Errorf("stale edit: %v, want a conflict", err)
		}
		// A second plan is not started while one is in preparation.
		fresh := w.input()
		fresh.Version = 0
		if _, err := w.save(w.cw, fresh, now.Add(2*time.Hour)); !conflict(err) {
			t.Errorf("a new plan beside the draft: %v, want a conflict", err)
		}
		if ps := w.plans(); len(ps) != 1 || ps[0].Version != 2 || len(ps[0].Objectives) != 1 || len(ps[0].Actions) != 0 {
			t.Errorf("plans after refused edits %+v", ps)
		}
		// The supervisor works on the plan too.
		in.Version = 2
		if _, err := w.save(w.sup, in, now.Add(3*time.Hour)); err != nil {
			t.Errorf("supervisor: %v", err)
		}

		// Consent withdrawn from the gate: no more planning.
		fixture.In(t, db, func(tx *store.Tx) error {
			ovs, err := tx.Overrides(ctx, w.c.ID)
			if err != nil {
				return err
			}
			return consent.RevokeOverride(ctx, tx, w.sup, w.c.ID, ovs[0].ID, now.Add(4*time.Hour))
		})
		in.Version = 3
		if _, err := w.save(w.cw, in, now.Add(5*time.Hour)); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
			t.Errorf("without consent: %v", err)
		}
		if ps := w.plans(); ps[0].Version != 3 {
			t.Errorf("plan version %d after the gate shut, want 3", ps[0].Version)
		}
	})
}

// checkActive checks what activation at anchor did, by the profile's
// timelines for risk: the case is at implementation, and the first-action,
// follow-up and review deadlines run from anchor (none where the level has
// no such timeline).
func checkActive(t *testing.T, w *world, risk string, by *org.User, anchor time.Time) {
	t.Helper()
	c := w.caseNow()
	if c.Step != cases.StepImplementation {
		t.Errorf("step %s, want implementation", c.Step)
	}
	if h := w.stepHistory(); !cmp.Equal(h[0], cases.StepChange{ID: h[0].ID, CaseID: c.ID, From: cases.StepCasePlan,
		To: cases.StepImplementation, Reason: "plan active", ChangedBy: by.ID, ChangedAt: anchor}) {
		t.Errorf("step change %+v", h[0])
	}
	var next time.Time
	for _, k := range []struct {
		kind deadline.Kind
		tl   profile.ByRisk
	}{{deadline.FirstAction, prof.Timelines.FirstAction}, {deadline.FollowUp, prof.Timelines.FollowUp},
		{deadline.Review, prof.Timelines.Review}} {
		ds := w.openDeadlines(k.kind)
		d, ok := k.tl.For(risk)
		if !ok {
			if len(ds) != 0 {
				t.Errorf("%s deadlines %+v at %s, which has no such timeline", k.kind, ds, risk)
			}
			continue
		}
		if len(ds) != 1 || !ds[0].AnchorAt.Equal(anchor) || !ds[0].DueAt.Equal(anchor.Add(d)) || ds[0].AssigneeID != w.c.CaseworkerID {
			t.Errorf("%s deadlines %+v, want one due %v", k.kind, ds, anchor.Add(d))
			continue
		}
		if next.IsZero() || ds[0].DueAt.Before(next) {
			next = ds[0].DueAt
		}
	}
	if pa := w.openDeadlines(deadline.PlanApproval); len(pa) != 0 {
		t.Errorf("approval still open %+v", pa)
	}
	if !next.IsZero() && c.NextDueAt.After(next) {
		t.Errorf("next due %v, after the plan's %v", c.NextDueAt, next)
	}
}

// TestSubmit: at the risk levels of the profile's plan_approval_risk_levels a
// submitted plan waits for the supervisor, who approves it or returns it with
// comments; at the others it is active at once. Activation moves the case to
// implementation and opens its deadlines by the profile's timelines.
func TestSubmit(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		for _, level := range prof.RiskLevels {
			risk := level.Key
			t.Run(risk, func(t *testing.T) {
				w := newWorld(t, db, o).assessed(risk)
				cp := w.openDeadlines(deadline.CasePlan)
				at1 := now.Add(day)
				pl := w.must(w.save(w.cw, w.input(), at1))
				pl = w.must(w.submit(prof, w.cw, pl, at1))
				// The plan is delivered: the case-plan deadline is met.
				if len(cp) > 0 {
					if d := w.deadlines(deadline.CasePlan); len(d) != 1 || !d[0].DoneAt.Equal(at1) {
						t.Errorf("case plan deadline %+v, want done at %v", d, at1)
					}
				}
				if !prof.NeedsPlanApproval(risk) {
					if pl.Status != plan.Active || !pl.ActivatedAt.Equal(at1) || pl.DecidedBy != "" {
						t.Errorf("plan at %s: %+v, want active at once", risk, pl)
					}
					if n := w.notices(o.Supervisor, notify.PlanSubmitted); n != 0 || len(w.deadlines(deadline.PlanApproval)) != 0 {
						t.Errorf("the supervisor was asked to approve (%d notices)", n)
					}
					if _, err := w.approve(w.sup, pl, at1); !cmp.Equal(fieldCodes(err), []string{"plan=err.plan_not_submitted"}) {
						t.Errorf("approve an active plan: %v", err)
					}
					checkActive(t, w, risk, o.Caseworker, at1)
					return
				}

				// Waiting for the supervisor.
				if pl.Status != plan.Submitted || !pl.SubmittedAt.Equal(at1) {
					t.Fatalf("plan at %s: %+v, want submitted", risk, pl)
				}
				pa := w.openDeadlines(deadline.PlanApproval)
				if len(pa) != 1 || pa[0].AssigneeID != o.Supervisor.ID || !pa[0].DueAt.Equal(at1.Add(prof.ApprovalWithin.D())) {
					t.Errorf("approval deadlines %+v, want one for the team's supervisor", pa)
				}
				if n := w.notices(o.Supervisor, notify.PlanSubmitted); n != 1 {
					t.Errorf("the supervisor got %d notices, want 1", n)
				}
				for _, u := range []*org.User{o.SupervisorB, o.Caseworker, o.Manager} {
					if n := w.notices(u, notify.PlanSubmitted); n != 0 {
						t.Errorf("%s was told of the submission", u.Username)
					}
				}
				if c := w.caseNow(); c.Step != cases.StepCasePlan || len(w.deadlines(deadline.FollowUp)) != 0 || len(w.deadlines(deadline.FirstAction)) != 0 {
					t.Errorf("a plan waiting for approval moved the case on: step %s", c.Step)
				}
				in := w.input()
				in.Version = pl.Version
				if _, err := w.save(w.cw, in, at1); !cmp.Equal(fieldCodes(err), []string{"plan=err.plan_submitted"}) {
					t.Errorf("edit while submitted: %v", err)
				}
				if _, err := w.submit(prof, w.cw, pl, at1); !cmp.Equal(fieldCodes(err), []string{"plan=err.plan_not_draft"}) {
					t.Errorf("submit twice: %v", err)
				}

				// Only the case's supervisor decides.
				for _, tc := range []struct {
					name string
					u    *org.User
					kind errs.Kind
				}{
					{"caseworker", o.Caseworker, errs.Forbidden},
					{"manager", o.Manager, errs.Forbidden},
					{"another team's supervisor", o.SupervisorB, errs.NotFound},
					{"another agency's supervisor", o.OtherSupervisor, errs.NotFound},
				} {
					a := fixture.Actor(tc.u)
					if _, err := w.approve(a, pl, at1); !denied(err, tc.kind) {
						t.Errorf("approve by %s: %v, want denied (%v)", tc.name, err, tc.kind)
					}
					if _, err := w.giveBack(a, pl, "redo it", at1); !denied(err, tc.kind) {
						t.Errorf("return by %s: %v, want denied (%v)", tc.name, err, tc.kind)
					}
				}
				if _, err := w.giveBack(w.sup, pl, "  ", at1); !cmp.Equal(fieldCodes(err), []string{"return_comments=err.return_comments"}) {
					t.Errorf("return without comments: %v", err)
				}
				stale := *pl
				stale.Version--
				if _, err := w.giveBack(w.sup, &stale, "redo it", at1); !conflict(err) {
					t.Errorf("stale return: %v, want a conflict", err)
				}
				if got := w.plan(pl.ID); got.Status != plan.Submitted || got.Version != pl.Version {
					t.Errorf("refused decisions changed the plan: %+v", got)
				}

				// Returned with comments.
				at2 := at1.Add(time.Hour)
				pl = w.must(w.giveBack(w.sup, pl, " add the school objective's steps ", at2))
				if got := w.plan(pl.ID); got.Status != plan.Returned || got.ReturnComments != "add the school objective's steps" ||
					got.DecidedBy != o.Supervisor.ID || !got.DecidedAt.Equal(at2) {
					t.Errorf("returned plan %+v", got)
				}
				if pa := w.deadlines(deadline.PlanApproval); len(pa) != 1 || !pa[0].DoneAt.Equal(at2) {
					t.Errorf("approval after the return %+v, want done", pa)
				}
				// The caseworker has the plan to finish again, on the case-plan timeline.
				if d, _ := prof.Timelines.CasePlan.For(risk); len(w.openDeadlines(deadline.CasePlan)) != 1 ||
					!w.openDeadlines(deadline.CasePlan)[0].DueAt.Equal(at2.Add(d)) {
					t.Errorf("case-plan deadlines after the return %+v, want one from %v", w.openDeadlines(deadline.CasePlan), at2)
				}
				if n := w.notices(o.Caseworker, notify.PlanReturned); n != 1 {
					t.Errorf("the caseworker got %d return notices", n)
				}
				if _, err := w.approve(w.sup, pl, at2); !cmp.Equal(fieldCodes(err), []string{"plan=err.plan_not_submitted"}) {
					t.Errorf("approve a returned plan: %v", err)
				}
				if _, err := w.submit(prof, w.cw, pl, at2); !cmp.Equal(fieldCodes(err), []string{"plan=err.plan_not_draft"}) {
					t.Errorf("resubmit without editing: %v", err)
				}

				// Edited, sent again, approved.
				at3 := at2.Add(time.Hour)
				in = w.input()
				in.Version = pl.Version
				pl = w.must(w.save(w.cw, in, at3))
				if pl.Status != plan.Draft {
					t.Errorf("edited returned plan %s, want draft", pl.Status)
				}
				pl = w.must(w.submit(prof, w.cw, pl, at3))
				if pa := w.openDeadlines(deadline.PlanApproval); pl.Status != plan.Submitted || len(pa) != 1 ||
					!pa[0].DueAt.Equal(at3.Add(prof.ApprovalWithin.D())) {
					t.Errorf("resubmitted: %s, approval %+v", pl.Status, pa)
				}
				if n := w.notices(o.Supervisor, notify.PlanSubmitted); n != 2 {
					t.Errorf("the supervisor got %d submission notices, want 2", n)
				}
				at4 := at3.Add(time.Hour)
				pl = w.must(w.approve(w.sup, pl, at4))
				if pl.Status != plan.Active || pl.DecidedBy != o.Supervisor.ID || !pl.ActivatedAt.Equal(at4) {
					t.Errorf("approved plan %+v", pl)
				}
				if n := w.notices(o.Caseworker, notify.PlanApproved); n != 1 {
					t.Errorf("the caseworker got %d approval notices", n)
				}
				checkActive(t, w, risk, o.Supervisor, at4)
			})
		}

		// The rule is the profile's: with approval for medium risk only, a
		// medium-risk plan waits and a high-risk one does not.
		pMed, err := profile.Parse("approval.yaml", []byte("plan_approval_risk_levels: [medium]\n"))
		if err != nil {
			t.Fatal(err)
		}
		for risk, want := range map[string]string{profile.Medium: plan.Submitted, profile.High: plan.Active} {
			w := newWorld(t, db, o).assessed(risk)
			pl := w.must(w.saveP(pMed, w.cw, w.input(), now))
			if pl = w.must(w.submit(pMed, w.cw, pl, now)); pl.Status != want {
				t.Errorf("%s risk under the custom profile: %s, want %s", risk, pl.Status, want)
			}
		}
	})
}

// TestRevise: a new draft from the active plan, which stays in force until
// the new one is active; revising takes the case back to case planning with
// its deadline; activation supersedes the old plan, moves the case on to
// implementation and reschedules the review, leaving the first action and
// the follow-up as they are.
func TestRevise(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		if prof.NeedsPlanApproval(profile.Low) {
			t.Fatal("the test expects low-risk plans to need no approval")
		}
		w := newWorld(t, db, o).assessed(profile.Low)
		if _, err := w.revise(w.cw, now); !cmp.Equal(fieldCodes(err), []string{"plan=err.no_active_plan"}) {
			t.Errorf("revise without a plan: %v", err)
		}
		first := w.must(w.save(w.cw, w.input(), now))
		if _, err := w.revise(w.cw, now); !cmp.Equal(fieldCodes(err), []string{"plan=err.plan_in_preparation"}) {
			t.Errorf("revise beside a draft: %v", err)
		}
		first = w.must(w.submit(prof, w.cw, first, now))
		fixture.In(t, db, func(tx *store.Tx) error {
			if err := tx.SetActionStatus(ctx, first.ID, first.Actions[1].ID, plan.Done); err != nil {
				return err
			}
			return tx.SetObjectiveStatus(ctx, first.ID, first.Objectives[1].ID, plan.InProgress)
		})
		steps := len(w.stepHistory())

		if _, err := w.revise(fixture.Actor(o.Manager), now); !denied(err, errs.Forbidden) {
			t.Errorf("revise by the manager: %v", err)
		}
		t1 := now.Add(10 * day)
		rev := w.must(w.revise(w.cw, t1))
		ps := w.plans()
		if len(ps) != 2 || plan.ActiveOf(ps).ID != first.ID || plan.InPreparation(ps).ID != rev.ID {
			t.Fatalf("plans after revising %+v", ps)
		}
		if c := w.caseNow(); c.Step != cases.StepCasePlan || len(w.stepHistory()) != steps+1 {
			t.Errorf("after revising: step %s, %d step changes, want case_plan and %d", c.Step, len(w.stepHistory()), steps+1)
		}
		var openPlan []deadline.Deadline
		for _, d := range w.deadlines(deadline.CasePlan) {
			if d.Open() {
				openPlan = append(openPlan, d)
			}
		}
		if d, _ := prof.Timelines.CasePlan.For(profile.Low); len(openPlan) != 1 || !openPlan[0].DueAt.Equal(t1.Add(d)) {
			t.Errorf("open case-plan deadlines after revising %+v, want one due %v after %v", openPlan, d, t1)
		}
		got := w.plan(rev.ID)
		if got.Status != plan.Draft || got.Number != 2 || got.Version != 1 || got.ChildViews != first.ChildViews {
			t.Errorf("revision %+v", got)
		}
		var objs []string
		for _, ob := range got.Objectives {
			objs = append(objs, ob.NeedID+" "+ob.Description+" "+ob.DueOn+" "+ob.Status)
		}
		if want := []string{
			w.needs[0].ID + " a safe adult at night " + first.Objectives[0].DueOn + " " + plan.NotStarted,
			w.needs[1].ID + " back in school " + first.Objectives[1].DueOn + " " + plan.InProgress,
		}; !cmp.Equal(objs, want) {
			t.Errorf("revision's objectives %v, want %v", objs, want)
		}
		// The done referral is left out; the open action follows its objective.
		if len(got.Actions) != 1 || got.Actions[0].What != "enrol her" || got.Actions[0].ObjectiveID != got.Objectives[1].ID {
			t.Errorf("revision's actions %+v (objectives %+v)", got.Actions, got.Objectives)
		}
		if len(got.Gaps) != 1 || got.Gaps[0].Description != "no school uniform support" {
			t.Errorf("revision's gaps %+v", got.Gaps)
		}
		if _, err := w.revise(w.cw, t1); !cmp.Equal(fieldCodes(err), []string{"plan=err.plan_in_preparation"}) {
			t.Errorf("revise twice: %v", err)
		}

		// The revision activated: the first is superseded.
		in := w.input()
		in.Version = rev.Version
		in.Objectives = in.Objectives[:1]
		in.Actions = nil
		rev = w.must(w.save(w.cw, in, t1))
		t2 := t1.Add(day)
		rev = w.must(w.submit(prof, w.cw, rev, t2))
		ps = w.plans()
		if rev.Status != plan.Active || plan.ActiveOf(ps).ID != rev.ID || plan.InPreparation(ps) != nil ||
			w.plan(first.ID).Status != plan.Superseded {
			t.Errorf("after activating the revision: %+v", ps)
		}
		if c := w.caseNow(); c.Step != cases.StepImplementation || len(w.stepHistory()) != steps+2 {
			t.Errorf("after activating the revision: step %s, %d step changes, want implementation and %d", c.Step,
				len(w.stepHistory()), steps+2)
		}
		for _, d := range w.deadlines(deadline.CasePlan) {
			if d.Open() {
				t.Errorf("case-plan deadline still open after the revision is active: %+v", d)
			}
		}
		if fa := w.deadlines(deadline.FirstAction); len(fa) != 1 || !fa[0].AnchorAt.Equal(now) {
			t.Errorf("first-action deadlines %+v, want only the first plan's", fa)
		}
		if fu := w.deadlines(deadline.FollowUp); len(fu) != 1 || !fu[0].AnchorAt.Equal(now) {
			t.Errorf("follow-up deadlines %+v, want the first plan's, unmoved", fu)
		}
		rv := w.deadlines(deadline.Review)
		if d, _ := prof.Timelines.Review.For(profile.Low); len(rv) != 1 || !rv[0].Open() || !rv[0].AnchorAt.Equal(t2) || !rv[0].DueAt.Equal(t2.Add(d)) {
			t.Errorf("review deadlines %+v, want one from %v", rv, t2)
		}
	})
}

// TestActiveOfInPreparation: the active plan and the one in preparation
// (draft, returned or submitted) among a case's plans.
func TestActiveOfInPreparation(t *testing.T) {
	t.Parallel()
	mk := func(statuses ...string) []plan.Plan {
		var ps []plan.Plan
		for i, s := range statuses {
			ps = append(ps, plan.Plan{ID: s, Number: len(statuses) - i, Status: s})
		}
		return ps
	}
	for _, tc := range []struct {
		plans          []plan.Plan
		active, inPrep string
	}{
		{nil, "", ""},
		{mk(plan.Draft), "", plan.Draft},
		{mk(plan.Returned, plan.Active), plan.Active, plan.Returned},
		{mk(plan.Submitted, plan.Active, plan.Superseded), plan.Active, plan.Submitted},
		{mk(plan.Active, plan.Superseded), plan.Active, ""},
		{mk(plan.Superseded), "", ""},
	} {
		name := func(p *plan.Plan) string {
			if p == nil {
				return ""
			}
			return p.ID
		}
		if got := name(plan.ActiveOf(tc.plans)); got != tc.active {
			t.Errorf("ActiveOf(%v) = %q, want %q", tc.plans, got, tc.active)
		}
		if got := name(plan.InPreparation(tc.plans)); got != tc.inPrep {
			t.Errorf("InPreparation(%v) = %q, want %q", tc.plans, got, tc.inPrep)
		}
	}
	p := &plan.Plan{Status: plan.Returned, Objectives: []plan.Objective{{ID: "a"}, {ID: "b"}}}
	if !p.Open() || p.Objective("b") == nil || p.Objective("c") != nil {
		t.Errorf("Open/Objective of %+v", p)
	}
	for _, s := range []string{plan.Submitted, plan.Active, plan.Superseded} {
		if (&plan.Plan{Status: s}).Open() {
			t.Errorf("a %s plan is open for editing", s)
		}
	}
}
