// Package web serves SafeCase over HTTP: the server-rendered pages, the JSON
// API under /api/v1 with its OpenAPI document, sign-in and sessions, and the
// security headers every response carries. Handlers translate HTTP into calls
// on the domain packages; access decisions come from package access.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/clientip"
	"github.com/safecase/safecase/internal/i18n"
	keyset "github.com/safecase/safecase/internal/keys" // "keys" is taken in this package
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/signin"
	"github.com/safecase/safecase/internal/store"
)

// Config holds what the server needs besides its database and profile.
type Config struct {
	Policy         auth.Policy
	SignIn         signin.Policy // sign-in throttling; zero for signin.DefaultPolicy
	PasswordParams auth.Params
	// SecureCookies marks cookies Secure (and names the session cookie
	// __Host-…). Off only for plain-HTTP development on localhost.
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For
	// entries are believed (none: the client is the connection's peer).
	TrustedProxies clientip.Proxies
	Logger         *slog.Logger
	Now            func() time.Time
	Version        string
	// Mailer, when e-mail is configured, mails setup links to people who
	// have an address (the administrator then never sees the code).
	Mailer Mailer
	// BaseURL is the address users open, for the setup links; it is also
	// the site passkeys are bound to (https, or http://localhost to try it
	// out; without a usable one passkeys are not offered).
	BaseURL string
	// Keys is the deployment's key (nil in tests that do not need it):
	// derive a subkey per purpose with Keys.Derive. Authenticator apps'
	// secrets are sealed with one; without it no app is offered.
	Keys *keyset.Set
}

// Mailer sends the one mail the server sends itself: a setup link.
type Mailer interface {
	// SendSetup mails to the link with which its owner sets a password.
	SendSetup(ctx context.Context, to, link string, now time.Time) error
}

// Server is the HTTP side of SafeCase.
type Server struct {
	db      *store.DB
	prof    *profile.Profile
	cat     *i18n.Catalog
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	tmpl    *templates
	static  *staticFiles
	routes  []route
	handler http.Handler
	second  *secondFactor
}

// New returns a server over db with profile p.
func New(db *store.DB, p *profile.Profile, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Policy == (auth.Policy{}) {
		cfg.Policy = auth.DefaultPolicy
	}
	if cfg.SignIn == (signin.Policy{}) {
		cfg.SignIn = signin.DefaultPolicy
	}
	if cfg.PasswordParams == (auth.Params{}) {
		cfg.PasswordParams = auth.DefaultParams
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	s := &Server{db: db, prof: p, cat: cat, cfg: cfg, log: cfg.Logger, now: cfg.Now}
	if s.static, err = loadStatic(); err != nil {
		return nil, err
	}
	if s.tmpl, err = loadTemplates(cat); err != nil {
		return nil, err
	}
	if s.second, err = newSecondFactor(cfg, cfg.Logger); err != nil {
		return nil, err
	}
	s.routes = s.routeTable()
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	mux.Handle("GET /static/", http.HandlerFunc(s.serveStatic))
	mux.HandleFunc("/", s.notFound)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
	}))
	s.handler = s.recoverer(s.logRequests(securityHeaders(cfg.SecureCookies, cop.Handler(gzipped(mux)))))
	return s, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists every route as "METHOD /path", for tests and the OpenAPI check.
func (s *Server) Routes() []string {
	out := make([]string, 0, len(s.routes))
	for _, rt := range s.routes {
		out = append(out, rt.method+" "+rt.path)
	}
	return out
}

// Sweep deletes expired sessions, forgotten sign-in counts, and pending
// second steps and passkey ceremonies past their end; serve runs it every
// few minutes.
func (s *Server) Sweep(ctx context.Context) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.DeleteExpiredSessions(ctx, now.Add(-s.cfg.Policy.IdleTimeout), now); err != nil {
			return err
		}
		if _, err := mfa.Sweep(ctx, tx, now); err != nil {
			return err
		}
		return tx.PruneSignIn(ctx, s.cfg.SignIn, now)
	})
}
