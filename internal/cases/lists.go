package cases

import (
	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
)

// Caseload returns which cases a's caseload lists: the agency's for whoever
// oversees the whole agency (access.ListScope), otherwise a's own (a
// supervisor sees their team's in the team view, TeamView). Access still
// decides on the list itself.
func Caseload(a access.Actor) (access.Scope, string) {
	if widest, _ := access.ListScope(a.Role); widest == access.Agency {
		return access.Agency, a.AgencyID
	}
	return access.Own, a.UserID
}

// TeamView says which team's view a sees: nil error and the team (empty
// when a picks one: picks reports whether a chooses among the agency's
// teams, as whoever oversees the whole agency does), or Forbidden for a
// role whose widest list is its own.
func TeamView(a access.Actor) (team string, picks bool, err error) {
	widest, ok := access.ListScope(a.Role)
	switch {
	case !ok || widest == access.Own:
		return "", false, errs.E(errs.Forbidden, "team view: %s has no team view", a.Role)
	case widest == access.Agency:
		return "", true, nil
	}
	return a.TeamID, false, nil
}
