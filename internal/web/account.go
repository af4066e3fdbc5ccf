package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// sessionRow is one of the user's sessions as the account page lists it.
type sessionRow struct {
	store.Session
	Device  string
	Current bool // the browser asking
}

type accountPage struct {
	Page
	Tokens   []store.APIToken
	NewToken string // shown once, right after creation
	Agency   string
	Team     string
	SignIns  *signInFailures
	Sessions []sessionRow
	Notices  []account.Notice // shown once, after a reset or an unlock
	MaxDays  int              // the longest a token may last
	Days     string           // the days typed in the token form
	Approver org.Role         // who approves case access, when it waits
	// SecondFactor is what the person has set up to sign in with besides
	// the password (managed on /account/second-factor).
	SecondFactor *mfa.Status
}

// Expired reports whether token t has expired.
func (p *accountPage) Expired(t store.APIToken) bool {
	return !t.ExpiresAt.IsZero() && !p.Now.Before(t.ExpiresAt)
}

func (s *Server) loadAccount(ctx context.Context, rq *request) (*accountPage, error) {
	p := &accountPage{Page: s.page(rq, "account.title", ""), MaxDays: s.prof.MaxTokenDays(),
		Approver: account.ApproverRole(s.prof)}
	p.Days = strconv.Itoa(p.MaxDays)
	notices := false
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Tokens, err = tx.Tokens(ctx, rq.User.ID); err != nil {
			return err
		}
		if p.SignIns, err = s.loadSignInFailures(ctx, tx, rq.User.ID, rq.Now, true); err != nil {
			return err
		}
		if a, err := tx.Agency(ctx, rq.User.AgencyID); err == nil {
			p.Agency = a.Name
		}
		if rq.User.TeamID != "" {
			if t, err := tx.Team(ctx, rq.User.TeamID); err == nil {
				p.Team = t.Name
			}
		}
		if p.Sessions, err = s.sessionRows(ctx, tx, rq); err != nil {
			return err
		}
		st, err := mfa.StatusOf(ctx, tx, rq.User.ID)
		if err != nil {
			return err
		}
		p.SecondFactor = &st
		notices, err = tx.HasNotices(ctx, rq.User.ID)
		return err
	})
	if err == nil && notices {
		err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
			p.Notices, err = tx.TakeNotices(ctx, rq.User.ID, rq.Now)
			return err
		})
	}
	return p, err
}

// sessionRows lists rq's user's sessions in force, with their devices.
func (s *Server) sessionRows(ctx context.Context, tx *store.Tx, rq *request) ([]sessionRow, error) {
	ss, err := tx.UserSessions(ctx, rq.User.ID, rq.Now.Add(-s.cfg.Policy.IdleTimeout), rq.Now)
	if err != nil {
		return nil, err
	}
	out := make([]sessionRow, 0, len(ss))
	for _, x := range ss {
		out = append(out, sessionRow{Session: x, Device: deviceName(rq.L, x.UserAgent),
			Current: rq.Session != nil && rq.Session.ID == x.ID})
	}
	return out, nil
}

// getAccount shows the user's own account: password, sessions and API tokens.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadAccount(r.Context(), rq)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "password":
		p.Flash = "flash.password_changed"
	case "revoked":
		p.Flash = "flash.token_revoked"
	case "ended":
		p.Flash = "flash.session_ended"
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "account", p)
}

// hashPassword hashes a password with the server's parameters.
func (s *Server) hashPassword(p string) (string, error) {
	return auth.HashPassword(p, s.cfg.PasswordParams)
}

// changePassword checks the current password and sets a new one; every
// session of the user ends and every API token is revoked.
func (s *Server) changePassword(r *http.Request, rq *request, current, next, confirm string) error {
	f := account.ChangeProblems(current, next, confirm, rq.User)
	// The current password is checked through the sign-in throttle, so
	// that a stolen session or token cannot guess it; it is checked even
	// when the new one is refused, so that the answer tells nothing more.
	if err := s.ownPassword(r, rq, "current_password", current); err != nil {
		fe, ok := errs.AsFields(err)
		if !ok {
			return err
		}
		f = append(fe, f...)
	}
	if err := f.Err(); err != nil {
		return err
	}
	pw, err := account.NewPassword(next, confirm, rq.User, s.hashPassword)
	if err != nil {
		return err
	}
	return s.db.Tx(r.Context(), func(tx *store.Tx) error {
		_, err := account.ChangePassword(r.Context(), tx, rq.User.ID, pw, rq.Now)
		return err
	})
}

// postPassword changes the user's own password.
//
// Not a formPost: the current password is counted by the sign-in throttle
// in a transaction that commits although the form is refused, the new one
// is hashed outside any transaction (changePassword), and success gives
// this browser a new session cookie.
func (s *Server) postPassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	err = s.changePassword(r, rq, f.raw("current_password"), f.raw("new_password"), f.raw("confirm_password"))
	if fe, ok := errs.AsFields(err); ok {
		p, perr := s.loadAccount(r.Context(), rq)
		if perr != nil {
			return perr
		}
		p.Errors = fe
		return s.render(w, http.StatusUnprocessableEntity, "account", p)
	}
	if err != nil {
		return err
	}
	// Every session is gone; this browser gets a new one.
	u := *rq.User
	u.MustChangePassword = false
	if err := s.startSession(w, r, rq, &u); err != nil {
		return err
	}
	return redirect(w, r, "/account?done=password")
}

// addToken creates a personal API token for rq's user, valid for days (at
// least one, at most the profile's api_token_max); the token itself is
// returned once and only its hash is kept.
func (s *Server) addToken(ctx context.Context, rq *request, name string, days int) (string, *store.APIToken, error) {
	if d := access.Decide(rq.Actor, access.Create, access.Resource{Kind: access.KindOwn, OwnerID: rq.User.ID}); !d.Allow {
		return "", nil, errs.E(errs.Forbidden, "token: %s", d.Reason)
	}
	// A token is made by a person signed in (password and second factor),
	// never by another token: a stolen token must not outlive its expiry
	// by minting the next one.
	if rq.Session == nil {
		return "", nil, &refusal{code: "session_required", message: "api.session_required"}
	}
	name = strings.TrimSpace(name)
	var f errs.Fields
	if name == "" || len(name) > 100 {
		f.Add("name", "err.required")
	}
	if max := s.prof.MaxTokenDays(); days < 1 || days > max {
		f.Add("days", "err.token_expiry", max)
	}
	if err := f.Err(); err != nil {
		return "", nil, err
	}
	tok, hash := auth.NewToken("sc_")
	t := &store.APIToken{UserID: rq.User.ID, Name: name, Hash: hash, CreatedAt: rq.Now,
		ExpiresAt: rq.Now.Add(time.Duration(days) * 24 * time.Hour)}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertToken(ctx, t); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "token.create", RecordType: "api_token", RecordID: t.ID,
			Detail: `{"days":` + strconv.Itoa(days) + `}`})
	})
	return tok, t, err
}

// postToken creates a personal API token.
//
// Not a formPost: success shows the token this once on the account page
// (no redirect).
func (s *Server) postToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	days := 0
	if v := f.str("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil {
			days = -1
		}
	}
	tok, _, err := s.addToken(r.Context(), rq, f.str("name"), days)
	p, perr := s.loadAccount(r.Context(), rq)
	if perr != nil {
		return perr
	}
	if fe, ok := errs.AsFields(err); ok {
		p.Errors, p.Days = fe, f.str("days")
		return s.render(w, http.StatusUnprocessableEntity, "account", p)
	}
	if err != nil {
		return err
	}
	p.NewToken = tok
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "account", p)
}

// revokeToken revokes rq's user's API token id, in its own transaction.
func (s *Server) revokeToken(ctx context.Context, rq *request, id string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error { return revokeTokenIn(ctx, tx, rq, id) })
}

// revokeTokenIn revokes rq's user's API token id in tx, and records it.
func revokeTokenIn(ctx context.Context, tx *store.Tx, rq *request, id string) error {
	if err := tx.RevokeToken(ctx, rq.User.ID, id, rq.Now); err != nil {
		return err
	}
	return tx.Record(ctx, audit.Event{Action: "token.revoke", RecordType: "api_token", RecordID: id})
}

// postRevokeToken revokes one of the user's API tokens. Its form has no
// fields and no page to show again: a refusal is answered as it is.
func (s *Server) postRevokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op:   func(ctx context.Context, tx *store.Tx, f *form) error { return revokeTokenIn(ctx, tx, rq, id) },
		Next: to("/account?done=revoked"),
	})
}

// endSession ends rq's user's session with public ID id, and reports
// whether it was the one asking.
func (s *Server) endSession(ctx context.Context, rq *request, id string) (current bool, err error) {
	current = rq.Session != nil && rq.Session.PublicID == id
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.EndSession(ctx, rq.User.ID, id); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "auth.session_end", RecordType: "session", RecordID: id})
	})
	return current, err
}

// postEndSession ends one of the user's sessions: that browser is signed out.
//
// Not a formPost: ending this browser's own session clears its cookie, like
// postLogout.
func (s *Server) postEndSession(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := parseForm(w, r); err != nil {
		return err
	}
	current, err := s.endSession(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	if current {
		s.clearCookie(w)
		return redirect(w, r, "/login?ended=1")
	}
	return redirect(w, r, "/account?done=ended")
}
