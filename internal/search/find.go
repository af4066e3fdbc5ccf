package search

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
)

// Scan is a search as the store runs it over the index: tokens, never
// text, and the columns of the cases table that are not identity.
type Scan struct {
	Code   string       // the case code, exactly ("" for none)
	Names  []NameTerm   // each name word: the case must hold one of its tokens
	Exact  [][]Token    // phone, date of birth and place words: the case must hold one token of each
	Age    *int         // age in years at registration
	Filter Filters      // type, step, risk, status and caseworker (Place is in Exact)
	Scope  access.Scope // own, team or agency: with ScopeID, the cases searched; "" to search IDs
	// ScopeID is the caseworker (own), the team (team) or the agency
	// (agency) of Scope; AgencyID is the searcher's agency.
	ScopeID, AgencyID string
	IDs               []string // with no Scope: the cases searched
	Limit             int      // at most this many candidates
}

// Candidate is a case the store found: what ranking and the access
// decision need, never a name.
type Candidate struct {
	CaseID    string
	Code      string
	UpdatedAt time.Time
	Kinds     []Kind // the best token kind each name term matched, in the order of Scan.Names
	Ref       access.Case
}

// Row is what the results list shows of a case, besides its name.
type Row struct {
	CaseID         string
	Code           string
	Type           string
	Step           string
	RiskLevel      string
	Status         string
	AgeYears       *int
	CaseworkerID   string
	CaseworkerName string
	UpdatedAt      time.Time
}

// Finder is the storage a search runs on.
type Finder interface {
	// SearchCases returns up to s.Limit cases matching every term and
	// filter of s, within s's scope or among s.IDs, reading only the index
	// and the cases table.
	SearchCases(ctx context.Context, s Scan) ([]Candidate, error)
	// SearchGrants returns the grants not revoked that are addressed to a
	// (to them, or to their agency), by case, and the cases of a's agency
	// whose post-closure follow-up a is designated for.
	SearchGrants(ctx context.Context, a access.Actor) (map[string][]access.Grant, []string, error)
	// SearchRows returns the list rows of the cases ids, in any order.
	SearchRows(ctx context.Context, ids []string) ([]Row, error)
	// SearchNames returns the full names of the cases ids, read from their
	// identity sections, for display only.
	SearchNames(ctx context.Context, ids []string) (map[string]string, error)
}

// Result is one page of a search.
type Result struct {
	Hits []ResultRow
	// Found is how many cases matched, at most Cap; More says that more
	// than Cap did (the page says "more than Cap — add a word or a
	// filter").
	Found int
	More  bool
	Page  int
	Pages int
	// NamesRead lists the cases whose identity section was read for the
	// names shown: each read is audited.
	NamesRead []Row
}

// ResultRow is one line of the results: the case's row, how it matched,
// and its name where the searcher may read the identity section ("" and
// NameShown false otherwise).
type ResultRow struct {
	Row
	Match     Match
	Name      string
	NameShown bool
}

// Scan returns the store's search for q: its terms as tokens and its filters; Find adds the scope.
func (h *Hasher) Scan(q Query) Scan {
	s := Scan{Filter: q.Filters, Limit: Cap + 1}
	s.Filter.Place = ""
	for _, t := range q.Terms {
		switch t.Kind {
		case TermCode:
			s.Code = t.Value
		case TermName:
			s.Names = append(s.Names, h.Name(t.Value)...)
		case TermPhone:
			s.Exact = append(s.Exact, []Token{h.Token(Phone, t.Value)})
		case TermBirth:
			s.Exact = append(s.Exact, []Token{h.Token(Birth, t.Value)})
		case TermAge:
			a := t.Age
			s.Age = &a
		}
	}
	if q.Filters.Place != "" {
		for _, tok := range h.PlaceTokens(q.Filters.Place) {
			s.Exact = append(s.Exact, []Token{tok})
		}
	}
	return s
}

// Find runs search q for a: over the cases of a's own caseload, team or
// agency (as access.ListScope gives the role), and the cases outside it
// that a holds a grant on (a referral, transfer, conference or emergency
// access) or follows up after closure, where access lets a read them. A
// query on a name, phone, date of birth or place finds a case only where a
// may read its identity section; names are read for the page's rows only,
// and shown only where a may read the identity section.
func Find(ctx context.Context, f Finder, h *Hasher, a access.Actor, q Query) (*Result, error) {
	if d := access.CaseWork(a); !d.Allow {
		return nil, errs.E(errs.Forbidden, "search: %s", d.Reason)
	}
	if h == nil {
		return nil, errs.E(errs.Other, "search: the process has no search key")
	}
	res := &Result{Page: max(q.Page, 1)}
	if q.Empty() {
		return res, nil
	}
	base := h.Scan(q)
	var cands []Candidate
	seen := map[string]bool{}
	if scope, ok := access.ListScope(a.Role); ok {
		s := base
		s.Scope, s.AgencyID = scope, a.AgencyID
		switch scope {
		case access.Own:
			s.ScopeID = a.UserID
		case access.Team:
			s.ScopeID = a.TeamID
		default:
			s.ScopeID = a.AgencyID
		}
		found, err := f.SearchCases(ctx, s)
		if err != nil {
			return nil, err
		}
		for _, c := range found {
			if readable(a, c.Ref, q) {
				cands, seen[c.CaseID] = append(cands, c), true
			}
		}
	}
	grants, follows, err := f.SearchGrants(ctx, a)
	if err != nil {
		return nil, err
	}
	var extra []string
	for id := range grants {
		if !seen[id] {
			extra, seen[id] = append(extra, id), true
		}
	}
	for _, id := range follows {
		if !seen[id] {
			extra, seen[id] = append(extra, id), true
		}
	}
	for len(extra) > 0 && len(cands) <= Cap {
		n := min(len(extra), 500)
		s := base
		s.AgencyID, s.IDs = a.AgencyID, extra[:n]
		extra = extra[n:]
		found, err := f.SearchCases(ctx, s)
		if err != nil {
			return nil, err
		}
		for _, c := range found {
			c.Ref.Grants = grants[c.CaseID]
			if readable(a, c.Ref, q) {
				cands = append(cands, c)
			}
		}
	}

	hits := make([]Hit, len(cands))
	refs := make(map[string]access.Case, len(cands))
	for i, c := range cands {
		hits[i] = Hit{CaseID: c.CaseID, Code: c.Code, UpdatedAt: c.UpdatedAt, Match: Classify(q, base.Code != "", c.Kinds)}
		refs[c.CaseID] = c.Ref
	}
	Rank(hits)
	if len(hits) > Cap {
		hits, res.More = hits[:Cap], true
	}
	res.Found = len(hits)
	res.Pages = (len(hits) + PageSize - 1) / PageSize
	from := (res.Page - 1) * PageSize
	if from >= len(hits) {
		return res, nil
	}
	page := hits[from:min(from+PageSize, len(hits))]
	ids := make([]string, len(page))
	for i, hit := range page {
		ids[i] = hit.CaseID
	}
	rows, err := f.SearchRows(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Row, len(rows))
	for _, r := range rows {
		byID[r.CaseID] = r
	}
	var named []string
	for _, hit := range page {
		r, ok := byID[hit.CaseID]
		if !ok {
			continue // gone since it was found
		}
		out := ResultRow{Row: r, Match: hit.Match}
		if decide(a, refs[hit.CaseID], access.Identity) {
			out.NameShown = true
			named = append(named, hit.CaseID)
			res.NamesRead = append(res.NamesRead, r)
		}
		res.Hits = append(res.Hits, out)
	}
	if len(named) > 0 {
		names, err := f.SearchNames(ctx, named)
		if err != nil {
			return nil, err
		}
		for i := range res.Hits {
			if res.Hits[i].NameShown {
				res.Hits[i].Name = names[res.Hits[i].CaseID]
			}
		}
	}
	return res, nil
}

// readable reports whether a may find case c with query q: a may read its
// registration data (what the results list shows) and, for a query on what
// identifies the child, its identity section.
func readable(a access.Actor, c access.Case, q Query) bool {
	if !decide(a, c, access.Registration) {
		return false
	}
	return !q.Identifying() || decide(a, c, access.Identity)
}

func decide(a access.Actor, c access.Case, s access.Section) bool {
	return access.Decide(a, access.View, access.Resource{Kind: access.KindCase, Case: c, Section: s}).Allow
}
