package web

import (
	"net/http"
	"testing"

	"github.com/safecase/safecase/internal/org"
)

// TestNavOffersOnlyWhatAccessAllows keeps the navigation, which is
// presentation, from drifting from the rules: every link each role's menu
// offers answers that role with the page (200), never a refusal, and every
// role lands after sign-in on a page it may open.
func TestNavOffersOnlyWhatAccessAllows(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, key := range testRoles {
			u := e.users[key]
			c := e.session(key)
			links := append(navOf(u), navItem{"home", home(u.Role), ""})
			for _, n := range links {
				if res := c.get(n.Href); res.StatusCode != http.StatusOK {
					t.Errorf("%s (%s): the menu offers %s, which answers %d", key, u.Role, n.Href, res.StatusCode)
				}
			}
		}
		if len(testRoles) < len(org.Roles) {
			t.Errorf("the test signs in %d roles of %d", len(testRoles), len(org.Roles))
		}
	})
}
