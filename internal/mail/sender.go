package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Config configures a Sender.
type Config struct {
	Addr     string // the SMTP server, host:port; port 465 speaks TLS from the start
	Username string // for AUTH PLAIN; empty for none
	Password string // never logged
	From     string // the From address, "Name <addr>" or "addr"
	BaseURL  string // the deployment's address, https://host[/path]: mails link to BaseURL/notifications
	// RequireTLS refuses to send unless the connection is encrypted
	// (STARTTLS, or TLS from the start on port 465).
	RequireTLS bool
	// TLS, when set, is used for STARTTLS and port 465 (tests use it to trust
	// their own certificate). ServerName defaults to the host of Addr.
	TLS *tls.Config
	// Timeout bounds one delivery: connecting, talking and sending (default 1 minute).
	Timeout time.Duration
	// Hello is the name given in EHLO (default "localhost").
	Hello string
}

// Sender sends mails through one SMTP server.
type Sender struct {
	cfg  Config
	host string
	from string // the envelope sender, the bare address
}

// NewSender checks cfg and returns a Sender.
func NewSender(cfg Config) (*Sender, error) {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("SMTP server %q is not host:port", cfg.Addr)
	}
	from, err := ParseAddress(cfg.From, true)
	if err != nil {
		return nil, fmt.Errorf("from address %q: %w", cfg.From, err)
	}
	if _, err := CheckBaseURL(cfg.BaseURL); err != nil {
		return nil, err
	}
	if hasControl(cfg.Username) || hasControl(cfg.Password) {
		return nil, fmt.Errorf("SMTP user or password: %w", ErrHeader)
	}
	if cfg.Password != "" && cfg.Username == "" {
		return nil, errors.New("an SMTP password needs an SMTP user")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.Hello == "" {
		cfg.Hello = "localhost"
	}
	return &Sender{cfg: cfg, host: host, from: from.Address}, nil
}

// CheckBaseURL checks a deployment's base URL (absolute http or https, a
// host, no query or fragment) and returns it without a trailing slash.
func CheckBaseURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || hasControl(s) {
		return "", fmt.Errorf("base URL %q is not an http:// or https:// address such as https://safecase.example.org", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// From is the configured From header value.
func (s *Sender) From() string { return s.cfg.From }

// BaseURL is the deployment's address, without a trailing slash.
func (s *Sender) BaseURL() string { return strings.TrimRight(s.cfg.BaseURL, "/") }

// ConnError is a failure to reach or greet the SMTP server (as opposed to
// the server refusing one message): the delivery pass stops at it.
type ConnError struct{ Err error }

func (e *ConnError) Error() string { return "SMTP server unreachable: " + e.Err.Error() }
func (e *ConnError) Unwrap() error { return e.Err }

// isLocal reports whether host is this machine, where credentials may go
// without TLS (as net/smtp's PlainAuth also holds).
func isLocal(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// plainAllowed reports whether AUTH PLAIN may be used: over TLS, or to localhost.
func plainAllowed(host string, encrypted bool) bool { return encrypted || isLocal(host) }

func (s *Sender) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.cfg.TLS != nil {
		c = s.cfg.TLS.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.host
	}
	return c
}

// Send delivers msg (from Compose) to the address to. One connection per
// mail: notifications are few, and a fresh connection is simplest to get right.
func (s *Sender) Send(ctx context.Context, to string, msg []byte) error {
	rcpt, err := ParseAddress(to, false)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return &ConnError{err}
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) }) // cancellation ends the talk at once
	defer stop()
	_, port, _ := net.SplitHostPort(s.cfg.Addr)
	encrypted := false
	if port == "465" {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return &ConnError{err}
		}
		conn, encrypted = tc, true
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return &ConnError{err}
	}
	defer c.Close()
	if err := c.Hello(s.cfg.Hello); err != nil {
		return &ConnError{err}
	}
	if !encrypted {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return &ConnError{fmt.Errorf("starttls: %w", err)}
			}
			encrypted = true
		}
	}
	if s.cfg.RequireTLS && !encrypted {
		return &ConnError{errors.New("the server does not offer STARTTLS, which is required")}
	}
	if s.cfg.Username != "" {
		if !plainAllowed(s.host, encrypted) {
			return &ConnError{errors.New("refusing to send the SMTP password without TLS to a server that is not on this machine")}
		}
		if ok, _ := c.Extension("AUTH"); !ok {
			return &ConnError{errors.New("the server does not offer AUTH")}
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.host)); err != nil {
			return &ConnError{fmt.Errorf("auth: %w", err)}
		}
	}
	if err := c.Mail(s.from); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	c.Quit() // the message is accepted; a failed QUIT changes nothing
	return nil
}
