package gen_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/gen"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// now is the fixed present of the generated data.
var now = time.Date(2026, 6, 15, 10, 30, 0, 0, time.UTC)

// allCases returns every case of db with status, through the agencies' caseloads.
func allCases(t *testing.T, db *store.DB, status string) []store.CaseRow {
	t.Helper()
	ctx := context.Background()
	var out []store.CaseRow
	err := db.Read(ctx, func(tx *store.Tx) error {
		agencies, err := tx.Agencies(ctx)
		if err != nil {
			return err
		}
		for _, a := range agencies {
			for off := 0; ; off += 200 {
				rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: access.Agency, ID: a.ID, Status: status, Offset: off, Limit: 200})
				if err != nil {
					return err
				}
				out = append(out, rows...)
				if len(rows) < 200 {
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func verify(t *testing.T, db *store.DB) int64 {
	t.Helper()
	v, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Fatalf("audit chain broken: %v", v.Problems)
	}
	return v.Count
}

func TestGenerate(t *testing.T) {
	const n = 2000
	p := profile.Default()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sum, err := gen.Generate(ctx, db, p, gen.Options{Cases: n, Seed: 7, Now: now, Batch: 700})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Cases != n || sum.Open != n*15/100 || sum.Prefix != "g1-" {
			t.Errorf("summary %+v: want %d cases, %d open, prefix g1-", sum, n, n*15/100)
		}
		if sum.Agencies < 3 {
			t.Errorf("%d agencies, want at least 3", sum.Agencies)
		}
		if events := verify(t, db); events != int64(sum.Events+sum.Agencies+sum.Teams+sum.Users) {
			t.Errorf("%d audit events, want one per case and per agency, team and user (%d)", events,
				sum.Events+sum.Agencies+sum.Teams+sum.Users)
		}
		open, closed := allCases(t, db, cases.Open), allCases(t, db, cases.Closed)
		if len(open) != sum.Open || len(open)+len(closed) != n {
			t.Fatalf("%d open and %d closed cases, want %d and %d", len(open), len(closed), sum.Open, n-sum.Open)
		}

		overdue, types, checked, reasons, postOpen, postOverdue := 0, map[string]int{}, 0, map[string]int{}, 0, 0
		steps := map[string]int{}
		err = db.Read(ctx, func(tx *store.Tx) error {
			rows := append(open, closed...)
			for i, row := range rows {
				c, err := tx.Case(ctx, row.ID)
				if err != nil {
					return err
				}
				l, err := loadLife(ctx, tx, c)
				if err != nil {
					return err
				}
				types[c.Type]++
				checked++
				checkCase(t, p, c, l)
				if c.IsOpen() {
					steps[c.Step]++
					if !c.NextDueAt.IsZero() && c.NextDueAt.Before(now) {
						overdue++
					}
				} else {
					reasons[c.ClosureReason]++
					if !c.NextDueAt.IsZero() {
						postOpen++
						if c.NextDueAt.Before(now) {
							postOverdue++
						}
					}
				}
				// The consent gate holds wherever family members were recorded,
				// as family.Add requires.
				if i%7 == 0 {
					st, err := consent.Load(ctx, tx, p, c, c.CreatedAt.Add(time.Hour))
					if err != nil {
						return err
					}
					if len(st.People) > 0 && !consent.Allows(st.Scopes, p.GateScope()) {
						t.Errorf("case %s: family recorded without consent to collect and store", c.Code)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("open cases by step %v, %d of %d overdue; closure reasons %v; post-closure follow-ups open %d (%d overdue)",
			steps, overdue, sum.Open, reasons, postOpen, postOverdue)
		if overdue != sum.Overdue || overdue < sum.Open/20 || overdue > sum.Open*2/5 {
			t.Errorf("%d open cases overdue (summary says %d), want some but not most of %d", overdue, sum.Overdue, sum.Open)
		}
		// Open cases spread over the steps: about 40% at assessment, 15% at
		// case planning, 20% each in implementation and follow-up, 5% waiting
		// for the closure to be approved.
		for step, share := range map[string]int{cases.StepAssessment: 40, cases.StepCasePlan: 15,
			cases.StepImplementation: 20, cases.StepFollowUp: 20, cases.StepClosure: 5} {
			lo, hi := sum.Open*share*6/1000, sum.Open*share*14/1000
			if got := steps[step]; got != sum.Steps[step] || got < max(1, lo) || got > hi {
				t.Errorf("%d open cases at step %s (summary says %d), want about %d%% of %d", got, step, sum.Steps[step],
					share, sum.Open)
			}
		}
		if len(reasons) < 4 || reasons[closure.ObjectivesMet] < checked/5 {
			t.Errorf("closure reasons %v: want most with objectives met, and others", reasons)
		}
		if postOpen == 0 || postOverdue == 0 || postOpen > (checked-sum.Open)/5 {
			t.Errorf("%d closed cases with the post-closure follow-up open (%d overdue): want a few, some overdue",
				postOpen, postOverdue)
		}
		if types[profile.CP] < checked*2/5 || types[profile.GBV] < checked/4 {
			t.Errorf("case types %v: want both CP and GBV in number", types)
		}

		// Every caseworker holds 15 to 25 open cases.
		err = db.Read(ctx, func(tx *store.Tx) error {
			users, err := tx.Users(ctx, "")
			if err != nil {
				return err
			}
			roles := map[org.Role]int{}
			for _, u := range users {
				roles[u.Role]++
				if u.Role != org.Caseworker {
					continue
				}
				k, err := tx.CountCases(ctx, store.CaseFilter{Scope: access.Own, ID: u.ID}, 100)
				if err != nil {
					return err
				}
				if k < 15 || k > 25 {
					t.Errorf("caseworker %s holds %d open cases, want 15-25", u.Username, k)
				}
			}
			for _, r := range org.Roles {
				if roles[r] == 0 {
					t.Errorf("no generated user has role %s", r)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		s, err := gen.Sample(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		checkSample(t, db, s)
	})
}

// life is a case's way through the steps as stored.
type life struct {
	sup         string // the supervisor of the case's team
	ds          []deadline.Deadline
	steps       []cases.StepChange // newest first
	assessments []assessment.Assessment
	plans       []plan.Plan
	followUps   []followup.FollowUp
	closures    []closure.Closure
	feedback    []closure.Feedback
}

func loadLife(ctx context.Context, tx *store.Tx, c *cases.Case) (*life, error) {
	l := &life{}
	sups, err := tx.TeamSupervisors(ctx, c.TeamID)
	if err != nil || len(sups) != 1 {
		return nil, fmt.Errorf("supervisors of %s: %v %w", c.Code, sups, err)
	}
	l.sup = sups[0]
	if l.ds, err = tx.CaseDeadlines(ctx, c.ID); err != nil {
		return nil, err
	}
	if l.steps, err = tx.StepHistory(ctx, c.ID); err != nil {
		return nil, err
	}
	if l.assessments, err = tx.Assessments(ctx, c.ID); err != nil {
		return nil, err
	}
	if l.plans, err = tx.Plans(ctx, c.ID); err != nil {
		return nil, err
	}
	if l.followUps, err = tx.FollowUps(ctx, c.ID); err != nil {
		return nil, err
	}
	if l.closures, err = tx.Closures(ctx, c.ID); err != nil {
		return nil, err
	}
	if l.feedback, err = tx.Feedbacks(ctx, c.ID); err != nil {
		return nil, err
	}
	return l, nil
}

// checkCase checks that c and its deadlines, step history, assessment,
// plan, follow-ups and closure are what the domain operations would have
// left.
func checkCase(t *testing.T, p *profile.Profile, c *cases.Case, l *life) {
	t.Helper()
	if c.Type == profile.CP && (c.AgeYears == nil || *c.AgeYears >= p.AdultAge) {
		t.Errorf("case %s: CP case of age %v", c.Code, c.AgeYears)
	}
	if want := c.CareStatus == cases.Separated || c.CareStatus == cases.Unaccompanied; c.Priority != want {
		t.Errorf("case %s: care status %q with priority %v", c.Code, c.CareStatus, c.Priority)
	}
	if c.CreatedAt.After(now) || c.RegisteredAt.After(c.CreatedAt) || c.ReferredAt.After(c.RegisteredAt) {
		t.Errorf("case %s: referred %v, registered %v, created %v, now %v", c.Code, c.ReferredAt, c.RegisteredAt, c.CreatedAt, now)
	}
	if got := c.RegisteredAt.In(p.Location()).Format(time.DateOnly); got != c.RegisteredOn {
		t.Errorf("case %s: registered on %s but at %v", c.Code, c.RegisteredOn, c.RegisteredAt)
	}

	// Deadlines belong to the caseworker, but for the supervisor's approvals
	// and the post-closure follow-up (the supervisor or a designee, never
	// the caseworker).
	byKind := map[deadline.Kind][]deadline.Deadline{}
	open := map[deadline.Kind]int{}
	for _, d := range l.ds {
		byKind[d.Kind] = append(byKind[d.Kind], d)
		if d.Open() {
			open[d.Kind]++
		} else if d.DoneBy != d.AssigneeID || d.DoneAt.After(now) || (d.DoneAt.Before(d.CreatedAt) && d.Kind != deadline.Registration) {
			t.Errorf("case %s: deadline %s done by %s at %v, created %v", c.Code, d.Kind, d.DoneBy, d.DoneAt, d.CreatedAt)
		}
		want := c.CaseworkerID
		switch d.Kind {
		case deadline.PlanApproval, deadline.ClosureApproval:
			want = l.sup
		case deadline.PostClosure:
			want = c.FollowUpBy
			if want == c.CaseworkerID || want == "" {
				t.Errorf("case %s: post-closure follow-up by %q, the caseworker is %s", c.Code, want, c.CaseworkerID)
			}
		}
		if d.AssigneeID != want || d.TeamID != c.TeamID || d.AgencyID != c.AgencyID {
			t.Errorf("case %s: deadline %s assigned to %s/%s/%s, want %s", c.Code, d.Kind, d.AssigneeID, d.TeamID, d.AgencyID, want)
		}
		if d.CreatedAt.Before(c.CreatedAt) || d.CreatedAt.After(now) {
			t.Errorf("case %s: deadline %s created %v", c.Code, d.Kind, d.CreatedAt)
		}
	}
	if reg := byKind[deadline.Registration]; len(reg) != 1 || reg[0].Open() || !reg[0].DoneAt.Equal(c.RegisteredAt) ||
		!reg[0].AnchorAt.Equal(c.ReferredAt) {
		t.Errorf("case %s: registration deadlines %+v, want one done at registration, from the referral", c.Code, reg)
	}
	as := byKind[deadline.Assessment]
	switch {
	case len(as) == 1 && as[0].AnchorAt.Equal(c.RegisteredAt):
	case len(as) == 0 && !c.IsOpen() && len(l.assessments) == 0:
		// Closed before any assessment: the closure deleted the open deadline.
	default:
		t.Fatalf("case %s: assessment deadlines %+v, want one from registration", c.Code, as)
	}
	openUrgent := open[deadline.UrgentResponse]
	if c.Urgent != (openUrgent == 1) || openUrgent > 1 {
		t.Errorf("case %s: urgent %v with %d open urgent-response deadlines", c.Code, c.Urgent, openUrgent)
	}
	if want := deadline.NextDue(l.ds); !c.NextDueAt.Equal(want) {
		t.Errorf("case %s: next due %v, want the earliest open deadline %v", c.Code, c.NextDueAt, want)
	}
	for k, n := range open {
		if n > 1 {
			t.Errorf("case %s: %d open %s deadlines", c.Code, n, k)
		}
	}

	// The step history runs from registration to the case's step.
	if len(l.steps) == 0 {
		t.Fatalf("case %s: no step history", c.Code)
	}
	first, last := l.steps[len(l.steps)-1], l.steps[0]
	if first.From != "" || first.To != cases.StepAssessment || !first.ChangedAt.Equal(c.CreatedAt) || last.To != c.Step {
		t.Errorf("case %s at step %s: step history from %+v to %+v", c.Code, c.Step, first, last)
	}
	for i := 0; i+1 < len(l.steps); i++ {
		if l.steps[i].From != l.steps[i+1].To || l.steps[i].ChangedAt.Before(l.steps[i+1].ChangedAt) {
			t.Errorf("case %s: step history %+v after %+v", c.Code, l.steps[i], l.steps[i+1])
		}
	}
	var active, preparing *plan.Plan
	for i := range l.plans {
		switch l.plans[i].Status {
		case plan.Active:
			active = &l.plans[i]
		case plan.Draft, plan.Submitted, plan.Returned:
			preparing = &l.plans[i]
		}
	}
	if active != nil && (len(active.Objectives) == 0 || len(active.Actions) == 0 || active.ActivatedAt.IsZero()) {
		t.Errorf("case %s: active plan %+v without objectives, actions or activation", c.Code, active)
	}
	if len(l.assessments) > 1 || (len(l.assessments) == 1 && len(l.assessments[0].Needs) == 0) {
		t.Errorf("case %s: assessments %+v, want at most one with its needs", c.Code, l.assessments)
	}
	assessed := len(l.assessments) == 1
	reached := func(step string) bool { // whether the case went through step
		for _, s := range l.steps {
			if s.To == step {
				return true
			}
		}
		return false
	}
	if assessed != reached(cases.StepCasePlan) || (active != nil) != reached(cases.StepImplementation) ||
		(len(l.followUps) > 0) != reached(cases.StepFollowUp) {
		t.Errorf("case %s: assessed %v, plan active %v, %d follow-ups, through steps %+v", c.Code, assessed, active != nil,
			len(l.followUps), l.steps)
	}
	if assessed && as != nil && len(as) == 1 && (as[0].Open() || !as[0].DoneAt.Equal(l.assessments[0].CreatedAt)) {
		t.Errorf("case %s: assessed %v, assessment deadline done %v", c.Code, l.assessments[0].CreatedAt, as[0].DoneAt)
	}
	doneFollowUps := len(byKind[deadline.FollowUp]) - open[deadline.FollowUp]
	if active != nil && doneFollowUps != len(l.followUps) {
		t.Errorf("case %s: %d follow-ups, %d follow-up deadlines done", c.Code, len(l.followUps), doneFollowUps)
	}

	if c.IsOpen() {
		if !c.ClosedAt.IsZero() || c.ClosureReason != "" || c.FollowUpBy != "" || len(byKind[deadline.PostClosure]) > 0 {
			t.Errorf("case %s: open, closed at %v for %q, post-closure by %q", c.Code, c.ClosedAt, c.ClosureReason, c.FollowUpBy)
		}
		// The step the case is at shows in its deadlines.
		switch c.Step {
		case cases.StepAssessment:
			if open[deadline.Assessment] != 1 || assessed || len(byKind[deadline.CasePlan]) > 0 || len(l.plans) > 0 {
				t.Errorf("case %s: waits for its assessment with deadlines %v, %d assessments, %d plans", c.Code, open,
					len(l.assessments), len(l.plans))
			}
			// An open assessment follows the case's current risk level, as after ChangeRisk.
			if due, _ := deadline.Due(p, deadline.Assessment, c.RiskLevel, c.RegisteredAt); !due.Equal(as[0].DueAt) {
				t.Errorf("case %s: assessment due %v, want %v for %s risk", c.Code, as[0].DueAt, due, c.RiskLevel)
			}
		case cases.StepCasePlan:
			waiting := preparing != nil && preparing.Status == plan.Submitted
			if !assessed || active != nil || len(byKind[deadline.CasePlan]) != 1 || open[deadline.CasePlan] == 1 == waiting ||
				open[deadline.PlanApproval] == 1 != waiting || len(byKind[deadline.FirstAction]) > 0 {
				t.Errorf("case %s: at case planning with deadlines %v, plan %+v", c.Code, open, preparing)
			}
		case cases.StepImplementation, cases.StepFollowUp, cases.StepClosure:
			if active == nil || open[deadline.CasePlan]+open[deadline.Assessment] > 0 || len(byKind[deadline.FirstAction]) != 1 ||
				open[deadline.FollowUp] != 1 || open[deadline.Review] != 1 {
				t.Errorf("case %s: at step %s with deadlines %v, plan %v", c.Code, c.Step, open, active != nil)
			}
			fu := byKind[deadline.FollowUp]
			if next := fu[len(fu)-1]; len(l.followUps) > 0 && (!next.Open() || !next.AnchorAt.Equal(l.followUps[0].CreatedAt)) {
				t.Errorf("case %s: next follow-up %+v, want it from the last one (%v)", c.Code, next, l.followUps[0].CreatedAt)
			}
			if c.Step == cases.StepImplementation && len(l.followUps) > 0 || c.Step != cases.StepImplementation && len(l.followUps) == 0 {
				t.Errorf("case %s: at step %s with %d follow-ups", c.Code, c.Step, len(l.followUps))
			}
			pending := len(l.closures) == 1 && l.closures[0].Status == closure.Proposed
			if (c.Step == cases.StepClosure) != pending || (c.Step == cases.StepClosure) != (open[deadline.ClosureApproval] == 1) {
				t.Errorf("case %s: at step %s with closures %+v and deadlines %v", c.Code, c.Step, l.closures, open)
			}
		default:
			t.Errorf("case %s: open at step %s", c.Code, c.Step)
		}
		return
	}

	// A closed case: closed by the supervisor on an approved proposal, with
	// nothing open but the post-closure follow-up within its window.
	window := p.PostClosureFollowUp.D()
	if c.Step != cases.StepClosure || c.ClosedAt.IsZero() || !c.ClosedAt.After(c.CreatedAt) || c.ClosedAt.After(now) ||
		c.FollowUpBy != l.sup {
		t.Errorf("case %s: closed at step %s at %v (created %v), post-closure by %s (supervisor %s)", c.Code, c.Step,
			c.ClosedAt, c.CreatedAt, c.FollowUpBy, l.sup)
	}
	allowed := false
	for _, o := range closure.ReasonsFor(p, c.Type) {
		allowed = allowed || o.Key == c.ClosureReason
	}
	if !allowed {
		t.Errorf("case %s: %s case closed for %q", c.Code, c.Type, c.ClosureReason)
	}
	if len(l.closures) != 1 {
		t.Fatalf("case %s: closures %+v, want the approved one", c.Code, l.closures)
	}
	cl := l.closures[0]
	if cl.Status != closure.Approved || cl.Reason != c.ClosureReason || !cl.DecidedAt.Equal(c.ClosedAt) ||
		cl.DecidedBy != l.sup || cl.FollowUpBy != c.FollowUpBy || !cl.ProposedAt.Before(c.ClosedAt) {
		t.Errorf("case %s closed at %v for %s: closure %+v", c.Code, c.ClosedAt, c.ClosureReason, cl)
	}
	if cl.Reason == closure.ObjectivesMet && len(cl.Confirmations) != len(closure.Confirmations) {
		t.Errorf("case %s: closed with objectives met, confirmations %v", c.Code, cl.Confirmations)
	}
	if cl.Reason == closure.ObjectivesMet && active != nil {
		for _, o := range active.Objectives {
			if o.Status != plan.Met {
				t.Errorf("case %s: closed with objectives met, objective %s %s", c.Code, o.ID, o.Status)
			}
		}
	}
	if ca := byKind[deadline.ClosureApproval]; len(ca) != 1 || !ca[0].DoneAt.Equal(c.ClosedAt) || !ca[0].AnchorAt.Equal(cl.ProposedAt) {
		t.Errorf("case %s: closure approval deadlines %+v", c.Code, ca)
	}
	pc := byKind[deadline.PostClosure]
	if len(pc) != 1 || !pc[0].AnchorAt.Equal(c.ClosedAt) || !pc[0].DueAt.Equal(c.ClosedAt.Add(window)) {
		t.Fatalf("case %s: post-closure deadlines %+v, want one from the closure", c.Code, pc)
	}
	if pc[0].Open() != (len(l.feedback) == 0) || len(l.feedback) > 1 {
		t.Errorf("case %s: post-closure follow-up open %v with %d feedback surveys", c.Code, pc[0].Open(), len(l.feedback))
	}
	if pc[0].Open() && c.ClosedAt.Before(now.Add(-window-6*7*24*time.Hour)) {
		t.Errorf("case %s: closed %v, post-closure follow-up still open", c.Code, c.ClosedAt)
	}
	for _, d := range l.ds {
		if d.Kind != deadline.PostClosure && (d.Open() || d.DoneAt.After(c.ClosedAt)) {
			t.Errorf("case %s: closed at %v with deadline %s open or done at %v", c.Code, c.ClosedAt, d.Kind, d.DoneAt)
		}
	}
}

// checkSample checks that s names a caseworker with a full caseload, their
// supervisor, their agency's manager and one of their cases.
func checkSample(t *testing.T, db *store.DB, s gen.SampleSet) {
	t.Helper()
	ctx := context.Background()
	if s.OpenCases < 15 {
		t.Errorf("sample caseworker %s holds %d open cases, want a full caseload", s.Caseworker.Username, s.OpenCases)
	}
	err := db.Read(ctx, func(tx *store.Tx) error {
		cw, err := tx.User(ctx, s.Caseworker.ID)
		if err != nil {
			return err
		}
		sup, err := tx.User(ctx, s.Supervisor.ID)
		if err != nil {
			return err
		}
		mgr, err := tx.User(ctx, s.Manager.ID)
		if err != nil {
			return err
		}
		c, err := tx.Case(ctx, s.CaseID)
		if err != nil {
			return err
		}
		if cw.Role != org.Caseworker || sup.Role != org.Supervisor || mgr.Role != org.Manager {
			t.Errorf("sample roles %s, %s, %s", cw.Role, sup.Role, mgr.Role)
		}
		if sup.TeamID != cw.TeamID || mgr.AgencyID != cw.AgencyID || s.TeamID != cw.TeamID || s.AgencyID != cw.AgencyID {
			t.Errorf("sample supervisor or manager not over the caseworker: %+v", s)
		}
		if c.CaseworkerID != cw.ID || !c.IsOpen() || c.Code != s.CaseCode {
			t.Errorf("sample case %s (%s) not an open case of %s", c.Code, c.Status, cw.Username)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGenerateDeterministic: the same seed gives the same data; another
// seed does not.
func TestGenerateDeterministic(t *testing.T) {
	ctx := context.Background()
	run := func(seed uint64) []store.CaseRow {
		db := testdb.Open(t, "sqlite")
		if _, err := gen.Generate(ctx, db, profile.Default(), gen.Options{Cases: 300, Seed: seed, Now: now}); err != nil {
			t.Fatal(err)
		}
		rows := append(allCases(t, db, cases.Open), allCases(t, db, cases.Closed)...)
		for i := range rows {
			rows[i].CaseworkerName = "" // names are drawn, but compare them through IDs
		}
		return rows
	}
	a, b, c := run(42), run(42), run(43)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different data (-first +second):\n%s", diff)
	}
	if a[0].Code == c[0].Code || a[0].ID == c[0].ID {
		t.Errorf("seeds 42 and 43 both start with case %s (%s)", a[0].Code, a[0].ID)
	}
}

// TestGenerateAfterDemo: generating into a database with the demo, and
// again, keeps every case code unique and the audit chain intact.
func TestGenerateAfterDemo(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, "sqlite")
	if _, err := gen.Demo(ctx, db, profile.Default(), now); err != nil {
		t.Fatal(err)
	}
	before := len(allCases(t, db, cases.Open))
	for i, want := range []string{"g1-", "g2-"} {
		s, err := gen.Generate(ctx, db, profile.Default(), gen.Options{Cases: 200, Seed: 1, Now: now})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if s.Prefix != want {
			t.Errorf("run %d: prefix %q, want %q", i+1, s.Prefix, want)
		}
	}
	verify(t, db)
	if got := len(allCases(t, db, cases.Open)); got != before+2*30 {
		t.Errorf("%d open cases, want the demo's %d and 30 per run", got, before)
	}
}

func TestGenerateRejectsNoCases(t *testing.T) {
	db := testdb.Open(t, "sqlite")
	if _, err := gen.Generate(context.Background(), db, profile.Default(), gen.Options{}); err == nil {
		t.Error("Generate with no cases: no error")
	}
}

func TestBar(t *testing.T) {
	got := gen.Bar(250_000, 1_000_000, 25*time.Second)
	want := "[#######.......................]  25%  250,000/1,000,000 cases  10,000/s  ETA 1:15 "
	if got != want {
		t.Errorf("Bar = %q, want %q", got, want)
	}
}
