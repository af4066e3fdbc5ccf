package web

import (
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// gate is a state of an account that closes every route but a few until
// the person deals with it: while it holds, a page sends the browser to
// where the person deals with it, and the API answers 403 with an error
// whose code names the gate and whose message says what to do. The gates
// are checked in wrap, after authentication, for every page and API route.
//
// To add a gate (say, "must enrol a second factor"), append one to gates:
// a code (the API error's code), when it holds, the routes it leaves open
// (as in the route table, "METHOD /path"), the page to send browsers to,
// and the catalog key of its message (and add "gate.<code>" to the catalog).
type gate struct {
	code    string
	holds   func(u *org.User) bool
	open    map[string]bool
	page    string
	message string
}

// gates are the account gates, first match wins.
var gates = []*gate{
	{
		code:  "password_change_required",
		holds: func(u *org.User) bool { return u.MustChangePassword },
		open: routeSet("POST /logout", "GET /account", "POST /account/password",
			"POST /api/v1/account/password"),
		page:    "/account",
		message: "gate.password_change_required",
	},
}

func routeSet(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// gateFor returns the gate that closes route rt to u, or nil.
func gateFor(u *org.User, rt route) *gate {
	for _, g := range gates {
		if g.holds(u) && !g.open[rt.method+" "+rt.path] {
			return g
		}
	}
	return nil
}

// Error makes a gate the error a closed route answers with: 403 Forbidden.
func (g *gate) Error() string { return "account gate " + g.code + ": route closed" }

// Unwrap gives the gate its kind, Forbidden.
func (g *gate) Unwrap() error { return errs.ErrForbidden }
