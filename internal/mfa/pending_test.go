package mfa_test

import (
	"testing"
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestPendingTOTP: the enrolment awaiting its first code is shown again as
// it was (the same key and QR code, for a person who mistyped the code),
// only to its owner, and not once it is confirmed or has expired.
func TestPendingTOTP(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		a := fixture.Actor(o.Caseworker)
		s := sealer(t)
		pending := func(who *org.User, when time.Time) (*mfa.Enrolment, error) {
			var en *mfa.Enrolment
			err := db.Read(ctx, func(tx *store.Tx) (err error) {
				en, err = mfa.PendingTOTP(ctx, tx, s, fixture.Actor(who), when)
				return err
			})
			return en, err
		}
		if _, err := pending(o.Caseworker, now); refusal(err) != "code err.mfa_no_enrolment" {
			t.Errorf("before any enrolment: %v", err)
		}
		var en *mfa.Enrolment
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			en, err = mfa.StartTOTP(ctx, tx, s, a, now)
			return err
		})
		again, err := pending(o.Caseworker, now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if again.Secret != en.Secret || again.URI != en.URI || again.QR != en.QR || !again.Expires.Equal(en.Expires) {
			t.Errorf("shown again differently:\n%+v\n%+v", again, en)
		}
		if _, err := pending(o.Caseworker2, now); refusal(err) != "code err.mfa_no_enrolment" {
			t.Errorf("another user's: %v", err)
		}
		if _, err := pending(o.Caseworker, now.Add(mfa.EnrolFor+time.Second)); refusal(err) != "code err.mfa_enrol_expired" {
			t.Errorf("after it expired: %v", err)
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := mfa.ConfirmTOTP(ctx, tx, s, a, appCode(t, en, now), now)
			return err
		})
		if _, err := pending(o.Caseworker, now); refusal(err) != "code err.mfa_no_enrolment" {
			t.Errorf("once confirmed: %v", err)
		}
		// Another key does not open it.
		other, err := mfa.NewSealer(make([]byte, mfa.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			_, err = mfa.StartTOTP(ctx, tx, s, a, now)
			return err
		})
		err = db.Read(ctx, func(tx *store.Tx) error {
			_, err := mfa.PendingTOTP(ctx, tx, other, a, now)
			return err
		})
		if err == nil || errs.KindOf(err) != errs.Other {
			t.Errorf("with another key: %v", err)
		}
	})
}

// TestResetAtShell: the shell operator's reset removes every factor of the
// user and records mfa.reset as the shell's (no actor), naming what went.
func TestResetAtShell(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		enrol(t, db, o.SystemAdmin)
		fixture.In(t, db, func(tx *store.Tx) error { return mfa.ResetAtShell(ctx, tx, o.SystemAdmin.ID, now) })
		if st := status(t, db, o.SystemAdmin); st.Enrolled() || st.RecoveryLeft != 0 {
			t.Errorf("after the shell's reset: %+v", st)
		}
		evs := events(t, db, "mfa.reset")
		if len(evs) != 1 || evs[0].ActorRole != "cli" || evs[0].ActorID != "" || evs[0].RecordID != o.SystemAdmin.ID ||
			evs[0].Detail != `{"passkeys":0,"recovery_codes":10,"totp":true}` {
			t.Errorf("mfa.reset: %+v", evs)
		}
		err := db.Tx(ctx, func(tx *store.Tx) error { return mfa.ResetAtShell(ctx, tx, "no-such-user", now) })
		if errs.KindOf(err) != errs.NotFound {
			t.Errorf("an unknown user: %v", err)
		}
	})
}
