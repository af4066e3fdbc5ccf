package web

import "github.com/safecase/safecase/internal/org"

// navItem is one link of the main navigation.
type navItem struct{ Key, Href, Label string }

// navFor returns the navigation of a role: each role sees the work it does,
// and everyone the service directory.
func navFor(r org.Role) []navItem {
	return append(roleNav(r), navItem{"directory", "/directory", "nav.directory"})
}

// navOf returns the navigation of user u: while u's case access awaits
// approval, only what needs none.
func navOf(u *org.User) []navItem {
	if u.CaseAccessPending {
		return []navItem{{"identify", "/identify", "nav.identify"}, {"directory", "/directory", "nav.directory"}}
	}
	return navFor(u.Role)
}

// roleNav is the work of a role.
func roleNav(r org.Role) []navItem {
	caseload := navItem{"caseload", "/caseload", "nav.caseload"}
	tasks := navItem{"tasks", "/tasks", "nav.tasks"}
	idents := navItem{"identifications", "/identifications", "nav.identifications"}
	screen := navItem{"screen", "/screen", "nav.screen"}
	register := navItem{"register", "/cases/new", "nav.register"}
	identify := navItem{"identify", "/identify", "nav.identify"}
	coord := navItem{"coordination", "/coordination", "nav.coordination"}
	accounts := navItem{"accounts", "/accounts", "nav.accounts"}
	switch r {
	case org.Caseworker:
		return []navItem{caseload, tasks, coord, idents, screen, register}
	case org.Supervisor:
		return []navItem{{"team", "/team", "nav.team"}, caseload, tasks, coord, idents, screen, register}
	case org.Manager:
		return []navItem{{"caseload", "/caseload", "nav.agency_caseload"}, {"team", "/team", "nav.teams"}, coord, idents, screen, register,
			accounts}
	case org.ServiceProvider:
		return []navItem{coord, identify}
	case org.DPOfficer:
		return []navItem{{"audit", "/audit", "nav.audit"}, {"glass", "/break-glass/log", "nav.glass_log"}, accounts,
			{"consent_register", "/consent-register", "nav.consent_register"}, identify}
	case org.AgencyAdmin:
		return []navItem{{"users", "/admin/users", "nav.users"}, {"teams", "/admin/teams", "nav.teams_admin"}, identify}
	case org.SystemAdmin:
		return []navItem{{"users", "/admin/users", "nav.users"}, {"teams", "/admin/teams", "nav.teams_admin"},
			{"agencies", "/admin/agencies", "nav.agencies"}}
	}
	return []navItem{identify}
}

// home is where each role lands after signing in.
func home(r org.Role) string {
	switch r {
	case org.Caseworker, org.Manager:
		return "/caseload"
	case org.Supervisor:
		return "/team"
	case org.ServiceProvider:
		return "/coordination"
	case org.DPOfficer:
		return "/audit"
	case org.AgencyAdmin, org.SystemAdmin:
		return "/admin/users"
	}
	return "/identify"
}
