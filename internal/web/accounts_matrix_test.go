package web

import (
	"time"

	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// Expectations of the account administration routes. Resets, unlocks and
// approvals act on an account made afresh for each request (so that no
// fixture user loses case access or a session the rest of the matrix
// needs); ending a session ends a second session of the asking user.
func accountsExpectations() map[string]expect {
	// Supervisors and managers see their colleagues, so a refused
	// administrative act is a 403 to them and a 404 to everyone else.
	manage := expect{allow: admins, fresh: (*matrix).freshUser, denyAs: seeColleagues}
	readers := []string{"dp_officer", "manager"}
	// The DPO reads the approvals but a manager approves (the default profile).
	decide := expect{allow: []string{"manager"}, fresh: (*matrix).freshApproval, denyAs: map[string]int{"dp_officer": 403}}
	own := expect{allow: everyone, fresh: (*matrix).otherSession}
	return map[string]expect{
		"GET /setup":  {status: 200},
		"POST /setup": {status: 422},

		"POST /admin/users/{id}/reset":          manage,
		"POST /admin/users/{id}/unlock":         manage,
		"GET /accounts":                         {allow: readers, deny: 403},
		"POST /accounts/approvals/{id}/approve": decide,
		"POST /accounts/approvals/{id}/refuse":  decide,
		"POST /account/sessions/{id}/end":       own,

		"POST /api/v1/users/{id}/reset":       manage,
		"POST /api/v1/users/{id}/unlock":      manage,
		"GET /api/v1/approvals":               {allow: readers, deny: 403},
		"POST /api/v1/approvals/{id}/approve": decide,
		"POST /api/v1/approvals/{id}/refuse":  decide,
		"GET /api/v1/account-events":          {allow: readers, deny: 403},
		"GET /api/v1/sessions":                {allow: everyone},
		"DELETE /api/v1/sessions/{id}":        own,
		"POST /api/v1/account/password":       {allow: everyone, body: "{}"},
	}
}

// freshUser adds a caseworker to agency A, team 1, and returns its ID.
func (m *matrix) freshUser(role string) map[string]string {
	u := &org.User{AgencyID: m.e.agency, TeamID: m.e.team, Username: "fresh-" + store.NewID()[24:], DisplayName: "Fresh",
		Role: org.Caseworker, PasswordHash: "x", CreatedAt: m.e.clock.now(), UpdatedAt: m.e.clock.now()}
	m.tx(func(tx *store.Tx) error { return tx.InsertUser(m.ctx(), u) })
	return map[string]string{"id": u.ID}
}

// freshApproval has the agency administrator add a caseworker, whose case
// access then waits, and returns the waiting approval's ID.
func (m *matrix) freshApproval(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		c, err := account.Create(m.ctx(), tx, m.e.srv.prof, account.By(m.actor("agency_admin")), org.NewUser{
			Username: "pending-" + store.NewID()[24:], DisplayName: "Pending", Role: org.Caseworker, TeamID: m.e.team},
			account.CreateOptions{}, m.e.clock.now())
		if err != nil {
			return err
		}
		open, err := tx.OpenApprovals(m.ctx(), m.e.agency)
		for _, a := range open {
			if a.UserID == c.User.ID {
				id = a.ID
			}
		}
		return err
	})
	return map[string]string{"id": id}
}

// otherSession starts a second session of role's user and returns its public ID.
func (m *matrix) otherSession(role string) map[string]string {
	_, hash := auth.NewToken("")
	now := m.e.clock.now()
	s := &store.Session{ID: hash, UserID: m.e.users[role].ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	m.tx(func(tx *store.Tx) error { return tx.InsertSession(m.ctx(), s) })
	return map[string]string{"id": s.PublicID}
}

// seeColleagues: supervisors and managers see the users of their agency (to
// assign cases), so an administrative act refused to them is a 403.
var seeColleagues = map[string]int{"supervisor": 403, "manager": 403}
