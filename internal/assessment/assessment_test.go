package assessment_test

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

// world is one case of organisation o's caseworker.
type world struct {
	t   *testing.T
	db  *store.DB
	o   *fixture.Org
	cw  access.Actor
	sup access.Actor
	c   *cases.Case
}

// newWorld registers a case of type typ at risk level risk, by o's
// caseworker at now. With gate, the supervisor overrides consent to collect
// and store (so the consent gate is open); without, the gate stays shut (no
// consent is on file).
func newWorld(t *testing.T, db *store.DB, o *fixture.Org, typ, risk string, gate bool) *world {
	t.Helper()
	w := &world{t: t, db: db, o: o, cw: fixture.Actor(o.Caseworker), sup: fixture.Actor(o.Supervisor)}
	r := fixture.Registration(typ)
	r.RiskLevel = risk
	w.c = fixture.Register(t, db, w.cw, r, now)
	if gate {
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := consent.AddOverride(ctx, tx, prof, w.sup, w.c.ID, consent.OverrideInput{Scope: prof.GateScope(),
				Basis: "best_interests", Reason: "the child's safety comes first here"}, now)
			return err
		})
	}
	return w
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

// input is a valid initial assessment of the case as it is now, keeping its
// risk level.
func (w *world) input() assessment.Input {
	c := w.caseNow()
	return assessment.Input{Kind: assessment.Initial, InterviewedChild: true,
		Needs: []assessment.NeedInput{{Domain: prof.NeedDomains[0].Key, Description: "alone at night",
			Met: assessment.MetNot, Priority: "high"}},
		RiskLevel: c.RiskLevel, RiskReason: "as registered", Version: c.Version}
}

func (w *world) record(a access.Actor, in assessment.Input, at time.Time) (*assessment.Assessment, error) {
	var as *assessment.Assessment
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		as, err = assessment.Record(ctx, tx, prof, a, w.c.ID, in, at)
		return err
	})
	return as, err
}

func (w *world) mustRecord(in assessment.Input, at time.Time) *assessment.Assessment {
	w.t.Helper()
	as, err := w.record(w.cw, in, at)
	if err != nil {
		w.t.Fatalf("record assessment: %v", err)
	}
	return as
}

func (w *world) incident(a access.Actor, in assessment.ThreatInput, at time.Time) (*assessment.Threat, error) {
	var th *assessment.Threat
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		th, err = assessment.RecordIncident(ctx, tx, prof, a, w.c.ID, in, at)
		return err
	})
	return th, err
}

func (w *world) referralMade(a access.Actor, at time.Time) error {
	return w.db.Tx(ctx, func(tx *store.Tx) error {
		return assessment.MedicalReferralMade(ctx, tx, a, w.c.ID, at)
	})
}

// counts is how many rows of each kind the case has.
type counts struct {
	Assessments, Threats, Needs, Risks, Steps, Deadlines int
}

func (w *world) counts() counts {
	w.t.Helper()
	var n counts
	fixture.Read(w.t, w.db, func(tx *store.Tx) error {
		as, err := tx.Assessments(ctx, w.c.ID)
		if err != nil {
			return err
		}
		ts, err := tx.Threats(ctx, w.c.ID)
		if err != nil {
			return err
		}
		ns, err := tx.Needs(ctx, w.c.ID)
		if err != nil {
			return err
		}
		rs, err := tx.RiskHistory(ctx, w.c.ID)
		if err != nil {
			return err
		}
		ss, err := tx.StepHistory(ctx, w.c.ID)
		if err != nil {
			return err
		}
		ds, err := tx.CaseDeadlines(ctx, w.c.ID)
		n = counts{len(as), len(ts), len(ns), len(rs), len(ss), len(ds)}
		return err
	})
	return n
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

// open returns the open deadline of kind k, or nil; two open is an error.
func (w *world) open(k deadline.Kind) *deadline.Deadline {
	w.t.Helper()
	var out *deadline.Deadline
	for _, d := range w.deadlines(k) {
		if d.Open() {
			if out != nil {
				w.t.Errorf("two open %s deadlines", k)
			}
			d := d
			out = &d
		}
	}
	return out
}

func (w *world) riskHistory() []cases.RiskChange {
	w.t.Helper()
	var out []cases.RiskChange
	fixture.Read(w.t, w.db, func(tx *store.Tx) (err error) {
		out, err = tx.RiskHistory(ctx, w.c.ID)
		return err
	})
	return out
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

// notices counts the notifications of kind k user u got about the case.
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

// withPlan makes a plan for the assessed case's first need active at at
// (approved by the supervisor where the profile wants it).
func (w *world) withPlan(at time.Time) *plan.Plan {
	w.t.Helper()
	var pl *plan.Plan
	fixture.In(w.t, w.db, func(tx *store.Tx) error {
		needs, err := tx.Needs(ctx, w.c.ID)
		if err != nil {
			return err
		}
		pl, err = plan.Save(ctx, tx, prof, w.cw, w.c.ID, plan.Input{Objectives: []plan.ObjectiveInput{{NeedID: needs[0].ID,
			Description: "a safe adult at night", Measure: "aunt stays over", DueOn: at.AddDate(0, 2, 0).Format(time.DateOnly)}}}, at)
		if err != nil {
			return err
		}
		if pl, err = plan.Submit(ctx, tx, prof, w.cw, w.c.ID, pl.ID, pl.Version, at); err != nil {
			return err
		}
		if pl.Status == plan.Submitted {
			pl, err = plan.Approve(ctx, tx, prof, w.sup, w.c.ID, pl.ID, pl.Version, at)
		}
		return err
	})
	if pl.Status != plan.Active {
		w.t.Fatalf("plan %s, want active", pl.Status)
	}
	return pl
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

func timeline(t *testing.T, tl profile.ByRisk, risk string) time.Duration {
	t.Helper()
	d, ok := tl.For(risk)
	if !ok {
		t.Fatalf("the profile has no timeline for %s", risk)
	}
	return d
}

// incidentType returns an incident type of case type typ that is (or is
// not) sexual violence in the profile.
func incidentType(t *testing.T, typ string, sexual bool) string {
	t.Helper()
	for _, o := range prof.IncidentTypes[typ] {
		if prof.IsSexualIncident(o.Key) == sexual {
			return o.Key
		}
	}
	t.Fatalf("the profile has no %s incident type (sexual: %v)", typ, sexual)
	return ""
}

// occurred splits a moment into the form's date and time, in the profile's zone.
func occurred(at time.Time) (date, clock string) {
	l := at.In(prof.Location())
	return l.Format(time.DateOnly), l.Format("15:04")
}

func denied(err error, kind errs.Kind) bool {
	var de *errs.DeniedError
	return errors.As(err, &de) && errs.KindOf(err) == kind
}

// TestRecordRefusals: every field error names its field, a refused
// assessment writes nothing, and version, consent and access are checked.
func TestRecordRefusals(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		w := newWorld(t, db, o, profile.CP, profile.Medium, true)
		before, c0 := w.counts(), w.caseNow()
		sexual, physical := incidentType(t, profile.CP, true), incidentType(t, profile.CP, false)
		gbvOnly := incidentType(t, profile.GBV, true)
		if profile.Has(prof.IncidentTypes[profile.CP], gbvOnly) {
			t.Fatalf("%s is a CP incident type too; pick another", gbvOnly)
		}
		yesterday, _ := occurred(now.Add(-day))
		recentDate, recentTime := occurred(now.Add(-2 * time.Hour))
		prefixLen := len("assessment: ")
		valid := func(in *assessment.Input) assessment.NeedInput { return in.Needs[0] }
		for _, tc := range []struct {
			name string
			edit func(*assessment.Input)
			want []string
		}{
			{"no kind", func(in *assessment.Input) { in.Kind = "" }, []string{"kind=err.choose"}},
			{"unknown kind", func(in *assessment.Input) { in.Kind = "rapid" }, []string{"kind=err.choose"}},
			{"assessed tomorrow", func(in *assessment.Input) { in.AssessedOn = "2025-03-11" }, []string{"assessed_on=err.future"}},
			{"assessed on no date", func(in *assessment.Input) { in.AssessedOn = "10/03/2025" }, []string{"assessed_on=err.date"}},
			{"child not interviewed, no why", func(in *assessment.Input) { in.InterviewedChild = false },
				[]string{"not_interviewed_why=err.not_interviewed_why"}},
			{"child not interviewed, blank why", func(in *assessment.Input) { in.InterviewedChild, in.NotInterviewedWhy = false, "  " },
				[]string{"not_interviewed_why=err.not_interviewed_why"}},
			{"no needs", func(in *assessment.Input) { in.Needs = nil }, []string{"needs=err.needs_required"}},
			{"only blank need rows", func(in *assessment.Input) { in.Needs = []assessment.NeedInput{{}, {Description: " "}} },
				[]string{"needs=err.needs_required"}},
			{"unknown domain after a blank row", func(in *assessment.Input) {
				in.Needs = []assessment.NeedInput{valid(in), {}, {Domain: "magic", Description: "x", Met: assessment.MetPartly, Priority: "low"}}
			}, []string{"needs.2.domain=err.choose"}},
			{"need without description", func(in *assessment.Input) { in.Needs[0].Description = "  " },
				[]string{"needs.0.description=err.required"}},
			{"need description too long", func(in *assessment.Input) { in.Needs[0].Description = strings.Repeat("x", 4001) },
				[]string{"needs.0.description=err.required"}},
			{"need met unknown", func(in *assessment.Input) { in.Needs[0].Met = "mostly" }, []string{"needs.0.met=err.choose"}},
			{"need without priority", func(in *assessment.Input) { in.Needs[0].Priority = "" }, []string{"needs.0.priority=err.choose"}},
			{"no risk level", func(in *assessment.Input) { in.RiskLevel = "" }, []string{"risk_level=err.choose"}},
			{"unknown risk level", func(in *assessment.Input) { in.RiskLevel = "severe" }, []string{"risk_level=err.choose"}},
			{"new risk level without a reason", func(in *assessment.Input) { in.RiskLevel, in.RiskReason = profile.High, "" },
				[]string{"risk_reason=err.risk_reason"}},
			{"same risk level without a reason", func(in *assessment.Input) { in.RiskReason = " " },
				[]string{"risk_reason=err.risk_reason"}},
			{"reason too long", func(in *assessment.Input) { in.RiskReason = strings.Repeat("x", 4001) },
				[]string{"risk_reason=err.too_long"}},
			{"reason too long for the risk history", func(in *assessment.Input) {
				in.RiskLevel, in.RiskReason = profile.High, strings.Repeat("x", 4000-prefixLen+1)
			}, []string{"risk_reason=err.too_long"}},
			{"a domain too long", func(in *assessment.Input) { in.Domains.Child = strings.Repeat("x", 4001) },
				[]string{"domains.child=err.too_long"}},
			{"not-interviewed reason too long", func(in *assessment.Input) {
				in.InterviewedChild, in.NotInterviewedWhy = false, strings.Repeat("x", 4001)
			}, []string{"not_interviewed_why=err.too_long"}},
			{"another case type's incident", func(in *assessment.Input) {
				in.Threats = []assessment.ThreatInput{{}, {IncidentType: gbvOnly, OccurredOn: yesterday}}
			}, []string{"threats.1.incident_type=err.choose"}},
			{"threat without incident type", func(in *assessment.Input) { in.Threats = []assessment.ThreatInput{{Location: "market"}} },
				[]string{"threats.0.incident_type=err.choose"}},
			{"unknown perpetrator", func(in *assessment.Input) {
				in.Threats = []assessment.ThreatInput{{IncidentType: physical, Perpetrator: "ghost"}}
			}, []string{"threats.0.perpetrator=err.choose"}},
			{"incident later today", func(in *assessment.Input) {
				d, c := occurred(now.Add(time.Hour))
				in.Threats = []assessment.ThreatInput{{IncidentType: physical, OccurredOn: d, OccurredTime: c}}
			}, []string{"threats.0.occurred_on=err.future"}},
			{"incident time without a date", func(in *assessment.Input) {
				in.Threats = []assessment.ThreatInput{{IncidentType: physical, OccurredTime: "10:00"}}
			}, []string{"threats.0.occurred_on=err.date"}},
			{"incident at no time", func(in *assessment.Input) {
				in.Threats = []assessment.ThreatInput{{IncidentType: physical, OccurredOn: yesterday, OccurredTime: "25:61"}}
			}, []string{"threats.0.occurred_on=err.date"}},
			{"threat location too long", func(in *assessment.Input) {
				in.Threats = []assessment.ThreatInput{{IncidentType: physical, Location: strings.Repeat("x", 201)}}
			}, []string{"threats.0.location=err.too_long"}},
			{"threat notes too long", func(in *assessment.Input) {
				in.Threats = []assessment.ThreatInput{{IncidentType: physical, Notes: strings.Repeat("x", 4001)}}
			}, []string{"threats.0.notes=err.too_long"}},
			{"a recent sexual incident with a bad need", func(in *assessment.Input) {
				in.Threats = []assessment.ThreatInput{{IncidentType: sexual, OccurredOn: recentDate, OccurredTime: recentTime}}
				in.Needs[0].Met = ""
			}, []string{"needs.0.met=err.choose"}},
			{"several at once", func(in *assessment.Input) {
				in.Kind, in.RiskLevel, in.InterviewedChild = "", "", false
				in.Needs = append(in.Needs, assessment.NeedInput{Domain: "safety", Description: "x"})
			}, []string{"kind=err.choose", "needs.1.met=err.choose", "needs.1.priority=err.choose",
				"not_interviewed_why=err.not_interviewed_why", "risk_level=err.choose"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := w.input()
				tc.edit(&in)
				_, err := w.record(w.cw, in, now)
				if !errors.Is(err, errs.ErrInvalid) {
					t.Errorf("err %v, want invalid input", err)
				}
				if diff := cmp.Diff(tc.want, fieldCodes(err)); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
			})
		}

		// Stale version, and the consent gate shut.
		stale := w.input()
		stale.Version--
		var ce *errs.ConflictError
		if _, err := w.record(w.cw, stale, now); !errors.As(err, &ce) {
			t.Errorf("stale version: %v, want a conflict", err)
		}
		// Roles: the manager oversees, others do not see the case.
		for _, tc := range []struct {
			name string
			u    *org.User
			kind errs.Kind
		}{
			{"manager", o.Manager, errs.Forbidden},
			{"another caseworker of the team", o.Caseworker2, errs.NotFound},
			{"another team's supervisor", o.SupervisorB, errs.NotFound},
			{"another agency's caseworker", o.OtherCaseworker, errs.NotFound},
			{"service provider", o.ServiceProvider, errs.NotFound},
		} {
			a := fixture.Actor(tc.u)
			if _, err := w.record(a, w.input(), now); !denied(err, tc.kind) {
				t.Errorf("record by %s: %v, want denied (%v)", tc.name, err, tc.kind)
			}
			if _, err := w.incident(a, assessment.ThreatInput{IncidentType: physical}, now); !denied(err, tc.kind) {
				t.Errorf("incident by %s: %v, want denied (%v)", tc.name, err, tc.kind)
			}
			if err := w.referralMade(a, now); !denied(err, tc.kind) {
				t.Errorf("medical referral by %s: %v, want denied (%v)", tc.name, err, tc.kind)
			}
		}
		// Nothing of the refusals was written.
		if got := w.counts(); got != before {
			t.Errorf("refused assessments wrote rows: %+v, before %+v", got, before)
		}
		if c := w.caseNow(); c.Version != c0.Version || c.Step != cases.StepAssessment || c.RiskLevel != profile.Medium {
			t.Errorf("refused assessments changed the case: version %d step %s risk %s", c.Version, c.Step, c.RiskLevel)
		}
		if d := w.open(deadline.Assessment); d == nil {
			t.Error("a refused assessment completed the assessment deadline")
		}
		if n := w.notices(o.Supervisor, notify.MedicalReferral); n != 0 {
			t.Errorf("a refused assessment alerted the supervisor %d times", n)
		}
		var events int
		fixture.Read(t, db, func(tx *store.Tx) error {
			evs, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: w.c.ID, Action: "assessment."})
			events = len(evs)
			return err
		})
		if events != 0 {
			t.Errorf("%d assessment audit events after refusals", events)
		}

		// Without consent to collect and store, nothing is recorded.
		shut := newWorld(t, db, o, profile.CP, profile.Medium, false)
		shutBefore := shut.counts()
		if _, err := shut.record(shut.cw, shut.input(), now); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
			t.Errorf("record without consent: %v", err)
		}
		if _, err := shut.incident(shut.cw, assessment.ThreatInput{IncidentType: sexual, OccurredOn: recentDate}, now); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
			t.Errorf("incident without consent: %v", err)
		}
		if got := shut.counts(); got != shutBefore {
			t.Errorf("the consent gate let rows through: %+v, before %+v", got, shutBefore)
		}

		// The team's supervisor may record an assessment.
		if _, err := w.record(w.sup, w.input(), now); err != nil {
			t.Errorf("supervisor: %v", err)
		}
	})
}

// TestRecord: an assessment joins the risk history with its reasoning,
// completes the assessment deadline by the level that was in force, moves a
// case waiting for it on to case planning with that step's deadline, and
// moves the open deadlines when it changes the risk level.
func TestRecord(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)

		t.Run("risk raised", func(t *testing.T) {
			w := newWorld(t, db, o, profile.CP, profile.Medium, true)
			physical := incidentType(t, profile.CP, false)
			at := now.Add(2 * day)
			od, oc := occurred(now.Add(-3 * day))
			in := w.input()
			in.Kind, in.AssessedOn = assessment.Comprehensive, "2025-03-11"
			in.InterviewedChild, in.NotInterviewedWhy = false, "  asleep; seen tomorrow "
			in.Domains = assessment.Domains{Child: "10, no documents", Care: "mother, stepfather"}
			in.RiskLevel, in.RiskReason = profile.High, "  the stepfather is back  "
			in.Threats = []assessment.ThreatInput{{IncidentType: physical, Location: " home ", Frequency: "weekly", Ongoing: true,
				Perpetrator: prof.PerpetratorRelations[0].Key, OccurredOn: od, OccurredTime: oc}}
			in.Needs = append(in.Needs, assessment.NeedInput{}, assessment.NeedInput{Domain: "education",
				Description: " out of school ", Met: assessment.MetPartly, Priority: "medium", Essential: true})
			as := w.mustRecord(in, at)

			var stored []assessment.Assessment
			var threats []assessment.Threat
			var needs []assessment.Need
			fixture.Read(t, db, func(tx *store.Tx) (err error) {
				if stored, err = tx.Assessments(ctx, w.c.ID); err != nil {
					return err
				}
				if threats, err = tx.Threats(ctx, w.c.ID); err != nil {
					return err
				}
				needs, err = tx.Needs(ctx, w.c.ID)
				return err
			})
			if len(stored) != 1 || stored[0].ID != as.ID || stored[0].Kind != assessment.Comprehensive ||
				stored[0].AssessedOn != "2025-03-11" || stored[0].InterviewedChild || stored[0].NotInterviewedWhy != "asleep; seen tomorrow" ||
				stored[0].RiskLevel != profile.High || stored[0].RiskReason != "the stepfather is back" ||
				stored[0].Domains != in.Domains || stored[0].CreatedBy != o.Caseworker.ID || !stored[0].CreatedAt.Equal(at) {
				t.Errorf("stored assessments %+v", stored)
			}
			occ, _ := time.ParseInLocation("2006-01-02 15:04", od+" "+oc, prof.Location())
			if len(threats) != 1 || threats[0].AssessmentID != as.ID || threats[0].IncidentType != physical ||
				threats[0].Location != "home" || !threats[0].Ongoing || !threats[0].OccurredAt.Equal(occ) {
				t.Errorf("stored threats %+v", threats)
			}
			if len(needs) != 2 || needs[0].AssessmentID != as.ID || needs[1].Description != "out of school" ||
				needs[1].Met != assessment.MetPartly || !needs[1].Essential {
				t.Errorf("stored needs %+v", needs)
			}

			c := w.caseNow()
			if c.RiskLevel != profile.High || c.Step != cases.StepCasePlan {
				t.Errorf("case after the assessment: risk %s step %s", c.RiskLevel, c.Step)
			}
			hist := w.riskHistory()
			if want := (cases.RiskChange{ID: hist[0].ID, CaseID: c.ID, From: profile.Medium, To: profile.High,
				Reason: "assessment: the stepfather is back", ChangedBy: o.Caseworker.ID, ChangedAt: at}); len(hist) != 2 || !cmp.Equal(hist[0], want) {
				t.Errorf("risk history %+v, want %+v first", hist, want)
			}
			// Due by the level in force while it ran: a week for medium; met.
			ad := w.deadlines(deadline.Assessment)
			if len(ad) != 1 || ad[0].Open() || !ad[0].DoneAt.Equal(at) || ad[0].DoneBy != o.Caseworker.ID ||
				!ad[0].DueAt.Equal(now.Add(timeline(t, prof.Timelines.Assessment, profile.Medium))) || !ad[0].OnTime() {
				t.Errorf("assessment deadline %+v, want done on time at %v", ad, at)
			}
			steps := w.stepHistory()
			if want := (cases.StepChange{ID: steps[0].ID, CaseID: c.ID, From: cases.StepAssessment, To: cases.StepCasePlan,
				Reason: "assessed", ChangedBy: o.Caseworker.ID, ChangedAt: at}); !cmp.Equal(steps[0], want) {
				t.Errorf("step change %+v, want %+v", steps[0], want)
			}
			// The plan is due from the day the assessment happened (the
			// day before it was entered), by the new level's timeline.
			heldOn := prof.DayStart("2025-03-11", at)
			cp := w.open(deadline.CasePlan)
			if cp == nil || !cp.AnchorAt.Equal(heldOn) || !cp.DueAt.Equal(heldOn.Add(timeline(t, prof.Timelines.CasePlan, profile.High))) {
				t.Errorf("case plan deadline %+v, want due by the high-risk timeline from %v", cp, heldOn)
			} else if !c.NextDueAt.Equal(cp.DueAt) {
				t.Errorf("next due %v, want the case plan's %v", c.NextDueAt, cp.DueAt)
			}
			fixture.Read(t, db, func(tx *store.Tx) error {
				evs, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: c.ID, Action: "assessment.record"})
				if len(evs) != 1 || evs[0].RecordID != as.ID || evs[0].ActorID != o.Caseworker.ID {
					t.Errorf("audit events %+v", evs)
				}
				return err
			})
		})

		t.Run("late, risk lowered", func(t *testing.T) {
			w := newWorld(t, db, o, profile.CP, profile.High, true)
			at := now.Add(3 * day)
			in := w.input()
			in.RiskLevel, in.RiskReason = profile.Low, "moved in with her aunt"
			w.mustRecord(in, at)
			// Due within a day at high risk: late, whatever the new level.
			ad := w.deadlines(deadline.Assessment)
			if len(ad) != 1 || !ad[0].DoneAt.Equal(at) || ad[0].OnTime() ||
				!ad[0].DueAt.Equal(now.Add(timeline(t, prof.Timelines.Assessment, profile.High))) {
				t.Errorf("assessment deadline %+v, want done late", ad)
			}
			if cp := w.open(deadline.CasePlan); cp == nil || !cp.DueAt.Equal(at.Add(timeline(t, prof.Timelines.CasePlan, profile.Low))) {
				t.Errorf("case plan deadline %+v, want by the low-risk timeline", cp)
			}
		})

		t.Run("same risk, then a second assessment", func(t *testing.T) {
			w := newWorld(t, db, o, profile.CP, profile.Low, true)
			at := now.Add(day)
			in := w.input()
			in.RiskReason = "nothing new"
			w.mustRecord(in, at)
			hist := w.riskHistory()
			if len(hist) != 2 || hist[0].From != profile.Low || hist[0].To != profile.Low || hist[0].Reason != "assessment: nothing new" {
				t.Errorf("risk history %+v, want the reasoning recorded with the level unchanged", hist)
			}
			if c := w.caseNow(); c.RiskLevel != profile.Low || c.Step != cases.StepCasePlan {
				t.Errorf("case: risk %s step %s", c.RiskLevel, c.Step)
			}
			if ad := w.deadlines(deadline.Assessment); len(ad) != 1 || !ad[0].OnTime() {
				t.Errorf("assessment deadline %+v, want done on time", ad)
			}
			cp := w.open(deadline.CasePlan)
			steps := len(w.stepHistory())

			// A comprehensive assessment later: the step and deadlines stay.
			in = w.input()
			in.Kind = assessment.Comprehensive
			w.mustRecord(in, at.Add(2*day))
			if n := len(w.stepHistory()); n != steps {
				t.Errorf("a second assessment moved the step (%d changes, was %d)", n, steps)
			}
			if cp2 := w.open(deadline.CasePlan); cp2 == nil || cp == nil || cp2.ID != cp.ID || !cp2.DueAt.Equal(cp.DueAt) {
				t.Errorf("case plan deadline %+v, was %+v", cp2, cp)
			}
			if ad := w.deadlines(deadline.Assessment); len(ad) != 1 || !ad[0].DoneAt.Equal(at) {
				t.Errorf("assessment deadlines %+v after a second assessment", ad)
			}
			if n := w.counts(); n.Assessments != 2 || n.Needs != 2 || n.Risks != 3 {
				t.Errorf("rows %+v", n)
			}
		})

		t.Run("assessed at no risk", func(t *testing.T) {
			w := newWorld(t, db, o, profile.CP, profile.Medium, true)
			at := now.Add(day)
			in := w.input()
			in.RiskLevel, in.RiskReason = profile.NoRisk, "reunified, safe"
			w.mustRecord(in, at)
			// The assessment deadline is kept as done, not dropped with the level.
			if ad := w.deadlines(deadline.Assessment); len(ad) != 1 || !ad[0].DoneAt.Equal(at) || !ad[0].OnTime() {
				t.Errorf("assessment deadline %+v, want done on time", ad)
			}
			_, has := prof.Timelines.CasePlan.For(profile.NoRisk)
			if cp := w.open(deadline.CasePlan); (cp != nil) != has {
				t.Errorf("case plan deadline %+v at no risk; the profile has one: %v", cp, has)
			}
			if c := w.caseNow(); c.Step != cases.StepCasePlan || c.RiskLevel != profile.NoRisk {
				t.Errorf("case: step %s risk %s", c.Step, c.RiskLevel)
			}
		})

		t.Run("during implementation", func(t *testing.T) {
			w := newWorld(t, db, o, profile.CP, profile.Low, true)
			w.mustRecord(w.input(), now)
			activated := now.Add(day)
			w.withPlan(activated)
			if s := w.caseNow().Step; s != cases.StepImplementation {
				t.Fatalf("step with an active plan: %s", s)
			}
			rv := w.open(deadline.Review)
			if rv == nil || !rv.DueAt.Equal(activated.Add(timeline(t, prof.Timelines.Review, profile.Low))) {
				t.Fatalf("review after activation %+v", rv)
			}
			// An incident recorded on its own makes the review due at once.
			t1 := activated.Add(day)
			th, err := w.incident(w.cw, assessment.ThreatInput{IncidentType: incidentType(t, profile.CP, false),
				Location: "school"}, t1)
			if err != nil {
				t.Fatal(err)
			}
			if th.AssessmentID != "" || th.CaseID != w.c.ID || th.ID == "" {
				t.Errorf("incident %+v", th)
			}
			if rv := w.open(deadline.Review); rv == nil || !rv.DueAt.Equal(t1) {
				t.Errorf("review after an incident %+v, want due at %v", rv, t1)
			}
			steps := len(w.stepHistory())

			// A comprehensive assessment raising the risk: the step stays,
			// the follow-up runs by the new level from its anchor.
			t2 := t1.Add(day)
			in := w.input()
			in.Kind, in.RiskLevel, in.RiskReason = assessment.Comprehensive, profile.High, "threats at school"
			w.mustRecord(in, t2)
			c := w.caseNow()
			if c.Step != cases.StepImplementation || len(w.stepHistory()) != steps || c.RiskLevel != profile.High {
				t.Errorf("case after a later assessment: step %s risk %s", c.Step, c.RiskLevel)
			}
			fu := w.open(deadline.FollowUp)
			if fu == nil || !fu.DueAt.Equal(fu.AnchorAt.Add(timeline(t, prof.Timelines.FollowUp, profile.High))) {
				t.Errorf("follow-up %+v, want recomputed for high risk", fu)
			}
			if cp := w.open(deadline.CasePlan); cp != nil {
				t.Errorf("a later assessment opened a case plan deadline %+v", cp)
			}
		})
	})
}

// TestMedicalReferral: a sexual-violence incident (the profile's
// sexual_incident_types) within the profile's window opens the
// medical-referral deadline from the earliest such incident and alerts the
// team's supervisors; MedicalReferralMade closes it.
func TestMedicalReferral(t *testing.T) {
	t.Parallel()
	window := prof.SexualViolenceWindow.D()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		// A second, disabled supervisor in team A is not alerted.
		fixture.In(t, db, func(tx *store.Tx) error {
			return tx.InsertUser(ctx, &org.User{AgencyID: o.Agency.ID, TeamID: o.TeamA.ID, Username: "sup.gone",
				DisplayName: "Gone", Role: org.Supervisor, PasswordHash: "x", DisabledAt: now, CreatedAt: now, UpdatedAt: now})
		})
		sexual := incidentType(t, profile.CP, true)

		t.Run("in the window", func(t *testing.T) {
			w := newWorld(t, db, o, profile.CP, profile.Medium, true)
			earliest := now.Add(-window) // the window's very edge
			ed, ec := occurred(earliest)
			ld, lc := occurred(now.Add(-day))
			in := w.input()
			in.Threats = []assessment.ThreatInput{
				{IncidentType: sexual, OccurredOn: ld, OccurredTime: lc},
				{IncidentType: incidentType(t, profile.CP, false), OccurredOn: ld},
				{IncidentType: sexual, OccurredOn: ed, OccurredTime: ec},
			}
			w.mustRecord(in, now)
			mr := w.deadlines(deadline.MedicalReferral)
			if len(mr) != 1 || !mr[0].Open() || !mr[0].AnchorAt.Equal(earliest) || !mr[0].DueAt.Equal(earliest.Add(window)) ||
				mr[0].AssigneeID != o.Caseworker.ID {
				t.Errorf("medical referral %+v, want one open from the earliest incident %v", mr, earliest)
			}
			if n := w.notices(o.Supervisor, notify.MedicalReferral); n != 1 {
				t.Errorf("the supervisor was alerted %d times, want once", n)
			}
			for _, u := range []*org.User{o.Caseworker, o.SupervisorB, o.Manager, o.OtherSupervisor} {
				if n := w.notices(u, notify.MedicalReferral); n != 0 {
					t.Errorf("%s was alerted", u.Username)
				}
			}

			// Made: the alert closes; there is nothing more to close.
			at := now.Add(time.Hour)
			if err := w.referralMade(w.cw, at); err != nil {
				t.Fatal(err)
			}
			if mr := w.deadlines(deadline.MedicalReferral); len(mr) != 1 || !mr[0].DoneAt.Equal(at) || mr[0].DoneBy != o.Caseworker.ID {
				t.Errorf("medical referral after it was made %+v", mr)
			}
			if err := w.referralMade(w.cw, at); !cmp.Equal(fieldCodes(err), []string{"medical_referral=err.nothing_open"}) {
				t.Errorf("made twice: %v", err)
			}
		})

		t.Run("outside the window or not sexual", func(t *testing.T) {
			w := newWorld(t, db, o, profile.CP, profile.Medium, true)
			od, oc := occurred(now.Add(-window - time.Minute))
			rd, rc := occurred(now.Add(-time.Hour))
			in := w.input()
			in.Threats = []assessment.ThreatInput{
				{IncidentType: sexual, OccurredOn: od, OccurredTime: oc},
				{IncidentType: sexual}, // no date: no alert
				{IncidentType: incidentType(t, profile.CP, false), OccurredOn: rd, OccurredTime: rc},
			}
			w.mustRecord(in, now)
			if mr := w.deadlines(deadline.MedicalReferral); len(mr) != 0 {
				t.Errorf("medical referral %+v", mr)
			}
			if n := w.notices(o.Supervisor, notify.MedicalReferral); n != 0 {
				t.Errorf("the supervisor was alerted %d times", n)
			}
			if err := w.referralMade(w.cw, now); !cmp.Equal(fieldCodes(err), []string{"medical_referral=err.nothing_open"}) {
				t.Errorf("made without an alert: %v", err)
			}
		})

		t.Run("an incident recorded on its own", func(t *testing.T) {
			w := newWorld(t, db, o, profile.GBV, profile.Medium, true)
			rape := incidentType(t, profile.GBV, true)
			// Refused: not a GBV incident type, in the future.
			for _, tc := range []struct {
				in   assessment.ThreatInput
				want []string
			}{
				{assessment.ThreatInput{IncidentType: sexual}, []string{"incident.incident_type=err.choose"}},
				{assessment.ThreatInput{IncidentType: rape, OccurredOn: "2025-03-11"}, []string{"incident.occurred_on=err.future"}},
				{assessment.ThreatInput{}, []string{"incident.incident_type=err.choose"}},
			} {
				if _, err := w.incident(w.cw, tc.in, now); !cmp.Equal(fieldCodes(err), tc.want) {
					t.Errorf("%+v: %v, want %v", tc.in, err, tc.want)
				}
			}
			if n := w.counts(); n.Threats != 0 {
				t.Errorf("refused incidents stored %d threats", n.Threats)
			}

			later := now.Add(-2 * time.Hour)
			d, c := occurred(later)
			th, err := w.incident(w.cw, assessment.ThreatInput{IncidentType: rape, OccurredOn: d, OccurredTime: c,
				Perpetrator: "stranger", Location: " market "}, now)
			if err != nil {
				t.Fatal(err)
			}
			if th.AssessmentID != "" || !th.OccurredAt.Equal(later) || th.Location != "market" {
				t.Errorf("incident %+v", th)
			}
			mr := w.open(deadline.MedicalReferral)
			if mr == nil || !mr.AnchorAt.Equal(later) || !mr.DueAt.Equal(later.Add(window)) {
				t.Errorf("medical referral %+v, want from %v", mr, later)
			}
			// An earlier incident, recorded afterwards, brings the alert forward.
			earlier := now.Add(-3 * day)
			d, c = occurred(earlier)
			if _, err := w.incident(w.cw, assessment.ThreatInput{IncidentType: rape, OccurredOn: d, OccurredTime: c}, now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			mr = w.open(deadline.MedicalReferral)
			if mr == nil || !mr.AnchorAt.Equal(earlier) || !mr.DueAt.Equal(earlier.Add(window)) {
				t.Errorf("medical referral %+v, want from the earlier incident %v", mr, earlier)
			}
			if n := len(w.deadlines(deadline.MedicalReferral)); n != 1 {
				t.Errorf("%d medical referral deadlines, want 1", n)
			}
			// Each incident alerts the supervisor.
			if n := w.notices(o.Supervisor, notify.MedicalReferral); n != 2 {
				t.Errorf("the supervisor was alerted %d times, want 2", n)
			}
			// No active plan: no review is made due.
			if rv := w.deadlines(deadline.Review); len(rv) != 0 {
				t.Errorf("review deadlines without a plan %+v", rv)
			}
			if n := w.counts(); n.Threats != 2 || n.Assessments != 0 {
				t.Errorf("rows %+v", n)
			}
		})
	})
}
