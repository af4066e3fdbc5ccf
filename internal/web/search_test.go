package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
)

// searchCase registers a case held by user key with the name, contact and
// date of birth given.
func (e *env) searchCase(t *testing.T, key, given, family, contact, dob string) *cases.Case {
	t.Helper()
	var c *cases.Case
	ctx := context.Background()
	if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
		age := 9
		if contact == "" {
			contact = "neighbour"
		}
		r := cases.Registration{Type: "cp", GivenName: given, FamilyName: family, Sex: "female", Location: "Block 7",
			Contact: contact, CareStatus: "accompanied", Concerns: []string{"neglect"}, RiskLevel: "medium", RiskReason: "test"}
		if dob != "" {
			r.DateOfBirth = dob
		} else {
			r.Age = &age
		}
		c, err = cases.Register(ctx, tx, e.srv.prof, e.actor(key), r, func() string { return cases.NewCode("C") }, e.clock.now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

type searchOut struct {
	Results []struct {
		CaseID string  `json:"case_id"`
		Code   string  `json:"code"`
		Name   *string `json:"name"`
		Match  string  `json:"match"`
	} `json:"results"`
	Found int  `json:"found"`
	More  bool `json:"more"`
	Pages int  `json:"pages"`
}

func (e *env) search(t *testing.T, key, query string) searchOut {
	t.Helper()
	res := e.session(key).json("GET", "/api/v1/search?"+query, "")
	if res.StatusCode != 200 {
		t.Fatalf("%s: search %s: %d %s", key, query, res.StatusCode, res.Body)
	}
	var out searchOut
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (o searchOut) ids() []string {
	var out []string
	for _, r := range o.Results {
		out = append(out, r.CaseID)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string { slices.Sort(ids); return ids }

// The same child's name in four caseloads: only the scope tells them apart.
// A caseworker finds their own case, a supervisor their team's, a manager
// their agency's, never another agency's; a service provider with a
// referral that shares the registration but not the identity finds the
// case by its code, without a name, and never by the name.
func TestSearchScope(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		own := e.searchCase(t, "caseworker", "Amina", "Juma", "", "")
		team2 := e.searchCase(t, "caseworker2", "Amina", "Juma", "", "")
		other := e.searchCase(t, "other_agency", "Amina", "Juma", "", "")
		q := "q=" + url.QueryEscape("Amina Juma")
		for key, want := range map[string][]string{
			"caseworker":       {own.ID},
			"caseworker2":      {team2.ID},
			"supervisor":       {own.ID},
			"manager":          sorted(own.ID, team2.ID),
			"other_agency":     {other.ID},
			"service_provider": nil,
		} {
			got := e.search(t, key, q)
			if !slices.Equal(got.ids(), want) {
				t.Errorf("%s finds %v, want %v", key, got.ids(), want)
			}
			for _, r := range got.Results {
				if r.Name == nil || *r.Name != "Amina Juma" {
					t.Errorf("%s: name %v, want it shown", key, r.Name)
				}
			}
		}

		// A referral sharing the registration only: found by code, no name.
		ctx := context.Background()
		grant := func(secs ...access.Section) {
			if err := e.db.Tx(ctx, func(tx *store.Tx) error {
				return tx.InsertGrant(ctx, &share.Record{CaseID: own.ID, Grant: access.Grant{Via: access.ViaReferral,
					UserID: e.users["service_provider"].ID, Sections: secs}, CreatedBy: e.users["caseworker"].ID,
					CreatedAt: e.clock.now()})
			}); err != nil {
				t.Fatal(err)
			}
		}
		grant(access.Registration)
		if got := e.search(t, "service_provider", q); len(got.Results) != 0 {
			t.Errorf("provider without the identity section finds %v by name", got.ids())
		}
		res := e.session("service_provider").json("GET", "/api/v1/search?q="+own.Code, "")
		if res.StatusCode != 200 || !strings.Contains(res.Body, own.Code) || strings.Contains(res.Body, "Amina") ||
			!strings.Contains(res.Body, `"name":null`) {
			t.Errorf("provider by code: %d %s", res.StatusCode, res.Body)
		}
		page := e.session("service_provider").get("/search?q=" + own.Code)
		if page.StatusCode != 200 || !strings.Contains(page.Body, own.Code) || strings.Contains(page.Body, "Amina") {
			t.Errorf("provider's results page: %d, shows the name or misses the case", page.StatusCode)
		}
		// With the identity section shared, the name finds it and shows.
		grant(access.Registration, access.Identity)
		if got := e.search(t, "service_provider", q); !slices.Equal(got.ids(), []string{own.ID}) ||
			got.Results[0].Name == nil {
			t.Errorf("provider with the identity section: %+v", got)
		}
		// Other agency's caseworker never, by code either.
		if got := e.search(t, "other_agency", "q="+own.Code); len(got.Results) != 0 {
			t.Errorf("another agency finds the case by its code")
		}
	})
}

// Ranking: the exact code first, then every word a whole part of the name,
// then a part that begins a name, then one that only sounds like it; a
// transliteration and a misspelling are found; phones any way written, a
// date of birth typed as the date field types it.
func TestSearchRankingAndVariants(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		full := e.searchCase(t, "caseworker", "Amina", "Juma", "+234 803 555 0192", "2015-04-02")
		part := e.searchCase(t, "caseworker", "Aminata", "Juma", "", "")
		sound := e.searchCase(t, "caseworker", "Ameena", "Juma", "", "")
		e.searchCase(t, "caseworker", "Grace", "Okello", "", "")
		got := e.search(t, "caseworker", "q="+url.QueryEscape("amina juma"))
		var order, why []string
		for _, r := range got.Results {
			order, why = append(order, r.CaseID), append(why, r.Match)
		}
		if !slices.Equal(order, []string{full.ID, part.ID, sound.ID}) {
			t.Errorf("order %v (%v), want full %s, part %s, sound %s", order, why, full.ID, part.ID, sound.ID)
		}
		if !slices.Equal(why, []string{"full_name", "part_of_name", "sounds_like"}) {
			t.Errorf("matches %v", why)
		}
		got = e.search(t, "caseworker", "q="+url.QueryEscape("juma "+strings.ToLower(part.Code)))
		if len(got.Results) != 1 || got.Results[0].CaseID != part.ID || got.Results[0].Match != "code" {
			t.Errorf("code and a name: %+v", got)
		}
		for _, q := range []string{"0803 555 0192", "+2348035550192", "(0803) 555-0192"} {
			got = e.search(t, "caseworker", "q="+url.QueryEscape(q))
			if len(got.Results) != 1 || got.Results[0].CaseID != full.ID || got.Results[0].Match != "phone" {
				t.Errorf("phone %q: %+v", q, got)
			}
		}
		for _, q := range []string{"02/04/2015", "2015-04-02 Amina"} {
			if got = e.search(t, "caseworker", "q="+url.QueryEscape(q)); len(got.Results) != 1 || got.Results[0].CaseID != full.ID {
				t.Errorf("date of birth %q: %+v", q, got)
			}
		}
		mo := e.searchCase(t, "caseworker", "Muhammad", "Okello", "", "")
		for _, q := range []string{"Mohamed", "Mohammed okelo", "Okelo"} {
			got = e.search(t, "caseworker", "q="+url.QueryEscape(q))
			if !slices.Contains(got.ids(), mo.ID) {
				t.Errorf("%q does not find Muhammad Okello: %+v", q, got)
			}
		}
		if got = e.search(t, "caseworker", "q=amina&status=closed"); len(got.Results) != 0 {
			t.Errorf("status=closed finds open cases: %+v", got)
		}
		res := e.session("caseworker").json("GET", "/api/v1/search?q=amina&risk=extreme", "")
		if res.StatusCode != 422 || !strings.Contains(res.Body, `"risk"`) {
			t.Errorf("bad risk: %d %s", res.StatusCode, res.Body)
		}
	})
}

// Paging: 25 a page, the pages in rank order without repeats.
func TestSearchPaging(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for i := 0; i < 27; i++ {
			e.searchCase(t, "caseworker", "Halima", fmt.Sprintf("Test%c", 'a'+i), "", "")
		}
		p1 := e.search(t, "caseworker", "q=halima")
		p2 := e.search(t, "caseworker", "q=halima&page=2")
		if len(p1.Results) != 25 || len(p2.Results) != 2 || p1.Found != 27 || p1.Pages != 2 {
			t.Fatalf("pages of %d and %d, found %d, pages %d", len(p1.Results), len(p2.Results), p1.Found, p1.Pages)
		}
		seen := map[string]bool{}
		for _, r := range append(p1.Results, p2.Results...) {
			if seen[r.CaseID] {
				t.Errorf("case %s on two pages", r.CaseID)
			}
			seen[r.CaseID] = true
		}
	})
}

// The page's search is POSTed: the words typed never reach an address (the
// address bar, the history, a proxy's log). Its forms post, its pages of
// results are buttons of a form, and no link on the page carries the words.
func TestSearchWordsStayOutOfAddresses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for i := 0; i < 27; i++ {
			e.searchCase(t, "caseworker", "Halima", fmt.Sprintf("Test%c", 'a'+i), "", "")
		}
		cw := e.as("caseworker")
		res := cw.post("/search", url.Values{"q": {"Halima"}})
		if res.StatusCode != http.StatusOK || strings.Count(res.Body, "Halima Test") != 25 {
			t.Fatalf("POST /search: %d, %d cases on the first page", res.StatusCode, strings.Count(res.Body, "Halima Test"))
		}
		if strings.Contains(res.Body, `method="get"`) || !strings.Contains(res.Body, `name="page" value="2"`) {
			t.Error("a search form, or the next page, is not posted")
		}
		for _, m := range regexp.MustCompile(`(?i)(href|action)="([^"]*)"`).FindAllStringSubmatch(res.Body, -1) {
			if strings.Contains(strings.ToLower(m[2]), "halima") {
				t.Errorf("an address carries the words searched: %s", m[0])
			}
		}
		p2 := cw.post("/search", url.Values{"q": {"Halima"}, "page": {"2"}})
		if p2.StatusCode != http.StatusOK || strings.Count(p2.Body, "Halima Test") != 2 {
			t.Errorf("the second page, posted: %d, %d cases", p2.StatusCode, strings.Count(p2.Body, "Halima Test"))
		}
	})
}

// The audit trail keeps a search without its words: the filters, how many
// terms, how many found and a keyed fingerprint; the names shown are
// recorded as reads of the identity section. The response is not stored.
func TestSearchAuditHasNoWords(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.searchCase(t, "caseworker", "Zuleikha", "Waweru", "0722 123 456", "")
		res := e.session("caseworker").json("GET", "/api/v1/search?q="+url.QueryEscape("Zuleikha Waweru 0722123456")+"&risk=medium", "")
		if res.StatusCode != 200 || !strings.Contains(res.Body, c.ID) {
			t.Fatalf("search: %d %s", res.StatusCode, res.Body)
		}
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("headers: %v", res.Header)
		}
		var evs []string
		ctx := context.Background()
		if err := e.db.Read(ctx, func(tx *store.Tx) error {
			es, err := tx.AuditEvents(ctx, store.AuditFilter{Limit: 1000})
			for _, ev := range es {
				evs = append(evs, fmt.Sprintf("%+v", ev))
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var search, view int
		for _, ev := range evs {
			low := strings.ToLower(ev)
			for _, w := range []string{"zuleikha", "waweru", "0722", "123456", "zul", "wawer"} {
				if strings.Contains(low, w) {
					t.Errorf("audit event holds %q: %s", w, ev)
				}
			}
			if strings.Contains(ev, "Action:case.search") {
				search++
				if !strings.Contains(ev, `"terms":3`) || !strings.Contains(ev, `"risk":"medium"`) ||
					!strings.Contains(ev, `"found":1`) || !strings.Contains(ev, `"query":"`) {
					t.Errorf("case.search detail: %s", ev)
				}
			}
			if strings.Contains(ev, "Action:case.view") && strings.Contains(ev, `"via":"search"`) {
				view++
			}
		}
		if search != 1 || view != 1 {
			t.Errorf("%d case.search and %d identity reads audited, want 1 and 1", search, view)
		}
	})
}
