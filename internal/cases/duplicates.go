package cases

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/search"
)

// Possible duplicates (issue 10 §2). Before a child is registered, the
// cases of the registering user's agency are searched for the same child
// through the search index (package search), never the identity table:
//
//   - the name matches by the same keys: every word of the given and
//     family names (or of the other names, when those are all there is)
//     is a name part of the case, written the same or sounding the same
//     (search.Part or search.Sound; "Mohamed" finds "Muhammad"). A word
//     joined to its article also matches without it (Alhassan, Hassan). A
//     name of one word alone is too weak: it counts only with the same
//     date of birth;
//   - the sex is the same when both are known;
//   - the age is within two years (by the year of birth the age at
//     registration gives), or the date of birth is the same; a case
//     without an age is not left out for it;
//   - when a place is given, the case shares a word of it (search.Place),
//     or has no place at all.
//
// Open and closed cases are searched (a closed case identified again
// matters). Other agencies' cases are never searched: finding those needs
// the privacy-preserving linkage planned for later.

// MaxDuplicates is how many possible duplicates a check returns at most.
const MaxDuplicates = 10

// Probe is what is known of a child being registered, to look for the
// same child among the agency's cases.
type Probe struct {
	GivenName, FamilyName, OtherNames string
	Sex                               string
	Age                               *int   // years now, when known
	DateOfBirth                       string // YYYY-MM-DD or ""
	Place                             string // where the child lives
}

// ProbeOf returns the probe of registration r.
func ProbeOf(r Registration) Probe {
	return Probe{GivenName: r.GivenName, FamilyName: r.FamilyName, OtherNames: r.OtherNames, Sex: r.Sex,
		Age: r.Age, DateOfBirth: r.DateOfBirth, Place: r.Location}
}

// DuplicateQuery is what the store is asked for: the cases of AgencyID
// that hold, for each of Terms, one of its tokens; of sex Sex or unknown
// ("" for any); born between BirthYearMin and BirthYearMax by their age at
// registration (0: any), or holding the Birth token; holding one of Places
// or no place. With BirthRequired, the Birth token is required.
//
// A name of two words or more is looked up by Pairs, not Terms: the cases
// holding, for each pair of neighbouring words, one of its pair tokens
// (search.PairToken) — as many cases as share both words, a few, where
// each word alone is shared by thousands at a million cases.
type DuplicateQuery struct {
	AgencyID                   string
	Terms                      [][]search.Token // the rarest first
	Pairs                      [][]search.Token // when set, looked up instead of Terms
	Birth                      search.Token
	BirthRequired              bool
	Sex                        string
	BirthYearMin, BirthYearMax int
	Places                     []search.Token
	Limit                      int
}

// DuplicateMatch is a case the store found for a DuplicateQuery.
type DuplicateMatch struct {
	CaseID       string
	Sex          string
	AgeYears     *int
	RegisteredOn string
	SameBirth    bool // the case holds the probe's date of birth
}

// DuplicateReader is the storage a duplicate check reads.
type DuplicateReader interface {
	DuplicateCandidates(ctx context.Context, q DuplicateQuery) ([]DuplicateMatch, error)
	Case(ctx context.Context, id string) (*Case, error)
	Identity(ctx context.Context, caseID string) (*Identity, error)
}

// Duplicate is a possible duplicate as the user is shown it: the code
// always, the name only when the user may read the case's identity
// section (NameShown).
type Duplicate struct {
	CaseID       string
	Code         string
	Name         string
	NameShown    bool
	Age          *int
	Sex          string
	Status       string
	CaseworkerID string
	SameBirth    bool
}

// DuplicatesError is the answer to a registration that found possible
// duplicates and was not confirmed as a different child. Its message holds
// case codes only.
type DuplicatesError struct {
	Found []Duplicate
}

func (e *DuplicatesError) Error() string {
	return "possible duplicates: " + strings.Join(Codes(e.Found), ", ")
}

// Codes returns the case codes of ds.
func Codes(ds []Duplicate) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Code
	}
	return out
}

// AsDuplicates returns the possible duplicates err reports, if it does.
func AsDuplicates(err error) ([]Duplicate, bool) {
	var de *DuplicatesError
	if errors.As(err, &de) {
		return de.Found, true
	}
	return nil, false
}

// nameTerms returns the tokens of each word of name: a word is matched by
// any of them (the word and, for a word joined to its article, the word
// without it, each by its phonetic key, or written the same when it has
// none).
func nameTerms(h *search.Hasher, name string) [][]search.Token {
	words := strings.Fields(search.Normalise(name))
	var out [][]search.Token
	for i := 0; i < len(words); i++ {
		w := words[i]
		if (w == "al" || w == "el") && i+1 < len(words) {
			w, i = w+words[i+1], i+1
		}
		var term []search.Token
		for _, t := range h.Name(w) {
			// The same part has the same phonetic key: a word with one is
			// looked up by it alone, which finds the part written the
			// same too, and reads half the index.
			if t.Sound != 0 {
				term = append(term, t.Sound)
			} else {
				term = append(term, t.Part)
			}
		}
		if len(term) > 0 {
			out = append(out, term)
		}
	}
	return out
}

// nameWords returns the words of name as nameTerms reads them, each as
// the parts that may match it (the word, and without its article).
func nameWords(name string) [][]string {
	words := strings.Fields(search.Normalise(name))
	var out [][]string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if (w == "al" || w == "el") && i+1 < len(words) {
			w, i = w+words[i+1], i+1
		}
		if ps := search.Parts(w); len(ps) > 0 {
			out = append(out, ps)
		}
	}
	return out
}

// namePairs returns the pair tokens of each two neighbouring words of
// words: a pair matches by any of its words' parts.
func namePairs(h *search.Hasher, words [][]string) [][]search.Token {
	var out [][]search.Token
	for i := 0; i+1 < len(words); i++ {
		var term []search.Token
		for _, a := range words[i] {
			for _, b := range words[i+1] {
				if t := h.PairToken(a, b); !slices.Contains(term, t) {
					term = append(term, t)
				}
			}
		}
		out = append(out, term)
	}
	return out
}

// Query returns the store query of probe p within agency, at now, and
// false when p is too weak to look for (no name, or a name of one word
// without a date of birth).
func (p Probe) Query(h *search.Hasher, agency string, now time.Time) (DuplicateQuery, bool) {
	q := DuplicateQuery{AgencyID: agency, Sex: p.Sex, Limit: 50}
	// The family name first: it is rarer than the given name, and the
	// store starts from the first term.
	q.Terms = append(nameTerms(h, p.FamilyName), nameTerms(h, p.GivenName)...)
	if len(q.Terms) == 0 {
		q.Terms = nameTerms(h, p.OtherNames)
	}
	if len(q.Terms) == 0 {
		return q, false
	}
	words := append(nameWords(p.FamilyName), nameWords(p.GivenName)...)
	if len(q.Terms) == len(words) {
		q.Pairs = namePairs(h, words)
	}
	if t, ok := h.BirthToken(p.DateOfBirth); ok {
		q.Birth = t
	}
	if len(q.Terms) == 1 {
		if q.Birth == 0 {
			return q, false
		}
		q.BirthRequired = true
	}
	if y, ok := birthYear(p, now); ok {
		q.BirthYearMin, q.BirthYearMax = y-2, y+2
	}
	q.Places = h.PlaceTokens(p.Place)
	return q, true
}

// birthYear returns the year of birth p gives: the date of birth's, or now
// less the age.
func birthYear(p Probe, now time.Time) (int, bool) {
	if dob, err := time.Parse(time.DateOnly, p.DateOfBirth); err == nil {
		return dob.Year(), true
	}
	if p.Age != nil {
		return now.Year() - *p.Age, true
	}
	return 0, false
}

// matchBirthYear is the year of birth a case's age at registration gives.
func matchBirthYear(m DuplicateMatch) (int, bool) {
	if m.AgeYears == nil || len(m.RegisteredOn) < 4 {
		return 0, false
	}
	reg, err := time.Parse(time.DateOnly, m.RegisteredOn)
	if err != nil {
		return 0, false
	}
	return reg.Year() - *m.AgeYears, true
}

// PossibleDuplicates returns the cases of actor a's agency that may be the
// child of probe p, best first (the same date of birth, the same sex, the
// closest age), at most MaxDuplicates. Names are filled in only for the
// cases whose identity section a may read. It returns nothing when h is
// nil (a process without the search key has no index to look in) or p is
// too weak to look for. The caller audits what it shows.
func PossibleDuplicates(ctx context.Context, tx DuplicateReader, h *search.Hasher, a access.Actor, p Probe, now time.Time) ([]Duplicate, error) {
	if h == nil || a.AgencyID == "" {
		return nil, nil
	}
	q, ok := p.Query(h, a.AgencyID, now)
	if !ok {
		return nil, nil
	}
	ms, err := tx.DuplicateCandidates(ctx, q)
	if err != nil {
		return nil, err
	}
	want, _ := birthYear(p, now)
	rank := func(m DuplicateMatch) (int, int) {
		score := 0
		if m.SameBirth {
			score += 2
		}
		if p.Sex != "" && m.Sex == p.Sex {
			score++
		}
		gap := 1000
		if y, ok := matchBirthYear(m); ok && want != 0 {
			gap = max(y-want, want-y)
		}
		return score, gap
	}
	sort.SliceStable(ms, func(i, j int) bool {
		si, gi := rank(ms[i])
		sj, gj := rank(ms[j])
		if si != sj {
			return si > sj
		}
		return gi < gj
	})
	if len(ms) > MaxDuplicates {
		ms = ms[:MaxDuplicates]
	}
	out := make([]Duplicate, 0, len(ms))
	for _, m := range ms {
		c, err := tx.Case(ctx, m.CaseID)
		if err != nil {
			return nil, err
		}
		if c.AgencyID != a.AgencyID {
			continue // never another agency's case, whatever the index says
		}
		d := Duplicate{CaseID: c.ID, Code: c.Code, Age: AgeAt(c, nil, now), Sex: c.Sex, Status: c.Status,
			CaseworkerID: c.CaseworkerID, SameBirth: m.SameBirth}
		if access.Decide(a, access.View, access.Resource{Kind: access.KindCase, Case: c.Ref(), Section: access.Identity}).Allow {
			id, err := tx.Identity(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			d.Name, d.NameShown = id.FullName(), true
		}
		out = append(out, d)
	}
	return out, nil
}

// RegisterTx is the storage a checked registration needs.
type RegisterTx interface {
	Tx
	DuplicateReader
}

// RegisterChecked registers r as Register does, after looking for possible
// duplicates of the child in a's agency: when there are some and r does
// not confirm a different child (DifferentChild), nothing is saved and the
// error is a *DuplicatesError listing them; when r confirms it, the
// registration's audit event records the codes of the cases the user saw
// (different_child_confirmed). A form that does not validate is answered
// with its field errors before any check.
func RegisterChecked(ctx context.Context, tx RegisterTx, h *search.Hasher, p *profile.Profile, a access.Actor, r Registration,
	newCode func() string, now time.Time) (*Case, error) {
	probe := r
	if f := probe.validate(p, now.In(p.Location())); f.Err() != nil {
		return Register(ctx, tx, p, a, r, newCode, now)
	}
	found, err := PossibleDuplicates(ctx, tx, h, a, ProbeOf(probe), now)
	if err != nil {
		return nil, err
	}
	if len(found) > 0 && !r.DifferentChild {
		return nil, &DuplicatesError{Found: found}
	}
	r.confirmed = Codes(found)
	return Register(ctx, tx, p, a, r, newCode, now)
}
