package web

// Expectations of the routes of issue 8's case-side fixes: the consent
// register (its lookup is open to everyone signed in and shows nothing by
// itself; a case's register is read by whoever may read its consent records
// and, for a closed case, by the data protection officer of its agency).
func init() {
	areaExpectations = append(areaExpectations, func() map[string]expect {
		// On a case closed afresh: its supervisor and the officer; the
		// caseworker and the manager no longer read its consent records.
		closedRegister := expect{allow: []string{"supervisor", "dp_officer"}, fresh: (*matrix).closureClosed}
		return map[string]expect{
			"GET /consent-register":                   {allow: everyone},
			"GET /cases/{id}/consent-register":        closedRegister,
			"GET /api/v1/cases/{id}/consent-register": closedRegister,
		}
	})
}
