package profile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/safecase/safecase/internal/profile"
)

func dur(d time.Duration) *profile.Duration {
	x := profile.Duration(d)
	return &x
}

const (
	day  = 24 * time.Hour
	week = 7 * day
)

func TestDefaultLoads(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	if p.Source == "" {
		t.Error("default profile has no Source")
	}
	if p.AdultAge != 18 {
		t.Errorf("AdultAge = %d, want 18", p.AdultAge)
	}
	// The guidelines' timelines (DOMAIN.md, L1648-1674).
	want := profile.Timelines{
		Registration: profile.ByRisk{High: dur(24 * time.Hour), Medium: dur(3 * day), Low: dur(week)},
		Assessment:   profile.ByRisk{High: dur(24 * time.Hour), Medium: dur(week), Low: dur(2 * week)},
		CasePlan:     profile.ByRisk{High: dur(3 * day), Medium: dur(week), Low: dur(2 * week)},
		FirstAction:  profile.ByRisk{High: dur(24 * time.Hour), Medium: dur(week), Low: dur(2 * week)},
		FollowUp:     profile.ByRisk{High: dur(3 * day), Medium: dur(2 * week), Low: dur(4 * week)},
		Review:       profile.ByRisk{High: dur(4 * week), Medium: dur(12 * week), Low: dur(12 * week)},
	}
	if diff := cmp.Diff(want, p.Timelines); diff != "" {
		t.Errorf("timelines (-want +got):\n%s", diff)
	}
	if p.UrgentResponse.D() != 24*time.Hour || p.UrgentResponseMax.D() != 48*time.Hour {
		t.Errorf("urgent response = %s..%s, want 24h..48h", p.UrgentResponse, p.UrgentResponseMax)
	}
	if got := p.GateScope(); got != "collect_store" {
		t.Errorf("GateScope = %q, want collect_store", got)
	}
	if p.Location() != time.UTC {
		t.Errorf("Location = %v, want UTC", p.Location())
	}
	for age := 0; age <= 100; age++ {
		if _, ok := p.Band(age); !ok {
			t.Errorf("no consent band for age %d", age)
		}
	}
	// Parsing nothing gives the same profile as Default, and Load("") is Default.
	q, err := profile.Parse("empty.yaml", []byte("  \n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, q, cmpopts.IgnoreUnexported(profile.Profile{})); diff != "" {
		t.Errorf("Parse(empty) differs from Default (-default +parsed):\n%s", diff)
	}
	if l, err := profile.Load(""); err != nil || l != p {
		t.Errorf("Load(\"\") = %p, %v; want Default %p", l, err, p)
	}
}

// brokenWant is what loading one file of testdata/broken must report: the
// first problem's line and key, and a phrase of its message.
var brokenWant = map[string]struct {
	line int
	key  string
	msg  string
}{
	"bad_duration.yaml":             {4, "timelines.assessment.high", `"24" is not a duration`},
	"bad_duration_flow.yaml":        {4, "timelines.assessment.high", `"1x" is not a duration`},
	"unknown_key.yaml":              {3, "caseload.maximum", "unknown key"},
	"wrong_type.yaml":               {3, "caseload.target", `"fifteen" is not a whole number`},
	"wrong_type_flow.yaml":          {3, "caseload.target", `"fifteen..." is not a whole number`},
	"age_band_gap.yaml":             {4, "consent.age_bands[1].min", "is 7 but must be 6"},
	"bad_if_not.yaml":               {5, "eligibility.cp[0].if_not", `"reject" must be`},
	"risk_levels_changed.yaml":      {1, "risk_levels", "keys must be exactly"},
	"unknown_timezone.yaml":         {2, "timezone", "is not a time zone"},
	"higher_risk_waits_longer.yaml": {4, "timelines.case_plan.medium", "higher risk must never wait longer"},
	"syntax_error.yaml":             {4, "", "not valid YAML"},
	"duplicate_option_key.yaml":     {4, "closure_reasons[2].key", `"death" appears twice`},
	"not_a_mapping.yaml":            {1, "", "must be a mapping"},
	"task_horizon_short.yaml":       {2, "task_horizon", "8w is not longer than post_closure_follow_up (12w)"},
}

func TestBrokenProfiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "broken", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < len(brokenWant) {
		t.Fatalf("found %d broken files, want at least %d", len(files), len(brokenWant))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			want, ok := brokenWant[name]
			if !ok {
				t.Fatalf("no expectation for %s: add it to brokenWant", name)
			}
			p, err := profile.Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = %v, want an error", path, p.Name)
			}
			var perr *profile.Error
			if !errors.As(err, &perr) {
				t.Fatalf("Load(%s) error %T %v, want *profile.Error", path, err, err)
			}
			if perr.File != path {
				t.Errorf("File = %q, want %q", perr.File, path)
			}
			if len(perr.Problems) == 0 {
				t.Fatal("no problems")
			}
			got := perr.Problems[0]
			if got.Line != want.line || got.Key != want.key {
				t.Errorf("problem at line %d key %q, want line %d key %q (all: %v)", got.Line, got.Key, want.line, want.key, err)
			}
			if !strings.Contains(got.Msg, want.msg) {
				t.Errorf("message %q does not say %q", got.Msg, want.msg)
			}
			// The message an operator sees names the file, the line and the key.
			prefix := "profile " + path + ":" + strconv.Itoa(want.line)
			if want.key != "" {
				prefix += ": " + want.key
			}
			if !strings.HasPrefix(err.Error(), prefix+": ") {
				t.Errorf("Error() = %q, want it to start %q", err.Error(), prefix)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := profile.Load(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(missing) = %v, want a not-exist error naming %s", err, path)
	}
}

func TestOverrideChangesOnlyNamedKeys(t *testing.T) {
	t.Parallel()
	const sop = `name: Test SOP
timelines:
  assessment:
    high: 12h
eligibility:
  cp:
    - key: is_child
      question: Is the person under 18?
      auto: under_adult_age
      if_not: not_eligible
caseload:
  max: 20
languages: [en, fr]
registration_number: true
`
	path := filepath.Join(t.TempDir(), "sop.yaml")
	if err := os.WriteFile(path, []byte(sop), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := profile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := profile.Parse("", nil) // a fresh copy of the default
	if err != nil {
		t.Fatal(err)
	}
	want.Name = "Test SOP"
	want.Source = path
	// A mapping merges: only assessment.high changes; medium and low stay.
	want.Timelines.Assessment.High = dur(12 * time.Hour)
	// A list replaces the default list whole; the other case type stays.
	want.Eligibility[profile.CP] = []profile.Criterion{{Key: "is_child", Question: "Is the person under 18?",
		Auto: profile.AutoUnderAdultAge, IfNot: profile.OutcomeNotEligible}}
	want.Caseload.Max = 20
	want.Languages = []string{"en", "fr"}
	want.RegistrationNumber = true
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(profile.Profile{})); diff != "" {
		t.Errorf("override (-want +got):\n%s", diff)
	}
	if len(got.Eligibility[profile.GBV]) != 3 {
		t.Errorf("gbv criteria = %d, want the default 3", len(got.Eligibility[profile.GBV]))
	}
	// Loading the override must not change the default.
	if d := profile.Default(); d.Timelines.Assessment.High.D() != 24*time.Hour || len(d.Eligibility[profile.CP]) != 3 {
		t.Errorf("the override leaked into Default: %v, %d criteria", d.Timelines.Assessment.High, len(d.Eligibility[profile.CP]))
	}
}

func TestOverrideTimezone(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("tz.yaml", []byte("timezone: Africa/Nairobi\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Location().String(); got != "Africa/Nairobi" {
		t.Fatalf("Location = %s", got)
	}
	// 22:30 UTC on 9 March is 01:30 on 10 March in Nairobi (UTC+3).
	now := time.Date(2025, 3, 9, 22, 30, 0, 0, time.UTC)
	if got := p.Today(now); got != "2025-03-10" {
		t.Errorf("Today = %s, want 2025-03-10", got)
	}
	if got := p.DayStart("2025-03-10", now); !got.Equal(now) {
		t.Errorf("DayStart(today) = %v, want now", got)
	}
	want := time.Date(2025, 3, 8, 0, 0, 0, 0, p.Location())
	if got := p.DayStart("2025-03-08", now); !got.Equal(want) {
		t.Errorf("DayStart(2025-03-08) = %v, want %v", got, want)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want time.Duration
	}{
		{"24h", 24 * time.Hour},
		{"1h", time.Hour},
		{"3d", 3 * day},
		{"2w", 2 * week},
		{"0", 0},
		{" 12h ", 12 * time.Hour},
		{"0d", 0},
	}
	for _, tt := range good {
		t.Run(tt.in, func(t *testing.T) {
			got, err := profile.ParseDuration(tt.in)
			if err != nil || got.D() != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got.D(), err, tt.want)
			}
		})
	}
	for _, in := range []string{"", "h", "24", "1.5d", "-1d", "3m", "2W", "d3", "10001d", "1 d", "abc", "24hh", "0x1h"} {
		t.Run("bad "+in, func(t *testing.T) {
			if got, err := profile.ParseDuration(in); err == nil {
				t.Errorf("ParseDuration(%q) = %v, want an error", in, got.D())
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{24 * time.Hour, "1d"},
		{36 * time.Hour, "36h"},
		{2 * week, "2w"},
		{10 * day, "10d"},
	}
	for _, tt := range tests {
		got := profile.Duration(tt.d).String()
		if got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
		back, err := profile.ParseDuration(got)
		if err != nil || back.D() != tt.d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back.D(), err, tt.d)
		}
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	if !profile.Has(p.RiskLevels, profile.High) || profile.Has(p.RiskLevels, "severe") {
		t.Error("Has does not tell known from unknown risk levels")
	}
	if got := profile.Label(p.RiskLevels, profile.High, "en"); got != "High risk" {
		t.Errorf("Label(high) = %q", got)
	}
	if got := profile.Label(p.RiskLevels, "severe", "en"); got != "severe" {
		t.Errorf("Label(unknown) = %q, want the key", got)
	}
	o := profile.Option{Key: "k", Label: "Default", Labels: map[string]string{"fr": "Défaut", "ar": ""}}
	for lang, want := range map[string]string{"fr": "Défaut", "ar": "Default", "en": "Default"} {
		if got := o.Text(lang); got != want {
			t.Errorf("Text(%s) = %q, want %q", lang, got, want)
		}
	}
}
