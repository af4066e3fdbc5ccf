package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/gen"
	keyset "github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// The page benchmarks measure server time per page — session lookup, access
// decision, the queries, the audit event of a read (durable before the page
// is sent) and the template — against a database made by `safecase gen`.
//
//	safecase gen --db /tmp/sc-1m.db --cases 1000000
//	SAFECASE_BENCH_DB=sqlite:/tmp/sc-1m.db go test ./internal/web -run '^$' -bench Page -benchtime 2000x
//
// Without SAFECASE_BENCH_DB they generate a small SQLite database of
// SAFECASE_BENCH_CASES cases (default 20,000) in a temporary folder.
// Each benchmark reports the median and 99th percentile in milliseconds.

type benchEnv struct {
	srv    *Server
	db     *store.DB
	sample gen.SampleSet
	cookie map[string]string // role -> session cookie value
	sealer *mfa.Sealer       // seals the benchmark users' authenticator apps
}

func openBench(b *testing.B) *benchEnv {
	b.Helper()
	ctx := context.Background()
	url := os.Getenv("SAFECASE_BENCH_DB")
	if url == "" {
		n := 20000
		if v := os.Getenv("SAFECASE_BENCH_CASES"); v != "" {
			fmt.Sscan(v, &n)
		}
		url = "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
		db, err := store.Open(ctx, url, store.Options{Bulk: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := gen.Generate(ctx, db, profile.Default(), gen.Options{Cases: n, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ks := benchKeys(b, os.Getenv("SAFECASE_BENCH_DB"))
	db.UseKeys(ks) // audit events keyed, as serve writes them
	s, err := gen.Sample(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(db, profile.Default(), Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{srv: srv, db: db, sample: s, cookie: map[string]string{}}
	sealer, err := mfa.NewSealer(ks.Derive(keyset.TOTPSecrets))
	if err != nil {
		b.Fatal(err)
	}
	e.sealer = sealer
	for role, id := range map[string]string{"caseworker": s.Caseworker.ID, "supervisor": s.Supervisor.ID, "manager": s.Manager.ID} {
		if id == "" {
			continue
		}
		// The default profile requires these roles to use a second factor:
		// each has an authenticator app, so that every page pays the gate's
		// check and passes it, as in a deployment.
		benchEnrol(b, db, sealer, id)
		tok, hash := auth.NewToken("")
		now := time.Now()
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.InsertSession(ctx, &store.Session{ID: hash, UserID: id, CreatedAt: now, LastSeenAt: now,
				ExpiresAt: now.Add(24 * time.Hour)})
		}); err != nil {
			b.Fatal(err)
		}
		e.cookie[role] = tok
	}
	return e
}

// benchKeys returns the key of the benchmarks' database: SAFECASE_KEY, or
// the key file SAFECASE_KEY_FILE names, or the one `safecase gen` made
// beside a SQLite database given in SAFECASE_BENCH_DB; the tests' fixed
// key for a database the benchmarks generate themselves.
func benchKeys(b *testing.B, url string) *keyset.Set {
	b.Helper()
	file := os.Getenv("SAFECASE_KEY_FILE")
	if file == "" && url != "" && !store.IsPostgres(url) {
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		file = strings.TrimSuffix(path, filepath.Ext(path)) + ".key"
	}
	env := os.Getenv(keyset.EnvVar)
	if env == "" && (url == "" || file == "") {
		return testdb.Keys()
	}
	ks, err := keyset.Load(keyset.Source{Env: env, File: file})
	if err != nil {
		b.Fatalf("the benchmarks' database needs its key: %v", err)
	}
	return ks
}

// benchEnrol sets up an authenticator app for user id, unless they have a
// second factor already (a database kept between runs).
func benchEnrol(b *testing.B, db *store.DB, s *mfa.Sealer, id string) {
	ctx := context.Background()
	var u *org.User
	var st mfa.Status
	if err := db.Read(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.User(ctx, id); err != nil {
			return err
		}
		st, err = mfa.StatusOf(ctx, tx, id)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if st.Enrolled() {
		return
	}
	a := access.Actor{UserID: u.ID, AgencyID: u.AgencyID, TeamID: u.TeamID, Role: u.Role}
	now := time.Now()
	var en *mfa.Enrolment
	if err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		en, err = mfa.StartTOTP(ctx, tx, s, a, now)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := mfa.ConfirmTOTP(ctx, tx, s, a, appCode(b, en.Secret, now), now)
		return err
	}); err != nil {
		b.Fatal(err)
	}
}

// page serves path as role b.N times and reports the latency distribution.
func (e *benchEnv) page(b *testing.B, role, path string) {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.AddCookie(&http.Cookie{Name: "safecase", Value: e.cookie[role]})
	// One warm-up request checks the page answers.
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s as %s: %d", path, role, rec.Code)
	}
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		t0 := time.Now()
		e.srv.ServeHTTP(rec, req)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	report(b, lat, cpu0)
}

// report reports the median and 99th percentile of lat in milliseconds,
// and the process's CPU time per request since cpu0 (cpuTime) in
// microseconds: on a machine shared with other work the latencies move
// with the load, the CPU time much less.
func report(b *testing.B, lat []time.Duration, cpu0 time.Duration) {
	cpu := cpuTime() - cpu0
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(len(lat)), "cpu-µs/op")
	}
}

func BenchmarkPageCaseload(b *testing.B) {
	e := openBench(b)
	e.page(b, "caseworker", "/caseload")
}

func BenchmarkPageTasks(b *testing.B) {
	e := openBench(b)
	e.page(b, "caseworker", "/tasks")
}

func BenchmarkPageCase(b *testing.B) {
	e := openBench(b)
	e.page(b, "caseworker", "/cases/"+e.sample.CaseID)
}

func BenchmarkPageTeam(b *testing.B) {
	e := openBench(b)
	e.page(b, "supervisor", "/team")
}

// BenchmarkRawCaseloadQuery is the indexed query behind a 25-row caseload,
// alone: the page's overhead is measured against it.
func BenchmarkRawCaseloadQuery(b *testing.B) {
	e := openBench(b)
	ctx := context.Background()
	f := store.CaseFilter{Scope: access.Own, ID: e.sample.Caseworker.ID, Limit: 25}
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := e.db.Read(ctx, func(tx *store.Tx) error {
			_, err := tx.Caseload(ctx, f)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	report(b, lat, cpu0)
}

// BenchmarkRawTasksQuery is the indexed query behind the caseworker's task
// list, alone, as the page runs it (every open deadline due within the
// profile's task horizon, at most 500): the page's overhead is measured
// against it.
func BenchmarkRawTasksQuery(b *testing.B) {
	e := openBench(b)
	ctx := context.Background()
	id, horizon := e.sample.Caseworker.ID, profile.Default().TaskHorizon.D()
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := e.db.Read(ctx, func(tx *store.Tx) error {
			_, err := tx.TasksDueBefore(ctx, access.Own, id, t0.Add(horizon), 500)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	report(b, lat, cpu0)
}

// BenchmarkPageCaseParallel serves the case page from many goroutines at
// once: the audit events of concurrent reads share group commits.
func BenchmarkPageCaseParallel(b *testing.B) {
	e := openBench(b)
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest("GET", "/cases/"+e.sample.CaseID, nil)
		req.AddCookie(&http.Cookie{Name: "safecase", Value: e.cookie["caseworker"]})
		for pb.Next() {
			rec := httptest.NewRecorder()
			e.srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}

// BenchmarkRegister registers cases one after another through the domain
// operation, each in its own transaction with its audit event, on a fresh
// SQLite database (ops/s is the sustained registration rate).
func BenchmarkRegister(b *testing.B) {
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "reg.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	db.UseKeys(testdb.Keys())
	e := newEnv(b, db)
	u := e.users["caseworker"]
	a := access.Actor{UserID: u.ID, AgencyID: u.AgencyID, TeamID: u.TeamID, Role: u.Role}
	age := 11
	reg := cases.Registration{Type: "cp", GivenName: "Bench", Age: &age, Sex: "female", Location: "x", Contact: "y",
		CareStatus: "accompanied", Concerns: []string{"neglect"}, RiskLevel: "medium", RiskReason: "benchmark"}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := cases.Register(ctx, tx, profile.Default(), a, reg, func() string { return cases.NewCode("C") }, e.clock.now())
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cases/s")
}

// BenchmarkGateCheck measures what the second factor's gate adds to a page:
// the caseload served by two servers over the same database, one whose
// profile requires a second factor of the caseworker (the default: each
// request reads whether she has one, inside the session's read) and one
// whose profile requires none (nothing is read), their requests
// interleaved so that both see the same load. It reports each one's
// median and the difference.
func BenchmarkGateCheck(b *testing.B) {
	e := openBench(b)
	none := *profile.Default()
	none.SecondFactorRoles = nil
	without, err := New(e.db, &none, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/caseload", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.AddCookie(&http.Cookie{Name: "safecase", Value: e.cookie["caseworker"]})
	for _, srv := range []*Server{e.srv, without} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /caseload: %d", rec.Code)
		}
	}
	with, wo := make([]time.Duration, 0, b.N), make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, srv := range []*Server{e.srv, without} {
			if i%2 == 1 {
				srv = []*Server{without, e.srv}[j]
			}
			rec := httptest.NewRecorder()
			t0 := time.Now()
			srv.ServeHTTP(rec, req)
			d := time.Since(t0)
			if srv == e.srv {
				with = append(with, d)
			} else {
				wo = append(wo, d)
			}
		}
	}
	b.StopTimer()
	med := func(l []time.Duration) float64 {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		return float64(l[len(l)/2].Microseconds()) / 1000
	}
	mw, mo := med(with), med(wo)
	b.ReportMetric(mw, "gate-p50-ms")
	b.ReportMetric(mo, "nogate-p50-ms")
	b.ReportMetric((mw-mo)*1000, "added-µs")
}

// BenchmarkHasSecondFactor is the gate's query alone, as the request path
// runs it: inside the read transaction that loads the session.
func BenchmarkHasSecondFactor(b *testing.B) {
	e := openBench(b)
	ctx := context.Background()
	id := e.sample.Caseworker.ID
	if err := e.db.Read(ctx, func(tx *store.Tx) error {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			has, err := tx.HasSecondFactor(ctx, id)
			if err != nil {
				return err
			}
			if !has {
				b.Fatal("the caseworker has no second factor")
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}
