package closure_test

import (
	"testing"

	"github.com/safecase/safecase/internal/closure"
)

// TestLastReturned: the closure page shows the required actions of a
// return only while the latest decision is that return.
func TestLastReturned(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		closures []closure.Closure // newest first
		want     string            // ID of the returned closure, or ""
	}{
		{"none", nil, ""},
		{"only proposed", []closure.Closure{{ID: "p", Status: closure.Proposed}}, ""},
		{"returned", []closure.Closure{{ID: "r", Status: closure.Returned}}, "r"},
		{"proposed again after a return", []closure.Closure{{ID: "p", Status: closure.Proposed}, {ID: "r", Status: closure.Returned}}, "r"},
		{"approved after a return", []closure.Closure{{ID: "a", Status: closure.Approved}, {ID: "r", Status: closure.Returned}}, ""},
	}
	for _, tt := range tests {
		st := &closure.State{Closures: tt.closures}
		got := ""
		if c := st.LastReturned(); c != nil {
			got = c.ID
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
