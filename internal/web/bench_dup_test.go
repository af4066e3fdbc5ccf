package web

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// The duplicate check's benchmark (issue 10 §2: "adds at most 5 ms to a
// registration at 1M cases"), on the database openBench opens:
//
//	cp /work/bench/search-1m.db /work/bench/dup-1m.db; cp /work/bench/search-1m.key /work/bench/dup-1m.key
//	SAFECASE_BENCH_DB=sqlite:/work/bench/dup-1m.db go test ./internal/web -run '^$' -bench DuplicateCheck -benchtime 400x
//
// It registers cases: give it a copy, never the original.

// dupProbes returns registrations of children of the sample caseworker's
// agency: half are children the agency knows (read from n of its cases:
// the check finds them), half the given name of one with the family name of
// another (mostly new children).
func dupProbes(b *testing.B, e *benchEnv, n int) []cases.Registration {
	b.Helper()
	ctx := context.Background()
	now := time.Now()
	var out []cases.Registration
	if err := e.db.Read(ctx, func(tx *store.Tx) error {
		rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: access.Agency, ID: e.sample.AgencyID, Offset: 100, Limit: n})
		if err != nil {
			return err
		}
		var known []cases.Registration
		for _, row := range rows {
			id, err := tx.Identity(ctx, row.ID)
			if err != nil {
				return err
			}
			if id.GivenName == "" || id.FamilyName == "" {
				continue // a declined name: nothing to check
			}
			c, err := tx.Case(ctx, row.ID)
			if err != nil {
				return err
			}
			r := cases.Registration{Type: profile.CP, GivenName: id.GivenName, FamilyName: id.FamilyName,
				DateOfBirth: id.DateOfBirth, Age: cases.AgeAt(c, id, now), Sex: c.Sex, Location: id.Location,
				Contact: "through the block leader", CareStatus: cases.Accompanied, Concerns: []string{"neglect"},
				RiskLevel: profile.Medium, RiskReason: "benchmark", DifferentChild: true}
			if r.Sex == "" {
				r.Declined = append(r.Declined, "sex")
			}
			if r.Location == "" {
				r.Declined = append(r.Declined, "location")
			}
			if r.Age == nil || *r.Age >= 18 {
				a := 10
				r.Age, r.DateOfBirth = &a, ""
			}
			known = append(known, r)
		}
		for i, r := range known {
			out = append(out, r)
			mixed := r
			mixed.FamilyName = known[(i+7)%len(known)].FamilyName
			out = append(out, mixed)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if len(out) == 0 {
		b.Fatal("no cases to probe with")
	}
	return out
}

// percentiles returns the median and 99th percentile of lat, in ms.
func percentiles(lat []time.Duration) (float64, float64) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100])
}

// BenchmarkDuplicateCheck measures the duplicate check alone (its read
// transaction: the store's query and the candidates' cases and names), and
// a whole registration with it (RegisterChecked, the child confirmed as a
// different one, so that every registration is saved) and without it
// (Register), the two interleaved so that both see the same load.
func BenchmarkDuplicateCheck(b *testing.B) {
	e := openBench(b)
	ctx := context.Background()
	if os.Getenv("SAFECASE_BENCH_DB") == "" {
		// The database generated here was written without the key: index it.
		// (`safecase gen` indexes what it writes under its key file.)
		if _, err := e.db.EnsureSearchIndex(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	h := e.db.SearchHasher()
	s := e.sample
	a := access.Actor{UserID: s.Caseworker.ID, AgencyID: s.AgencyID, TeamID: s.TeamID, Role: org.Caseworker}
	probes := dupProbes(b, e, 200)
	p := profile.Default()
	code := func() string { return cases.NewCode("C") }
	check := make([]time.Duration, 0, b.N)
	with := make([]time.Duration, 0, b.N)
	without := make([]time.Duration, 0, b.N)
	found := 0
	var checkCPU, withCPU, withoutCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := probes[i%len(probes)]
		t0, c0 := time.Now(), cpuTime()
		if err := e.db.Read(ctx, func(tx *store.Tx) error {
			ds, err := cases.PossibleDuplicates(ctx, tx, h, a, cases.ProbeOf(r), time.Now())
			if len(ds) > 0 {
				found++
			}
			return err
		}); err != nil {
			b.Fatal(err)
		}
		check = append(check, time.Since(t0))
		checkCPU += cpuTime() - c0
		t0, c0 = time.Now(), cpuTime()
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := cases.RegisterChecked(ctx, tx, h, p, a, r, code, time.Now())
			return err
		}); err != nil {
			b.Fatal(err)
		}
		with = append(with, time.Since(t0))
		withCPU += cpuTime() - c0
		t0, c0 = time.Now(), cpuTime()
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := cases.Register(ctx, tx, p, a, r, code, time.Now())
			return err
		}); err != nil {
			b.Fatal(err)
		}
		without = append(without, time.Since(t0))
		withoutCPU += cpuTime() - c0
	}
	b.StopTimer()
	c50, c99 := percentiles(check)
	w50, w99 := percentiles(with)
	o50, o99 := percentiles(without)
	b.ReportMetric(c50, "check-p50-ms")
	b.ReportMetric(c99, "check-p99-ms")
	b.ReportMetric(w50, "reg-checked-p50-ms")
	b.ReportMetric(w99, "reg-checked-p99-ms")
	b.ReportMetric(o50, "reg-p50-ms")
	b.ReportMetric(o99, "reg-p99-ms")
	b.ReportMetric(float64(found)/float64(b.N), "found-ratio")
	// On a machine shared with other work the latencies move with the
	// load; the process's CPU time much less.
	b.ReportMetric(float64(checkCPU.Microseconds())/float64(b.N), "check-cpu-µs")
	b.ReportMetric(float64(withCPU.Microseconds())/float64(b.N), "reg-checked-cpu-µs")
	b.ReportMetric(float64(withoutCPU.Microseconds())/float64(b.N), "reg-cpu-µs")
}
