package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// authKind says how a route authenticates.
type authKind int

const (
	public  authKind = iota // anyone
	page                    // a browser session; without one, the sign-in page
	apiAuth                 // an API token or a browser session; JSON errors
)

// route is one line of the route table.
type route struct {
	method string
	path   string
	auth   authKind
	h      handler
}

// handler serves one route for a request rq already authenticated.
type handler func(w http.ResponseWriter, r *http.Request, rq *request) error

// request is what a handler knows about who is asking.
type request struct {
	User    *org.User
	Actor   access.Actor
	L       *i18n.Locale
	Session *store.Session
	API     bool
	Now     time.Time
	Unread  int // unread notifications, for the page header
	// MustEnrol: the user's role must use a second factor and they have
	// none yet (the gate second_factor_required holds).
	MustEnrol bool
	// reads collects the audit events of the reads the request makes; the
	// response waits until they are durable (see auditRead).
	reads readAudits
}

// auditRead records e, a read of case content, in the audit trail: its
// durable write starts now, and the response is held until it is done (a
// read that cannot be audited answers 500, never the page). Loaders call it
// where they read, instead of returning a wait function.
func (rq *request) auditRead(ctx context.Context, e audit.Event) { rq.reads.add(ctx, e) }

// cookieName is the session cookie's name; the __Host- prefix binds it to
// this host, over HTTPS, for the whole site.
func (s *Server) cookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-safecase"
	}
	return "safecase"
}

func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{Now: s.now(), API: rt.auth == apiAuth, L: s.cat.Locale(s.prof.Languages[0]),
			reads: readAudits{start: s.db.AuditAsync}}
		if rt.auth != public {
			if err := s.authenticate(w, r, rq); err != nil {
				s.fail(w, r, rq, err)
				return
			}
			if g := gateFor(rq, rt); g != nil {
				if rt.auth == page {
					http.Redirect(w, r, g.page, http.StatusSeeOther)
					return
				}
				s.fail(w, r, rq, g)
				return
			}
			r = r.WithContext(audit.WithMeta(r.Context(), audit.Meta{ActorID: rq.User.ID,
				ActorRole: string(rq.User.Role), AgencyID: rq.User.AgencyID, IP: s.clientIP(r)}))
		} else {
			r = r.WithContext(audit.WithMeta(r.Context(), audit.Meta{IP: s.clientIP(r)}))
		}
		if err := checkURL(r); err != nil {
			s.fail(w, r, rq, err)
			return
		}
		s.serveAudited(w, r, rq, rt.h)
	})
}

// authenticate finds the user behind r: an API bearer token, or the session cookie.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); rq.API && h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return errs.E(errs.Unauthenticated, "authorization header is not a bearer token")
		}
		var t *store.APIToken
		var u *org.User
		err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
			if t, u, err = tx.TokenUser(ctx, auth.HashToken(strings.TrimSpace(tok)), rq.Now); err != nil {
				return err
			}
			rq.MustEnrol, err = s.mustEnrol(ctx, tx, u)
			return err
		})
		// Only a token the store does not know (or knows as expired or
		// revoked) is refused as such; a failing database is a failure.
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return err
		}
		if err != nil || !u.Active() {
			return errs.E(errs.Unauthenticated, "unknown, expired or revoked API token")
		}
		if rq.Now.Sub(t.LastUsedAt) > time.Minute {
			// The time of last use is bookkeeping shown with the owner's
			// tokens; the read above has checked the token. A failure to
			// record it does not refuse the request (the next one tries
			// again) but is logged, naming the token's record, never the
			// token.
			if err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.TouchToken(ctx, t.ID, rq.Now) }); err != nil && ctx.Err() == nil {
				s.log.Error("recording an API token's last use", "token_id", t.ID, "user_id", u.ID, "err", err)
			}
		}
		rq.setUser(u)
		return nil
	}
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return errs.E(errs.Unauthenticated, "no session")
	}
	id := auth.HashToken(c.Value)
	var sess *store.Session
	var u *org.User
	err = s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if sess, u, err = tx.SessionUser(ctx, id); err != nil {
			return err
		}
		// Whether the second-factor gate holds, in the same read (and only
		// for a role that must use one).
		if rq.MustEnrol, err = s.mustEnrol(ctx, tx, u); err != nil {
			return err
		}
		// A page shows the unread notifications in its header: counted in
		// the same read.
		if !rq.API && r.Method == http.MethodGet {
			rq.Unread, err = tx.UnreadNotifications(ctx, u.ID, 100)
		}
		return err
	})
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			s.clearCookie(w)
			return errs.E(errs.Unauthenticated, "session ended")
		}
		return err
	}
	idle := rq.Now.Sub(sess.LastSeenAt) > s.cfg.Policy.IdleTimeout
	if idle || rq.Now.After(sess.ExpiresAt) || !u.Active() {
		// The session is refused by the check above whatever happens to
		// its row: a row left behind stays idle or expired, and is deleted
		// again at its next use. So a failed deletion does not fail the
		// request; it is logged, naming the user, never the session's
		// token or its hash.
		if err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteSession(ctx, id) }); err != nil && ctx.Err() == nil {
			s.log.Error("deleting an ended session", "user_id", u.ID, "err", err)
		}
		s.clearCookie(w)
		return errs.E(errs.Unauthenticated, "session expired")
	}
	// Record activity at most once a minute, so that reading pages is not a
	// stream of writes.
	if rq.Now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.db.Tx(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, id, rq.Now) }); err != nil {
			return err
		}
	}
	rq.Session = sess
	rq.setUser(u)
	return nil
}

func (rq *request) setUser(u *org.User) {
	rq.User = u
	rq.Actor = access.Actor{UserID: u.ID, AgencyID: u.AgencyID, TeamID: u.TeamID, Role: u.Role, Now: rq.Now,
		Pending: u.CaseAccessPending}
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// fail answers a request whose handler returned err: 4xx errors in plain
// words, 5xx errors logged with their detail and shown only as status text.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	status := errs.Status(err)
	var de *errs.DeniedError
	if errors.As(err, &de) {
		// Denials are audited; the answer still looks like a missing record.
		if aerr := s.db.Audit(r.Context(), audit.Event{Action: "access.denied", RecordType: de.Record,
			RecordID: de.ID, CaseID: de.CaseID, AgencyID: de.AgencyID, Reason: de.Reason}); aerr != nil {
			s.log.Error("audit denial", "err", aerr)
		}
	}
	if status >= 500 {
		if errors.Is(err, r.Context().Err()) {
			return // the client went away
		}
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if rq.API || strings.HasPrefix(r.URL.Path, "/api/") {
		s.apiError(w, rq, status, s.auditConflictRead(r.Context(), err))
		return
	}
	if status == http.StatusUnauthorized {
		next := "/login"
		if r.Method == http.MethodGet && r.URL.Path != "/" {
			next += "?next=" + url.QueryEscape(r.URL.Path)
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.errorPage(w, r, rq, status, err)
}

// notFound answers requests that match no route.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	rq := &request{Now: s.now(), L: s.cat.Locale(s.prof.Languages[0])}
	s.fail(w, r, rq, errs.E(errs.NotFound, "no route"))
}
