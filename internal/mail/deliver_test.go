package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/mail"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

const baseURL = "https://safecase.example.org"

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time      { return c.t }
func (c *clock) Add(d time.Duration) { c.t = c.t.Add(d) }
func newClock(t time.Time) *clock    { return &clock{t} }
func ctxb() context.Context          { return context.Background() }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
func noErr(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func newSender(t *testing.T, addr string) *mail.Sender {
	t.Helper()
	s, err := mail.NewSender(mail.Config{Addr: addr, From: "SafeCase <noreply@example.org>", BaseURL: baseURL,
		Timeout: 10 * time.Second})
	noErr(t, err, "NewSender")
	return s
}

func newDeliverer(db *store.DB, s *mail.Sender, c *clock) *mail.Deliverer {
	return &mail.Deliverer{Outbox: db, Sender: s, Catalog: i18n.MustLoad(), Now: c.Now, Since: c.Now().Add(-time.Hour)}
}

// setEmail gives u the address email (which may be "") and, with disable, disables u.
func setEmail(t *testing.T, db *store.DB, u *org.User, email string, disable bool) {
	t.Helper()
	fixture.In(t, db, func(tx *store.Tx) error {
		u.Email = email
		if disable {
			u.DisabledAt = fixture.Now
		}
		return tx.UpdateUser(ctxb(), u)
	})
}

// notifyAt records a notification of k about case caseID (and subject) to users at now.
func notifyAt(t *testing.T, db *store.DB, users []string, k notify.Kind, caseID, subject, actor string, now time.Time) {
	t.Helper()
	fixture.In(t, db, func(tx *store.Tx) error {
		return notify.About(ctxb(), tx, users, k, caseID, subject, actor, now)
	})
}

// notificationIDs returns the IDs of user's notifications, newest first.
func notificationIDs(t *testing.T, db *store.DB, user string) []string {
	t.Helper()
	var ids []string
	fixture.Read(t, db, func(tx *store.Tx) error {
		ns, err := tx.Notifications(ctxb(), user, 100)
		for _, n := range ns {
			ids = append(ids, n.ID)
		}
		return err
	})
	return ids
}

func entry(t *testing.T, db *store.DB, id string) *mail.Entry {
	t.Helper()
	var e *mail.Entry
	fixture.Read(t, db, func(tx *store.Tx) error {
		var err error
		e, err = tx.OutboxEntry(ctxb(), id)
		return err
	})
	return e
}

func deliver(t *testing.T, d *mail.Deliverer) mail.Result {
	t.Helper()
	res, err := d.Deliver(ctxb())
	noErr(t, err, "Deliver")
	return res
}

// bodyText returns the decoded body of a received message, and its headers.
func bodyText(t *testing.T, r received) (netmail.Header, string) {
	t.Helper()
	m, err := netmail.ReadMessage(strings.NewReader(r.Data))
	noErr(t, err, "parse message")
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	noErr(t, err, "decode body")
	return m.Header, string(b)
}

// TestDeliver: a notification about a case becomes exactly one mail to its
// user's address, with the kind's words and the link but nothing of the
// case; users without an address, and disabled users, get nothing.
func TestDeliver(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := startSMTPD(t, nil)
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), fixture.Now)
		setEmail(t, db, o.Caseworker, "amina.cw@example.org", false)
		setEmail(t, db, o.CaseworkerB, "disabled.cw@example.org", true)
		// Caseworker2 has no address.
		clk := newClock(fixture.Now.Add(time.Minute))
		subject := store.NewID()
		notifyAt(t, db, []string{o.Caseworker.ID, o.Caseworker2.ID, o.CaseworkerB.ID}, notify.ReferralReceived,
			c.ID, subject, o.Supervisor.ID, clk.Now())
		d := newDeliverer(db, newSender(t, srv.Addr), clk)

		res := deliver(t, d)
		if res != (mail.Result{Queued: 1, Sent: 1}) {
			t.Errorf("first pass %+v, want one queued and sent", res)
		}
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d mails, want 1", len(msgs))
		}
		m := msgs[0]
		if m.From != "noreply@example.org" || len(m.To) != 1 || m.To[0] != "amina.cw@example.org" {
			t.Errorf("envelope from %q to %v", m.From, m.To)
		}
		h, body := bodyText(t, m)
		if h.Get("To") != "<amina.cw@example.org>" {
			t.Errorf("To %q", h.Get("To"))
		}
		for _, want := range []string{"A referral was sent to you", baseURL + "/notifications"} {
			if !strings.Contains(body, want) {
				t.Errorf("body %q lacks %q", body, want)
			}
		}
		nid := notificationIDs(t, db, o.Caseworker.ID)[0]
		reg := fixture.Registration(profile.CP)
		for _, secret := range []string{c.Code, c.ID, subject, nid, reg.GivenName, reg.FamilyName, reg.Location,
			o.Supervisor.DisplayName, "/cases/", "/referrals/"} {
			if strings.Contains(m.Data, secret) || strings.Contains(body, secret) {
				t.Errorf("the mail holds %q:\n%s", secret, m.Data)
			}
		}
		e := entry(t, db, nid)
		if e.SentAt.IsZero() || e.Attempts != 1 || e.LastError != "" || e.UserID != o.Caseworker.ID || e.Kind != notify.ReferralReceived {
			t.Errorf("outbox row %+v", e)
		}

		// A second pass sends nothing more: one mail per notification.
		clk.Add(time.Minute)
		if res := deliver(t, d); res != (mail.Result{}) {
			t.Errorf("second pass %+v, want nothing", res)
		}
		// Nothing was queued for the user without an address or the disabled one.
		fixture.Read(t, db, func(tx *store.Tx) error {
			for _, u := range []*org.User{o.Caseworker2, o.CaseworkerB} {
				all, _, _, err := tx.CountOutbox(ctxb(), u.ID)
				if err != nil {
					return err
				}
				if all != 0 {
					t.Errorf("%s: %d outbox rows", u.Username, all)
				}
			}
			return nil
		})
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("%d mails after the second pass, want 1", n)
		}
	})
}

// TestDeliverRetries: a server that refuses leaves the row unsent with one
// attempt and its error; it is not retried before its backoff, and a later
// pass delivers it. After MaxAttempts failures the row is given up.
func TestDeliverRetries(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := startSMTPD(t, nil)
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.GBV), fixture.Now)
		setEmail(t, db, o.Caseworker, "cw@example.org", false)
		clk := newClock(fixture.Now.Add(time.Minute))
		notifyAt(t, db, []string{o.Caseworker.ID}, notify.Urgent, c.ID, "", o.Supervisor.ID, clk.Now())
		nid := notificationIDs(t, db, o.Caseworker.ID)[0]
		d := newDeliverer(db, newSender(t, srv.Addr), clk)
		d.Backoff, d.MaxAttempts = time.Minute, 3

		srv.Refuse("451 4.3.0 mailbox busy, try again later")
		if res := deliver(t, d); res != (mail.Result{Queued: 1, Failed: 1}) {
			t.Errorf("refused pass %+v", res)
		}
		e := entry(t, db, nid)
		if !e.SentAt.IsZero() || !e.FailedAt.IsZero() || e.Attempts != 1 || !strings.Contains(e.LastError, "451") ||
			!e.NextAt.Equal(clk.Now().Add(time.Minute)) {
			t.Errorf("after a refusal: %+v", e)
		}
		if strings.Contains(e.LastError, c.Code) || strings.Contains(e.LastError, c.ID) {
			t.Errorf("last error names the case: %q", e.LastError)
		}
		// Not due yet: nothing is tried.
		clk.Add(30 * time.Second)
		if res := deliver(t, d); res != (mail.Result{}) {
			t.Errorf("pass before the backoff %+v", res)
		}
		srv.Refuse("")
		clk.Add(31 * time.Second)
		if res := deliver(t, d); res != (mail.Result{Sent: 1}) {
			t.Errorf("pass after the server recovered %+v", res)
		}
		if e := entry(t, db, nid); e.SentAt.IsZero() || e.Attempts != 2 || e.LastError != "" {
			t.Errorf("after delivery: %+v", e)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("%d mails, want 1", n)
		}

		// A mail refused every time is given up after MaxAttempts, the
		// wait doubling between attempts.
		srv.Refuse("550 5.7.1 no")
		notifyAt(t, db, []string{o.Caseworker.ID}, notify.Reopened, c.ID, "", o.Supervisor.ID, clk.Now())
		nid2 := notificationIDs(t, db, o.Caseworker.ID)[0]
		wait := []time.Duration{time.Minute, 2 * time.Minute}
		for i := range 3 {
			if res := deliver(t, d); res.Failed != 1 {
				t.Fatalf("attempt %d: %+v", i+1, res)
			}
			e := entry(t, db, nid2)
			if e.Attempts != i+1 {
				t.Fatalf("attempt %d: %+v", i+1, e)
			}
			if i < 2 {
				if !e.FailedAt.IsZero() || !e.NextAt.Equal(clk.Now().Add(wait[i])) {
					t.Fatalf("attempt %d: %+v", i+1, e)
				}
				clk.Add(wait[i])
			} else if e.FailedAt.IsZero() {
				t.Errorf("not given up after %d attempts: %+v", e.Attempts, e)
			}
		}
		clk.Add(time.Hour)
		if res := deliver(t, d); res != (mail.Result{}) {
			t.Errorf("a given-up mail was tried again: %+v", res)
		}
	})
}

// TestDeliverServerDown: when the server cannot be reached the pass stops
// at the first mail (the others keep their attempts), and a pass once the
// server is back delivers everything.
func TestDeliverServerDown(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := startSMTPD(t, nil)
		addr := srv.Addr
		srv.Close() // nothing listens at addr now
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), fixture.Now)
		setEmail(t, db, o.Caseworker, "cw@example.org", false)
		setEmail(t, db, o.Supervisor, "sup@example.org", false)
		clk := newClock(fixture.Now.Add(time.Minute))
		notifyAt(t, db, []string{o.Caseworker.ID, o.Supervisor.ID}, notify.ClosureApproved, c.ID, "", o.Manager.ID, clk.Now())
		d := newDeliverer(db, newSender(t, addr), clk)
		if res := deliver(t, d); res != (mail.Result{Queued: 2, Failed: 1}) {
			t.Errorf("pass with the server down %+v, want 2 queued and 1 failed", res)
		}
		var tried int
		for _, u := range []*org.User{o.Caseworker, o.Supervisor} {
			e := entry(t, db, notificationIDs(t, db, u.ID)[0])
			tried += e.Attempts
			if e.Attempts == 1 && !strings.Contains(e.LastError, "unreachable") {
				t.Errorf("last error %q", e.LastError)
			}
		}
		if tried != 1 {
			t.Errorf("%d attempts, want 1", tried)
		}

		// The server comes back on the same address.
		srv2 := startSMTPDAt(t, addr)
		clk.Add(2 * time.Minute)
		if res := deliver(t, d); res != (mail.Result{Sent: 2}) {
			t.Errorf("pass with the server back %+v", res)
		}
		if n := len(srv2.Messages()); n != 2 {
			t.Errorf("%d mails, want 2", n)
		}
	})
}

// TestDeliverOnlyNewNotifications: turning e-mail on mails no history; a
// restarted process mails what was created since e-mail was on, and
// nothing older than MaxAge; a user disabled after queuing is not mailed.
func TestDeliverOnlyNewNotifications(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := startSMTPD(t, nil)
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), fixture.Now)
		setEmail(t, db, o.Caseworker, "cw@example.org", false)
		clk := newClock(fixture.Now.Add(2 * time.Hour))
		sender := newSender(t, srv.Addr)
		notifyAt(t, db, []string{o.Caseworker.ID}, notify.PlanApproved, c.ID, "", o.Supervisor.ID, clk.Now().Add(-time.Hour))
		old := notificationIDs(t, db, o.Caseworker.ID)[0]

		// E-mail is turned on: the outbox is empty, so the hour-old notification stays unmailed.
		d := &mail.Deliverer{Outbox: db, Sender: sender, Catalog: i18n.MustLoad(), Now: clk.Now}
		if res := deliver(t, d); res != (mail.Result{}) {
			t.Errorf("first pass mailed history: %+v", res)
		}
		clk.Add(time.Minute)
		notifyAt(t, db, []string{o.Caseworker.ID}, notify.PlanReturned, c.ID, "", o.Supervisor.ID, clk.Now())
		clk.Add(time.Minute)
		if res := deliver(t, d); res != (mail.Result{Queued: 1, Sent: 1}) {
			t.Errorf("pass after a new notification %+v", res)
		}

		// The process stops; a notification is made meanwhile; a new process mails it but not the old one.
		clk.Add(10 * time.Minute)
		notifyAt(t, db, []string{o.Caseworker.ID}, notify.Reopened, c.ID, "", o.Supervisor.ID, clk.Now())
		clk.Add(10 * time.Minute)
		d = &mail.Deliverer{Outbox: db, Sender: sender, Catalog: i18n.MustLoad(), Now: clk.Now}
		if res := deliver(t, d); res != (mail.Result{Queued: 1, Sent: 1}) {
			t.Errorf("pass after a restart %+v", res)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			if _, err := tx.OutboxEntry(ctxb(), old); err == nil {
				t.Error("the notification from before e-mail was on was queued")
			}
			return nil
		})

		// Nothing older than MaxAge, even when e-mail was on then.
		notifyAt(t, db, []string{o.Caseworker.ID}, notify.Unsafe, c.ID, "", o.Supervisor.ID, clk.Now().Add(-3*time.Hour))
		clk.Add(time.Minute)
		d = &mail.Deliverer{Outbox: db, Sender: sender, Catalog: i18n.MustLoad(), Now: clk.Now, MaxAge: 2 * time.Hour}
		if res := deliver(t, d); res != (mail.Result{}) {
			t.Errorf("a notification older than MaxAge was mailed: %+v", res)
		}

		// Queued, then the user is disabled before the mail goes: it is dropped.
		srv.Refuse("451 later")
		notifyAt(t, db, []string{o.Caseworker.ID}, notify.Urgent, c.ID, "", o.Supervisor.ID, clk.Now())
		if res := deliver(t, d); res != (mail.Result{Queued: 1, Failed: 1}) {
			t.Errorf("refused pass %+v", res)
		}
		srv.Refuse("")
		setEmail(t, db, o.Caseworker, "cw@example.org", true)
		clk.Add(time.Hour)
		if res := deliver(t, d); res != (mail.Result{Dropped: 1}) {
			t.Errorf("pass for a disabled user %+v", res)
		}
		if n := len(srv.Messages()); n != 2 {
			t.Errorf("%d mails in all, want 2", n)
		}
	})
}

// TestDeliverRefusesHeaderInjection: an address with a line break (stored
// by whatever means) never reaches the server; the row records the refusal.
func TestDeliverRefusesHeaderInjection(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := startSMTPD(t, nil)
		o := fixture.New(t, db)
		setEmail(t, db, o.Caseworker, "cw@example.org\r\nBcc: eve@example.org", false)
		clk := newClock(fixture.Now.Add(time.Minute))
		notifyAt(t, db, []string{o.Caseworker.ID}, notify.PostClosure, "", "", o.Supervisor.ID, clk.Now())
		d := newDeliverer(db, newSender(t, srv.Addr), clk)
		if res := deliver(t, d); res != (mail.Result{Queued: 1, Failed: 1}) {
			t.Errorf("pass %+v", res)
		}
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("%d mails reached the server", n)
		}
		e := entry(t, db, notificationIDs(t, db, o.Caseworker.ID)[0])
		if !strings.Contains(e.LastError, "control character") {
			t.Errorf("last error %q", e.LastError)
		}
		// Sender.Send refuses it as well, before connecting.
		err := newSender(t, srv.Addr).Send(ctxb(), "a@example.org\r\nRCPT TO:<eve@example.org>", []byte("x"))
		if !errors.Is(err, mail.ErrHeader) {
			t.Errorf("Send to an address with CRLF: %v", err)
		}
	})
}

// TestSenderTLSAndAuth: with STARTTLS offered, the sender encrypts and then
// authenticates with PLAIN; RequireTLS refuses a server that does not offer it.
func TestSenderTLSAndAuth(t *testing.T) {
	t.Parallel()
	serverTLS, pool := selfSigned(t)
	srv := startSMTPD(t, serverTLS)
	msg := must(mail.Compose(mail.Message{From: "noreply@example.org", To: "cw@example.org", Subject: "s", Body: "b"}))
	s, err := mail.NewSender(mail.Config{Addr: srv.Addr, From: "noreply@example.org", BaseURL: baseURL,
		Username: "safecase", Password: "s3cret", RequireTLS: true, TLS: &tls.Config{RootCAs: pool}})
	noErr(t, err, "NewSender")
	noErr(t, s.Send(ctxb(), "cw@example.org", msg), "Send over STARTTLS")
	got := srv.Messages()
	if len(got) != 1 || !got[0].TLS || got[0].Auth != "\x00safecase\x00s3cret" || !bytes.Equal([]byte(got[0].Data), msg) {
		t.Errorf("received %+v", got)
	}

	plain := startSMTPD(t, nil)
	s, err = mail.NewSender(mail.Config{Addr: plain.Addr, From: "noreply@example.org", BaseURL: baseURL, RequireTLS: true})
	noErr(t, err, "NewSender")
	err = s.Send(ctxb(), "cw@example.org", msg)
	var ce *mail.ConnError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("RequireTLS without STARTTLS: %v", err)
	}
	if n := len(plain.Messages()); n != 0 {
		t.Errorf("%d mails sent without TLS", n)
	}

	for _, cfg := range []mail.Config{
		{Addr: "smtp.example.org", From: "a@example.org", BaseURL: baseURL},
		{Addr: "smtp.example.org:25", From: "a@example.org\r\nBcc: e@example.org", BaseURL: baseURL},
		{Addr: "smtp.example.org:25", From: "a@example.org", BaseURL: "example.org"},
		{Addr: "smtp.example.org:25", From: "a@example.org", BaseURL: baseURL, Password: "no user"},
	} {
		if _, err := mail.NewSender(cfg); err == nil {
			t.Errorf("NewSender(%+v) accepted", cfg)
		}
	}
}
