package mfa_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestTOTPEnrolment: enrolment shows a fresh secret (for typing, as an
// otpauth URI with the issuer and the username, and as a QR code), keeps it
// sealed, and completes only with a valid code; the first factor comes
// with ten recovery codes; the code that confirmed cannot then sign in.
func TestTOTPEnrolment(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := o.Caseworker
		a := fixture.Actor(cw)
		s := sealer(t)
		if !mfa.MustEnrol(prof, cw.Role, status(t, db, cw)) {
			t.Fatal("a caseworker without a second factor need not enrol")
		}
		confirm := func(code string, when time.Time) ([]string, error) {
			var codes []string
			err := db.Tx(ctx, func(tx *store.Tx) (err error) {
				codes, err = mfa.ConfirmTOTP(ctx, tx, s, a, code, when)
				return err
			})
			return codes, err
		}
		if _, err := confirm("123456", now); refusal(err) != "code err.mfa_no_enrolment" {
			t.Errorf("confirm before starting: %v", err)
		}

		var en *mfa.Enrolment
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			en, err = mfa.StartTOTP(ctx, tx, s, a, now)
			return err
		})
		key, err := otp.NewKeyFromURL(en.URI)
		if err != nil {
			t.Fatal(err)
		}
		if key.Type() != "totp" || key.Issuer() != "SafeCase" || key.AccountName() != cw.Username || key.Period() != 30 ||
			key.Digits() != otp.DigitsSix || key.Algorithm() != otp.AlgorithmSHA1 {
			t.Errorf("URI %s: type %s issuer %q account %q period %d digits %v algorithm %v", en.URI, key.Type(),
				key.Issuer(), key.AccountName(), key.Period(), key.Digits(), key.Algorithm())
		}
		if strings.Contains(en.URI, "User") || strings.Contains(en.URI, strings.ReplaceAll(cw.DisplayName, " ", "")) {
			t.Errorf("the URI names the person: %s", en.URI)
		}
		plain := strings.ReplaceAll(en.Secret, " ", "")
		if key.Secret() != plain || len(plain) != 32 {
			t.Errorf("secret shown %q, URI's %q (want 32 base32 letters: 160 bits)", en.Secret, key.Secret())
		}
		if !en.Expires.Equal(now.Add(mfa.EnrolFor)) {
			t.Errorf("expires %v", en.Expires)
		}
		b64, ok := strings.CutPrefix(en.QR, "data:image/png;base64,")
		if !ok {
			t.Fatalf("QR %.40q is not a PNG data URL", en.QR)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil || img.Bounds().Dx() != 200 || img.Bounds().Dy() != 200 {
			t.Errorf("QR image: %v, %v", img.Bounds(), err)
		}
		// At rest the secret is sealed; nothing is confirmed yet.
		fixture.Read(t, db, func(tx *store.Tx) error {
			row, err := tx.TOTP(ctx, cw.ID)
			if err != nil {
				return err
			}
			if row.Secret != "" || !strings.HasPrefix(row.PendingSecret, "v1.") || strings.Contains(row.PendingSecret, plain) {
				t.Errorf("stored row %+v", row)
			}
			return nil
		})
		if st := status(t, db, cw); st.TOTP || !mfa.MustEnrol(prof, cw.Role, st) {
			t.Errorf("status before the first code: %+v", st)
		}

		// Only a valid code completes it.
		for _, tt := range []struct{ code, want string }{
			{"12345", "code err.mfa_totp_format"},
			{"ABCD-EFGH-JKMN-PQRS", "code err.mfa_totp_format"},
			{appCode(t, en, now.Add(-time.Minute)), "code err.mfa_code_wrong"},
			{appCode(t, en, now.Add(time.Minute)), "code err.mfa_code_wrong"},
		} {
			if _, err := confirm(tt.code, now); refusal(err) != tt.want {
				t.Errorf("confirm %q: %v, want %s", tt.code, err, tt.want)
			}
		}
		if _, err := confirm(appCode(t, en, now.Add(16*time.Minute)), now.Add(16*time.Minute)); refusal(err) != "code err.mfa_enrol_expired" {
			t.Errorf("confirm after %v: %v", mfa.EnrolFor, err)
		}
		first := appCode(t, en, now.Add(-30*time.Second)) // the phone is a little behind
		codes, err := confirm(first, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != mfa.RecoveryCount {
			t.Errorf("recovery codes %v", codes)
		}
		st := status(t, db, cw)
		if !st.TOTP || st.RecoveryLeft != mfa.RecoveryCount || mfa.MustEnrol(prof, cw.Role, st) || !mfa.NeedsSecondStep(st) {
			t.Errorf("status after confirming: %+v", st)
		}

		// The confirming code cannot sign in, nor can the code before it.
		tok := startSignIn(t, db, cw, now)
		for _, c := range []string{first, appCode(t, en, now.Add(-60*time.Second))} {
			if out := answer(t, db, nil, tok, mfa.Answer{Code: c}, now); out.UserID != "" {
				t.Errorf("code %s signed in after confirming", c)
			}
		}
		if out := answer(t, db, nil, tok, mfa.Answer{Code: appCode(t, en, now)}, now); out.UserID != cw.ID || out.Method != mfa.MethodTOTP {
			t.Errorf("the next code: %+v", out)
		}

		// The trail says what happened, never a secret or a code.
		var got []string
		for _, e := range events(t, db, "mfa.") {
			if e.RecordID != cw.ID || e.ActorID != cw.ID || e.AgencyID != cw.AgencyID {
				t.Errorf("event %+v", e)
			}
			got = append(got, e.Action)
		}
		if strings.Join(got, " ") != "mfa.totp_start mfa.recovery_new mfa.totp_confirm" {
			t.Errorf("events %v", got)
		}
		noSecrets(t, db, append(codes, plain, first, key.Secret())...)
	})
}

// TestTOTPReplace: a new phone replaces the old app: the old one keeps
// working until the new one is confirmed, then stops; the recovery codes
// held stay valid and no new set is issued.
func TestTOTPReplace(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := o.Caseworker
		old, codes := enrol(t, db, cw)
		later := now.Add(time.Hour)
		var fresh *mfa.Enrolment
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			fresh, err = mfa.StartTOTP(ctx, tx, sealer(t), fixture.Actor(cw), later)
			return err
		})
		if fresh.Secret == old.Secret {
			t.Fatal("the same secret twice")
		}
		if out := answer(t, db, nil, startSignIn(t, db, cw, later), mfa.Answer{Code: appCode(t, old, later)}, later); out.UserID != cw.ID {
			t.Errorf("the old app during the new enrolment: %+v", out)
		}
		var again []string
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			again, err = mfa.ConfirmTOTP(ctx, tx, sealer(t), fixture.Actor(cw), appCode(t, fresh, later.Add(30*time.Second)), later.Add(30*time.Second))
			return err
		})
		if again != nil {
			t.Errorf("recovery codes issued again: %v", again)
		}
		at := later.Add(2 * time.Minute)
		if out := answer(t, db, nil, startSignIn(t, db, cw, at), mfa.Answer{Code: appCode(t, old, at)}, at); out.UserID != "" {
			t.Errorf("the old app after the new one was confirmed: %+v", out)
		}
		at = at.Add(time.Minute)
		if out := answer(t, db, nil, startSignIn(t, db, cw, at), mfa.Answer{Code: codes[0]}, at); out.UserID != cw.ID {
			t.Errorf("a recovery code of before: %+v", out)
		}
		var detail string
		for _, e := range events(t, db, "mfa.totp_confirm") {
			detail = e.Detail
		}
		if detail != `{"recovery_codes_issued":0,"replaced":true}` {
			t.Errorf("detail of the replacement: %s", detail)
		}
	})
}

// TestSignInTOTP: a pending sign-in takes the app's code within one step of
// skew, once; a code (a time step) used once is refused after, as is any
// earlier one; the pending sign-in is used up by the code that succeeds.
func TestSignInTOTP(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := o.Caseworker
		en, _ := enrol(t, db, cw)
		at := now.Add(time.Hour)
		tok := startSignIn(t, db, cw, at)
		s, err := lookup(db, tok, at)
		if err != nil {
			t.Fatal(err)
		}
		if s.UserID != cw.ID || !s.Status.TOTP || s.AttemptsLeft != mfa.MaxAttempts || !s.ExpiresAt.Equal(at.Add(mfa.SignInFor)) {
			t.Errorf("pending sign-in %+v", s)
		}
		// Made 30 seconds behind the server's clock: accepted.
		used := appCode(t, en, at.Add(-30*time.Second))
		out := answer(t, db, nil, tok, mfa.Answer{Code: used[:3] + " " + used[3:]}, at)
		if out.UserID != cw.ID || out.Method != mfa.MethodTOTP || out.Refused != nil {
			t.Fatalf("outcome %+v", out)
		}
		// Used up.
		if out := answer(t, db, nil, tok, mfa.Answer{Code: appCode(t, en, at)}, at); !isGone(out.Refused) {
			t.Errorf("the token again: %+v", out)
		}
		if _, err := lookup(db, tok, at); !isGone(err) {
			t.Errorf("lookup of a used token: %v", err)
		}
		// Replay: the same step, and the one before it, are refused; the next is accepted.
		tok = startSignIn(t, db, cw, at)
		for _, c := range []string{used, appCode(t, en, at.Add(-60*time.Second))} {
			out := answer(t, db, nil, tok, mfa.Answer{Code: c}, at)
			want := "code err.mfa_code_used"
			if c != used {
				want = "code err.mfa_code_wrong" // two steps back: outside the skew
			}
			if got := refusal(out.Refused); out.UserID != "" || got != want {
				t.Errorf("code %s: %+v, want %s", c, out, want)
			}
		}
		if out := answer(t, db, nil, tok, mfa.Answer{Code: appCode(t, en, at)}, at); out.UserID != cw.ID {
			t.Errorf("the current step after the previous one: %+v", out)
		}
		// Two steps ahead of the server: refused.
		tok = startSignIn(t, db, cw, at)
		if out := answer(t, db, nil, tok, mfa.Answer{Code: appCode(t, en, at.Add(2*time.Minute))}, at.Add(time.Second)); refusal(out.Refused) != "code err.mfa_code_wrong" {
			t.Errorf("two steps ahead: %+v", out)
		}
		// The trail: one success per sign-in, the failures without the codes.
		var methods []string
		for _, e := range events(t, db, "auth.second_factor") {
			if e.ActorID != cw.ID || e.RecordID != cw.ID {
				t.Errorf("event %+v", e)
			}
			methods = append(methods, e.Detail)
		}
		if len(methods) != 2 || methods[0] != `{"method":"totp"}` {
			t.Errorf("successes %v", methods)
		}
		var reasons []string
		for _, e := range events(t, db, "auth.second_factor_failed") {
			reasons = append(reasons, e.Reason)
			if e.ActorID != "" {
				t.Errorf("a failure has an actor: %+v", e)
			}
		}
		if strings.Join(reasons, "|") != "code already used (replay)|wrong code|wrong code" {
			t.Errorf("failure reasons %q", reasons)
		}
		noSecrets(t, db, used, appCode(t, en, at), appCode(t, en, at.Add(-60*time.Second)), appCode(t, en, at.Add(2*time.Minute)))
	})
}

// TestPendingSignIn: a pending sign-in expires after five minutes, is void
// after five wrong answers (counted and audited even though each is
// refused), does not count what is no code at all, and a user who gives
// ten wrong answers within the window over several sign-ins is refused
// until it ends.
func TestPendingSignIn(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := o.Caseworker
		en, _ := enrol(t, db, cw)
		at := now.Add(time.Hour)

		// Expiry.
		tok := startSignIn(t, db, cw, at)
		end := at.Add(mfa.SignInFor)
		if _, err := lookup(db, tok, end.Add(-time.Second)); err != nil {
			t.Errorf("just before the end: %v", err)
		}
		if out := answer(t, db, nil, tok, mfa.Answer{Code: appCode(t, en, end)}, end); !isGone(out.Refused) || out.UserID != "" {
			t.Errorf("at the end: %+v", out)
		}
		if errs.KindOf(mfa.ErrSignInGone) != errs.Unauthenticated {
			t.Error("ErrSignInGone is not of kind Unauthenticated")
		}
		var swept int64
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			swept, err = mfa.Sweep(ctx, tx, end)
			return err
		})
		if swept != 1 {
			t.Errorf("swept %d, want the expired sign-in", swept)
		}
		if _, err := lookup(db, "", at); !isGone(err) {
			t.Errorf("no token: %v", err)
		}
		if _, err := lookup(db, "made-up", at); !isGone(err) {
			t.Errorf("made-up token: %v", err)
		}

		// Five wrong answers make it void; what is no code is not counted.
		tok = startSignIn(t, db, cw, at)
		if out := answer(t, db, nil, tok, mfa.Answer{Code: "hello"}, at); refusal(out.Refused) != "code err.mfa_code_format" {
			t.Errorf("not a code: %+v", out)
		}
		wrong := "000000"
		if wrong == appCode(t, en, at) || wrong == appCode(t, en, at.Add(-30*time.Second)) || wrong == appCode(t, en, at.Add(30*time.Second)) {
			wrong = "111111"
		}
		for i := 1; i <= mfa.MaxAttempts; i++ {
			out := answer(t, db, nil, tok, mfa.Answer{Code: wrong}, at)
			want := "code err.mfa_code_wrong"
			if i == mfa.MaxAttempts {
				want = mfa.ErrTooManyAttempts.Error()
			} else if s, err := lookup(db, tok, at); err != nil || s.AttemptsLeft != mfa.MaxAttempts-i {
				t.Errorf("after %d wrong: %+v, %v", i, s, err)
			}
			if got := refusal(out.Refused); got != want || out.UserID != "" {
				t.Errorf("wrong answer %d: %s, want %s", i, got, want)
			}
		}
		if errs.KindOf(mfa.ErrTooManyAttempts) != errs.TooManyRequests {
			t.Error("ErrTooManyAttempts is not of kind TooManyRequests")
		}
		if out := answer(t, db, nil, tok, mfa.Answer{Code: appCode(t, en, at)}, at); !isGone(out.Refused) {
			t.Errorf("the right code after five wrong: %+v", out)
		}
		failed := events(t, db, "auth.second_factor_failed")
		if len(failed) != mfa.MaxAttempts {
			t.Fatalf("%d failures audited, want %d", len(failed), mfa.MaxAttempts)
		}
		if f := failed[2]; f.RecordID != cw.ID || f.AgencyID != cw.AgencyID || f.Reason != "wrong code" ||
			f.Detail != `{"attempt":3,"method":"totp","user_failures":3}` {
			t.Errorf("third failure %+v", f)
		}
		noSecrets(t, db, wrong)

		// Five more on a second sign-in reach the user's limit: a third
		// sign-in is refused even with the right code, until the window ends.
		tok = startSignIn(t, db, cw, at)
		for range mfa.MaxAttempts {
			answer(t, db, nil, tok, mfa.Answer{Code: wrong}, at.Add(time.Minute))
		}
		tok = startSignIn(t, db, cw, at.Add(2*time.Minute))
		s, err := lookup(db, tok, at.Add(2*time.Minute))
		if err != nil || !s.LockedUntil.Equal(at.Add(mfa.FailureWindow)) {
			t.Errorf("lookup while locked: %+v, %v", s, err)
		}
		if out := answer(t, db, nil, tok, mfa.Answer{Code: appCode(t, en, at.Add(2*time.Minute))}, at.Add(2*time.Minute)); out.Refused != mfa.ErrLocked || out.UserID != "" {
			t.Errorf("right code while locked: %+v", out)
		}
		if s, _ := lookup(db, tok, at.Add(2*time.Minute)); s == nil || s.AttemptsLeft != mfa.MaxAttempts {
			t.Errorf("an answer refused while locked counted as an attempt: %+v", s)
		}
		open := at.Add(mfa.FailureWindow)
		tok = startSignIn(t, db, cw, open)
		if out := answer(t, db, nil, tok, mfa.Answer{Code: appCode(t, en, open)}, open); out.UserID != cw.ID {
			t.Errorf("right code after the window: %+v", out)
		}
		var th mfa.Throttle
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			th, err = tx.MFAThrottle(ctx, cw.ID)
			return err
		})
		if th.Failures != 0 {
			t.Errorf("failures not forgotten after signing in: %+v", th)
		}
	})
}

// TestStartSignInNeedsAFactor: a pending sign-in is only for someone with a
// factor; a disabled account's pending sign-in is gone.
func TestStartSignInNeedsAFactor(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := mfa.StartSignIn(ctx, tx, o.Caseworker.ID, now)
			return err
		})
		if err == nil {
			t.Error("a pending sign-in for someone without a second factor")
		}
		en, _ := enrol(t, db, o.Caseworker)
		tok := startSignIn(t, db, o.Caseworker, now.Add(time.Minute))
		fixture.In(t, db, func(tx *store.Tx) error {
			u, err := tx.User(ctx, o.Caseworker.ID)
			if err != nil {
				return err
			}
			u.DisabledAt = now
			return tx.UpdateUser(ctx, u)
		})
		at := now.Add(2 * time.Minute)
		if out := answer(t, db, nil, tok, mfa.Answer{Code: appCode(t, en, at)}, at); !isGone(out.Refused) {
			t.Errorf("disabled account: %+v", out)
		}
	})
}
