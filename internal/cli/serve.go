package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/gen"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/mail"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/web"
)

var serveCmd = &command{
	name: "serve", summary: "run the web server",
	detail: `Opens the database, applies any pending migrations (unless --no-migrate),
loads the context profile, and serves SafeCase until interrupted.

With --smtp-addr it also e-mails each new notification to its user, if the
user has an e-mail address: a mail names only the kind of notification and
links to <base URL>/notifications, never a case. The SMTP password is read
from $SAFECASE_SMTP_PASSWORD only.`,
	run: runServe,
}

func runServe(ctx context.Context, a *app, c *command, args []string) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB|optProfile|optServer)
	noMigrate := fs.Bool("no-migrate", false, "do not apply migrations; refuse to start if any are pending")
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return err
	}
	prof, err := profile.Load(cfg.Profile)
	if err != nil {
		return err
	}
	db, err := a.openDB(ctx, cfg, !*noMigrate, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if demo, err := gen.HasDemo(ctx, db); err == nil && demo {
		fmt.Fprintln(a.stderr, "warning: this database holds the fictional demo data, whose passwords are public")
	}
	return a.serveHTTP(ctx, cfg, db, prof, false)
}

// newLogger returns the server's logger on stderr in the configured format.
func (a *app) newLogger(cfg *Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(a.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(a.stderr, opts))
}

// sweepEvery is how often expired sessions are deleted.
const sweepEvery = 5 * time.Minute

// mailEvery is how often e-mail notifications are delivered, when configured.
const mailEvery = 30 * time.Second

// startMail starts delivering e-mail notifications in the background when
// an SMTP server is configured, and returns the function that stops it and
// waits for the pass under way to end.
func (a *app) startMail(ctx context.Context, cfg *Config, db *store.DB, log *slog.Logger) (stop func(), err error) {
	if cfg.SMTPAddr == "" {
		return func() {}, nil
	}
	sender, err := mail.NewSender(mail.Config{Addr: cfg.SMTPAddr, Username: cfg.SMTPUser, Password: string(cfg.SMTPPassword),
		From: cfg.SMTPFrom, BaseURL: cfg.BaseURL, RequireTLS: cfg.SMTPRequireTLS})
	if err != nil {
		return nil, fmt.Errorf("e-mail: %w", err)
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	d := &mail.Deliverer{Outbox: db, Sender: sender, Catalog: cat, Log: log}
	every := mailEvery
	if a.mailEvery > 0 {
		every = a.mailEvery
	}
	log.Info("e-mail notifications on", "smtp", cfg.SMTPAddr, "from", cfg.SMTPFrom, "smtp_user", cfg.SMTPUser,
		"require_tls", cfg.SMTPRequireTLS, "base_url", cfg.BaseURL, "every", every)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Loop(ctx, every)
	}()
	return func() { cancel(); <-done }, nil
}

// serveHTTP serves SafeCase on cfg.Addr until ctx is cancelled, then shuts
// down gracefully. The demo (demo) without a base URL, on this machine,
// takes http://localhost:<port> as its base URL, so that passkeys work
// there (a passkey is bound to a site's name, never to an IP address), and
// says that address.
func (a *app) serveHTTP(ctx context.Context, cfg *Config, db *store.DB, prof *profile.Profile, demo bool) error {
	log := a.newLogger(cfg)
	if db.Keys() != nil {
		// The search index follows every write; it is built here only when
		// it does not cover every case under this key (see store.EnsureSearchIndex).
		var cases int
		rebuilt, err := db.EnsureSearchIndex(ctx, func(done int) {
			if cases = done; done%50000 == 0 {
				log.Info("building the search index", "cases", done)
			}
		})
		if err != nil {
			return err
		}
		if rebuilt {
			log.Info("search index built", "cases", cases)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	url := serverURL(ln.Addr(), cfg.TLSCert != "")
	if demo && cfg.BaseURL == "" && cfg.TLSCert == "" {
		if local, port := localPort(ln.Addr()); local {
			c := *cfg
			c.BaseURL = "http://localhost:" + port
			cfg, url = &c, c.BaseURL+"/"
		}
	}
	listening := false
	defer func() {
		if !listening {
			ln.Close()
		}
	}()
	policy := auth.DefaultPolicy
	policy.IdleTimeout = cfg.IdleTimeout
	wcfg := web.Config{
		Policy:         policy,
		PasswordParams: auth.DefaultParams,
		SecureCookies:  cfg.SecureCookies,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         log,
		Now:            time.Now,
		Version:        Version,
		BaseURL:        cfg.BaseURL,
		Keys:           db.Keys(),
	}
	if cfg.SMTPAddr != "" {
		// Setup links go by mail to people who have an address.
		sender, err := mail.NewSender(mail.Config{Addr: cfg.SMTPAddr, Username: cfg.SMTPUser, Password: string(cfg.SMTPPassword),
			From: cfg.SMTPFrom, BaseURL: cfg.BaseURL, RequireTLS: cfg.SMTPRequireTLS})
		if err != nil {
			return fmt.Errorf("e-mail: %w", err)
		}
		wcfg.Mailer = sender
	}
	srv, err := web.New(db, prof, wcfg)
	if err != nil {
		return fmt.Errorf("web server: %w", err)
	}
	listening = true
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	stopMail, err := a.startMail(ctx, cfg, db, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMail() // stops and waits before runServe closes the database
	errc := make(chan error, 1)
	go func() {
		if hs.TLSConfig != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	log.Info("serving", "url", url, "db", db.Engine(), "profile", prof.Source, "version", Version,
		"secure_cookies", cfg.SecureCookies, "trusted_proxies", cfg.TrustedProxies.String(), "idle_timeout", cfg.IdleTimeout)
	fmt.Fprintf(a.stdout, "SafeCase is running at %s (press Ctrl+C to stop)\n", url)
	if a.listening != nil {
		a.listening(url)
	}

	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	cps := a.newCheckpointer(cfg, db, log)
	cps.write(ctx)
	cpEvery := time.NewTicker(cfg.CheckpointEvery)
	defer cpEvery.Stop()
	for {
		select {
		case err := <-errc:
			return fmt.Errorf("serve: %w", err)
		case <-cpEvery.C:
			cps.write(ctx)
		case <-sweep.C:
			if err := srv.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Error("sweep expired sessions", "err", err)
			}
		case <-ctx.Done():
			log.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve: %w", err)
			}
			cps.write(sctx)
			log.Info("stopped")
			return nil
		}
	}
}

// localPort reports whether addr is on this machine only or on every
// interface (so that localhost reaches it), and its port.
func localPort(addr net.Addr) (bool, string) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false, ""
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified()), port
}

// serverURL is the address to open in a browser.
func serverURL(addr net.Addr, tls bool) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

var migrateCmd = &command{
	name: "migrate", summary: "apply database migrations",
	detail: "Applies every migration the database does not have yet and says which.",
	run:    runMigrate,
}

func runMigrate(ctx context.Context, a *app, c *command, args []string) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB)
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	for _, m := range applied {
		fmt.Fprintf(a.stdout, "applied %s\n", m)
	}
	if err != nil {
		return err
	}
	if err := a.useKeys(ctx, cfg, db, true); err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(a.stdout, "the database is up to date")
	}
	return nil
}

var demoCmd = &command{
	name: "demo", summary: "seed fictional demo data (once) and run the web server",
	detail: `On a database without users, seeds three fictional agencies, one user of
every role and some two hundred cases, made through the same operations as
the web pages. Then prints the demo logins and serves like 'safecase serve'.
Run again over the same database, it seeds nothing more. It refuses a
database that holds other users: demo data is fictional and its passwords
public, so it never mixes with real cases.`,
	run: runDemo,
}

func runDemo(ctx context.Context, a *app, c *command, args []string) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB|optProfile|optServer)
	noServe := fs.Bool("no-serve", false, "seed and print the logins, then exit")
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return err
	}
	prof, err := profile.Load(cfg.Profile)
	if err != nil {
		return err
	}
	required := prof.SecondFactorRoles
	prof = demoProfile(prof)
	db, err := a.openDB(ctx, cfg, true, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	has, err := gen.HasDemo(ctx, db)
	if err != nil {
		return err
	}
	if has {
		fmt.Fprintln(a.stdout, "The demo data is already in place.")
	} else {
		fmt.Fprintln(a.stdout, "Seeding the demo data…")
		s, err := gen.Demo(ctx, db, prof, a.now())
		if errors.Is(err, gen.ErrNotEmpty) {
			return fmt.Errorf("the database %s already holds users who are not the demo's; "+
				"run the demo on its own database, e.g. --db data/demo.db", cfg.DB)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Seeded %d agencies, %d teams, %d users, %d cases, %d identifications (%d waiting to be screened).\n",
			s.Agencies, s.Teams, s.Users, s.Cases, s.Identifications, s.Queued)
	}
	fmt.Fprintf(a.stdout, "\nWARNING: the demo data is fictional and every demo password is public (%q).\n", gen.DemoPassword)
	fmt.Fprintln(a.stdout, "Never enter real case information into a demo database.")
	fmt.Fprintln(a.stdout)
	printDemoLogins(a)
	printDemoSecondFactor(a, cfg.Profile, required)
	if *noServe {
		return nil
	}
	fmt.Fprintln(a.stdout)
	return a.serveHTTP(ctx, cfg, db, prof, true)
}

// demoProfile is p with the second factor optional for every role, so that
// the demo's logins open with the password printed. A deployment's profile
// keeps its second_factor_roles.
func demoProfile(p *profile.Profile) *profile.Profile {
	d := *p
	d.SecondFactorRoles = nil
	return &d
}

// printDemoSecondFactor says plainly that the demo does not ask for a
// second factor, which roles a deployment's profile requires it of, and
// where to try one.
func printDemoSecondFactor(a *app, profilePath string, required []org.Role) {
	names := make([]string, len(required))
	for i, r := range required {
		names[i] = string(r)
	}
	if len(names) == 0 {
		fmt.Fprintln(a.stdout, "\nSecond factor: optional in this demo, as in its profile (second_factor_roles lists no role).")
	} else {
		which := "A deployment's default profile"
		if profilePath != "" {
			which = "Outside the demo, the profile " + profilePath
		}
		fmt.Fprintf(a.stdout, "\nSecond factor: optional in this demo. %s (second_factor_roles)\n", which)
		fmt.Fprintf(a.stdout, "requires it for %s.\n", strings.Join(names, ", "))
	}
	fmt.Fprintln(a.stdout, "Enrol one on My account > Manage your second factor: an authenticator app, or a passkey")
	fmt.Fprintln(a.stdout, "(passkeys work at http://localhost:<port>, the address the demo serves at, not at 127.0.0.1).")
}

func printDemoLogins(a *app) {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tUSERNAME\tPASSWORD\tNAME\tAGENCY\tTEAM")
	seen := map[string]bool{}
	var more []string
	for _, l := range gen.DemoLogins() {
		if seen[string(l.Role)] {
			more = append(more, l.Username+" ("+string(l.Role)+")")
			continue
		}
		seen[string(l.Role)] = true
		team := l.Team
		if team == "" {
			team = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Role, l.Username, gen.DemoPassword, l.Name, l.Agency, team)
	}
	tw.Flush()
	fmt.Fprintf(a.stdout, "\nMore staff, same password: %s.\n", strings.Join(more, ", "))
	fmt.Fprintf(a.stdout, "Start with amina (a caseworker with a full caseload) or sam (her supervisor); peter, a service\nprovider of another agency, has a referral of one of her cases waiting.\n")
}
