package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/search"
)

// A search (search.Find) reads the index (search_tokens) and the columns
// of cases that are not identity — code, type, step, risk, status,
// caseworker, team, agency, age at registration — never case_identity,
// until it reads the names of the page's rows for display (SearchNames).
//
// How a search is run depends on where it is cheapest to start:
//
//   - a case code: the one case with the code (cases.code is unique);
//   - a caseworker's caseload (a few hundred cases with the closed ones),
//     or a team's when it is smaller than the rarest term's matches in the
//     agency: each case of the scope, probing the index by its primary key
//     (token, agency, case) for each term;
//   - otherwise (an agency, a large team): the index entries of the rarest
//     term in the agency, best kind first (whole part, then prefix, then
//     sound), each joined to its case for the scope and the filters and
//     probed for the other terms, stopping at the limit. With more than
//     search.Cap matches the ranking is thus among the first Cap found,
//     the rarest word's whole-part matches first.
//
// A search without any token (filters, an age) walks the scope's cases.

// sampleCap bounds the counts a search makes to choose where to start.
const sampleCap = 2 * search.Cap

// SearchCases returns up to s.Limit cases matching every term and filter
// of s (search.Finder).
func (tx *Tx) SearchCases(ctx context.Context, s search.Scan) ([]search.Candidate, error) {
	if s.Scope == "" && len(s.IDs) == 0 {
		return nil, nil
	}
	if s.Limit <= 0 {
		s.Limit = search.Cap + 1
	}
	var q searchSQL
	q.scan = s
	switch {
	case s.Code != "" || s.Scope == "" || len(s.Names)+len(s.Exact) == 0:
		return q.run(ctx, tx, nil)
	case s.Scope == access.Own:
		return q.run(ctx, tx, nil)
	}
	// Start from the rarest term, unless the scope is smaller.
	best, bestN := -1, sampleCap+1
	terms := q.driverTerms()
	for i, toks := range terms {
		n, err := tx.countTokens(ctx, toks, s.AgencyID, bestN)
		if err != nil {
			return nil, err
		}
		if n < bestN {
			best, bestN = i, n
		}
	}
	if s.Scope == access.Team {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE team_id = ? LIMIT ?) x`,
			s.ScopeID, bestN).Scan(&n); err != nil {
			return nil, err
		}
		if n < bestN {
			return q.run(ctx, tx, nil)
		}
	}
	if best < 0 {
		best = 0
	}
	return q.run(ctx, tx, terms[best])
}

// countTokens counts the index entries of toks in agency, up to limit.
func (tx *Tx) countTokens(ctx context.Context, toks []search.Token, agency string, limit int) (int, error) {
	total := 0
	for _, t := range toks {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM search_tokens WHERE token = ? AND agency_id = ?
			LIMIT ?) x`, int64(t), agency, limit-total).Scan(&n); err != nil {
			return 0, err
		}
		if total += n; total >= limit {
			break
		}
	}
	return total, nil
}

// searchSQL builds the statements of one search.
type searchSQL struct {
	scan search.Scan
}

// driverTerms returns the tokens of each term that can start a search,
// best kind first: a name word's whole part, prefix and sound; a phone,
// date of birth or place word's one token.
func (q *searchSQL) driverTerms() [][]search.Token {
	var out [][]search.Token
	for _, n := range q.scan.Names {
		out = append(out, nameTokens(n))
	}
	return append(out, q.scan.Exact...)
}

func nameTokens(n search.NameTerm) []search.Token {
	var out []search.Token
	for _, t := range []search.Token{n.Part, n.Prefix, n.Sound} {
		if t != 0 {
			out = append(out, t)
		}
	}
	return out
}

// run runs the search: from the scope's cases when driver is nil, else
// from each token of driver in turn (best kind first) until the limit.
func (q *searchSQL) run(ctx context.Context, tx *Tx, driver []search.Token) ([]search.Candidate, error) {
	s := q.scan
	if driver == nil {
		stmt, args := q.statement(nil, nil, s.Limit)
		return tx.searchRows(ctx, stmt, args, len(s.Names), nil)
	}
	seen := map[string]bool{}
	var out []search.Candidate
	for i, t := range driver {
		stmt, args := q.statement(&t, driver[:i], s.Limit-len(out))
		got, err := tx.searchRows(ctx, stmt, args, len(s.Names), seen)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(out) >= s.Limit {
			break
		}
	}
	return out, nil
}

// statement returns the query and its arguments: started from the index
// entries of token drive (without the cases holding a token of better,
// found before), or from the cases of the scope when drive is nil.
func (q *searchSQL) statement(drive *search.Token, better []search.Token, limit int) (string, []any) {
	s := q.scan
	var cols, where []string
	var colArgs, args []any
	cols = append(cols, "c.id", "c.code", "c.updated_at", "c.agency_id", "c.team_id", "c.caseworker_id", "c.status",
		"c.follow_up_by")
	for j, n := range s.Names {
		toks := nameTokens(n)
		cols = append(cols, fmt.Sprintf(`(SELECT MIN(t.kind) FROM search_tokens t WHERE t.token IN (%s)
			AND t.agency_id = c.agency_id AND t.case_id = c.id) AS k%d`, marks(len(toks)), j))
		for _, t := range toks {
			colArgs = append(colArgs, int64(t))
		}
	}
	from := "cases c"
	if drive != nil {
		// SQLite keeps the order of a CROSS JOIN: the index entries first.
		from = "search_tokens d CROSS JOIN cases c"
		where = append(where, "d.token = ?", "d.agency_id = ?", "c.id = d.case_id")
		args = append(args, int64(*drive), s.AgencyID)
		if len(better) > 0 {
			where = append(where, `NOT EXISTS (SELECT 1 FROM search_tokens b WHERE b.token IN (`+marks(len(better))+`)
				AND b.agency_id = c.agency_id AND b.case_id = c.id)`)
			for _, t := range better {
				args = append(args, int64(t))
			}
		}
	}
	switch s.Scope {
	case access.Own:
		where = append(where, "c.caseworker_id = ?")
		args = append(args, s.ScopeID)
	case access.Team:
		where = append(where, "c.agency_id = ?", "c.team_id = ?")
		args = append(args, s.AgencyID, s.ScopeID)
	case access.Agency:
		where = append(where, "c.agency_id = ?")
		args = append(args, s.ScopeID)
	default:
		where = append(where, "c.id IN ("+marks(len(s.IDs))+")")
		for _, id := range s.IDs {
			args = append(args, id)
		}
	}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("c.code", s.Code)
	eq("c.case_type", s.Filter.Type)
	eq("c.step", s.Filter.Step)
	eq("c.risk_level", s.Filter.Risk)
	eq("c.status", s.Filter.Status)
	eq("c.caseworker_id", s.Filter.Caseworker)
	if s.Age != nil {
		where = append(where, "c.age_years = ?")
		args = append(args, *s.Age)
	}
	for _, toks := range s.Exact {
		where = append(where, `EXISTS (SELECT 1 FROM search_tokens e WHERE e.token IN (`+marks(len(toks))+`)
			AND e.agency_id = c.agency_id AND e.case_id = c.id)`)
		for _, t := range toks {
			args = append(args, int64(t))
		}
	}
	inner := "SELECT " + strings.Join(cols, ", ") + " FROM " + from + " WHERE " + strings.Join(where, " AND ")
	var outer []string
	for j := range s.Names {
		outer = append(outer, fmt.Sprintf("x.k%d IS NOT NULL", j))
	}
	stmt := "SELECT * FROM (" + inner + ") x"
	if len(outer) > 0 {
		stmt += " WHERE " + strings.Join(outer, " AND ")
	}
	stmt += " LIMIT ?"
	all := append(colArgs, args...)
	return stmt, append(all, limit)
}

// searchRows reads the candidates of stmt, skipping (and then marking)
// those in seen.
func (tx *Tx) searchRows(ctx context.Context, stmt string, args []any, names int, seen map[string]bool) ([]search.Candidate, error) {
	rows, err := tx.query(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []search.Candidate
	for rows.Next() {
		var c search.Candidate
		var updated int64
		kinds := make([]sql.NullInt64, names)
		var status string
		var follow sql.NullString
		dest := []any{&c.CaseID, &c.Code, &updated, &c.Ref.AgencyID, &c.Ref.TeamID, &c.Ref.CaseworkerID, &status, &follow}
		for j := range kinds {
			dest = append(dest, &kinds[j])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if seen != nil {
			if seen[c.CaseID] {
				continue
			}
			seen[c.CaseID] = true
		}
		c.Ref.ID, c.Ref.Closed, c.Ref.FollowUpBy, c.UpdatedAt = c.CaseID, status == "closed", follow.String, fromMS(updated)
		for _, k := range kinds {
			c.Kinds = append(c.Kinds, search.Kind(k.Int64))
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// marks returns n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// SearchGrants returns the grants in force addressed to a or a's agency,
// by case, and the cases of a's agency whose post-closure follow-up a is
// designated for (search.Finder).
func (tx *Tx) SearchGrants(ctx context.Context, a access.Actor) (map[string][]access.Grant, []string, error) {
	rows, err := tx.query(ctx, `SELECT `+grantCols+` FROM case_grants WHERE user_id = ? AND revoked_at IS NULL
		UNION ALL SELECT `+grantCols+` FROM case_grants WHERE agency_id = ? AND revoked_at IS NULL`, a.UserID, a.AgencyID)
	if err != nil {
		return nil, nil, err
	}
	gs, err := scanGrants(rows)
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]access.Grant{}
	for _, g := range gs {
		if g.Grant.Holds(a) {
			out[g.CaseID] = append(out[g.CaseID], g.Grant)
		}
	}
	frows, err := tx.query(ctx, `SELECT id FROM cases WHERE follow_up_by = ? AND agency_id = ?`, a.UserID, a.AgencyID)
	if err != nil {
		return nil, nil, err
	}
	defer frows.Close()
	var follows []string
	for frows.Next() {
		var id string
		if err := frows.Scan(&id); err != nil {
			return nil, nil, err
		}
		follows = append(follows, id)
	}
	return out, follows, frows.Err()
}

// SearchRows returns the list rows of the cases ids (search.Finder).
func (tx *Tx) SearchRows(ctx context.Context, ids []string) ([]search.Row, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.query(ctx, `SELECT c.id, c.code, c.case_type, c.step, c.risk_level, c.status, c.age_years,
		c.caseworker_id, u.display_name, c.updated_at FROM cases c JOIN users u ON u.id = c.caseworker_id
		WHERE c.id IN (`+marks(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []search.Row
	for rows.Next() {
		var r search.Row
		var age sql.NullInt64
		var updated int64
		if err := rows.Scan(&r.CaseID, &r.Code, &r.Type, &r.Step, &r.RiskLevel, &r.Status, &age, &r.CaseworkerID,
			&r.CaseworkerName, &updated); err != nil {
			return nil, err
		}
		r.AgeYears, r.UpdatedAt = fromNullInt(age), fromMS(updated)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SearchNames returns the full names of the cases ids, from their identity
// sections, for display (search.Finder). Only the page's rows the searcher
// may read are asked for, and each read is audited by the caller.
func (tx *Tx) SearchNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.query(ctx, `SELECT case_id, given_name, family_name, other_names FROM case_identity
		WHERE case_id IN (`+marks(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, given, family, other string
		if err := rows.Scan(&id, &given, &family, &other); err != nil {
			return nil, err
		}
		name := strings.TrimSpace(strings.Join(strings.Fields(given+" "+family), " "))
		if other != "" {
			name = strings.TrimSpace(name + " (" + other + ")")
		}
		out[id] = name
	}
	return out, rows.Err()
}
