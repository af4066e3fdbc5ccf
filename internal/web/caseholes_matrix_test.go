package web

import (
	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/store"
)

// Expectations of the routes of issue 8's case-side fixes.
//
// The consent register: its lookup is open to everyone signed in and shows
// nothing by itself; a case's register is read by whoever may read its
// consent records and, for a closed case, by the data protection officer
// of its agency.
//
// Link requests: the matrix case's caseworker and supervisor answer a
// request of another agency to link it, and withdraw a request of theirs;
// the manager, who reads the case, is refused (403); anyone else finds no
// such case (404). Each request is made afresh, so that one role's answer
// does not change what the next one finds.
func caseholesExpectations() map[string]expect {
	// On a case closed afresh: its supervisor and the officer; the
	// caseworker and the manager no longer read its consent records.
	closedRegister := expect{allow: []string{"supervisor", "dp_officer"}, fresh: (*matrix).closureClosed}
	incoming := func(body string) expect {
		return expect{allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).incomingLinkRequest, body: body}
	}
	outgoing := func(body string) expect {
		return expect{allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).outgoingLinkRequest, body: body}
	}
	return map[string]expect{
		"GET /consent-register":                                {allow: everyone},
		"GET /cases/{id}/consent-register":                     closedRegister,
		"GET /api/v1/cases/{id}/consent-register":              closedRegister,
		"POST /cases/{id}/link-requests/{rid}/accept":          incoming("version=1"),
		"POST /cases/{id}/link-requests/{rid}/decline":         incoming("version=1"),
		"POST /cases/{id}/link-requests/{rid}/withdraw":        outgoing("version=1"),
		"POST /api/v1/cases/{id}/link-requests/{rid}/accept":   incoming(`{"version":1}`),
		"POST /api/v1/cases/{id}/link-requests/{rid}/decline":  incoming(`{"version":1}`),
		"POST /api/v1/cases/{id}/link-requests/{rid}/withdraw": outgoing(`{"version":1}`),
	}
}

// incomingLinkRequest has a new case of the other agency's caseworker ask
// to link the matrix case.
func (m *matrix) incomingLinkRequest(role string) map[string]string {
	var rid string
	m.tx(func(tx *store.Tx) error {
		age := 30
		from, err := cases.Register(m.ctx(), tx, m.e.srv.prof, m.actor("other_agency"), cases.Registration{Type: "gbv",
			GivenName: "Mother", Age: &age, Sex: "female", Location: "x", Contact: "y", CareStatus: "accompanied",
			Concerns: []string{"neglect"}, RiskLevel: "low", RiskReason: "test"}, func() string { return cases.NewCode("C") },
			m.e.clock.now())
		if err != nil {
			return err
		}
		c, err := tx.Case(m.ctx(), m.caseID)
		if err != nil {
			return err
		}
		_, r, err := caselink.Add(m.ctx(), tx, m.e.srv.prof, m.actor("other_agency"), from.ID,
			caselink.Input{Code: c.Code, Relation: "parent_child"}, m.e.clock.now())
		if err == nil {
			rid = r.ID
		}
		return err
	})
	return map[string]string{"id": m.caseID, "rid": rid}
}

// outgoingLinkRequest has the matrix case ask to link a code no case has
// (a new one each time).
func (m *matrix) outgoingLinkRequest(role string) map[string]string {
	var rid string
	m.tx(func(tx *store.Tx) error {
		_, r, err := caselink.Add(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), m.caseID,
			caselink.Input{Code: cases.NewCode("Z"), Relation: "siblings"}, m.e.clock.now())
		if err == nil {
			rid = r.ID
		}
		return err
	})
	return map[string]string{"id": m.caseID, "rid": rid}
}
