// Package mfa is two-factor sign-in: an authenticator app's time-based codes
// (TOTP, RFC 6238) with single-use recovery codes, and passkeys (WebAuthn) as
// the phishing-resistant option. It holds the rules — which roles must use a
// second factor, how a code is checked (a little clock skew, never the same
// time step twice), how a passkey ceremony is run and checked (a sign count
// that goes back is refused) — and the server-side record of a sign-in whose
// password was right and whose second factor is still awaited.
//
// Secrets never reach the database in the clear: the TOTP secret is sealed
// with AES-256-GCM under a key kept outside the database (a Sealer), recovery
// codes are stored hashed, and the opaque tokens the web layer keeps in
// cookies are stored as their SHA-256. No audit event holds a code or a
// secret.
//
// The package parses the JSON a browser sends back from a passkey ceremony
// (bytes, never an HTTP request): the web layer reads the body, with a size
// limit, and hands it over.
package mfa

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// Lifetimes and limits.
const (
	// SignInFor is how long a pending sign-in (password checked, second
	// factor awaited) lasts.
	SignInFor = 5 * time.Minute
	// CeremonyFor is how long a passkey ceremony's challenge lasts.
	CeremonyFor = 5 * time.Minute
	// EnrolFor is how long a TOTP enrolment waits for its first code: long
	// enough to install an authenticator app and scan the code.
	EnrolFor = 15 * time.Minute
	// MaxAttempts is how many wrong answers a pending sign-in takes; at the
	// last one it is void and the person signs in again.
	MaxAttempts = 5
	// UserFailures wrong codes for one user within FailureWindow, over
	// every pending sign-in, refuse further codes until the window ends:
	// otherwise someone who knows the password could start sign-in after
	// sign-in, five guesses each, until a code matched.
	UserFailures = 10
	// FailureWindow is the window UserFailures are counted in, from the
	// first of them.
	FailureWindow = 15 * time.Minute
	// RecoveryCount is how many recovery codes a set holds.
	RecoveryCount = 10
	// MaxResponse is the largest passkey response accepted, in bytes.
	MaxResponse = 64 << 10
)

// Methods of the second step, as recorded in audit events and Outcome.
const (
	MethodTOTP     = "totp"
	MethodRecovery = "recovery"
	MethodPasskey  = "passkey"
)

// Status is what a user has set up.
type Status struct {
	TOTP         bool // an authenticator app, confirmed with a code
	Passkeys     int  // registered passkeys
	RecoveryLeft int  // unused recovery codes
}

// Enrolled reports whether the user has a second factor. Recovery codes
// alone are not one: they are the way back when the factor is lost.
func (s Status) Enrolled() bool { return s.TOTP || s.Passkeys > 0 }

// Required reports whether users of role must sign in with a second factor
// under profile p.
func Required(p *profile.Profile, role org.Role) bool { return p.RequiresSecondFactor(role) }

// MustEnrol reports whether a user of role, with st set up, must set up a
// second factor before doing anything else: the web layer lets such a
// session reach only the enrolment pages and signing out.
func MustEnrol(p *profile.Profile, role org.Role, st Status) bool {
	return Required(p, role) && !st.Enrolled()
}

// NeedsSecondStep reports whether signing in with a password must be
// followed by a second step: whenever a factor is set up, required or not.
func NeedsSecondStep(st Status) bool { return st.Enrolled() }

// TOTP is a user's authenticator app. Secrets are sealed (see Sealer).
type TOTP struct {
	UserID        string
	Secret        string    // sealed; empty until an enrolment is confirmed
	ConfirmedAt   time.Time // when Secret was confirmed with a code
	LastStep      int64     // the last time step accepted: no code at or before it is accepted again
	PendingSecret string    // sealed; an enrolment awaiting its first code
	PendingSince  time.Time
	UpdatedAt     time.Time
}

// RecoveryCode is one stored recovery code: only its hash.
type RecoveryCode struct {
	ID        string
	UserID    string
	Hash      string
	CreatedAt time.Time
	UsedAt    time.Time // zero while unused
}

// Passkey is a registered WebAuthn credential.
type Passkey struct {
	ID              string
	UserID          string
	CredentialID    []byte
	PublicKey       []byte // COSE-encoded
	AttestationType string
	Transports      []string
	AAGUID          []byte // the authenticator model's id (16 bytes, often zero)
	SignCount       uint32
	UserVerified    bool
	BackupEligible  bool // may be synced to other devices
	BackupState     bool // is synced
	Attachment      string
	Name            string // given by the user, e.g. "work laptop"
	CreatedAt       time.Time
	LastUsedAt      time.Time
}

// Ceremony is a passkey ceremony under way: the library's session data
// (challenge, allowed credentials, user verification asked for), kept on the
// server under the hash of a token the browser holds in a cookie.
type Ceremony struct {
	ID        string // SHA-256 of the token
	UserID    string // empty for a sign-in with a passkey alone
	Kind      string // CeremonyRegister or CeremonySignIn
	Data      string // JSON of webauthn.SessionData
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Ceremony kinds.
const (
	CeremonyRegister = "register"
	CeremonySignIn   = "signin"
)

// Pending is a sign-in whose password was right and whose second factor is
// awaited, kept under the hash of a token the browser holds in a cookie.
type Pending struct {
	ID        string // SHA-256 of the token
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int    // wrong answers so far
	Passkey   string // JSON of the passkey step's webauthn.SessionData, while one is under way
}

// Throttle counts one user's wrong second-factor answers in a window.
type Throttle struct {
	UserID      string
	WindowStart time.Time
	Failures    int
	LockedUntil time.Time
}

// Locked reports whether t refuses answers at now.
func (t Throttle) Locked(now time.Time) bool { return now.Before(t.LockedUntil) }

// fail counts one more wrong answer at now.
func (t Throttle) fail(now time.Time) Throttle {
	if t.WindowStart.IsZero() || now.Sub(t.WindowStart) >= FailureWindow {
		t.WindowStart, t.Failures = now, 0
	}
	t.Failures++
	if t.Failures >= UserFailures {
		t.LockedUntil = t.WindowStart.Add(FailureWindow)
	}
	return t
}

// Tx is the storage two-factor sign-in needs, inside one transaction.
// *store.Tx satisfies it. Methods that must not race (a time step, a
// recovery code, a sign count, a pending sign-in's attempts, taking a
// ceremony or a pending sign-in) are single conditional statements.
type Tx interface {
	User(ctx context.Context, id string) (*org.User, error)

	MFAStatus(ctx context.Context, userID string) (Status, error)

	// TOTP returns userID's authenticator app, or NotFound.
	TOTP(ctx context.Context, userID string) (*TOTP, error)
	SaveTOTP(ctx context.Context, t *TOTP) error
	// UseTOTPStep records step as userID's last accepted step if it is later
	// than the one stored, and reports whether it was.
	UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error)
	DeleteTOTP(ctx context.Context, userID string) (bool, error)

	RecoveryCodes(ctx context.Context, userID string) ([]RecoveryCode, error)
	// ReplaceRecoveryCodes deletes userID's codes and stores codes.
	ReplaceRecoveryCodes(ctx context.Context, userID string, codes []RecoveryCode) error
	// UseRecoveryCode marks code id used at at, if it is unused, and reports whether it was.
	UseRecoveryCode(ctx context.Context, id string, at time.Time) (bool, error)
	DeleteRecoveryCodes(ctx context.Context, userID string) (int64, error)

	Passkeys(ctx context.Context, userID string) ([]Passkey, error)
	// PasskeyByCredential returns the passkey with credential id, or NotFound.
	PasskeyByCredential(ctx context.Context, credentialID []byte) (*Passkey, error)
	InsertPasskey(ctx context.Context, p *Passkey) error
	// UsePasskey stores p's new sign count, flags and last use, if the count
	// moved forward (or both are zero), and reports whether it did.
	UsePasskey(ctx context.Context, p *Passkey) (bool, error)
	RenamePasskey(ctx context.Context, userID, id, name string) error
	DeletePasskey(ctx context.Context, userID, id string) error
	DeletePasskeys(ctx context.Context, userID string) (int64, error)

	InsertCeremony(ctx context.Context, c *Ceremony) error
	// TakeCeremony deletes and returns ceremony id, or NotFound.
	TakeCeremony(ctx context.Context, id string) (*Ceremony, error)
	DeleteUserCeremonies(ctx context.Context, userID string) error

	InsertPendingSignIn(ctx context.Context, p *Pending) error
	// PendingSignIn returns pending sign-in id, or NotFound.
	PendingSignIn(ctx context.Context, id string) (*Pending, error)
	// FailPendingSignIn counts a wrong answer and returns the attempts so far.
	FailPendingSignIn(ctx context.Context, id string) (int, error)
	SetPendingPasskey(ctx context.Context, id, data string) error
	// TakePendingSignIn deletes pending sign-in id and reports whether it was there.
	TakePendingSignIn(ctx context.Context, id string) (bool, error)
	DeletePendingSignIns(ctx context.Context, userID string) error

	MFAThrottle(ctx context.Context, userID string) (Throttle, error)
	SaveMFAThrottle(ctx context.Context, t Throttle) error
	DeleteMFAThrottle(ctx context.Context, userID string) error

	// DeleteExpiredMFA removes ceremonies and pending sign-ins past their end.
	DeleteExpiredMFA(ctx context.Context, now time.Time) (int64, error)

	Record(ctx context.Context, e audit.Event) error
}

// StatusOf returns what userID has set up.
func StatusOf(ctx context.Context, tx Tx, userID string) (st Status, err error) {
	defer errs.Wrap(&err, "mfa.StatusOf")
	return tx.MFAStatus(ctx, userID)
}

// own checks that a acts on their own account and returns the account.
func own(ctx context.Context, tx Tx, a access.Actor) (*org.User, error) {
	if d := access.Decide(a, access.Edit, access.Resource{Kind: access.KindOwn, OwnerID: a.UserID}); !d.Allow {
		return nil, errs.E(errs.Forbidden, "second factor: %s", d.Reason)
	}
	u, err := tx.User(ctx, a.UserID)
	if err != nil {
		return nil, err
	}
	if !u.Active() {
		return nil, errs.E(errs.Forbidden, "second factor: account disabled")
	}
	return u, nil
}

// event is an audit event about user u's second factor.
func event(a access.Actor, u *org.User, action string, now time.Time) audit.Event {
	return audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), AgencyID: u.AgencyID, At: now,
		Action: action, RecordType: "user", RecordID: u.ID}
}

// Sweep removes ceremonies and pending sign-ins past their end; the web
// layer runs it with its session clean-up.
func Sweep(ctx context.Context, tx Tx, now time.Time) (n int64, err error) {
	defer errs.Wrap(&err, "mfa.Sweep")
	return tx.DeleteExpiredMFA(ctx, now)
}
