package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/mail"
)

// TestSendSetup: the setup mail goes to the person at once, carries the
// link and says only that an account is ready to be set up.
func TestSendSetup(t *testing.T) {
	t.Parallel()
	srv := startSMTPD(t, nil)
	s, err := mail.NewSender(mail.Config{Addr: srv.Addr, From: "SafeCase <noreply@example.org>", BaseURL: baseURL})
	noErr(t, err, "NewSender")
	link := baseURL + "/setup?code=ABCD-EFGH-JKMN-PQRS-TVWX-YZ23"
	noErr(t, s.SendSetup(ctxb(), "amina@example.org", link, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), "SendSetup")
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d mails", len(got))
	}
	data := strings.ReplaceAll(got[0].Data, "=\r\n", "") // undo quoted-printable soft breaks
	for _, want := range []string{"To: <amina@example.org>", "Subject: SafeCase: your account is ready to be set up",
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ23", "within 24 hours", "holds no case information"} {
		if !strings.Contains(data, want) {
			t.Errorf("the mail lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(strings.ToLower(data), "case c-") {
		t.Errorf("the mail names a case:\n%s", data)
	}
	if err := s.SendSetup(ctxb(), "a@example.org\r\nBcc: x@example.org", link, time.Now()); err == nil {
		t.Error("a header injected through the address")
	}
}
