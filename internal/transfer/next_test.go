package transfer

import (
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/org"
)

// TestStatePredicates lists, for every state of a transfer, whether it may
// be decided and withdrawn: the rules Decide and Withdraw apply and the
// transfer page offers.
func TestStatePredicates(t *testing.T) {
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
