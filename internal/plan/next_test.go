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
