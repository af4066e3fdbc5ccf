package cases_test

import (
	"context"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// names is a NameReader that records the cases it was asked about.
type names struct{ asked []string }

func (n *names) ListNames(_ context.Context, ids []string) (map[string]cases.Identity, error) {
	n.asked = append(n.asked, ids...)
	out := map[string]cases.Identity{}
	for _, id := range ids {
		out[id] = cases.Identity{GivenName: "Name", FamilyName: id}
	}
	return out, nil
}

// TestListNames: a list shows the names of the cases whose type the
// profile shows names for and whose identity the reader may read, reads
// only those, and records one read of identity for each, without a name. A service
// provider reading through a referral whose grant leaves out the identity
// section sees no name, and nothing is read for them.
func TestListNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := profile.Default()
	cw := access.Actor{UserID: "cw", AgencyID: "a", TeamID: "t", Role: org.Caseworker}
	ref := func(id string) access.Case {
		return access.Case{ID: id, AgencyID: "a", TeamID: "t", CaseworkerID: "cw"}
	}
	list := []cases.Listed{
		{Ref: ref("cp1"), Type: profile.CP, Code: "CP-1"},
		{Ref: ref("gbv1"), Type: profile.GBV, Code: "GBV-1"},
		{Ref: access.Case{ID: "cp2", AgencyID: "a", TeamID: "t2", CaseworkerID: "other"}, Type: profile.CP, Code: "CP-2"},
		{Ref: ref("cp1"), Type: profile.CP, Code: "CP-1"}, // listed twice (a case with two tasks)
	}
	tx := &names{}
	got, ev, err := cases.ListNames(ctx, tx, p, cw, "tasks", list)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["cp1"] != "Name cp1" {
		t.Errorf("names %v, want only cp1's", got)
	}
	if strings.Join(tx.asked, ",") != "cp1" {
		t.Errorf("read the names of %v, want only cp1 (GBV is off by default; cp2 is another team's)", tx.asked)
	}
	if len(ev) != 1 || ev[0].Action != "case.view" || ev[0].CaseID != "cp1" || ev[0].AgencyID != "a" ||
		!strings.Contains(ev[0].Detail, `"list":"tasks"`) || !strings.Contains(ev[0].Detail, `"section":"identity"`) ||
		strings.Contains(ev[0].Detail, "Name") {
		t.Errorf("audit events %+v, want one read of cp1's identity through the task list, without a name", ev)
	}

	// GBV names on: the GBV case's name is shown too.
	on := *p
	on.Lists.Names.GBV = true
	tx = &names{}
	if got, ev, _ = cases.ListNames(ctx, tx, &on, cw, "tasks", list); len(got) != 2 || len(ev) != 2 || ev[1].CaseID != "gbv1" {
		t.Errorf("gbv on: %v %+v", got, ev)
	}

	// A service provider with a referral grant that covers registration
	// but not identity: no name, nothing read, no event.
	sp := access.Actor{UserID: "sp", AgencyID: "b", Role: org.ServiceProvider}
	granted := ref("cp1")
	granted.Grants = []access.Grant{{Via: access.ViaReferral, UserID: "sp", Sections: []access.Section{access.Registration}}}
	tx = &names{}
	got, ev, err = cases.ListNames(ctx, tx, p, sp, "tasks", []cases.Listed{{Ref: granted, Type: profile.CP, Code: "CP-1"}})
	if err != nil || got != nil || len(ev) != 0 || len(tx.asked) != 0 {
		t.Errorf("service provider without identity: %v %+v %v, asked %v", got, ev, err, tx.asked)
	}
	// The same grant with identity: the name is shown.
	granted.Grants[0].Sections = append(granted.Grants[0].Sections, access.Identity)
	if got, _, _ = cases.ListNames(ctx, &names{}, p, sp, "tasks", []cases.Listed{{Ref: granted, Type: profile.CP, Code: "CP-1"}}); len(got) != 1 {
		t.Errorf("service provider with identity: %v", got)
	}
}
