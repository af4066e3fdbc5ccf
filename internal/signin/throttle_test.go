package signin

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var t0 = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// counts keeps the counts of several usernames and addresses, as the
// store does, to play the rules over many attempts.
type counts struct {
	p        Policy
	pairs    map[[2]string]Pair
	accounts map[string]Account
	addrs    map[string]Address
	known    map[[2]string]time.Time
}

func newCounts() *counts {
	return &counts{p: DefaultPolicy, pairs: map[[2]string]Pair{}, accounts: map[string]Account{},
		addrs: map[string]Address{}, known: map[[2]string]time.Time{}}
}

func (c *counts) state(user, addr string) State {
	k := [2]string{user, addr}
	return State{Username: user, Address: addr, Pair: c.pairs[k], Account: c.accounts[user], Addr: c.addrs[addr], KnownAt: c.known[k]}
}

func (c *counts) save(st State) {
	c.pairs[[2]string{st.Username, st.Address}] = st.Pair
	c.accounts[st.Username] = st.Account
	c.addrs[st.Address] = st.Addr
}

// wait is how long an attempt by user from addr must wait at now.
func (c *counts) wait(user, addr string, now time.Time) time.Duration {
	return c.p.Wait(c.state(user, addr), now)
}

// try makes an attempt with the right or wrong password, and returns the
// wait when it was refused (zero when it went ahead).
func (c *counts) try(user, addr string, now time.Time, right bool) time.Duration {
	st := c.state(user, addr)
	if w := c.p.Wait(st, now); w > 0 {
		return w
	}
	st, counted := c.p.Count(st, now)
	c.save(st)
	if right {
		c.save(c.p.Refund(c.state(user, addr), counted))
		c.known[[2]string{user, addr}] = now
	}
	return 0
}

func TestDelay(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy
	want := []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := p.delay(i - 1); got != w {
			t.Errorf("delay(%d) = %v, want %v", i-1, got, w)
		}
	}
	if got := p.delay(11); got != p.MaxDelay {
		t.Errorf("delay(11) = %v, want the cap %v", got, p.MaxDelay)
	}
	if got := p.delay(1000); got != p.MaxDelay {
		t.Errorf("delay(1000) = %v, want the cap (no overflow)", got)
	}
}

// TestPairDelaysGrow: a few failures are free; then each next attempt of
// the pair waits twice as long as the last, up to the cap; a success ends it.
func TestPairDelaysGrow(t *testing.T) {
	t.Parallel()
	c := newCounts()
	now := t0
	var waits []time.Duration
	for i := 0; i < 16; i++ {
		if w := c.try("amina", "192.0.2.1", now, false); w != 0 {
			t.Fatalf("attempt %d refused although the last wait was kept", i+1)
		}
		w := c.wait("amina", "192.0.2.1", now)
		waits = append(waits, w)
		now = now.Add(w)
	}
	want := []time.Duration{0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900}
	for i := range want {
		if waits[i] != want[i]*time.Second {
			t.Fatalf("waits after each failure %v, want %v seconds", waits, want)
		}
	}
	// Too early: refused, and nothing is counted.
	before := c.state("amina", "192.0.2.1")
	if w := c.try("amina", "192.0.2.1", now.Add(-time.Second), true); w != time.Second {
		t.Errorf("an attempt a second early waits %v, want 1s", w)
	}
	if c.state("amina", "192.0.2.1") != before {
		t.Error("a refused attempt changed the counts")
	}
	// On time with the right password: the pair is forgotten.
	if w := c.try("amina", "192.0.2.1", now, true); w != 0 {
		t.Fatalf("on time: refused for %v", w)
	}
	if got := c.state("amina", "192.0.2.1").Pair; got != (Pair{}) {
		t.Errorf("after a success the pair is %+v, want it forgotten", got)
	}
}

// TestOwnerNeverHeldBack: however many failures an account has at other
// addresses, an address it signs in from is not slowed down, and a pair
// that has not failed always gets its attempt.
func TestOwnerNeverHeldBack(t *testing.T) {
	t.Parallel()
	c := newCounts()
	now := t0
	c.try("amina", "198.51.100.10", now, true) // her office
	var last string
	for i := 0; i < 200; i++ { // a botnet: one guess per address
		addr := "203.0.113." + string(rune('a'+i%26)) + string(rune('a'+i/26))
		last = addr
		if w := c.try("amina", addr, now, false); w != 0 {
			t.Fatalf("a fresh address was refused for %v after %d failures elsewhere", w, i)
		}
		// That address now waits at least the account's delay.
		if i >= c.p.AccountFailures && c.wait("amina", addr, now) < c.p.BaseDelay {
			t.Fatalf("after %d failures of the account, a failing address does not wait", i+1)
		}
	}
	if w := c.wait("amina", "198.51.100.10", now); w != 0 {
		t.Errorf("her office waits %v", w)
	}
	// Her typos at her office are as free as ever.
	for i := 0; i < c.p.FreeFailures; i++ {
		if w := c.try("amina", "198.51.100.10", now, false); w != 0 {
			t.Fatalf("typo %d at her office refused for %v", i+1, w)
		}
	}
	if w := c.try("amina", "198.51.100.10", now, true); w != 0 {
		t.Errorf("her office after three typos: refused for %v", w)
	}
	// A new address of hers (a hotel) gets its first attempt at once.
	if w := c.try("amina", "192.0.2.200", now, true); w != 0 {
		t.Errorf("a new address with the right password: refused for %v", w)
	}
	// The account-wide delay is that of the account's failures: the 200th
	// is long past the cap.
	if w := c.wait("amina", last, now); w != c.p.MaxDelay {
		t.Errorf("a guessing address after 200 failures waits %v, want %v", w, c.p.MaxDelay)
	}
}

// TestSprayingSlowsOnlyUnknownNames: many usernames failing from one
// address slow down there the names that do not sign in from it.
func TestSprayingSlowsOnlyUnknownNames(t *testing.T) {
	t.Parallel()
	c := newCounts()
	now := t0
	const office = "198.51.100.20"
	c.try("sam", office, now, true)
	for i := 0; i < c.p.SprayNames; i++ {
		name := "user" + string(rune('a'+i))
		if w := c.try(name, office, now, false); w != 0 {
			t.Fatalf("name %d refused for %v", i+1, w)
		}
	}
	if w := c.wait("someone-else", office, now); w != c.p.BaseDelay {
		t.Errorf("a further name at the spraying address waits %v, want %v", w, c.p.BaseDelay)
	}
	if w := c.wait("sam", office, now); w != 0 {
		t.Errorf("a colleague who signs in there waits %v", w)
	}
	if w := c.wait("someone-else", "198.51.100.21", now); w != 0 {
		t.Errorf("the same name elsewhere waits %v", w)
	}
	// Each further name makes the address wait twice as long.
	now = now.Add(time.Second)
	c.try("userx", office, now, false)
	if w := c.wait("usery", office, now); w != 2*time.Second {
		t.Errorf("after one more name: %v, want 2s", w)
	}
	// One username failing again and again is one name: it slows itself only.
	c2 := newCounts()
	for i := 0; i < 30; i++ {
		now = now.Add(c2.wait("amina", office, now))
		c2.try("amina", office, now, false)
	}
	if got := c2.state("amina", office).Addr.Names; got != 1 {
		t.Errorf("thirty failures of one name count %d names", got)
	}
	if w := c2.wait("peter", office, now); w != 0 {
		t.Errorf("a colleague who never signed in there waits %v behind one attacked name", w)
	}
}

// TestRefund: a success gives back what its attempt counted, and no more.
func TestRefund(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy
	st := State{Username: "amina", Address: "192.0.2.1", Account: Account{Failures: 4, LastFailure: t0}, Addr: Address{Names: 2, LastFailure: t0}}
	counted, c := p.Count(st, t0)
	if counted.Account.Failures != 5 || counted.Addr.Names != 3 || counted.Pair.Failures != 1 || !c.Account || !c.Name {
		t.Fatalf("Count: %+v %+v", counted, c)
	}
	back := p.Refund(counted, c)
	if back.Account.Failures != 4 || back.Addr.Names != 2 || back.Pair != (Pair{}) {
		t.Errorf("Refund: %+v, want the counts before the attempt", back)
	}
	// A pair that had failed before is not a new name; a known address counts nothing.
	st.Pair = Pair{Failures: 1, LastFailure: t0}
	if _, c := p.Count(st, t0); c.Name || !c.Account {
		t.Errorf("a second failure of a pair counted %+v", c)
	}
	st.KnownAt = t0.Add(-time.Hour)
	if after, c := p.Count(st, t0); c.Account || c.Name || after.Account != st.Account || after.Addr != st.Addr {
		t.Errorf("a failure at a known address counted %+v: %+v", c, after)
	}
}

// TestCountsAreForgotten: a day without a failure forgets a count; a
// known address stops being known after KnownFor.
func TestCountsAreForgotten(t *testing.T) {
	t.Parallel()
	c := newCounts()
	now := t0
	for i := 0; i < 20; i++ {
		now = now.Add(c.wait("amina", "192.0.2.1", now))
		c.try("amina", "192.0.2.1", now, false)
	}
	if c.wait("amina", "192.0.2.1", now) == 0 {
		t.Fatal("20 failures: no wait")
	}
	later := now.Add(c.p.Memory() + time.Second)
	if w := c.wait("amina", "192.0.2.1", later); w != 0 {
		t.Errorf("a day later: waits %v", w)
	}
	c.try("amina", "192.0.2.1", later, false)
	if got := c.state("amina", "192.0.2.1"); got.Pair.Failures != 1 || got.Account.Failures != 1 {
		t.Errorf("a day later, one failure counts %+v", got)
	}
	st := State{KnownAt: t0}
	if !c.p.known(st, t0.Add(c.p.KnownFor)) || c.p.known(st, t0.Add(c.p.KnownFor+time.Second)) {
		t.Error("an address is known for KnownFor after a success, and no longer")
	}
}

func TestAddressKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"192.0.2.7":                "192.0.2.7",
		"::ffff:192.0.2.7":         "192.0.2.7",
		"2001:db8:1:2:aaaa::1":     "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":          "2001:db8:1:3::/64",
		"fe80::1%eth0":             "fe80::/64",
		"::1":                      "::/64",
		"pipe":                     "pipe",
	} {
		if got := AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	if got := Normalize("  Amina "); got != "amina" {
		t.Errorf("Normalize = %q", got)
	}
	long := strings.Repeat("a", 63) + "ü" + strings.Repeat("x", 1000)
	if got := Normalize(long); got != strings.Repeat("a", 63) || !utf8.ValidString(got) {
		t.Errorf("Normalize(a long name) = %q, want it cut at a character within 64 bytes", got)
	}
	if Normalize(long+"1") != Normalize(long+"2") {
		t.Error("very long names differing at the end are counted apart")
	}
}
