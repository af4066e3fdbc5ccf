package web

import (
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/store"
)

// duplicateExpectations: the case's supervisor and the agency's manager
// mark a case as a duplicate or registered in error, and undo it; its
// caseworker sees the case but may not (403); nobody else sees it (404).
// Each request has a case of its own, made afresh.
func duplicateExpectations() map[string]expect {
	mark := expect{allow: []string{"supervisor", "manager"}, denyAs: map[string]int{"caseworker": 403},
		fresh: (*matrix).freshCase}
	undo := mark
	undo.fresh = (*matrix).voidCase
	with := func(x expect, body string) expect { x.body = body; return x }
	return map[string]expect{
		"POST /cases/{id}/duplicate":             with(mark, "version=1&void_reason=registered_in_error"),
		"POST /cases/{id}/duplicate/undo":        with(undo, "version=2"),
		"POST /api/v1/cases/{id}/duplicate":      with(mark, `{"version":1,"void_reason":"registered_in_error"}`),
		"POST /api/v1/cases/{id}/duplicate/undo": with(undo, `{"version":2}`),
	}
}

// freshCase registers a case of the caseworker (at version 1).
func (m *matrix) freshCase(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		c, err := m.newCase(tx)
		if err == nil {
			id = c.ID
		}
		return err
	})
	return map[string]string{"id": id}
}

// voidCase registers a case of the caseworker and has the supervisor mark
// it as registered in error (the case is then at version 2).
func (m *matrix) voidCase(role string) map[string]string {
	vals := m.freshCase(role)
	m.tx(func(tx *store.Tx) error {
		_, err := cases.MarkVoid(m.ctx(), tx, m.actor("supervisor"), vals["id"], 1,
			cases.VoidInput{Reason: cases.ReasonInError}, m.e.clock.now())
		return err
	})
	return vals
}
