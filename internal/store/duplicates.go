package store

import (
	"context"
	"strings"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/search"
)

// DuplicateCandidates returns the cases of q.AgencyID whose search tokens
// match q (see cases.DuplicateQuery): every name term matched by one of its
// tokens, the sex equal when both are known, the birth year within q's
// window or the same date of birth, a word of the place when the case has
// a place. It never looks outside q.AgencyID. The rows with the same date
// of birth come first; at most q.Limit rows.
//
// The query reads each term's cases from the index's primary key (token,
// agency_id, case_id) — a range each, a few pages, in case order — and
// keeps the cases in all of them (INTERSECT); only those few cases are
// then read from the cases table and filtered. Looking each case of the
// first term up in the other terms instead (EXISTS, or IN with SQLite's
// plan) costs a random seek a case and was 5-10 times slower at 100,000
// cases. The cost grows with the cases that share the name's words, not
// with the agency's size.
func (tx *Tx) DuplicateCandidates(ctx context.Context, q cases.DuplicateQuery) ([]cases.DuplicateMatch, error) {
	if len(q.Terms) == 0 || q.AgencyID == "" {
		return nil, nil
	}
	var b strings.Builder
	var args []any
	in := func(ts []search.Token) {
		b.WriteString("(")
		for i, t := range ts {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("?")
			args = append(args, int64(t))
		}
		b.WriteString(")")
	}
	birth := "0"
	if q.Birth != 0 {
		birth = "CASE WHEN EXISTS (SELECT 1 FROM search_tokens b WHERE b.token = ? AND b.agency_id = ? AND b.case_id = c.id) THEN 1 ELSE 0 END"
		args = append(args, int64(q.Birth), q.AgencyID)
	}
	b.WriteString("SELECT c.id, c.sex, c.age_years, c.registered_on, " + birth + ` AS same_birth
		FROM cases c WHERE c.id IN (`)
	terms := q.Terms
	if len(q.Pairs) > 0 {
		terms = q.Pairs
	}
	if q.Birth != 0 && q.BirthRequired {
		// A name of one word with its date of birth: the children born
		// that day (a few) are the range read, and the word is looked up
		// for each of them by the index's primary key — not the word's
		// range, thousands of cases for a common name.
		b.WriteString("SELECT case_id FROM search_tokens WHERE agency_id = ? AND token = ?)")
		args = append(args, q.AgencyID, int64(q.Birth))
		for _, term := range terms {
			b.WriteString(" AND EXISTS (SELECT 1 FROM search_tokens n WHERE n.agency_id = ? AND n.case_id = c.id AND n.token IN ")
			args = append(args, q.AgencyID)
			in(term)
			b.WriteString(")")
		}
		terms = nil
	}
	for i, term := range terms {
		if i > 0 {
			b.WriteString(" INTERSECT ")
		}
		b.WriteString("SELECT case_id FROM search_tokens WHERE agency_id = ? AND token IN ")
		args = append(args, q.AgencyID)
		in(term)
	}
	if len(terms) > 0 {
		b.WriteString(")")
	}
	// Not a case closed as a duplicate or as registered in error (cases.Case.Void).
	b.WriteString(" AND NOT (c.status = 'closed' AND c.closure_reason IN " + voidReasons + ")")
	if q.Sex != "" {
		b.WriteString(" AND (c.sex = '' OR c.sex = ?)")
		args = append(args, q.Sex)
	}
	byAge := ""
	if q.BirthYearMin != 0 {
		byAge = " (c.age_years IS NULL OR CAST(substr(c.registered_on, 1, 4) AS INTEGER) - c.age_years BETWEEN ? AND ?)"
	}
	switch {
	case q.Birth != 0 && q.BirthRequired:
		// a term of the INTERSECT above
	case q.Birth != 0 && byAge != "":
		b.WriteString(" AND (EXISTS (SELECT 1 FROM search_tokens b WHERE b.token = ? AND b.agency_id = ? AND b.case_id = c.id) OR" + byAge + ")")
		args = append(args, int64(q.Birth), q.AgencyID, q.BirthYearMin, q.BirthYearMax)
	case byAge != "":
		b.WriteString(" AND" + byAge)
		args = append(args, q.BirthYearMin, q.BirthYearMax)
	}
	if len(q.Places) > 0 {
		b.WriteString(` AND (NOT EXISTS (SELECT 1 FROM search_tokens p WHERE p.case_id = c.id AND p.kind = ?)
			OR EXISTS (SELECT 1 FROM search_tokens p WHERE p.agency_id = ? AND p.case_id = c.id AND p.token IN `)
		args = append(args, int16(search.Place), q.AgencyID)
		in(q.Places)
		b.WriteString("))")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	b.WriteString(" ORDER BY same_birth DESC, c.id LIMIT ?")
	args = append(args, limit)
	rows, err := tx.query(ctx, b.String(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []cases.DuplicateMatch
	for rows.Next() {
		var m cases.DuplicateMatch
		var age *int64
		var same int
		if err := rows.Scan(&m.CaseID, &m.Sex, &age, &m.RegisteredOn, &same); err != nil {
			return nil, err
		}
		if age != nil {
			a := int(*age)
			m.AgeYears = &a
		}
		m.SameBirth = same == 1
		out = append(out, m)
	}
	return out, rows.Err()
}
