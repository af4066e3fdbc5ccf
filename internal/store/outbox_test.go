package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mail"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestOutbox: queuing is idempotent and skips users without an address,
// disabled users and notifications before since; due rows come earliest
// first with their recipient; a claim succeeds once; sent and given-up
// rows are never due again.
func TestOutbox(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		o := fixture.New(t, db)
		now := fixture.Now
		fixture.In(t, db, func(tx *store.Tx) error {
			o.Caseworker.Email, o.Supervisor.Email = "cw@example.org", "sup@example.org"
			o.CaseworkerB.Email, o.CaseworkerB.DisabledAt = "off@example.org", now
			if err := tx.UpdateUser(ctx, o.Caseworker); err != nil {
				return err
			}
			if err := tx.UpdateUser(ctx, o.Supervisor); err != nil {
				return err
			}
			if err := tx.UpdateUser(ctx, o.CaseworkerB); err != nil {
				return err
			}
			// Before since: never queued.
			if err := notify.Send(ctx, tx, []string{o.Caseworker.ID}, notify.Urgent, "", "", now.Add(-time.Hour)); err != nil {
				return err
			}
			// To the caseworker, the supervisor, a user without an address, a disabled user.
			users := []string{o.Caseworker.ID, o.Supervisor.ID, o.Caseworker2.ID, o.CaseworkerB.ID}
			if err := notify.Send(ctx, tx, users, notify.Reopened, "", "", now); err != nil {
				return err
			}
			return notify.Send(ctx, tx, []string{o.Supervisor.ID}, notify.PlanSubmitted, "", "", now.Add(time.Second))
		})
		if first, err := db.FirstMail(ctx); err != nil || !first.IsZero() {
			t.Errorf("FirstMail of an empty outbox: %v, %v", first, err)
		}
		n, err := db.EnqueueMail(ctx, now, now.Add(time.Minute))
		if err != nil || n != 3 {
			t.Fatalf("EnqueueMail = %d, %v; want 3", n, err)
		}
		if n, err := db.EnqueueMail(ctx, now.Add(-2*time.Hour), now.Add(2*time.Minute)); err != nil || n != 1 {
			t.Errorf("EnqueueMail with an earlier since = %d, %v; want only the older notification", n, err)
		}
		if n, err := db.EnqueueMail(ctx, now.Add(-2*time.Hour), now.Add(3*time.Minute)); err != nil || n != 0 {
			t.Errorf("EnqueueMail again = %d, %v; want 0", n, err)
		}
		if first, err := db.FirstMail(ctx); err != nil || !first.Equal(now.Add(2*time.Minute)) {
			// The oldest notification (by ID) was queued second.
			t.Errorf("FirstMail = %v, %v", first, err)
		}

		if due, err := db.DueMail(ctx, now, 10); err != nil || len(due) != 0 {
			t.Errorf("due before any is due: %v, %v", due, err)
		}
		due, err := db.DueMail(ctx, now.Add(time.Minute), 10)
		if err != nil || len(due) != 3 {
			t.Fatalf("DueMail = %+v, %v; want 3", due, err)
		}
		to := map[string]int{}
		for _, e := range due {
			to[e.To]++
			if !e.Active || e.Attempts != 0 || !e.NextAt.Equal(now.Add(time.Minute)) {
				t.Errorf("due %+v", e)
			}
		}
		if to["cw@example.org"] != 1 || to["sup@example.org"] != 2 {
			t.Errorf("recipients %v", to)
		}
		if due, _ := db.DueMail(ctx, now.Add(time.Hour), 2); len(due) != 2 {
			t.Errorf("limit 2 gave %d", len(due))
		}

		// A claim succeeds once; the claimed row is not due until its lease ends.
		e := due[0]
		if ok, err := db.ClaimMail(ctx, e.ID, e.NextAt, now.Add(time.Hour)); !ok || err != nil {
			t.Fatalf("claim: %v, %v", ok, err)
		}
		if ok, err := db.ClaimMail(ctx, e.ID, e.NextAt, now.Add(time.Hour)); ok || err != nil {
			t.Errorf("second claim: %v, %v", ok, err)
		}
		if due, _ := db.DueMail(ctx, now.Add(30*time.Minute), 10); len(due) != 3 {
			t.Errorf("%d due while one is claimed, want 3 (the one queued later included)", len(due))
		}
		if err := db.MailSent(ctx, e.ID, now.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.MailSent(ctx, e.ID, now.Add(3*time.Minute)); errs.KindOf(err) != errs.NotFound {
			t.Errorf("MailSent twice: %v", err)
		}
		if err := db.MailFailed(ctx, e.ID, "x", now, false, now); errs.KindOf(err) != errs.NotFound {
			t.Errorf("MailFailed after sent: %v", err)
		}
		// A failure, then giving up.
		f := due[1]
		if err := db.MailFailed(ctx, f.ID, "451 later", now.Add(5*time.Minute), false, now); err != nil {
			t.Fatal(err)
		}
		if err := db.MailFailed(ctx, f.ID, "550 no", now.Add(9*time.Minute), true, now.Add(6*time.Minute)); err != nil {
			t.Fatal(err)
		}
		for _, d := range mustDue(t, db, now.Add(24*time.Hour)) {
			if d.ID == e.ID || d.ID == f.ID {
				t.Errorf("sent or given-up row %s is due", d.ID)
			}
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			sent, err := tx.OutboxEntry(ctx, e.ID)
			if err != nil {
				return err
			}
			if !sent.SentAt.Equal(now.Add(2*time.Minute)) || sent.Attempts != 1 || !sent.FailedAt.IsZero() {
				t.Errorf("sent row %+v", sent)
			}
			failed, err := tx.OutboxEntry(ctx, f.ID)
			if err != nil {
				return err
			}
			if !failed.FailedAt.Equal(now.Add(6*time.Minute)) || failed.Attempts != 2 || failed.LastError != "550 no" || !failed.SentAt.IsZero() {
				t.Errorf("given-up row %+v", failed)
			}
			var all, sent2, failed2 int
			for _, u := range []string{o.Caseworker.ID, o.Supervisor.ID, o.Caseworker2.ID, o.CaseworkerB.ID} {
				a, s, f, err := tx.CountOutbox(ctx, u)
				if err != nil {
					return err
				}
				all, sent2, failed2 = all+a, sent2+s, failed2+f
			}
			if all != 4 || sent2 != 1 || failed2 != 1 {
				t.Errorf("outbox counts: %d rows, %d sent, %d given up; want 4, 1, 1", all, sent2, failed2)
			}
			for _, id := range []string{"nope", store.NewID()} {
				if _, err := tx.OutboxEntry(ctx, id); errs.KindOf(err) != errs.NotFound {
					t.Errorf("OutboxEntry(%q): %v", id, err)
				}
			}
			return nil
		})
		// A disabled user's queued row is due with Active false (Deliver drops it).
		fixture.In(t, db, func(tx *store.Tx) error {
			o.Caseworker.DisabledAt = now
			return tx.UpdateUser(ctx, o.Caseworker)
		})
		for _, d := range mustDue(t, db, now.Add(24*time.Hour)) {
			if d.UserID == o.Caseworker.ID && d.Active {
				t.Errorf("disabled user's row is active: %+v", d)
			}
		}
	})
}

func mustDue(t *testing.T, db *store.DB, now time.Time) []mail.Entry {
	t.Helper()
	due, err := db.DueMail(context.Background(), now, 100)
	if err != nil {
		t.Fatal(err)
	}
	return due
}
