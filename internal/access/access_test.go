package access_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/org"
)

// The organisation of these tests: agency A with teams TA and TB, agency B
// with team TO.
var actors = map[string]access.Actor{
	"caseworker":         {UserID: "cw", AgencyID: "A", TeamID: "TA", Role: org.Caseworker},
	"caseworker B":       {UserID: "cwb", AgencyID: "A", TeamID: "TB", Role: org.Caseworker},
	"supervisor":         {UserID: "sup", AgencyID: "A", TeamID: "TA", Role: org.Supervisor},
	"supervisor B":       {UserID: "supb", AgencyID: "A", TeamID: "TB", Role: org.Supervisor},
	"manager":            {UserID: "mgr", AgencyID: "A", Role: org.Manager},
	"other manager":      {UserID: "mgro", AgencyID: "B", Role: org.Manager},
	"other supervisor":   {UserID: "supo", AgencyID: "B", TeamID: "TO", Role: org.Supervisor},
	"service provider":   {UserID: "sp", AgencyID: "A", Role: org.ServiceProvider},
	"volunteer":          {UserID: "vol", AgencyID: "A", Role: org.Volunteer},
	"im officer":         {UserID: "imo", AgencyID: "A", Role: org.IMOfficer},
	"dp officer":         {UserID: "dpo", AgencyID: "A", Role: org.DPOfficer},
	"agency admin":       {UserID: "aa", AgencyID: "A", Role: org.AgencyAdmin},
	"system admin":       {UserID: "sa", AgencyID: "A", Role: org.SystemAdmin},
	"other dp officer":   {UserID: "dpob", AgencyID: "B", Role: org.DPOfficer},
	"other agency admin": {UserID: "aab", AgencyID: "B", Role: org.AgencyAdmin},
}

var caseRefs = map[string]access.Case{
	"own":          {ID: "c1", AgencyID: "A", TeamID: "TA", CaseworkerID: "cw"},
	"team":         {ID: "c2", AgencyID: "A", TeamID: "TA", CaseworkerID: "cw2"},
	"other team":   {ID: "c3", AgencyID: "A", TeamID: "TB", CaseworkerID: "cwb"},
	"other agency": {ID: "c4", AgencyID: "B", TeamID: "TO", CaseworkerID: "cwo"},
}

// letters name the case actions: View, Edit, Approve, aSsign.
var caseActions = map[byte]access.Action{'V': access.View, 'E': access.Edit, 'A': access.Approve, 'S': access.Assign}

// caseAllowed says which actions each actor may do on each case ("" = none).
// Actors not listed may do nothing to any case.
var caseAllowed = map[string]map[string]string{
	"caseworker":       {"own": "VE"},
	"caseworker B":     {"other team": "VE"},
	"supervisor":       {"own": "VEAS", "team": "VEAS"},
	"supervisor B":     {"other team": "VEAS"},
	"manager":          {"own": "VS", "team": "VS", "other team": "VS"},
	"other manager":    {"other agency": "VS"},
	"other supervisor": {"other agency": "VEAS"},
}

func TestDecideCase(t *testing.T) {
	t.Parallel()
	for name, a := range actors {
		for caseName, c := range caseRefs {
			for letter, act := range caseActions {
				want := strings.IndexByte(caseAllowed[name][caseName], letter) >= 0
				for _, s := range access.Sections {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", name, act, caseName, s), func(t *testing.T) {
						d := access.Decide(a, act, access.Resource{Kind: access.KindCase, Case: c, Section: s})
						if d.Allow != want {
							t.Errorf("Decide = %v (%s), want allow=%v", d.Allow, d.Reason, want)
						}
						if d.Reason == "" {
							t.Error("decision has no reason")
						}
					})
				}
			}
		}
	}
}

func TestDecideCaseUnknownSectionOrAction(t *testing.T) {
	t.Parallel()
	a, c := actors["supervisor"], caseRefs["own"]
	if d := access.Decide(a, access.View, access.Resource{Kind: access.KindCase, Case: c, Section: "assessment_notes"}); d.Allow {
		t.Error("an unknown section is allowed")
	}
	for _, act := range []access.Action{access.Manage, access.Download, access.Screen, "delete"} {
		if d := access.Decide(a, act, access.Resource{Kind: access.KindCase, Case: c, Section: access.Registration}); d.Allow {
			t.Errorf("%s on a case is allowed", act)
		}
	}
}

func TestDecideCaseCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		actor, agency, team string
		want                bool
	}{
		{"caseworker", "A", "TA", true},
		{"caseworker", "A", "TB", false},
		{"caseworker", "B", "TA", false},
		{"supervisor", "A", "TA", true},
		{"supervisor", "A", "TB", false},
		{"manager", "A", "TA", true},
		{"manager", "A", "TB", true},
		{"manager", "B", "TO", false},
		{"service provider", "A", "TA", false},
		{"volunteer", "A", "TA", false},
		{"im officer", "A", "TA", false},
		{"dp officer", "A", "TA", false},
		{"agency admin", "A", "TA", false},
		{"system admin", "A", "TA", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s in %s/%s", tt.actor, tt.agency, tt.team), func(t *testing.T) {
			c := access.Case{AgencyID: tt.agency, TeamID: tt.team, CaseworkerID: "someone"}
			d := access.Decide(actors[tt.actor], access.Create, access.Resource{Kind: access.KindCase, Case: c, Section: access.Registration})
			if d.Allow != tt.want {
				t.Errorf("Decide = %v (%s), want %v", d.Allow, d.Reason, tt.want)
			}
		})
	}
}

func TestDecideNotSignedIn(t *testing.T) {
	t.Parallel()
	profileRes := access.Resource{Kind: access.KindProfile}
	for _, a := range []access.Actor{
		{},
		{UserID: "x", AgencyID: "A", Role: "root"},
		{AgencyID: "A", TeamID: "TA", Role: org.Supervisor},
	} {
		if d := access.Decide(a, access.View, profileRes); d.Allow {
			t.Errorf("actor %+v may view the profile", a)
		}
		if d := access.Decide(a, access.View, access.Resource{Kind: access.KindCase, Case: caseRefs["own"], Section: access.Registration}); d.Allow {
			t.Errorf("actor %+v may view a case", a)
		}
	}
	if d := access.Decide(actors["caseworker"], access.View, access.Resource{Kind: "spaceship"}); d.Allow {
		t.Error("an unknown kind of record is allowed")
	}
}

func TestDecideLists(t *testing.T) {
	t.Parallel()
	type row struct {
		actor  string
		scope  access.Scope
		agency string
		team   string
		want   bool
	}
	tests := []row{
		{"caseworker", access.Own, "A", "", true},
		{"caseworker", access.Team, "A", "TA", false},
		{"caseworker", access.Agency, "A", "", false},
		{"supervisor", access.Own, "A", "", true},
		{"supervisor", access.Team, "A", "TA", true},
		{"supervisor", access.Team, "A", "TB", false},
		{"supervisor", access.Agency, "A", "", false},
		{"manager", access.Own, "A", "", false},
		{"manager", access.Team, "A", "TA", true},
		{"manager", access.Team, "A", "TB", true},
		{"manager", access.Team, "B", "TO", false},
		{"manager", access.Agency, "A", "", true},
		{"manager", access.Agency, "B", "", false},
		{"manager", "region", "A", "", false},
	}
	for _, r := range []string{"service provider", "volunteer", "im officer", "dp officer", "agency admin", "system admin"} {
		for _, s := range []access.Scope{access.Own, access.Team, access.Agency} {
			tests = append(tests, row{r, s, "A", "TA", false})
		}
	}
	for _, kind := range []access.Kind{access.KindCaseList, access.KindTasks} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s/%s/%s/%s", kind, tt.actor, tt.scope, tt.agency, tt.team), func(t *testing.T) {
				res := access.Resource{Kind: kind, Scope: tt.scope, AgencyID: tt.agency, TeamID: tt.team}
				if d := access.Decide(actors[tt.actor], access.View, res); d.Allow != tt.want {
					t.Errorf("Decide = %v (%s), want %v", d.Allow, d.Reason, tt.want)
				}
				if tt.want {
					for _, act := range []access.Action{access.Edit, access.Create, access.Manage} {
						if d := access.Decide(actors[tt.actor], act, res); d.Allow {
							t.Errorf("%s on a list is allowed", act)
						}
					}
				}
			})
		}
	}
}

func TestListScope(t *testing.T) {
	t.Parallel()
	want := map[org.Role]access.Scope{org.Caseworker: access.Own, org.Supervisor: access.Team, org.Manager: access.Agency}
	for _, r := range org.Roles {
		got, ok := access.ListScope(r)
		w, wok := want[r]
		if got != w || ok != wok {
			t.Errorf("ListScope(%s) = %q, %v; want %q, %v", r, got, ok, w, wok)
		}
	}
}

func TestDecideIdentification(t *testing.T) {
	t.Parallel()
	screeners := map[string]bool{"caseworker": true, "caseworker B": true, "supervisor": true, "supervisor B": true, "manager": true}
	for name, a := range actors {
		t.Run(name, func(t *testing.T) {
			own := access.Resource{Kind: access.KindIdentification, AgencyID: a.AgencyID}
			// Anyone with agency work to do may submit one.
			if d := access.Decide(a, access.Create, own); d.Allow != (a.Role != org.SystemAdmin) {
				t.Errorf("create: %v (%s)", d.Allow, d.Reason)
			}
			// Only the agency's case management staff screen and read them;
			// the submitter (a volunteer, say) sees nothing afterwards.
			wantScreen := screeners[name] || name == "other manager" || name == "other supervisor"
			for _, act := range []access.Action{access.View, access.Screen} {
				if d := access.Decide(a, act, own); d.Allow != wantScreen {
					t.Errorf("%s own agency: %v (%s), want %v", act, d.Allow, d.Reason, wantScreen)
				}
				other := access.Resource{Kind: access.KindIdentification, AgencyID: "elsewhere"}
				if d := access.Decide(a, act, other); d.Allow {
					t.Errorf("%s another agency's identification is allowed", act)
				}
			}
			if d := access.Decide(a, access.Edit, own); d.Allow {
				t.Error("edit an identification is allowed")
			}
		})
	}
}

func TestDecideAdmin(t *testing.T) {
	t.Parallel()
	type row struct {
		actor  string
		act    access.Action
		agency string
		want   bool
	}
	var tests []row
	for _, act := range []access.Action{access.View, access.Manage, access.Create, access.Edit} {
		tests = append(tests,
			row{"system admin", act, "A", true},
			row{"system admin", act, "B", true},
			row{"agency admin", act, "A", true},
			row{"agency admin", act, "B", false},
			row{"other agency admin", act, "A", false},
			row{"caseworker", act, "A", false},
			row{"dp officer", act, "A", false},
			row{"im officer", act, "A", false},
			row{"volunteer", act, "A", false},
			row{"service provider", act, "A", false},
		)
		// Supervisors and managers see their colleagues, to assign cases, but manage no one.
		for _, r := range []string{"supervisor", "manager"} {
			tests = append(tests, row{r, act, "A", act == access.View}, row{r, act, "B", false})
		}
	}
	for _, kind := range []access.Kind{access.KindUser, access.KindTeam} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s/%s/%s", kind, tt.actor, tt.act, tt.agency), func(t *testing.T) {
				d := access.Decide(actors[tt.actor], tt.act, access.Resource{Kind: kind, AgencyID: tt.agency})
				if d.Allow != tt.want {
					t.Errorf("Decide = %v (%s), want %v", d.Allow, d.Reason, tt.want)
				}
			})
		}
	}
}

func TestDecideAgency(t *testing.T) {
	t.Parallel()
	for name, a := range actors {
		t.Run(name, func(t *testing.T) {
			sys := a.Role == org.SystemAdmin
			for _, tt := range []struct {
				act    access.Action
				agency string
				want   bool
			}{
				{access.View, a.AgencyID, true},
				{access.View, "elsewhere", sys},
				{access.Manage, a.AgencyID, sys},
				{access.Manage, "elsewhere", sys},
				{access.Edit, a.AgencyID, false},
			} {
				d := access.Decide(a, tt.act, access.Resource{Kind: access.KindAgency, AgencyID: tt.agency})
				if d.Allow != tt.want {
					t.Errorf("%s agency %s: %v (%s), want %v", tt.act, tt.agency, d.Allow, d.Reason, tt.want)
				}
			}
		})
	}
}

func TestDecideAudit(t *testing.T) {
	t.Parallel()
	for name, a := range actors {
		t.Run(name, func(t *testing.T) {
			dpo := a.Role == org.DPOfficer
			if d := access.Decide(a, access.View, access.Resource{Kind: access.KindAudit, AgencyID: a.AgencyID}); d.Allow != dpo {
				t.Errorf("view own agency's audit: %v (%s), want %v", d.Allow, d.Reason, dpo)
			}
			if d := access.Decide(a, access.View, access.Resource{Kind: access.KindAudit, AgencyID: "elsewhere"}); d.Allow {
				t.Error("view another agency's audit trail is allowed")
			}
			for _, act := range []access.Action{access.Edit, access.Create, access.Manage} {
				if d := access.Decide(a, act, access.Resource{Kind: access.KindAudit, AgencyID: a.AgencyID}); d.Allow {
					t.Errorf("%s on the audit trail is allowed", act)
				}
			}
		})
	}
}

func TestDecideProfileAndOwn(t *testing.T) {
	t.Parallel()
	for name, a := range actors {
		t.Run(name, func(t *testing.T) {
			for act, want := range map[access.Action]bool{access.View: true, access.Download: true, access.Edit: false, access.Manage: false} {
				if d := access.Decide(a, act, access.Resource{Kind: access.KindProfile}); d.Allow != want {
					t.Errorf("%s profile: %v, want %v", act, d.Allow, want)
				}
			}
			for act, want := range map[access.Action]bool{access.View: true, access.Edit: true, access.Create: true, access.Manage: false} {
				if d := access.Decide(a, act, access.Resource{Kind: access.KindOwn, OwnerID: a.UserID}); d.Allow != want {
					t.Errorf("%s own account: %v, want %v", act, d.Allow, want)
				}
				if d := access.Decide(a, act, access.Resource{Kind: access.KindOwn, OwnerID: "someone else"}); d.Allow {
					t.Errorf("%s another user's account is allowed", act)
				}
			}
		})
	}
}

func TestMayGrantRole(t *testing.T) {
	t.Parallel()
	for name, a := range actors {
		for _, r := range org.Roles {
			var want bool
			switch a.Role {
			case org.SystemAdmin:
				want = true
			case org.AgencyAdmin:
				want = r != org.SystemAdmin
			}
			if got := access.MayGrantRole(a, r); got != want {
				t.Errorf("MayGrantRole(%s, %s) = %v, want %v", name, r, got, want)
			}
		}
	}
}
