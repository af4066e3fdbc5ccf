package transfer

import (
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/org"
)

// TestStatePredicates lists, for every state of a transfer, whether it may
// be decided and withdrawn: the rules Decide and Withdraw apply and the
// transfer page offers.
func TestStatePredicates(t *testing.T) {
	t.Parallel()
	open := &cases.Case{Status: "open"}
	closed := &cases.Case{Status: cases.Closed}
	tests := []struct {
		status           string
		c                *cases.Case
		decide, withdraw bool
	}{
		{Requested, open, true, true},
		{Requested, closed, false, true},
		{Accepted, open, false, false},
		{Declined, open, false, false},
		{Withdrawn, open, false, false},
	}
	for _, tt := range tests {
		tr := &Transfer{Status: tt.status}
		if got := tr.CanDecide(tt.c); got != tt.decide {
			t.Errorf("%s (case %s): CanDecide = %v, want %v", tt.status, tt.c.Status, got, tt.decide)
		}
		if got := tr.CanWithdraw(); got != tt.withdraw {
			t.Errorf("%s: CanWithdraw = %v, want %v", tt.status, got, tt.withdraw)
		}
	}
	if (&Transfer{Kind: Internal}).DecideAction() != access.Approve || (&Transfer{Kind: External}).DecideAction() != access.Respond {
		t.Error("the case's supervisor approves an internal transfer, the receiving agency answers an external one")
	}
}

// TestNextFor joins the state with the actor's side: the case's supervisor
// approves an internal transfer, the receiving agency's manager decides an
// external one, the caseworker withdraws either while it waits.
func TestNextFor(t *testing.T) {
	t.Parallel()
	c := &cases.Case{ID: "c", AgencyID: "A", TeamID: "ta", CaseworkerID: "cw", Status: "open"}
	cw := access.Actor{UserID: "cw", AgencyID: "A", TeamID: "ta", Role: org.Caseworker}
	sup := access.Actor{UserID: "sup", AgencyID: "A", TeamID: "ta", Role: org.Supervisor}
	mgrB := access.Actor{UserID: "mb", AgencyID: "B", Role: org.Manager}
	internal := Transfer{Kind: Internal, FromAgencyID: "A", ToAgencyID: "A", ToTeamID: "tb", RequestedBy: "cw"}
	external := Transfer{Kind: External, FromAgencyID: "A", ToAgencyID: "B", RequestedBy: "cw"}
	tests := []struct {
		name   string
		t      Transfer
		status string
		a      access.Actor
		want   Next
	}{
		{"internal, caseworker", internal, Requested, cw, Next{Withdraw: true}},
		{"internal, supervisor", internal, Requested, sup, Next{Decide: true, Withdraw: true}},
		{"internal, decided", internal, Accepted, sup, Next{}},
		{"external, caseworker", external, Requested, cw, Next{Withdraw: true}},
		{"external, supervisor of the sender", external, Requested, sup, Next{Withdraw: true}},
		{"external, receiving manager", external, Requested, mgrB, Next{Decide: true}},
		{"external, declined", external, Declined, mgrB, Next{}},
	}
	for _, tt := range tests {
		tr := tt.t
		tr.Status = tt.status
		if got := tr.NextFor(tt.a, c); got != tt.want {
			t.Errorf("%s: NextFor = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestColleagueAndReceiver lists who may receive a case by an internal
// transfer, and whom the receiving side of an external one may name.
func TestColleagueAndReceiver(t *testing.T) {
	t.Parallel()
	c := &cases.Case{AgencyID: "A", TeamID: "ta", CaseworkerID: "cw"}
	disabled := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	colleagues := []struct {
		name string
		u    org.User
		want bool
	}{
		{"caseworker of another team", org.User{ID: "x", AgencyID: "A", TeamID: "tb", Role: org.Caseworker}, true},
		{"supervisor", org.User{ID: "x", AgencyID: "A", TeamID: "ta", Role: org.Supervisor}, true},
		{"the case's caseworker", org.User{ID: "cw", AgencyID: "A", TeamID: "ta", Role: org.Caseworker}, false},
		{"no team", org.User{ID: "x", AgencyID: "A", Role: org.Caseworker}, false},
		{"manager", org.User{ID: "x", AgencyID: "A", TeamID: "ta", Role: org.Manager}, false},
		{"another agency", org.User{ID: "x", AgencyID: "B", TeamID: "tb", Role: org.Caseworker}, false},
		{"disabled", org.User{ID: "x", AgencyID: "A", TeamID: "ta", Role: org.Caseworker, DisabledAt: disabled}, false},
	}
	for _, tt := range colleagues {
		if got := Colleague(&tt.u, c); got != tt.want {
			t.Errorf("Colleague: %s = %v, want %v", tt.name, got, tt.want)
		}
	}
	mgr := access.Actor{UserID: "m", AgencyID: "B", Role: org.Manager}
	sup := access.Actor{UserID: "s", AgencyID: "B", TeamID: "b1", Role: org.Supervisor}
	anyTeam, team2 := &Transfer{}, &Transfer{ToTeamID: "b2"}
	receivers := []struct {
		name string
		a    access.Actor
		t    *Transfer
		u    org.User
		want bool
	}{
		{"manager names any team's caseworker", mgr, anyTeam, org.User{AgencyID: "B", TeamID: "b2", Role: org.Caseworker}, true},
		{"but the team the transfer names", mgr, team2, org.User{AgencyID: "B", TeamID: "b1", Role: org.Caseworker}, false},
		{"supervisor names their team", sup, anyTeam, org.User{AgencyID: "B", TeamID: "b1", Role: org.Supervisor}, true},
		{"not another team", sup, anyTeam, org.User{AgencyID: "B", TeamID: "b2", Role: org.Caseworker}, false},
		{"not a manager", mgr, anyTeam, org.User{AgencyID: "B", TeamID: "b1", Role: org.Manager}, false},
		{"not another agency", mgr, anyTeam, org.User{AgencyID: "A", TeamID: "ta", Role: org.Caseworker}, false},
		{"not without a team", mgr, anyTeam, org.User{AgencyID: "B", Role: org.Caseworker}, false},
		{"not disabled", mgr, anyTeam, org.User{AgencyID: "B", TeamID: "b1", Role: org.Caseworker, DisabledAt: disabled}, false},
	}
	for _, tt := range receivers {
		if got := Receiver(tt.a, tt.t, &tt.u); got != tt.want {
			t.Errorf("Receiver: %s = %v, want %v", tt.name, got, tt.want)
		}
	}
	for _, r := range []org.Role{org.Caseworker, org.Supervisor, org.Manager, org.AgencyAdmin} {
		a := access.Actor{UserID: "u", AgencyID: "A", TeamID: "t", Role: r}
		if got := MayBulk(a) == nil; got != (r == org.Manager) {
			t.Errorf("%s: MayBulk %v", r, got)
		}
	}
	if MayBulk(access.Actor{UserID: "u", AgencyID: "A", Role: org.Manager, Pending: true}) == nil {
		t.Error("a manager awaiting approval may transfer a team's cases")
	}
}
