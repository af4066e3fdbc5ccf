package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/notify"
)

// Entry is one row of the outbox: a notification to be mailed. It holds no
// case content: the notification's ID, its user and its kind.
type Entry struct {
	ID        string // the notification's ID
	UserID    string
	Kind      notify.Kind
	CreatedAt time.Time
	NextAt    time.Time // when to try next
	SentAt    time.Time // zero until the server accepted it
	FailedAt  time.Time // set when given up
	Attempts  int
	LastError string

	// Filled by DueMail: the user's address now, and whether they are active.
	To     string
	Active bool
}

// Outbox is the storage delivery needs; each method is its own small
// transaction (*store.DB has them).
type Outbox interface {
	// FirstMail returns when the oldest row was queued (zero when the
	// outbox is empty): e-mail notifications were on since then.
	FirstMail(ctx context.Context) (time.Time, error)
	// EnqueueMail adds a row, due at now, for every notification created at
	// or after since to an active user with an e-mail address that has none.
	EnqueueMail(ctx context.Context, since, now time.Time) (int, error)
	// DueMail returns up to limit rows neither sent nor given up whose next
	// attempt is due at now, earliest first, with the recipient.
	DueMail(ctx context.Context, now time.Time, limit int) ([]Entry, error)
	// ClaimMail moves a due row's next attempt from due to until, unless
	// another process did first (then it returns false).
	ClaimMail(ctx context.Context, id string, due, until time.Time) (bool, error)
	// MailSent records that the server accepted the mail at now.
	MailSent(ctx context.Context, id string, now time.Time) error
	// MailFailed counts a failed attempt with its error, to be retried at
	// retry, or given up at now when giveUp.
	MailFailed(ctx context.Context, id, lastError string, retry time.Time, giveUp bool, now time.Time) error
}

// Defaults of a Deliverer.
const (
	DefaultMaxAge      = 24 * time.Hour
	DefaultMaxAttempts = 8
	DefaultBackoff     = time.Minute
	MaxBackoff         = 2 * time.Hour
	batch              = 50
	lease              = 10 * time.Minute // a claimed row waits this long before another try, should its sender vanish
)

// Deliverer mails notifications from the outbox.
type Deliverer struct {
	Outbox  Outbox
	Sender  *Sender
	Catalog *i18n.Catalog
	Log     *slog.Logger     // nil: no logs
	Now     func() time.Time // nil: time.Now

	// Since is the oldest notification to mail. When zero, it is settled
	// on the first pass: the time of that pass if the outbox is empty (e-mail
	// was just turned on: no history is mailed), else a minute before the
	// outbox's first row was queued (when e-mail was turned on). MaxAge
	// bounds it either way.
	Since time.Time
	// MaxAge: notifications older than this are never mailed (default 24h).
	MaxAge time.Duration
	// MaxAttempts: a mail is given up after this many failures (default 8).
	MaxAttempts int
	// Backoff is the wait after the first failure; it doubles with each
	// further failure, up to MaxBackoff (default 1 minute).
	Backoff time.Duration

	checked bool // whether Since was settled
}

// Result counts what one pass did.
type Result struct {
	Queued  int // new outbox rows
	Sent    int // mails accepted by the server
	Failed  int // attempts that failed (retried later, or given up)
	Dropped int // rows given up without an attempt: the user was disabled or has no address now
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// since returns the oldest notification to mail at now.
func (d *Deliverer) since(ctx context.Context, now time.Time) (time.Time, error) {
	if !d.checked {
		if d.Since.IsZero() {
			first, err := d.Outbox.FirstMail(ctx)
			if err != nil {
				return time.Time{}, err
			}
			if first.IsZero() {
				d.Since = now
			} else {
				d.Since = first.Add(-time.Minute)
			}
		}
		d.checked = true
	}
	maxAge := d.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	since := now.Add(-maxAge)
	if d.Since.After(since) {
		since = d.Since
	}
	return since, nil
}

// backoff is the wait before the next attempt after the n-th failure.
func (d *Deliverer) backoff(n int) time.Duration {
	w := d.Backoff
	if w <= 0 {
		w = DefaultBackoff
	}
	for i := 1; i < n && w < MaxBackoff; i++ {
		w *= 2
	}
	return min(w, MaxBackoff)
}

// Deliver runs one pass: it queues the new notifications of users with an
// e-mail address, then sends every due mail, one per notification. A pass
// stops early when the SMTP server cannot be reached (the rest waits for
// the next pass) or when ctx ends. Not safe for concurrent use.
func (d *Deliverer) Deliver(ctx context.Context) (Result, error) {
	var res Result
	now := d.now()
	since, err := d.since(ctx, now)
	if err != nil {
		return res, fmt.Errorf("outbox: %w", err)
	}
	if res.Queued, err = d.Outbox.EnqueueMail(ctx, since, now); err != nil {
		return res, fmt.Errorf("outbox: queue: %w", err)
	}
	maxAttempts := d.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	for round := 0; round < 20; round++ {
		due, err := d.Outbox.DueMail(ctx, now, batch)
		if err != nil {
			return res, fmt.Errorf("outbox: due: %w", err)
		}
		for _, e := range due {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			if !e.Active || e.To == "" {
				if err := d.Outbox.MailFailed(ctx, e.ID, "the user is disabled or has no e-mail address", now, true, now); err != nil {
					return res, fmt.Errorf("outbox: %w", err)
				}
				res.Dropped++
				continue
			}
			ok, err := d.Outbox.ClaimMail(ctx, e.ID, e.NextAt, now.Add(lease))
			if err != nil {
				return res, fmt.Errorf("outbox: claim: %w", err)
			}
			if !ok {
				continue // another process has it
			}
			sendErr := d.send(ctx, e, now)
			if sendErr == nil {
				if err := d.Outbox.MailSent(ctx, e.ID, d.now()); err != nil {
					return res, fmt.Errorf("outbox: %w", err)
				}
				res.Sent++
				continue
			}
			if ctx.Err() != nil {
				return res, ctx.Err() // shutting down: the lease lets a later pass retry it
			}
			n := e.Attempts + 1
			giveUp := n >= maxAttempts
			msg := cleanError(sendErr)
			if err := d.Outbox.MailFailed(ctx, e.ID, msg, now.Add(d.backoff(n)), giveUp, now); err != nil {
				return res, fmt.Errorf("outbox: %w", err)
			}
			res.Failed++
			if d.Log != nil {
				// The outbox ID is the notification's: it names no case.
				d.Log.Warn("e-mail notification not delivered", "outbox", e.ID, "attempts", n, "given_up", giveUp, "err", msg)
			}
			var ce *ConnError
			if errors.As(sendErr, &ce) {
				return res, nil // the server is unreachable: the rest waits for the next pass
			}
		}
		if len(due) < batch {
			break
		}
	}
	return res, nil
}

// send builds and sends the mail of e.
func (d *Deliverer) send(ctx context.Context, e Entry, now time.Time) error {
	subject, body := Notification(d.Catalog, e.Kind, d.Sender.BaseURL())
	msg, err := Compose(Message{From: d.Sender.From(), To: e.To, Subject: subject, Body: body, Date: now})
	if err != nil {
		return err
	}
	return d.Sender.Send(ctx, e.To, msg)
}

// cleanError is err's text for the outbox and the log: one line, printable,
// at most 300 bytes. (A mail holds no case content, so neither does the
// server's answer to it.)
func cleanError(err error) string {
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, err.Error())
	if len(s) > 300 {
		s = s[:300]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// Loop runs a pass every interval until ctx ends; each pass's errors and
// counts go to the log. It returns when ctx ends and the pass under way has
// stopped.
func (d *Deliverer) Loop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := d.Deliver(ctx)
		if ctx.Err() != nil {
			return
		}
		if d.Log != nil {
			if err != nil {
				d.Log.Error("e-mail notifications", "err", err)
			} else if res != (Result{}) {
				d.Log.Info("e-mail notifications", "queued", res.Queued, "sent", res.Sent, "failed", res.Failed, "dropped", res.Dropped)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
