package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/signin"
	"github.com/safecase/safecase/internal/storable"
	"github.com/safecase/safecase/internal/store"
)

type loginPage struct {
	Page
	Username string
	Next     string
	Failed   bool
	Wait     string // how long to wait before the next attempt, in words; "" when not slowed down
	Again    string // message key: why the person signs in again (the second step expired or failed)
}

func (s *Server) getLogin(w http.ResponseWriter, r *http.Request, rq *request) error {
	p := loginPage{Page: s.page(rq, "login.title", ""), Next: safeNext(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("ended") != "" {
		p.Flash = "login.signed_out"
	}
	if r.URL.Query().Get("setup") != "" {
		p.Flash = "login.setup_done"
	}
	switch r.URL.Query().Get("again") {
	case "expired":
		p.Again = "second.again_expired"
	case "attempts":
		p.Again = "second.again_attempts"
	}
	return s.render(w, http.StatusOK, "login", &p)
}

// signIn checks a username and password against the sign-in throttles
// (package signin) and returns the user when they match. It starts no
// session. When the user has a second factor it returns the token of the
// pending sign-in that awaits it (package mfa): the password step then only
// gives its throttle count back, and the sign-in is recorded after the
// second step; otherwise the sign-in is recorded here. An attempt that came
// too early gets a *signin.WaitError (kind TooManyRequests) before its
// password is looked at; a wrong password, an unknown username and a
// disabled account all get the same Unauthenticated error, and take the
// same time.
func (s *Server) signIn(r *http.Request, rq *request, username, password string) (u *org.User, pending string, err error) {
	ctx := r.Context()
	username = signin.Normalize(username)
	if username == "" || password == "" {
		return nil, "", errs.E(errs.Unauthenticated, "username or password missing")
	}
	ip := s.clientIP(r)
	pol := s.cfg.SignIn
	// A read first, so that a flood of refused attempts writes nothing;
	// Begin checks again under lock, and counts the attempt.
	err = s.db.Read(ctx, func(tx *store.Tx) error { return signin.Check(ctx, tx, pol, username, ip, rq.Now) })
	var a *signin.Attempt
	if err == nil {
		err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
			a, err = signin.Begin(ctx, tx, pol, username, ip, rq.Now)
			return err
		})
	}
	var we *signin.WaitError
	if errors.As(err, &we) {
		if aerr := s.db.Audit(ctx, audit.Event{Action: "auth.login_refused", RecordType: "user", RecordID: username,
			Reason: "slowed down", Detail: fmt.Sprintf(`{"wait_s":%d}`, we.Seconds())}); aerr != nil {
			s.log.Error("audit refused sign-in", "err", aerr)
		}
		return nil, "", err
	}
	if err != nil {
		return nil, "", err
	}
	ok := false
	if a.User != nil && a.User.SetupPending() {
		auth.BurnTime(password) // no password yet: only the setup code opens the account
	} else if a.User != nil {
		ok, err = auth.CheckPassword(a.User.PasswordHash, password)
		if err != nil {
			return nil, "", err
		}
		ok = ok && a.User.Active()
	} else {
		auth.BurnTime(password)
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if !ok {
			return signin.Fail(ctx, tx, a)
		}
		st, err := mfa.StatusOf(ctx, tx, a.User.ID)
		if err != nil {
			return err
		}
		if !mfa.NeedsSecondStep(st) {
			return signin.Succeed(ctx, tx, pol, a)
		}
		if err := signin.Release(ctx, tx, pol, a); err != nil {
			return err
		}
		pending, err = mfa.StartSignIn(ctx, tx, a.User.ID, rq.Now)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", errs.E(errs.Unauthenticated, "wrong username or password")
	}
	return a.User, pending, nil
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request, rq *request) error {
	// parseForm refuses text that cannot be stored: a username is kept in
	// the throttle and the audit trail.
	if _, err := parseForm(w, r); err != nil {
		return err
	}
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	if old := cookieValue(r, s.pendingCookie()); old != "" {
		// A second step left half-way is given up by signing in afresh.
		ctx := r.Context()
		if err := s.db.Tx(ctx, func(tx *store.Tx) error { return mfa.AbandonSignIn(ctx, tx, old) }); err != nil {
			return err
		}
		s.dropCookie(w, s.pendingCookie())
	}
	u, pending, err := s.signIn(r, rq, username, password)
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Unauthenticated && k != errs.TooManyRequests {
			return err
		}
		p := loginPage{Page: s.page(rq, "login.title", ""), Username: username, Next: next, Failed: k == errs.Unauthenticated}
		var we *signin.WaitError
		if errors.As(err, &we) {
			w.Header().Set("Retry-After", strconv.Itoa(we.Seconds()))
			p.Wait = waitWords(rq.L, we.Seconds())
		}
		return s.render(w, errs.Status(err), "login", &p)
	}
	if pending != "" {
		// The password was right; the session starts after the second factor.
		s.setShortCookie(w, s.pendingCookie(), pending, mfa.SignInFor)
		to := "/login/second-factor"
		if next != "" {
			to += "?next=" + url.QueryEscape(next)
		}
		return redirect(w, r, to)
	}
	if err := s.startSession(w, r, rq, u); err != nil {
		return err
	}
	next = s.landing(r.Context(), u, next)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// startSession creates a session for u and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, rq *request, u *org.User) error {
	tok, hash := auth.NewToken("")
	sess := &store.Session{ID: hash, UserID: u.ID, CreatedAt: rq.Now, LastSeenAt: rq.Now,
		ExpiresAt: rq.Now.Add(s.cfg.Policy.MaxSession), IP: s.clientIP(r), UserAgent: truncate(r.UserAgent(), 200)}
	ctx := r.Context()
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.InsertSession(ctx, sess) }); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: tok, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	return nil
}

// truncate cuts s, a request header, to at most n bytes without splitting a
// character, keeping only text that can be stored: headers are not refused
// as form fields are.
func truncate(s string, n int) string {
	s = storable.Name(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteSession(ctx, rq.Session.ID); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "auth.logout", RecordType: "user", RecordID: rq.User.ID})
	})
	if err != nil {
		return err
	}
	s.clearCookie(w)
	// The browser forgets what it kept of the session's pages (ASVS 8.2.3).
	w.Header().Set("Clear-Site-Data", `"cache", "storage"`)
	http.Redirect(w, r, "/login?ended=1", http.StatusSeeOther)
	return nil
}

func (s *Server) getHome(w http.ResponseWriter, r *http.Request, rq *request) error {
	http.Redirect(w, r, s.landing(r.Context(), rq.User, ""), http.StatusSeeOther)
	return nil
}

// health answers /healthz: the process is up.
func (s *Server) health(w http.ResponseWriter, r *http.Request, rq *request) error {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
	return nil
}

// ready answers /readyz: the database answers.
func (s *Server) ready(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Error("readyz", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return nil
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ready\n"))
	return nil
}
