package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAuditViewQueriesUseIndexes checks, on SQLite, that each view of the
// audit trail the officer's page asks for (always one agency's, newest
// first, 51 rows) reads one index in the order of the page and sorts
// nothing: at millions of events a sort or a scan of the whole trail is
// what makes a page slow. (As in TestPageQueriesUseTheirIndexes, SQLite
// has no statistics, so its plans depend on the schema alone.)
func TestAuditViewQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	reads := []string{"case.view", "share.view", "audit.export"}
	for _, c := range []struct {
		name string
		f    AuditFilter
		want string
	}{
		{"the agency's newest", AuditFilter{AgencyID: "g"}, "audit_agency (agency_id=?)"},
		{"an older page", AuditFilter{AgencyID: "g", Before: 1000}, "audit_agency (agency_id=? AND seq<?)"},
		{"a newer page", AuditFilter{AgencyID: "g", After: 1000}, "audit_agency (agency_id=? AND seq>?)"},
		{"who read a case", AuditFilter{AgencyID: "g", CaseID: "c", Actions: reads}, "audit_case_agency (case_id=? AND agency_id=?)"},
		{"who read a case, an older page", AuditFilter{AgencyID: "g", CaseID: "c", Actions: reads, Before: 9}, "audit_case_agency (case_id=? AND agency_id=? AND seq<?)"},
		{"what a person read", AuditFilter{AgencyID: "g", ActorID: "u", Actions: reads}, "audit_actor_agency (actor_id=? AND agency_id=?)"},
		{"one action", AuditFilter{AgencyID: "g", Action: "case.view"}, "audit_action_agency (action=? AND agency_id=?)"},
		{"an address", AuditFilter{AgencyID: "g", IP: "10.0.0.1"}, "audit_ip (ip=? AND agency_id=?)"},
		{"a person's day", AuditFilter{AgencyID: "g", ActorID: "u", From: day, To: day.AddDate(0, 0, 1)}, "audit_actor_agency (actor_id=? AND agency_id=?)"},
	} {
		where, args := auditWhere(c.f)
		order := " ORDER BY seq DESC LIMIT ?"
		if c.f.After > 0 {
			order = " ORDER BY seq LIMIT ?"
		}
		rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT "+auditCols+" FROM audit_events"+where+order, append(args, 51)...)
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
		if !strings.Contains(text, c.want) {
			t.Errorf("%s: the plan has no %q:\n%s", c.name, c.want, text)
		}
		if strings.Contains(text, "TEMP B-TREE") || strings.Contains(text, "SCAN audit_events") && !strings.Contains(text, "INDEX") {
			t.Errorf("%s: the plan sorts or scans the trail:\n%s", c.name, text)
		}
	}
}
