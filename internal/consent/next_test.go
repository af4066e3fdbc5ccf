package consent_test

import (
	"testing"
	"time"

	"github.com/safecase/safecase/internal/consent"
)

// TestWhatARecordAllows: the consent page asks a record and an exclusion
// what state they are in; Withdraw and RemoveExclusion check the same.
func TestWhatARecordAllows(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name              string
		r                 consent.Record
		active, withdrawn bool
	}{
		{"given", consent.Record{Decision: consent.Given}, true, false},
		{"given, withdrawn", consent.Record{Decision: consent.Given, WithdrawnAt: at}, false, true},
		{"refused", consent.Record{Decision: consent.Refused}, false, false},
	}
	for _, tt := range tests {
		if a, w := tt.r.Active(), tt.r.Withdrawn(); a != tt.active || w != tt.withdrawn {
			t.Errorf("%s: active %v withdrawn %v, want %v %v", tt.name, a, w, tt.active, tt.withdrawn)
		}
	}
	if e := (consent.Exclusion{}); !e.InForce() {
		t.Error("a new exclusion is not in force")
	}
	if e := (consent.Exclusion{RemovedAt: at}); e.InForce() {
		t.Error("a removed exclusion is still in force")
	}
}
