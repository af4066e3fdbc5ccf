package access

import (
	"testing"
	"time"

	"github.com/safecase/safecase/internal/org"
)

// TestGrants: a grant opens exactly its sections to exactly its holder,
// while it holds; break-glass stays inside the case's agency; nothing but
// break-glass opens a closed case, and no grant its consent records.
func TestGrants(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	prov := Actor{UserID: "p", AgencyID: "B", Role: org.ServiceProvider, Now: now}
	provB2 := Actor{UserID: "p2", AgencyID: "B", Role: org.ServiceProvider, Now: now}
	supB := Actor{UserID: "s", AgencyID: "B", TeamID: "tb", Role: org.Supervisor, Now: now}
	supB2 := Actor{UserID: "s2", AgencyID: "B", TeamID: "tb2", Role: org.Supervisor, Now: now}
	glass := Actor{UserID: "g", AgencyID: "A", TeamID: "t2", Role: org.Caseworker, Now: now}
	c := Case{ID: "c", AgencyID: "A", TeamID: "t1", CaseworkerID: "cw"}
	c.Grants = []Grant{
		{Via: ViaReferral, UserID: "p", Sections: []Section{Registration, Assessment}},
		{Via: ViaTransfer, AgencyID: "B", TeamID: "tb", Roles: []org.Role{org.Supervisor}, Sections: []Section{Registration}},
		{Via: ViaBreakGlass, UserID: "g", Sections: []Section{Identity, Registration, Consent}, Until: now.Add(time.Hour)},
	}
	view := func(a Actor, c Case, s Section) bool {
		return Decide(a, View, Resource{Kind: KindCase, Case: c, Section: s}).Allow
	}
	cases := []struct {
		name string
		a    Actor
		c    func(Case) Case
		s    Section
		want bool
	}{
		{"referral receiver, shared section", prov, nil, Assessment, true},
		{"referral receiver, other section", prov, nil, Identity, false},
		{"another provider of the agency", provB2, nil, Registration, false},
		{"transfer: supervisor of the named team", supB, nil, Registration, true},
		{"transfer: supervisor of another team", supB2, nil, Registration, false},
		{"break-glass within its time", glass, nil, Identity, true},
		{"break-glass after its time", Actor{UserID: "g", AgencyID: "A", TeamID: "t2", Role: org.Caseworker, Now: now.Add(2 * time.Hour)}, nil, Identity, false},
		{"break-glass without a clock", Actor{UserID: "g", AgencyID: "A", TeamID: "t2", Role: org.Caseworker}, nil, Identity, false},
		{"break-glass after the case moved agency", glass, func(c Case) Case { c.AgencyID = "B"; return c }, Identity, false},
		{"referral on a closed case", prov, func(c Case) Case { c.Closed = true; return c }, Registration, false},
		{"break-glass on a closed case", glass, func(c Case) Case { c.Closed = true; return c }, Registration, true},
		{"break-glass, consent of a closed case", glass, func(c Case) Case { c.Closed = true; return c }, Consent, false},
	}
	for _, x := range cases {
		cc := c
		if x.c != nil {
			cc = x.c(c)
		}
		if got := view(x.a, cc, x.s); got != x.want {
			t.Errorf("%s: view %s = %v, want %v", x.name, x.s, got, x.want)
		}
		if Decide(x.a, Edit, Resource{Kind: KindCase, Case: cc, Section: x.s}).Allow {
			t.Errorf("%s: a grant allows editing", x.name)
		}
	}
}
