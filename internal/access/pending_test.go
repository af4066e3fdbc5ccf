package access_test

import (
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/org"
)

// TestPendingHasNoCaseAccess: an actor whose role awaits approval is denied
// every case, list, task list, screening, referral, transfer, conference
// and break-glass that the same role is allowed once approved, including
// through a grant; what any signed-in person does stays open.
func TestPendingHasNoCaseAccess(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	own := access.Case{ID: "c1", AgencyID: "A", TeamID: "TA", CaseworkerID: "cw"}
	other := access.Case{ID: "c9", AgencyID: "A", TeamID: "TB", CaseworkerID: "x",
		Grants: []access.Grant{{Via: access.ViaReferral, AgencyID: "A", Roles: []org.Role{org.ServiceProvider}, Sections: access.Sections}}}
	party := access.Party{FromAgencyID: "B", ToAgencyID: "A", Open: true}
	requests := []struct {
		name string
		act  access.Action
		res  access.Resource
	}{
		{"case", access.View, access.Resource{Kind: access.KindCase, Case: own, Section: access.Identity}},
		{"granted case", access.View, access.Resource{Kind: access.KindCase, Case: other, Section: access.Registration}},
		{"register", access.Create, access.Resource{Kind: access.KindCase, Case: own, Section: access.Registration}},
		{"break-glass", access.Glass, access.Resource{Kind: access.KindCase, Case: other, Section: access.Identity}},
		{"own caseload", access.View, access.Resource{Kind: access.KindCaseList, Scope: access.Own}},
		{"team caseload", access.View, access.Resource{Kind: access.KindCaseList, Scope: access.Team, AgencyID: "A", TeamID: "TA"}},
		{"agency caseload", access.View, access.Resource{Kind: access.KindCaseList, Scope: access.Agency, AgencyID: "A"}},
		{"tasks", access.View, access.Resource{Kind: access.KindTasks, Scope: access.Own}},
		{"screen", access.Screen, access.Resource{Kind: access.KindIdentification, AgencyID: "A"}},
		{"referral", access.Respond, access.Resource{Kind: access.KindReferral, Party: party}},
		{"transfer", access.Respond, access.Resource{Kind: access.KindTransfer, Party: party}},
		{"conference", access.View, access.Resource{Kind: access.KindConference, Case: own, Party: access.Party{Users: []string{"cw", "sp", "sup", "mgr"}, Open: true}}},
		{"colleagues", access.View, access.Resource{Kind: access.KindUser, AgencyID: "A"}},
		{"account events", access.View, access.Resource{Kind: access.KindAccount, AgencyID: "A"}},
		{"approve", access.Approve, access.Resource{Kind: access.KindAccount, AgencyID: "A", OwnerID: "someone", Approver: org.Manager}},
	}
	for _, a := range []access.Actor{
		{UserID: "cw", AgencyID: "A", TeamID: "TA", Role: org.Caseworker, Now: now},
		{UserID: "sup", AgencyID: "A", TeamID: "TA", Role: org.Supervisor, Now: now},
		{UserID: "mgr", AgencyID: "A", Role: org.Manager, Now: now},
		{UserID: "sp", AgencyID: "A", Role: org.ServiceProvider, Now: now},
	} {
		anyAllowed := false
		for _, r := range requests {
			approved := access.Decide(a, r.act, r.res).Allow
			anyAllowed = anyAllowed || approved
			pending := a
			pending.Pending = true
			if d := access.Decide(pending, r.act, r.res); d.Allow {
				t.Errorf("%s awaiting approval: %s allowed (%s)", a.Role, r.name, d.Reason)
			}
		}
		if !anyAllowed {
			t.Errorf("%s: the requests test nothing the approved role may do", a.Role)
		}
		pending := a
		pending.Pending = true
		for _, r := range []struct {
			act access.Action
			res access.Resource
		}{
			{access.View, access.Resource{Kind: access.KindOwn, OwnerID: a.UserID}},
			{access.Create, access.Resource{Kind: access.KindOwn, OwnerID: a.UserID}},
			{access.View, access.Resource{Kind: access.KindDirectory}},
			{access.View, access.Resource{Kind: access.KindProfile}},
			{access.Create, access.Resource{Kind: access.KindIdentification, AgencyID: "A"}},
		} {
			if d := access.Decide(pending, r.act, r.res); !d.Allow {
				t.Errorf("%s awaiting approval: %s %s denied: %s", a.Role, r.act, r.res.Kind, d.Reason)
			}
		}
	}
}

// TestDecideAccount: the DPO and the managers of an agency read its account
// events; the role the profile names approves, never for themselves nor
// for a change they made; an agency administrator administers no system
// administrator.
func TestDecideAccount(t *testing.T) {
	t.Parallel()
	events := access.Resource{Kind: access.KindAccount, AgencyID: "A"}
	for name, want := range map[string]bool{"manager": true, "dp officer": true, "caseworker": false, "supervisor": false,
		"agency admin": false, "system admin": false, "other manager": false, "other dp officer": false} {
		if got := access.Decide(actors[name], access.View, events).Allow; got != want {
			t.Errorf("%s reads the account events: %v, want %v", name, got, want)
		}
	}
	approval := func(approver org.Role, owner, changedBy string) access.Resource {
		return access.Resource{Kind: access.KindAccount, AgencyID: "A", OwnerID: owner, ChangedBy: changedBy, Approver: approver}
	}
	for _, tt := range []struct {
		who  string
		r    access.Resource
		want bool
	}{
		{"manager", approval(org.Manager, "cw", "aa"), true},
		{"manager", approval(org.Manager, "mgr", "aa"), false},    // her own account
		{"manager", approval(org.Manager, "cw", "mgr"), false},    // a change she made
		{"manager", approval(org.DPOfficer, "cw", "aa"), false},   // the profile names the DPO
		{"dp officer", approval(org.DPOfficer, "cw", "aa"), true}, // …who approves
		{"dp officer", approval(org.Manager, "cw", "aa"), false},
		{"other manager", approval(org.Manager, "cw", "aa"), false},
		{"agency admin", approval(org.Manager, "cw", "aa"), false},
		{"system admin", approval(org.Manager, "cw", ""), false},
	} {
		if got := access.Decide(actors[tt.who], access.Approve, tt.r).Allow; got != tt.want {
			t.Errorf("%s approves %+v: %v, want %v", tt.who, tt.r, got, tt.want)
		}
	}
	sys := access.Resource{Kind: access.KindUser, AgencyID: "A", UserRole: org.SystemAdmin}
	if access.Decide(actors["agency admin"], access.Edit, sys).Allow || access.Decide(actors["agency admin"], access.Manage, sys).Allow {
		t.Error("an agency administrator administers a system administrator")
	}
	if !access.Decide(actors["system admin"], access.Edit, sys).Allow {
		t.Error("a system administrator may not administer another")
	}
}
