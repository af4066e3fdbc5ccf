package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/sheet"
	"github.com/safecase/safecase/internal/store"
)

// auditExpectations: only the data protection officer reads or exports
// the audit trail.
func auditExpectations() map[string]expect {
	return map[string]expect{
		"POST /audit/export": {allow: []string{"dp_officer"}, deny: 403},
	}
}

// auditEventRow matches one event on the audit page (its number).
var auditEventRow = regexp.MustCompile(`>Event (\d+)<`)

// auditLink returns the href of the link with text label, unescaped.
func auditLink(body, label string) string {
	m := regexp.MustCompile(`href="([^"]*)"[^>]*>` + label + `<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// TestAuditPage: who read a case and what a person read, labelled, with
// case codes and never names or raw JSON; filters narrow; 50 a page with
// links both ways that stay put while events arrive; on both engines.
func TestAuditPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.incidentCase(t, "caseworker", "cp")
		cw, sup, dpo := e.as("caseworker"), e.as("supervisor"), e.as("dp_officer")
		for _, cl := range []*client{cw, sup} {
			if res := cl.get("/cases/" + c.ID); res.StatusCode != 200 {
				t.Fatalf("case page: %d", res.StatusCode)
			}
		}
		// Who read this case: both readers, with the case's code, never its name.
		res := dpo.get("/audit?case=" + c.Code + "&reads=1")
		if res.StatusCode != 200 {
			t.Fatalf("who read: %d\n%.500s", res.StatusCode, res.Body)
		}
		for _, want := range []string{"Who read this case", "User caseworker", "User supervisor", "Read the case", c.Code} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("who read the case: no %q", want)
			}
		}
		for _, leak := range []string{"Zainab", "Secret", "Block 7", "{&#34;", `{"`} {
			if strings.Contains(res.Body, leak) {
				t.Errorf("who read the case shows %q", leak)
			}
		}
		if n := len(auditEventRow.FindAllString(res.Body, -1)); n != 2 {
			t.Errorf("who read the case: %d events, want 2", n)
		}
		// What this person read: the supervisor's reads only.
		res = dpo.get("/audit?actor=" + e.users["supervisor"].ID + "&reads=1")
		if !strings.Contains(res.Body, "What User supervisor read") || strings.Contains(res.Body, ">User caseworker<") ||
			len(auditEventRow.FindAllString(res.Body, -1)) != 1 {
			t.Errorf("what the supervisor read:\n%.3000s", res.Body)
		}
		// The changes (registration, override) carry labels and readable details.
		res = dpo.get("/audit?case=" + c.Code)
		if !strings.Contains(res.Body, "Registered the case") || strings.Contains(res.Body, `{&#34;`) {
			t.Errorf("case events:\n%.3000s", res.Body)
		}
		// Each filter is refused by name when it names nothing.
		for _, q := range []string{"case=ZZ-NOPE", "action=case.nothing", "ip=somewhere", "from=2026-02-01&to=2026-01-01",
			"actor=" + url.QueryEscape("no one")} {
			if res := dpo.get("/audit?" + q); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("/audit?%s: %d, want 422", q, res.StatusCode)
			}
		}
		// A refused filter is not written down: a name typed as a case code
		// stays out of the trail.
		if res := dpo.get("/audit?case=Zainab+Secret"); res.StatusCode != http.StatusUnprocessableEntity ||
			strings.Count(res.Body, "Write a case code") != 2 {
			t.Errorf("a name as case code: %d", res.StatusCode)
		}
		for _, ev := range auditOf(t, e, "audit.view") {
			if strings.Contains(ev.Detail, "Zainab") || strings.Contains(ev.Detail, "ZAINAB") {
				t.Errorf("audit.view records what was typed: %s", ev.Detail)
			}
		}
		// Paging: 60 more reads by the caseworker; 50 a page.
		for i := 0; i < 60; i++ {
			cw.get("/cases/" + c.ID)
		}
		res = dpo.get("/audit?actor=" + e.users["caseworker"].ID + "&action=case.view")
		first := auditEventRow.FindAllStringSubmatch(res.Body, -1)
		older := auditLink(res.Body, "Older events")
		if len(first) != 50 || older == "" || auditLink(res.Body, "Newer events") != "" {
			t.Fatalf("first page: %d events, older %q", len(first), older)
		}
		for i := 0; i < 5; i++ { // new events while the officer pages
			cw.get("/cases/" + c.ID)
		}
		res = dpo.get(older)
		second := auditEventRow.FindAllStringSubmatch(res.Body, -1)
		if len(second) != 11 || auditLink(res.Body, "Older events") != "" || second[0][1] >= first[49][1] && len(second[0][1]) == len(first[49][1]) {
			t.Fatalf("second page (%s): %d events from %v", older, len(second), second[:min(1, len(second))])
		}
		newer := auditLink(res.Body, "Newer events")
		res = dpo.get(newer)
		back := auditEventRow.FindAllStringSubmatch(res.Body, -1)
		if len(back) != 50 || back[0][1] != first[0][1] || back[49][1] != first[49][1] {
			t.Fatalf("newer from the second page (%s): %d events, %v…%v, want %v…%v", newer, len(back), back[0][1], back[len(back)-1][1], first[0][1], first[49][1])
		}
		// The address filter: every event from the test client's address, none from another.
		var ip string
		if err := e.db.Read(ctx, func(tx *store.Tx) error {
			evs, err := tx.AuditEvents(ctx, store.AuditFilter{ActorID: e.users["supervisor"].ID, Action: "case.view", Limit: 1})
			if len(evs) == 1 {
				ip = evs[0].IP
			}
			return err
		}); err != nil || ip == "" {
			t.Fatalf("no address: %v", err)
		}
		if res := dpo.get("/audit?ip=" + ip + "&action=case.view"); len(auditEventRow.FindAllString(res.Body, -1)) != 50 {
			t.Errorf("address %s: not every event", ip)
		}
		if res := dpo.get("/audit?ip=192.0.2.99"); len(auditEventRow.FindAllString(res.Body, -1)) != 0 {
			t.Errorf("another address shows events")
		}
	})
}

// TestAuditExport: the CSV of a filter, after password and reason, with
// every cell a spreadsheet would run neutralised, no-store, a filename
// without case content, and the export itself audited; on both engines.
func TestAuditExport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.incidentCase(t, "caseworker", "cp")
		e.as("caseworker").get("/cases/" + c.ID)
		// An event whose reason a spreadsheet would run.
		if err := e.db.Audit(ctx, audit.Event{ActorID: e.users["caseworker"].ID, ActorRole: "caseworker", Action: "case.break_glass",
			RecordType: "case", RecordID: c.ID, CaseID: c.ID, AgencyID: e.agency, Reason: `=HYPERLINK("http://x")`}); err != nil {
			t.Fatal(err)
		}
		dpo := e.as("dp_officer")
		form := url.Values{"case": {c.Code}}
		if res := dpo.post("/audit/export", form); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Say why") {
			t.Fatalf("no reason: %d", res.StatusCode)
		}
		form.Set("reason", "Complaint 12 from the family")
		form.Set("password", "wrong password")
		if res := dpo.post("/audit/export", form); res.StatusCode != http.StatusUnprocessableEntity || strings.Contains(res.Header.Get("Content-Type"), "csv") {
			t.Fatalf("wrong password: %d", res.StatusCode)
		}
		if n := len(auditOf(t, e, "audit.export")); n != 0 {
			t.Fatalf("refused exports audited as exports: %d", n)
		}
		form.Set("password", testPassword)
		res := dpo.post("/audit/export", form)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("export: %d %v\n%.500s", res.StatusCode, res.Header, res.Body)
		}
		if cd := res.Header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="audit-trail-\d{4}-\d{2}-\d{2}\.csv"$`).MatchString(cd) {
			t.Errorf("filename: %q", cd)
		}
		r := sheet.NewReader(strings.NewReader(res.Body))
		var rows [][]string
		for {
			row, err := r.Read()
			if err != nil {
				break
			}
			rows = append(rows, row)
		}
		if len(rows) < 4 || rows[0][0] != "Event number" {
			t.Fatalf("rows %v", rows)
		}
		actions := map[string]bool{}
		for _, row := range rows[1:] {
			actions[row[4]] = true
			if row[5] != c.Code {
				t.Errorf("row of another case: %v", row)
			}
		}
		for _, want := range []string{"Read the case", "Registered the case", "Used emergency access"} {
			if !actions[want] {
				t.Errorf("export lacks %q: %v", want, actions)
			}
		}
		if !strings.Contains(res.Body, `'=HYPERLINK`) || strings.Contains(res.Body, "\n=HYPERLINK") || strings.Contains(res.Body, `,=HYPERLINK`) {
			t.Errorf("formula not neutralised:\n%s", res.Body)
		}
		for _, leak := range []string{"Zainab", "Secret", "Block 7"} {
			if strings.Contains(res.Body, leak) {
				t.Errorf("export holds %q", leak)
			}
		}
		ex := auditOf(t, e, "audit.export")
		if len(ex) != 1 || ex[0].ActorID != e.users["dp_officer"].ID || ex[0].Reason != "Complaint 12 from the family" ||
			!strings.Contains(ex[0].Detail, "case="+c.Code) || strings.Contains(ex[0].Detail, "Zainab") {
			t.Errorf("export event %+v", ex)
		}
	})
}
