package caselink_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

func caseEvents(t *testing.T, db *store.DB, caseID string) []audit.Event {
	t.Helper()
	var out []audit.Event
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		out, err = tx.AuditEvents(ctx, store.AuditFilter{CaseID: caseID, Limit: 100})
		return err
	})
	return out
}

func notices(t *testing.T, db *store.DB, userID string) []notify.Notification {
	t.Helper()
	var out []notify.Notification
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		out, err = tx.Notifications(ctx, userID, 50)
		return err
	})
	return out
}

// TestLinkRequests: a code of another agency's case and a code no case has
// both become a waiting request — the same state, relation and code, the
// same audit event on the requester's case, no link — so the requester
// cannot tell them apart; the other case's caseworker and supervisor are
// asked, with only who asks, the agency and the type of case; a code is
// asked for once at a time. The other case's caseworker or supervisor (not
// its manager, not the requester) accepts — then the cases are linked and
// the requester told — or declines — then nothing shows on either side and
// the requester's case keeps no trace of the answer. The requester
// withdraws a request whatever the code named.
func TestLinkRequests(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, otherCW, otherSup := fixture.Actor(o.Caseworker), fixture.Actor(o.OtherCaseworker), fixture.Actor(o.OtherSupervisor)
		child := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		mother := fixture.Register(t, db, otherCW, fixture.Registration(profile.GBV), now)

		l, known, err := ask(db, cw, child.ID, caselink.Input{Code: mother.Code, Relation: "parent_child"})
		if err != nil || l != nil || known == nil {
			t.Fatalf("link to another agency's case: link %v, request %v, %v", l, known, err)
		}
		l, unknown, err := ask(db, cw, child.ID, caselink.Input{Code: " c-zzzzzz ", Relation: "parent_child"})
		if err != nil || l != nil || unknown == nil {
			t.Fatalf("link to a code no case has: link %v, request %v, %v", l, unknown, err)
		}
		if known.TargetID != mother.ID || unknown.TargetID != "" || unknown.Code != "C-ZZZZZZ" || known.Code != mother.Code {
			t.Errorf("requests %+v / %+v", known, unknown)
		}
		if known.Status != caselink.Requested || unknown.Status != known.Status || unknown.Relation != known.Relation ||
			unknown.Version != known.Version {
			t.Errorf("the two requests differ: %+v / %+v", known, unknown)
		}
		if n := len(links(t, db, child.ID)) + len(links(t, db, mother.ID)); n != 0 {
			t.Fatalf("%d links before any answer", n)
		}
		// The requester's trail: one event per request, alike, naming nothing of the other case.
		var reqEvents []audit.Event
		for _, e := range caseEvents(t, db, child.ID) {
			if e.Action == "caselink.request" {
				reqEvents = append(reqEvents, e)
			}
			if e.Detail != "" && (strings.Contains(e.Detail, mother.ID) || strings.Contains(e.Detail, mother.Code)) {
				t.Errorf("the requester's trail names the other case: %+v", e)
			}
		}
		if len(reqEvents) != 2 || reqEvents[0].Detail != reqEvents[1].Detail || reqEvents[0].RecordType != reqEvents[1].RecordType {
			t.Errorf("the requester's events differ: %+v", reqEvents)
		}
		// The other side is asked: caseworker and supervisor, on their own case.
		for _, u := range []string{o.OtherCaseworker.ID, o.OtherSupervisor.ID} {
			ns := notices(t, db, u)
			if len(ns) != 1 || ns[0].Kind != notify.LinkRequested || ns[0].CaseID != mother.ID ||
				ns[0].Href() != "/cases/"+mother.ID+"/links" {
				t.Errorf("notices of %s: %+v", u, ns)
			}
		}
		if ns := notices(t, db, o.Caseworker.ID); len(ns) != 0 {
			t.Errorf("the requester was told something: %+v", ns)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			in, err := tx.LinkRequestsTo(ctx, mother.ID)
			if err != nil {
				return err
			}
			if len(in) != 1 || in[0].Agency != o.Agency.Name || in[0].Requester != o.Caseworker.DisplayName ||
				in[0].Type != profile.CP || in[0].Relation != "parent_child" || in[0].ID != known.ID {
				t.Errorf("incoming %+v", in)
			}
			out, err := tx.LinkRequestsFrom(ctx, child.ID)
			if len(out) != 2 {
				t.Errorf("outgoing %+v", out)
			}
			return err
		})
		// Once at a time, for either code.
		for _, code := range []string{mother.Code, "C-ZZZZZZ"} {
			if _, _, err := ask(db, cw, child.ID, caselink.Input{Code: code, Relation: "siblings"}); field(t, err) != "case_code err.link_requested" {
				t.Errorf("asking again for %s: %v", code, err)
			}
		}

		answer := func(fn func(tx *store.Tx) error) error { return db.Tx(ctx, fn) }
		accept := func(a access.Actor, caseID, id string, v int) error {
			return answer(func(tx *store.Tx) error {
				_, err := caselink.Accept(ctx, tx, a, caseID, id, v, now.Add(time.Hour))
				return err
			})
		}
		// Who may answer: the other case's caseworker or supervisor only.
		if err := accept(fixture.Actor(o.OtherManager), mother.ID, known.ID, 1); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("the other agency's manager accepts: %v", err)
		}
		if err := accept(cw, mother.ID, known.ID, 1); errs.KindOf(err) != errs.NotFound {
			t.Errorf("the requester accepts on the other case: %v", err)
		}
		if err := accept(cw, child.ID, known.ID, 1); errs.KindOf(err) != errs.NotFound {
			t.Errorf("the requester accepts on their own case: %v", err)
		}
		if err := accept(otherCW, mother.ID, known.ID, 2); errs.KindOf(err) != errs.Conflict {
			t.Errorf("accepting a stale version: %v", err)
		}
		if err := accept(otherSup, mother.ID, known.ID, 1); err != nil {
			t.Fatalf("the other supervisor accepts: %v", err)
		}
		if err := accept(otherCW, mother.ID, known.ID, 2); field(t, err) != "request err.not_active" {
			t.Errorf("accepting twice: %v", err)
		}
		fromChild := links(t, db, child.ID)
		if len(fromChild) != 1 || fromChild[0].Code != mother.Code || fromChild[0].Agency != o.OtherAgency.Name {
			t.Errorf("links of the child's case after the acceptance: %+v", fromChild)
		}
		if ns := notices(t, db, o.Caseworker.ID); len(ns) != 1 || ns[0].Kind != notify.CaseLinked || ns[0].CaseID != child.ID {
			t.Errorf("the requester is not told of the acceptance: %+v", ns)
		}
		acts := func(caseID string) []string {
			var out []string
			for _, e := range caseEvents(t, db, caseID) {
				out = append(out, e.Action)
			}
			return out
		}
		for caseID, want := range map[string][]string{child.ID: {"caselink.request", "caselink.accepted"},
			mother.ID: {"caselink.requested", "caselink.accept"}} {
			for _, a := range want {
				if !slices.Contains(acts(caseID), a) {
					t.Errorf("no %s on %s: %v", a, caseID, acts(caseID))
				}
			}
		}

		// A declined request: gone from both sides, no trace on the requester's case.
		sib := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		_, r, err := ask(db, cw, sib.ID, caselink.Input{Code: mother.Code, Relation: "siblings"})
		if err != nil {
			t.Fatal(err)
		}
		before := acts(sib.ID)
		if err := answer(func(tx *store.Tx) error {
			_, err := caselink.Decline(ctx, tx, otherCW, mother.ID, r.ID, r.Version, now.Add(2*time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := acts(sib.ID); !slices.Equal(got, before) {
			t.Errorf("the decline left a trace on the requester's case: %v, was %v", got, before)
		}
		if !slices.Contains(acts(mother.ID), "caselink.decline") {
			t.Error("the decline is not audited on the declining case")
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			// The requester sees it wait, as one to a code no case has,
			// at its version before the decline, with nobody's answer.
			out, err := tx.LinkRequestsFrom(ctx, sib.ID)
			if len(out) != 1 || out[0].Status != caselink.Requested || out[0].Version != r.Version ||
				out[0].AnsweredBy != "" || !out[0].AnsweredAt.IsZero() {
				t.Errorf("the requester's view of a declined request: %+v", out)
			}
			in, err2 := tx.LinkRequestsTo(ctx, mother.ID)
			if len(in) != 0 {
				t.Errorf("a declined request still shows to the receiver: %+v", in)
			}
			if err == nil {
				err = err2
			}
			return err
		})
		if n := len(links(t, db, sib.ID)); n != 0 {
			t.Errorf("a declined request linked %d cases", n)
		}
		if ns := notices(t, db, o.Caseworker.ID); len(ns) != 1 {
			t.Errorf("the requester was told of the decline: %+v", ns)
		}

		// Withdrawal of the request no case answers.
		withdraw := func(a access.Actor, caseID, id string, v int) error {
			return answer(func(tx *store.Tx) error {
				_, err := caselink.Withdraw(ctx, tx, a, caseID, id, v, now.Add(3*time.Hour))
				return err
			})
		}
		if err := withdraw(otherCW, child.ID, unknown.ID, 1); errs.KindOf(err) != errs.NotFound {
			t.Errorf("someone else withdraws: %v", err)
		}
		if err := withdraw(cw, child.ID, unknown.ID, 1); err != nil {
			t.Fatal(err)
		}
		if err := withdraw(cw, child.ID, unknown.ID, 2); field(t, err) != "request err.not_active" {
			t.Errorf("withdrawing twice: %v", err)
		}
		if !slices.Contains(acts(child.ID), "caselink.withdraw") {
			t.Error("the withdrawal is not audited")
		}
		// An unknown code asked for again after the withdrawal: a new request.
		if _, r, err := ask(db, cw, child.ID, caselink.Input{Code: "C-ZZZZZZ", Relation: "siblings"}); err != nil || r == nil {
			t.Errorf("asking again after withdrawing: %v %v", r, err)
		}
	})
}
