package intake_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var ctx = context.Background()

func validIdentification(agency string) intake.NewIdentification {
	return intake.NewIdentification{AgencyID: agency, CaseType: profile.CP, Source: "community", Name: "A child",
		Age: "9", Sex: "female", Location: "Market street", Concerns: []string{"neglect"}}
}

// written counts what the intake operations write: identifications (new and
// screened), screenings, and audit events.
func written(t *testing.T, db *store.DB, agency string) (idents, screenings, events int) {
	t.Helper()
	fixture.Read(t, db, func(tx *store.Tx) error {
		for _, st := range []string{intake.StatusNew, intake.StatusScreened} {
			n, err := tx.CountIdentifications(ctx, agency, st)
			if err != nil {
				return err
			}
			idents += n
		}
		ss, err := tx.RecentScreenings(ctx, agency, fixture.Now.AddDate(-1, 0, 0), 1000)
		if err != nil {
			return err
		}
		screenings = len(ss)
		ev, err := tx.AuditEvents(ctx, store.AuditFilter{Limit: 500})
		events = len(ev)
		return err
	})
	return
}

func fields(err error) []string {
	fe, ok := errs.AsFields(err)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range fe {
		out = append(out, f.Field)
	}
	return out
}

func TestSubmitIdentificationValidation(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		long := strings.Repeat("x", intake.MaxShort+1)
		tests := []struct {
			name   string
			change func(in *intake.NewIdentification)
			want   []string
		}{
			{"unknown agency", func(in *intake.NewIdentification) { in.AgencyID = store.NewID() }, []string{"agency_id"}},
			{"unknown case type", func(in *intake.NewIdentification) { in.CaseType = "adult" }, []string{"case_type"}},
			{"no source", func(in *intake.NewIdentification) { in.Source = "" }, []string{"source"}},
			{"unknown source", func(in *intake.NewIdentification) { in.Source = "rumour" }, []string{"source"}},
			{"age not a number", func(in *intake.NewIdentification) { in.Age = "about ten" }, []string{"age"}},
			{"age negative", func(in *intake.NewIdentification) { in.Age = "-3" }, []string{"age"}},
			{"unknown sex", func(in *intake.NewIdentification) { in.Sex = "x" }, []string{"sex"}},
			{"unknown concern", func(in *intake.NewIdentification) { in.Concerns = []string{"neglect", "aliens"} }, []string{"concerns"}},
			{"name too long", func(in *intake.NewIdentification) { in.Name = long }, []string{"name"}},
			{"contact too long", func(in *intake.NewIdentification) { in.Contact = long }, []string{"contact"}},
			{"notes too long", func(in *intake.NewIdentification) { in.Notes = strings.Repeat("x", intake.MaxLong+1) }, []string{"notes"}},
			{"nothing to find the child by", func(in *intake.NewIdentification) { in.Name, in.Location = " ", "" }, []string{"location"}},
			{"several at once", func(in *intake.NewIdentification) { in.Source, in.Age = "", "x" }, []string{"source", "age"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := validIdentification(o.Agency.ID)
				tt.change(&in)
				var err error
				// The transaction commits whatever the operation wrote before
				// it failed: there must be nothing.
				fixture.In(t, db, func(tx *store.Tx) error {
					_, err = intake.SubmitIdentification(ctx, tx, p, fixture.Actor(o.Volunteer), in, "I-"+store.NewID()[:8], fixture.Now)
					return nil
				})
				if !errors.Is(err, errs.ErrInvalid) {
					t.Fatalf("err = %v, want invalid input", err)
				}
				if diff := cmp.Diff(tt.want, fields(err)); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
				if i, s, e := written(t, db, o.Agency.ID); i+s+e != 0 {
					t.Errorf("wrote %d identifications, %d screenings, %d audit events", i, s, e)
				}
			})
		}
	})
}

func TestSubmitIdentification(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		in := validIdentification("") // the submitter's own agency
		in.Name, in.Urgent = "  A child  ", true
		var got *intake.Identification
		fixture.In(t, db, func(tx *store.Tx) error {
			var err error
			got, err = intake.SubmitIdentification(ctx, tx, p, fixture.Actor(o.Volunteer), in, "I-0001", fixture.Now)
			return err
		})
		var stored *intake.Identification
		fixture.Read(t, db, func(tx *store.Tx) error {
			var err error
			stored, err = tx.Identification(ctx, got.ID)
			return err
		})
		nine := 9
		want := &intake.Identification{ID: got.ID, Code: "I-0001", AgencyID: o.Agency.ID, CaseType: profile.CP,
			Source: "community", AgeYears: &nine, Sex: "female", Concerns: []string{"neglect"}, Urgent: true,
			Status: intake.StatusNew, SubmittedBy: o.Volunteer.ID, SubmittedAt: fixture.Now, Version: 1,
			Name: "A child", Location: "Market street"}
		if diff := cmp.Diff(want, stored); diff != "" {
			t.Errorf("stored (-want +got):\n%s", diff)
		}
		if i, _, e := written(t, db, o.Agency.ID); i != 1 || e != 1 {
			t.Errorf("wrote %d identifications and %d audit events, want 1 and 1", i, e)
		}

		// A system administrator does no case work.
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := intake.SubmitIdentification(ctx, tx, p, fixture.Actor(o.SystemAdmin), validIdentification(o.Agency.ID), "I-0002", fixture.Now)
			return err
		})
		if !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("system admin submits: %v, want forbidden", err)
		}
	})
}

func submit(t *testing.T, db *store.DB, a access.Actor, code string) *intake.Identification {
	t.Helper()
	var i *intake.Identification
	fixture.In(t, db, func(tx *store.Tx) error {
		var err error
		i, err = intake.SubmitIdentification(ctx, tx, profile.Default(), a, validIdentification(""), code, fixture.Now)
		return err
	})
	return i
}

func cpYes() map[string]string {
	return map[string]string{"is_child": "yes", "harmed_or_at_risk": "yes", "case_management_appropriate": "yes"}
}

func TestScreenValidation(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		ident := submit(t, db, fixture.Actor(o.Volunteer), "I-0001")
		_, _, eventsBefore := written(t, db, o.Agency.ID)
		tests := []struct {
			name string
			in   intake.ScreeningInput
			want []string
		}{
			{"age not a number", intake.ScreeningInput{IdentificationID: ident.ID, CaseType: profile.CP, Age: "x", Answers: cpYes()}, []string{"age"}},
			{"no case type", intake.ScreeningInput{IdentificationID: ident.ID, Age: "9", Answers: cpYes()}, []string{"case_type"}},
			{"notes too long", intake.ScreeningInput{IdentificationID: ident.ID, CaseType: profile.CP, Age: "9", Answers: cpYes(),
				Notes: strings.Repeat("n", intake.MaxLong+1)}, []string{"notes"}},
			{"answer missing", intake.ScreeningInput{IdentificationID: ident.ID, CaseType: profile.CP, Age: "9",
				Answers: map[string]string{"is_child": "yes", "harmed_or_at_risk": "yes"}}, []string{"answers.case_management_appropriate"}},
			{"is_child unanswered, age unknown", intake.ScreeningInput{CaseType: profile.CP,
				Answers: map[string]string{"harmed_or_at_risk": "yes", "case_management_appropriate": "no"}}, []string{"answers.is_child"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var err error
				fixture.In(t, db, func(tx *store.Tx) error {
					_, err = intake.Screen(ctx, tx, p, fixture.Actor(o.Caseworker), tt.in, fixture.Now)
					return nil
				})
				if diff := cmp.Diff(tt.want, fields(err)); diff != "" {
					t.Errorf("err %v; fields (-want +got):\n%s", err, diff)
				}
				_, s, e := written(t, db, o.Agency.ID)
				if s != 0 || e != eventsBefore {
					t.Errorf("wrote %d screenings and %d audit events", s, e-eventsBefore)
				}
				fixture.Read(t, db, func(tx *store.Tx) error {
					got, err := tx.Identification(ctx, ident.ID)
					if err == nil && (got.Status != intake.StatusNew || got.Version != 1) {
						t.Errorf("identification is now %s version %d, want untouched", got.Status, got.Version)
					}
					return err
				})
			})
		}
	})
}

func TestScreen(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		ident := submit(t, db, fixture.Actor(o.Volunteer), "I-0001")
		in := intake.ScreeningInput{IdentificationID: ident.ID, CaseType: profile.CP, Age: "9", Notes: " seen at the clinic ",
			Answers: map[string]string{"harmed_or_at_risk": "yes", "case_management_appropriate": "no"}}

		// The submitter, another agency's staff and an administrator may not screen it;
		// to the other agency it does not exist.
		for _, tt := range []struct {
			who  string
			a    access.Actor
			want error
		}{
			{"volunteer", fixture.Actor(o.Volunteer), errs.ErrNotFound},
			{"other agency", fixture.Actor(o.OtherCaseworker), errs.ErrNotFound},
			{"agency admin", fixture.Actor(o.AgencyAdmin), errs.ErrNotFound},
		} {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := intake.Screen(ctx, tx, p, tt.a, in, fixture.Now)
				return err
			})
			if !errors.Is(err, tt.want) {
				t.Errorf("%s screens: %v, want %v", tt.who, err, tt.want)
			}
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := intake.Screen(ctx, tx, p, fixture.Actor(o.Volunteer), intake.ScreeningInput{CaseType: profile.CP, Age: "9", Answers: cpYes()}, fixture.Now)
			return err
		})
		if !errors.Is(err, errs.ErrForbidden) {
			t.Errorf("volunteer screens without an identification: %v, want forbidden", err)
		}

		var s *intake.Screening
		fixture.In(t, db, func(tx *store.Tx) error {
			var err error
			s, err = intake.Screen(ctx, tx, p, fixture.Actor(o.Caseworker), in, fixture.Now)
			return err
		})
		if s.Outcome != profile.OutcomeReferral {
			t.Errorf("outcome = %s, want %s", s.Outcome, profile.OutcomeReferral)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			got, err := tx.Screening(ctx, s.ID)
			if err != nil {
				return err
			}
			nine := 9
			want := &intake.Screening{ID: s.ID, AgencyID: o.Agency.ID, IdentificationID: ident.ID, CaseType: profile.CP,
				AgeYears: &nine, Outcome: profile.OutcomeReferral, Notes: "seen at the clinic",
				Answers: map[string]bool{"is_child": true, "harmed_or_at_risk": true, "case_management_appropriate": false},
				Reasons: []intake.Reason{{Criterion: "is_child", Met: true, Auto: true}, {Criterion: "harmed_or_at_risk", Met: true},
					{Criterion: "case_management_appropriate", Outcome: profile.OutcomeReferral}},
				ScreenedBy: o.Caseworker.ID, ScreenedAt: fixture.Now, Version: 1}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("screening (-want +got):\n%s", diff)
			}
			id, err := tx.Identification(ctx, ident.ID)
			if err != nil {
				return err
			}
			if id.Status != intake.StatusScreened || id.ScreeningID != s.ID {
				t.Errorf("identification %s screening %q, want screened by %s", id.Status, id.ScreeningID, s.ID)
			}
			return nil
		})

		// Screening it again is refused.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := intake.Screen(ctx, tx, p, fixture.Actor(o.Supervisor), in, fixture.Now)
			return err
		})
		if diff := cmp.Diff([]string{"identification_id"}, fields(err)); diff != "" {
			t.Errorf("second screening: %v", err)
		}
	})
}
