package web

// searchExpectations: the search page and API are for the roles that work
// with cases (caseworkers, supervisors, managers, service providers); the
// others get 403 (the route is not hidden from them, it does nothing for
// them). An empty search answers 200 with no results.
func searchExpectations() map[string]expect {
	searchers := []string{"caseworker", "supervisor", "manager", "service_provider", "caseworker2", "other_agency"}
	return map[string]expect{
		"GET /search":        {allow: searchers, deny: 403},
		"POST /search":       {allow: searchers, deny: 403},
		"GET /api/v1/search": {allow: searchers, deny: 403},
	}
}
