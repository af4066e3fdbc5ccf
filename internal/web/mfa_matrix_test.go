package web

import (
	"testing"

	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/passkeytest"
	"github.com/safecase/safecase/internal/store"
)

// Expectations of the second factor's routes. The second step is public: a
// browser without a pending sign-in is sent back to sign in (the JSON
// options answer 401). Everyone manages their own factors; a passkey of
// someone else (caseworker2's, made afresh for each request) answers like a
// missing one to everyone but its owner, administrators included: there is
// no route to remove someone else's factor but the account reset.
func mfaExpectations() map[string]expect {
	others := expect{allow: []string{"caseworker2"}, fresh: (*matrix).othersPasskey}
	return map[string]expect{
		"GET /login/second-factor":          {status: 303},
		"POST /login/second-factor":         {status: 303, body: "code=123456"},
		"POST /login/second-factor/passkey": {status: 401},

		"GET /account/second-factor":                       {allow: everyone},
		"POST /account/second-factor/totp":                 {allow: everyone},
		"POST /account/second-factor/totp/confirm":         {allow: everyone, body: "code=123456"},
		"POST /account/second-factor/totp/remove":          {allow: everyone},
		"POST /account/second-factor/recovery":             {allow: everyone},
		"POST /account/second-factor/passkeys/begin":       {allow: everyone, body: "name=laptop"},
		"POST /account/second-factor/passkeys/finish":      {allow: everyone, body: "name=laptop"},
		"POST /account/second-factor/passkeys/{id}/rename": {allow: others.allow, fresh: others.fresh, body: "name=mine"},
		"POST /account/second-factor/passkeys/{id}/remove": {allow: others.allow, fresh: others.fresh},

		"GET /api/v1/account/second-factor": {allow: everyone},
	}
}

// othersPasskey registers a passkey of caseworker2 and returns its ID.
func (m *matrix) othersPasskey(role string) map[string]string {
	e := m.e
	t := e.t.(*testing.T)
	k := passkeytest.New(t, e.origin())
	a := m.actor("caseworker2")
	var token string
	var opts []byte
	m.tx(func(tx *store.Tx) (err error) {
		token, opts, err = mfa.BeginPasskey(m.ctx(), tx, e.srv.second.rp, a, e.clock.now())
		return err
	})
	var id string
	m.tx(func(tx *store.Tx) error {
		p, _, err := mfa.FinishPasskey(m.ctx(), tx, e.srv.second.rp, a, token, "matrix", k.Create(t, opts), e.clock.now())
		if err == nil {
			id = p.ID
		}
		return err
	})
	return map[string]string{"id": id}
}
