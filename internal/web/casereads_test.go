package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/store"
)

// lastSeq returns the sequence number of the latest audit event.
func (e *env) lastSeq(t *testing.T) int64 {
	t.Helper()
	ctx := context.Background()
	var seq int64
	if err := e.db.Read(ctx, func(tx *store.Tx) error {
		evs, err := tx.AuditEvents(ctx, store.AuditFilter{Limit: 1})
		if len(evs) > 0 {
			seq = evs[0].Seq
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return seq
}

// readsSince returns the events after seq that name case caseID and were
// made by user actorID, denials left out.
func (e *env) readsSince(t *testing.T, seq int64, caseID, actorID string) []audit.Event {
	t.Helper()
	ctx := context.Background()
	var out []audit.Event
	if err := e.db.Read(ctx, func(tx *store.Tx) error {
		evs, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: caseID, ActorID: actorID, Limit: 20})
		for _, ev := range evs {
			if ev.Seq > seq && ev.Action != "access.denied" {
				out = append(out, ev)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEveryCaseReadAudited sends every GET route of the route table that
// reads a case record (found in the table, not listed here: every GET route
// with a wildcard but those notCaseReads excuses) as every user who may read
// some page of a case that has something in every section and every kind of
// share, and fails, naming the route and the reader, when a page or an API
// answer that was shown left no audit event naming the case.
func TestEveryCaseReadAudited(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newFullCase(t, e)
		routes := w.caseReadRoutes(t, e.srv)
		if len(routes) < 30 {
			t.Fatalf("only %d case routes found in the table", len(routes))
		}
		e.walkAudited(t, w.c.ID, routes, fullCaseReaders, true)
		// A closed case: what its staff and the data protection officer (its
		// consent register) may still read.
		closed := closedCase(t, e)
		e.walkAudited(t, closed.ID, w.closedPaths(routes, closed), []string{"supervisor", "caseworker", "manager",
			"dp_officer"}, false)
		if res := e.session("dp_officer").get("/cases/" + closed.ID + "/consent-register"); res.StatusCode != 200 {
			t.Errorf("the officer's register of the closed case: %d", res.StatusCode)
		}
	})
}

// walkAudited sends every path of routes as each of readers and fails for
// an answer shown (200) that left no audit event naming case caseID by its
// reader, or for any 5xx; with everyRead, also for a path nobody could read.
func (e *env) walkAudited(t *testing.T, caseID string, routes []caseRoute, readers []string, everyRead bool) {
	t.Helper()
	clients := map[string]*client{}
	for _, key := range readers {
		clients[key] = e.session(key)
	}
	for _, rt := range routes {
		for _, path := range rt.paths {
			read := false
			for _, key := range readers {
				seq := e.lastSeq(t)
				res := getAs(clients[key], path)
				if res.StatusCode >= 500 {
					t.Errorf("GET %s as %s: %d", path, key, res.StatusCode)
					continue
				}
				if res.StatusCode != http.StatusOK {
					continue
				}
				read = true
				if len(e.readsSince(t, seq, caseID, e.users[key].ID)) == 0 {
					t.Errorf("%s %s read by %s (%s) leaves no audit event naming the case", rt.method, rt.path, key, path)
				}
			}
			if everyRead && !read {
				t.Errorf("%s: nobody could read %s: the full case lacks what it shows", rt.path, path)
			}
		}
	}
}

// TestCasePagesWithEveryShare renders every page and API answer of a case
// that has every kind of share at once (a referral under consent, a
// referral under an override, a transfer waiting for another agency, a
// conference with a participant of another agency, a break-glass access)
// as every role and each receiver, and every case page of a closed case
// (the data protection officer's register among them), and fails on any 5xx.
func TestCasePagesWithEveryShare(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newFullCase(t, e)
		keys := append(append([]string(nil), testRoles...), "provider_b", "supervisor_b")
		routes := w.caseReadRoutes(t, e.srv)
		closed := closedCase(t, e)
		for _, rt := range append(routes, w.closedPaths(routes, closed)...) {
			for _, path := range rt.paths {
				for _, key := range keys {
					if res := getAs(e.session(key), path); res.StatusCode >= 500 {
						t.Errorf("GET %s as %s: %d %.200s", path, key, res.StatusCode, res.Body)
					}
				}
			}
		}
	})
}

// TestCoordinationListsEveryShare: the coordination page and its API list
// the break-glass access with its reason and who broke the glass, and the
// referral under an override with the override's reason and approver.
func TestCoordinationListsEveryShare(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newFullCase(t, e)
		page := e.session("supervisor").get("/cases/" + w.c.ID + "/coordination")
		if page.StatusCode != http.StatusOK {
			t.Fatalf("coordination page: %d", page.StatusCode)
		}
		for _, want := range []string{secretGlass, e.users["caseworker2"].DisplayName, secretOverride + " (" +
			e.users["supervisor"].DisplayName + ")", `class="glass"`, "/transfers/" + w.transfer, "/conferences/" + w.conference} {
			if !strings.Contains(page.Body, want) {
				t.Errorf("the coordination page lacks %q", want)
			}
		}
		var out struct {
			Shares []shareJSON `json:"shares"`
		}
		mustJSON(t, e.session("caseworker").json("GET", "/api/v1/cases/"+w.c.ID+"/coordination", "").Body, &out)
		vias := map[string]shareJSON{}
		for _, sh := range out.Shares {
			if _, seen := vias[sh.Via]; !seen || sh.Reason != "" {
				vias[sh.Via] = sh
			}
		}
		if g := vias["break_glass"]; g.Reason != secretGlass || g.To != e.users["caseworker2"].DisplayName {
			t.Errorf("break-glass share in the API: %+v", g)
		}
		if r := vias["referral"]; r.Reason != secretOverride || r.Approver != e.users["supervisor"].DisplayName {
			t.Errorf("override share in the API: %+v", r)
		}
		for _, via := range []string{"transfer", "conference"} {
			if _, ok := vias[via]; !ok {
				t.Errorf("no %s share in the API: %+v", via, out.Shares)
			}
		}
	})
}

// TestInboxListsNoContent: the coordination inbox lists referrals,
// transfers and conferences by case code, service, state and date — what
// its page shows — and never what they say (a referral's reason, a
// transfer's handover plan, a conference's reason), in the page or the
// API: that is read on the record's own page, whose reading is audited.
func TestInboxListsNoContent(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newFullCase(t, e)
		for _, key := range []string{"provider_b", "supervisor_b", "other_agency", "supervisor"} {
			c := e.session(key)
			page, api := c.get("/coordination"), c.json("GET", "/api/v1/coordination", "")
			if page.StatusCode != 200 || api.StatusCode != 200 {
				t.Fatalf("%s's inbox: %d / %d", key, page.StatusCode, api.StatusCode)
			}
			doc.checkResponse(t, "GET", "/api/v1/coordination", api)
			for _, s := range []string{secretReferral, secretOutcome, secretTransfer, secretConfer, secretName} {
				if strings.Contains(page.Body, s) || strings.Contains(api.Body, s) {
					t.Errorf("%s's inbox shows %q", key, s)
				}
			}
		}
		var inbox struct {
			Referrals []map[string]any `json:"referrals"`
		}
		mustJSON(t, e.session("provider_b").json("GET", "/api/v1/coordination", "").Body, &inbox)
		if len(inbox.Referrals) != 1 || inbox.Referrals[0]["id"] != w.refConsent || inbox.Referrals[0]["case_code"] != w.c.Code {
			t.Errorf("the provider's inbox: %v", inbox.Referrals)
		}
	})
}
