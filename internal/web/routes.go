package web

import "errors"

// routeTable lists every route: the pages, the JSON API and the public
// endpoints. Every route decides access through package access; the
// route × role test enumerates this table and fails when a route has no
// expectation for some role.
func (s *Server) routeTable() []route {
	rs := s.baseRoutes()
	for _, area := range areas {
		rs = append(rs, area(s)...)
	}
	return rs
}

// areas are the route tables of the areas of the case file after
// registration; each file of an area adds its own in an init function.
var areas []func(*Server) []route

func (s *Server) baseRoutes() []route {
	return []route{
		// Public
		{"GET", "/login", public, s.getLogin},
		{"POST", "/login", public, s.postLogin},
		{"GET", "/healthz", public, s.health},
		{"GET", "/readyz", public, s.ready},
		{"GET", "/api/v1/openapi.json", public, s.openAPI},

		// Pages
		{"GET", "/{$}", page, s.getHome},
		{"POST", "/logout", page, s.postLogout},
		{"GET", "/account", page, s.getAccount},
		{"POST", "/account/password", page, s.postPassword},
		{"POST", "/account/tokens", page, s.postToken},
		{"POST", "/account/tokens/{id}/revoke", page, s.postRevokeToken},
		{"GET", "/caseload", page, s.getCaseload},
		{"GET", "/tasks", page, s.getTasks},
		{"GET", "/team", page, s.getTeam},
		{"GET", "/identify", page, s.getIdentify},
		{"POST", "/identify", page, s.postIdentify},
		{"GET", "/identifications", page, s.getIdentifications},
		{"GET", "/screen", page, s.getScreen},
		{"POST", "/screen", page, s.postScreen},
		{"GET", "/screenings/{id}", page, s.getScreening},
		{"GET", "/cases/new", page, s.getRegister},
		{"POST", "/cases", page, s.postRegister},
		{"GET", "/cases/{id}", page, s.getCase},
		{"GET", "/cases/{id}/edit", page, s.getEditCase},
		{"POST", "/cases/{id}/edit", page, s.postEditCase},
		{"POST", "/cases/{id}/risk", page, s.postRisk},
		{"POST", "/cases/{id}/urgent", page, s.postUrgent},
		{"POST", "/cases/{id}/assign", page, s.postAssign},
		{"GET", "/cases/{id}/consent", page, s.getConsent},
		{"POST", "/cases/{id}/consent", page, s.postConsent},
		{"POST", "/cases/{id}/consent/{cid}/withdraw", page, s.postWithdraw},
		{"POST", "/cases/{id}/overrides", page, s.postOverride},
		{"POST", "/cases/{id}/overrides/{oid}/revoke", page, s.postRevokeOverride},
		{"POST", "/cases/{id}/exclusions", page, s.postExclusion},
		{"POST", "/cases/{id}/exclusions/{eid}/remove", page, s.postRemoveExclusion},
		{"GET", "/cases/{id}/family", page, s.getFamily},
		{"POST", "/cases/{id}/family", page, s.postFamily},
		{"GET", "/cases/{id}/family/{pid}", page, s.getPerson},
		{"POST", "/cases/{id}/family/{pid}", page, s.postPerson},
		{"POST", "/cases/{id}/family/{pid}/remove", page, s.postRemovePerson},
		{"GET", "/admin/users", page, s.getUsers},
		{"GET", "/admin/users/new", page, s.getNewUser},
		{"POST", "/admin/users", page, s.postUser},
		{"GET", "/admin/users/{id}", page, s.getUser},
		{"POST", "/admin/users/{id}", page, s.postEditUser},
		{"GET", "/admin/teams", page, s.getTeams},
		{"POST", "/admin/teams", page, s.postTeam},
		{"GET", "/admin/agencies", page, s.getAgencies},
		{"POST", "/admin/agencies", page, s.postAgency},
		{"GET", "/audit", page, s.getAudit},

		// JSON API
		{"GET", "/api/v1/me", apiAuth, s.apiMe},
		{"GET", "/api/v1/profile", apiAuth, s.apiProfile},
		{"GET", "/api/v1/cases", apiAuth, s.apiCases},
		{"POST", "/api/v1/cases", apiAuth, s.apiRegister},
		{"GET", "/api/v1/cases/{id}", apiAuth, s.apiCase},
		{"PUT", "/api/v1/cases/{id}/registration", apiAuth, s.apiUpdateRegistration},
		{"POST", "/api/v1/cases/{id}/risk", apiAuth, s.apiRisk},
		{"POST", "/api/v1/cases/{id}/urgent", apiAuth, s.apiUrgent},
		{"POST", "/api/v1/cases/{id}/assign", apiAuth, s.apiAssign},
		{"GET", "/api/v1/cases/{id}/consent", apiAuth, s.apiConsent},
		{"POST", "/api/v1/cases/{id}/consents", apiAuth, s.apiAddConsent},
		{"POST", "/api/v1/cases/{id}/consents/{cid}/withdraw", apiAuth, s.apiWithdraw},
		{"POST", "/api/v1/cases/{id}/overrides", apiAuth, s.apiOverride},
		{"POST", "/api/v1/cases/{id}/overrides/{oid}/revoke", apiAuth, s.apiRevokeOverride},
		{"POST", "/api/v1/cases/{id}/exclusions", apiAuth, s.apiExclusion},
		{"DELETE", "/api/v1/cases/{id}/exclusions/{eid}", apiAuth, s.apiRemoveExclusion},
		{"GET", "/api/v1/cases/{id}/family", apiAuth, s.apiFamily},
		{"POST", "/api/v1/cases/{id}/family", apiAuth, s.apiAddPerson},
		{"PUT", "/api/v1/cases/{id}/family/{pid}", apiAuth, s.apiUpdatePerson},
		{"DELETE", "/api/v1/cases/{id}/family/{pid}", apiAuth, s.apiRemovePerson},
		{"GET", "/api/v1/identifications", apiAuth, s.apiIdentifications},
		{"POST", "/api/v1/identifications", apiAuth, s.apiIdentify},
		{"POST", "/api/v1/screenings", apiAuth, s.apiScreen},
		{"GET", "/api/v1/screenings/{id}", apiAuth, s.apiScreening},
		{"GET", "/api/v1/tasks", apiAuth, s.apiTasks},
		{"GET", "/api/v1/team", apiAuth, s.apiTeam},
		{"GET", "/api/v1/users", apiAuth, s.apiUsers},
		{"POST", "/api/v1/users", apiAuth, s.apiAddUser},
		{"GET", "/api/v1/users/{id}", apiAuth, s.apiUser},
		{"PATCH", "/api/v1/users/{id}", apiAuth, s.apiEditUser},
		{"GET", "/api/v1/teams", apiAuth, s.apiTeams},
		{"POST", "/api/v1/teams", apiAuth, s.apiAddTeam},
		{"GET", "/api/v1/agencies", apiAuth, s.apiAgencies},
		{"POST", "/api/v1/agencies", apiAuth, s.apiAddAgency},
		{"GET", "/api/v1/audit", apiAuth, s.apiAudit},
		{"GET", "/api/v1/tokens", apiAuth, s.apiTokens},
		{"POST", "/api/v1/tokens", apiAuth, s.apiAddToken},
		{"DELETE", "/api/v1/tokens/{id}", apiAuth, s.apiRevokeToken},
	}
}

// errorsAs is errors.As, named for the few call sites in this package.
var errorsAs = errors.As
