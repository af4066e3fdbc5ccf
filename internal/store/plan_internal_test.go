package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestPageQueriesUseTheirIndexes checks, on SQLite, that the queries
// migration 0011 made indexes for read those indexes and sort nothing:
// without them the provider's inbox sorted every open referral of the
// agency, the coordination page read every user of the agency and the team
// view read each of the team's open cases and deadlines from the table. (SQLite
// has no statistics here, as in a deployment, so its plans depend on the
// schema alone; PostgreSQL's depend on its statistics and are not checked.)
func TestPageQueriesUseTheirIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		query string
		args  []any
		want  []string // each a line of the plan
		sorts int      // how many sorts the plan may have
	}{
		{"ReferralsTo, a provider", referralsToQuery(true), []any{"a", "u", 50},
			[]string{"SEARCH r USING INDEX referrals_open_to (to_agency_id=?)"}, 0},
		{"ReferralsTo, by name", referralsToQuery(false), []any{"a", "u", 50},
			[]string{"SEARCH r USING INDEX referrals_open_to (to_agency_id=?)"}, 0},
		{"StaffNear", staffNearQuery, []any{"t", "a", "a", "supervisor", "manager"}, []string{
			"SEARCH users USING COVERING INDEX users_staff_team (team_id=? AND agency_id=? AND disabled_at=?)",
			"SEARCH users USING COVERING INDEX users_staff_agency (agency_id=? AND role=? AND disabled_at=?)",
		}, 1}, // the team's half comes in order; the union is sorted, as few rows as the page lists
		{"TeamLoad", teamLoadQuery, []any{"t", "open"},
			[]string{"SEARCH cases USING COVERING INDEX cases_team_load (team_id=? AND status=?)"}, 0},
		{"TeamLoad's deadlines", teamDueQuery, []any{1, "t", 2},
			[]string{"SEARCH deadlines USING COVERING INDEX deadlines_team_open (team_id=? AND due_at<?)"}, 1}, // GROUP BY
		{"TasksDueBefore, a team", tasksQuery("d.team_id"), []any{"t", 2, 1000},
			[]string{"SEARCH d USING COVERING INDEX deadlines_team_open (team_id=? AND due_at<?)"}, 0},
		{"ReferralsSentBy", referralsSentByQuery, []any{"u", "u", 100},
			[]string{"SEARCH c USING INDEX cases_caseworker (caseworker_id=?)", "SEARCH r USING INDEX referrals_case (case_id=?)"}, 1}, // the sort: the referrals of one caseworker's cases
	} {
		rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+c.query, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the plan has no %q:\n%s", c.name, w, text)
			}
		}
		if n := strings.Count(text, "TEMP B-TREE"); n > c.sorts {
			t.Errorf("%s: the plan sorts %d times, not at most %d:\n%s", c.name, n, c.sorts, text)
		}
	}
}
