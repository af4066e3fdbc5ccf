package cli

import (
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/clientip"
	"github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/mail"
)

// Config is the configuration of one safecase command. Each value comes
// from its flag when given, else from its SAFECASE_* environment variable,
// else from the default.
type Config struct {
	DB            string // --db, SAFECASE_DB: a file path, sqlite:path, or postgres://…
	KeyFile       string // --key-file, SAFECASE_KEY_FILE: the deployment's key file (keys.go)
	Key           secret // SAFECASE_KEY only: the key itself, instead of the key file
	Checkpoints   string // --checkpoint-file, SAFECASE_CHECKPOINT_FILE: where audit checkpoints are appended
	Addr          string // --addr, SAFECASE_ADDR: the address to listen on
	Profile       string // --profile, SAFECASE_PROFILE: a YAML context profile; "" for the default
	TLSCert       string // --tls-cert, SAFECASE_TLS_CERT
	TLSKey        string // --tls-key, SAFECASE_TLS_KEY
	SecureCookies bool   // --secure-cookies, SAFECASE_SECURE_COOKIES
	// TrustedProxies are the reverse proxies whose X-Forwarded-For entries
	// are believed: --trusted-proxies, SAFECASE_TRUSTED_PROXIES.
	TrustedProxies clientip.Proxies
	IdleTimeout    time.Duration // --idle-timeout, SAFECASE_IDLE_TIMEOUT: sessions end after this long idle
	LogFormat      string        // --log-format, SAFECASE_LOG_FORMAT: text or json
	// CheckpointEvery is how often serve checkpoints the audit chain (if its head moved).
	CheckpointEvery time.Duration // --checkpoint-every, SAFECASE_CHECKPOINT_EVERY

	// E-mail notifications, off unless SMTPAddr is set.
	SMTPAddr       string // --smtp-addr, SAFECASE_SMTP_ADDR: the SMTP server, host:port; "" for no e-mail
	SMTPFrom       string // --smtp-from, SAFECASE_SMTP_FROM: the From address
	SMTPUser       string // --smtp-user, SAFECASE_SMTP_USER: for AUTH PLAIN
	SMTPPassword   secret // SAFECASE_SMTP_PASSWORD only: never a flag, never printed
	SMTPRequireTLS bool   // --smtp-require-tls, SAFECASE_SMTP_REQUIRE_TLS: refuse a server without STARTTLS
	BaseURL        string // --base-url, SAFECASE_BASE_URL: the address users open, for links in mails
}

// secret is a value that prints as [redacted], so that a Config printed
// whole (%v, %+v) never shows the SMTP password.
type secret string

func (secret) String() string   { return "[redacted]" }
func (secret) GoString() string { return "[redacted]" }

// envSMTPPassword is the variable holding the SMTP password: there is no
// flag, so that it never shows in a process list or shell history.
const envSMTPPassword = "SAFECASE_SMTP_PASSWORD"

// Defaults.
const (
	DefaultAddr        = "127.0.0.1:8080"
	DefaultIdleTimeout = 30 * time.Minute
	DefaultLogFormat   = "text"
	// DefaultCheckpointEvery is how often serve checkpoints the audit chain.
	DefaultCheckpointEvery = 5 * time.Minute
)

// DefaultDB is the SQLite file used when no database is named: data/safecase.db
// under the working directory.
var DefaultDB = filepath.Join("data", "safecase.db")

// Option groups: which settings a subcommand takes.
const (
	optDB = 1 << iota
	optProfile
	optServer
)

// setting is one configuration value: its flag, variable, default and where it goes.
type setting struct {
	flag, env, usage string
	group            int
	isBool           bool
	def              func(c *Config) string // the default, which may depend on settings resolved before it
	apply            func(c *Config, v string) error
}

// settings in the order they resolve (secure cookies last: its default
// depends on the address and TLS).
var settings = []setting{
	{flag: "db", env: "SAFECASE_DB", group: optDB,
		usage: "database: a SQLite file path (or sqlite:path), or a postgres:// URL",
		def:   func(*Config) string { return DefaultDB },
		apply: func(c *Config, v string) error { c.DB = v; return nil }},
	{flag: "key-file", env: "SAFECASE_KEY_FILE", group: optDB,
		usage: "the deployment's key file, created at first start (default: beside a SQLite database, its name ending in .key; data/safecase.key for PostgreSQL); $" + keys.EnvVar + " holds the key instead",
		def:   func(c *Config) string { return defaultKeyFile(c.DB) },
		apply: func(c *Config, v string) error { c.KeyFile = v; return nil }},
	{flag: "checkpoint-file", env: "SAFECASE_CHECKPOINT_FILE", group: optDB,
		usage: "file the audit chain's checkpoints are appended to (default: the key file's name ending in .checkpoints)",
		def:   func(c *Config) string { return defaultCheckpointFile(c.KeyFile) },
		apply: func(c *Config, v string) error { c.Checkpoints = v; return nil }},
	{flag: "profile", env: "SAFECASE_PROFILE", group: optProfile,
		usage: "YAML context profile overriding the built-in defaults",
		def:   func(*Config) string { return "" },
		apply: func(c *Config, v string) error { c.Profile = v; return nil }},
	{flag: "addr", env: "SAFECASE_ADDR", group: optServer,
		usage: "address to listen on, host:port",
		def:   func(*Config) string { return DefaultAddr },
		apply: func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("%q is not host:port", v)
			}
			c.Addr = v
			return nil
		}},
	{flag: "tls-cert", env: "SAFECASE_TLS_CERT", group: optServer,
		usage: "TLS certificate file (PEM); serve HTTPS with --tls-key",
		def:   func(*Config) string { return "" },
		apply: func(c *Config, v string) error { c.TLSCert = v; return nil }},
	{flag: "tls-key", env: "SAFECASE_TLS_KEY", group: optServer,
		usage: "TLS private key file (PEM)",
		def:   func(*Config) string { return "" },
		apply: func(c *Config, v string) error { c.TLSKey = v; return nil }},
	{flag: "trusted-proxies", env: "SAFECASE_TRUSTED_PROXIES", group: optServer,
		usage: "comma-separated addresses or CIDR ranges of the reverse proxies in front of SafeCase, " +
			"e.g. 127.0.0.1 or 10.0.0.0/8; the client address is then the rightmost X-Forwarded-For entry that is not one of them",
		def: func(*Config) string { return "" },
		apply: func(c *Config, v string) (err error) {
			c.TrustedProxies, err = clientip.ParseProxies(v)
			return err
		}},
	{flag: "trust-proxy", env: "SAFECASE_TRUST_PROXY", group: optServer, isBool: true,
		usage: "no longer supported: name the proxies with --trusted-proxies",
		def:   func(*Config) string { return "false" },
		apply: func(c *Config, v string) error {
			on, err := parseBool(v)
			if err == nil && on {
				err = errTrustProxy
			}
			return err
		}},
	{flag: "idle-timeout", env: "SAFECASE_IDLE_TIMEOUT", group: optServer,
		usage: "sign users out after this long without a request, e.g. 30m or 1h",
		def:   func(*Config) string { return "30m" },
		apply: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration such as 30m or 1h", v)
			}
			c.IdleTimeout = d
			return nil
		}},
	{flag: "log-format", env: "SAFECASE_LOG_FORMAT", group: optServer,
		usage: "log format: text or json",
		def:   func(*Config) string { return DefaultLogFormat },
		apply: func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("%q is not text or json", v)
			}
			c.LogFormat = v
			return nil
		}},
	{flag: "checkpoint-every", env: "SAFECASE_CHECKPOINT_EVERY", group: optServer,
		usage: "checkpoint the audit chain this often, when it moved, e.g. 5m",
		def:   func(*Config) string { return "5m" },
		apply: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("%q is not a positive duration such as 5m or 1h", v)
			}
			c.CheckpointEvery = d
			return nil
		}},
	{flag: "base-url", env: "SAFECASE_BASE_URL", group: optServer,
		usage: "the address users open SafeCase at, e.g. https://safecase.example.org (for links in e-mails)",
		def:   func(*Config) string { return "" },
		apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := mail.CheckBaseURL(v)
			c.BaseURL = u
			return err
		}},
	{flag: "smtp-addr", env: "SAFECASE_SMTP_ADDR", group: optServer,
		usage: "SMTP server for e-mail notifications, host:port (port 465: TLS from the start); empty: no e-mail",
		def:   func(*Config) string { return "" },
		apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if host, port, err := net.SplitHostPort(v); err != nil || host == "" || port == "" {
				return fmt.Errorf("%q is not host:port", v)
			}
			c.SMTPAddr = v
			return nil
		}},
	{flag: "smtp-from", env: "SAFECASE_SMTP_FROM", group: optServer,
		usage: "From address of e-mail notifications, e.g. \"SafeCase <noreply@example.org>\"",
		def:   func(*Config) string { return "" },
		apply: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			if _, err := mail.ParseAddress(v, true); err != nil {
				return fmt.Errorf("%q: %w", v, err)
			}
			c.SMTPFrom = v
			return nil
		}},
	{flag: "smtp-user", env: "SAFECASE_SMTP_USER", group: optServer,
		usage: "SMTP user name (AUTH PLAIN, only over TLS or to this machine); the password is read from $" + envSMTPPassword,
		def:   func(*Config) string { return "" },
		apply: func(c *Config, v string) error { c.SMTPUser = v; return nil }},
	{flag: "smtp-require-tls", env: "SAFECASE_SMTP_REQUIRE_TLS", group: optServer, isBool: true,
		usage: "refuse to send unless the SMTP server offers STARTTLS (default: on, except to a server on this machine)",
		def: func(c *Config) string {
			return strconv.FormatBool(!(c.SMTPAddr != "" && isLoopback(c.SMTPAddr)))
		},
		apply: func(c *Config, v string) (err error) { c.SMTPRequireTLS, err = parseBool(v); return err }},
	{flag: "secure-cookies", env: "SAFECASE_SECURE_COOKIES", group: optServer, isBool: true,
		usage: "mark cookies Secure (default: on, except on a loopback address without TLS)",
		def: func(c *Config) string {
			return strconv.FormatBool(!(isLoopback(c.Addr) && c.TLSCert == ""))
		},
		apply: func(c *Config, v string) (err error) { c.SecureCookies, err = parseBool(v); return err }},
}

// errTrustProxy refuses the old --trust-proxy, which believed the leftmost
// X-Forwarded-For entry: one the client writes.
var errTrustProxy = fmt.Errorf("is no longer supported: it believed an address the client writes; " +
	"name the reverse proxies instead with --trusted-proxies (SAFECASE_TRUSTED_PROXIES), e.g. 127.0.0.1 or 10.0.0.0/8")

func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%q is not true or false", v)
	}
	return b, nil
}

// isLoopback reports whether addr listens only on this machine.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// configFlags collects the configuration flags of one subcommand.
type configFlags struct {
	groups int
	values map[string]*string
}

// stringValue is a flag value that remembers its text; boolFlag marks the
// boolean ones, which may be given without a value.
type stringValue struct{ s *string }

func (v stringValue) String() string {
	if v.s == nil {
		return ""
	}
	return *v.s
}
func (v stringValue) Set(s string) error { *v.s = s; return nil }

type boolValue struct{ stringValue }

func (boolValue) IsBoolFlag() bool { return true }

// addConfigFlags registers the settings of groups on fs.
func addConfigFlags(fs *flag.FlagSet, groups int) *configFlags {
	cf := &configFlags{groups: groups, values: map[string]*string{}}
	for _, s := range settings {
		if s.group&groups == 0 {
			continue
		}
		v := new(string)
		cf.values[s.flag] = v
		usage := s.usage
		if d := s.def(&Config{Addr: DefaultAddr}); d != "" && d != "false" && s.flag != "secure-cookies" && s.flag != "smtp-require-tls" {
			usage += " (default " + d + ")"
		}
		usage += " [$" + s.env + "]"
		if s.isBool {
			fs.Var(boolValue{stringValue{v}}, s.flag, usage)
		} else {
			fs.Var(stringValue{v}, s.flag, usage)
		}
	}
	return cf
}

// resolve fills a Config: flags that were given, then the environment, then
// the defaults. getenv looks up an environment variable.
func (cf *configFlags) resolve(fs *flag.FlagSet, getenv func(string) string) (*Config, error) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	c := &Config{Addr: DefaultAddr, IdleTimeout: DefaultIdleTimeout, LogFormat: DefaultLogFormat, CheckpointEvery: DefaultCheckpointEvery}
	for _, s := range settings {
		if s.group&cf.groups == 0 {
			continue
		}
		v, from := "", ""
		switch {
		case given[s.flag]:
			v, from = *cf.values[s.flag], "--"+s.flag
		case getenv(s.env) != "":
			v, from = getenv(s.env), s.env
		default:
			v = s.def(c)
		}
		if err := s.apply(c, v); err != nil {
			if from == "" {
				from = "default for --" + s.flag
			}
			return nil, fmt.Errorf("%s: %w", from, err)
		}
	}
	if cf.groups&optDB != 0 {
		c.Key = secret(getenv(keys.EnvVar))
	}
	if cf.groups&optServer != 0 && (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together: give both or neither")
	}
	if cf.groups&optServer != 0 {
		if err := c.checkSMTP(getenv(envSMTPPassword)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// checkSMTP completes and checks the e-mail settings: with an SMTP server,
// a From address and the base URL are needed, and a user and its password
// go together. Without a server, e-mail is off and the rest is ignored.
func (c *Config) checkSMTP(password string) error {
	if hasControlChar(password) {
		return fmt.Errorf("%s holds a control character", envSMTPPassword)
	}
	if c.SMTPAddr == "" {
		c.SMTPUser, c.SMTPRequireTLS = "", false
		return nil
	}
	c.SMTPPassword = secret(password)
	switch {
	case c.SMTPFrom == "":
		return fmt.Errorf("--smtp-addr needs --smtp-from (or SAFECASE_SMTP_FROM): the From address of the mails")
	case c.BaseURL == "":
		return fmt.Errorf("--smtp-addr needs --base-url (or SAFECASE_BASE_URL): mails link to the notifications page")
	case c.SMTPUser != "" && password == "":
		return fmt.Errorf("--smtp-user needs the password in %s", envSMTPPassword)
	case c.SMTPUser == "" && password != "":
		return fmt.Errorf("%s is set but --smtp-user (or SAFECASE_SMTP_USER) is not", envSMTPPassword)
	}
	return nil
}

func hasControlChar(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
