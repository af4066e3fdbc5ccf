package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// teamsOf lists the teams of agency (every team when empty).
func (e *env) teamsOf(agency string) []org.Team {
	e.t.Helper()
	var ts []org.Team
	ctx := context.Background()
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		ts, err = tx.Teams(ctx, agency)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return ts
}

// TestAdminTeamsAndAgencies: the pages and the API add teams and agencies
// through account.AddTeam and account.AddAgency: an agency administrator's
// team lands in their own agency whatever they name; an unknown agency is
// a field error (422), never a server error, and adds nothing; a taken
// agency code likewise.
func TestAdminTeamsAndAgencies(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		sys, admin := e.session("system_admin"), e.session("agency_admin")
		before := len(e.teamsOf(""))
		if res := sys.post("/admin/teams", url.Values{"agency_id": {"no-such-agency"}, "name": {"Lost"}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("team in an unknown agency: %d", res.StatusCode)
		}
		res := sys.json("POST", "/api/v1/teams", `{"agency_id":"no-such-agency","name":"Lost"}`)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "agency_id") {
			t.Errorf("API team in an unknown agency: %d %s", res.StatusCode, res.Body)
		}
		if n := len(e.teamsOf("")); n != before {
			t.Errorf("refused teams were added: %d teams, want %d", n, before)
		}
		if res := admin.post("/admin/teams", url.Values{"agency_id": {e.agencyB}, "name": {"East"}}); res.StatusCode != http.StatusSeeOther || res.location() != "/admin/teams" {
			t.Errorf("agency admin's team: %d %s", res.StatusCode, res.location())
		}
		found := false
		for _, tm := range e.teamsOf(e.agency) {
			found = found || tm.Name == "East"
		}
		if !found {
			t.Errorf("the agency admin's team is not in their own agency")
		}
		if res := sys.post("/admin/teams", url.Values{"agency_id": {e.agencyB}, "name": {"West"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("system admin's team: %d", res.StatusCode)
		}
		if ts := e.teamsOf(e.agencyB); len(ts) != 2 {
			t.Errorf("the system admin's team is not in the agency chosen: %v", ts)
		}
		if res := sys.post("/admin/agencies", url.Values{"name": {"Again"}, "code": {"hfc"}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("taken agency code: %d", res.StatusCode)
		}
		if res := admin.post("/admin/agencies", url.Values{"name": {"Mine"}, "code": {"MINE"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("agency admin adds an agency: %d", res.StatusCode)
		}
		if res := sys.post("/admin/agencies", url.Values{"name": {"New Org"}, "code": {"new"}}); res.StatusCode != http.StatusSeeOther || res.location() != "/admin/agencies" {
			t.Errorf("new agency: %d %s", res.StatusCode, res.location())
		}
	})
}
