package consent_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/profile"
)

var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

func age(n int) *int { return &n }

const gate = "collect_store"

// rec is a consent record for the gate scope, created n minutes after t0.
func rec(giver, kind, decision string, n int) consent.Record {
	return consent.Record{ID: giver + kind + decision, Scope: gate, Giver: giver, Kind: kind, Decision: decision,
		CreatedAt: t0.Add(time.Duration(n) * time.Minute)}
}

func withdrawn(r consent.Record) consent.Record {
	r.WithdrawnAt = r.CreatedAt.Add(time.Hour)
	return r
}

func scope(t *testing.T, ss []consent.ScopeStatus, key string) consent.ScopeStatus {
	t.Helper()
	for _, s := range ss {
		if s.Scope.Key == key {
			return s
		}
	}
	t.Fatalf("no scope %s", key)
	return consent.ScopeStatus{}
}

// need is a Need without its record, for comparing.
type need struct {
	Giver    string
	Kinds    []string
	Required bool
	Status   string
}

func needs(s consent.ScopeStatus) []need {
	var out []need
	for _, n := range s.Needs {
		out = append(out, need{n.Giver, n.Kinds, n.Required, n.Status})
	}
	return out
}

var (
	assentOrConsent = []string{consent.KindAssent, consent.KindConsent}
	consentOnly     = []string{consent.KindConsent}
)

// TestNeedsByAge checks who must agree, by age band and case type, with no records yet.
func TestNeedsByAge(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	caregiver := need{consent.Caregiver, consentOnly, true, consent.Missing}
	tests := []struct {
		name string
		f    consent.Facts
		want []need
	}{
		{"3-year-old: caregiver consent, assent as maturity allows", consent.Facts{Type: profile.CP, Age: age(3)},
			[]need{{consent.Self, assentOrConsent, false, consent.Missing}, caregiver}},
		{"8-year-old: assent and caregiver consent", consent.Facts{Type: profile.CP, Age: age(8)},
			[]need{{consent.Self, assentOrConsent, true, consent.Missing}, caregiver}},
		{"13-year-old: assent and caregiver consent", consent.Facts{Type: profile.CP, Age: age(13)},
			[]need{{consent.Self, assentOrConsent, true, consent.Missing}, caregiver}},
		{"16-year-old: assent or consent, and caregiver consent", consent.Facts{Type: profile.CP, Age: age(16)},
			[]need{{consent.Self, assentOrConsent, true, consent.Missing}, caregiver}},
		{"25-year-old survivor: her own consent only", consent.Facts{Type: profile.GBV, Age: age(25)},
			[]need{{consent.Self, consentOnly, true, consent.Missing}}},
		{"16-year-old survivor: a child, so caregiver consent too", consent.Facts{Type: profile.GBV, Age: age(16)},
			[]need{{consent.Self, assentOrConsent, true, consent.Missing}, caregiver}},
		{"child of unknown age: the strictest", consent.Facts{Type: profile.CP},
			[]need{{consent.Self, assentOrConsent, true, consent.Missing}, caregiver}},
		{"survivor of unknown age: her own consent", consent.Facts{Type: profile.GBV},
			[]need{{consent.Self, consentOnly, true, consent.Missing}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := consent.Evaluate(p, tt.f, nil, nil)
			if len(ss) != len(p.Consent.Scopes) {
				t.Fatalf("%d scopes, want %d", len(ss), len(p.Consent.Scopes))
			}
			for _, s := range ss {
				if diff := cmp.Diff(tt.want, needs(s)); diff != "" {
					t.Errorf("scope %s needs (-want +got):\n%s", s.Scope.Key, diff)
				}
				if s.Satisfied {
					t.Errorf("scope %s satisfied with no records", s.Scope.Key)
				}
			}
		})
	}
}

func TestEvaluateRecords(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	mother := cases.Person{ID: "m", IsCaregiver: true}
	father := cases.Person{ID: "f", IsCaregiver: true, AllegedPerpetrator: true}
	tests := []struct {
		name       string
		f          consent.Facts
		records    []consent.Record
		wantStatus []string // per need, in order: self, then caregiver
		satisfied  bool
	}{
		{"3: caregiver consent suffices", consent.Facts{Type: profile.CP, Age: age(3)},
			[]consent.Record{rec(consent.Caregiver, consent.KindConsent, consent.Given, 1)},
			[]string{consent.Missing, consent.Met}, true},
		{"8: caregiver consent alone is not enough", consent.Facts{Type: profile.CP, Age: age(8)},
			[]consent.Record{rec(consent.Caregiver, consent.KindConsent, consent.Given, 1)},
			[]string{consent.Missing, consent.Met}, false},
		{"8: assent and caregiver consent", consent.Facts{Type: profile.CP, Age: age(8)},
			[]consent.Record{rec(consent.Self, consent.KindAssent, consent.Given, 1), rec(consent.Caregiver, consent.KindConsent, consent.Given, 2)},
			[]string{consent.Met, consent.Met}, true},
		{"13: assent and caregiver consent", consent.Facts{Type: profile.CP, Age: age(13)},
			[]consent.Record{rec(consent.Self, consent.KindAssent, consent.Given, 1), rec(consent.Caregiver, consent.KindConsent, consent.Given, 2)},
			[]string{consent.Met, consent.Met}, true},
		{"16: the child's consent and caregiver consent", consent.Facts{Type: profile.CP, Age: age(16)},
			[]consent.Record{rec(consent.Self, consent.KindConsent, consent.Given, 1), rec(consent.Caregiver, consent.KindConsent, consent.Given, 2)},
			[]string{consent.Met, consent.Met}, true},
		{"16: the child's consent alone is not enough", consent.Facts{Type: profile.CP, Age: age(16)},
			[]consent.Record{rec(consent.Self, consent.KindConsent, consent.Given, 1)},
			[]string{consent.Met, consent.Missing}, false},
		{"25 survivor: her consent", consent.Facts{Type: profile.GBV, Age: age(25)},
			[]consent.Record{rec(consent.Self, consent.KindConsent, consent.Given, 1)},
			[]string{consent.Met}, true},
		{"25 survivor: an assent is not consent", consent.Facts{Type: profile.GBV, Age: age(25)},
			[]consent.Record{rec(consent.Self, consent.KindAssent, consent.Given, 1)},
			[]string{consent.Missing}, false},
		{"25 survivor: someone else's consent does not count", consent.Facts{Type: profile.GBV, Age: age(25)},
			[]consent.Record{rec(consent.Caregiver, consent.KindConsent, consent.Given, 1), rec(consent.Guardian, consent.KindConsent, consent.Given, 2)},
			[]string{consent.Missing}, false},
		{"a guardian gives the caregiver's consent", consent.Facts{Type: profile.CP, Age: age(8)},
			[]consent.Record{rec(consent.Self, consent.KindAssent, consent.Given, 1), rec(consent.Guardian, consent.KindConsent, consent.Given, 2)},
			[]string{consent.Met, consent.Met}, true},
		{"a third party gives the caregiver's consent", consent.Facts{Type: profile.CP, Age: age(8)},
			[]consent.Record{rec(consent.Self, consent.KindAssent, consent.Given, 1), rec(consent.ThirdParty, consent.KindConsent, consent.Given, 2)},
			[]string{consent.Met, consent.Met}, true},
		{"the child cannot give the caregiver's consent", consent.Facts{Type: profile.CP, Age: age(16)},
			[]consent.Record{rec(consent.Self, consent.KindConsent, consent.Given, 1), rec(consent.Self, consent.KindAssent, consent.Given, 2)},
			[]string{consent.Met, consent.Missing}, false},
		{"a caregiver's assent is not consent", consent.Facts{Type: profile.CP, Age: age(3)},
			[]consent.Record{rec(consent.Caregiver, consent.KindAssent, consent.Given, 1)},
			[]string{consent.Missing, consent.Missing}, false},
		{"withdrawn consent does not count", consent.Facts{Type: profile.CP, Age: age(3)},
			[]consent.Record{withdrawn(rec(consent.Caregiver, consent.KindConsent, consent.Given, 1))},
			[]string{consent.Missing, consent.Withdrawn}, false},
		{"refused consent does not count", consent.Facts{Type: profile.CP, Age: age(3)},
			[]consent.Record{rec(consent.Caregiver, consent.KindConsent, consent.Refused, 1)},
			[]string{consent.Missing, consent.Refusal}, false},
		{"refused, then given", consent.Facts{Type: profile.CP, Age: age(3)},
			[]consent.Record{rec(consent.Caregiver, consent.KindConsent, consent.Given, 2), rec(consent.Caregiver, consent.KindConsent, consent.Refused, 1)},
			[]string{consent.Missing, consent.Met}, true},
		{"withdrawn, then refused: the latest decision shows", consent.Facts{Type: profile.CP, Age: age(3)},
			[]consent.Record{withdrawn(rec(consent.Caregiver, consent.KindConsent, consent.Given, 1)), rec(consent.Caregiver, consent.KindConsent, consent.Refused, 2)},
			[]string{consent.Missing, consent.Refusal}, false},
		{"consent for another scope does not count", consent.Facts{Type: profile.GBV, Age: age(25)},
			[]consent.Record{{Scope: "share_services", Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given, CreatedAt: t0}},
			[]string{consent.Missing}, false},
		{"the only caregiver is an alleged perpetrator: not to be sought", consent.Facts{Type: profile.CP, Age: age(8), Caregivers: []cases.Person{father}},
			[]consent.Record{rec(consent.Self, consent.KindAssent, consent.Given, 1)},
			[]string{consent.Met, consent.NotSought}, false},
		{"another caregiver can be asked", consent.Facts{Type: profile.CP, Age: age(8), Caregivers: []cases.Person{father, mother}},
			[]consent.Record{rec(consent.Self, consent.KindAssent, consent.Given, 1)},
			[]string{consent.Met, consent.Missing}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scope(t, consent.Evaluate(p, tt.f, tt.records, nil), gate)
			var got []string
			for _, n := range s.Needs {
				got = append(got, n.Status)
				if n.Status == consent.Met && (n.Record == nil || !n.Record.Active()) {
					t.Errorf("need %s met by record %+v", n.Giver, n.Record)
				}
			}
			if diff := cmp.Diff(tt.wantStatus, got); diff != "" {
				t.Errorf("need statuses (-want +got):\n%s", diff)
			}
			if s.Satisfied != tt.satisfied {
				t.Errorf("Satisfied = %v, want %v", s.Satisfied, tt.satisfied)
			}
			if s.Override != nil {
				t.Error("an override appeared from nowhere")
			}
			// The records bear on the gate scope only.
			if scope(t, consent.Evaluate(p, tt.f, tt.records, nil), "participation").Satisfied {
				t.Error("participation satisfied by collect_store records")
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	f := consent.Facts{Type: profile.CP, Age: age(8)}
	active := consent.Override{ID: "o1", Scope: gate, Basis: "best_interests", ApprovedAt: t0}
	revoked := consent.Override{ID: "o2", Scope: gate, Basis: "best_interests", ApprovedAt: t0, RevokedAt: t0.Add(time.Hour)}
	other := consent.Override{ID: "o3", Scope: "share_services", Basis: "vital_interests", ApprovedAt: t0}
	tests := []struct {
		name      string
		overrides []consent.Override
		want      bool
	}{
		{"active override", []consent.Override{active}, true},
		{"revoked override", []consent.Override{revoked}, false},
		{"override of another scope", []consent.Override{other}, false},
		{"revoked and a newer active one", []consent.Override{revoked, active}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := consent.Evaluate(p, f, nil, tt.overrides)
			s := scope(t, ss, gate)
			if s.Satisfied != tt.want || (s.Override != nil) != tt.want {
				t.Errorf("Satisfied = %v, Override = %+v; want %v", s.Satisfied, s.Override, tt.want)
			}
			if consent.Allows(ss, gate) != tt.want {
				t.Errorf("Allows = %v, want %v", !tt.want, tt.want)
			}
		})
	}
}

func TestAllowsAndMissingNeeds(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	f := consent.Facts{Type: profile.CP, Age: age(8)}
	ss := consent.Evaluate(p, f, nil, nil)
	// Three required scopes, two required needs each; disclose_tracing is not required.
	if got := consent.MissingNeeds(ss); got != 6 {
		t.Errorf("MissingNeeds = %d, want 6", got)
	}
	ss = consent.Evaluate(p, f, []consent.Record{rec(consent.Self, consent.KindAssent, consent.Given, 1)},
		[]consent.Override{{Scope: "participation", ApprovedAt: t0}})
	// collect_store lacks the caregiver; share_services both; participation is overridden.
	if got := consent.MissingNeeds(ss); got != 3 {
		t.Errorf("MissingNeeds = %d, want 3", got)
	}
	if consent.Allows(ss, gate) || !consent.Allows(ss, "participation") || consent.Allows(ss, "no_such_scope") {
		t.Error("Allows does not follow the scope statuses")
	}
	if diff := cmp.Diff(p.Consent.Scopes[0], ss[0].Scope, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("scopes are not in the profile's order:\n%s", diff)
	}
}
