package web

import (
	"github.com/safecase/safecase/internal/errs"
)

// gate is a state of an account that closes every route but a few until
// the person deals with it: while it holds, a page sends the browser to
// where the person deals with it, and the API answers 403 with an error
// whose code names the gate and whose message says what to do. The gates
// are checked in wrap, after authentication, for every page and API route.
//
// To add a gate, append one to gates: a code (the API error's code), when
// it holds, the routes it leaves open (as in the route table, "METHOD
// /path"), the page to send browsers to, and the catalog key of its message
// (and add "gate.<code>" to the catalog).
type gate struct {
	code    string
	holds   func(rq *request) bool
	open    map[string]bool
	page    string
	message string
}

// gates are the account gates in the order the person deals with them: the
// first that holds decides which routes are open, so that a person who must
// both change their password and set up a second factor changes the
// password first (with it, the second factor's pages are closed), then is
// led to the second factor.
var gates = []*gate{
	{
		code:  "password_change_required",
		holds: func(rq *request) bool { return rq.User.MustChangePassword },
		open: routeSet("POST /logout", "GET /account", "POST /account/password",
			"POST /api/v1/account/password"),
		page:    "/account",
		message: "gate.password_change_required",
	},
	{
		// The profile's second_factor_roles name the user's role and they
		// have no second factor yet: they set one up before anything else.
		code:  "second_factor_required",
		holds: func(rq *request) bool { return rq.MustEnrol },
		open: routeSet("POST /logout", "GET /account/second-factor", "POST /account/second-factor/totp",
			"POST /account/second-factor/totp/confirm", "POST /account/second-factor/passkeys/begin",
			"POST /account/second-factor/passkeys/finish"),
		page:    "/account/second-factor",
		message: "gate.second_factor_required",
	},
}

func routeSet(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// gateFor returns the gate that closes route rt to rq's user, or nil: the
// first gate that holds decides.
func gateFor(rq *request, rt route) *gate {
	for _, g := range gates {
		if g.holds(rq) {
			if g.open[rt.method+" "+rt.path] {
				return nil
			}
			return g
		}
	}
	return nil
}

// Error makes a gate the error a closed route answers with: 403 Forbidden.
func (g *gate) Error() string { return "account gate " + g.code + ": route closed" }

// Unwrap gives the gate its kind, Forbidden.
func (g *gate) Unwrap() error { return errs.ErrForbidden }
