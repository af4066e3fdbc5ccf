package cases_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	ctx = context.Background()
	now = fixture.Now
)

const (
	hour = time.Hour
	day  = 24 * hour
	week = 7 * day
)

func intp(n int) *int { return &n }

func newCode() string { return cases.NewCode("C") }

// tryRegister registers r by a and returns the error; the transaction
// commits whatever happened, so a refusal that wrote something would show.
func tryRegister(t *testing.T, db *store.DB, a access.Actor, r cases.Registration) (*cases.Case, error) {
	t.Helper()
	var c *cases.Case
	var err error
	fixture.In(t, db, func(tx *store.Tx) error {
		c, err = cases.Register(ctx, tx, profile.Default(), a, r, newCode, now)
		return nil
	})
	return c, err
}

// caseDeadlines returns a case's deadlines sorted by kind, leaving out the
// age-out task (years away for a child; TestAgeOut covers it).
func caseDeadlines(t *testing.T, db *store.DB, id string) []deadline.Deadline {
	t.Helper()
	var out []deadline.Deadline
	for _, d := range allDeadlines(t, db, id) {
		if d.Kind != deadline.AgeOut {
			out = append(out, d)
		}
	}
	return out
}

// allDeadlines returns every deadline of a case, sorted by kind.
func allDeadlines(t *testing.T, db *store.DB, id string) []deadline.Deadline {
	t.Helper()
	var ds []deadline.Deadline
	fixture.Read(t, db, func(tx *store.Tx) error {
		var err error
		ds, err = tx.CaseDeadlines(ctx, id)
		return err
	})
	sort.Slice(ds, func(i, j int) bool { return ds[i].Kind < ds[j].Kind })
	return ds
}

func loadCase(t *testing.T, db *store.DB, id string) *cases.Case {
	t.Helper()
	var c *cases.Case
	fixture.Read(t, db, func(tx *store.Tx) error {
		var err error
		c, err = tx.Case(ctx, id)
		return err
	})
	return c
}

func countCases(t *testing.T, db *store.DB, agency string) int {
	t.Helper()
	var n int
	fixture.Read(t, db, func(tx *store.Tx) error {
		var err error
		n, err = tx.CountCases(ctx, store.CaseFilter{Scope: access.Agency, ID: agency}, 1000)
		return err
	})
	return n
}

// fieldCodes lists "field=code" for each field error of err, sorted.
func fieldCodes(err error) []string {
	fe, _ := errs.AsFields(err)
	var out []string
	for _, f := range fe {
		out = append(out, f.Field+"="+f.Msg)
	}
	sort.Strings(out)
	return out
}

func TestRegisterValidation(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		tests := []struct {
			name   string
			change func(r *cases.Registration)
			want   []string
		}{
			{"no name, not declined", func(r *cases.Registration) { r.GivenName, r.FamilyName = "", " " },
				[]string{"given_name=err.required_or_declined"}},
			{"no age, not declined", func(r *cases.Registration) { r.Age = nil },
				[]string{"age=err.required_or_declined"}},
			{"no sex, not declined", func(r *cases.Registration) { r.Sex = "" },
				[]string{"sex=err.required_or_declined"}},
			{"no location, not declined", func(r *cases.Registration) { r.Location = "" },
				[]string{"location=err.required_or_declined"}},
			{"no contact, not declined", func(r *cases.Registration) { r.Contact = "" },
				[]string{"contact=err.required_or_declined"}},
			{"no care status, not declined", func(r *cases.Registration) { r.CareStatus = "" },
				[]string{"care_status=err.required_or_declined"}},
			{"no concerns, not declined", func(r *cases.Registration) { r.Concerns = nil },
				[]string{"concerns=err.required_or_declined"}},
			{"declining an undeclinable field does not help", func(r *cases.Registration) {
				r.RiskReason, r.Declined = "", []string{"risk_reason"}
			}, []string{"risk_reason=err.risk_reason"}},
			{"date of birth in the future", func(r *cases.Registration) { r.Age, r.DateOfBirth = nil, "2025-03-11" },
				[]string{"age=err.required_or_declined", "date_of_birth=err.future"}},
			{"date of birth not a date", func(r *cases.Registration) { r.DateOfBirth = "10/03/2015" },
				[]string{"date_of_birth=err.date"}},
			{"age and date of birth disagree", func(r *cases.Registration) { r.Age, r.DateOfBirth = intp(4), "2015-01-01" },
				[]string{"age=err.age_dob_mismatch"}},
			{"a CP case for an 18-year-old", func(r *cases.Registration) { r.Age = intp(18) },
				[]string{"age=err.cp_adult"}},
			{"a CP case for a date of birth 18 years ago", func(r *cases.Registration) { r.Age, r.DateOfBirth = nil, "2007-03-10" },
				[]string{"age=err.cp_adult"}},
			{"age out of range", func(r *cases.Registration) { r.Age = intp(-1) },
				[]string{"age=err.age"}},
			{"no_risk at registration", func(r *cases.Registration) { r.RiskLevel = profile.NoRisk },
				[]string{"risk_level=err.no_risk_registration"}},
			{"unknown risk level", func(r *cases.Registration) { r.RiskLevel = "severe" },
				[]string{"risk_level=err.choose"}},
			{"no risk reason", func(r *cases.Registration) { r.RiskReason = "  " },
				[]string{"risk_reason=err.risk_reason"}},
			{"urgent without urgent needs", func(r *cases.Registration) { r.Urgent = true },
				[]string{"urgent_needs=err.urgent_needs"}},
			{"unknown concern", func(r *cases.Registration) { r.Concerns = []string{"neglect", "witchcraft"} },
				[]string{"concerns=err.choose"}},
			{"the same concern twice", func(r *cases.Registration) { r.Concerns = []string{"neglect", "neglect"} },
				[]string{"concerns=err.choose"}},
			{"unknown case type", func(r *cases.Registration) { r.Type = "adult" },
				[]string{"type=err.choose"}},
			{"unknown sex", func(r *cases.Registration) { r.Sex = "unknown" },
				[]string{"sex=err.choose"}},
			{"unknown care status", func(r *cases.Registration) { r.CareStatus = "lost" },
				[]string{"care_status=err.choose"}},
			{"registered in the future", func(r *cases.Registration) { r.RegisteredOn = "2025-03-11" },
				[]string{"registered_on=err.future"}},
			{"referred after registration", func(r *cases.Registration) { r.RegisteredOn, r.ReferredOn = "2025-03-01", "2025-03-02" },
				[]string{"referred_on=err.referred_after_registered"}},
			{"registration number the profile does not use", func(r *cases.Registration) { r.RegistrationNumber = "123-ABC" },
				[]string{"registration_number=err.not_in_profile"}},
			{"name too long", func(r *cases.Registration) { r.GivenName = strings.Repeat("a", 201) },
				[]string{"given_name=err.too_long"}},
			{"caseworker registers for someone else", func(r *cases.Registration) { r.CaseworkerID = o.Caseworker2.ID },
				[]string{"caseworker_id=err.caseworker_self"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := fixture.Registration(profile.CP)
				tt.change(&r)
				c, err := tryRegister(t, db, cw, r)
				if !errors.Is(err, errs.ErrInvalid) {
					t.Fatalf("Register = %v, %v; want invalid input", c, err)
				}
				if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
				if n := countCases(t, db, o.Agency.ID); n != 0 {
					t.Errorf("%d cases written", n)
				}
			})
		}
	})
}

// TestRegisterDeclined: every required field may be answered by "declined to answer".
func TestRegisterDeclined(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		empty := map[string]func(r *cases.Registration){
			"name":        func(r *cases.Registration) { r.GivenName, r.FamilyName = "", "" },
			"age":         func(r *cases.Registration) { r.Age = nil },
			"sex":         func(r *cases.Registration) { r.Sex = "" },
			"location":    func(r *cases.Registration) { r.Location = "" },
			"contact":     func(r *cases.Registration) { r.Contact = "" },
			"care_status": func(r *cases.Registration) { r.CareStatus = "" },
			"concerns":    func(r *cases.Registration) { r.Concerns = nil },
		}
		if len(empty) != len(cases.Declinable) {
			t.Fatalf("the test knows %d declinable fields, the package %d", len(empty), len(cases.Declinable))
		}
		for _, field := range cases.Declinable {
			t.Run(field, func(t *testing.T) {
				r := fixture.Registration(profile.CP)
				empty[field](&r)
				r.Declined = []string{field}
				if _, err := tryRegister(t, db, cw, r); err != nil {
					t.Errorf("declined %s: %v", field, err)
				}
			})
		}
		t.Run("everything", func(t *testing.T) {
			r := fixture.Registration(profile.CP)
			for _, f := range empty {
				f(&r)
			}
			r.Declined = []string{"sex", "age", "name", "age", "shoe_size", "location", "contact", "care_status", "concerns"}
			c, err := tryRegister(t, db, cw, r)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"age", "care_status", "concerns", "contact", "location", "name", "sex"}
			if diff := cmp.Diff(want, loadCase(t, db, c.ID).Declined); diff != "" {
				t.Errorf("stored declined fields (-want +got):\n%s", diff)
			}
			if !c.Declines("age") || c.Declines("risk_reason") {
				t.Error("Declines does not follow the declined list")
			}
		})
	})
}

func TestRegisterDeadlines(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		referred := time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC) // DayStart of the referral date
		tests := []struct {
			risk   string
			urgent bool
			reg    time.Duration // registration due, from the referral
			assess time.Duration // assessment due, from registration
		}{
			{profile.High, false, 24 * hour, 24 * hour},
			{profile.Medium, false, 3 * day, week},
			{profile.Low, false, week, 2 * week},
			{profile.Low, true, week, 2 * week},
		}
		for _, tt := range tests {
			name := tt.risk
			if tt.urgent {
				name += " urgent"
			}
			t.Run(name, func(t *testing.T) {
				r := fixture.Registration(profile.CP)
				r.RiskLevel, r.ReferredOn = tt.risk, "2025-03-08"
				if tt.urgent {
					r.Urgent, r.UrgentNeeds = true, "no shelter tonight"
				}
				c := fixture.Register(t, db, cw, r, now)
				common := deadline.Deadline{CaseID: c.ID, AssigneeID: o.Caseworker.ID, TeamID: o.TeamA.ID,
					AgencyID: o.Agency.ID, CreatedAt: now}
				want := []deadline.Deadline{
					with(common, deadline.Assessment, now, now.Add(tt.assess)),
					with(common, deadline.Registration, referred, referred.Add(tt.reg)),
				}
				// Registration is done by registering.
				want[1].DoneAt, want[1].DoneBy = now, o.Caseworker.ID
				next := now.Add(tt.assess)
				if tt.urgent {
					want = append(want, with(common, deadline.UrgentResponse, now, now.Add(24*hour)))
					next = now.Add(24 * hour)
				}
				got := caseDeadlines(t, db, c.ID)
				if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(deadline.Deadline{}, "ID")); diff != "" {
					t.Errorf("deadlines (-want +got):\n%s", diff)
				}
				stored := loadCase(t, db, c.ID)
				if !stored.NextDueAt.Equal(next) {
					t.Errorf("NextDueAt = %v, want %v", stored.NextDueAt, next)
				}
				if !stored.ReferredAt.Equal(referred) || !stored.RegisteredAt.Equal(now) {
					t.Errorf("referred %v registered %v, want %v and %v", stored.ReferredAt, stored.RegisteredAt, referred, now)
				}
			})
		}
	})
}

func with(d deadline.Deadline, k deadline.Kind, anchor, due time.Time) deadline.Deadline {
	d.Kind, d.AnchorAt, d.DueAt = k, anchor, due
	return d
}

// TestRegisterFromPaper: a case registered after the fact runs its
// deadlines from the day it was registered, and one from a screened
// identification from the moment the identification came in.
func TestRegisterAnchors(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		p := profile.Default()

		r := fixture.Registration(profile.CP)
		r.RegisteredOn, r.RiskLevel = "2025-03-05", profile.High
		c := fixture.Register(t, db, cw, r, now)
		regDay := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)
		ds := caseDeadlines(t, db, c.ID)
		if a := ds[0]; a.Kind != deadline.Assessment || !a.AnchorAt.Equal(regDay) || !a.DueAt.Equal(regDay.Add(24*hour)) {
			t.Errorf("assessment from paper: anchor %v due %v, want %v and +24h", a.AnchorAt, a.DueAt, regDay)
		}
		if g := ds[1]; !g.AnchorAt.Equal(regDay) || !g.DoneAt.Equal(regDay) {
			t.Errorf("registration from paper: anchor %v done %v, want both %v", g.AnchorAt, g.DoneAt, regDay)
		}

		submitted := now.Add(-2*day - 3*hour)
		var screeningID string
		fixture.In(t, db, func(tx *store.Tx) error {
			in := intake.NewIdentification{Source: "community", Location: "by the river", Age: "9"}
			ident, err := intake.SubmitIdentification(ctx, tx, p, fixture.Actor(o.Volunteer), in, "I-1", submitted)
			if err != nil {
				return err
			}
			s, err := intake.Screen(ctx, tx, p, cw, intake.ScreeningInput{IdentificationID: ident.ID, CaseType: profile.CP, Age: "9",
				Answers: map[string]string{"harmed_or_at_risk": "yes", "case_management_appropriate": "yes"}}, now)
			screeningID = s.ID
			return err
		})
		r = fixture.Registration(profile.CP)
		r.ScreeningID, r.RiskLevel = screeningID, profile.Medium
		c = fixture.Register(t, db, cw, r, now)
		g := caseDeadlines(t, db, c.ID)[1]
		if g.Kind != deadline.Registration || !g.AnchorAt.Equal(submitted) || !g.DueAt.Equal(submitted.Add(3*day)) {
			t.Errorf("registration deadline: %s anchor %v due %v, want anchored at the identification %v", g.Kind, g.AnchorAt, g.DueAt, submitted)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			s, err := tx.Screening(ctx, screeningID)
			if err == nil && s.CaseID != c.ID {
				t.Errorf("screening leads to case %q, want %s", s.CaseID, c.ID)
			}
			return err
		})
		// A screening leads to one case only.
		_, err := tryRegister(t, db, cw, r)
		if diff := cmp.Diff([]string{"screening_id=err.screening_used"}, fieldCodes(err)); diff != "" {
			t.Errorf("second case from one screening: %v", err)
		}
	})
}

func TestRegisterCase(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		r := fixture.Registration(profile.CP)
		r.DateOfBirth, r.CareStatus, r.Needs = "2015-01-20", cases.Unaccompanied, "school fees"
		r.GivenName = "  Amina  "
		c := fixture.Register(t, db, cw, r, now)
		if !strings.HasPrefix(c.Code, "C-") || len(c.Code) != 8 {
			t.Errorf("code %q", c.Code)
		}
		got := loadCase(t, db, c.ID)
		want := &cases.Case{ID: c.ID, Code: c.Code, Type: profile.CP, AgencyID: o.Agency.ID, TeamID: o.TeamA.ID,
			CaseworkerID: o.Caseworker.ID, Status: cases.Open, Step: cases.StepAssessment, RiskLevel: profile.Medium,
			Priority: true, CareStatus: cases.Unaccompanied, Sex: "female", AgeYears: intp(10), RegisteredOn: "2025-03-10",
			ReferredAt: now, RegisteredAt: now, Concerns: []string{"neglect"}, Details: cases.Details{Needs: "school fees"},
			NextDueAt: now.Add(week), CreatedBy: o.Caseworker.ID, CreatedAt: now, UpdatedBy: o.Caseworker.ID, UpdatedAt: now,
			Version: 1}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("stored case (-want +got):\n%s", diff)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			id, err := tx.Identity(ctx, c.ID)
			if err != nil {
				return err
			}
			wantID := &cases.Identity{GivenName: "Amina", FamilyName: "Test", DateOfBirth: "2015-01-20",
				Location: "Camp 3, block 4", Contact: "through the block leader"}
			if diff := cmp.Diff(wantID, id); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
			hist, err := tx.RiskHistory(ctx, c.ID)
			if err != nil {
				return err
			}
			wantHist := []cases.RiskChange{{CaseID: c.ID, To: profile.Medium, Reason: "left alone at night",
				ChangedBy: o.Caseworker.ID, ChangedAt: now}}
			if diff := cmp.Diff(wantHist, hist, cmpopts.IgnoreFields(cases.RiskChange{}, "ID")); diff != "" {
				t.Errorf("risk history (-want +got):\n%s", diff)
			}
			ev, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: c.ID})
			if err != nil {
				return err
			}
			if len(ev) != 1 || ev[0].Action != "case.register" || strings.Contains(ev[0].Detail, "Amina") {
				t.Errorf("audit events %+v, want one case.register without case content", ev)
			}
			return nil
		})
	})
}

func TestRegisterPriority(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		for status, want := range map[string]bool{cases.Accompanied: false, cases.Separated: true, cases.Unaccompanied: true} {
			r := fixture.Registration(profile.CP)
			r.CareStatus = status
			c := fixture.Register(t, db, fixture.Actor(o.Caseworker), r, now)
			if got := loadCase(t, db, c.ID).Priority; got != want {
				t.Errorf("%s: Priority = %v, want %v", status, got, want)
			}
		}
	})
}

func TestRegisterWho(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		tests := []struct {
			name     string
			by       access.Actor
			for_     string
			wantTeam string
			wantErr  []string // field errors
			wantKind errs.Kind
		}{
			{"caseworker for themselves", fixture.Actor(o.Caseworker), "", o.TeamA.ID, nil, 0},
			{"caseworker naming themselves", fixture.Actor(o.Caseworker), o.Caseworker.ID, o.TeamA.ID, nil, 0},
			{"caseworker for a colleague", fixture.Actor(o.Caseworker), o.Caseworker2.ID, "", []string{"caseworker_id=err.caseworker_self"}, 0},
			{"supervisor for their team", fixture.Actor(o.Supervisor), o.Caseworker2.ID, o.TeamA.ID, nil, 0},
			{"supervisor for themselves", fixture.Actor(o.Supervisor), o.Supervisor.ID, o.TeamA.ID, nil, 0},
			{"supervisor for another team", fixture.Actor(o.Supervisor), o.CaseworkerB.ID, "", []string{"caseworker_id=err.caseworker_team"}, 0},
			{"supervisor naming no one", fixture.Actor(o.Supervisor), "", "", []string{"caseworker_id=err.choose"}, 0},
			{"manager for any team", fixture.Actor(o.Manager), o.CaseworkerB.ID, o.TeamB.ID, nil, 0},
			{"manager for another agency", fixture.Actor(o.Manager), o.OtherCaseworker.ID, "", []string{"caseworker_id=err.caseworker"}, 0},
			{"manager for a non-caseworker", fixture.Actor(o.Manager), o.DPOfficer.ID, "", []string{"caseworker_id=err.caseworker"}, 0},
			{"manager for no one", fixture.Actor(o.Manager), store.NewID(), "", []string{"caseworker_id=err.caseworker"}, 0},
			{"volunteer", fixture.Actor(o.Volunteer), o.Caseworker.ID, "", nil, errs.Forbidden},
			{"agency admin", fixture.Actor(o.AgencyAdmin), o.Caseworker.ID, "", nil, errs.Forbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := fixture.Registration(profile.CP)
				r.CaseworkerID = tt.for_
				before := countCases(t, db, o.Agency.ID)
				c, err := tryRegister(t, db, tt.by, r)
				switch {
				case tt.wantErr != nil:
					if diff := cmp.Diff(tt.wantErr, fieldCodes(err)); diff != "" {
						t.Errorf("err %v (-want +got):\n%s", err, diff)
					}
				case tt.wantKind != 0:
					if errs.KindOf(err) != tt.wantKind {
						t.Errorf("err %v, want kind %v", err, tt.wantKind)
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					want := tt.for_
					if want == "" {
						want = tt.by.UserID
					}
					if c.CaseworkerID != want || c.TeamID != tt.wantTeam || c.CreatedBy != tt.by.UserID {
						t.Errorf("caseworker %s team %s created by %s; want %s %s %s", c.CaseworkerID, c.TeamID, c.CreatedBy, want, tt.wantTeam, tt.by.UserID)
					}
					return
				}
				if n := countCases(t, db, o.Agency.ID); n != before {
					t.Errorf("a refused registration wrote %d cases", n-before)
				}
			})
		}
	})
}
