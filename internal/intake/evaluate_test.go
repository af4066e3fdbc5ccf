package intake_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/profile"
)

func age(n int) *int { return &n }

func yes(keys ...string) map[string]string {
	m := map[string]string{}
	for _, k := range keys {
		m[k] = "yes"
	}
	return m
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	cpAll := func() map[string]string { return yes("is_child", "harmed_or_at_risk", "case_management_appropriate") }
	set := func(m map[string]string, k, v string) map[string]string { m[k] = v; return m }
	tests := []struct {
		name        string
		caseType    string
		age         *int
		answers     map[string]string
		wantOutcome string
		wantReasons []intake.Reason
	}{
		{
			name: "cp all yes", caseType: profile.CP, age: age(10), answers: cpAll(),
			wantOutcome: profile.OutcomeFull,
			wantReasons: []intake.Reason{
				{Criterion: "is_child", Met: true, Auto: true},
				{Criterion: "harmed_or_at_risk", Met: true},
				{Criterion: "case_management_appropriate", Met: true},
			},
		},
		{
			name: "cp age unknown, answered by hand", caseType: profile.CP, answers: cpAll(),
			wantOutcome: profile.OutcomeFull,
			wantReasons: []intake.Reason{
				{Criterion: "is_child", Met: true},
				{Criterion: "harmed_or_at_risk", Met: true},
				{Criterion: "case_management_appropriate", Met: true},
			},
		},
		{
			name: "17 is a child whatever the answer", caseType: profile.CP, age: age(17),
			answers:     set(cpAll(), "is_child", "no"),
			wantOutcome: profile.OutcomeFull,
			wantReasons: []intake.Reason{
				{Criterion: "is_child", Met: true, Auto: true},
				{Criterion: "harmed_or_at_risk", Met: true},
				{Criterion: "case_management_appropriate", Met: true},
			},
		},
		{
			name: "18 is not a child whatever the answer", caseType: profile.CP, age: age(18), answers: cpAll(),
			wantOutcome: profile.OutcomeNotEligible,
			wantReasons: []intake.Reason{
				{Criterion: "is_child", Met: false, Auto: true, Outcome: profile.OutcomeNotEligible},
				{Criterion: "harmed_or_at_risk", Met: true},
				{Criterion: "case_management_appropriate", Met: true},
			},
		},
		{
			name: "case management not appropriate: stand-alone referral", caseType: profile.CP, age: age(12),
			answers:     set(cpAll(), "case_management_appropriate", "no"),
			wantOutcome: profile.OutcomeReferral,
			wantReasons: []intake.Reason{
				{Criterion: "is_child", Met: true, Auto: true},
				{Criterion: "harmed_or_at_risk", Met: true},
				{Criterion: "case_management_appropriate", Met: false, Outcome: profile.OutcomeReferral},
			},
		},
		{
			name: "not harmed and not appropriate: not eligible wins", caseType: profile.CP, age: age(12),
			answers:     set(set(cpAll(), "case_management_appropriate", "no"), "harmed_or_at_risk", "no"),
			wantOutcome: profile.OutcomeNotEligible,
			wantReasons: []intake.Reason{
				{Criterion: "is_child", Met: true, Auto: true},
				{Criterion: "harmed_or_at_risk", Met: false, Outcome: profile.OutcomeNotEligible},
				{Criterion: "case_management_appropriate", Met: false, Outcome: profile.OutcomeReferral},
			},
		},
		{
			name: "gbv all yes", caseType: profile.GBV, age: age(30),
			answers:     yes("gbv_disclosed", "wants_support", "case_management_appropriate"),
			wantOutcome: profile.OutcomeFull,
			wantReasons: []intake.Reason{
				{Criterion: "gbv_disclosed", Met: true},
				{Criterion: "wants_support", Met: true},
				{Criterion: "case_management_appropriate", Met: true},
			},
		},
		{
			name: "gbv survivor does not want support", caseType: profile.GBV, age: age(30),
			answers:     map[string]string{"gbv_disclosed": "yes", "wants_support": "no", "case_management_appropriate": "yes"},
			wantOutcome: profile.OutcomeNotEligible,
			wantReasons: []intake.Reason{
				{Criterion: "gbv_disclosed", Met: true},
				{Criterion: "wants_support", Met: false, Outcome: profile.OutcomeNotEligible},
				{Criterion: "case_management_appropriate", Met: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outcome, reasons, err := intake.Evaluate(p, tt.caseType, tt.age, tt.answers)
			if err != nil {
				t.Fatal(err)
			}
			if outcome != tt.wantOutcome {
				t.Errorf("outcome = %s, want %s", outcome, tt.wantOutcome)
			}
			if diff := cmp.Diff(tt.wantReasons, reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEvaluateNotEligibleWinsInAnyOrder uses a profile in which the
// criterion leading to a referral comes before the one leading to not
// eligible: the stricter outcome must still win.
func TestEvaluateNotEligibleWinsInAnyOrder(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("sop.yaml", []byte(`eligibility:
  cp:
    - {key: first, question: "First?", if_not: standalone_referral}
    - {key: second, question: "Second?", if_not: not_eligible}
    - {key: third, question: "Third?", if_not: standalone_referral}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		answers map[string]string
		want    string
	}{
		{map[string]string{"first": "yes", "second": "yes", "third": "yes"}, profile.OutcomeFull},
		{map[string]string{"first": "no", "second": "yes", "third": "yes"}, profile.OutcomeReferral},
		{map[string]string{"first": "no", "second": "no", "third": "yes"}, profile.OutcomeNotEligible},
		{map[string]string{"first": "no", "second": "no", "third": "no"}, profile.OutcomeNotEligible},
		{map[string]string{"first": "yes", "second": "no", "third": "no"}, profile.OutcomeNotEligible},
		{map[string]string{"first": "yes", "second": "yes", "third": "no"}, profile.OutcomeReferral},
	}
	for _, tt := range tests {
		got, _, err := intake.Evaluate(p, profile.CP, nil, tt.answers)
		if err != nil || got != tt.want {
			t.Errorf("Evaluate(%v) = %s, %v; want %s", tt.answers, got, err, tt.want)
		}
	}
}

func TestEvaluateErrors(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	tests := []struct {
		name     string
		caseType string
		age      *int
		answers  map[string]string
		want     []string // fields named, in order
	}{
		{"unknown case type", "adult", age(10), nil, []string{"case_type"}},
		{"one answer missing", profile.CP, age(10), yes("is_child", "case_management_appropriate"),
			[]string{"answers.harmed_or_at_risk"}},
		{"age unknown and is_child unanswered", profile.CP, nil, yes("harmed_or_at_risk", "case_management_appropriate"),
			[]string{"answers.is_child"}},
		{"answer neither yes nor no", profile.GBV, nil,
			map[string]string{"gbv_disclosed": "maybe", "wants_support": "yes", "case_management_appropriate": "YES"},
			[]string{"answers.gbv_disclosed", "answers.case_management_appropriate"}},
		{"nothing answered", profile.GBV, age(20), nil,
			[]string{"answers.gbv_disclosed", "answers.wants_support", "answers.case_management_appropriate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outcome, reasons, err := intake.Evaluate(p, tt.caseType, tt.age, tt.answers)
			if outcome != "" || reasons != nil {
				t.Errorf("Evaluate returned %q %v with an error", outcome, reasons)
			}
			fe, ok := errs.AsFields(err)
			if !ok {
				t.Fatalf("err = %v, want field errors", err)
			}
			var got []string
			for _, f := range fe {
				got = append(got, f.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want *int
		ok   bool
	}{
		{"", nil, true},
		{"  ", nil, true},
		{"0", age(0), true},
		{" 17 ", age(17), true},
		{"120", age(120), true},
		{"121", nil, false},
		{"-1", nil, false},
		{"ten", nil, false},
		{"1.5", nil, false},
	}
	for _, tt := range tests {
		got, ok := intake.ParseAge(tt.in)
		if ok != tt.ok || !cmp.Equal(got, tt.want) {
			t.Errorf("ParseAge(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
