package signin

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// ReadTx is the storage Check needs. *store.Tx satisfies it.
type ReadTx interface {
	// SignInState returns the counts of username at address key (zero
	// when none); with lock, on PostgreSQL, the rows are locked until the
	// transaction ends, so that concurrent attempts count one at a time.
	SignInState(ctx context.Context, username, address string, lock bool) (State, error)
}

// Tx is the storage the sign-in operations need, inside one write
// transaction. *store.Tx satisfies it.
type Tx interface {
	ReadTx
	SaveSignInState(ctx context.Context, st State) error
	SignInSucceeded(ctx context.Context, username, address string, at time.Time) error
	InsertSignInFailure(ctx context.Context, f Failure) error
	UserByName(ctx context.Context, username string) (*org.User, error)
	Record(ctx context.Context, e audit.Event) error
}

// Failure is one failed sign-in, kept for ListFor so that the account's
// owner and its administrators can see it.
type Failure struct {
	ID       string // given by the store
	Username string // as typed, normalised
	UserID   string // "" when the username belongs to nobody
	IP       string // the client's full address
	At       time.Time
}

// FailureGroup sums up the failed sign-ins of one account from one address.
type FailureGroup struct {
	IP    string
	Count int
	First time.Time
	Last  time.Time
}

// WaitError refuses an attempt that came too early. It is an error of kind
// errs.TooManyRequests.
type WaitError struct {
	Wait time.Duration
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("sign-in slowed down: wait %s", e.Wait.Round(time.Second))
}

// Unwrap makes errs.KindOf see a TooManyRequests error.
func (e *WaitError) Unwrap() error { return errs.ErrTooMany }

// Seconds is the wait rounded up to whole seconds, for Retry-After.
func (e *WaitError) Seconds() int { return int(math.Ceil(e.Wait.Seconds())) }

// Attempt is a sign-in attempt that Begin let go ahead.
type Attempt struct {
	Username string
	IP       string
	Address  string    // AddressKey(IP)
	User     *org.User // nil when the username belongs to nobody
	At       time.Time
	counted  Counted
	pair     Pair // the pair's count, this attempt included
}

// Failures is the number of failures of the attempt's pair, itself included.
func (a *Attempt) Failures() int { return a.pair.Failures }

// Check returns a *WaitError when an attempt by username from ip must wait
// at now. It only reads, so that a flood of refused attempts costs no write.
func Check(ctx context.Context, tx ReadTx, p Policy, username, ip string, now time.Time) error {
	st, err := tx.SignInState(ctx, Normalize(username), AddressKey(ip), false)
	if err != nil {
		return fmt.Errorf("sign-in state: %w", err)
	}
	if w := p.Wait(st, now); w > 0 {
		return &WaitError{Wait: w}
	}
	return nil
}

// Begin lets an attempt by username from ip at now go ahead, or returns a
// *WaitError when it must wait. An attempt that goes ahead is counted as a
// failure until Succeed gives the count back, and carries the user the
// username names (nil when none).
func Begin(ctx context.Context, tx Tx, p Policy, username, ip string, now time.Time) (*Attempt, error) {
	username = Normalize(username)
	st, err := tx.SignInState(ctx, username, AddressKey(ip), true)
	if err != nil {
		return nil, fmt.Errorf("sign-in state: %w", err)
	}
	if w := p.Wait(st, now); w > 0 {
		return nil, &WaitError{Wait: w}
	}
	st, c := p.Count(st, now)
	if err := tx.SaveSignInState(ctx, st); err != nil {
		return nil, fmt.Errorf("count sign-in: %w", err)
	}
	u, err := tx.UserByName(ctx, username)
	if errs.KindOf(err) == errs.NotFound {
		u, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sign-in user: %w", err)
	}
	return &Attempt{Username: username, IP: ip, Address: st.Address, User: u, At: now, counted: c, pair: st.Pair}, nil
}

// Succeed records that attempt a gave the right password and that it
// signs in (no second factor awaited): its count is given back, its
// address becomes one the account uses, and the sign-in is audited.
func Succeed(ctx context.Context, tx Tx, p Policy, a *Attempt) error {
	if err := Release(ctx, tx, p, a); err != nil {
		return err
	}
	return Complete(ctx, tx, a.User, a.IP, a.At)
}

// Complete records that user u signed in from ip at at: the address
// becomes one the account uses, and the sign-in is audited (auth.login).
// After a password alone Succeed calls it; when a second factor was
// awaited, the web layer calls it once that factor is given — a right
// password alone never marks an address as the account's own.
func Complete(ctx context.Context, tx Tx, u *org.User, ip string, at time.Time) error {
	if err := tx.SignInSucceeded(ctx, Normalize(u.Username), AddressKey(ip), at); err != nil {
		return fmt.Errorf("known address: %w", err)
	}
	return tx.Record(ctx, audit.Event{ActorID: u.ID, ActorRole: string(u.Role), AgencyID: u.AgencyID, IP: ip,
		Action: "auth.login", RecordType: "user", RecordID: u.ID})
}

// Release gives back the count of attempt a, which was right, without
// recording a sign-in: a setup code that matched, say.
func Release(ctx context.Context, tx Tx, p Policy, a *Attempt) error {
	st, err := tx.SignInState(ctx, a.Username, a.Address, true)
	if err != nil {
		return fmt.Errorf("sign-in state: %w", err)
	}
	if err := tx.SaveSignInState(ctx, p.Refund(st, a.counted)); err != nil {
		return fmt.Errorf("refund sign-in: %w", err)
	}
	return nil
}

// Fail records that attempt a failed: it joins the account's list of
// failed sign-ins and the audit trail (which says, when the pair is now
// slowed down, how long its next attempt must wait). An unknown username is
// recorded in the same way, under no user.
func Fail(ctx context.Context, tx Tx, a *Attempt) error {
	// A username that belongs to nobody is often a password typed into
	// the wrong field: it is not written into the list of failures nor the
	// audit trail (only the throttle's counts hold it, for a day at most).
	f := Failure{IP: a.IP, At: a.At}
	e := audit.Event{Action: "auth.login_failed", RecordType: "user", IP: a.IP, Reason: "unknown username",
		Detail: fmt.Sprintf(`{"failures":%d}`, a.pair.Failures)}
	if a.User != nil {
		f.Username, f.UserID, e.RecordID, e.AgencyID, e.Reason = a.Username, a.User.ID, a.User.ID, a.User.AgencyID, ""
	}
	if w := a.pair.NextAt.Sub(a.At); w > 0 {
		e.Reason = "slowed down"
		e.Detail = fmt.Sprintf(`{"failures":%d,"wait_s":%d}`, a.pair.Failures, int(math.Ceil(w.Seconds())))
	}
	if err := tx.InsertSignInFailure(ctx, f); err != nil {
		return fmt.Errorf("record failed sign-in: %w", err)
	}
	return tx.Record(ctx, e)
}
