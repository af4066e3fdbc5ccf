package access_test

import (
	"testing"

	"github.com/safecase/safecase/internal/access"
)

// TestDecideMarkVoid: a case is marked as a duplicate or as registered in
// error (and the marking undone, on the closed case) by the supervisor of
// its team or the manager of its agency; never by its caseworker, another
// team's supervisor, another agency, a break-glass reader or a role that
// does no case work.
func TestDecideMarkVoid(t *testing.T) {
	t.Parallel()
	allowed := map[string]map[string]bool{
		"supervisor":       {"own": true, "team": true},
		"supervisor B":     {"other team": true},
		"manager":          {"own": true, "team": true, "other team": true},
		"other manager":    {"other agency": true},
		"other supervisor": {"other agency": true},
	}
	for name, a := range actors {
		for caseName, c := range caseRefs {
			for _, closed := range []bool{false, true} {
				c := c
				c.Closed = closed
				c.Grants = []access.Grant{{Via: access.ViaBreakGlass, UserID: a.UserID, AgencyID: a.AgencyID,
					Sections: access.Sections}}
				d := access.Decide(a, access.MarkVoid, access.Resource{Kind: access.KindCase, Case: c,
					Section: access.Registration})
				if want := allowed[name][caseName]; d.Allow != want {
					t.Errorf("%s marks the %s case (closed %v): %v (%s), want %v", name, caseName, closed, d.Allow,
						d.Reason, want)
				}
			}
		}
	}
}
