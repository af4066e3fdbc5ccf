package mfa_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

var (
	ctx  = context.Background()
	now  = fixture.Now
	prof = profile.Default()
)

var _ mfa.Tx = (*store.Tx)(nil)

// testKey stands for the key the web layer derives from the key file.
var testKey = bytes.Repeat([]byte{0x5a}, mfa.KeySize)

func sealer(t testing.TB) *mfa.Sealer {
	t.Helper()
	s, err := mfa.NewSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// appCode returns the code an authenticator app set up with en shows at
// when, computed by pquerna/otp from the secret as shown for typing.
func appCode(t testing.TB, en *mfa.Enrolment, when time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(strings.ReplaceAll(en.Secret, " ", ""), when,
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrol sets up an authenticator app for u at now and returns the
// enrolment and the recovery codes it gave.
func enrol(t testing.TB, db *store.DB, u *org.User) (*mfa.Enrolment, []string) {
	t.Helper()
	var en *mfa.Enrolment
	var codes []string
	fixture.In(t, db, func(tx *store.Tx) (err error) {
		en, err = mfa.StartTOTP(ctx, tx, sealer(t), fixture.Actor(u), now)
		return err
	})
	fixture.In(t, db, func(tx *store.Tx) (err error) {
		codes, err = mfa.ConfirmTOTP(ctx, tx, sealer(t), fixture.Actor(u), appCode(t, en, now), now)
		return err
	})
	return en, codes
}

func status(t testing.TB, db *store.DB, u *org.User) mfa.Status {
	t.Helper()
	var st mfa.Status
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		st, err = mfa.StatusOf(ctx, tx, u.ID)
		return err
	})
	return st
}

// startSignIn records u's password as checked at when and returns the token.
func startSignIn(t testing.TB, db *store.DB, u *org.User, when time.Time) string {
	t.Helper()
	var token string
	fixture.In(t, db, func(tx *store.Tx) (err error) {
		token, err = mfa.StartSignIn(ctx, tx, u.ID, when)
		return err
	})
	return token
}

// answer runs the second step in its own transaction, committed, as the
// web layer must.
func answer(t testing.TB, db *store.DB, rp *mfa.RelyingParty, token string, ans mfa.Answer, when time.Time) mfa.Outcome {
	t.Helper()
	var out mfa.Outcome
	fixture.In(t, db, func(tx *store.Tx) (err error) {
		out, err = mfa.SecondStep(ctx, tx, sealer(t), rp, token, ans, when)
		return err
	})
	return out
}

func lookup(db *store.DB, token string, when time.Time) (*mfa.SignIn, error) {
	var s *mfa.SignIn
	err := db.Read(ctx, func(tx *store.Tx) (err error) {
		s, err = mfa.LookupSignIn(ctx, tx, token, when)
		return err
	})
	return s, err
}

// refusal returns "field key" of a one-field error, or the error itself.
func refusal(err error) string {
	if fe, ok := errs.AsFields(err); ok && len(fe) == 1 {
		return fe[0].Field + " " + fe[0].Msg
	}
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// events returns the audit events with action (or category ending in "."), oldest first.
func events(t testing.TB, db *store.DB, action string) []audit.Event {
	t.Helper()
	var out []audit.Event
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		out, err = tx.AuditEvents(ctx, store.AuditFilter{Action: action, Limit: 500})
		return err
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// noSecrets fails when an audit event holds any of secrets.
func noSecrets(t testing.TB, db *store.DB, secrets ...string) {
	t.Helper()
	for _, e := range events(t, db, "") {
		for _, s := range secrets {
			plain := strings.NewReplacer(" ", "", "-", "").Replace(s)
			for _, field := range []string{e.Detail, e.Reason, e.RecordID} {
				if s != "" && (strings.Contains(field, s) || strings.Contains(field, plain)) {
					t.Errorf("audit event %s holds a secret: %q", e.Action, field)
				}
			}
		}
	}
}

func isGone(err error) bool { return errors.Is(err, mfa.ErrSignInGone) }
