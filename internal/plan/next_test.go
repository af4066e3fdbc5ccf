package plan_test

import (
	"testing"

	"github.com/safecase/safecase/internal/plan"
)

// TestWhatAPlanAllows: the plan page asks the plan what it allows next; the
// operations check the same predicates (TestSubmit, TestSave).
func TestWhatAPlanAllows(t *testing.T) {
	t.Parallel()
	type allows struct{ open, submit, approve, awaits, returned, superseded bool }
	tests := map[string]allows{
		plan.Draft:      {open: true, submit: true},
		plan.Returned:   {open: true, returned: true},
		plan.Submitted:  {approve: true, awaits: true},
		plan.Active:     {},
		plan.Superseded: {superseded: true},
	}
	for status, want := range tests {
		p := &plan.Plan{Status: status}
		got := allows{p.Open(), p.CanSubmit(), p.CanApprove(), p.AwaitsApproval(), p.WasReturned(), p.IsSuperseded()}
		if got != want {
			t.Errorf("%s: %+v, want %+v", status, got, want)
		}
	}
}

// TestOpenReferralActions: the referral form offers the plan's referral
// actions still to do, in plan order; direct actions and finished ones are
// not offered.
func TestOpenReferralActions(t *testing.T) {
	t.Parallel()
	pl := &plan.Plan{Actions: []plan.Action{
		{ID: "a", Kind: "referral", Status: plan.Planned},
		{ID: "b", Kind: "direct", Status: plan.Planned},
		{ID: "c", Kind: "referral", Status: plan.Done},
		{ID: "d", Kind: "referral", Status: plan.Doing},
		{ID: "e", Kind: "referral", Status: plan.Cancelled},
	}}
	var got []string
	for _, a := range pl.OpenReferralActions() {
		got = append(got, a.ID)
	}
	if len(got) != 2 || got[0] != "a" || got[1] != "d" {
		t.Errorf("OpenReferralActions = %v, want [a d]", got)
	}
	if (&plan.Plan{}).OpenReferralActions() != nil {
		t.Error("a plan without actions offers some")
	}
}
