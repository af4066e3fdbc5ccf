package consent_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

func recordAll(db *store.DB, a access.Actor, caseID string, in consent.AllInput) ([]consent.Record, error) {
	var out []consent.Record
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = consent.RecordAll(ctx, tx, profile.Default(), a, caseID, in, now)
		return err
	})
	return out, err
}

func countConsents(t *testing.T, db *store.DB, caseID string) int {
	t.Helper()
	n := 0
	fixture.Read(t, db, func(tx *store.Tx) error {
		recs, err := tx.Consents(ctx, caseID)
		n = len(recs)
		return err
	})
	return n
}

// A ten-year-old gives assent, two caregivers consent, all on one form: one
// record per person and scope, each audited, in one transaction.
func TestRecordAllChildAndTwoCaregivers(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		mother, father := insertPerson(t, db, c.ID, false), insertPerson(t, db, c.ID, false)
		all := []string{"participation", "collect_store", "share_services"}
		in := consent.AllInput{Notes: "Explained at home", Rows: []consent.Row{
			{Giver: consent.Self, Kind: consent.KindAssent, Scopes: all, Method: "verbal_witnessed"},
			{Giver: consent.Caregiver, PersonID: mother.ID, Kind: consent.KindConsent, Scopes: all, Method: "written", ToldMandatoryReporting: true},
			{Giver: consent.Guardian, PersonID: father.ID, Kind: consent.KindConsent, Scopes: []string{"participation"}, Method: "thumbprint"},
			{Giver: consent.Caregiver, PersonID: "", Kind: consent.KindConsent}, // nothing ticked: nothing recorded, nothing checked
		}}
		recs, err := recordAll(db, cw, c.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 7 {
			t.Fatalf("%d records, want 7", len(recs))
		}
		var st *consent.State
		var events []audit.Event
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			if st, err = consent.Load(ctx, tx, profile.Default(), c, now); err != nil {
				return err
			}
			events, err = tx.AuditEvents(ctx, store.AuditFilter{CaseID: c.ID, Action: "consent.record", Limit: 100})
			return err
		})
		if len(st.Records) != 7 {
			t.Errorf("%d records stored, want 7", len(st.Records))
		}
		for _, s := range st.Scopes {
			if want := s.Scope.Key != "disclose_tracing"; s.Satisfied != want {
				t.Errorf("scope %s satisfied %v, want %v", s.Scope.Key, s.Satisfied, want)
			}
		}
		byPerson := map[string]int{}
		for _, r := range st.Records {
			byPerson[r.Giver+"/"+r.PersonID+"/"+r.Kind+"/"+r.Method]++
			if r.Notes != "Explained at home" || r.Decision != consent.Given || r.ObtainedOn != profile.Default().Today(now) {
				t.Errorf("record %+v", r)
			}
		}
		want := map[string]int{"self//assent/verbal_witnessed": 3, "caregiver/" + mother.ID + "/consent/written": 3,
			"guardian/" + father.ID + "/consent/thumbprint": 1}
		if diff := cmp.Diff(want, byPerson); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		n := 0
		for _, e := range events {
			if e.Action == "consent.record" {
				n++
			}
		}
		if n != 7 {
			t.Errorf("%d consent.record events, want 7", n)
		}
	})
}

// One wrong row refuses the whole form: errors name the row and field, and
// nothing is written, not even the rows that were right.
func TestRecordAllOneBadRowWritesNothing(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		mother := insertPerson(t, db, c.ID, false)
		perp := insertPerson(t, db, c.ID, true)
		other := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		stranger := insertPerson(t, db, other.ID, false)
		good := []consent.Row{
			{Giver: consent.Self, Kind: consent.KindAssent, Scopes: []string{"collect_store"}, Method: "written"},
			{Giver: consent.Caregiver, PersonID: mother.ID, Kind: consent.KindConsent, Scopes: []string{"collect_store"}, Method: "written"},
		}
		tests := []struct {
			name string
			bad  consent.Row
			want []string
		}{
			{"caregiver from another case", consent.Row{Giver: consent.Caregiver, PersonID: stranger.ID, Kind: consent.KindConsent,
				Scopes: []string{"participation"}, Method: "written"}, []string{"rows.2.person_id=err.consent_not_family"}},
			{"the same caregiver twice", consent.Row{Giver: consent.Guardian, PersonID: mother.ID, Kind: consent.KindConsent,
				Scopes: []string{"participation"}, Method: "written"}, []string{"rows.2.person_id=err.consent_row_twice"}},
			{"alleged perpetrator", consent.Row{Giver: consent.Caregiver, PersonID: perp.ID, Kind: consent.KindConsent,
				Scopes: []string{"participation"}, Method: "written"}, []string{"rows.2.person_id=err.perpetrator_consent"}},
			{"a caregiver's assent", consent.Row{Giver: consent.Guardian, PersonID: perp.ID, Kind: consent.KindAssent,
				Scopes: []string{"participation"}, Method: "written"}, []string{"rows.2.kind=err.choose", "rows.2.person_id=err.perpetrator_consent"}},
			{"no method", consent.Row{Giver: consent.Caregiver, PersonID: mother.ID, Kind: consent.KindConsent,
				Scopes: []string{"participation"}}, []string{"rows.2.method=err.choose", "rows.2.person_id=err.consent_row_twice"}},
			{"unknown scope", consent.Row{Giver: consent.Self, Kind: consent.KindAssent, Scopes: []string{"everything"}, Method: "written"},
				[]string{"rows.2.person_id=err.consent_row_twice", "rows.2.scopes=err.choose"}},
			{"future date", consent.Row{Giver: consent.ThirdParty, PersonID: perp.ID, Kind: consent.KindConsent,
				Scopes: []string{"participation"}, Method: "written", ObtainedOn: "2099-01-01"},
				[]string{"rows.2.obtained_on=err.future", "rows.2.person_id=err.perpetrator_consent"}},
			{"unknown giver", consent.Row{Giver: "neighbour", Kind: consent.KindConsent, Scopes: []string{"participation"}, Method: "written"},
				[]string{"rows.2.giver=err.choose"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := recordAll(db, cw, c.ID, consent.AllInput{Rows: append(append([]consent.Row(nil), good...), tt.bad)})
				if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
					t.Errorf("err %v (-want +got):\n%s", err, diff)
				}
				if n := countConsents(t, db, c.ID); n != 0 {
					t.Errorf("%d records written by a refused form", n)
				}
			})
		}
		t.Run("nothing ticked", func(t *testing.T) {
			_, err := recordAll(db, cw, c.ID, consent.AllInput{Rows: []consent.Row{{Giver: consent.Self}}})
			if diff := cmp.Diff([]string{"rows=err.consent_nothing_ticked"}, fieldCodes(err)); diff != "" {
				t.Error(diff)
			}
		})
	})
}

// The child's kind follows the age rule: a ten-year-old assents (or, as
// the profile allows, consents); an adult survivor consents, never assents.
func TestRecordAllChildKindByAge(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		gbv := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.GBV), now)
		row := consent.Row{Giver: consent.Self, Kind: consent.KindAssent, Scopes: []string{"participation"}, Method: "written"}
		_, err := recordAll(db, fixture.Actor(o.Caseworker), gbv.ID, consent.AllInput{Rows: []consent.Row{row}})
		if diff := cmp.Diff([]string{"rows.0.kind=err.choose"}, fieldCodes(err)); diff != "" {
			t.Error(diff)
		}
		var st *consent.State
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			st, err = consent.Load(ctx, tx, profile.Default(), gbv, now)
			return err
		})
		if k := consent.ChildKind(profile.Default(), st.FactsOf()); k != consent.KindConsent {
			t.Errorf("an adult's proposed kind %q, want consent", k)
		}
	})
}
