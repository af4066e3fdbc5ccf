package cli

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// lockedBuffer is a bytes.Buffer safe for a server goroutine and a test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running is a command that serves (serve, demo), started in the background
// by start.
type running struct {
	name        string
	url         string // where it serves, as it said when it began listening
	out, errOut lockedBuffer
	cancel      context.CancelFunc
	done        chan int // its exit code, once it returns
}

// start runs the command args with the environment env in the background,
// its app first adjusted by each of adjust, and waits up to wait for it to
// listen; the test fails if it exits or takes longer.
func start(t *testing.T, env map[string]string, wait time.Duration, args []string, adjust ...func(*app)) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{name: args[0], cancel: cancel, done: make(chan int, 1)}
	urls := make(chan string, 1)
	a := &app{stdin: strings.NewReader(""), stdout: &r.out, stderr: &r.errOut, now: time.Now,
		getenv: func(k string) string { return env[k] }, listening: func(u string) { urls <- u }}
	for _, f := range adjust {
		f(a)
	}
	go func() { r.done <- a.main(ctx, args) }()
	select {
	case r.url = <-urls:
	case code := <-r.done:
		cancel()
		t.Fatalf("%s exited %d: %s", r.name, code, r.errOut.String())
	case <-time.After(wait):
		cancel()
		t.Fatalf("%s did not start", r.name)
	}
	return r
}

// stop shuts the command down and returns its exit code; the test fails if
// it takes more than 20 seconds.
func (r *running) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not shut down", r.name)
	}
	return -1
}

// result is what one run of the command line printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// run runs safecase with args, environment env (completed by testEnv) and
// standard input stdin.
func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	env = testEnv(t, env)
	var out, errOut lockedBuffer
	a := &app{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return env[k] }, now: time.Now}
	code := a.main(context.Background(), args)
	return result{code, out.String(), errOut.String()}
}

func TestConfigPrecedence(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(c *Config) bool
		want  string
	}{
		{"default db", nil, nil, func(c *Config) bool { return c.DB == filepath.Join("data", "safecase.db") }, "data/safecase.db"},
		{"env db", nil, map[string]string{"SAFECASE_DB": "/tmp/env.db"},
			func(c *Config) bool { return c.DB == "/tmp/env.db" }, "/tmp/env.db"},
		{"flag db over env", []string{"--db", "/tmp/flag.db"}, map[string]string{"SAFECASE_DB": "/tmp/env.db"},
			func(c *Config) bool { return c.DB == "/tmp/flag.db" }, "/tmp/flag.db"},
		{"default addr", nil, nil, func(c *Config) bool { return c.Addr == "127.0.0.1:8080" }, "127.0.0.1:8080"},
		{"env addr", nil, map[string]string{"SAFECASE_ADDR": ":9000"}, func(c *Config) bool { return c.Addr == ":9000" }, ":9000"},
		{"flag addr over env", []string{"--addr=10.0.0.1:80"}, map[string]string{"SAFECASE_ADDR": ":9000"},
			func(c *Config) bool { return c.Addr == "10.0.0.1:80" }, "10.0.0.1:80"},
		{"default idle timeout", nil, nil, func(c *Config) bool { return c.IdleTimeout == 30*time.Minute }, "30m"},
		{"env idle timeout", nil, map[string]string{"SAFECASE_IDLE_TIMEOUT": "1h"},
			func(c *Config) bool { return c.IdleTimeout == time.Hour }, "1h"},
		{"flag idle timeout over env", []string{"--idle-timeout", "5m"}, map[string]string{"SAFECASE_IDLE_TIMEOUT": "1h"},
			func(c *Config) bool { return c.IdleTimeout == 5*time.Minute }, "5m"},
		{"default profile", nil, nil, func(c *Config) bool { return c.Profile == "" }, "none"},
		{"env profile", nil, map[string]string{"SAFECASE_PROFILE": "sop.yaml"}, func(c *Config) bool { return c.Profile == "sop.yaml" }, "sop.yaml"},
		{"default log format", nil, nil, func(c *Config) bool { return c.LogFormat == "text" }, "text"},
		{"flag log format over env", []string{"--log-format", "json"}, map[string]string{"SAFECASE_LOG_FORMAT": "text"},
			func(c *Config) bool { return c.LogFormat == "json" }, "json"},
		{"cookies not secure on loopback without TLS", nil, nil, func(c *Config) bool { return !c.SecureCookies }, "false"},
		{"cookies secure on a public address", []string{"--addr", "0.0.0.0:8080"}, nil,
			func(c *Config) bool { return c.SecureCookies }, "true"},
		{"cookies secure with TLS", []string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, nil,
			func(c *Config) bool { return c.SecureCookies && c.TLSCert == "c.pem" && c.TLSKey == "k.pem" }, "true"},
		{"env secure cookies over default", nil, map[string]string{"SAFECASE_SECURE_COOKIES": "true"},
			func(c *Config) bool { return c.SecureCookies }, "true"},
		{"flag secure cookies over env", []string{"--secure-cookies=false"}, map[string]string{"SAFECASE_SECURE_COOKIES": "true", "SAFECASE_ADDR": ":443"},
			func(c *Config) bool { return !c.SecureCookies }, "false"},
		{"no trusted proxies by default", nil, nil, func(c *Config) bool { return c.TrustedProxies.Empty() }, "none"},
		{"env trusted proxies", nil, map[string]string{"SAFECASE_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"},
			func(c *Config) bool { return c.TrustedProxies.String() == "10.0.0.0/8,127.0.0.1" }, "10.0.0.0/8,127.0.0.1"},
		{"flag trusted proxies over env", []string{"--trusted-proxies", "::1"}, map[string]string{"SAFECASE_TRUSTED_PROXIES": "10.0.0.0/8"},
			func(c *Config) bool { return c.TrustedProxies.String() == "::1" }, "::1"},
		{"trust proxy off is harmless", []string{"--trust-proxy=false"}, nil, func(c *Config) bool { return c.TrustedProxies.Empty() }, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flagSet(serveCmd)
			cf := addConfigFlags(fs, optDB|optProfile|optServer)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := cf.resolve(fs, func(k string) string { return tt.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("config %+v, want %s", c, tt.want)
			}
		})
	}
}

func TestConfigErrorsNameTheSource(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, map[string]string{"SAFECASE_IDLE_TIMEOUT": "soon"}, "SAFECASE_IDLE_TIMEOUT"},
		{[]string{"--idle-timeout", "-1m"}, nil, "--idle-timeout"},
		{nil, map[string]string{"SAFECASE_SECURE_COOKIES": "perhaps"}, "SAFECASE_SECURE_COOKIES"},
		{[]string{"--log-format", "xml"}, nil, "--log-format"},
		{[]string{"--addr", "8080"}, nil, "--addr"},
		{[]string{"--tls-cert", "c.pem"}, nil, "--tls-key"},
		{[]string{"--trusted-proxies", "10.0.0.0/8,proxy.example.org"}, nil, `--trusted-proxies: "proxy.example.org"`},
		{nil, map[string]string{"SAFECASE_TRUSTED_PROXIES": "10.0.0.1/40"}, `SAFECASE_TRUSTED_PROXIES: "10.0.0.1/40"`},
		{[]string{"--trust-proxy"}, nil, "--trust-proxy: is no longer supported"},
		{nil, map[string]string{"SAFECASE_TRUST_PROXY": "1"}, "SAFECASE_TRUST_PROXY: is no longer supported"},
		{[]string{"--trust-proxy"}, nil, "--trusted-proxies"},
	}
	for _, tt := range tests {
		fs := flagSet(serveCmd)
		cf := addConfigFlags(fs, optDB|optProfile|optServer)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		_, err := cf.resolve(fs, func(k string) string { return tt.env[k] })
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("args %v env %v: error %v, want one naming %s", tt.args, tt.env, err, tt.want)
		}
	}
}

// TestHelp: --help and -h on every command and subcommand print its usage
// and exit 0.
func TestHelp(t *testing.T) {
	var cmds [][]string
	for _, c := range (&app{}).commands() {
		cmds = append(cmds, []string{c.name})
	}
	for _, c := range userSubs {
		cmds = append(cmds, strings.Fields(c.name))
	}
	cmds = append(cmds, []string{"audit", "verify"}, []string{"audit", "checkpoint"})
	for _, cmd := range cmds {
		for _, h := range []string{"--help", "-h"} {
			r := run(t, nil, "", append(cmd, h)...)
			name := strings.Join(cmd, " ")
			if r.code != 0 {
				t.Errorf("safecase %s %s: exit %d, stderr %q", name, h, r.code, r.stderr)
			}
			want := "Usage: safecase " + name
			if name == "help" {
				want = "Usage: safecase <command>"
			}
			if !strings.Contains(r.stdout, want) {
				t.Errorf("safecase %s %s printed %q, want usage", name, h, r.stdout)
			}
		}
	}
	if r := run(t, nil, "", "help", "gen"); r.code != 0 || !strings.Contains(r.stdout, "--cases") {
		t.Errorf("safecase help gen: exit %d, %q", r.code, r.stdout)
	}
	if r := run(t, nil, ""); r.code != 2 || !strings.Contains(r.stderr, "Commands:") {
		t.Errorf("safecase without a command: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "frobnicate"); r.code != 2 {
		t.Errorf("unknown command: exit %d", r.code)
	}
	if r := run(t, nil, "", "serve", "--no-such-flag"); r.code != 2 || !strings.Contains(r.stderr, "no-such-flag") {
		t.Errorf("unknown flag: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	r := run(t, nil, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "safecase "+Version+" (go") {
		t.Errorf("version: exit %d, %q", r.code, r.stdout)
	}
}

// counts returns how many users, agencies and audit events db holds.
func counts(t *testing.T, dbURL string) (users, agencies int, events int64) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if p, _ := db.Pending(ctx); len(p) > 0 {
		return 0, 0, 0
	}
	if ks := testKeys(t, dbURL); ks != nil {
		db.UseKeys(ks)
	}
	err = db.Read(ctx, func(tx *store.Tx) error {
		us, err := tx.Users(ctx, "")
		if err != nil {
			return err
		}
		as, err := tx.Agencies(ctx)
		users, agencies = len(us), len(as)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() {
		t.Errorf("audit chain broken: %v", v.Problems)
	}
	return users, agencies, v.Count
}

// eachURL runs fn with the URL of a fresh, empty database on every engine.
func eachURL(t *testing.T, fn func(t *testing.T, dbURL string)) {
	for _, eng := range testdb.Engines(t) {
		t.Run(eng, func(t *testing.T) { fn(t, testdb.URL(t, eng)) })
	}
}

func TestUserAdd(t *testing.T) {
	eachURL(t, func(t *testing.T, dbURL string) {
		env := map[string]string{"SAFECASE_DB": dbURL}
		bad := []struct {
			name  string
			args  []string
			stdin string
			want  []string // each must appear in the error
		}{
			{"unknown role", []string{"--username", "ann", "--name", "Ann", "--role", "boss", "--agency", "HQ", "--agency-name", "Head office", "--password", "long-enough-1"},
				"", []string{"--role: must be one of: caseworker"}},
			{"no agency", []string{"--username", "ann", "--name", "Ann", "--role", "manager", "--password", "long-enough-1"},
				"", []string{"--agency:"}},
			{"unknown agency", []string{"--username", "ann", "--name", "Ann", "--role", "manager", "--agency", "XYZ", "--password", "long-enough-1"},
				"", []string{"--agency: no agency has the code XYZ", "--agency-name"}},
			{"bad username and no name", []string{"--username", "A", "--role", "manager", "--agency", "HQ", "--agency-name", "Head office", "--password", "long-enough-1"},
				"", []string{"--username:", "--name:"}},
			{"caseworker without a team", []string{"--username", "ann", "--name", "Ann", "--role", "caseworker", "--agency", "HQ", "--agency-name", "Head office", "--password", "long-enough-1"},
				"", []string{"--team:"}},
			{"bad agency code", []string{"--username", "ann", "--name", "Ann", "--role", "manager", "--agency", "H", "--agency-name", "Head office", "--password", "long-enough-1"},
				"", []string{"--agency: must be 2 to 8 capital letters"}},
			{"short password from stdin", []string{"--username", "ann", "--name", "Ann", "--role", "system_admin", "--agency", "HQ", "--agency-name", "Head office"},
				"short\n", []string{"password: is too short"}},
			{"a password for anyone but the first system administrator", []string{"--username", "ann", "--name", "Ann", "--role", "manager", "--agency", "HQ", "--agency-name", "Head office", "--password", "tangerine-ocelot-47-umbrella"},
				"", []string{"password: is only typed for the first system administrator"}},
			{"common password", []string{"--username", "ann", "--name", "Ann", "--role", "system_admin", "--agency", "HQ", "--agency-name", "Head office", "--password", "password1234"},
				"", []string{"password: is, or is built from, one of the most common passwords"}},
			{"password of her own name", []string{"--username", "ann.smith", "--name", "Ann Smith", "--role", "system_admin", "--agency", "HQ", "--agency-name", "Head office", "--password", "annsmith2024!"},
				"", []string{"password: contains the username, the person's name or the word SafeCase"}},
			{"bad email", []string{"--username", "ann", "--name", "Ann", "--role", "manager", "--agency", "HQ", "--agency-name", "Head office", "--email", "nope", "--password", "long-enough-1"},
				"", []string{"--email:"}},
		}
		for _, tt := range bad {
			r := run(t, env, tt.stdin, append([]string{"user", "add"}, tt.args...)...)
			if r.code != 1 {
				t.Errorf("%s: exit %d, want 1 (stderr %q)", tt.name, r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%s: stderr %q does not say %q", tt.name, r.stderr, w)
				}
			}
			if !strings.HasPrefix(r.stderr, "safecase user add: ") && !strings.Contains(r.stderr, "\nsafecase user add: ") {
				t.Errorf("%s: stderr %q does not name the command", tt.name, r.stderr)
			}
			if u, a, e := counts(t, dbURL); u+a != 0 || e != 0 {
				t.Errorf("%s: wrote %d users, %d agencies, %d audit events; want nothing", tt.name, u, a, e)
			}
		}

		// The first system administrator, creating the agency, password on stdin.
		r := run(t, env, "tangerine-ocelot-47-umbrella\n", "user", "add", "--username", "Admin", "--name", "Site Admin",
			"--role", "system_admin", "--agency", "hq", "--agency-name", "Head office")
		if r.code != 0 || !strings.Contains(r.stdout, "created agency HQ") || !strings.Contains(r.stdout, "added user admin (system_admin)") {
			t.Fatalf("first admin: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if u, a, e := counts(t, dbURL); u != 1 || a != 1 || e != 2 {
			t.Errorf("after the first admin: %d users, %d agencies, %d audit events; want 1, 1, 2", u, a, e)
		}
		// A caseworker in a team that must be created explicitly: no
		// password is asked for; a setup code is printed.
		args := []string{"user", "add", "--username", "worker1", "--name", "Case Worker", "--role", "caseworker", "--agency", "HQ", "--team", "North"}
		if r := run(t, env, "", args...); r.code != 1 || !strings.Contains(r.stderr, `--team: no team called "North"`) {
			t.Errorf("missing team: exit %d, stderr %q", r.code, r.stderr)
		}
		if r := run(t, env, "", append(args, "--create-team")...); r.code != 0 || !setupCodeRE.MatchString(r.stdout) ||
			!strings.Contains(r.stdout, "takes effect once approved") {
			t.Fatalf("caseworker: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if r := run(t, env, "", args...); r.code != 1 || !strings.Contains(r.stderr, "--username: is already taken") {
			t.Errorf("same username again: exit %d, stderr %q", r.code, r.stderr)
		}
		if u, a, e := counts(t, dbURL); u != 2 || a != 1 || e != 4 {
			t.Errorf("after the caseworker: %d users, %d agencies, %d audit events; want 2, 1, 4", u, a, e)
		}
		r = run(t, env, "", "user", "list")
		if r.code != 0 || !strings.Contains(r.stdout, "admin") || !strings.Contains(r.stdout, "North") || !strings.Contains(r.stdout, "2 users") {
			t.Errorf("user list: exit %d, %q", r.code, r.stdout)
		}
	})
}

func TestUserChanges(t *testing.T) {
	eachURL(t, func(t *testing.T, dbURL string) {
		env := map[string]string{"SAFECASE_DB": dbURL}
		if r := run(t, env, "", "user", "add", "--username", "ann", "--name", "Ann", "--role", "manager", "--agency", "HQ",
			"--agency-name", "Head office"); r.code != 0 {
			t.Fatalf("add: %q", r.stderr)
		}
		user := func() *userState {
			ctx := context.Background()
			db, err := store.Open(ctx, dbURL, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var s userState
			err = db.Read(ctx, func(tx *store.Tx) error {
				u, err := tx.UserByName(ctx, "ann")
				if err != nil {
					return err
				}
				s.disabled, s.mustChange = !u.Active(), u.MustChangePassword
				s.password, _ = auth.CheckPassword(u.PasswordHash, "second-long-passphrase-9")
				s.pending = u.CaseAccessPending
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return &s
		}
		if r := run(t, env, "", "user", "disable", "--username", "ann"); r.code != 0 || !user().disabled {
			t.Errorf("disable: exit %d, disabled %v", r.code, user().disabled)
		}
		if r := run(t, env, "", "user", "list"); !strings.Contains(r.stdout, "disabled") {
			t.Errorf("user list does not show the disabled user: %q", r.stdout)
		}
		if r := run(t, env, "", "user", "enable", "--username", "ann"); r.code != 0 || user().disabled {
			t.Errorf("enable: exit %d, disabled %v", r.code, user().disabled)
		}
		if r := run(t, env, "short\n", "user", "set-password", "--username", "ann"); r.code != 1 || user().password {
			t.Errorf("short password: exit %d, stderr %q", r.code, r.stderr)
		}
		if r := run(t, env, "qwertyuiop123\n", "user", "set-password", "--username", "ann"); r.code != 1 ||
			!strings.Contains(r.stderr, "password: is, or is built from, one of the most common passwords") {
			t.Errorf("common password: exit %d, stderr %q", r.code, r.stderr)
		}
		if r := run(t, env, "second-long-passphrase-9\n", "user", "set-password", "--username", "ann"); r.code != 0 {
			t.Errorf("set-password: exit %d, stderr %q", r.code, r.stderr)
		}
		// The operator knows the password: the person must change it, and
		// their case access waits for approval.
		if s := user(); !s.password || !s.mustChange || !s.pending {
			t.Errorf("after set-password: %+v", s)
		}
		if r := run(t, env, "", "user", "disable", "--username", "nobody"); r.code != 1 || !strings.Contains(r.stderr, `--username: no user is called "nobody"`) {
			t.Errorf("unknown user: exit %d, stderr %q", r.code, r.stderr)
		}
		// agency and user created, disabled, enabled, password set: five events.
		if _, _, e := counts(t, dbURL); e != 5 {
			t.Errorf("%d audit events, want 5", e)
		}
	})
}

type userState struct{ disabled, mustChange, password, pending bool }

// TestDemoAndAuditVerify: demo seeds once; audit verify says the chain is
// intact, and fails once a stored event is edited.
func TestDemoAndAuditVerify(t *testing.T) {
	for _, eng := range testdb.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			dbURL := testdb.URL(t, eng)
			env := map[string]string{"SAFECASE_DB": dbURL}
			r := run(t, env, "", "demo", "--no-serve")
			if r.code != 0 || !strings.Contains(r.stdout, "Seeded") || !strings.Contains(r.stdout, "amina") ||
				!strings.Contains(r.stdout, "demo-password") || !strings.Contains(r.stdout, "fictional") {
				t.Fatalf("demo: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			for _, role := range []string{"caseworker", "supervisor", "manager", "service_provider", "community_volunteer",
				"im_officer", "dp_officer", "agency_admin", "system_admin"} {
				if !strings.Contains(r.stdout, role) {
					t.Errorf("demo logins lack a %s", role)
				}
			}
			users, _, events := counts(t, dbURL)
			r = run(t, env, "", "demo", "--no-serve")
			if r.code != 0 || strings.Contains(r.stdout, "Seeded") || !strings.Contains(r.stdout, "already") {
				t.Errorf("second demo: exit %d, stdout %q", r.code, r.stdout)
			}
			if u, _, e := counts(t, dbURL); u != users || e != events {
				t.Errorf("second demo wrote: %d users, %d events; before %d, %d", u, e, users, events)
			}

			r = run(t, env, "", "audit", "verify")
			if r.code != 0 || !strings.Contains(r.stdout, "audit chain intact: ") {
				t.Fatalf("audit verify: exit %d, %q %q", r.code, r.stdout, r.stderr)
			}
			tamper(t, eng, dbURL, `UPDATE audit_events SET detail = '{"edited":true}' WHERE seq = 5`)
			r = run(t, env, "", "audit", "verify")
			if r.code != 1 || !strings.Contains(r.stdout, "BROKEN") || !strings.Contains(r.stdout, "event 5: content does not match") {
				t.Errorf("audit verify after tampering: exit %d, %q", r.code, r.stdout)
			}

			// Demo refuses a database with real users.
			other := map[string]string{"SAFECASE_DB": testdb.URL(t, eng)}
			if r := run(t, other, "", "user", "add", "--username", "real", "--name", "Real", "--role", "manager",
				"--agency", "HQ", "--agency-name", "Head office"); r.code != 0 {
				t.Fatal(r.stderr)
			}
			if r := run(t, other, "", "demo", "--no-serve"); r.code != 1 || !strings.Contains(r.stderr, "already holds users") {
				t.Errorf("demo over real users: exit %d, stderr %q", r.code, r.stderr)
			}
			if r := run(t, other, "", "gen", "--cases", "10"); r.code != 1 || !strings.Contains(r.stderr, "real users") {
				t.Errorf("gen over real users: exit %d, stderr %q", r.code, r.stderr)
			}
		})
	}
}

// tamper runs query directly on the database behind SafeCase's back.
func tamper(t *testing.T, engine, dbURL, query string) {
	t.Helper()
	driver, dsn := "pgx", dbURL
	if engine == "sqlite" {
		driver, dsn = "sqlite", strings.TrimPrefix(dbURL, "sqlite:")
	}
	d, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(query); err != nil {
		t.Fatal(err)
	}
}

func TestGenCommand(t *testing.T) {
	eachURL(t, func(t *testing.T, dbURL string) {
		env := map[string]string{"SAFECASE_DB": dbURL}
		r := run(t, env, "", "gen", "--cases", "400", "--seed", "3")
		if r.code != 0 || !strings.Contains(r.stdout, "wrote 400 cases") || !strings.Contains(r.stderr, "400/400 cases") {
			t.Fatalf("gen: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if r := run(t, env, "", "audit", "verify"); r.code != 0 {
			t.Errorf("audit verify after gen: exit %d, %q", r.code, r.stdout)
		}
		if r := run(t, env, "", "gen"); r.code != 2 || !strings.Contains(r.stderr, "--cases") {
			t.Errorf("gen without --cases: exit %d, stderr %q", r.code, r.stderr)
		}
	})
}

func TestServe(t *testing.T) {
	srv := start(t, map[string]string{"SAFECASE_DB": testdb.URL(t, "sqlite")}, 20*time.Second,
		[]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"})
	defer srv.cancel()
	resp, err := http.Get(srv.url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz: %s", resp.Status)
	}
	if !strings.Contains(srv.out.String(), "SafeCase is running at "+srv.url) {
		t.Errorf("stdout %q does not give the URL", srv.out.String())
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("serve exited %d after shutdown: %s", code, srv.errOut.String())
	}
	if !strings.Contains(srv.errOut.String(), `"msg":"serving"`) {
		t.Errorf("no JSON log line: %q", srv.errOut.String())
	}
}

func TestServeRefusals(t *testing.T) {
	dbURL := testdb.URL(t, "sqlite")
	env := map[string]string{"SAFECASE_DB": dbURL}
	// An unmigrated database with --no-migrate.
	r := run(t, env, "", "serve", "--no-migrate", "--addr", "127.0.0.1:0")
	if r.code != 1 || !strings.Contains(r.stderr, "safecase migrate") {
		t.Errorf("serve --no-migrate on a new database: exit %d, stderr %q", r.code, r.stderr)
	}
	// A bad profile stops start-up with its file, line and key.
	prof := filepath.Join(t.TempDir(), "sop.yaml")
	if err := os.WriteFile(prof, []byte("name: test\ntimelines:\n  assesment: {high: 24h}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, env, "", "serve", "--profile", prof, "--addr", "127.0.0.1:0")
	if r.code != 1 || !strings.Contains(r.stderr, prof+":3") || !strings.Contains(r.stderr, "assesment") {
		t.Errorf("serve with a bad profile: exit %d, stderr %q", r.code, r.stderr)
	}
	// migrate says what it applied, then that nothing is left.
	if r := run(t, env, "", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "applied 0001") {
		t.Errorf("migrate: exit %d, %q", r.code, r.stdout)
	}
	if r := run(t, env, "", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Errorf("migrate again: exit %d, %q", r.code, r.stdout)
	}
}

func TestDescribeFields(t *testing.T) {
	got := describeFields(errs.Fields{{Field: "display_name", Msg: "err.required"}, {Field: "gender", Msg: "err.choose"},
		{Field: "something_else", Msg: "err.mystery"}})
	for _, want := range []string{"--name: is required", "--gender: must be one of", "something else: mystery"} {
		if !strings.Contains(got, want) {
			t.Errorf("describeFields = %q, want it to say %q", got, want)
		}
	}
}
