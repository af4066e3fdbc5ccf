package gen_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/gen"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// now is the fixed present of the generated data.
var now = time.Date(2026, 6, 15, 10, 30, 0, 0, time.UTC)

// allCases returns every case of db with status, through the agencies' caseloads.
func allCases(t *testing.T, db *store.DB, status string) []store.CaseRow {
	t.Helper()
	ctx := context.Background()
	var out []store.CaseRow
	err := db.Read(ctx, func(tx *store.Tx) error {
		agencies, err := tx.Agencies(ctx)
		if err != nil {
			return err
		}
		for _, a := range agencies {
			for off := 0; ; off += 200 {
				rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: access.Agency, ID: a.ID, Status: status, Offset: off, Limit: 200})
				if err != nil {
					return err
				}
				out = append(out, rows...)
				if len(rows) < 200 {
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func verify(t *testing.T, db *store.DB) int64 {
	t.Helper()
	v, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Fatalf("audit chain broken: %v", v.Problems)
	}
	return v.Count
}

func TestGenerate(t *testing.T) {
	const n = 2000
	p := profile.Default()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sum, err := gen.Generate(ctx, db, p, gen.Options{Cases: n, Seed: 7, Now: now, Batch: 700})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Cases != n || sum.Open != n*15/100 || sum.Prefix != "g1-" {
			t.Errorf("summary %+v: want %d cases, %d open, prefix g1-", sum, n, n*15/100)
		}
		if sum.Agencies < 3 {
			t.Errorf("%d agencies, want at least 3", sum.Agencies)
		}
		if events := verify(t, db); events != int64(sum.Events+sum.Agencies+sum.Teams+sum.Users) {
			t.Errorf("%d audit events, want one per case and per agency, team and user (%d)", events,
				sum.Events+sum.Agencies+sum.Teams+sum.Users)
		}
		open, closed := allCases(t, db, cases.Open), allCases(t, db, cases.Closed)
		if len(open) != sum.Open || len(open)+len(closed) != n {
			t.Fatalf("%d open and %d closed cases, want %d and %d", len(open), len(closed), sum.Open, n-sum.Open)
		}

		overdue, types, checked := 0, map[string]int{}, 0
		err = db.Read(ctx, func(tx *store.Tx) error {
			rows := open
			for i := 0; i < len(closed); i += 4 { // a sample of the history
				rows = append(rows, closed[i])
			}
			for i, row := range rows {
				c, err := tx.Case(ctx, row.ID)
				if err != nil {
					return err
				}
				ds, err := tx.CaseDeadlines(ctx, c.ID)
				if err != nil {
					return err
				}
				types[c.Type]++
				checked++
				checkCase(t, p, c, ds)
				if c.IsOpen() && !c.NextDueAt.IsZero() && c.NextDueAt.Before(now) {
					overdue++
				}
				// The consent gate holds wherever family members were recorded,
				// as family.Add requires.
				if i%7 == 0 {
					st, err := consent.Load(ctx, tx, p, c, c.CreatedAt.Add(time.Hour))
					if err != nil {
						return err
					}
					if len(st.People) > 0 && !consent.Allows(st.Scopes, p.GateScope()) {
						t.Errorf("case %s: family recorded without consent to collect and store", c.Code)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if overdue != sum.Overdue || overdue < sum.Open/20 || overdue > sum.Open*2/5 {
			t.Errorf("%d open cases overdue (summary says %d), want some but not most of %d", overdue, sum.Overdue, sum.Open)
		}
		if types[profile.CP] < checked*2/5 || types[profile.GBV] < checked/4 {
			t.Errorf("case types %v: want both CP and GBV in number", types)
		}

		// Every caseworker holds 15 to 25 open cases.
		err = db.Read(ctx, func(tx *store.Tx) error {
			users, err := tx.Users(ctx, "")
			if err != nil {
				return err
			}
			roles := map[org.Role]int{}
			for _, u := range users {
				roles[u.Role]++
				if u.Role != org.Caseworker {
					continue
				}
				k, err := tx.CountCases(ctx, store.CaseFilter{Scope: access.Own, ID: u.ID}, 100)
				if err != nil {
					return err
				}
				if k < 15 || k > 25 {
					t.Errorf("caseworker %s holds %d open cases, want 15-25", u.Username, k)
				}
			}
			for _, r := range org.Roles {
				if roles[r] == 0 {
					t.Errorf("no generated user has role %s", r)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		s, err := gen.Sample(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		checkSample(t, db, s)
	})
}

// checkCase checks that c and its deadlines are what the domain operations
// would have left.
func checkCase(t *testing.T, p *profile.Profile, c *cases.Case, ds []deadline.Deadline) {
	t.Helper()
	if c.Type == profile.CP && (c.AgeYears == nil || *c.AgeYears >= p.AdultAge) {
		t.Errorf("case %s: CP case of age %v", c.Code, c.AgeYears)
	}
	if want := c.CareStatus == cases.Separated || c.CareStatus == cases.Unaccompanied; c.Priority != want {
		t.Errorf("case %s: care status %q with priority %v", c.Code, c.CareStatus, c.Priority)
	}
	if c.CreatedAt.After(now) || c.RegisteredAt.After(c.CreatedAt) || c.ReferredAt.After(c.RegisteredAt) {
		t.Errorf("case %s: referred %v, registered %v, created %v, now %v", c.Code, c.ReferredAt, c.RegisteredAt, c.CreatedAt, now)
	}
	if got := c.RegisteredAt.In(p.Location()).Format(time.DateOnly); got != c.RegisteredOn {
		t.Errorf("case %s: registered on %s but at %v", c.Code, c.RegisteredOn, c.RegisteredAt)
	}
	byKind := map[deadline.Kind][]deadline.Deadline{}
	for _, d := range ds {
		byKind[d.Kind] = append(byKind[d.Kind], d)
		if d.AssigneeID != c.CaseworkerID || d.TeamID != c.TeamID || d.AgencyID != c.AgencyID {
			t.Errorf("case %s: deadline %s assigned to %s/%s/%s", c.Code, d.Kind, d.AssigneeID, d.TeamID, d.AgencyID)
		}
	}
	if reg := byKind[deadline.Registration]; len(reg) != 1 || reg[0].Open() || !reg[0].DoneAt.Equal(c.RegisteredAt) ||
		!reg[0].AnchorAt.Equal(c.ReferredAt) {
		t.Errorf("case %s: registration deadlines %+v, want one done at registration, from the referral", c.Code, reg)
	}
	as := byKind[deadline.Assessment]
	if len(as) != 1 || !as[0].AnchorAt.Equal(c.RegisteredAt) {
		t.Fatalf("case %s: assessment deadlines %+v, want one from registration", c.Code, as)
	}
	if c.IsOpen() {
		if c.Step != cases.StepAssessment || !as[0].Open() {
			t.Errorf("case %s: open at step %s with assessment done %v", c.Code, c.Step, as[0].DoneAt)
		}
		// An open assessment follows the case's current risk level, as after ChangeRisk.
		if due, _ := deadline.Due(p, deadline.Assessment, c.RiskLevel, c.RegisteredAt); !due.Equal(as[0].DueAt) {
			t.Errorf("case %s: assessment due %v, want %v for %s risk", c.Code, as[0].DueAt, due, c.RiskLevel)
		}
	} else {
		for _, d := range ds {
			if d.Open() {
				t.Errorf("case %s: closed with open deadline %s", c.Code, d.Kind)
			}
		}
	}
	openUrgent := 0
	for _, d := range byKind[deadline.UrgentResponse] {
		if d.Open() {
			openUrgent++
		}
	}
	if c.Urgent != (openUrgent == 1) || openUrgent > 1 {
		t.Errorf("case %s: urgent %v with %d open urgent-response deadlines", c.Code, c.Urgent, openUrgent)
	}
	if want := deadline.NextDue(ds); !c.NextDueAt.Equal(want) {
		t.Errorf("case %s: next due %v, want the earliest open deadline %v", c.Code, c.NextDueAt, want)
	}
}

// checkSample checks that s names a caseworker with a full caseload, their
// supervisor, their agency's manager and one of their cases.
func checkSample(t *testing.T, db *store.DB, s gen.SampleSet) {
	t.Helper()
	ctx := context.Background()
	if s.OpenCases < 15 {
		t.Errorf("sample caseworker %s holds %d open cases, want a full caseload", s.Caseworker.Username, s.OpenCases)
	}
	err := db.Read(ctx, func(tx *store.Tx) error {
		cw, err := tx.User(ctx, s.Caseworker.ID)
		if err != nil {
			return err
		}
		sup, err := tx.User(ctx, s.Supervisor.ID)
		if err != nil {
			return err
		}
		mgr, err := tx.User(ctx, s.Manager.ID)
		if err != nil {
			return err
		}
		c, err := tx.Case(ctx, s.CaseID)
		if err != nil {
			return err
		}
		if cw.Role != org.Caseworker || sup.Role != org.Supervisor || mgr.Role != org.Manager {
			t.Errorf("sample roles %s, %s, %s", cw.Role, sup.Role, mgr.Role)
		}
		if sup.TeamID != cw.TeamID || mgr.AgencyID != cw.AgencyID || s.TeamID != cw.TeamID || s.AgencyID != cw.AgencyID {
			t.Errorf("sample supervisor or manager not over the caseworker: %+v", s)
		}
		if c.CaseworkerID != cw.ID || !c.IsOpen() || c.Code != s.CaseCode {
			t.Errorf("sample case %s (%s) not an open case of %s", c.Code, c.Status, cw.Username)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGenerateDeterministic: the same seed gives the same data; another
// seed does not.
func TestGenerateDeterministic(t *testing.T) {
	ctx := context.Background()
	run := func(seed uint64) []store.CaseRow {
		db := testdb.Open(t, "sqlite")
		if _, err := gen.Generate(ctx, db, profile.Default(), gen.Options{Cases: 300, Seed: seed, Now: now}); err != nil {
			t.Fatal(err)
		}
		rows := append(allCases(t, db, cases.Open), allCases(t, db, cases.Closed)...)
		for i := range rows {
			rows[i].CaseworkerName = "" // names are drawn, but compare them through IDs
		}
		return rows
	}
	a, b, c := run(42), run(42), run(43)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different data (-first +second):\n%s", diff)
	}
	if a[0].Code == c[0].Code || a[0].ID == c[0].ID {
		t.Errorf("seeds 42 and 43 both start with case %s (%s)", a[0].Code, a[0].ID)
	}
}

// TestGenerateAfterDemo: generating into a database with the demo, and
// again, keeps every case code unique and the audit chain intact.
func TestGenerateAfterDemo(t *testing.T) {
	ctx := context.Background()
	db := testdb.Open(t, "sqlite")
	if _, err := gen.Demo(ctx, db, profile.Default(), now); err != nil {
		t.Fatal(err)
	}
	before := len(allCases(t, db, cases.Open))
	for i, want := range []string{"g1-", "g2-"} {
		s, err := gen.Generate(ctx, db, profile.Default(), gen.Options{Cases: 200, Seed: 1, Now: now})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if s.Prefix != want {
			t.Errorf("run %d: prefix %q, want %q", i+1, s.Prefix, want)
		}
	}
	verify(t, db)
	if got := len(allCases(t, db, cases.Open)); got != before+2*30 {
		t.Errorf("%d open cases, want the demo's %d and 30 per run", got, before)
	}
}

func TestGenerateRejectsNoCases(t *testing.T) {
	db := testdb.Open(t, "sqlite")
	if _, err := gen.Generate(context.Background(), db, profile.Default(), gen.Options{}); err == nil {
		t.Error("Generate with no cases: no error")
	}
}

func TestBar(t *testing.T) {
	got := gen.Bar(250_000, 1_000_000, 25*time.Second)
	want := "[#######.......................]  25%  250,000/1,000,000 cases  10,000/s  ETA 1:15 "
	if got != want {
		t.Errorf("Bar = %q, want %q", got, want)
	}
}
