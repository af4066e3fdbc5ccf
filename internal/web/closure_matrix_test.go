package web

import (
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/store"
)

// Expectations of the closure routes. A proposal waits on a case made
// afresh for each request (so one role's approval does not change what the
// next one finds); the post-closure follow-up and reopening run on a case
// closed afresh, with caseworker2 — of another team — as the designee.
func closureExpectations() map[string]expect {
	editors := expect{allow: caseEditors, denyAs: caseDeny}
	decide := expect{allow: []string{"supervisor"}, denyAs: approveDeny, fresh: (*matrix).closureProposed}
	// Feedback: only the designee; the caseworker never; the supervisor not
	// when someone else is designated; the manager reads but does not record.
	feedback := expect{allow: []string{"caseworker2"}, fresh: (*matrix).closureClosed,
		denyAs: map[string]int{"caseworker": 403, "supervisor": 403, "manager": 403}}
	reopen := expect{allow: caseEditors, fresh: (*matrix).closureClosed,
		denyAs: map[string]int{"manager": 403, "caseworker2": 403}}
	with := func(x expect, body string) expect { x.body = body; return x }
	return map[string]expect{
		// The designee opens the closed case's closure page; nobody else outside its caseload does.
		"GET /cases/{id}/closure":                 {allow: append([]string{"caseworker2"}, caseStaff...), fresh: (*matrix).closureClosed},
		"POST /cases/{id}/closure":                with(editors, "version=1"),
		"POST /cases/{id}/closure/return":         with(decide, "version=2&required_actions=Visit+the+school+first"),
		"POST /cases/{id}/closure/approve":        with(decide, "version=2"),
		"POST /cases/{id}/feedback":               with(feedback, "child_safe=safe"),
		"POST /cases/{id}/reopen":                 with(reopen, "version=3&reopen_reason=She+came+back"),
		"POST /cases/{id}/age-out":                with(editors, "version=1"),
		"GET /api/v1/cases/{id}/closure":          {allow: caseStaff},
		"POST /api/v1/cases/{id}/closure":         with(editors, `{"version":1}`),
		"POST /api/v1/cases/{id}/closure/return":  with(decide, `{"version":2,"required_actions":"Visit the school first"}`),
		"POST /api/v1/cases/{id}/closure/approve": with(decide, `{"version":2}`),
		"POST /api/v1/cases/{id}/feedback":        with(feedback, `{"answers":{},"child_safe":"safe"}`),
		"POST /api/v1/cases/{id}/reopen":          with(reopen, `{"version":3,"reopen_reason":"She came back"}`),
		"POST /api/v1/cases/{id}/age-out":         with(editors, `{"version":1}`),
	}
}

// closureProposed registers a case of the caseworker and proposes its
// closure (the case is then at version 2).
func (m *matrix) closureProposed(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		c, err := m.newCase(tx)
		if err != nil {
			return err
		}
		id = c.ID
		_, err = closure.Propose(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), c.ID, c.Version,
			closure.ProposeInput{Reason: closure.Death}, m.e.clock.now())
		return err
	})
	return map[string]string{"id": id}
}

// closureClosed registers a case of the caseworker and closes it, with
// caseworker2 doing the post-closure follow-up (the case is then at version 3).
func (m *matrix) closureClosed(role string) map[string]string {
	vals := m.closureProposed(role)
	m.tx(func(tx *store.Tx) error {
		_, err := closure.Approve(m.ctx(), tx, m.e.srv.prof, m.actor("supervisor"), vals["id"], 2,
			m.e.users["caseworker2"].ID, m.e.clock.now())
		return err
	})
	return vals
}

// newCase registers a case of the caseworker.
func (m *matrix) newCase(tx *store.Tx) (*cases.Case, error) {
	age := 12
	return cases.Register(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), cases.Registration{Type: "cp", GivenName: "Closure",
		Age: &age, Sex: "male", Location: "x", Contact: "y", CareStatus: "accompanied", Concerns: []string{"neglect"},
		RiskLevel: "low", RiskReason: "test"}, func() string { return cases.NewCode("C") }, m.e.clock.now())
}
