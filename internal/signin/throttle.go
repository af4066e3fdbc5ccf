// Package signin decides whether a sign-in attempt may go ahead, and keeps
// the record of failed attempts that their owner and the administrators see.
//
// Failed sign-ins slow down guessing without letting an attacker keep
// anyone out. Nothing ever locks an account. Instead:
//
//   - Each (username, address) pair has its own growing delay. After
//     FreeFailures failures, the pair's next attempt must wait BaseDelay,
//     then twice as long after each further failure, up to MaxDelay. An
//     attacker's failures at their address therefore never delay the
//     owner at hers.
//   - Each account counts failures from addresses it does not use (no
//     successful sign-in from there within KnownFor). Past
//     AccountFailures, every such pair that fails waits at least the
//     account's own growing delay before its next attempt, so guessing
//     spread over many addresses is slowed as a whole. An address the
//     account signs in from is never touched by this, and a pair that has
//     not failed yet always gets its attempt: an attacker elsewhere can
//     neither lock the owner out nor hold her back at an address she uses.
//   - Each address counts the distinct usernames that failed from it. Past
//     SprayNames (password spraying from one place), attempts from there
//     for usernames that have not signed in from there recently must wait
//     the address's growing delay. Colleagues behind the same office NAT who
//     sign in from it as usual are not slowed at all, and one attacked
//     username does not slow the others.
//
// Usernames that belong to nobody are counted exactly like real ones, so
// that neither the answers nor their timing tell whether an account exists.
// An attempt is counted as a failure before its password is checked (and
// the count given back when it succeeds), so parallel guesses cannot slip
// through while the first is being checked. Refusing an attempt writes
// nothing but its audit event, and the server never sleeps: it answers 429
// with the time to wait.
//
// Addresses are counted per IPv4 address and per IPv6 /64, the block one
// subscriber normally holds.
package signin

import (
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// Policy holds the limits of sign-in throttling.
type Policy struct {
	FreeFailures    int           // failures of one (username, address) pair before its delays start
	BaseDelay       time.Duration // the first delay
	MaxDelay        time.Duration // the longest delay
	Window          time.Duration // a count is forgotten after this long without a failure
	AccountFailures int           // failures of an account from addresses it does not use before the account-wide delay
	SprayNames      int           // distinct usernames failing from one address before unknown names are delayed there
	KnownFor        time.Duration // a successful sign-in makes the address the account's own for this long
	ListFor         time.Duration // failed attempts are listed (and kept) this long
}

// DefaultPolicy suits shared field offices: a few typing mistakes cost
// nothing, a guesser at one address gets about a hundred guesses a day, and
// nobody is locked out.
var DefaultPolicy = Policy{
	FreeFailures:    3,
	BaseDelay:       time.Second,
	MaxDelay:        15 * time.Minute,
	Window:          24 * time.Hour,
	AccountFailures: 10,
	SprayNames:      5,
	KnownFor:        90 * 24 * time.Hour,
	ListFor:         30 * 24 * time.Hour,
}

// Pair is the count of one username at one address.
type Pair struct {
	Failures    int
	LastFailure time.Time
	NextAt      time.Time // the earliest time of the next attempt
}

// Account is the count of one username's failures at addresses it does not use.
type Account struct {
	Failures    int
	LastFailure time.Time
}

// Address is the count of the distinct usernames failing from one address.
type Address struct {
	Names       int
	LastFailure time.Time
	NextAt      time.Time // the earliest next attempt there of a username it does not know
}

// State is everything that decides an attempt by Username from Address.
type State struct {
	Username string
	Address  string // the address's key (AddressKey)
	Pair     Pair
	Account  Account
	Addr     Address
	KnownAt  time.Time // the username's last successful sign-in from the address; zero when none
}

// Counted says what Count added for an attempt, so that a success can give it back.
type Counted struct {
	Account bool // a failure of the account
	Name    bool // a new username at the address
}

// AddressKey returns the key an address is counted under: the address
// itself for IPv4, its /64 for IPv6. Text that is not an address (a test's
// peer) is its own key.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return ip
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// maxUsername bounds the username an attempt is counted under. Real
// usernames are far shorter (org allows 40 characters), so cutting a longer
// one never makes it anyone's, and a guesser varying the end of a very long
// name is still counted under one.
const maxUsername = 64

// Normalize returns the form of a typed username that is counted and
// looked up: trimmed, lower case, at most 64 bytes (cut at a character).
func Normalize(username string) string {
	u := strings.ToLower(strings.TrimSpace(username))
	if len(u) <= maxUsername {
		return u
	}
	cut := maxUsername
	for cut > 0 && !utf8.RuneStart(u[cut]) {
		cut--
	}
	return u[:cut]
}

// Memory is how long a count is kept without a failure: Window, or
// MaxDelay if that is longer, so that a delay never outlives its count.
func (p Policy) Memory() time.Duration { return max(p.Window, p.MaxDelay) }

// known reports whether st's username signed in from st's address recently.
func (p Policy) known(st State, now time.Time) bool {
	return !st.KnownAt.IsZero() && now.Sub(st.KnownAt) <= p.KnownFor
}

// fresh returns st with the counts that have been quiet for a whole window forgotten.
func (p Policy) fresh(st State, now time.Time) State {
	m := p.Memory()
	if now.Sub(st.Pair.LastFailure) > m {
		st.Pair = Pair{}
	}
	if now.Sub(st.Account.LastFailure) > m {
		st.Account = Account{}
	}
	if now.Sub(st.Addr.LastFailure) > m {
		st.Addr = Address{}
	}
	return st
}

// delay is the n-th growing delay: none for n <= 0, then BaseDelay,
// doubling, up to MaxDelay.
func (p Policy) delay(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d := p.BaseDelay
	for i := 1; i < n; i++ {
		if d >= p.MaxDelay {
			break
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// Wait returns how long an attempt in state st must wait at now before it
// may go ahead; zero when it may go ahead now.
func (p Policy) Wait(st State, now time.Time) time.Duration {
	st = p.fresh(st, now)
	w := st.Pair.NextAt.Sub(now)
	if !p.known(st, now) {
		w = max(w, st.Addr.NextAt.Sub(now))
	}
	return max(w, 0)
}

// Count returns st after an attempt at now that goes ahead, counted as a
// failure until Refund gives it back, and what was counted.
func (p Policy) Count(st State, now time.Time) (State, Counted) {
	st = p.fresh(st, now)
	known := p.known(st, now)
	var c Counted
	newName := st.Pair.Failures == 0
	st.Pair.Failures++
	st.Pair.LastFailure = now
	d := p.delay(st.Pair.Failures - p.FreeFailures)
	if !known {
		c.Account = true
		st.Account.Failures++
		st.Account.LastFailure = now
		// An account failing from many addresses it does not use: every
		// one of them that fails waits the account's delay too.
		if over := st.Account.Failures - p.AccountFailures; over >= 0 {
			d = max(d, p.delay(over+1))
		}
		if newName {
			c.Name = true
			st.Addr.Names++
		}
		st.Addr.LastFailure = now
		// Many usernames failing from one address: the names it does not
		// know wait the address's delay.
		if over := st.Addr.Names - p.SprayNames; over >= 0 {
			if next := now.Add(p.delay(over + 1)); next.After(st.Addr.NextAt) {
				st.Addr.NextAt = next
			}
		}
	}
	st.Pair.NextAt = now.Add(d)
	return st, c
}

// Refund returns st after the attempt counted as c succeeded: the pair's
// failures are forgotten and the account and address counts given back.
func (p Policy) Refund(st State, c Counted) State {
	st.Pair = Pair{}
	if c.Account && st.Account.Failures > 0 {
		st.Account.Failures--
	}
	if c.Name && st.Addr.Names > 0 {
		st.Addr.Names--
	}
	return st
}
