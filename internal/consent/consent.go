// Package consent records informed consent and assent, one record per scope,
// giver and kind; says, from the child's age and the profile's age bands,
// which consents and assents a case needs and which are missing; and enforces
// the gate: without consent to collect and store information, nothing beyond
// registration is recorded unless a supervisor records an override.
package consent

import (
	"time"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/profile"
)

// Givers: who gives consent or assent.
const (
	Self       = "self"        // the child or survivor
	Caregiver  = "caregiver"   // a parent or caregiver
	Guardian   = "guardian"    // a legal guardian
	ThirdParty = "third_party" // a trusted adult or body, when caregivers cannot or must not give it
)

// Givers lists the givers.
var Givers = []string{Self, Caregiver, Guardian, ThirdParty}

// Kinds of agreement.
const (
	KindConsent = "consent"
	KindAssent  = "assent"
)

// Decisions.
const (
	Given   = "given"
	Refused = "refused"
)

// Methods: consent and assent are documented, written or recorded.
var Methods = []string{"written", "thumbprint", "recorded", "verbal_witnessed"}

// Bases on which a supervisor overrides missing consent.
var Bases = []string{"best_interests", "vital_interests", "caregiver_perpetrator", "caregiver_unavailable"}

// Record is one consent or assent decision.
type Record struct {
	ID                     string
	CaseID                 string
	Scope                  string
	Giver                  string
	PersonID               string // the family member who gave it, when listed
	Kind                   string
	Decision               string
	Method                 string
	ObtainedOn             string // YYYY-MM-DD
	ObtainedBy             string
	ToldMandatoryReporting bool
	Notes                  string
	WithdrawnAt            time.Time
	WithdrawnBy            string
	WithdrawalReason       string
	CreatedAt              time.Time
	Version                int
}

// Active reports whether r is a given, unwithdrawn agreement: the one state
// in which it can still be withdrawn.
func (r *Record) Active() bool { return r.Decision == Given && !r.Withdrawn() }

// Withdrawn reports whether r was withdrawn.
func (r *Record) Withdrawn() bool { return !r.WithdrawnAt.IsZero() }

// Override is a supervisor's decision to proceed without a scope's consent.
type Override struct {
	ID         string
	CaseID     string
	Scope      string
	Basis      string
	Reason     string
	ApprovedBy string
	ApprovedAt time.Time
	RevokedAt  time.Time
	RevokedBy  string
}

// Active reports whether o is in force.
func (o *Override) Active() bool { return o.RevokedAt.IsZero() }

// Exclusion is a person or organisation the family does not want anything shared with.
type Exclusion struct {
	ID        string
	CaseID    string
	Kind      string // person or agency
	AgencyID  string
	Name      string
	Reason    string
	AddedBy   string
	AddedAt   time.Time
	RemovedAt time.Time
	RemovedBy string
}

// InForce reports whether the exclusion still holds (it was not removed):
// the one state in which it can be removed.
func (e *Exclusion) InForce() bool { return e.RemovedAt.IsZero() }

// Need statuses.
const (
	Met       = "met"
	Missing   = "missing"
	Refusal   = "refused"
	Withdrawn = "withdrawn"
	NotSought = "not_to_be_sought" // the only caregivers are alleged perpetrators
)

// Need is one agreement a scope asks for.
type Need struct {
	Giver    string   // Self, or Caregiver (which a guardian or third party may also give)
	Kinds    []string // the kinds that satisfy it
	Required bool     // false: sought as the child's maturity allows
	Status   string
	Record   *Record // the record that meets it, or the latest one that bears on it
}

// ScopeStatus is the state of one consent scope for one case.
type ScopeStatus struct {
	Scope     profile.Scope
	Needs     []Need
	Override  *Override // an active supervisor override, if any
	Satisfied bool      // every required need met, or overridden
}

// Facts are what Evaluate needs to know about the case.
type Facts struct {
	Type       string
	Age        *int // nil when unknown or declined
	Caregivers []cases.Person
	// Since is the date (YYYY-MM-DD) from which consent counts: a reopened
	// case needs consent confirmed again. Empty means all records count.
	Since string
}

// needsFor returns the agreements a case with facts f needs per scope.
func needsFor(p *profile.Profile, f Facts) []Need {
	var child, caregiver string
	switch band, ok := bandOf(p, f.Age); {
	case ok:
		child, caregiver = band.Child, band.Caregiver
	case f.Type == profile.GBV:
		// Age unknown: a survivor speaks for herself.
		child, caregiver = profile.ChildConsent, "none"
	default:
		// Age unknown for a child: ask both, the strictest way.
		child, caregiver = profile.ChildAssentOrConsent, KindConsent
	}
	var needs []Need
	switch child {
	case profile.ChildMaturity:
		needs = append(needs, Need{Giver: Self, Kinds: []string{KindAssent, KindConsent}})
	case profile.ChildAssent, profile.ChildAssentOrConsent:
		needs = append(needs, Need{Giver: Self, Kinds: []string{KindAssent, KindConsent}, Required: true})
	case profile.ChildConsent:
		needs = append(needs, Need{Giver: Self, Kinds: []string{KindConsent}, Required: true})
	}
	if caregiver == KindConsent {
		needs = append(needs, Need{Giver: Caregiver, Kinds: []string{KindConsent}, Required: true})
	}
	return needs
}

func bandOf(p *profile.Profile, age *int) (profile.AgeBand, bool) {
	if age == nil {
		return profile.AgeBand{}, false
	}
	return p.Band(*age)
}

// covers reports whether a record from giver g answers a need of giver need.
func covers(need, g string) bool {
	if need == Self {
		return g == Self
	}
	return g == Caregiver || g == Guardian || g == ThirdParty
}

func hasKind(kinds []string, k string) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Evaluate returns the status of every scope of the profile for a case with
// facts f, its consent records and its overrides.
func Evaluate(p *profile.Profile, f Facts, records []Record, overrides []Override) []ScopeStatus {
	base := needsFor(p, f)
	onlyPerpetrators := len(f.Caregivers) > 0
	for _, c := range f.Caregivers {
		if !c.AllegedPerpetrator {
			onlyPerpetrators = false
		}
	}
	out := make([]ScopeStatus, 0, len(p.Consent.Scopes))
	for _, sc := range p.Consent.Scopes {
		st := ScopeStatus{Scope: sc, Satisfied: true}
		for _, n := range base {
			n.Status = Missing
			for i := range records {
				r := &records[i]
				if r.Scope != sc.Key || !covers(n.Giver, r.Giver) || !hasKind(n.Kinds, r.Kind) || r.ObtainedOn < f.Since {
					continue
				}
				if r.Active() {
					n.Status, n.Record = Met, r
					break
				}
				// Remember the latest decision that bears on the need.
				if n.Record == nil || r.CreatedAt.After(n.Record.CreatedAt) {
					n.Record = r
					if r.Decision == Refused {
						n.Status = Refusal
					} else {
						n.Status = Withdrawn
					}
				}
			}
			if n.Status == Missing && n.Giver == Caregiver && onlyPerpetrators {
				n.Status = NotSought
			}
			if n.Required && n.Status != Met {
				st.Satisfied = false
			}
			st.Needs = append(st.Needs, n)
		}
		for i := range overrides {
			if overrides[i].Scope == sc.Key && overrides[i].Active() && !before(overrides[i].ApprovedAt, f.Since) {
				st.Override = &overrides[i]
				st.Satisfied = true
			}
		}
		out = append(out, st)
	}
	return out
}

// Allows reports whether scope key is satisfied in statuses.
func Allows(statuses []ScopeStatus, key string) bool {
	for _, s := range statuses {
		if s.Scope.Key == key {
			return s.Satisfied
		}
	}
	return false
}

// Missing lists the required needs not met in statuses, for the case page.
func MissingNeeds(statuses []ScopeStatus) int {
	n := 0
	for _, s := range statuses {
		if !s.Scope.Required || s.Override != nil {
			continue
		}
		for _, need := range s.Needs {
			if need.Required && need.Status != Met {
				n++
			}
		}
	}
	return n
}

// before reports whether t falls on a day before the date since (YYYY-MM-DD).
func before(t time.Time, since string) bool {
	return since != "" && t.UTC().Format(time.DateOnly) < since
}
