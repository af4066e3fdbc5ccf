package mail

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/notify"
)

var wantHeaders = []string{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "Auto-Submitted"}

// checkWellFormed fails unless msg is CRLF throughout, has exactly the
// expected headers once each, no line over 998 characters, and parses.
func checkWellFormed(t *testing.T, msg []byte) *netmail.Message {
	t.Helper()
	head, _, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no blank line after the headers: %q", msg)
	}
	for i, c := range msg {
		if c == '\n' && (i == 0 || msg[i-1] != '\r') {
			t.Fatalf("bare LF at %d: %q", i, msg)
		}
		if c == '\r' && (i+1 == len(msg) || msg[i+1] != '\n') {
			t.Fatalf("bare CR at %d: %q", i, msg)
		}
	}
	seen := map[string]int{}
	for _, line := range strings.Split(string(head), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("header line of %d characters", len(line))
		}
		name, _, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("header line %q is no header", line)
		}
		seen[name]++
	}
	if len(seen) != len(wantHeaders) {
		t.Fatalf("headers %v, want exactly %v", seen, wantHeaders)
	}
	for _, h := range wantHeaders {
		if seen[h] != 1 {
			t.Fatalf("header %s appears %d times in %q", h, seen[h], head)
		}
	}
	m, err := netmail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("unparsable message: %v\n%s", err, msg)
	}
	return m
}

func TestCompose(t *testing.T) {
	t.Parallel()
	cat := i18n.MustLoad()
	subject, body := Notification(cat, notify.ReferralReceived, "https://safecase.example.org/")
	date := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	msg, err := Compose(Message{From: "SafeCase <noreply@example.org>", To: "amina@example.org",
		Subject: subject, Body: body, Date: date})
	if err != nil {
		t.Fatal(err)
	}
	m := checkWellFormed(t, msg)
	h := m.Header
	if got := h.Get("To"); got != "<amina@example.org>" {
		t.Errorf("To %q", got)
	}
	if got := h.Get("From"); got != `"SafeCase" <noreply@example.org>` {
		t.Errorf("From %q", got)
	}
	if d, err := h.Date(); err != nil || !d.Equal(date) {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("Message-ID %q", id)
	}
	if h.Get("MIME-Version") != "1.0" || h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("MIME headers %q %q", h.Get("MIME-Version"), h.Get("Content-Type"))
	}
	text, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A referral was sent to you", "https://safecase.example.org/notifications\r\n"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("body %q lacks %q", text, want)
		}
	}
	// A second message gets another Message-ID.
	msg2, _ := Compose(Message{From: "noreply@example.org", To: "amina@example.org", Subject: subject, Body: body, Date: date})
	m2 := checkWellFormed(t, msg2)
	if m2.Header.Get("Message-ID") == h.Get("Message-ID") {
		t.Error("two messages share a Message-ID")
	}
	// A name that is not plain ASCII is encoded, never written raw.
	msg3, err := Compose(Message{From: "Sécurité Enfance <noreply@example.org>", To: "amina@example.org",
		Subject: "Notification : enfant signalé", Body: "é", Date: date})
	if err != nil {
		t.Fatal(err)
	}
	m3 := checkWellFormed(t, msg3)
	if bytes.ContainsFunc(msg3, func(r rune) bool { return r > 0x7e }) {
		t.Errorf("8-bit bytes in %q", msg3)
	}
	var wd mime.WordDecoder
	if got, err := wd.DecodeHeader(m3.Header.Get("Subject")); err != nil || got != "Notification : enfant signalé" {
		t.Errorf("Subject decodes to %q, %v", got, err)
	}
	if from, err := m3.Header.AddressList("From"); err != nil || from[0].Name != "Sécurité Enfance" {
		t.Errorf("From decodes to %v, %v", from, err)
	}
}

// TestNotificationHasNoCaseContent: the text of every kind is the
// catalog's (no placeholder left), and the mail is built from the kind alone.
func TestNotificationHasNoCaseContent(t *testing.T) {
	t.Parallel()
	cat := i18n.MustLoad()
	for _, k := range notify.Kinds {
		subject, body := Notification(cat, k, "https://x.example.org")
		if strings.Contains(body, "[notify.") || strings.Contains(body, "%") {
			t.Errorf("%s: body %q", k, body)
		}
		if !strings.Contains(body, KindText(cat, k)) || !strings.Contains(body, "https://x.example.org/notifications") {
			t.Errorf("%s: body %q lacks the kind's text or the link", k, body)
		}
		if strings.Contains(subject, string(k)) {
			t.Errorf("%s: subject %q", k, subject)
		}
	}
	if got := KindText(cat, "no_such_kind"); got != "A new notification" {
		t.Errorf("unknown kind: %q", got)
	}
}

func TestComposeRefusesHeaderInjection(t *testing.T) {
	t.Parallel()
	ok := Message{From: "noreply@example.org", To: "amina@example.org", Subject: "s", Body: "b"}
	bad := []Message{
		{From: ok.From, To: "amina@example.org\r\nBcc: eve@example.org"},
		{From: ok.From, To: "amina@example.org\nBcc: eve@example.org"},
		{From: ok.From, To: "amina@example.org\r"},
		{From: "SafeCase\r\nBcc: eve@example.org <noreply@example.org>", To: ok.To},
		{From: "noreply@example.org\n", To: ok.To},
		{From: ok.From, To: "Amina <amina@example.org>"}, // a recipient is an address alone
		{From: ok.From, To: "not an address"},
		{From: ok.From, To: ok.To, ID: "x>\r\nBcc: eve@example.org"},
	}
	for _, m := range bad {
		m.Subject, m.Body = ok.Subject, ok.Body
		if msg, err := Compose(m); err == nil {
			t.Errorf("Compose(%q, %q, id %q) = %q, want an error", m.From, m.To, m.ID, msg)
		}
	}
	if _, err := Compose(Message{From: ok.From, To: "a@example.org\r\nBcc: e@example.org"}); !errors.Is(err, ErrHeader) {
		t.Errorf("CRLF in To: %v, want ErrHeader", err)
	}
	// A subject with line breaks is encoded, not a new header.
	msg, err := Compose(Message{From: ok.From, To: ok.To, Subject: "hello\r\nBcc: eve@example.org", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	m := checkWellFormed(t, msg)
	if len(m.Header["Bcc"]) != 0 {
		t.Errorf("Bcc header injected: %q", msg)
	}
}

func TestCheckBaseURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://safecase.example.org":      "https://safecase.example.org",
		"https://safecase.example.org/":     "https://safecase.example.org",
		"http://10.0.0.5:8080/safecase/":    "http://10.0.0.5:8080/safecase",
		"https://safecase.example.org/cp//": "https://safecase.example.org/cp",
	} {
		if got, err := CheckBaseURL(in); err != nil || got != want {
			t.Errorf("CheckBaseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "safecase.example.org", "ftp://x.org", "https://", "https://x.org/?a=b",
		"https://x.org/#top", "https://user:pw@x.org", "https://x.org/\r\nBcc: e@x.org", "javascript:alert(1)"} {
		if got, err := CheckBaseURL(in); err == nil {
			t.Errorf("CheckBaseURL(%q) = %q, want an error", in, got)
		}
	}
}

func TestPlainAuthOnlyOverTLSOrLocally(t *testing.T) {
	t.Parallel()
	tests := []struct {
		host      string
		encrypted bool
		want      bool
	}{
		{"smtp.example.org", false, false},
		{"smtp.example.org", true, true},
		{"10.0.0.1", false, false},
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"localhost", false, true},
		{"localhost.example.org", false, false},
	}
	for _, tt := range tests {
		if got := plainAllowed(tt.host, tt.encrypted); got != tt.want {
			t.Errorf("plainAllowed(%q, %v) = %v", tt.host, tt.encrypted, got)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	d := &Deliverer{Backoff: time.Minute}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute}
	for i, w := range want {
		if got := d.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := d.backoff(30); got != MaxBackoff {
		t.Errorf("backoff(30) = %v, want the cap %v", got, MaxBackoff)
	}
}

func TestCleanError(t *testing.T) {
	t.Parallel()
	got := cleanError(errors.New("451 4.3.0 try\r\nlater\x00" + strings.Repeat("é", 400)))
	if strings.ContainsAny(got, "\r\n\x00") || len(got) > 300 || !strings.HasPrefix(got, "451 4.3.0 try  later") {
		t.Errorf("cleanError = %q", got)
	}
}

// FuzzCompose: whatever the addresses and subject, Compose either refuses
// them or writes a message whose headers are exactly the expected ones,
// with CRLF line ends and no bare CR or LF; an address with a line break is
// always refused.
func FuzzCompose(f *testing.F) {
	f.Add("SafeCase <noreply@example.org>", "amina@example.org", "subject")
	f.Add("noreply@example.org", "amina@example.org\r\nBcc: eve@example.org", "s")
	f.Add("\"Safe\\\"Case\" <noreply@example.org>", "\"a b\"@example.org", "s\nBcc: x")
	f.Add("Sécurité <n@example.org>", "amina@[127.0.0.1]", "é\r")
	f.Add("=?utf-8?q?a=0D=0ABcc:_x?= <n@example.org>", "a@example.org", "=?utf-8?q?x?=")
	f.Add("(comment\r\n) n@example.org", "a@example.org", "")
	f.Fuzz(func(t *testing.T, from, to, subject string) {
		msg, err := Compose(Message{From: from, To: to, Subject: subject, Body: "body\nline", Date: time.Unix(0, 0)})
		if strings.ContainsAny(from+to, "\r\n") && err == nil {
			t.Fatalf("Compose(%q, %q) accepted a line break in an address", from, to)
		}
		if err != nil {
			return
		}
		m := checkWellFormed(t, msg)
		addr, err := m.Header.AddressList("To")
		if err != nil || len(addr) != 1 {
			t.Fatalf("To %q parses as %v, %v", m.Header.Get("To"), addr, err)
		}
		want, _ := netmail.ParseAddress(to)
		if addr[0].Address != want.Address {
			t.Fatalf("To is %q, want %q", addr[0].Address, want.Address)
		}
	})
}

// TestRevealingKindsStayVague: a mail never says sexual violence, unsafe or
// an incident to report happened; the notifications page does.
func TestRevealingKindsStayVague(t *testing.T) {
	t.Parallel()
	cat := i18n.MustLoad()
	for _, k := range []notify.Kind{notify.MedicalReferral, notify.Unsafe, notify.ClosedConcerns, notify.MandatoryReport, notify.Urgent} {
		_, body := Notification(cat, k, "https://safecase.example.org")
		for _, word := range []string{"exual", "unsafe", "Not safe", "report", "urgent", "violence"} {
			if strings.Contains(body, word) {
				t.Errorf("%s: the mail says %q:\n%s", k, word, body)
			}
		}
	}
	if _, body := Notification(cat, notify.ReferralReceived, "https://x.example"); !strings.Contains(body, "A referral was sent to you") {
		t.Errorf("a plain kind lost its words:\n%s", body)
	}
}
