package cli

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

func resolveServe(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	fs := flagSet(serveCmd)
	cf := addConfigFlags(fs, optDB|optProfile|optServer)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return cf.resolve(fs, func(k string) string { return env[k] })
}

func TestMailConfig(t *testing.T) {
	mailEnv := map[string]string{"SAFECASE_SMTP_ADDR": "smtp.example.org:587", "SAFECASE_SMTP_FROM": "noreply@example.org",
		"SAFECASE_BASE_URL": "https://safecase.example.org/"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range mailEnv {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	// Off by default.
	c, err := resolveServe(t, nil, nil)
	if err != nil || c.SMTPAddr != "" || c.BaseURL != "" {
		t.Fatalf("default: %+v, %v", c, err)
	}
	// From the environment, with TLS required to a remote server.
	c, err = resolveServe(t, nil, with(map[string]string{"SAFECASE_SMTP_USER": "safecase", "SAFECASE_SMTP_PASSWORD": "pa55word"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPAddr != "smtp.example.org:587" || c.SMTPFrom != "noreply@example.org" || c.SMTPUser != "safecase" ||
		string(c.SMTPPassword) != "pa55word" || !c.SMTPRequireTLS || c.BaseURL != "https://safecase.example.org" {
		t.Errorf("from the environment: %+v", c)
	}
	// The password never prints.
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprint(c.SMTPPassword)} {
		if strings.Contains(s, "pa55word") {
			t.Errorf("the password prints: %s", s)
		}
	}
	// Flags over the environment; TLS not required by default to this machine.
	c, err = resolveServe(t, []string{"--smtp-addr", "127.0.0.1:25", "--smtp-from", "SafeCase <sc@example.org>",
		"--base-url", "http://10.0.0.2:8080"}, mailEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPAddr != "127.0.0.1:25" || c.SMTPFrom != "SafeCase <sc@example.org>" || c.SMTPRequireTLS || c.BaseURL != "http://10.0.0.2:8080" {
		t.Errorf("from flags: %+v", c)
	}
	c, err = resolveServe(t, []string{"--smtp-addr", "localhost:25", "--smtp-require-tls"}, mailEnv)
	if err != nil || !c.SMTPRequireTLS {
		t.Errorf("--smtp-require-tls to localhost: %+v, %v", c, err)
	}
	c, err = resolveServe(t, nil, with(map[string]string{"SAFECASE_SMTP_REQUIRE_TLS": "false"}))
	if err != nil || c.SMTPRequireTLS {
		t.Errorf("SAFECASE_SMTP_REQUIRE_TLS=false: %+v, %v", c, err)
	}
	// Mistakes name their setting.
	bad := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--smtp-addr", "smtp.example.org"}, nil, "--smtp-addr"},
		{nil, with(map[string]string{"SAFECASE_SMTP_FROM": "not an address"}), "SAFECASE_SMTP_FROM"},
		{[]string{"--smtp-from", "a@example.org\r\nBcc: e@example.org"}, mailEnv, "--smtp-from"},
		{nil, with(map[string]string{"SAFECASE_BASE_URL": "safecase.example.org"}), "SAFECASE_BASE_URL"},
		{[]string{"--base-url", "https://x.org/?q=1"}, mailEnv, "--base-url"},
		{nil, with(map[string]string{"SAFECASE_SMTP_FROM": ""}), "--smtp-from"},
		{nil, with(map[string]string{"SAFECASE_BASE_URL": ""}), "--base-url"},
		{nil, with(map[string]string{"SAFECASE_SMTP_USER": "safecase"}), "SAFECASE_SMTP_PASSWORD"},
		{nil, with(map[string]string{"SAFECASE_SMTP_PASSWORD": "pw"}), "--smtp-user"},
		{nil, with(map[string]string{"SAFECASE_SMTP_REQUIRE_TLS": "maybe"}), "SAFECASE_SMTP_REQUIRE_TLS"},
	}
	for _, tt := range bad {
		_, err := resolveServe(t, tt.args, tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("args %q env %q: error %v, want one naming %s", tt.args, tt.env, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	// There is no password flag; the help names the variable.
	if _, err := resolveServe(t, nil, nil); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "", "serve", "--smtp-password", "x")
	if r.code != 2 {
		t.Errorf("--smtp-password: exit %d, want a usage error", r.code)
	}
	r = run(t, nil, "", "serve", "--help")
	for _, want := range []string{"--smtp-addr", "--smtp-from", "--smtp-user", "--smtp-require-tls", "--base-url",
		"$SAFECASE_SMTP_PASSWORD", "[$SAFECASE_SMTP_ADDR]"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve --help lacks %q", want)
		}
	}
}

// miniSMTP answers one SMTP client at a time on 127.0.0.1 and records the
// recipients and data of each message (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT).
type miniSMTP struct {
	addr string
	mu   sync.Mutex
	msgs []string // "rcpt\n" + data
}

func startMiniSMTP(t *testing.T) *miniSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &miniSMTP{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				fmt.Fprint(c, "220 mini\r\n")
				var rcpt string
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch verb, arg, _ := strings.Cut(strings.TrimSpace(line), " "); verb {
					case "EHLO":
						fmt.Fprint(c, "250-mini\r\n250 AUTH PLAIN\r\n")
					case "AUTH":
						fmt.Fprint(c, "235 ok\r\n")
					case "MAIL":
						fmt.Fprint(c, "250 ok\r\n")
					case "RCPT":
						rcpt = strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>")
						fmt.Fprint(c, "250 ok\r\n")
					case "DATA":
						fmt.Fprint(c, "354 go\r\n")
						var data strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil || l == ".\r\n" {
								break
							}
							data.WriteString(l)
						}
						s.mu.Lock()
						s.msgs = append(s.msgs, rcpt+"\n"+data.String())
						s.mu.Unlock()
						fmt.Fprint(c, "250 ok\r\n")
					case "QUIT":
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "502 no\r\n")
					}
				}
			}()
		}
	}()
	return s
}

func (s *miniSMTP) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// TestServeMailsNotifications: serve with an SMTP server mails a
// notification made while it runs to its user, logs without the password,
// and stops its delivery loop on shutdown.
func TestServeMailsNotifications(t *testing.T) {
	smtpd := startMiniSMTP(t)
	dbURL := testdb.URL(t, "sqlite")
	env := map[string]string{"SAFECASE_DB": dbURL, "SAFECASE_SMTP_ADDR": smtpd.addr, "SAFECASE_SMTP_FROM": "SafeCase <noreply@example.org>",
		"SAFECASE_BASE_URL": "https://safecase.example.org", "SAFECASE_SMTP_USER": "safecase", "SAFECASE_SMTP_PASSWORD": "pa55word-secret"}
	if r := run(t, env, "", "user", "add", "--username", "mgr", "--name", "Manager", "--role", "manager", "--agency", "HQ",
		"--agency-name", "Head office", "--email", "mgr@example.org"); r.code != 0 {
		t.Fatalf("user add: %d %s", r.code, r.stderr)
	}
	ctx := context.Background()
	srv := start(t, env, 20*time.Second, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"},
		func(a *app) { a.mailEvery = 50 * time.Millisecond })
	defer srv.cancel()
	errOut := &srv.errOut
	// Wait for the first pass (which finds the outbox empty: e-mail was just turned on).
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errOut.String(), "e-mail notifications on") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)

	db, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.UseKeys(testKeys(t, dbURL))
	err = db.Tx(ctx, func(tx *store.Tx) error {
		us, err := tx.Users(ctx, "")
		if err != nil || len(us) != 1 {
			return fmt.Errorf("users %v: %v", us, err)
		}
		return notify.Send(ctx, tx, []string{us[0].ID}, notify.TransferRequested, "", "", time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	for len(smtpd.messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	msgs := smtpd.messages()
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "mgr@example.org\n") ||
		!strings.Contains(msgs[0], "A case transfer waits for your decision") ||
		!strings.Contains(msgs[0], "https://safecase.example.org/notifications") {
		t.Errorf("mails %q", msgs)
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("serve exited %d after shutdown: %s", code, errOut.String())
	}
	logs := errOut.String()
	if !strings.Contains(logs, `"msg":"e-mail notifications on"`) || !strings.Contains(logs, `"sent":1`) {
		t.Errorf("logs %s", logs)
	}
	if strings.Contains(logs+srv.out.String(), "pa55word-secret") {
		t.Errorf("the SMTP password is in the output: %s", logs)
	}
}
