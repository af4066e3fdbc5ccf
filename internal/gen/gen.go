// Package gen makes data to try SafeCase with. Generate writes any number of
// realistic, fictional cases fast, through store.Bulk, for benchmarks and load
// tests; Demo seeds a small demonstration deployment through the domain
// operations themselves; Sample finds the users and the case a benchmark
// works with.
package gen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// Password is the password of every user Generate creates. The data is
// fictional and the password public: never load synthetic data into a
// deployment that holds real cases.
const Password = "synthetic-password"

// Options tune Generate.
type Options struct {
	Cases    int       // how many cases to write
	Seed     uint64    // the same seed, database and Now give the same data
	Now      time.Time // the present of the data; zero means time.Now()
	Progress io.Writer // where to draw a progress bar; nil for none
	Batch    int       // cases per transaction; 0 means 5,000
}

// Summary reports what Generate wrote.
type Summary struct {
	Prefix      string // the run's usernames start with it, e.g. "g1-"
	Agencies    int
	Teams       int
	Users       int
	Cases       int
	Open        int
	Overdue     int            // open cases with a deadline past due
	Urgent      int            // open cases flagged urgent
	Priority    int            // open cases of separated or unaccompanied children
	Steps       map[string]int // open cases by step
	PostClosure int            // closed cases with their post-closure follow-up still open
	Services    int            // entries of the service directory
	Referrals   int            // referrals of the cases to those services
	Events      int            // audit events appended
	Elapsed     time.Duration
}

// Rate returns the cases written per second.
func (s Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Cases) / s.Elapsed.Seconds()
}

// spec is what is decided about a case before the cases are put in time order.
type spec struct {
	created time.Time
	worker  int32
	open    bool
	risk    uint8     // index into riskOrder: the case's current risk level
	life    *timeline // an open case's way through the steps (a closed case's is drawn as it is written)
}

// riskOrder lists the registration risk levels, most severe first.
var riskOrder = []string{profile.High, profile.Medium, profile.Low}

// Generate writes opt.Cases synthetic cases into db, with the organisation
// that holds them: at least three agencies, teams of six caseworkers and a
// supervisor, and enough caseworkers for open caseloads of 15-25. Each case
// comes with its identity, risk history, consent records, family, deadlines
// and one audit event, as the domain operations would have written them; the
// audit chain still verifies afterwards. Most cases are closed history; about
// 15% are open and awaiting assessment, some of them overdue.
func Generate(ctx context.Context, db *store.DB, p *profile.Profile, opt Options) (Summary, error) {
	start := time.Now()
	var sum Summary
	if opt.Cases < 1 {
		return sum, errors.New("gen: the number of cases must be at least 1")
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.Truncate(time.Millisecond)
	batch := opt.Batch
	if batch <= 0 {
		batch = 5000
	}
	run, err := runPrefix(ctx, db)
	if err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	r := newRand(opt.Seed, run)
	open := roundInt(float64(opt.Cases) * openShare)
	if open == 0 && opt.Cases > 1 {
		open = 1
	}
	o := planOrg(r, run, opt.Cases, open, now)
	hash, err := hashPassword()
	if err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	if err := insertOrg(ctx, db, o, hash, now); err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	sum.Prefix = fmt.Sprintf("g%d-", run)
	sum.Agencies, sum.Teams, sum.Users, sum.Services = len(o.agencies), len(o.teams), len(o.users), len(o.services)
	sum.Events += len(o.services) // their creation is audited like the organisation's

	existing, err := db.CaseCodes(ctx)
	if err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	g := newCaseGen(r, p, o, now, existing)
	specs := g.plan(opt.Cases, open)

	bar := newProgress(opt.Progress, opt.Cases)
	b, err := db.BeginBulk(ctx)
	if err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	defer b.Rollback()
	for i, s := range specs {
		if err := g.write(ctx, b, s, &sum); err != nil {
			return sum, fmt.Errorf("gen: %w", err)
		}
		if n := i + 1; n%batch == 0 && n < len(specs) {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			if err := b.Next(ctx); err != nil {
				return sum, fmt.Errorf("gen: %w", err)
			}
			bar.update(n)
		}
	}
	// The events of later steps still held happened after the last registration.
	if err := g.flushEvents(b, g.now.AddDate(1, 0, 0), &sum); err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	if err := b.Commit(ctx); err != nil {
		return sum, fmt.Errorf("gen: %w", err)
	}
	bar.done()
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// plan decides which cases are open, who holds them and when they were
// registered, and returns them in the order they were registered.
func (g *caseGen) plan(n, open int) []spec {
	r := g.r
	specs := make([]spec, 0, n)
	// Open cases: each caseworker's caseload, spread over the steps, each
	// registered as long ago as its way through the steps took.
	for w, k := range loads(r, len(g.org.workers), open) {
		for j := 0; j < k; j++ {
			risk := uint8(r.weighted([]float64{0.2, 0.45, 0.35}))
			life := g.openLife(openSteps[r.weighted(openStepShares)], riskOrder[risk])
			specs = append(specs, spec{created: g.now.Add(-life.total()), worker: int32(w), open: true, risk: risk, life: life})
		}
	}
	// Closed cases: the history of the last three years.
	from, to := g.now.AddDate(-3, 0, 0), g.now.AddDate(0, 0, -45)
	for len(specs) < n {
		specs = append(specs, spec{
			created: from.Add(r.between(0, to.Sub(from))).Truncate(time.Millisecond),
			worker:  int32(r.IntN(len(g.org.workers))),
			risk:    uint8(r.weighted([]float64{0.2, 0.45, 0.35})),
		})
	}
	for i := range specs {
		specs[i].created = specs[i].created.Truncate(time.Millisecond)
	}
	slices.SortStableFunc(specs, func(a, b spec) int { return a.created.Compare(b.created) })
	return specs
}
