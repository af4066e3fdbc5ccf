package referral

import (
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/org"
)

// TestStatePredicates lists, for every state of a referral, which steps it
// allows: the rules Respond, RecordService and RecordOutcome apply and the
// referral page offers.
func TestStatePredicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status                           string
		answer, service, close, withdraw bool
	}{
		{Sent, true, false, false, true},
		{Accepted, false, true, true, true},
		{Declined, false, false, true, false},
		{Provided, false, false, true, false},
		{Closed, false, false, false, false},
		{Withdrawn, false, false, false, false},
		{"unknown", false, false, false, false},
	}
	for _, tt := range tests {
		r := &Referral{Status: tt.status}
		got := []bool{r.CanAnswer(), r.CanRecordService(), r.CanClose(), r.CanWithdraw()}
		want := []bool{tt.answer, tt.service, tt.close, tt.withdraw}
		for i, name := range []string{"CanAnswer", "CanRecordService", "CanClose", "CanWithdraw"} {
			if got[i] != want[i] {
				t.Errorf("%s: %s() = %v, want %v", tt.status, name, got[i], want[i])
			}
		}
	}
}

// TestNextFor checks that what the page offers joins the state with the
// actor's side: the receiver answers and records the service, the sending
// caseworker closes or withdraws, and nobody does anything on a closed case
// but what a closed file allows.
func TestNextFor(t *testing.T) {
	t.Parallel()
	c := access.Case{ID: "c", AgencyID: "A", TeamID: "ta", CaseworkerID: "cw"}
	closedCase := c
	closedCase.Closed = true
	cw := access.Actor{UserID: "cw", AgencyID: "A", TeamID: "ta", Role: org.Caseworker}
	provider := access.Actor{UserID: "sp", AgencyID: "B", Role: org.ServiceProvider}
	other := access.Actor{UserID: "sp2", AgencyID: "C", Role: org.ServiceProvider}
	tests := []struct {
		name   string
		status string
		a      access.Actor
		c      access.Case
		want   Next
	}{
		{"receiver, sent", Sent, provider, c, Next{Answer: true}},
		{"receiver, accepted", Accepted, provider, c, Next{Service: true}},
		{"receiver, provided", Provided, provider, c, Next{}},
		{"sender, sent", Sent, cw, c, Next{Withdraw: true}},
		{"sender, accepted", Accepted, cw, c, Next{Close: true, Withdraw: true}},
		{"sender, declined", Declined, cw, c, Next{Close: true}},
		{"sender, provided", Provided, cw, c, Next{Close: true}},
		{"sender, closed", Closed, cw, c, Next{}},
		{"sender, case closed", Provided, cw, closedCase, Next{}},
		{"someone else", Sent, other, c, Next{}},
	}
	for _, tt := range tests {
		r := &Referral{Status: tt.status, FromAgencyID: "A", ToAgencyID: "B", SentBy: "cw"}
		if got := r.NextFor(tt.a, tt.c); got != tt.want {
			t.Errorf("%s: NextFor = %+v, want %+v", tt.name, got, tt.want)
		}
		if got := r.NextFor(tt.a, tt.c); got.Outcome() != (tt.want.Close || tt.want.Withdraw) {
			t.Errorf("%s: Outcome() = %v", tt.name, got.Outcome())
		}
	}
}

// TestRoleRules lists who may share under a new override and who has a
// coordination inbox.
func TestRoleRules(t *testing.T) {
	t.Parallel()
	for _, r := range []org.Role{org.Caseworker, org.Supervisor, org.Manager, org.ServiceProvider, org.Volunteer,
		org.IMOfficer, org.DPOfficer, org.AgencyAdmin, org.SystemAdmin} {
		a := access.Actor{UserID: "u", AgencyID: "A", TeamID: "t", Role: r}
		if got, want := MayOverride(a), r == org.Supervisor; got != want {
			t.Errorf("%s: MayOverride = %v, want %v", r, got, want)
		}
		inbox := r == org.Caseworker || r == org.Supervisor || r == org.Manager || r == org.ServiceProvider
		if got := HasInbox(a) == nil; got != inbox {
			t.Errorf("%s: has an inbox %v, want %v", r, got, inbox)
		}
		a.Pending = true
		if HasInbox(a) == nil {
			t.Errorf("%s awaiting approval has an inbox", r)
		}
	}
}
