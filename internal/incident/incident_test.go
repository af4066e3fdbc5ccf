package incident_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/incident"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	ctx = context.Background()
	now = fixture.Now
)

// *store.Tx is the storage of incidents.
var _ incident.Tx = (*store.Tx)(nil)

// world is an organisation with one case of the caseworker's, consent to
// collect and store overridden by the supervisor.
type world struct {
	t        *testing.T
	db       *store.DB
	p        *profile.Profile
	o        *fixture.Org
	cw, sup  access.Actor
	c        *cases.Case
	incident *incident.Incident
}

func newWorld(t *testing.T, db *store.DB, p *profile.Profile, typ string) *world {
	t.Helper()
	o := fixture.New(t, db)
	w := &world{t: t, db: db, p: p, o: o, cw: fixture.Actor(o.Caseworker), sup: fixture.Actor(o.Supervisor)}
	w.c = fixture.Register(t, db, w.cw, fixture.Registration(typ), now)
	fixture.In(t, db, func(tx *store.Tx) error {
		_, err := consent.AddOverride(ctx, tx, p, w.sup, w.c.ID, consent.OverrideInput{Scope: "collect_store",
			Basis: "best_interests", Reason: "the survivor's safety comes first here"}, now)
		return err
	})
	return w
}

func (w *world) record(a access.Actor, in incident.Input) (*incident.Incident, error) {
	var inc *incident.Incident
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		inc, err = incident.Record(ctx, tx, w.p, a, w.c.ID, in, now)
		return err
	})
	return inc, err
}

func (w *world) recommend(a access.Actor, id string, in incident.RecommendInput) (*incident.Report, error) {
	var r *incident.Report
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		r, err = incident.Recommend(ctx, tx, a, w.c.ID, id, in, now)
		return err
	})
	return r, err
}

func (w *world) decide(a access.Actor, id string, in incident.DecideInput) (*incident.Report, error) {
	var r *incident.Report
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		r, err = incident.Decide(ctx, tx, w.p, a, w.c.ID, id, in, now)
		return err
	})
	return r, err
}

func (w *world) incidents() []incident.Incident {
	w.t.Helper()
	var out []incident.Incident
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		out, err = tx.Incidents(ctx, w.c.ID)
		return err
	})
	return out
}

func (w *world) notices(u string) []notify.Kind {
	w.t.Helper()
	var ns []notify.Notification
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		ns, err = tx.Notifications(ctx, u, 100)
		return err
	})
	var out []notify.Kind
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

// fieldsOf returns the fields named by err's field errors, failing the test
// when err is not a validation error.
func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	fe, ok := errs.AsFields(err)
	if !ok {
		t.Fatalf("want field errors, got %v", err)
	}
	out := map[string]string{}
	for _, f := range fe {
		out[f.Field] = f.Msg
	}
	return out
}

func yesterday() string { return now.AddDate(0, 0, -1).Format(time.DateOnly) }

// TestIncidentTypes: a GBV case offers exactly the six GBVIMS core types, a
// CP case the CP taxonomy, and a type of the other taxonomy is refused.
func TestIncidentTypes(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	var keys []string
	for _, o := range incident.Types(p, profile.GBV) {
		keys = append(keys, o.Key)
	}
	want := []string{"rape", "sexual_assault", "physical_assault", "forced_marriage", "denial_of_resources", "psychological_abuse"}
	if !slices.Equal(keys, want) {
		t.Errorf("GBV incident types %v, want %v", keys, want)
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, p, profile.GBV)
		_, err := w.record(w.cw, incident.Input{Type: "neglect", HappenedOn: yesterday()})
		if f := fieldsOf(t, err); f["incident_type"] != "err.choose" {
			t.Errorf("a CP type on a GBV case: %v", f)
		}
		inc, err := w.record(w.cw, incident.Input{Type: "physical_assault", HappenedOn: yesterday(),
			Location: " market ", Perpetrator: "intimate_partner", Description: " pushed and hit "})
		if err != nil {
			t.Fatal(err)
		}
		if inc.Report != nil {
			t.Errorf("physical assault opened a mandatory report under the default profile")
		}
		got := w.incidents()
		if len(got) != 1 || got[0].Location != "market" || got[0].Description != "pushed and hit" ||
			got[0].Perpetrator != "intimate_partner" || got[0].HappenedOn != yesterday() || got[0].Report != nil {
			t.Errorf("stored incidents %+v", got)
		}
	})
}

// TestRecordRefusals: each refusal names its field; a closed consent gate
// or a reader without edit access leaves nothing behind.
func TestRecordRefusals(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, p, profile.CP)
		tomorrow := now.AddDate(0, 0, 1).Format(time.DateOnly)
		for _, tt := range []struct {
			in          incident.Input
			field, code string
		}{
			{incident.Input{HappenedOn: yesterday()}, "incident_type", "err.choose"},
			{incident.Input{Type: "neglect"}, "occurred_on", "err.required"},
			{incident.Input{Type: "neglect", HappenedOn: "10/03/2025"}, "occurred_on", "err.date"},
			{incident.Input{Type: "neglect", HappenedOn: tomorrow}, "occurred_on", "err.future"},
			{incident.Input{Type: "neglect", HappenedOn: yesterday(), Perpetrator: "martian"}, "perpetrator", "err.choose"},
			{incident.Input{Type: "neglect", HappenedOn: yesterday(), Location: strings.Repeat("x", 201)}, "place", "err.too_long"},
			{incident.Input{Type: "neglect", HappenedOn: yesterday(), Description: strings.Repeat("x", 4001)}, "description", "err.too_long"},
		} {
			_, err := w.record(w.cw, tt.in)
			if f := fieldsOf(t, err); f[tt.field] != tt.code || len(f) != 1 {
				t.Errorf("%+v: %v, want %s %s", tt.in, f, tt.field, tt.code)
			}
		}
		ok := incident.Input{Type: "sexual", HappenedOn: yesterday()}
		if _, err := w.record(fixture.Actor(w.o.Manager), ok); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("manager records: %v, want forbidden", err)
		}
		if _, err := w.record(fixture.Actor(w.o.CaseworkerB), ok); errs.KindOf(err) != errs.NotFound {
			t.Errorf("another team's caseworker records: %v, want not found", err)
		}
		// A case without consent to collect and store: refused, and nothing stored.
		w2 := &world{t: t, db: db, p: p, o: w.o, cw: w.cw, sup: w.sup}
		w2.c = fixture.Register(t, db, w.cw, fixture.Registration(profile.CP), now)
		if _, err := w2.record(w.cw, ok); fieldsOf(t, err)["consent"] != "err.consent_gate" {
			t.Errorf("without consent: %v", err)
		}
		if n := len(w.incidents()) + len(w2.incidents()); n != 0 {
			t.Errorf("%d incidents stored by refused requests", n)
		}
		if got := w.notices(w.o.Supervisor.ID); slices.Contains(got, notify.MandatoryReport) {
			t.Errorf("supervisor notified of refused requests: %v", got)
		}
	})
}

// TestMandatoryReport runs the whole flow: a reportable incident opens a
// pending report and tells the supervisors; the caseworker recommends; the
// supervisor decides, each refusal naming its field; the caseworker is told;
// the audit trail holds kinds and IDs, never the reasoning.
func TestMandatoryReport(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, p, profile.CP)
		plain, err := w.record(w.cw, incident.Input{Type: "neglect", HappenedOn: yesterday()})
		if err != nil || plain.Report != nil {
			t.Fatalf("neglect: %+v, %v", plain, err)
		}
		inc, err := w.record(w.cw, incident.Input{Type: "exploitation", HappenedOn: yesterday(), Location: "quarry",
			Perpetrator: "employer", Description: "made to carry stones for no pay"})
		if err != nil {
			t.Fatal(err)
		}
		if inc.Report == nil || inc.Report.Status != incident.Pending || inc.Report.Version != 1 {
			t.Fatalf("report %+v", inc.Report)
		}
		if got := w.notices(w.o.Supervisor.ID); !slices.Contains(got, notify.MandatoryReport) {
			t.Errorf("supervisor notices %v, want a mandatory report", got)
		}
		if got := w.notices(w.o.SupervisorB.ID); len(got) != 0 {
			t.Errorf("another team's supervisor notified: %v", got)
		}
		var pending int
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			pending, err = tx.PendingMandatoryReports(ctx, w.c.ID)
			return err
		})
		if pending != 1 || incident.PendingCount(w.incidents()) != 1 {
			t.Errorf("pending %d, want 1", pending)
		}

		// The plain incident has no report to decide.
		if _, err := w.recommend(w.cw, plain.ID, incident.RecommendInput{Recommendation: incident.DoReport,
			Reasoning: "x", Version: 1}); fieldsOf(t, err)["decision"] != "err.mandatory_none" {
			t.Errorf("recommendation on a plain incident: %v", err)
		}
		// The supervisor waits for the recommendation.
		decision := incident.DecideInput{Decision: incident.DoReport, Reasoning: "the child is in danger at work",
			Authority: "Labour inspectorate", SharedWhat: "the child's age and the workplace",
			SharedHow: "in person", ReportedOn: yesterday(), FamilyTold: true, FamilyToldOn: yesterday(), Version: 1}
		if _, err := w.decide(w.sup, inc.ID, decision); fieldsOf(t, err)["decision"] != "err.mandatory_no_recommendation" {
			t.Errorf("decision before the recommendation: %v", err)
		}

		// The recommendation.
		if _, err := w.recommend(w.cw, inc.ID, incident.RecommendInput{Recommendation: "maybe", Version: 1}); err == nil {
			t.Error("bad recommendation accepted")
		} else if f := fieldsOf(t, err); f["recommendation"] != "err.choose" || f["reasoning"] != "err.required" {
			t.Errorf("bad recommendation: %v", f)
		}
		if _, err := w.recommend(fixture.Actor(w.o.Manager), inc.ID, incident.RecommendInput{Recommendation: incident.DoReport,
			Reasoning: "x", Version: 1}); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("manager recommends: %v", err)
		}
		if _, err := w.recommend(w.cw, inc.ID, incident.RecommendInput{Recommendation: incident.DoReport,
			Reasoning: "x", Version: 7}); !errors.Is(err, errs.ErrConflict) {
			t.Errorf("stale recommendation: %v", err)
		}
		r, err := w.recommend(w.cw, inc.ID, incident.RecommendInput{Recommendation: incident.DoReport,
			Reasoning: "the law requires it\nand she is 10", Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != 2 {
			t.Errorf("version after the recommendation: %d", r.Version)
		}
		got := w.incidents()[0].Report
		if got.Recommendation != incident.DoReport || got.RecommendWhy != "the law requires it\nand she is 10" ||
			got.RecommendedBy != w.cw.UserID || !got.RecommendedAt.Equal(now) || got.Status != incident.Pending {
			t.Errorf("stored recommendation %+v", got)
		}

		// The decision: refusals name their fields.
		if _, err := w.decide(w.cw, inc.ID, decision); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("caseworker decides: %v, want forbidden", err)
		}
		if _, err := w.decide(fixture.Actor(w.o.SupervisorB), inc.ID, decision); errs.KindOf(err) != errs.NotFound {
			t.Errorf("another team's supervisor decides: %v, want not found", err)
		}
		for _, tt := range []struct {
			edit  func(*incident.DecideInput)
			field string
			code  string
		}{
			{func(d *incident.DecideInput) { d.Decision = "" }, "decision", "err.choose"},
			{func(d *incident.DecideInput) { d.Reasoning = " " }, "reasoning", "err.required"},
			{func(d *incident.DecideInput) { d.Authority = "" }, "authority", "err.required"},
			{func(d *incident.DecideInput) { d.SharedWhat = "" }, "shared_what", "err.required"},
			{func(d *incident.DecideInput) { d.SharedHow = "" }, "shared_how", "err.required"},
			{func(d *incident.DecideInput) { d.ReportedOn = "" }, "reported_on", "err.required"},
			{func(d *incident.DecideInput) { d.ReportedOn = "2999-01-01" }, "reported_on", "err.future"},
			{func(d *incident.DecideInput) { d.FamilyToldOn = "" }, "family_told_on", "err.required"},
			{func(d *incident.DecideInput) { d.FamilyTold = false }, "family_not_told_why", "err.required"},
		} {
			in := decision
			in.Version = 2
			tt.edit(&in)
			_, err := w.decide(w.sup, inc.ID, in)
			if f := fieldsOf(t, err); f[tt.field] != tt.code || len(f) != 1 {
				t.Errorf("decision %+v: %v, want %s %s", in, f, tt.field, tt.code)
			}
		}
		decision.Version = 2
		r, err = w.decide(w.sup, inc.ID, decision)
		if err != nil {
			t.Fatal(err)
		}
		got = w.incidents()[0].Report
		if got.Status != incident.Decided || got.Decision != incident.DoReport || got.Authority != "Labour inspectorate" ||
			got.SharedHow != "in person" || got.ReportedOn != yesterday() || !got.FamilyTold ||
			got.FamilyToldOn != yesterday() || got.DecidedBy != w.sup.UserID || got.Version != 3 ||
			got.RecommendWhy != "the law requires it\nand she is 10" {
			t.Errorf("stored decision %+v", got)
		}
		if incident.PendingCount(w.incidents()) != 0 {
			t.Error("still pending after the decision")
		}
		if got := w.notices(w.o.Caseworker.ID); !slices.Contains(got, notify.MandatoryDecided) {
			t.Errorf("caseworker notices %v, want the decision", got)
		}
		decision.Version = 3
		if _, err := w.decide(w.sup, inc.ID, decision); fieldsOf(t, err)["decision"] != "err.mandatory_decided" {
			t.Errorf("second decision: %v", err)
		}

		// The audit trail names kinds and IDs, never what was written.
		var evs []string
		fixture.Read(t, db, func(tx *store.Tx) error {
			es, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: w.c.ID, Limit: 100})
			for _, e := range es {
				evs = append(evs, e.Action)
				for _, secret := range []string{"quarry", "stones", "law requires", "danger", "Labour", "in person"} {
					if strings.Contains(e.Detail, secret) || strings.Contains(e.Reason, secret) {
						t.Errorf("audit event %s holds case content: %s", e.Action, e.Detail)
					}
				}
			}
			return err
		})
		for _, a := range []string{"incident.record", "mandatory.recommend", "mandatory.decide"} {
			if !slices.Contains(evs, a) {
				t.Errorf("no %s in the audit trail %v", a, evs)
			}
		}
	})
}

// TestDecideNotToReport: not reporting needs the reasoning and, when the
// family is not told, why not; nothing of an authority is kept.
func TestDecideNotToReport(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, p, profile.CP)
		inc, err := w.record(w.sup, incident.Input{Type: "recruitment", HappenedOn: yesterday()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.recommend(w.sup, inc.ID, incident.RecommendInput{Recommendation: incident.NoReport,
			Reasoning: "reporting would expose the child to reprisals", Version: 1}); err != nil {
			t.Fatal(err)
		}
		_, err = w.decide(w.sup, inc.ID, incident.DecideInput{Decision: incident.NoReport, Version: 2})
		if f := fieldsOf(t, err); len(f) != 2 || f["reasoning"] != "err.required" || f["family_not_told_why"] != "err.required" {
			t.Errorf("empty no-report decision: %v", f)
		}
		if _, err := w.decide(w.sup, inc.ID, incident.DecideInput{Decision: incident.NoReport, Reasoning: "reprisals",
			Authority: "police", SharedWhat: "x", FamilyNotToldWhy: "the caregiver is the recruiter", Version: 2}); err != nil {
			t.Fatal(err)
		}
		got := w.incidents()[0].Report
		if got.Status != incident.Decided || got.Decision != incident.NoReport || got.Authority != "" || got.SharedWhat != "" ||
			got.FamilyTold || got.FamilyNotToldWhy != "the caregiver is the recruiter" {
			t.Errorf("stored %+v", got)
		}
	})
}

// TestGBVMandatory: a profile that makes rape reportable opens a report on a
// GBV case; recent sexual violence raises the medical-referral alert.
func TestGBVMandatory(t *testing.T) {
	t.Parallel()
	if incident.Mandatory(profile.Default(), "rape") {
		t.Fatal("the default profile makes rape reportable: this test proves nothing")
	}
	cp := *profile.Default() // a copy: the default profile is shared
	cp.MandatoryReporting = append(slices.Clone(cp.MandatoryReporting), "rape")
	p := &cp
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, p, profile.GBV)
		inc, err := w.record(w.cw, incident.Input{Type: "rape", HappenedOn: now.Format(time.DateOnly)})
		if err != nil {
			t.Fatal(err)
		}
		if inc.Report == nil || inc.Report.Status != incident.Pending {
			t.Fatalf("no pending report: %+v", inc.Report)
		}
		var ds []deadline.Deadline
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			ds, err = tx.CaseDeadlines(ctx, w.c.ID)
			return err
		})
		medical := false
		for _, d := range ds {
			medical = medical || d.Kind == deadline.MedicalReferral && d.Open()
		}
		if !medical {
			t.Errorf("no medical-referral alert after a rape today: %+v", ds)
		}
		got := w.notices(w.o.Supervisor.ID)
		if !slices.Contains(got, notify.MandatoryReport) || !slices.Contains(got, notify.MedicalReferral) {
			t.Errorf("supervisor notices %v", got)
		}
	})
}

// TestMandatoryDecisionDeadline: a pending report gives the team's
// supervisor a decision deadline due after the profile's approval_within;
// deciding a report completes its own deadline (another pending report
// keeps its one) and the case's next due date follows.
func TestMandatoryDecisionDeadline(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	if p.ApprovalWithin.D() <= 0 {
		t.Fatal("the default profile has no approval_within: this test proves nothing")
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, p, profile.CP)
		// decisions returns the case's decision deadlines and checks that
		// its next due date is the earliest open deadline.
		decisions := func() []deadline.Deadline {
			t.Helper()
			var ds []deadline.Deadline
			var c *cases.Case
			fixture.Read(t, db, func(tx *store.Tx) (err error) {
				if ds, err = tx.CaseDeadlines(ctx, w.c.ID); err != nil {
					return err
				}
				c, err = tx.Case(ctx, w.c.ID)
				return err
			})
			if want := deadline.NextDue(ds); !c.NextDueAt.Equal(want) {
				t.Errorf("next due %v, want the earliest open deadline %v", c.NextDueAt, want)
			}
			var out []deadline.Deadline
			for _, d := range ds {
				if d.Kind == deadline.MandatoryDecision {
					out = append(out, d)
				}
			}
			return out
		}
		recordAt := func(at time.Time, typ string) *incident.Incident {
			t.Helper()
			var inc *incident.Incident
			fixture.In(t, db, func(tx *store.Tx) (err error) {
				inc, err = incident.Record(ctx, tx, p, w.cw, w.c.ID, incident.Input{Type: typ, HappenedOn: yesterday()}, at)
				return err
			})
			return inc
		}
		decideAt := func(at time.Time, inc *incident.Incident) {
			t.Helper()
			fixture.In(t, db, func(tx *store.Tx) error {
				r, err := incident.Recommend(ctx, tx, w.cw, w.c.ID, inc.ID, incident.RecommendInput{
					Recommendation: incident.NoReport, Reasoning: "reprisals", Version: 1}, at)
				if err != nil {
					return err
				}
				_, err = incident.Decide(ctx, tx, p, w.sup, w.c.ID, inc.ID, incident.DecideInput{Decision: incident.NoReport,
					Reasoning: "reprisals", FamilyNotToldWhy: "the caregiver is involved", Version: r.Version}, at)
				return err
			})
		}

		// A plain incident opens no decision deadline.
		recordAt(now, "neglect")
		if ds := decisions(); len(ds) != 0 {
			t.Fatalf("decision deadlines after a plain incident: %+v", ds)
		}

		first := recordAt(now, "exploitation")
		ds := decisions()
		if len(ds) != 1 {
			t.Fatalf("decision deadlines %+v, want one for the team's one supervisor", ds)
		}
		d := ds[0]
		if !d.Open() || d.AssigneeID != w.o.Supervisor.ID || d.TeamID != w.c.TeamID ||
			!d.AnchorAt.Equal(now) || !d.DueAt.Equal(now.Add(p.ApprovalWithin.D())) {
			t.Errorf("decision deadline %+v, want the supervisor's, due %v", d, now.Add(p.ApprovalWithin.D()))
		}
		if !deadline.ForSupervisor(deadline.MandatoryDecision) {
			t.Error("the decision is not the supervisor's")
		}

		later := now.Add(time.Hour)
		second := recordAt(later, "recruitment")
		if ds := decisions(); len(ds) != 2 || !ds[0].Open() || !ds[1].Open() {
			t.Fatalf("decision deadlines with two reports pending: %+v", ds)
		}

		// Deciding the second report completes its deadline only.
		decideAt(later.Add(time.Hour), second)
		for _, d := range decisions() {
			switch {
			case d.AnchorAt.Equal(later) && (d.Open() || d.DoneBy != w.sup.UserID || !d.DoneAt.Equal(later.Add(time.Hour))):
				t.Errorf("the decided report's deadline %+v, want done by the supervisor", d)
			case d.AnchorAt.Equal(now) && !d.Open():
				t.Errorf("the pending report's deadline is done: %+v", d)
			}
		}

		// Deciding the first completes the rest.
		decideAt(later.Add(2*time.Hour), first)
		for _, d := range decisions() {
			if d.Open() || !d.OnTime() {
				t.Errorf("decision deadline %+v, want done on time", d)
			}
		}
	})
}
