package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	keyset "github.com/safecase/safecase/internal/keys"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/signin"
	"github.com/safecase/safecase/internal/store"
)

// Two-factor sign-in in the product (package mfa holds the rules): the
// second step of signing in, after the password, and the gate that leads a
// person whose role must use a second factor to set one up. The pages that
// set factors up and manage them are in mfa_account.go.

// secondFactor is what the server needs for second factors, made once at
// start from the configuration.
type secondFactor struct {
	// sealer seals authenticator apps' secrets with a key derived from the
	// deployment's key; nil without one (tests only): no apps are offered.
	sealer *mfa.Sealer
	// rp is SafeCase as passkeys see it, from the base URL; nil without a
	// usable one (unset, not https nor http://localhost, or with a path):
	// no passkeys are offered, apps still are.
	rp *mfa.RelyingParty
}

// newSecondFactor prepares second factors from cfg, saying in the log what
// is offered and, when passkeys are not, why.
func newSecondFactor(cfg Config, log *slog.Logger) (*secondFactor, error) {
	sf := &secondFactor{}
	if cfg.Keys != nil {
		var err error
		if sf.sealer, err = mfa.NewSealer(cfg.Keys.Derive(keyset.TOTPSecrets)); err != nil {
			return nil, err
		}
	} else {
		log.Warn("no deployment key: authenticator apps are not offered as a second factor")
	}
	if cfg.BaseURL != "" {
		rp, err := mfa.NewRelyingParty(cfg.BaseURL)
		if err != nil {
			log.Warn("passkeys are not offered", "reason", err.Error())
		}
		sf.rp = rp
	} else {
		log.Info("passkeys are not offered: set --base-url to the https address users open")
	}
	return sf, nil
}

// mustEnrol reports whether u must set up a second factor before doing
// anything else, reading whether they have one only when their role needs
// one: the request path calls it inside its session read.
func (s *Server) mustEnrol(ctx context.Context, tx *store.Tx, u *org.User) (bool, error) {
	if !s.prof.RequiresSecondFactor(u.Role) {
		return false, nil
	}
	has, err := tx.HasSecondFactor(ctx, u.ID)
	return !has, err
}

// The cookies of the second step and of a passkey's registration: each
// holds a token whose hash the database keeps, for a few minutes.

func (s *Server) pendingCookie() string {
	if s.cfg.SecureCookies {
		return "__Host-safecase-pending"
	}
	return "safecase-pending"
}

func (s *Server) ceremonyCookie() string {
	if s.cfg.SecureCookies {
		return "__Host-safecase-passkey"
	}
	return "safecase-passkey"
}

func (s *Server) setShortCookie(w http.ResponseWriter, name, value string, d time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(d / time.Second),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func (s *Server) dropCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// The second step of signing in.

type secondStepPage struct {
	Page
	Next         string
	TOTP         bool // an authenticator app's code is asked for
	Passkey      bool // a passkey may answer (set up, and offered by this server)
	AttemptsLeft int
	Max          int
	LockedUntil  time.Time
	PasskeyJS    string
}

// loginAgain sends the browser back to the sign-in page, saying why, and
// keeping the page it was going to.
func loginAgain(w http.ResponseWriter, r *http.Request, why, next string) error {
	q := url.Values{"again": {why}}
	if next != "" {
		q.Set("next", next)
	}
	return redirect(w, r, "/login?"+q.Encode())
}

// loadSecondStep reads the pending sign-in of the browser for the page.
func (s *Server) loadSecondStep(ctx context.Context, rq *request, token, next string) (*secondStepPage, error) {
	var si *mfa.SignIn
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		si, err = mfa.LookupSignIn(ctx, tx, token, rq.Now)
		return err
	})
	if err != nil {
		return nil, err
	}
	p := &secondStepPage{Page: s.page(rq, "second.title", ""), Next: next, TOTP: si.Status.TOTP,
		Passkey: si.Status.Passkeys > 0 && s.second.rp != nil, AttemptsLeft: si.AttemptsLeft, Max: mfa.MaxAttempts,
		LockedUntil: si.LockedUntil, PasskeyJS: s.static.url("passkey.js")}
	return p, nil
}

// getSecondStep asks for the second factor of a sign-in whose password
// was right.
func (s *Server) getSecondStep(w http.ResponseWriter, r *http.Request, rq *request) error {
	next := safeNext(r.URL.Query().Get("next"))
	p, err := s.loadSecondStep(r.Context(), rq, cookieValue(r, s.pendingCookie()), next)
	if errors.Is(err, mfa.ErrSignInGone) {
		s.dropCookie(w, s.pendingCookie())
		return loginAgain(w, r, "expired", next)
	}
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "login_second", p)
}

// postSecondStep checks the answer: a code from the app, a recovery code,
// or a passkey's answer (which the page's script puts in the field
// "passkey"). Only an accepted answer starts the session; a wrong one is
// counted and audited by package mfa, so the transaction commits either way.
func (s *Server) postSecondStep(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	next := safeNext(f.raw("next"))
	token := cookieValue(r, s.pendingCookie())
	ans := mfa.Answer{Code: f.raw("code")}
	if v := f.raw("passkey"); v != "" {
		ans = mfa.Answer{Passkey: []byte(v)}
	}
	var out mfa.Outcome
	var u *org.User
	err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		if out, err = mfa.SecondStep(ctx, tx, s.second.sealer, s.second.rp, token, ans, rq.Now); err != nil {
			return err
		}
		if out.UserID == "" {
			return nil
		}
		if u, err = tx.User(ctx, out.UserID); err != nil {
			return err
		}
		// The sign-in happens now: only now is the address one the account
		// uses, and only now is auth.login recorded.
		return signin.Complete(ctx, tx, u, s.clientIP(r), rq.Now)
	})
	if err != nil {
		return err
	}
	switch {
	case out.UserID != "":
		s.dropCookie(w, s.pendingCookie())
		if err := s.startSession(w, r, rq, u); err != nil {
			return err
		}
		if out.Method == mfa.MethodRecovery {
			// Likely a lost phone: lead the person to their second factors.
			return redirect(w, r, "/account/second-factor?done=recovery_used")
		}
		return redirect(w, r, s.landing(ctx, u, next))
	case errors.Is(out.Refused, mfa.ErrSignInGone):
		s.dropCookie(w, s.pendingCookie())
		return loginAgain(w, r, "expired", next)
	case errors.Is(out.Refused, mfa.ErrTooManyAttempts):
		s.dropCookie(w, s.pendingCookie())
		return loginAgain(w, r, "attempts", next)
	}
	p, err := s.loadSecondStep(ctx, rq, token, next)
	if errors.Is(err, mfa.ErrSignInGone) {
		s.dropCookie(w, s.pendingCookie())
		return loginAgain(w, r, "expired", next)
	}
	if err != nil {
		return err
	}
	status := http.StatusUnprocessableEntity
	if fe, ok := errs.AsFields(out.Refused); ok {
		// Shown at the field the code was typed in.
		to := "app_code"
		if f.raw("form") == "recovery" {
			to = "recovery_code"
		}
		p.Errors = renameField(fe, "code", to)
	} else if errors.Is(out.Refused, mfa.ErrLocked) {
		status = http.StatusTooManyRequests
		if !p.LockedUntil.IsZero() {
			w.Header().Set("Retry-After", strconv.Itoa(int(p.LockedUntil.Sub(rq.Now).Seconds()+1)))
		}
	}
	return s.render(w, status, "login_second", p)
}

// postSecondStepPasskey starts the passkey ceremony of the pending sign-in
// and answers the options for navigator.credentials.get, as JSON for the
// page's script.
func (s *Server) postSecondStepPasskey(w http.ResponseWriter, r *http.Request, rq *request) error {
	rq.API = true // errors answer as JSON, for the script
	if s.second.rp == nil {
		return errs.E(errs.NotFound, "passkeys are not offered by this server")
	}
	ctx := r.Context()
	var opts []byte
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		opts, err = mfa.BeginPasskeyStep(ctx, tx, s.second.rp, cookieValue(r, s.pendingCookie()), rq.Now)
		return err
	})
	if err != nil {
		return err
	}
	return writeRawJSON(w, opts)
}

// writeRawJSON answers JSON already encoded, never cached.
func writeRawJSON(w http.ResponseWriter, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(append(b, '\n'))
	return err
}

// renameField returns fe with the errors of field from put on field to:
// the domain names "code", the page has a field for each kind of code.
func renameField(fe errs.Fields, from, to string) errs.Fields {
	out := append(errs.Fields(nil), fe...)
	for i := range out {
		if out[i].Field == from {
			out[i].Field = to
		}
	}
	return out
}
