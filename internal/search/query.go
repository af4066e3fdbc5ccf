package search

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/safecase/safecase/internal/errs"
)

// TermKind is what one word (or run of words) of a search is taken for.
type TermKind int

// The kinds of search term.
const (
	TermName  TermKind = iota + 1 // a word of a name
	TermCode                      // a case code, e.g. C-7K4Q2M
	TermPhone                     // a phone number: seven digits or more, any separators
	TermBirth                     // a date of birth
	TermAge                       // an age in years (a bare number 0–25)
)

// Term is one term of a search. A case is found only if it matches every
// term.
type Term struct {
	Kind TermKind
	// Value is the term normalised: the name word (Normalise), the code
	// upper-cased, the phone's Digits, the date as YYYY-MM-DD, the age.
	Value string
	Age   int // TermAge
}

// Filters narrow a search; each is a parameter of its own beside q.
type Filters struct {
	Type       string // case type (cp, gbv)
	Step       string // step of case management
	Risk       string // risk level
	Status     string // open or closed; "" for both
	Caseworker string // the primary caseworker's user ID
	Place      string // words of the place where the child lives or was registered
}

// Empty reports whether no filter is set.
func (f Filters) Empty() bool { return f == Filters{} }

// Query is a parsed search: its terms, its filters and the page asked for.
type Query struct {
	Terms   []Term
	Filters Filters
	Page    int // from 1
}

// Empty reports whether the query asks for nothing: no term and no filter.
func (q Query) Empty() bool { return len(q.Terms) == 0 && q.Filters.Empty() }

// Has reports whether the query has a term of kind k.
func (q Query) Has(k TermKind) bool {
	return slices.ContainsFunc(q.Terms, func(t Term) bool { return t.Kind == k })
}

// Identifying reports whether the query matches on what only the identity
// section holds: a name, a phone number, a date of birth or a place. A
// case whose identity section the user may not read is never found by
// such a query: finding it would tell them what it holds.
func (q Query) Identifying() bool {
	return q.Has(TermName) || q.Has(TermPhone) || q.Has(TermBirth) || q.Filters.Place != ""
}

// Allowed lists the values the filters may take (from the context
// profile and the case steps).
type Allowed struct {
	Types, Steps, Risks []string
}

// Limits on what a search may ask.
const (
	MaxQuery = 200 // characters of q
	MaxTerms = 8   // terms of q
	MaxPage  = 40  // pages: 40 of 25 is the candidate cap (Cap)
	MaxAge   = 25  // a bare number up to this is an age
	PageSize = 25  // results a page
	// Cap is how many matching cases a search ranks at most. A search that
	// matches more shows the best of the first Cap it finds and says
	// "more than Cap — add a word or a filter", never a count of
	// everything: a common name in a large agency must not cost a scan.
	Cap = 1000
)

// Params is how a parsed search reads its parameters (url.Values.Get).
type Params func(name string) string

// Parse reads a search: q, the words typed in the search box, and the
// filter parameters type, step, risk, status, caseworker, place and page.
// A bad value is an error naming its parameter.
func Parse(q string, param Params, ok Allowed) (Query, error) {
	var fe errs.Fields
	var out Query
	if len(q) > MaxQuery {
		fe.Add("q", "err.search_long", MaxQuery)
	} else {
		out.Terms = Terms(q)
		if len(out.Terms) > MaxTerms {
			fe.Add("q", "err.search_terms", MaxTerms)
		}
	}
	get := func(name string) string {
		if param == nil {
			return ""
		}
		return strings.TrimSpace(param(name))
	}
	f := &out.Filters
	oneOf := func(name string, v string, allowed []string) string {
		if v != "" && !slices.Contains(allowed, v) {
			fe.Add(name, "err.search_filter")
			return ""
		}
		return v
	}
	f.Type = oneOf("type", get("type"), ok.Types)
	f.Step = oneOf("step", get("step"), ok.Steps)
	f.Risk = oneOf("risk", get("risk"), ok.Risks)
	f.Status = oneOf("status", get("status"), []string{"open", "closed"})
	if v := get("caseworker"); v != "" {
		if !isID(v) {
			fe.Add("caseworker", "err.search_filter")
		} else {
			f.Caseworker = v
		}
	}
	if v := get("place"); v != "" {
		if len(v) > MaxQuery || Normalise(v) == "" {
			fe.Add("place", "err.search_filter")
		} else {
			f.Place = v
		}
	}
	out.Page = 1
	if v := get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPage {
			fe.Add("page", "err.search_page", MaxPage)
		} else {
			out.Page = n
		}
	}
	if err := fe.Err(); err != nil {
		return Query{}, err
	}
	return out, nil
}

// isID reports whether s looks like a record ID (a UUID or a short
// identifier): letters, digits and hyphens.
func isID(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Terms splits what was typed into terms: a case code, a phone number
// (seven digits or more, written with any spaces, dots, dashes, brackets
// or a plus sign), a date of birth (YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY),
// an age (a bare number up to MaxAge, or "12y", "age 12"), and every other
// word a word of a name. Each term is kept once.
func Terms(q string) []Term {
	var out []Term
	add := func(t Term) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	fields := strings.Fields(strings.ToValidUTF8(q, " "))
	for i := 0; i < len(fields); i++ {
		w := strings.Trim(fields[i], ",;")
		if w == "" {
			continue
		}
		// A phone number written with spaces spans several fields: take
		// the longest run of number-like fields that has 7+ digits.
		if numberish(w) && !isDateText(w) {
			j, run := i, ""
			for ; j < len(fields); j++ {
				f := strings.Trim(fields[j], ",;")
				if !numberish(f) || isDateText(f) {
					break
				}
				run += f + " "
			}
			if d := Digits(run); d != "" {
				add(Term{Kind: TermPhone, Value: d})
				i = j - 1
				continue
			}
		}
		if d, ok := ParseDate(w); ok {
			add(Term{Kind: TermBirth, Value: d})
			continue
		}
		lw := strings.ToLower(w)
		if lw == "age" && i+1 < len(fields) {
			if n, ok := age(fields[i+1]); ok {
				add(Term{Kind: TermAge, Value: strconv.Itoa(n), Age: n})
				i++
				continue
			}
		}
		if n, ok := age(w); ok {
			add(Term{Kind: TermAge, Value: strconv.Itoa(n), Age: n})
			continue
		}
		if c, ok := Code(w); ok {
			add(Term{Kind: TermCode, Value: c})
			continue
		}
		for _, part := range Parts(w) {
			if strings.IndexFunc(part, unicode.IsLetter) >= 0 {
				add(Term{Kind: TermName, Value: part}) // a number that is nothing else is left out
			}
		}
	}
	return out
}

// numberish reports whether w is made only of digits and phone separators
// and holds at least one digit.
func numberish(w string) bool {
	digit := false
	for _, r := range w {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r == '+' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return digit
}

// isDateText reports whether w is written as a date.
func isDateText(w string) bool { _, ok := ParseDate(w); return ok }

// age reads an age: a bare number 0–MaxAge, or the number with y, yr,
// yrs or years after it.
func age(w string) (int, bool) {
	w = strings.ToLower(w)
	for _, suf := range []string{"years", "yrs", "yr", "y"} {
		if s, ok := strings.CutSuffix(w, suf); ok && s != "" {
			w = s
			break
		}
	}
	if len(w) == 0 || len(w) > 2 {
		return 0, false
	}
	n, err := strconv.Atoi(w)
	if err != nil || n < 0 || n > MaxAge {
		return 0, false
	}
	return n, true
}

// ParseDate reads a date of birth written YYYY-MM-DD, DD/MM/YYYY or
// DD.MM.YYYY (as the date field types it) and returns it as YYYY-MM-DD.
func ParseDate(w string) (string, bool) {
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006", "02.01.2006", "2.1.2006"} {
		if t, err := time.Parse(layout, w); err == nil {
			if t.Year() < 1900 || t.Year() > 2200 {
				return "", false
			}
			return t.Format(time.DateOnly), true
		}
	}
	return "", false
}

// crockford maps the letters people type for the digits of Crockford's
// base 32 (O for 0, I and L for 1) to them.
var crockford = strings.NewReplacer("O", "0", "I", "1", "L", "1")

// Code reports whether w is a case code (cases.NewCode: a prefix of one
// to three letters, a hyphen and six letters or digits of Crockford's
// base 32) and returns it upper-cased, with O, I and L in the six read as
// 0, 1 and 1. A word such as "Al-Hassan" has the shape of a code too: a
// prefix other than "C" (every case's) counts only if the six hold a digit.
func Code(w string) (string, bool) {
	w = strings.ToUpper(w)
	pre, tail, ok := strings.Cut(w, "-")
	if !ok || len(pre) < 1 || len(pre) > 3 || len(tail) != 6 {
		return "", false
	}
	for _, r := range pre {
		if r < 'A' || r > 'Z' {
			return "", false
		}
	}
	tail = crockford.Replace(tail)
	digit := false
	for _, r := range tail {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'A' && r <= 'Z' && r != 'I' && r != 'L' && r != 'O' && r != 'U':
		default:
			return "", false
		}
	}
	if pre != "C" && !digit {
		return "", false
	}
	return pre + "-" + tail, true
}

// Match is how a case matched a search, the best first: the order of the
// results (see Rank) and the "why it matched" word shown beside each.
type Match int

// The ways a case matches, best first.
const (
	MatchCode     Match = iota + 1 // the case code, exactly
	MatchFullName                  // every name word is a whole part of the child's name
	MatchPartName                  // every name word is a whole part or begins one
	MatchSound                     // a name word only sounds like a part
	MatchPhone                     // no name word; a phone number
	MatchBirth                     // no name word; a date of birth
	MatchPlace                     // no name word; the place
	MatchFilter                    // only filters (and an age)
)

// Word is the key of the "why it matched" word of m in the message catalog.
func (m Match) Word() string {
	switch m {
	case MatchCode:
		return "search.why_code"
	case MatchFullName:
		return "search.why_full"
	case MatchPartName:
		return "search.why_part"
	case MatchSound:
		return "search.why_sound"
	case MatchPhone:
		return "search.why_phone"
	case MatchBirth:
		return "search.why_birth"
	case MatchPlace:
		return "search.why_place"
	}
	return "search.why_filter"
}

// Name is m as the API spells it.
func (m Match) Name() string {
	return [...]string{"", "code", "full_name", "part_of_name", "sounds_like", "phone", "date_of_birth", "place", "filter"}[m]
}

// Classify returns how a case matched a query, given the best kind of
// token (Part, Prefix or Sound) each of the query's name terms matched
// with, in order: the worst of them decides (a case matches "Amina Hasan"
// by full name only if both words are whole parts of its name).
func Classify(q Query, code bool, nameKinds []Kind) Match {
	if code {
		return MatchCode
	}
	if len(nameKinds) > 0 {
		worst := Part
		for _, k := range nameKinds {
			worst = max(worst, k)
		}
		switch worst {
		case Part:
			return MatchFullName
		case Prefix:
			return MatchPartName
		}
		return MatchSound
	}
	switch {
	case q.Has(TermPhone):
		return MatchPhone
	case q.Has(TermBirth):
		return MatchBirth
	case q.Filters.Place != "":
		return MatchPlace
	}
	return MatchFilter
}

// Hit is one case a search found, as Rank orders it.
type Hit struct {
	CaseID    string
	Code      string
	Match     Match
	UpdatedAt time.Time
}

// Rank orders hits: by how they matched (Match: exact code, then full
// name, part of a name, sounds like, then phone, date of birth, place),
// then the most recently updated first, then by code.
func Rank(hits []Hit) {
	slices.SortStableFunc(hits, func(a, b Hit) int {
		if a.Match != b.Match {
			return int(a.Match) - int(b.Match)
		}
		if !a.UpdatedAt.Equal(b.UpdatedAt) {
			return b.UpdatedAt.Compare(a.UpdatedAt)
		}
		return strings.Compare(a.Code, b.Code)
	})
}

// Fingerprint returns what the audit trail keeps of a search: an HMAC,
// under the search key, of its normalised terms and filters (not of the
// page), so that a data protection officer can see the same search made
// again without reading it. It is hex, 16 characters.
func (h *Hasher) Fingerprint(q Query) string {
	var b strings.Builder
	terms := slices.Clone(q.Terms)
	slices.SortFunc(terms, func(x, y Term) int {
		if x.Kind != y.Kind {
			return int(x.Kind) - int(y.Kind)
		}
		return strings.Compare(x.Value, y.Value)
	})
	for _, t := range terms {
		b.WriteString(strconv.Itoa(int(t.Kind)))
		b.WriteByte(':')
		b.WriteString(t.Value)
		b.WriteByte('\n')
	}
	b.WriteString("place:" + Normalise(q.Filters.Place))
	return strconv.FormatUint(uint64(h.Token(0, b.String())), 16)
}
