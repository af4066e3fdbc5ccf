package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mail"
	"github.com/safecase/safecase/internal/notify"
)

// The outbox of e-mail notifications (see package mail). Each method of *DB
// here is one small transaction: delivery talks to an SMTP server between
// them and must never hold the SQLite writer meanwhile.

// FirstMail returns when the outbox's oldest row was queued, or the zero
// time when the outbox is empty (e-mail notifications were never on). Rows
// are keyed by their notifications' time-ordered IDs, so this reads one
// entry of the primary key.
func (db *DB) FirstMail(ctx context.Context) (time.Time, error) {
	var first time.Time
	err := db.Read(ctx, func(tx *Tx) error {
		var created int64
		err := tx.queryRow(ctx, "SELECT created_at FROM outbox ORDER BY id LIMIT 1").Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		first = fromMS(created)
		return err
	})
	return first, err
}

// idFloor returns the smallest UUIDv7 of time t. Notification IDs are
// UUIDv7s made when the notification is, so "id >= idFloor(t)" is a range
// scan of the primary key instead of a scan of every notification ever made.
func idFloor(t time.Time) string {
	var u uuid.UUID
	ms := uint64(max(t.UnixMilli(), 0))
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	return u.String()
}

// EnqueueMail adds an outbox row, due at now, for every notification
// created at or after since to an active user with an e-mail address that
// has no row yet, and returns how many it added. Several processes may run
// it at once: a notification gets one row.
func (db *DB) EnqueueMail(ctx context.Context, since, now time.Time) (int, error) {
	var n int64
	err := db.Tx(ctx, func(tx *Tx) error {
		// The ID bound allows an hour of clock skew between the ID and created_at.
		res, err := tx.exec(ctx, `INSERT INTO outbox (id, user_id, kind, created_at, next_at, attempts, last_error)
			SELECT n.id, n.user_id, n.kind, ?, ?, 0, ''
			FROM notifications n JOIN users u ON u.id = n.user_id
			WHERE n.id >= ? AND n.created_at >= ? AND u.email <> '' AND u.disabled_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = n.id)
			ON CONFLICT (id) DO NOTHING`,
			ms(now), ms(now), idFloor(since.Add(-time.Hour)), ms(since))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// DueMail returns up to limit outbox rows neither sent nor given up whose
// next attempt is due at now, earliest first, each with its user's e-mail
// address and whether the user is active.
func (db *DB) DueMail(ctx context.Context, now time.Time, limit int) ([]mail.Entry, error) {
	var out []mail.Entry
	err := db.Read(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT o.id, o.user_id, o.kind, o.created_at, o.next_at, o.attempts, o.last_error,
			u.email, u.disabled_at
			FROM outbox o JOIN users u ON u.id = o.user_id
			WHERE o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_at <= ?
			ORDER BY o.next_at, o.id LIMIT ?`, ms(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e mail.Entry
			var kind string
			var created, next int64
			var disabled sql.NullInt64
			if err := rows.Scan(&e.ID, &e.UserID, &kind, &created, &next, &e.Attempts, &e.LastError, &e.To, &disabled); err != nil {
				return err
			}
			e.Kind, e.CreatedAt, e.NextAt, e.Active = notify.Kind(kind), fromMS(created), fromMS(next), !disabled.Valid
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// ClaimMail moves the next attempt of the unsent row id from due (as
// DueMail read it) to until, so that no other process sends it meanwhile.
// It returns false when the row changed since it was read.
func (db *DB) ClaimMail(ctx context.Context, id string, due, until time.Time) (bool, error) {
	var n int64
	err := db.Tx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE outbox SET next_at = ?
			WHERE id = ? AND next_at = ? AND sent_at IS NULL AND failed_at IS NULL`, ms(until), id, ms(due))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

// MailSent records that the mail of row id was accepted at now.
func (db *DB) MailSent(ctx context.Context, id string, now time.Time) error {
	return db.Tx(ctx, func(tx *Tx) error {
		return tx.execOne(ctx, "outbox row", `UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = ''
			WHERE id = ? AND sent_at IS NULL`, ms(now), id)
	})
}

// MailFailed counts a failed attempt of row id with its error, to be tried
// again at retry; with giveUp the row is given up at now instead.
func (db *DB) MailFailed(ctx context.Context, id, lastError string, retry time.Time, giveUp bool, now time.Time) error {
	var failed any
	if giveUp {
		failed = ms(now)
	}
	return db.Tx(ctx, func(tx *Tx) error {
		return tx.execOne(ctx, "outbox row", `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_at = ?, failed_at = ?
			WHERE id = ? AND sent_at IS NULL`, lastError, ms(retry), failed, id)
	})
}

// OutboxEntry returns the outbox row of notification id.
func (tx *Tx) OutboxEntry(ctx context.Context, id string) (*mail.Entry, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, errs.E(errs.NotFound, "outbox row")
	}
	var e mail.Entry
	var kind string
	var created, next int64
	var sent, failed sql.NullInt64
	err := tx.queryRow(ctx, `SELECT id, user_id, kind, created_at, next_at, sent_at, failed_at, attempts, last_error
		FROM outbox WHERE id = ?`, id).Scan(&e.ID, &e.UserID, &kind, &created, &next, &sent, &failed, &e.Attempts, &e.LastError)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "outbox row")
	}
	if err != nil {
		return nil, fmt.Errorf("outbox row: %w", err)
	}
	e.Kind, e.CreatedAt, e.NextAt = notify.Kind(kind), fromMS(created), fromMS(next)
	e.SentAt, e.FailedAt = fromNullMS(sent), fromNullMS(failed)
	return &e, nil
}

// CountOutbox counts the outbox rows of user: all, sent, and given up.
func (tx *Tx) CountOutbox(ctx context.Context, user string) (all, sent, failed int, err error) {
	err = tx.queryRow(ctx, `SELECT COUNT(*), COUNT(sent_at), COUNT(failed_at) FROM outbox WHERE user_id = ?`, user).
		Scan(&all, &sent, &failed)
	return all, sent, failed, err
}
