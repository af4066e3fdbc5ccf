package cases_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/search"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// child returns a valid registration of a child named given family, of sex
// and age, living in place.
func child(given, family, sex string, age int, place string) cases.Registration {
	r := fixture.Registration(profile.CP)
	r.GivenName, r.FamilyName, r.Sex, r.Age, r.Location = given, family, sex, intp(age), place
	if place == "" {
		r.Declined = append(r.Declined, "location")
	}
	if sex == "" {
		r.Declined = append(r.Declined, "sex")
	}
	return r
}

// duplicatesOf runs the check of r for a and returns the codes found.
func duplicatesOf(t *testing.T, db *store.DB, a access.Actor, r cases.Registration) []cases.Duplicate {
	t.Helper()
	var out []cases.Duplicate
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		out, err = cases.PossibleDuplicates(ctx, tx, db.SearchHasher(), a, cases.ProbeOf(r), now)
		return err
	})
	return out
}

func TestPossibleDuplicates(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		known := fixture.Register(t, db, cw, child("Mohamed", "Abdi Hassan", "male", 10, "Camp 3, block 4"), now)
		// The same name in another agency: never shown.
		fixture.Register(t, db, fixture.Actor(o.OtherCaseworker),
			child("Mohamed", "Abdi Hassan", "male", 10, "Camp 3, block 4"), now)
		dated := child("Aisha", "Nur", "female", 7, "Camp 1")
		dated.DateOfBirth, dated.Age = "2017-06-01", nil
		knownDated := fixture.Register(t, db, cw, dated, now)

		tests := []struct {
			name string
			r    cases.Registration
			want []string
		}{
			{"the same child", child("Mohamed", "Abdi Hassan", "male", 10, "Camp 3, block 4"), []string{known.Code}},
			{"spelt differently", child("Muhammad", "Abdy Hasan", "male", 10, ""), []string{known.Code}},
			{"two years older", child("Mohamed", "Abdi Hassan", "male", 12, ""), []string{known.Code}},
			{"two years younger", child("Mohamed", "Abdi Hassan", "male", 8, ""), []string{known.Code}},
			{"family name only and the place", child("", "Abdi Hassan", "male", 10, "block 4"), []string{known.Code}},
			{"sex not known", child("Mohamed", "Abdi Hassan", "", 10, ""), []string{known.Code}},
			{"other sex", child("Mohamed", "Abdi Hassan", "female", 10, ""), nil},
			{"three years apart", child("Mohamed", "Abdi Hassan", "male", 13, ""), nil},
			{"five years apart", child("Mohamed", "Abdi Hassan", "male", 5, ""), nil},
			{"another family", child("Mohamed", "Osman", "male", 10, ""), nil},
			{"another place", child("Mohamed", "Abdi Hassan", "male", 10, "Ifo town"), nil},
			{"a given name alone", child("Mohamed", "", "male", 10, ""), nil},
			{"a given name alone, with the date of birth", func() cases.Registration {
				r := child("Aicha", "", "female", 0, "")
				r.Age, r.DateOfBirth = nil, "2017-06-01"
				return r
			}(), []string{knownDated.Code}},
			{"the same date of birth, another age at registration", func() cases.Registration {
				r := child("Ayesha", "Nour", "female", 0, "")
				r.Age, r.DateOfBirth = nil, "2017-06-01"
				return r
			}(), []string{knownDated.Code}},
		}
		for _, tt := range tests {
			got := cases.Codes(duplicatesOf(t, db, cw, tt.r))
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("%s: found %v, want %v", tt.name, got, tt.want)
			}
		}
		// A case closed as a duplicate is not one to open.
		fixture.In(t, db, func(tx *store.Tx) error {
			c, err := tx.Case(ctx, knownDated.ID)
			if err != nil {
				return err
			}
			c.Status, c.ClosureReason = cases.Closed, "duplicate"
			return tx.UpdateCase(ctx, c, nil)
		})
		if got := duplicatesOf(t, db, cw, dated); len(got) != 0 {
			t.Errorf("a case closed as a duplicate is found: %+v", got)
		}
		// The other agency's caseworker finds only their own agency's case.
		other := duplicatesOf(t, db, fixture.Actor(o.OtherCaseworker), child("Mohamed", "Abdi Hassan", "male", 10, ""))
		if len(other) != 1 || other[0].CaseID == known.ID {
			t.Errorf("the other agency's check: %+v", other)
		}
	})
}

func TestPossibleDuplicatesNames(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		mine := fixture.Register(t, db, fixture.Actor(o.Caseworker), child("Grace", "Achieng", "female", 9, ""), now)
		probe := child("Grace", "Achieng", "female", 9, "")
		for _, tt := range []struct {
			who  string
			a    access.Actor
			name bool
		}{
			{"the case's caseworker", fixture.Actor(o.Caseworker), true},
			{"another caseworker of the team", fixture.Actor(o.Caseworker2), false},
			{"the team's supervisor", fixture.Actor(o.Supervisor), true},
			{"another team's supervisor", fixture.Actor(o.SupervisorB), false},
			{"the manager", fixture.Actor(o.Manager), true},
		} {
			got := duplicatesOf(t, db, tt.a, probe)
			if len(got) != 1 || got[0].CaseID != mine.ID || got[0].Code != mine.Code {
				t.Fatalf("%s: %+v", tt.who, got)
			}
			if got[0].NameShown != tt.name || (got[0].Name != "") != tt.name {
				t.Errorf("%s: name shown %v (%q), want %v", tt.who, got[0].NameShown, got[0].Name, tt.name)
			}
			if tt.name && got[0].Name != "Grace Achieng" {
				t.Errorf("%s: name %q", tt.who, got[0].Name)
			}
		}
	})
}

func TestPossibleDuplicatesOrderAndCap(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		var far []string
		for i := 0; i < cases.MaxDuplicates+2; i++ {
			far = append(far, fixture.Register(t, db, cw, child("Peter", "Okello", "male", 12, ""), now).Code)
		}
		unknownSex := fixture.Register(t, db, cw, child("Peter", "Okello", "", 10, ""), now)
		near := fixture.Register(t, db, cw, child("Peter", "Okello", "male", 10, ""), now)
		got := duplicatesOf(t, db, cw, child("Peter", "Okello", "male", 10, ""))
		if len(got) != cases.MaxDuplicates {
			t.Fatalf("found %d, want the cap %d", len(got), cases.MaxDuplicates)
		}
		if got[0].Code != near.Code {
			t.Errorf("first %s, want the same sex and age %s", got[0].Code, near.Code)
		}
		for _, d := range got[1:] {
			if d.Code == unknownSex.Code {
				t.Errorf("the case of unknown sex ranks above the same sex two years apart")
			}
			if !slices.Contains(far, d.Code) {
				t.Errorf("unexpected %s", d.Code)
			}
		}
	})
}

func TestRegisterChecked(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		known := fixture.Register(t, db, cw, child("Mohamed", "Abdi", "male", 10, ""), now)
		register := func(r cases.Registration) (*cases.Case, error) {
			var c *cases.Case
			var err error
			fixture.In(t, db, func(tx *store.Tx) error {
				c, err = cases.RegisterChecked(ctx, tx, db.SearchHasher(), profile.Default(), cw, r, newCode, now)
				return nil
			})
			return c, err
		}
		before := countCases(t, db, o.Agency.ID)
		again := child("Muhammad", "Abdi", "male", 11, "")
		_, err := register(again)
		ds, ok := cases.AsDuplicates(err)
		if !ok || len(ds) != 1 || ds[0].Code != known.Code {
			t.Fatalf("err %v, want the duplicate %s", err, known.Code)
		}
		if strings.Contains(err.Error(), "Mohamed") || strings.Contains(err.Error(), "Muhammad") {
			t.Errorf("the error names the child: %v", err)
		}
		if n := countCases(t, db, o.Agency.ID); n != before {
			t.Fatalf("cases %d, want %d: something was saved", n, before)
		}
		// A form with errors gets its errors, not the check.
		bad := again
		bad.RiskReason = ""
		if _, err := register(bad); !slices.Equal(fieldCodes(err), []string{"risk_reason=err.risk_reason"}) {
			t.Errorf("invalid form: %v", err)
		}
		again.DifferentChild = true
		c, err := register(again)
		if err != nil {
			t.Fatal(err)
		}
		var ev []audit.Event
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			ev, err = tx.AuditEvents(ctx, store.AuditFilter{CaseID: c.ID, Action: "case.register", Limit: 10})
			return err
		})
		var detail struct {
			Confirmed []string `json:"different_child_confirmed"`
		}
		for _, e := range ev {
			if e.Action == "case.register" {
				json.Unmarshal([]byte(e.Detail), &detail)
				if strings.Contains(e.Detail, "Abdi") {
					t.Errorf("the audit detail names the child: %s", e.Detail)
				}
			}
		}
		if !slices.Equal(detail.Confirmed, []string{known.Code}) {
			t.Errorf("different_child_confirmed %v, want [%s]", detail.Confirmed, known.Code)
		}
		// Without the search key there is no index to look in: no check.
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			_, err = cases.RegisterChecked(ctx, tx, nil, profile.Default(), cw, child("Mohamed", "Abdi", "male", 10, ""), newCode, now)
			return err
		})
	})
}

// FuzzProbeQuery feeds the duplicate check's probe whatever a form or the
// API may send: it never panics, never looks for a name of one word without
// a date of birth, and always stays within the agency it is given.
func FuzzProbeQuery(f *testing.F) {
	for _, s := range [][4]string{
		{"Mohamed", "Abdi Hassan", "2015-02-30", "Camp 3, block 4"},
		{"Al Hassan", "El", "", ""},
		{"محمد", "عبد الله", "2015-01-01", "مخيم"},
		{"", "", "", ""},
		{"\x00\xff", "a b c d e f g h i j k l", "9999-99-99", "\u200b"},
		{"Aïcha", "", "2017-06-01", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], 10)
	}
	h := search.NewHasher([]byte("fuzz key"))
	f.Fuzz(func(t *testing.T, given, family, dob, place string, age int) {
		p := cases.Probe{GivenName: given, FamilyName: family, DateOfBirth: dob, Place: place, Age: &age}
		q, ok := p.Query(h, "agency", now)
		if !ok {
			return
		}
		if q.AgencyID != "agency" || len(q.Terms) == 0 {
			t.Fatalf("query %+v", q)
		}
		if len(q.Terms) == 1 && (q.Birth == 0 || !q.BirthRequired) {
			t.Fatalf("one word without its date of birth: %+v", q)
		}
		for _, term := range q.Terms {
			if len(term) == 0 {
				t.Fatalf("an empty term: %+v", q)
			}
		}
	})
}
