package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/search"
	"github.com/safecase/safecase/internal/store"
)

// Search: the box in the header of every page of a user who works with
// cases, its results page /search and GET /api/v1/search. The page's forms
// (the header's box, the filters, the pages of results) are POSTed, so that
// what was typed — a child's name, a phone number — stays out of the
// address bar, the browser's history and any proxy's log of addresses;
// GET /search?q=… answers too, for the API's sake and a typed address. What
// was typed stays out of the logs (the request log writes the path only), out
// of the audit trail (case.search keeps the filters, the number of terms,
// the number of results and a keyed fingerprint of the query) and out of
// other sites (Referrer-Policy: no-referrer on every response; no-store).

// searchAllowed returns the values the filters may take.
func (s *Server) searchAllowed() search.Allowed {
	var risks []string
	for _, o := range s.prof.RiskLevels {
		risks = append(risks, o.Key)
	}
	return search.Allowed{Types: profile.CaseTypes, Steps: cases.Steps, Risks: risks}
}

// runSearch parses and runs the search of r for rq, and audits it and the
// names it reads.
func (s *Server) runSearch(r *http.Request, rq *request) (search.Query, *search.Result, error) {
	if d := access.CaseWork(rq.Actor); !d.Allow {
		return search.Query{}, nil, errs.E(errs.Forbidden, "search: %s", d.Reason)
	}
	v := searchValues(r)
	q, err := search.Parse(v.Get("q"), v.Get, s.searchAllowed())
	if err != nil {
		return q, nil, err
	}
	if q.Empty() {
		return q, &search.Result{Page: 1}, nil
	}
	ctx := r.Context()
	h := s.db.SearchHasher()
	var res *search.Result
	err = s.db.Read(ctx, func(tx *store.Tx) (err error) {
		res, err = search.Find(ctx, tx, h, rq.Actor, q)
		return err
	})
	if err != nil {
		return q, nil, err
	}
	detail, _ := json.Marshal(map[string]any{"terms": len(q.Terms), "filters": searchFilters(q.Filters),
		"found": res.Found, "more": res.More, "page": q.Page, "query": h.Fingerprint(q)})
	rq.auditRead(ctx, audit.Event{Action: "case.search", RecordType: "case", AgencyID: rq.User.AgencyID,
		Detail: string(detail)})
	for _, row := range res.NamesRead {
		rq.auditRead(ctx, audit.Event{Action: "case.view", RecordType: "case", RecordID: row.CaseID,
			CaseID: row.CaseID, Detail: `{"section":"identity","via":"search"}`})
	}
	return q, res, nil
}

// searchFilters is what the audit trail keeps of the filters: their
// values, except the place, whose words identify a child: only that one
// was given.
func searchFilters(f search.Filters) map[string]any {
	out := map[string]any{}
	for k, v := range map[string]string{"type": f.Type, "step": f.Step, "risk": f.Risk, "status": f.Status,
		"caseworker": f.Caseworker} {
		if v != "" {
			out[k] = v
		}
	}
	if f.Place != "" {
		out["place"] = true
	}
	return out
}

// searchPage is the results page.
type searchPage struct {
	Page
	Q       string
	F       search.Filters
	Done    bool // a search was made
	Res     *search.Result
	Rows    []searchRowView
	Types   []string
	Steps   []string
	Risks   []string
	PageNo  int  // the page of results shown
	Next    bool // a later page exists
	Summary string
}

// searchRowView is one line of the results.
type searchRowView struct {
	ID, Code, Name, Type, Step, Status, Worker, Why, Age string
	Risk                                                 riskView
}

func (s *Server) getSearch(w http.ResponseWriter, r *http.Request, rq *request) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	p := &searchPage{Page: s.page(rq, "search.title", "search"), Types: profile.CaseTypes, Steps: cases.Steps}
	for _, o := range s.prof.RiskLevels {
		p.Risks = append(p.Risks, o.Key)
	}
	v := searchValues(r)
	p.Q = v.Get("q")
	p.F = search.Filters{Type: v.Get("type"), Step: v.Get("step"), Risk: v.Get("risk"), Status: v.Get("status"),
		Caseworker: v.Get("caseworker"), Place: v.Get("place")}
	q, res, err := s.runSearch(r, rq)
	var fe errs.Fields
	if errors.As(err, &fe) {
		p.setErrors(fe)
		return s.render(w, http.StatusUnprocessableEntity, "search", p)
	}
	if err != nil {
		return err
	}
	p.Done, p.Res = !q.Empty(), res
	for _, h := range res.Hits {
		row := searchRowView{ID: h.CaseID, Code: h.Code, Name: "—", Type: p.T("type_short." + h.Type),
			Step: p.T("step." + h.Step), Status: p.T("search.status_" + h.Status), Worker: h.CaseworkerName,
			Why: p.T(h.Match.Word()), Risk: p.RiskOf(h.RiskLevel), Age: "–"}
		if h.NameShown && h.Name != "" {
			row.Name = h.Name
		}
		if h.AgeYears != nil {
			row.Age = strconv.Itoa(*h.AgeYears)
		}
		p.Rows = append(p.Rows, row)
	}
	switch {
	case res.More:
		p.Summary = p.T("search.more", search.Cap)
	case res.Found == 1:
		p.Summary = p.T("search.found_one")
	default:
		p.Summary = p.T("search.found", res.Found)
	}
	p.PageNo, p.Next = res.Page, res.Page < res.Pages
	return s.render(w, http.StatusOK, "search", p)
}

// searchValues returns the search's parameters: the form's, POSTed by the
// page, or the address's query (the API, a typed address).
func searchValues(r *http.Request) url.Values {
	if r.Method == http.MethodPost {
		r.ParseForm() // a body the server's limits refuse reads as empty
		return r.PostForm
	}
	return r.URL.Query()
}

// searchJSON is one result of GET /api/v1/search.
type searchJSON struct {
	CaseID       string  `json:"case_id"`
	Code         string  `json:"code"`
	Name         *string `json:"name"` // null where the identity section may not be read
	Type         string  `json:"type"`
	Step         string  `json:"step"`
	RiskLevel    string  `json:"risk_level"`
	Status       string  `json:"status"`
	AgeYears     *int    `json:"age_years"`
	CaseworkerID string  `json:"caseworker_id"`
	Match        string  `json:"match"`
}

func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request, rq *request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, res, err := s.runSearch(r, rq)
	if err != nil {
		return err
	}
	out := struct {
		Results []searchJSON `json:"results"`
		Found   int          `json:"found"`
		More    bool         `json:"more"`
		Page    int          `json:"page"`
		Pages   int          `json:"pages"`
	}{Results: []searchJSON{}, Found: res.Found, More: res.More, Page: res.Page, Pages: res.Pages}
	for _, h := range res.Hits {
		j := searchJSON{CaseID: h.CaseID, Code: h.Code, Type: h.Type, Step: h.Step, RiskLevel: h.RiskLevel,
			Status: h.Status, AgeYears: h.AgeYears, CaseworkerID: h.CaseworkerID, Match: h.Match.Name()}
		if h.NameShown {
			name := h.Name
			j.Name = &name
		}
		out.Results = append(out.Results, j)
	}
	w.Header().Set("Cache-Control", "no-store")
	return jsonOK(w, out)
}
