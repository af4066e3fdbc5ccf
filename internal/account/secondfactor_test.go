package account_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// enrolApp sets up an authenticator app for u and returns what it has set up.
func enrolApp(t *testing.T, db *store.DB, u *org.User) {
	t.Helper()
	s, err := mfa.NewSealer(bytes.Repeat([]byte{7}, mfa.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	var en *mfa.Enrolment
	fixture.In(t, db, func(tx *store.Tx) (err error) {
		en, err = mfa.StartTOTP(ctx, tx, s, fixture.Actor(u), now)
		return err
	})
	code, err := totp.GenerateCodeCustom(strings.ReplaceAll(en.Secret, " ", ""), now,
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	fixture.In(t, db, func(tx *store.Tx) error {
		_, err := mfa.ConfirmTOTP(ctx, tx, s, fixture.Actor(u), code, now)
		return err
	})
}

func mfaStatus(t *testing.T, db *store.DB, id string) mfa.Status {
	t.Helper()
	var st mfa.Status
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		st, err = mfa.StatusOf(ctx, tx, id)
		return err
	})
	return st
}

// TestResetSecondFactor: Reset removes the second factor only when asked,
// in its own transaction (a refused reset removes nothing), records
// mfa.reset and says so in user.reset's detail; the shell may do it too.
func TestResetSecondFactor(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		for _, u := range []*org.User{o.Caseworker, o.SystemAdmin, o.AgencyAdmin, o.OtherCaseworker} {
			enrolApp(t, db, u)
		}
		reset := func(by *org.User, id string, opt account.ResetOptions) error {
			var err error
			op := account.Shell
			if by != nil {
				op = account.By(fixture.Actor(by))
			}
			db.Tx(ctx, func(tx *store.Tx) error {
				_, _, err = account.Reset(ctx, tx, prof, op, id, opt, now)
				return err
			})
			return err
		}
		with := account.ResetOptions{SecondFactor: true}

		if err := reset(o.AgencyAdmin, o.Caseworker.ID, account.ResetOptions{}); err != nil {
			t.Fatal(err)
		}
		if st := mfaStatus(t, db, o.Caseworker.ID); !st.TOTP || st.RecoveryLeft != mfa.RecoveryCount {
			t.Errorf("a reset without the option removed the second factor: %+v", st)
		}
		// Refused resets remove nothing.
		for _, c := range []struct {
			name   string
			by     *org.User
			target *org.User
			kind   errs.Kind
		}{
			{"an agency administrator, a system administrator", o.AgencyAdmin, o.SystemAdmin, errs.Forbidden},
			{"an administrator, herself", o.AgencyAdmin, o.AgencyAdmin, errs.Invalid},
			{"an administrator, another agency's caseworker", o.AgencyAdmin, o.OtherCaseworker, errs.NotFound},
			{"a supervisor, a caseworker", o.Supervisor, o.Caseworker, errs.Forbidden},
		} {
			if err := reset(c.by, c.target.ID, with); errs.KindOf(err) != c.kind {
				t.Errorf("%s: %v, want %v", c.name, err, c.kind)
			}
			if st := mfaStatus(t, db, c.target.ID); !st.TOTP {
				t.Errorf("%s: the second factor went: %+v", c.name, st)
			}
		}

		if err := reset(o.AgencyAdmin, o.Caseworker.ID, with); err != nil {
			t.Fatal(err)
		}
		if st := mfaStatus(t, db, o.Caseworker.ID); st.Enrolled() || st.RecoveryLeft != 0 {
			t.Errorf("after the reset with the option: %+v", st)
		}
		if err := reset(nil, o.SystemAdmin.ID, with); err != nil {
			t.Fatalf("the shell: %v", err)
		}
		if st := mfaStatus(t, db, o.SystemAdmin.ID); st.Enrolled() {
			t.Errorf("after the shell's reset: %+v", st)
		}
		var got []string
		fixture.Read(t, db, func(tx *store.Tx) error {
			evs, err := tx.AuditEvents(ctx, store.AuditFilter{Action: "mfa.reset", Limit: 10})
			for _, e := range evs {
				got = append(got, e.ActorRole+" "+e.RecordID)
			}
			evs, err2 := tx.AuditEvents(ctx, store.AuditFilter{Action: "user.reset", Limit: 10})
			for _, e := range evs {
				if strings.Contains(e.Detail, `"second_factor":{"old":"","new":"removed"}`) {
					got = append(got, "user.reset "+e.RecordID)
				}
			}
			if err == nil {
				err = err2
			}
			return err
		})
		want := []string{"cli " + o.SystemAdmin.ID, "agency_admin " + o.Caseworker.ID,
			"user.reset " + o.SystemAdmin.ID, "user.reset " + o.Caseworker.ID}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("events:\n got %q\nwant %q", got, want)
		}
	})
}
