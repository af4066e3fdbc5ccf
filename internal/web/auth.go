package web

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/storable"
	"github.com/safecase/safecase/internal/store"
)

type loginPage struct {
	Page
	Username string
	Next     string
	Failed   bool
	Locked   bool
}

func (s *Server) getLogin(w http.ResponseWriter, r *http.Request, rq *request) error {
	p := loginPage{Page: s.page(rq, "login.title", ""), Next: safeNext(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("ended") != "" {
		p.Flash = "login.signed_out"
	}
	return s.render(w, http.StatusOK, "login", &p)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return ""
	}
	return next
}

// signIn checks a username and password against the throttles, and returns
// the user when they match. Failures count against the account and the
// client address; either locks for a while when it reaches its limit.
func (s *Server) signIn(r *http.Request, rq *request, username, password string) (*org.User, error) {
	ctx := r.Context()
	username = strings.ToLower(strings.TrimSpace(username))
	if username == "" || password == "" {
		return nil, errs.E(errs.Unauthenticated, "username or password missing")
	}
	ip := s.clientIP(r)
	userKey, ipKey := "user:"+username, "ip:"+ip
	pol := s.cfg.Policy
	var u *org.User
	var locked bool
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		for _, k := range []string{userKey, ipKey} {
			t, err := tx.Throttle(ctx, k)
			if err != nil {
				return err
			}
			locked = locked || t.Locked(rq.Now)
		}
		var err error
		u, err = tx.UserByName(ctx, username)
		if errs.KindOf(err) == errs.NotFound {
			u, err = nil, nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if locked {
		auth.BurnTime(password)
		s.db.Audit(ctx, audit.Event{Action: "auth.login_refused", RecordType: "user", RecordID: username, Reason: "locked"})
		return nil, errs.E(errs.TooManyRequests, "sign-in locked")
	}
	ok := false
	if u != nil {
		ok, err = auth.CheckPassword(u.PasswordHash, password)
		if err != nil {
			return nil, err
		}
		ok = ok && u.Active()
	} else {
		auth.BurnTime(password)
	}
	if ok {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.ClearThrottle(ctx, userKey); err != nil {
				return err
			}
			return tx.Record(ctx, audit.Event{ActorID: u.ID, ActorRole: string(u.Role), AgencyID: u.AgencyID,
				Action: "auth.login", RecordType: "user", RecordID: u.ID})
		})
		return u, err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		nowLocked := false
		for _, k := range []struct {
			key   string
			limit int
		}{{userKey, pol.AccountFailures}, {ipKey, pol.AddressFailures}} {
			t, err := tx.Throttle(ctx, k.key)
			if err != nil {
				return err
			}
			t = t.Fail(rq.Now, k.limit, pol)
			nowLocked = nowLocked || t.Locked(rq.Now)
			if err := tx.SaveThrottle(ctx, t); err != nil {
				return err
			}
		}
		e := audit.Event{Action: "auth.login_failed", RecordType: "user", RecordID: username}
		if u != nil {
			e.RecordID, e.AgencyID = u.ID, u.AgencyID
		}
		if nowLocked {
			e.Reason = "lockout started"
		}
		return tx.Record(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	return nil, errs.E(errs.Unauthenticated, "wrong username or password")
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request, rq *request) error {
	// parseForm refuses text that cannot be stored: a username is kept in
	// the throttle and the audit trail.
	if _, err := parseForm(w, r); err != nil {
		return err
	}
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	u, err := s.signIn(r, rq, username, password)
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Unauthenticated && k != errs.TooManyRequests {
			return err
		}
		p := loginPage{Page: s.page(rq, "login.title", ""), Username: username, Next: next,
			Failed: k == errs.Unauthenticated, Locked: k == errs.TooManyRequests}
		return s.render(w, errs.Status(err), "login", &p)
	}
	if err := s.startSession(w, r, rq, u); err != nil {
		return err
	}
	if next == "" {
		next = home(u.Role)
	}
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
	http.Redirect(w, r, "/login?ended=1", http.StatusSeeOther)
	return nil
}

func (s *Server) getHome(w http.ResponseWriter, r *http.Request, rq *request) error {
	http.Redirect(w, r, home(rq.User.Role), http.StatusSeeOther)
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
