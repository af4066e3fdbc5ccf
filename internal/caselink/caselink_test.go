package caselink_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	ctx  = context.Background()
	now  = fixture.Now
	prof = profile.Default()
)

var _ caselink.Tx = (*store.Tx)(nil)

// add links as a and fails the test if Add made a request rather than a link.
func add(db *store.DB, a access.Actor, caseID string, in caselink.Input) (*caselink.Link, error) {
	l, r, err := ask(db, a, caseID, in)
	if r != nil {
		panic("a request where a link was expected")
	}
	return l, err
}

func ask(db *store.DB, a access.Actor, caseID string, in caselink.Input) (*caselink.Link, *caselink.Request, error) {
	var l *caselink.Link
	var r *caselink.Request
	err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		l, r, err = caselink.Add(ctx, tx, prof, a, caseID, in, now)
		return err
	})
	return l, r, err
}

func links(t *testing.T, db *store.DB, caseID string) []caselink.View {
	t.Helper()
	var out []caselink.View
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		out, err = tx.CaseLinks(ctx, caseID)
		return err
	})
	return out
}

func field(t *testing.T, err error) string {
	t.Helper()
	fe, ok := errs.AsFields(err)
	if !ok || len(fe) != 1 {
		t.Fatalf("want one field error, got %v", err)
	}
	return fe[0].Field + " " + fe[0].Msg
}

// TestLinks links a GBV case of one team to a CP case of another team of
// the same agency, at once: the linker needs edit access to their own case
// only; each end sees the other case's code, type, caseworker and agency
// and nothing else, and neither may open the other; the other caseworker is
// told; a duplicate is refused in either direction; a removed link can be
// made again.
func TestLinks(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, other := fixture.Actor(o.Caseworker), fixture.Actor(o.CaseworkerB)
		mother := fixture.Register(t, db, other, fixture.Registration(profile.GBV), now)
		child := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)

		for _, tt := range []struct {
			in   caselink.Input
			want string
		}{
			{caselink.Input{Code: mother.Code}, "relation err.choose"},
			{caselink.Input{Relation: "parent_child"}, "case_code err.required"},
			{caselink.Input{Code: "C NOPE!", Relation: "parent_child"}, "case_code err.link_code"},
			{caselink.Input{Code: "C-" + strings.Repeat("X", 40), Relation: "parent_child"}, "case_code err.link_code"},
			{caselink.Input{Code: child.Code, Relation: "parent_child"}, "case_code err.link_self"},
		} {
			_, err := add(db, cw, child.ID, tt.in)
			if got := field(t, err); got != tt.want {
				t.Errorf("%+v: %s, want %s", tt.in, got, tt.want)
			}
		}
		// Only those who may edit the case linked from.
		in := caselink.Input{Code: " " + mother.Code + " ", Relation: "parent_child"}
		if _, err := add(db, fixture.Actor(o.Manager), child.ID, in); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("manager links: %v", err)
		}
		if _, err := add(db, fixture.Actor(o.CaseworkerB), child.ID, in); errs.KindOf(err) != errs.NotFound {
			t.Errorf("another team's caseworker links: %v", err)
		}
		l, err := add(db, cw, child.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if l.CaseA != child.ID || l.CaseB != mother.ID || l.Relation != "parent_child" {
			t.Errorf("link %+v", l)
		}
		if got := field(t, func() error { _, err := add(db, cw, child.ID, in); return err }()); got != "case_code err.link_exists" {
			t.Errorf("duplicate: %s", got)
		}
		if got := field(t, func() error {
			_, err := add(db, other, mother.ID, caselink.Input{Code: child.Code, Relation: "same_household"})
			return err
		}()); got != "case_code err.link_exists" {
			t.Errorf("duplicate the other way: %s", got)
		}

		// Each end sees the other's code, type, caseworker and agency.
		fromChild, fromMother := links(t, db, child.ID), links(t, db, mother.ID)
		if len(fromChild) != 1 || len(fromMother) != 1 {
			t.Fatalf("links %+v / %+v", fromChild, fromMother)
		}
		v := fromChild[0]
		if v.Code != mother.Code || v.Type != profile.GBV || v.Caseworker != o.CaseworkerB.DisplayName ||
			v.Agency != o.Agency.Name || v.Relation != "parent_child" || v.ID != l.ID {
			t.Errorf("seen from the child's case: %+v", v)
		}
		if v := fromMother[0]; v.Code != child.Code || v.Type != profile.CP || v.Caseworker != o.Caseworker.DisplayName ||
			v.Agency != o.Agency.Name {
			t.Errorf("seen from the mother's case: %+v", v)
		}
		// The link grants nothing: neither caseworker may open the other case.
		if v.CanOpen(cw) || fromMother[0].CanOpen(other) {
			t.Error("a link lets a caseworker open the other case")
		}
		if !v.CanOpen(other) || !fromMother[0].CanOpen(fixture.Actor(o.Supervisor)) {
			t.Error("the other case's own staff may not open it")
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			if _, err := cases.Get(ctx, tx, cw, access.View, access.Registration, mother.ID); errs.KindOf(err) != errs.NotFound {
				t.Errorf("the linker opens the other case: %v", err)
			}
			ns, err := tx.Notifications(ctx, o.CaseworkerB.ID, 10)
			if err != nil {
				return err
			}
			if len(ns) != 1 || ns[0].Kind != notify.CaseLinked || ns[0].CaseID != mother.ID {
				t.Errorf("the other caseworker's notices: %+v", ns)
			}
			return nil
		})

		// Removal, from either end; then the cases may be linked again.
		rm := func(a access.Actor, caseID, id string) error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := caselink.Remove(ctx, tx, a, caseID, id, now.Add(time.Hour))
				return err
			})
		}
		if err := rm(cw, mother.ID, l.ID); errs.KindOf(err) != errs.NotFound {
			t.Errorf("removing through a case one cannot see: %v", err)
		}
		unrelated := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		if err := rm(cw, unrelated.ID, l.ID); errs.KindOf(err) != errs.NotFound {
			t.Errorf("removing through an unrelated case: %v", err)
		}
		if err := rm(other, mother.ID, l.ID); err != nil {
			t.Fatal(err)
		}
		if err := rm(cw, child.ID, l.ID); field(t, err) != "link err.not_active" {
			t.Errorf("removing twice: %v", err)
		}
		if n := len(links(t, db, child.ID)) + len(links(t, db, mother.ID)); n != 0 {
			t.Errorf("%d links after the removal", n)
		}
		if _, err := add(db, other, mother.ID, caselink.Input{Code: child.Code, Relation: "parent_child"}); err != nil {
			t.Errorf("linking again after the removal: %v", err)
		}
		var actions []string
		fixture.Read(t, db, func(tx *store.Tx) error {
			for _, id := range []string{child.ID, mother.ID} {
				es, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: id, Limit: 50})
				if err != nil {
					return err
				}
				for _, e := range es {
					actions = append(actions, id+" "+e.Action)
				}
			}
			return nil
		})
		for _, a := range []string{child.ID + " caselink.add", child.ID + " caselink.added", mother.ID + " caselink.added",
			mother.ID + " caselink.remove"} {
			if !slices.Contains(actions, a) {
				t.Errorf("no %s in the audit trail: %v", a, actions)
			}
		}
	})
}
