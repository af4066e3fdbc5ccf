package share

import (
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/org"
)

// TestExcluded writes down the matching rule of the exclusion list: an
// agency by its ID, a name as a substring of the names given, ignoring case
// and spaces around it; removed exclusions and blank names never match.
func TestExcluded(t *testing.T) {
	t.Parallel()
	removed := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		ex     []consent.Exclusion
		agency string
		names  []string
		want   bool
	}{
		{"empty list", nil, "A", []string{"Hope Clinic"}, false},
		{"agency by ID", []consent.Exclusion{{AgencyID: "A"}}, "A", nil, true},
		{"another agency", []consent.Exclusion{{AgencyID: "A"}}, "B", []string{"A"}, false},
		{"no agency given", []consent.Exclusion{{AgencyID: "A"}}, "", nil, false},
		{"blank agency in the list matches no blank agency", []consent.Exclusion{{AgencyID: ""}}, "", nil, false},
		{"exact name", []consent.Exclusion{{Name: "Hope Clinic"}}, "", []string{"Hope Clinic"}, true},
		{"name within a longer name", []consent.Exclusion{{Name: "Hope"}}, "", []string{"The Hope Centre"}, true},
		{"longer name not within a shorter one", []consent.Exclusion{{Name: "Hope Clinic"}}, "", []string{"Hope"}, false},
		{"case ignored", []consent.Exclusion{{Name: "hope CLINIC"}}, "", []string{"HOPE clinic"}, true},
		{"spaces around ignored", []consent.Exclusion{{Name: "  Hope  "}}, "", []string{" hope clinic "}, true},
		{"spaces inside kept", []consent.Exclusion{{Name: "Ho pe"}}, "", []string{"Hope"}, false},
		{"any of the names", []consent.Exclusion{{Name: "Mary"}}, "", []string{"Other Aid", "", "Mary Focal"}, true},
		{"none of the names", []consent.Exclusion{{Name: "Mary"}}, "", []string{"Other Aid", "John"}, false},
		{"blank name in the list", []consent.Exclusion{{Name: "  "}}, "", []string{"Hope"}, false},
		{"blank name given", []consent.Exclusion{{Name: "Hope"}}, "", []string{"", "  "}, false},
		{"removed agency", []consent.Exclusion{{AgencyID: "A", RemovedAt: removed}}, "A", nil, false},
		{"removed name", []consent.Exclusion{{Name: "Hope", RemovedAt: removed}}, "", []string{"Hope"}, false},
		{"removed then added again", []consent.Exclusion{{AgencyID: "A", RemovedAt: removed}, {AgencyID: "A"}}, "A", nil, true},
		{"agency entry does not match by name", []consent.Exclusion{{AgencyID: "A"}}, "B", []string{"A"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Excluded(tt.ex, tt.agency, tt.names...); got != tt.want {
				t.Errorf("Excluded(%+v, %q, %q) = %v, want %v", tt.ex, tt.agency, tt.names, got, tt.want)
			}
		})
	}
}

// TestMayBreakGlass lists who may ask for break-glass access at all.
func TestMayBreakGlass(t *testing.T) {
	t.Parallel()
	for _, r := range []org.Role{org.Caseworker, org.Supervisor, org.Manager, org.ServiceProvider, org.Volunteer,
		org.IMOfficer, org.DPOfficer, org.AgencyAdmin, org.SystemAdmin} {
		a := access.Actor{UserID: "u", AgencyID: "A", TeamID: "t", Role: r}
		want := r == org.Caseworker || r == org.Supervisor || r == org.Manager
		if got := MayBreakGlass(a) == nil; got != want {
			t.Errorf("%s: MayBreakGlass %v, want %v", r, got, want)
		}
		a.Pending = true
		if MayBreakGlass(a) == nil {
			t.Errorf("%s awaiting approval may break the glass", r)
		}
	}
}
