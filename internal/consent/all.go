package consent

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/profile"
)

// One form for everyone: the child and each caregiver on a row of their
// own, the scopes each agreed to ticked, recorded together or not at all.

// Row is one person's line of the consent form: who they are, the scopes
// they agreed to, and how and when it was documented. A row with no scope
// ticked records nothing.
type Row struct {
	Giver                  string   `json:"giver"`               // Self for the child; Caregiver, Guardian or ThirdParty for a family member
	PersonID               string   `json:"person_id,omitempty"` // the family member; empty on the child's row, or for a caregiver not yet listed
	Kind                   string   `json:"kind"`                // the child's: consent or assent by the age rule; a family member's: consent
	Scopes                 []string `json:"scopes"`              // the profile's scope keys given
	Method                 string   `json:"method"`
	ObtainedOn             string   `json:"obtained_on"` // YYYY-MM-DD; empty: today
	ToldMandatoryReporting bool     `json:"told_mandatory_reporting"`
}

// AllInput is the consent form for everyone at once.
type AllInput struct {
	Rows  []Row  `json:"rows"`
	Notes string `json:"notes,omitempty"` // said of the whole conversation, kept on every record
}

// RowField is the name of field on row i of the form, as errors name it:
// "rows.<i>.<field>".
func RowField(i int, field string) string { return fmt.Sprintf("rows.%d.%s", i, field) }

// ChildKinds returns the kinds of agreement the child of a case with facts
// f may give by the profile's age rule (assent, consent or either), or
// none when the age band asks nothing of the child.
func ChildKinds(p *profile.Profile, f Facts) []string {
	for _, n := range needsFor(p, f) {
		if n.Giver == Self {
			return n.Kinds
		}
	}
	return nil
}

// CaregiverAsked reports whether the age rule asks a caregiver's consent
// for the child of a case with facts f.
func CaregiverAsked(p *profile.Profile, f Facts) bool {
	for _, n := range needsFor(p, f) {
		if n.Giver == Caregiver {
			return true
		}
	}
	return false
}

// ChildKind is the kind the consent form proposes for the child of a case
// with facts f: consent when that is all the age rule accepts, else assent.
func ChildKind(p *profile.Profile, f Facts) string {
	ks := ChildKinds(p, f)
	if len(ks) == 1 {
		return ks[0]
	}
	return KindAssent
}

// FactsOf returns the facts of state st for the age rule.
func (st *State) FactsOf() Facts {
	var caregivers []cases.Person
	for _, x := range st.People {
		if x.IsCaregiver {
			caregivers = append(caregivers, x)
		}
	}
	return Facts{Type: st.Case.Type, Age: st.Age, Caregivers: caregivers, Since: st.Case.ConsentSince}
}

// Caregivers returns the family members who may give consent on the
// form's rows: the case's caregivers, never an alleged perpetrator.
func (st *State) Caregivers() []cases.Person {
	var out []cases.Person
	for _, x := range st.People {
		if x.IsCaregiver && !x.AllegedPerpetrator {
			out = append(out, x)
		}
	}
	return out
}

// RecordAll records, on case caseID by actor a, every scope each row of in
// gives: the child's consent or assent (by the age rule) and each
// caregiver's consent, the caregiver one of the case's family members (or
// one not yet on the family list, which consent opens: PersonID empty). It
// checks every row first, naming the row and field of each error
// (RowField), and writes nothing unless all are right; then one record per
// row and scope, each audited as Add audits it.
func RecordAll(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in AllInput, now time.Time) ([]Record, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Consent, caseID)
	if err != nil {
		return nil, err
	}
	st, err := Load(ctx, tx, p, c, now)
	if err != nil {
		return nil, err
	}
	childKinds := ChildKinds(p, st.FactsOf())
	today := p.Today(now)
	in.Notes = strings.TrimSpace(in.Notes)
	var f errs.Fields
	if len(in.Rows) > 50 {
		return nil, errs.Field("rows", "err.too_many")
	}
	if len(in.Notes) > 4000 {
		f.Add("notes", "err.too_long", 4000)
	}
	seen := map[string]bool{} // one row per person
	ticked := false
	for i := range in.Rows {
		row := &in.Rows[i]
		row.ObtainedOn = strings.TrimSpace(row.ObtainedOn)
		if len(row.Scopes) == 0 {
			continue
		}
		ticked = true
		scopes := map[string]bool{}
		for _, s := range row.Scopes {
			if _, ok := p.ScopeByKey(s); !ok || scopes[s] {
				f.Add(RowField(i, "scopes"), "err.choose")
				break
			}
			scopes[s] = true
		}
		switch {
		case row.Giver == Self:
			if row.PersonID != "" {
				f.Add(RowField(i, "person_id"), "err.person_self")
			}
			if !slices.Contains(childKinds, row.Kind) {
				f.Add(RowField(i, "kind"), "err.choose")
			}
		case slices.Contains(Givers, row.Giver):
			if row.PersonID != "" { // empty: a caregiver not yet on the family list, which needs consent to be written
				checkPerson(st.People, row.PersonID, i, &f)
			}
			if row.Kind != KindConsent {
				f.Add(RowField(i, "kind"), "err.choose")
			}
		default:
			f.Add(RowField(i, "giver"), "err.choose")
		}
		who := row.Giver
		if who != Self {
			who = row.PersonID
		}
		if seen[who] {
			f.Add(RowField(i, "person_id"), "err.consent_row_twice")
		}
		seen[who] = true
		if !slices.Contains(Methods, row.Method) {
			f.Add(RowField(i, "method"), "err.choose")
		}
		if row.ObtainedOn == "" {
			row.ObtainedOn = today
		}
		checkDate(row.ObtainedOn, today, RowField(i, "obtained_on"), &f)
	}
	if !ticked && len(f) == 0 {
		f.Add("rows", "err.consent_nothing_ticked")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var out []Record
	for _, row := range in.Rows {
		for _, sc := range p.Consent.Scopes { // in the profile's order
			if !slices.Contains(row.Scopes, sc.Key) {
				continue
			}
			r := &Record{CaseID: c.ID, Scope: sc.Key, Giver: row.Giver, PersonID: row.PersonID, Kind: row.Kind,
				Decision: Given, Method: row.Method, ObtainedOn: row.ObtainedOn, ObtainedBy: a.UserID,
				ToldMandatoryReporting: row.ToldMandatoryReporting, Notes: in.Notes, CreatedAt: now, Version: 1}
			if err := insert(ctx, tx, a, c, r, now); err != nil {
				return nil, err
			}
			out = append(out, *r)
		}
	}
	return out, nil
}

// checkPerson adds to f what is wrong with family member id giving consent
// on row i: not one of the case's people, or an alleged perpetrator.
func checkPerson(people []cases.Person, id string, i int, f *errs.Fields) {
	for _, x := range people {
		if x.ID == id {
			if x.AllegedPerpetrator {
				f.Add(RowField(i, "person_id"), "err.perpetrator_consent")
			}
			return
		}
	}
	f.Add(RowField(i, "person_id"), "err.consent_not_family")
}

// checkDate adds to f, under field, what is wrong with date d (YYYY-MM-DD)
// as the day consent was obtained, today being today.
func checkDate(d, today, field string, f *errs.Fields) {
	if _, err := time.Parse(time.DateOnly, d); err != nil || d < "1990-01-01" {
		f.Add(field, "err.date")
	} else if d > today {
		f.Add(field, "err.future")
	}
}
