package cli

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/safecase/safecase/internal/gen"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

var genCmd = &command{
	name: "gen", summary: "write synthetic cases for benchmarks and load tests",
	detail: `Writes --cases realistic, fictional cases with the agencies, teams and users
that hold them (open caseloads of 15-25 per caseworker), fast: big
transactions of multi-row inserts, with SQLite's fsync off while it runs.
Every generated user's password is "` + gen.Password + `". The same --seed over
the same database gives the same data. It refuses a database that holds real
users: synthetic data never mixes with real cases.`,
	run: runGen,
}

// syntheticUser matches the usernames of gen runs (g1-cw00001…).
var syntheticUser = regexp.MustCompile(`^g[0-9]+-`)

func runGen(ctx context.Context, a *app, c *command, args []string) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB|optProfile)
	n := fs.Int("cases", 0, "how many cases to write (required)")
	seed := fs.Uint64("seed", 1, "random seed")
	batch := fs.Int("batch", 5000, "cases per transaction")
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return usagef("--cases must be at least 1")
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return err
	}
	prof, err := profile.Load(cfg.Profile)
	if err != nil {
		return err
	}
	db, err := a.openDB(ctx, cfg, true, store.Options{Bulk: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := refuseRealUsers(ctx, db); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "writing %d synthetic cases to %s (%s)\n", *n, cfg.DB, db.Engine())
	s, err := gen.Generate(ctx, db, prof, gen.Options{Cases: *n, Seed: *seed, Progress: a.stderr, Batch: *batch})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %d cases in %s: %.0f cases a second\n", s.Cases, s.Elapsed.Round(time.Millisecond), s.Rate())
	fmt.Fprintf(a.stdout, "  open %d (overdue %d, urgent %d, separated or unaccompanied %d), closed %d\n",
		s.Open, s.Overdue, s.Urgent, s.Priority, s.Cases-s.Open)
	fmt.Fprintf(a.stdout, "  %d agencies, %d teams, %d users named %s…, password %q\n",
		s.Agencies, s.Teams, s.Users, s.Prefix, gen.Password)
	if smp, err := gen.Sample(ctx, db); err == nil {
		fmt.Fprintf(a.stdout, "  try caseworker %s (%d open cases), supervisor %s, manager %s\n",
			smp.Caseworker.Username, smp.OpenCases, smp.Supervisor.Username, smp.Manager.Username)
	}
	return nil
}

// refuseRealUsers stops gen from writing into a database with users that
// neither gen nor the demo made.
func refuseRealUsers(ctx context.Context, db *store.DB) error {
	demo := map[string]bool{}
	for _, l := range gen.DemoLogins() {
		demo[l.Username] = true
	}
	return db.Read(ctx, func(tx *store.Tx) error {
		users, err := tx.Users(ctx, "")
		if err != nil {
			return err
		}
		for _, u := range users {
			if !syntheticUser.MatchString(u.Username) && !demo[u.Username] {
				return fmt.Errorf("the database holds real users (%s, for one): synthetic data has a public password "+
					"and never mixes with real cases; use a database of its own", u.Username)
			}
		}
		return nil
	})
}
