package profile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/safecase/safecase/internal/profile"
)

// FuzzParse feeds arbitrary files to Parse: it must never panic, a failure
// must be a *profile.Error with at least one problem, and a profile it
// accepts must be one the rest of SafeCase can rely on.
func FuzzParse(f *testing.F) {
	f.Add(profile.DefaultYAML())
	f.Add([]byte("timelines:\n  assessment: {high: 12h}\n"))
	files, _ := filepath.Glob(filepath.Join("testdata", "broken", "*.yaml"))
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := profile.Parse("fuzz.yaml", data)
		if err != nil {
			var perr *profile.Error
			if !errors.As(err, &perr) || len(perr.Problems) == 0 {
				t.Fatalf("Parse error %T %v, want *profile.Error with problems", err, err)
			}
			return
		}
		for age := 0; age <= 100; age++ {
			if _, ok := p.Band(age); !ok {
				t.Fatalf("accepted profile has no consent band for age %d", age)
			}
		}
		for _, b := range []profile.ByRisk{p.Timelines.Registration, p.Timelines.Assessment, p.Timelines.CasePlan,
			p.Timelines.FirstAction, p.Timelines.FollowUp, p.Timelines.Review} {
			h, okh := b.For(profile.High)
			m, okm := b.For(profile.Medium)
			l, okl := b.For(profile.Low)
			if !okh || !okm || !okl {
				t.Fatalf("accepted profile lacks a high, medium or low deadline: %+v", b)
			}
			if h > m || m > l {
				t.Fatalf("accepted profile lets higher risk wait longer: %v %v %v", h, m, l)
			}
		}
		if p.GateScope() == "" {
			t.Fatal("accepted profile has no gate scope")
		}
		if p.Location() == nil {
			t.Fatal("accepted profile has no time zone")
		}
		for _, ct := range profile.CaseTypes {
			if len(p.Eligibility[ct]) == 0 {
				t.Fatalf("accepted profile has no eligibility criteria for %s", ct)
			}
		}
		if p.UrgentResponse <= 0 || p.UrgentResponseMax < p.UrgentResponse {
			t.Fatalf("accepted profile has urgent response %v..%v", p.UrgentResponse, p.UrgentResponseMax)
		}
	})
}
