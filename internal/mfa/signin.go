package mfa

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// ErrSignInGone reports a pending sign-in that is unknown, expired, used or
// void: the person signs in again from the start.
var ErrSignInGone = errs.E(errs.Unauthenticated, "second step: the sign-in expired; sign in again")

// ErrTooManyAttempts reports the last wrong answer a pending sign-in takes;
// the sign-in is void.
var ErrTooManyAttempts = errs.E(errs.TooManyRequests, "second step: too many wrong answers; sign in again")

// ErrLocked reports that the user gave UserFailures wrong codes within
// FailureWindow: codes are refused until the window ends (a passkey is not).
var ErrLocked = errs.E(errs.TooManyRequests, "second step: too many wrong answers for this account; wait")

// StartSignIn records that userID's password was right and that their
// second factor is awaited, and returns the token the web layer keeps in a
// short-lived cookie (SignInFor) until the second step. Call it only when
// NeedsSecondStep; the user is not signed in until SecondStep says so.
func StartSignIn(ctx context.Context, tx Tx, userID string, now time.Time) (token string, err error) {
	defer errs.Wrap(&err, "mfa.StartSignIn")
	st, err := tx.MFAStatus(ctx, userID)
	if err != nil {
		return "", err
	}
	if !st.Enrolled() {
		return "", errors.New("no second factor set up")
	}
	token, hash := auth.NewToken("")
	return token, tx.InsertPendingSignIn(ctx, &Pending{ID: hash, UserID: userID, CreatedAt: now, ExpiresAt: now.Add(SignInFor)})
}

// SignIn is a pending sign-in as the second-step page shows it.
type SignIn struct {
	UserID       string
	Status       Status // which factors to offer: the app's code, a passkey, a recovery code
	AttemptsLeft int
	ExpiresAt    time.Time
	LockedUntil  time.Time // typed codes are refused until then (zero when they are not); a passkey is not
}

// pending returns the live pending sign-in of token and its user, or
// ErrSignInGone: unknown, expired, void after MaxAttempts, or of an account
// disabled since. It only reads: Sweep removes what has expired.
func pending(ctx context.Context, tx Tx, token string, now time.Time) (*Pending, *org.User, error) {
	if token == "" {
		return nil, nil, ErrSignInGone
	}
	p, err := tx.PendingSignIn(ctx, auth.HashToken(token))
	switch {
	case errs.KindOf(err) == errs.NotFound:
		return nil, nil, ErrSignInGone
	case err != nil:
		return nil, nil, err
	}
	u, err := tx.User(ctx, p.UserID)
	if err != nil {
		return nil, nil, err
	}
	if !now.Before(p.ExpiresAt) || p.Attempts >= MaxAttempts || !u.Active() {
		return nil, nil, ErrSignInGone
	}
	return p, u, nil
}

// LookupSignIn returns the pending sign-in of token, for the second-step
// page, or ErrSignInGone. It only reads.
func LookupSignIn(ctx context.Context, tx Tx, token string, now time.Time) (s *SignIn, err error) {
	defer errs.Wrap(&err, "mfa.LookupSignIn")
	p, u, err := pending(ctx, tx, token, now)
	if err != nil {
		return nil, err
	}
	st, err := tx.MFAStatus(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	th, err := tx.MFAThrottle(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	s = &SignIn{UserID: u.ID, Status: st, AttemptsLeft: MaxAttempts - p.Attempts, ExpiresAt: p.ExpiresAt}
	if th.Locked(now) {
		s.LockedUntil = th.LockedUntil
	}
	return s, nil
}

// AbandonSignIn deletes the pending sign-in of token (the person went back
// to the sign-in page or signed in afresh).
func AbandonSignIn(ctx context.Context, tx Tx, token string) (err error) {
	defer errs.Wrap(&err, "mfa.AbandonSignIn")
	if token == "" {
		return nil
	}
	_, err = tx.TakePendingSignIn(ctx, auth.HashToken(token))
	return err
}

// BeginPasskeyStep starts the passkey ceremony of the pending sign-in of
// token and returns the options to hand to the browser's
// navigator.credentials.get (JSON). The challenge is kept with the pending
// sign-in (no other cookie is needed) and is good for one answer.
func BeginPasskeyStep(ctx context.Context, tx Tx, rp *RelyingParty, token string, now time.Time) (options json.RawMessage, err error) {
	defer errs.Wrap(&err, "mfa.BeginPasskeyStep")
	p, u, err := pending(ctx, tx, token, now)
	if err != nil {
		return nil, err
	}
	keys, err := tx.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errs.Field("passkey", "err.mfa_no_passkey")
	}
	assertion, session, err := rp.wa.BeginLogin(newWAUser(u, keys))
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(session)
	if err != nil {
		return nil, err
	}
	if err := tx.SetPendingPasskey(ctx, p.ID, string(data)); err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// Answer is the person's answer to the second step: a code as typed, or
// the browser's response to the passkey step.
type Answer struct {
	Code    string // the authenticator app's code or a recovery code, as typed
	Passkey []byte // the JSON of navigator.credentials.get's result (instead of Code)
}

// Outcome is how a second step ended.
type Outcome struct {
	UserID       string // who is now signed in; empty when refused
	Method       string // MethodTOTP, MethodRecovery or MethodPasskey
	RecoveryLeft int    // unused recovery codes left, after a recovery code
	// Refused says why the answer was refused, nil when it was accepted: a
	// field error (code or passkey) to show on the form, ErrLocked,
	// ErrTooManyAttempts or ErrSignInGone.
	Refused error
}

// SecondStep checks the answer to the pending sign-in of token. Accepted,
// the pending sign-in is used up (a token signs in once) and Outcome.UserID
// is who signed in: the web layer starts their session. Refused, the wrong
// answer is counted — MaxAttempts per pending sign-in, and a wrong code
// UserFailures per user within FailureWindow — and audited
// (auth.second_factor_failed, without the code), and Outcome.Refused says
// why. Either way the transaction must be committed; an error means
// something else went wrong, and the transaction is rolled back.
func SecondStep(ctx context.Context, tx Tx, s *Sealer, rp *RelyingParty, token string, ans Answer, now time.Time) (out Outcome, err error) {
	defer errs.Wrap(&err, "mfa.SecondStep")
	p, u, err := pending(ctx, tx, token, now)
	if errors.Is(err, ErrSignInGone) {
		return Outcome{Refused: err}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	th, err := tx.MFAThrottle(ctx, u.ID)
	if err != nil {
		return Outcome{}, err
	}
	th.UserID = u.ID
	fail := func(method, reason string) audit.Event {
		e := audit.Event{AgencyID: u.AgencyID, At: now, Action: "auth.second_factor_failed", RecordType: "user",
			RecordID: u.ID, Reason: reason}
		e.Detail = detail(map[string]any{"method": method})
		return e
	}
	// The lock stops the guessing of codes. A passkey's answer cannot be
	// guessed: it is neither refused by the lock nor counted towards it, so
	// that someone who knows the password cannot lock a passkey's owner out.
	byPasskey := len(ans.Passkey) > 0
	if !byPasskey && th.Locked(now) {
		return Outcome{Refused: ErrLocked}, tx.Record(ctx, fail(methodOf(ans), "locked: too many wrong answers"))
	}

	var method, refusal string
	left := 0
	if byPasskey {
		method = MethodPasskey
		if refusal, err = passkeyStep(ctx, tx, rp, p, u, ans.Passkey, now); err != nil {
			return Outcome{}, err
		}
	} else {
		kind, norm := ParseCode(ans.Code)
		switch kind {
		case TOTPCode:
			method = MethodTOTP
			refusal, err = checkTOTP(ctx, tx, s, u, norm, now)
		case RecoveryKind:
			method = MethodRecovery
			var ok bool
			ok, left, err = useRecovery(ctx, tx, u, norm, now)
			if !ok {
				refusal = "err.mfa_code_wrong"
			}
		default:
			// Not a guess at any code: nothing to count.
			return Outcome{Refused: errs.Field("code", "err.mfa_code_format")}, nil
		}
		if err != nil {
			return Outcome{}, err
		}
	}

	if refusal != "" {
		n, err := tx.FailPendingSignIn(ctx, p.ID)
		if err != nil {
			return Outcome{}, err
		}
		field := "passkey"
		if !byPasskey {
			field = "code"
			th = th.fail(now)
			if err := tx.SaveMFAThrottle(ctx, th); err != nil {
				return Outcome{}, err
			}
		}
		out = Outcome{Refused: errs.Field(field, refusal)}
		e := fail(method, refusalReason[refusal])
		e.Detail = detail(map[string]any{"method": method, "attempt": n, "user_failures": th.Failures})
		switch {
		case n >= MaxAttempts:
			if _, err := tx.TakePendingSignIn(ctx, p.ID); err != nil {
				return Outcome{}, err
			}
			out.Refused = ErrTooManyAttempts
		case !byPasskey && th.Locked(now):
			out.Refused = ErrLocked
		}
		return out, tx.Record(ctx, e)
	}

	taken, err := tx.TakePendingSignIn(ctx, p.ID)
	if err != nil {
		return Outcome{}, err
	}
	if !taken { // used at the same moment by another request
		return Outcome{Refused: ErrSignInGone}, nil
	}
	if err := tx.DeleteMFAThrottle(ctx, u.ID); err != nil {
		return Outcome{}, err
	}
	if method == MethodRecovery {
		e := audit.Event{ActorID: u.ID, ActorRole: string(u.Role), AgencyID: u.AgencyID, At: now,
			Action: "mfa.recovery_used", RecordType: "user", RecordID: u.ID}
		e.Detail = detail(map[string]any{"left": left})
		if err := tx.Record(ctx, e); err != nil {
			return Outcome{}, err
		}
	}
	e := audit.Event{ActorID: u.ID, ActorRole: string(u.Role), AgencyID: u.AgencyID, At: now,
		Action: "auth.second_factor", RecordType: "user", RecordID: u.ID}
	e.Detail = detail(map[string]any{"method": method})
	return Outcome{UserID: u.ID, Method: method, RecoveryLeft: left}, tx.Record(ctx, e)
}

// refusalReason is the audit reason of each refusal: what happened, never the code.
var refusalReason = map[string]string{
	"err.mfa_code_wrong":     "wrong code",
	"err.mfa_code_used":      "code already used (replay)",
	"err.mfa_passkey_failed": "passkey not verified",
	"err.mfa_passkey_cloned": "passkey sign count went back (cloned authenticator?)",
	"err.mfa_no_passkey":     "no passkey step under way",
}

func methodOf(ans Answer) string {
	if len(ans.Passkey) > 0 {
		return MethodPasskey
	}
	if kind, _ := ParseCode(ans.Code); kind == RecoveryKind {
		return MethodRecovery
	}
	return MethodTOTP
}

// passkeyStep checks the browser's response against the passkey step of
// pending sign-in p. The step's challenge is used up whatever the answer.
// It returns the message key of a refusal, or "".
func passkeyStep(ctx context.Context, tx Tx, rp *RelyingParty, p *Pending, u *org.User, response []byte, now time.Time) (string, error) {
	if p.Passkey == "" {
		return "err.mfa_no_passkey", nil
	}
	if err := tx.SetPendingPasskey(ctx, p.ID, ""); err != nil {
		return "", err
	}
	var session webauthn.SessionData
	if err := json.Unmarshal([]byte(p.Passkey), &session); err != nil {
		return "", fmt.Errorf("passkey step data: %w", err)
	}
	parsed, err := ParseAssertion(response)
	if err != nil {
		return "err.mfa_passkey_failed", nil
	}
	keys, err := tx.Passkeys(ctx, u.ID)
	if err != nil {
		return "", err
	}
	cred, err := rp.wa.ValidateLogin(newWAUser(u, keys), session, parsed)
	if err != nil {
		return "err.mfa_passkey_failed", nil
	}
	for i := range keys {
		if bytes.Equal(keys[i].CredentialID, cred.ID) {
			return usePasskey(ctx, tx, &keys[i], cred, now)
		}
	}
	return "err.mfa_passkey_failed", nil
}

// beginPasskeySignIn starts a sign-in with a passkey alone, without a
// username or password: the browser offers the passkeys it holds for this
// site. It returns the ceremony's token, which the web layer keeps in a
// short-lived cookie (CeremonyFor), and the options for
// navigator.credentials.get (JSON). User verification (the device's PIN or
// biometric) is required, so the passkey is two factors by itself:
// something the person has and something they know or are.
func beginPasskeySignIn(ctx context.Context, tx Tx, rp *RelyingParty, now time.Time) (token string, options json.RawMessage, err error) {
	defer errs.Wrap(&err, "mfa.BeginPasskeySignIn")
	assertion, session, err := rp.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return "", nil, err
	}
	token, err = startCeremony(ctx, tx, "", CeremonySignIn, session, now)
	if err != nil {
		return "", nil, err
	}
	options, err = json.Marshal(assertion)
	return token, options, err
}

// passkeySignIn checks the browser's response to the passkey sign-in of
// token. The ceremony is used up whatever the answer. Accepted,
// Outcome.UserID is who signed in; the web layer must still refuse a
// disabled account (this does), and apply its own gates (a password to
// change, an account not yet approved) as after a password. Refused,
// Outcome.Refused says why (a field error on "passkey", or ErrSignInGone
// when the ceremony expired), and a failure on a known passkey is audited.
// Either way the transaction must be committed.
func passkeySignIn(ctx context.Context, tx Tx, rp *RelyingParty, token string, response []byte, now time.Time) (out Outcome, err error) {
	defer errs.Wrap(&err, "mfa.PasskeySignIn")
	session, err := takeCeremony(ctx, tx, token, CeremonySignIn, "", now)
	if _, ok := errs.AsFields(err); ok {
		return Outcome{Refused: ErrSignInGone}, nil
	}
	if err != nil {
		return Outcome{}, err
	}
	failed := errs.Field("passkey", "err.mfa_passkey_failed")
	parsed, err := ParseAssertion(response)
	if err != nil {
		return Outcome{Refused: failed}, nil
	}
	var (
		u         *org.User
		keys      []Passkey
		lookupErr error // a storage failure, as opposed to an unknown passkey
	)
	handler := func(rawID, handle []byte) (webauthn.User, error) {
		k, err := tx.PasskeyByCredential(ctx, rawID)
		if err != nil {
			if errs.KindOf(err) != errs.NotFound {
				lookupErr = err
			}
			return nil, err
		}
		if handleUser(handle) != k.UserID {
			return nil, errors.New("the user handle is not the passkey's")
		}
		if u, err = tx.User(ctx, k.UserID); err != nil {
			lookupErr = err
			return nil, err
		}
		if !u.Active() {
			return nil, errors.New("account disabled")
		}
		if keys, err = tx.Passkeys(ctx, u.ID); err != nil {
			lookupErr = err
			return nil, err
		}
		return newWAUser(u, keys), nil
	}
	_, cred, err := rp.wa.ValidatePasskeyLogin(handler, *session, parsed)
	if lookupErr != nil {
		return Outcome{}, lookupErr
	}
	refusal := "err.mfa_passkey_failed"
	if err == nil {
		for i := range keys {
			if bytes.Equal(keys[i].CredentialID, cred.ID) {
				if refusal, err = usePasskey(ctx, tx, &keys[i], cred, now); err != nil {
					return Outcome{}, err
				}
			}
		}
	}
	if refusal != "" {
		if u == nil { // no known passkey answered: nobody's account to note it on
			return Outcome{Refused: failed}, nil
		}
		e := audit.Event{AgencyID: u.AgencyID, At: now, Action: "auth.second_factor_failed", RecordType: "user",
			RecordID: u.ID, Reason: refusalReason[refusal]}
		e.Detail = detail(map[string]any{"method": MethodPasskey, "without_password": true})
		return Outcome{Refused: errs.Field("passkey", refusal)}, tx.Record(ctx, e)
	}
	e := audit.Event{ActorID: u.ID, ActorRole: string(u.Role), AgencyID: u.AgencyID, At: now,
		Action: "auth.second_factor", RecordType: "user", RecordID: u.ID}
	e.Detail = detail(map[string]any{"method": MethodPasskey, "without_password": true})
	return Outcome{UserID: u.ID, Method: MethodPasskey}, tx.Record(ctx, e)
}
