package mail

import (
	"context"
	"time"
)

// The English wording of the setup mail. It names no case and says only
// that an account is ready to be set up.
const (
	setupSubject = "SafeCase: your account is ready to be set up"
	setupIntro   = "An account in SafeCase is ready for you. Open this link within 24 hours to choose your password:"
	setupFooter  = "The link works once. If you did not expect it, do not use it: tell your data protection officer.\nThis message holds no case information. Do not reply: this address is not read."
)

// Setup returns the subject and body of the mail that carries a setup link.
func Setup(link string) (subject, body string) {
	return setupSubject, setupIntro + "\n\n" + link + "\n\n-- \n" + setupFooter + "\n"
}

// SendSetup mails to the link with which its owner sets their password,
// now. Unlike notifications it does not go through the outbox: the link
// holds a code that is stored only as a hash, so it is sent at once or
// not at all.
func (s *Sender) SendSetup(ctx context.Context, to, link string, now time.Time) error {
	subject, body := Setup(link)
	msg, err := Compose(Message{From: s.From(), To: to, Subject: subject, Body: body, Date: now})
	if err != nil {
		return err
	}
	return s.Send(ctx, to, msg)
}
