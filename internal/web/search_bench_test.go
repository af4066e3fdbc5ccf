package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/store"
)

// The search benchmarks serve GET /search through the whole handler chain
// (session, gate, parsing, the index query, the names of the page's rows,
// the audit events, the template) as a caseworker, a supervisor and a
// manager, over a mix of queries made from the sample caseworker's cases:
// a common name, a misspelt family name, two names, a case code, a phone
// number written another way, a name with filters. At 1,000,000 cases:
//
//	safecase gen --db /work/bench/search-1m.db --cases 1000000
//	SAFECASE_BENCH_DB=sqlite:/work/bench/search-1m.db go test ./internal/web -run '^$' -bench Search -benchtime 600x -timeout 60m
//
// BenchmarkSearchMix/<role> reports p50 and p99 over the whole mix;
// BenchmarkSearch/<role>/<query> each query alone.

// searchMix returns the benchmark's queries (name -> query string).
func searchMix(b *testing.B, e *benchEnv) map[string]string {
	b.Helper()
	ctx := context.Background()
	if _, err := e.db.EnsureSearchIndex(ctx, nil); err != nil {
		b.Fatal(err)
	}
	var c *cases.Case
	var id, withPhone *cases.Identity
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		if c, err = tx.Case(ctx, e.sample.CaseID); err != nil {
			return err
		}
		if id, err = tx.Identity(ctx, c.ID); err != nil {
			return err
		}
		rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: access.Own, ID: e.sample.Caseworker.ID, Limit: 200})
		for _, r := range rows {
			if err != nil || withPhone != nil {
				break
			}
			var x *cases.Identity
			if x, err = tx.Identity(ctx, r.ID); err == nil && len(x.Contact) >= 9 {
				withPhone = x
			}
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	mis := []byte(id.FamilyName)
	if len(mis) > 3 {
		mis[1], mis[2] = mis[2], mis[1] // Okello -> Oeklo-like: two letters swapped
	}
	mix := map[string]string{
		"common":   "q=Mohammed",
		"misspelt": "q=" + url.QueryEscape(string(mis)),
		"twonames": "q=" + url.QueryEscape(id.GivenName+" "+id.FamilyName),
		"code":     "q=" + url.QueryEscape(c.Code),
		"filtered": "q=" + url.QueryEscape(id.GivenName) + "&status=open&risk=" + c.RiskLevel,
	}
	if withPhone != nil {
		d := []byte{}
		for i := 0; i < len(withPhone.Contact); i++ {
			if ch := withPhone.Contact[i]; ch >= '0' && ch <= '9' {
				d = append(d, ch)
			}
		}
		// The number as another person writes it: with the country code, dashed.
		n := string(d[len(d)-9:])
		mix["phone"] = "q=" + url.QueryEscape("+254-"+n[:3]+"-"+n[3:6]+"-"+n[6:])
	}
	return mix
}

func (e *benchEnv) searchReq(role, query string) *http.Request {
	req := httptest.NewRequest("GET", "/search?"+query, nil)
	req.AddCookie(&http.Cookie{Name: "safecase", Value: e.cookie[role]})
	return req
}

func BenchmarkSearch(b *testing.B) {
	e := openBench(b)
	mix := searchMix(b, e)
	for _, role := range []string{"caseworker", "supervisor", "manager"} {
		for name, q := range mix {
			b.Run(role+"/"+name, func(b *testing.B) { e.page(b, role, "/search?"+q) })
		}
	}
}

func BenchmarkSearchMix(b *testing.B) {
	e := openBench(b)
	mix := searchMix(b, e)
	var qs []string
	for _, q := range mix {
		qs = append(qs, q)
	}
	for _, role := range []string{"caseworker", "supervisor", "manager"} {
		b.Run(role, func(b *testing.B) {
			for _, q := range qs { // warm-up: each query answers
				rec := httptest.NewRecorder()
				e.srv.ServeHTTP(rec, e.searchReq(role, q))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s %s: %d", role, q, rec.Code)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := e.searchReq(role, qs[i%len(qs)])
				rec := httptest.NewRecorder()
				t0 := time.Now()
				e.srv.ServeHTTP(rec, req)
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			report(b, lat, cpu0)
		})
	}
}
