package audit_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/audit"
)

var now = time.Date(2025, 3, 10, 9, 0, 0, 123456789, time.UTC)

// key is the audit key of the tests' chains.
var key = audit.Key{Secret: []byte("audit-key-for-tests-0123456789ab"), ID: "00112233aabbccdd"}

// chainFrom returns n events chained after the head (seq, hash) with
// secret (unkeyed when empty), and the new head.
func chainFrom(secret []byte, seq int64, hash string, n int) ([]audit.Event, int64, string) {
	var out []audit.Event
	for i := 0; i < n; i++ {
		e := audit.Event{ID: fmt.Sprintf("ev-%d", seq+1), At: now.Add(time.Duration(seq) * time.Second),
			ActorID: "u1", ActorRole: "caseworker", Action: "case.view", RecordType: "case",
			RecordID: "c1", CaseID: "c1", AgencyID: "a1", IP: "10.0.0.1", Detail: fmt.Sprintf(`{"n":%d}`, seq)}
		e.Chain(secret, seq, hash)
		seq, hash = e.Seq, e.Hash
		out = append(out, e)
	}
	return out, seq, hash
}

// chain returns n events keyed with key from genesis, and the head.
func chain(n int) ([]audit.Event, int64, string) {
	return chainFrom(key.Secret, 0, audit.Genesis, n)
}

// sealed returns the sealed head of a chain keyed from keyedFrom.
func sealed(seq int64, hash string, keyedFrom int64) *audit.Head {
	h := &audit.Head{Seq: seq, Hash: hash, KeyedFrom: keyedFrom, KeyID: key.ID}
	h.Seal(key.Secret)
	return h
}

// problem is what a test expects of one reported problem.
type problem struct {
	Seq  int64
	Says string
}

func verify(k audit.Key, events []audit.Event, head *audit.Head, cps ...audit.Checkpoint) *audit.Verifier {
	v := audit.NewVerifier(k, head)
	for _, c := range cps {
		v.Expect(c)
	}
	for _, e := range events {
		v.Add(e)
	}
	v.Finish()
	return v
}

// says reports whether one of v's problems contains each of want.
func says(v *audit.Verifier, want ...string) bool {
	for _, p := range v.Problems {
		all := true
		for _, w := range want {
			all = all && strings.Contains(p.String(), w)
		}
		if all {
			return true
		}
	}
	return false
}

func TestChain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		secret []byte
	}{{"keyed", key.Secret}, {"unkeyed", nil}} {
		t.Run(tt.name, func(t *testing.T) {
			events, seq, hash := chainFrom(tt.secret, 0, audit.Genesis, 3)
			if seq != 3 || hash != events[2].Hash {
				t.Fatalf("head = %d %s", seq, hash)
			}
			if events[0].PrevHash != audit.Genesis {
				t.Errorf("first event follows %s, want genesis", events[0].PrevHash)
			}
			c := audit.NewChainer(tt.secret)
			if c.Keyed() != (tt.secret != nil) {
				t.Errorf("Keyed = %v", c.Keyed())
			}
			for i, e := range events {
				if e.Seq != int64(i+1) {
					t.Errorf("event %d has seq %d", i, e.Seq)
				}
				if i > 0 && e.PrevHash != events[i-1].Hash {
					t.Errorf("event %d does not follow event %d", e.Seq, events[i-1].Seq)
				}
				if e.At.Nanosecond()%int(time.Millisecond) != 0 {
					t.Errorf("event %d time %v is not truncated to the millisecond (the stored precision)", e.Seq, e.At)
				}
				if e.Hash != c.Sum(&e) || len(e.Hash) != 64 {
					t.Errorf("event %d hash %q", e.Seq, e.Hash)
				}
				if keyed := e.Hash != e.ComputeHash(); keyed != (tt.secret != nil) {
					t.Errorf("event %d: keyed hash %v", e.Seq, keyed)
				}
			}
		})
	}
}

// TestUnkeyedHashUnchanged pins the unkeyed hash of version 1: events
// written before the deployment had a key must keep verifying. (The value
// was computed by the code before keys existed.)
func TestUnkeyedHashUnchanged(t *testing.T) {
	t.Parallel()
	e := audit.Event{ID: "0190f3a0-0000-7000-8000-000000000001", At: time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC),
		ActorID: "0190f3a0-0000-7000-8000-0000000000aa", ActorRole: "caseworker", Action: "case.view", RecordType: "case",
		RecordID: "0190f3a0-0000-7000-8000-0000000000cc", CaseID: "0190f3a0-0000-7000-8000-0000000000cc",
		AgencyID: "0190f3a0-0000-7000-8000-0000000000ee", IP: "192.0.2.1", Detail: `{"section":"identity"}`}
	e.Chain(nil, 41, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	if want := "2d9bdf3c0f0c0eebce48d4fa9cf8f4f4d7e9fe00d5fb586e54968a818c71e1a0"; e.Seq != 42 || e.Hash != want {
		t.Errorf("unkeyed hash of event %d = %s, want %s", e.Seq, e.Hash, want)
	}
}

// TestKeyedHash: the keyed hash depends on the key, and no one without it
// can compute it from the stored fields.
func TestKeyedHash(t *testing.T) {
	t.Parallel()
	events, _, _ := chain(2)
	e := events[1]
	other := audit.NewChainer([]byte("another-audit-key-0123456789abcd"))
	if other.Sum(&e) == e.Hash || e.ComputeHash() == e.Hash || audit.NewChainer(nil).Sum(&e) == e.Hash {
		t.Error("the keyed hash is computed without the key")
	}
	// Chain with a precomputed content digest gives the same hash.
	x := e
	d := x.Content()
	x.Hash = ""
	audit.NewChainer(key.Secret).Chain(&x, d, e.Seq-1, e.PrevHash)
	if x.Hash != e.Hash {
		t.Errorf("Chain with a digest: %s, want %s", x.Hash, e.Hash)
	}
}

// TestHashCoversEveryField changes each field in turn: every change must
// change both the keyed and the unkeyed hash.
func TestHashCoversEveryField(t *testing.T) {
	t.Parallel()
	events, _, _ := chain(1)
	base := events[0]
	keyed := audit.NewChainer(key.Secret)
	baseUnkeyed := base.ComputeHash()
	v := reflect.ValueOf(base)
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		if name == "Hash" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			e := base
			f := reflect.ValueOf(&e).Elem().Field(i)
			switch f.Kind() {
			case reflect.String:
				f.SetString(f.String() + "x")
			case reflect.Int64:
				f.SetInt(f.Int() + 1)
			default:
				if name != "At" {
					t.Fatalf("field %s of kind %s: extend this test", name, f.Kind())
				}
				e.At = e.At.Add(time.Millisecond)
			}
			if keyed.Sum(&e) == base.Hash {
				t.Errorf("changing %s does not change the keyed hash", name)
			}
			if e.ComputeHash() == baseUnkeyed {
				t.Errorf("changing %s does not change the unkeyed hash", name)
			}
		})
	}
}

// TestHashLengthPrefixed: moving a character from one field to the next
// must change the hash.
func TestHashLengthPrefixed(t *testing.T) {
	t.Parallel()
	a := audit.Event{Seq: 1, ActorID: "ab", ActorRole: "c", PrevHash: audit.Genesis}
	b := audit.Event{Seq: 1, ActorID: "a", ActorRole: "bc", PrevHash: audit.Genesis}
	if a.ComputeHash() == b.ComputeHash() || a.Content() == b.Content() {
		t.Error("events differing only in a field boundary hash alike")
	}
}

func TestVerifier(t *testing.T) {
	t.Parallel()
	type chainState struct {
		events []audit.Event
		head   *audit.Head
	}
	tests := []struct {
		name   string
		tamper func(c *chainState)
		want   []problem
	}{
		{
			name:   "clean",
			tamper: func(c *chainState) {},
		},
		{
			name:   "edited detail",
			tamper: func(c *chainState) { c.events[2].Detail = `{"n":99}` },
			want:   []problem{{3, "edited"}},
		},
		{
			name: "edited and rehashed without the key",
			tamper: func(c *chainState) {
				c.events[2].ActorID = "someone else"
				c.events[2].Hash = c.events[2].ComputeHash()
			},
			want: []problem{{3, "edited, or rehashed without the key"}, {4, "does not follow"}},
		},
		{
			name: "edited and the rest rehashed without the key, head moved",
			tamper: func(c *chainState) {
				prev := c.events[1].Hash
				c.events[2].Detail = "x"
				for i := 2; i < len(c.events); i++ {
					c.events[i].PrevHash = prev
					c.events[i].Hash = c.events[i].ComputeHash()
					prev = c.events[i].Hash
				}
				c.head.Hash = prev
			},
			want: []problem{{5, "does not match its MAC"}, {3, "edited"}, {4, "edited"}, {5, "edited"}},
		},
		{
			name:   "deleted in the middle",
			tamper: func(c *chainState) { c.events = append(c.events[:2:2], c.events[3:]...) },
			want:   []problem{{3, "missing: events 3 to 3"}, {4, "does not follow"}},
		},
		{
			name:   "deleted at the end",
			tamper: func(c *chainState) { c.events = c.events[:4] },
			want:   []problem{{5, "chain ends at event 4 but the head records event 5"}},
		},
		{
			name: "deleted at the end and head moved back without its hash",
			tamper: func(c *chainState) {
				c.events = c.events[:4]
				c.head.Seq = 4
			},
			want: []problem{{4, "does not match its MAC"}, {4, "chain ends at event 4 but the head records event 4"}},
		},
		{
			name: "deleted at the end and head moved back to the new end",
			tamper: func(c *chainState) {
				c.events = c.events[:4]
				c.head.Seq, c.head.Hash = 4, c.events[3].Hash
			},
			want: []problem{{4, "does not match its MAC"}},
		},
		{
			name:   "keyed start moved",
			tamper: func(c *chainState) { c.head.KeyedFrom = 6 },
			want:   []problem{{5, "does not match its MAC"}, {1, "edited"}, {2, "edited"}, {3, "edited"}, {4, "edited"}, {5, "edited"}},
		},
		{
			// Reordering stored rows means swapping their sequence numbers:
			// storage returns events by seq, so that is what the verifier sees.
			name: "reordered",
			tamper: func(c *chainState) {
				c.events[1], c.events[2] = c.events[2], c.events[1]
				c.events[1].Seq, c.events[2].Seq = 2, 3
			},
			want: []problem{
				{2, "does not follow"}, {2, "edited"},
				{3, "does not follow"}, {3, "edited"},
				{4, "does not follow"},
			},
		},
		{
			name: "inserted in the middle",
			tamper: func(c *chainState) {
				x := audit.Event{ID: "forged", At: now, ActorID: "u2", Action: "case.view"}
				x.Chain(nil, c.events[1].Seq, c.events[1].Hash)
				out := append(c.events[:2:2], x)
				c.events = append(out, c.events[2:]...)
			},
			// The forged event (without the key) is caught as edited; the
			// real event 3 after it as out of order.
			want: []problem{{3, "edited"}, {3, "out of order"}, {3, "does not follow"}},
		},
		{
			name: "appended without moving the head",
			tamper: func(c *chainState) {
				x := audit.Event{ID: "forged", At: now, Action: "case.view"}
				x.Chain(key.Secret, c.head.Seq, c.head.Hash)
				c.events = append(c.events, x)
			},
			want: []problem{{5, "chain ends at event 6"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, seq, hash := chain(5)
			c := &chainState{events, sealed(seq, hash, 1)}
			tt.tamper(c)
			v := verify(key, c.events, c.head)
			if v.Count != int64(len(c.events)) {
				t.Errorf("Count = %d, want %d", v.Count, len(c.events))
			}
			if v.OK() != (len(tt.want) == 0) {
				t.Errorf("OK = %v with problems %v", v.OK(), v.Problems)
			}
			var got []problem
			for i, p := range v.Problems {
				says := p.Msg
				if i < len(tt.want) && strings.Contains(p.Msg, tt.want[i].Says) {
					says = tt.want[i].Says
				}
				got = append(got, problem{p.Seq, says})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerifierHead: what the head says about the key, and a head that is
// gone.
func TestVerifierHead(t *testing.T) {
	t.Parallel()
	events, seq, hash := chain(3)
	other := audit.Key{Secret: []byte("another-audit-key-0123456789abcd"), ID: "ffffffffffffffff"}
	if v := verify(key, events, sealed(seq, hash, 1)); !v.OK() || v.KeyedFrom != 1 {
		t.Errorf("clean: %v, keyed from %d", v.Problems, v.KeyedFrom)
	}
	if v := verify(other, events, sealed(seq, hash, 1)); v.OK() || !says(v, "head", "not with this key (ffffffffffffffff)") {
		t.Errorf("another key: %v", v.Problems)
	}
	if v := verify(audit.Key{}, events, sealed(seq, hash, 1)); v.OK() || !says(v, "head", "needs that key") {
		t.Errorf("no key: %v", v.Problems)
	}
	// The head is gone: reported, and the events are still checked.
	v := verify(key, events, nil)
	if v.OK() || !says(v, "head: tampering: the chain's head record is missing") || len(v.Problems) != 1 || v.KeyedFrom != 1 || v.Count != 3 {
		t.Errorf("head missing: %v, keyed from %d", v.Problems, v.KeyedFrom)
	}
	events[1].Detail = "edited"
	if v := verify(key, events, nil); !says(v, "event 2: content does not match") {
		t.Errorf("head missing, an event edited: %v", v.Problems)
	}
	// The head's key fields cleared and the whole chain rehashed without
	// the key: it looks like a chain from before keys, which a deployment
	// with a key reports.
	plain, pseq, phash := chainFrom(nil, 0, audit.Genesis, 3)
	v = verify(key, plain, &audit.Head{Seq: pseq, Hash: phash})
	if v.OK() || !says(v, "head", "names no key although this deployment has one") {
		t.Errorf("head reset: %v", v.Problems)
	}
	// A chain from before keys, verified without a key, is intact.
	if v := verify(audit.Key{}, plain, &audit.Head{Seq: pseq, Hash: phash}); !v.OK() || v.KeyedFrom != 0 {
		t.Errorf("unkeyed chain without a key: %v", v.Problems)
	}
	// An empty chain, keyed or not, is intact.
	if v := verify(key, nil, &audit.Head{Hash: audit.Genesis}); !v.OK() {
		t.Errorf("empty chain: %v", v.Problems)
	}
	if v := verify(key, nil, sealed(0, audit.Genesis, 1)); !v.OK() {
		t.Errorf("empty keyed chain: %v", v.Problems)
	}
	if v := verify(key, nil, sealed(3, "abc", 1)); v.OK() {
		t.Error("an empty table with a head at event 3 verifies")
	}
}

// TestVerifierMixedChain: events written before the key existed keep their
// unkeyed hashes; the chain is keyed from the head's KeyedFrom on, and the
// unkeyed part cannot be rewritten without breaking the keyed part.
func TestVerifierMixedChain(t *testing.T) {
	t.Parallel()
	old, seq, hash := chainFrom(nil, 0, audit.Genesis, 3)
	keyed, seq, hash := chainFrom(key.Secret, seq, hash, 3)
	events := append(old, keyed...)
	if v := verify(key, events, sealed(seq, hash, 4)); !v.OK() || v.KeyedFrom != 4 {
		t.Fatalf("mixed chain: %v", v.Problems)
	}
	// Without the head, the keyed part is found where it starts.
	if v := verify(key, events, nil); v.KeyedFrom != 4 || len(v.Problems) != 1 {
		t.Errorf("mixed chain without its head: keyed from %d, %v", v.KeyedFrom, v.Problems)
	}
	// The unkeyed part rewritten and rehashed: the first keyed event no
	// longer follows it.
	x := append([]audit.Event(nil), events...)
	x[1].Detail = "rewritten"
	x[1].Hash = x[1].ComputeHash()
	x[2].PrevHash = x[1].Hash
	x[2].Hash = x[2].ComputeHash()
	if v := verify(key, x, sealed(seq, hash, 4)); !says(v, "event 4: does not follow") {
		t.Errorf("unkeyed part rewritten: %v", v.Problems)
	}
	// A keyed event rehashed the unkeyed way is caught.
	x = append([]audit.Event(nil), events...)
	x[4].Hash = x[4].ComputeHash()
	if v := verify(key, x, sealed(seq, hash, 4)); !says(v, "event 5: content does not match") {
		t.Errorf("keyed event rehashed without the key: %v", v.Problems)
	}
}

// TestVerifierFedOutOfOrder: events fed out of sequence order are reported.
func TestVerifierFedOutOfOrder(t *testing.T) {
	t.Parallel()
	events, seq, hash := chain(5)
	events[1], events[2] = events[2], events[1]
	v := verify(key, events, sealed(seq, hash, 1))
	found := false
	for _, p := range v.Problems {
		found = found || (p.Seq == 2 && strings.Contains(p.Msg, "out of order"))
	}
	if v.OK() || !found {
		t.Errorf("problems %v, want event 2 reported out of order", v.Problems)
	}
}

func TestVerifierMaxProblems(t *testing.T) {
	t.Parallel()
	events, seq, hash := chain(10)
	v := audit.NewVerifier(key, sealed(seq, hash, 1))
	v.MaxProblems = 2
	for i := range events {
		events[i].Detail = "edited"
		v.Add(events[i])
	}
	v.Finish()
	if len(v.Problems) != 2 || v.OK() {
		t.Errorf("%d problems recorded, want 2", len(v.Problems))
	}
	if got := v.Problems[0].String(); !strings.HasPrefix(got, "event 1: ") {
		t.Errorf("Problem.String() = %q", got)
	}
}

func TestFill(t *testing.T) {
	t.Parallel()
	ctx := audit.WithMeta(context.Background(), audit.Meta{ActorID: "u1", ActorRole: "supervisor", AgencyID: "a1", IP: "10.1.1.1"})
	if got := audit.MetaFrom(context.Background()); got != (audit.Meta{}) {
		t.Errorf("MetaFrom(empty) = %+v", got)
	}
	var e audit.Event
	e.Fill(ctx, now)
	want := audit.Event{ActorID: "u1", ActorRole: "supervisor", AgencyID: "a1", IP: "10.1.1.1", At: now}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("Fill (-want +got):\n%s", diff)
	}
	// Fields already set win over the request's metadata.
	set := audit.Event{ActorID: "system", AgencyID: "a2", At: now.Add(-time.Hour)}
	set.Fill(ctx, now)
	if set.ActorID != "system" || set.AgencyID != "a2" || !set.At.Equal(now.Add(-time.Hour)) || set.ActorRole != "supervisor" {
		t.Errorf("Fill overwrote set fields: %+v", set)
	}
}

// TestVerifierReportsTamperingEvents: an event in which SafeCase recorded
// tampering it found is reported, though the chain is intact.
func TestVerifierReportsTamperingEvents(t *testing.T) {
	t.Parallel()
	events, seq, hash := chain(2)
	x := audit.Event{ID: "t", At: now, Action: audit.ActionTampering, RecordType: "audit_head", Detail: `{"found":"moved"}`}
	x.Chain(key.Secret, seq, hash)
	events = append(events, x)
	v := verify(key, events, sealed(x.Seq, x.Hash, 1))
	if v.OK() || len(v.Problems) != 1 || !says(v, "event 3: SafeCase found the chain tampered with", `"found":"moved"`) {
		t.Errorf("problems %v", v.Problems)
	}
}
