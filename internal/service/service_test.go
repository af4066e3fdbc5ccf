package service_test

import (
	"context"
	"errors"
	"math"
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
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/service"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	ctx  = context.Background()
	now  = fixture.Now
	prof = profile.Default()
	day  = 24 * time.Hour
)

// world is a low-risk case of organisation o's caseworker with the consent
// gate open (the supervisor's override), assessed, and an active plan with a
// direct action for its objective and a referral.
type world struct {
	t      *testing.T
	db     *store.DB
	o      *fixture.Org
	cw     access.Actor
	sup    access.Actor
	c      *cases.Case
	active *plan.Plan
}

func newWorld(t *testing.T, db *store.DB, o *fixture.Org) *world {
	t.Helper()
	w := &world{t: t, db: db, o: o, cw: fixture.Actor(o.Caseworker), sup: fixture.Actor(o.Supervisor)}
	r := fixture.Registration(profile.GBV)
	r.RiskLevel = profile.Low
	w.c = fixture.Register(t, db, w.cw, r, now)
	fixture.In(t, db, func(tx *store.Tx) error {
		if _, err := consent.AddOverride(ctx, tx, prof, w.sup, w.c.ID, consent.OverrideInput{Scope: prof.GateScope(),
			Basis: "vital_interests", Reason: "she is in danger at home"}, now); err != nil {
			return err
		}
		c, err := tx.Case(ctx, w.c.ID)
		if err != nil {
			return err
		}
		if _, err := assessment.Record(ctx, tx, prof, w.cw, c.ID, assessment.Input{Kind: assessment.Initial,
			InterviewedChild: true, RiskLevel: c.RiskLevel, RiskReason: "as registered",
			Needs:   []assessment.NeedInput{{Domain: "safety", Description: "afraid at home", Met: assessment.MetNot, Priority: "high"}},
			Version: c.Version}, now); err != nil {
			return err
		}
		needs, err := tx.Needs(ctx, c.ID)
		if err != nil {
			return err
		}
		pl, err := plan.Save(ctx, tx, prof, w.cw, c.ID, plan.Input{
			Objectives: []plan.ObjectiveInput{{NeedID: needs[0].ID, Description: "a safety plan she trusts",
				Measure: "she knows where to go", DueOn: "2025-04-30"}},
			Actions: []plan.ActionInput{
				{Objective: 1, What: "make the safety plan", Who: "caseworker", DueOn: "2025-03-14", Horizon: "immediate"},
				{Objective: 1, What: "refer to the shelter", Kind: "referral", Who: "provider", DueOn: "2025-03-14", Horizon: "immediate"}},
		}, now)
		if err != nil {
			return err
		}
		if pl, err = plan.Submit(ctx, tx, prof, w.cw, c.ID, pl.ID, pl.Version, now); err != nil {
			return err
		}
		if pl.Status == plan.Submitted {
			_, err = plan.Approve(ctx, tx, prof, w.sup, c.ID, pl.ID, pl.Version, now)
		}
		return err
	})
	w.active = plan.ActiveOf(w.plans())
	if w.active == nil || len(w.active.Actions) != 2 {
		t.Fatalf("no active plan with two actions: %+v", w.active)
	}
	return w
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

// actionStatus is the status of action id of the active plan.
func (w *world) actionStatus(id string) string {
	w.t.Helper()
	for _, a := range plan.ActiveOf(w.plans()).Actions {
		if a.ID == id {
			return a.Status
		}
	}
	w.t.Fatalf("no action %s", id)
	return ""
}

func (w *world) give(a access.Actor, in service.ServiceInput, at time.Time) (*service.Given, error) {
	var g *service.Given
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		g, err = service.Give(ctx, tx, prof, a, w.c.ID, in, at)
		return err
	})
	return g, err
}

func (w *world) safety(a access.Actor, in service.SafetyInput, at time.Time) (*service.SafetyPlan, error) {
	var sp *service.SafetyPlan
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		sp, err = service.SaveSafetyPlan(ctx, tx, prof, a, w.c.ID, in, at)
		return err
	})
	return sp, err
}

func (w *world) disburse(p *profile.Profile, a access.Actor, in service.FundInput, at time.Time) (*service.Disbursement, error) {
	var d *service.Disbursement
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		d, err = service.Disburse(ctx, tx, p, a, w.c.ID, in, at)
		return err
	})
	return d, err
}

// rows counts the services, safety plan versions and disbursements of the case.
func (w *world) rows() [3]int {
	w.t.Helper()
	var n [3]int
	fixture.Read(w.t, w.db, func(tx *store.Tx) error {
		gs, err := tx.Services(ctx, w.c.ID)
		if err != nil {
			return err
		}
		sps, err := tx.SafetyPlans(ctx, w.c.ID)
		if err != nil {
			return err
		}
		ds, err := tx.Disbursements(ctx, w.c.ID)
		n = [3]int{len(gs), len(sps), len(ds)}
		return err
	})
	return n
}

func (w *world) firstAction() deadline.Deadline {
	w.t.Helper()
	var out []deadline.Deadline
	fixture.Read(w.t, w.db, func(tx *store.Tx) error {
		ds, err := tx.CaseDeadlines(ctx, w.c.ID)
		for _, d := range ds {
			if d.Kind == deadline.FirstAction {
				out = append(out, d)
			}
		}
		return err
	})
	if len(out) != 1 {
		w.t.Fatalf("first-action deadlines %+v, want one", out)
	}
	return out[0]
}

func (w *world) shutGate() {
	w.t.Helper()
	fixture.In(w.t, w.db, func(tx *store.Tx) error {
		ovs, err := tx.Overrides(ctx, w.c.ID)
		if err != nil {
			return err
		}
		return consent.RevokeOverride(ctx, tx, w.sup, w.c.ID, ovs[0].ID, now)
	})
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

var roles = []struct {
	name string
	user func(o *fixture.Org) *org.User
	kind errs.Kind
}{
	{"manager", func(o *fixture.Org) *org.User { return o.Manager }, errs.Forbidden},
	{"another caseworker of the team", func(o *fixture.Org) *org.User { return o.Caseworker2 }, errs.NotFound},
	{"another agency's caseworker", func(o *fixture.Org) *org.User { return o.OtherCaseworker }, errs.NotFound},
	{"service provider", func(o *fixture.Org) *org.User { return o.ServiceProvider }, errs.NotFound},
}

// TestGive: a direct service is one of the profile's direct_service_types,
// optionally linked to an open action of the active plan (which it moves on
// or completes); the first one meets the first-action deadline.
func TestGive(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		w := newWorld(t, db, o)
		direct, referral := w.active.Actions[0], w.active.Actions[1]
		// A revision in preparation: its actions are not the active plan's.
		var draft *plan.Plan
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			draft, err = plan.Revise(ctx, tx, prof, w.cw, w.c.ID, now)
			return err
		})
		typ := prof.DirectServiceTypes[0].Key
		var referralOnly string
		for _, r := range prof.ReferralServiceTypes {
			if !profile.Has(prof.DirectServiceTypes, r.Key) {
				referralOnly = r.Key
				break
			}
		}
		for _, tc := range []struct {
			name string
			in   service.ServiceInput
			want []string
		}{
			{"no type", service.ServiceInput{}, []string{"service_type=err.choose"}},
			{"unknown type", service.ServiceInput{ServiceType: "massage"}, []string{"service_type=err.choose"}},
			{"a referral service type", service.ServiceInput{ServiceType: referralOnly}, []string{"service_type=err.choose"}},
			{"given tomorrow", service.ServiceInput{ServiceType: typ, GivenOn: "2025-03-11"}, []string{"given_on=err.future"}},
			{"given on no date", service.ServiceInput{ServiceType: typ, GivenOn: "last week"}, []string{"given_on=err.date"}},
			{"description too long", service.ServiceInput{ServiceType: typ, Description: strings.Repeat("x", 4001)},
				[]string{"description=err.too_long"}},
			{"unknown action", service.ServiceInput{ServiceType: typ, ActionID: "nope"}, []string{"action_id=err.choose"}},
			{"an action of the plan in preparation", service.ServiceInput{ServiceType: typ, ActionID: draft.Actions[0].ID},
				[]string{"action_id=err.choose"}},
			{"several at once", service.ServiceInput{GivenOn: "2030-01-01", ActionID: "nope"},
				[]string{"action_id=err.choose", "given_on=err.future", "service_type=err.choose"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.give(w.cw, tc.in, now)
				if diff := cmp.Diff(tc.want, fieldCodes(err)); diff != "" {
					t.Errorf("%v (-want +got):\n%s", err, diff)
				}
			})
		}
		for _, r := range roles {
			if _, err := w.give(fixture.Actor(r.user(o)), service.ServiceInput{ServiceType: typ}, now); !denied(err, r.kind) {
				t.Errorf("%s: %v, want denied (%v)", r.name, err, r.kind)
			}
		}
		if n := w.rows(); n[0] != 0 {
			t.Errorf("refused services stored %d rows", n[0])
		}
		if fa := w.firstAction(); !fa.Open() {
			t.Errorf("a refused service met the first action: %+v", fa)
		}
		if s := w.actionStatus(direct.ID); s != plan.Planned {
			t.Errorf("a refused service moved the action to %s", s)
		}

		// Linked to the direct action: under way, and the first action met.
		t1 := now.Add(2 * day)
		g, err := w.give(w.cw, service.ServiceInput{ServiceType: "safety_planning", Description: "  first session ",
			ActionID: direct.ID}, t1)
		if err != nil {
			t.Fatal(err)
		}
		if g.GivenOn != prof.Today(t1) || g.Description != "first session" || g.GivenBy != o.Caseworker.ID || g.ActionID != direct.ID {
			t.Errorf("service %+v", g)
		}
		if s := w.actionStatus(direct.ID); s != plan.Doing {
			t.Errorf("action after a service: %s, want in progress", s)
		}
		fa := w.firstAction()
		if fa.Open() || !fa.DoneAt.Equal(t1) || fa.DoneBy != o.Caseworker.ID {
			t.Errorf("first action %+v, want met at %v", fa, t1)
		}
		// Completing it; then it is no longer open to link to.
		if _, err := w.give(w.cw, service.ServiceInput{ServiceType: "safety_planning", GivenOn: "2025-03-12", ActionID: direct.ID,
			CompletesAction: true}, t1.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if s := w.actionStatus(direct.ID); s != plan.Done {
			t.Errorf("action after a completing service: %s, want done", s)
		}
		if _, err := w.give(w.cw, service.ServiceInput{ServiceType: "mhpss", ActionID: direct.ID}, t1.Add(2*time.Hour)); !cmp.Equal(fieldCodes(err), []string{"action_id=err.choose"}) {
			t.Errorf("a service for a done action: %v", err)
		}
		if s := w.actionStatus(direct.ID); s != plan.Done {
			t.Errorf("a done action went back to %s", s)
		}
		// A cancelled action is closed too.
		fixture.In(t, db, func(tx *store.Tx) error { return tx.SetActionStatus(ctx, referral.PlanID, referral.ID, plan.Cancelled) })
		if _, err := w.give(w.cw, service.ServiceInput{ServiceType: "accompaniment", ActionID: referral.ID}, t1.Add(2*time.Hour)); !cmp.Equal(fieldCodes(err), []string{"action_id=err.choose"}) {
			t.Errorf("a service for a cancelled action: %v", err)
		}
		if s := w.actionStatus(referral.ID); s != plan.Cancelled {
			t.Errorf("a cancelled action went to %s", s)
		}
		// No link needed; the first action stays as met. Every type of the profile is accepted.
		for _, st := range prof.DirectServiceTypes {
			if _, err := w.give(w.cw, service.ServiceInput{ServiceType: st.Key, GivenOn: "2025-03-01"}, t1.Add(3*time.Hour)); err != nil {
				t.Errorf("%s: %v", st.Key, err)
			}
		}
		var gs []service.Given
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			gs, err = tx.Services(ctx, w.c.ID)
			return err
		})
		if len(gs) != 2+len(prof.DirectServiceTypes) {
			t.Errorf("%d services stored, want %d", len(gs), 2+len(prof.DirectServiceTypes))
		}
		linked := 0
		for _, g := range gs {
			if g.ActionID != "" {
				linked++
			}
		}
		if linked != 2 {
			t.Errorf("%d services linked to an action, want 2", linked)
		}
		if fa2 := w.firstAction(); !fa2.DoneAt.Equal(fa.DoneAt) {
			t.Errorf("the first action moved: %+v", fa2)
		}
		// The supervisor gives services too; without consent nobody does.
		if _, err := w.give(w.sup, service.ServiceInput{ServiceType: typ}, t1); err != nil {
			t.Errorf("supervisor: %v", err)
		}
		w.shutGate()
		if _, err := w.give(w.cw, service.ServiceInput{ServiceType: typ}, t1); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
			t.Errorf("without consent: %v", err)
		}
	})
}

// TestSafetyPlanAndFund: the safety plan is versioned, each version kept;
// the emergency fund pays within the profile's cap, purposes and criteria,
// in its currency, in cents.
func TestSafetyPlanAndFund(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)

		t.Run("safety plan", func(t *testing.T) {
			w := newWorld(t, db, o)
			valid := service.SafetyInput{Concern: " her brother ", CurrentStrategies: "stays with a friend", Unsafe: "the well at night",
				Avoidance: "goes with her sister", Emergency: "the clinic; her aunt", ReviewOn: prof.Today(now)}
			required := map[string]func(*service.SafetyInput) *string{
				"concern":            func(in *service.SafetyInput) *string { return &in.Concern },
				"current_strategies": func(in *service.SafetyInput) *string { return &in.CurrentStrategies },
				"unsafe":             func(in *service.SafetyInput) *string { return &in.Unsafe },
				"avoidance":          func(in *service.SafetyInput) *string { return &in.Avoidance },
				"emergency":          func(in *service.SafetyInput) *string { return &in.Emergency },
			}
			for field, f := range required {
				in := valid
				*f(&in) = "  "
				if _, err := w.safety(w.cw, in, now); !cmp.Equal(fieldCodes(err), []string{field + "=err.required"}) {
					t.Errorf("%s blank: %v", field, err)
				}
				*f(&in) = strings.Repeat("x", 4001)
				if _, err := w.safety(w.cw, in, now); !cmp.Equal(fieldCodes(err), []string{field + "=err.too_long"}) {
					t.Errorf("%s too long: %v", field, err)
				}
			}
			for _, tc := range []struct {
				name string
				edit func(*service.SafetyInput)
				want []string
			}{
				{"resources too long", func(in *service.SafetyInput) { in.Resources = strings.Repeat("x", 4001) }, []string{"resources=err.too_long"}},
				{"review in the past", func(in *service.SafetyInput) { in.ReviewOn = "2025-03-09" }, []string{"review_on=err.past"}},
				{"review on no date", func(in *service.SafetyInput) { in.ReviewOn = "soon" }, []string{"review_on=err.date"}},
			} {
				in := valid
				tc.edit(&in)
				if _, err := w.safety(w.cw, in, now); !cmp.Equal(fieldCodes(err), tc.want) {
					t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
				}
			}
			for _, r := range roles {
				if _, err := w.safety(fixture.Actor(r.user(o)), valid, now); !denied(err, r.kind) {
					t.Errorf("%s: %v, want denied (%v)", r.name, err, r.kind)
				}
			}
			if n := w.rows(); n[1] != 0 {
				t.Fatalf("refused safety plans stored %d versions", n[1])
			}

			// Resources are optional; each save is a new version, the old kept.
			v1, err := w.safety(w.cw, valid, now)
			if err != nil {
				t.Fatal(err)
			}
			next := valid
			next.Unsafe, next.Resources, next.ReviewOn = "the well; the market", "savings group", ""
			v2, err := w.safety(w.sup, next, now.Add(day))
			if err != nil {
				t.Fatal(err)
			}
			if v1.Number != 1 || v2.Number != 2 {
				t.Errorf("versions numbered %d, %d; want 1, 2", v1.Number, v2.Number)
			}
			var sps []service.SafetyPlan
			fixture.Read(t, db, func(tx *store.Tx) (err error) {
				sps, err = tx.SafetyPlans(ctx, w.c.ID)
				return err
			})
			if len(sps) != 2 || sps[0].ID != v2.ID || sps[1].ID != v1.ID {
				t.Fatalf("stored versions %+v", sps)
			}
			if sps[1].Concern != "her brother" || sps[1].Unsafe != "the well at night" || sps[1].ReviewOn != "2025-03-10" ||
				sps[1].CreatedBy != o.Caseworker.ID || sps[1].Resources != "" {
				t.Errorf("version 1 %+v", sps[1])
			}
			if sps[0].Unsafe != "the well; the market" || sps[0].Resources != "savings group" || sps[0].CreatedBy != o.Supervisor.ID ||
				!sps[0].CreatedAt.Equal(now.Add(day)) {
				t.Errorf("version 2 %+v", sps[0])
			}
			w.shutGate()
			if _, err := w.safety(w.cw, valid, now); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
				t.Errorf("without consent: %v", err)
			}
		})

		t.Run("emergency fund", func(t *testing.T) {
			w := newWorld(t, db, o)
			fund := prof.EmergencyFund
			if fund.MaxAmount <= 0 || len(fund.Criteria) < 2 {
				t.Fatalf("the test expects a capped fund with several criteria: %+v", fund)
			}
			var all []string
			for _, c := range fund.Criteria {
				all = append(all, c.Key)
			}
			// Ticked in reverse: stored sorted.
			reversed := append([]string(nil), all...)
			sort.Sort(sort.Reverse(sort.StringSlice(reversed)))
			purpose := fund.Purposes[0].Key
			valid := service.FundInput{Amount: 20, Purpose: purpose, Criteria: reversed}
			for _, tc := range []struct {
				name string
				edit func(*service.FundInput)
				want []string
			}{
				{"nothing", func(in *service.FundInput) { in.Amount = 0 }, []string{"amount=err.amount"}},
				{"negative", func(in *service.FundInput) { in.Amount = -5 }, []string{"amount=err.amount"}},
				{"less than a cent", func(in *service.FundInput) { in.Amount = 0.004 }, []string{"amount=err.amount"}},
				{"not a number", func(in *service.FundInput) { in.Amount = math.NaN() }, []string{"amount=err.amount"}},
				{"over the cap", func(in *service.FundInput) { in.Amount = fund.MaxAmount + 0.01 }, []string{"amount=err.amount_cap"}},
				{"no purpose", func(in *service.FundInput) { in.Purpose = "" }, []string{"purpose=err.choose"}},
				{"unknown purpose", func(in *service.FundInput) { in.Purpose = "holiday" }, []string{"purpose=err.choose"}},
				{"no criteria", func(in *service.FundInput) { in.Criteria = nil }, []string{"criteria=err.fund_criteria"}},
				{"a criterion unmet", func(in *service.FundInput) { in.Criteria = all[1:] }, []string{"criteria=err.fund_criteria"}},
				{"an unknown criterion", func(in *service.FundInput) { in.Criteria = append([]string{"deserving"}, all...) },
					[]string{"criteria=err.choose"}},
				{"paid tomorrow", func(in *service.FundInput) { in.PaidOn = "2025-03-11" }, []string{"paid_on=err.future"}},
				{"paid on no date", func(in *service.FundInput) { in.PaidOn = "today" }, []string{"paid_on=err.date"}},
				{"notes too long", func(in *service.FundInput) { in.Notes = strings.Repeat("x", 4001) }, []string{"notes=err.too_long"}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					in := valid
					tc.edit(&in)
					_, err := w.disburse(prof, w.cw, in, now)
					if diff := cmp.Diff(tc.want, fieldCodes(err)); diff != "" {
						t.Errorf("%v (-want +got):\n%s", err, diff)
					}
				})
			}
			// The cap's message names the profile's cap and currency.
			in := valid
			in.Amount = fund.MaxAmount * 2
			_, err := w.disburse(prof, w.cw, in, now)
			if fe, _ := errs.AsFields(err); len(fe) != 1 || !cmp.Equal(fe[0].Args, []any{fund.MaxAmount, fund.Currency}) {
				t.Errorf("cap error %+v", fe)
			}
			for _, r := range roles {
				if _, err := w.disburse(prof, fixture.Actor(r.user(o)), valid, now); !denied(err, r.kind) {
					t.Errorf("%s: %v, want denied (%v)", r.name, err, r.kind)
				}
			}
			if n := w.rows(); n[2] != 0 {
				t.Fatalf("refused payments stored %d rows", n[2])
			}
			if fa := w.firstAction(); !fa.Open() {
				t.Errorf("a refused payment met the first action")
			}

			// Paid: the cap itself, in cents, in the profile's currency.
			at := now.Add(day)
			in = valid
			in.Amount, in.Notes = fund.MaxAmount, " bus fares for two "
			d, err := w.disburse(prof, w.cw, in, at)
			if err != nil {
				t.Fatal(err)
			}
			sorted := append([]string(nil), all...)
			sort.Strings(sorted)
			want := service.Disbursement{ID: d.ID, CaseID: w.c.ID, AgencyID: o.Agency.ID, TeamID: o.TeamA.ID,
				AmountCents: int64(fund.MaxAmount * 100), Currency: fund.Currency, Purpose: purpose, Criteria: sorted,
				PaidOn: prof.Today(at), Notes: "bus fares for two", RecordedBy: o.Caseworker.ID, CreatedAt: at}
			var ds []service.Disbursement
			fixture.Read(t, db, func(tx *store.Tx) (err error) {
				ds, err = tx.Disbursements(ctx, w.c.ID)
				return err
			})
			if len(ds) != 1 {
				t.Fatalf("payments %+v", ds)
			}
			if diff := cmp.Diff(want, ds[0]); diff != "" {
				t.Errorf("stored payment (-want +got):\n%s", diff)
			}
			if d.Amount() != fund.MaxAmount {
				t.Errorf("amount %v, want %v", d.Amount(), fund.MaxAmount)
			}
			if fa := w.firstAction(); !fa.DoneAt.Equal(at) {
				t.Errorf("first action %+v, want met by the payment at %v", fa, at)
			}
			// Amounts are rounded to the cent, not truncated.
			for amount, cents := range map[float64]int64{19.99: 1999, 0.29: 29, 1.1: 110} {
				in := valid
				in.Amount = amount
				d, err := w.disburse(prof, w.cw, in, at)
				if err != nil || d.AmountCents != cents {
					t.Errorf("%v: %+v %v, want %d cents", amount, d, err, cents)
				}
			}

			// Another profile: no cap, its own currency and criteria.
			other, err := profile.Parse("fund.yaml", []byte("emergency_fund:\n  currency: KES\n  max_amount: 0\n"+
				"  criteria: [{key: approved, label: Approved by the fund committee}]\n"))
			if err != nil {
				t.Fatal(err)
			}
			in = service.FundInput{Amount: 25000.5, Purpose: purpose, Criteria: all}
			wantErrs := []string{"criteria=err.fund_criteria"}
			for range all {
				wantErrs = append(wantErrs, "criteria=err.choose")
			}
			sort.Strings(wantErrs)
			if _, err := w.disburse(other, w.cw, in, at); !cmp.Equal(fieldCodes(err), wantErrs) {
				t.Errorf("the default profile's criteria under another profile: %v, want %v", err, wantErrs)
			}
			in.Criteria = []string{"approved"}
			if d, err := w.disburse(other, w.cw, in, at); err != nil || d.AmountCents != 2500050 || d.Currency != "KES" {
				t.Errorf("uncapped payment %+v %v", d, err)
			}
			in.Amount = 1e18
			if _, err := w.disburse(other, w.cw, in, at); !cmp.Equal(fieldCodes(err), []string{"amount=err.amount"}) {
				t.Errorf("an absurd amount: %v", err)
			}

			w.shutGate()
			if _, err := w.disburse(prof, w.cw, valid, at); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
				t.Errorf("without consent: %v", err)
			}
		})
	})
}
