package mfa

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// The TOTP parameters are the ones every authenticator app supports:
// HMAC-SHA1, six digits, a new code every 30 seconds.
const (
	Issuer     = "SafeCase"
	Period     = 30 // seconds
	Skew       = 1  // steps accepted either side of now: a phone's clock may be a little off
	secretSize = 20 // bytes: RFC 4226's recommended 160 bits
	qrSize     = 200
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Step returns the TOTP time step of t.
func Step(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - Period + 1) / Period
	}
	return s / Period
}

// codeAt returns the code of secret at step.
func codeAt(secret []byte, step int64) (string, error) {
	return hotp.GenerateCodeCustom(b32.EncodeToString(secret), uint64(step),
		hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// matchStep returns the latest step within Skew of now at which secret's
// code is code (in normal form), and whether there is one. Every step is
// compared, in constant time, whether or not an earlier one matched.
func matchStep(secret []byte, code string, now time.Time) (int64, bool, error) {
	cur := Step(now)
	var found int64
	ok := false
	for d := int64(-Skew); d <= Skew; d++ {
		c, err := codeAt(secret, cur+d)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(c), []byte(code)) == 1 {
			found, ok = cur+d, true
		}
	}
	return found, ok, nil
}

// Enrolment is what a person needs to add SafeCase to an authenticator app.
// It is shown once, on the page that asks for the first code; the secret is
// not shown again.
type Enrolment struct {
	Secret  string    // base32 in groups of four, for typing into the app
	URI     string    // otpauth://totp/SafeCase:username?secret=…&issuer=SafeCase…
	QR      string    // the URI as a QR code: a data:image/png;base64,… URL for an <img>
	Expires time.Time // the first code must be typed before then
}

// StartTOTP begins actor a's enrolment of an authenticator app: a fresh
// secret, sealed by s and kept as pending until ConfirmTOTP sees a code made
// from it. An app already confirmed keeps working until then (this is how a
// new phone replaces an old one). The app is told the username, never the
// person's name.
func StartTOTP(ctx context.Context, tx Tx, s *Sealer, a access.Actor, now time.Time) (en *Enrolment, err error) {
	defer errs.Wrap(&err, "mfa.StartTOTP")
	u, err := own(ctx, tx, a)
	if err != nil {
		return nil, err
	}
	secret := make([]byte, secretSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	en, err = enrolment(u, secret, now)
	if err != nil {
		return nil, err
	}
	sealed, err := s.seal(u.ID, secret)
	if err != nil {
		return nil, err
	}
	t, err := tx.TOTP(ctx, u.ID)
	switch {
	case errs.KindOf(err) == errs.NotFound:
		t = &TOTP{UserID: u.ID}
	case err != nil:
		return nil, err
	}
	t.PendingSecret, t.PendingSince, t.UpdatedAt = sealed, now, now
	if err := tx.SaveTOTP(ctx, t); err != nil {
		return nil, err
	}
	e := event(a, u, "mfa.totp_start", now)
	if err := tx.Record(ctx, e); err != nil {
		return nil, err
	}
	return en, nil
}

// enrolment is what u types or scans to add secret to an app, made at since.
func enrolment(u *org.User, secret []byte, since time.Time) (*Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: Issuer, AccountName: u.Username, Period: Period,
		Secret: secret, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &Enrolment{
		Secret:  groups(key.Secret()),
		URI:     key.URL(),
		QR:      "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
		Expires: since.Add(EnrolFor),
	}, nil
}

// PendingTOTP returns actor a's enrolment awaiting its first code, as
// StartTOTP returned it, so that a person who mistyped the code is asked
// again without scanning a new QR code (which would leave a dead entry in
// their app). It returns a field error when no enrolment is under way or it
// has expired. Like StartTOTP's answer, it is shown only in the answer to a
// POST, never on a page a GET can reload.
func PendingTOTP(ctx context.Context, tx Tx, s *Sealer, a access.Actor, now time.Time) (en *Enrolment, err error) {
	defer errs.Wrap(&err, "mfa.PendingTOTP")
	u, t, err := enrolling(ctx, tx, a, now)
	if err != nil {
		return nil, err
	}
	secret, err := s.open(u.ID, t.PendingSecret)
	if err != nil {
		return nil, err
	}
	return enrolment(u, secret, t.PendingSince)
}

// enrolling returns actor a's own user and app, whose enrolment is under way
// and not yet expired; otherwise a field error on "code" says which.
func enrolling(ctx context.Context, tx Tx, a access.Actor, now time.Time) (*org.User, *TOTP, error) {
	u, err := own(ctx, tx, a)
	if err != nil {
		return nil, nil, err
	}
	t, err := tx.TOTP(ctx, u.ID)
	switch {
	case errs.KindOf(err) == errs.NotFound || err == nil && t.PendingSecret == "":
		return nil, nil, errs.Field("code", "err.mfa_no_enrolment")
	case err != nil:
		return nil, nil, err
	case now.Sub(t.PendingSince) > EnrolFor:
		return nil, nil, errs.Field("code", "err.mfa_enrol_expired")
	}
	return u, t, nil
}

// groups writes s in groups of four letters.
func groups(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// ConfirmTOTP completes actor a's enrolment when code, as typed, is the
// app's current code (within Skew steps). The step it used is recorded, so
// the same code cannot then sign in. When this gives the person their first
// second factor (and they hold no unused recovery codes) it returns a new
// set of recovery codes, to be shown once.
func ConfirmTOTP(ctx context.Context, tx Tx, s *Sealer, a access.Actor, code string, now time.Time) (recovery []string, err error) {
	defer errs.Wrap(&err, "mfa.ConfirmTOTP")
	u, t, err := enrolling(ctx, tx, a, now)
	if err != nil {
		return nil, err
	}
	kind, norm := ParseCode(code)
	if kind != TOTPCode {
		return nil, errs.Field("code", "err.mfa_totp_format")
	}
	secret, err := s.open(u.ID, t.PendingSecret)
	if err != nil {
		return nil, err
	}
	step, ok, err := matchStep(secret, norm, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Field("code", "err.mfa_code_wrong")
	}
	replaced := t.Secret != ""
	t.Secret, t.ConfirmedAt, t.LastStep = t.PendingSecret, now, step
	t.PendingSecret, t.PendingSince, t.UpdatedAt = "", time.Time{}, now
	if err := tx.SaveTOTP(ctx, t); err != nil {
		return nil, err
	}
	recovery, err = ensureRecovery(ctx, tx, a, u, now)
	if err != nil {
		return nil, err
	}
	e := event(a, u, "mfa.totp_confirm", now)
	e.Detail = detail(map[string]any{"replaced": replaced, "recovery_codes_issued": len(recovery)})
	return recovery, tx.Record(ctx, e)
}

// RemoveTOTP removes actor a's authenticator app, or cancels an enrolment
// under way. A person whose role must use a second factor cannot remove the
// last one they have: they add a passkey first, or set up a new app (which
// replaces the old one). Removing the last factor removes the recovery codes
// too, which have nothing left to stand in for.
func RemoveTOTP(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, now time.Time) (err error) {
	defer errs.Wrap(&err, "mfa.RemoveTOTP")
	u, err := own(ctx, tx, a)
	if err != nil {
		return err
	}
	t, err := tx.TOTP(ctx, u.ID)
	if err != nil {
		return err
	}
	st, err := tx.MFAStatus(ctx, u.ID)
	if err != nil {
		return err
	}
	last := t.Secret != "" && st.Passkeys == 0
	if last && p.RequiresSecondFactor(u.Role) {
		return errs.Field("totp", "err.mfa_last_factor")
	}
	if _, err := tx.DeleteTOTP(ctx, u.ID); err != nil {
		return err
	}
	var dropped int64
	if last {
		if dropped, err = tx.DeleteRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
	}
	action := "mfa.totp_remove"
	if t.Secret == "" {
		action = "mfa.totp_cancel"
	}
	e := event(a, u, action, now)
	e.Detail = detail(map[string]any{"recovery_codes_removed": dropped})
	return tx.Record(ctx, e)
}

// checkTOTP checks code (normal form) against u's confirmed app at now and
// records the step it used. It returns the message key of the refusal, or
// "" when the code is right.
func checkTOTP(ctx context.Context, tx Tx, s *Sealer, u *org.User, code string, now time.Time) (string, error) {
	t, err := tx.TOTP(ctx, u.ID)
	switch {
	case errs.KindOf(err) == errs.NotFound:
		return "err.mfa_code_wrong", nil
	case err != nil:
		return "", err
	case t.Secret == "":
		return "err.mfa_code_wrong", nil
	}
	secret, err := s.open(u.ID, t.Secret)
	if err != nil {
		return "", err
	}
	step, ok, err := matchStep(secret, code, now)
	if err != nil {
		return "", err
	}
	if !ok {
		return "err.mfa_code_wrong", nil
	}
	fresh, err := tx.UseTOTPStep(ctx, u.ID, step)
	if err != nil {
		return "", err
	}
	if !fresh {
		return "err.mfa_code_used", nil
	}
	return "", nil
}

// detail encodes an audit event's detail: names and counts, never a code.
func detail(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}
