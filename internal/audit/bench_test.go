package audit_test

import (
	"testing"

	"github.com/safecase/safecase/internal/audit"
)

// benchEvent is a read's event of a realistic size.
func benchEvent() audit.Event {
	return audit.Event{ID: "0190f3a0-0000-7000-8000-000000000001", At: now, ActorID: "0190f3a0-0000-7000-8000-0000000000aa",
		ActorRole: "caseworker", Action: "case.view", RecordType: "case", RecordID: "0190f3a0-0000-7000-8000-0000000000cc",
		CaseID: "0190f3a0-0000-7000-8000-0000000000cc", AgencyID: "0190f3a0-0000-7000-8000-0000000000ee",
		IP: "192.0.2.10", Detail: `{"section":"registration"}`, Seq: 41, PrevHash: audit.Genesis}
}

// BenchmarkUnkeyedHash is what chaining an event cost, under the head's
// lock, before the chain was keyed.
func BenchmarkUnkeyedHash(b *testing.B) {
	e := benchEvent()
	for b.Loop() {
		e.Hash = e.ComputeHash()
	}
}

// BenchmarkKeyedLink is what chaining an event costs under the head's lock
// now: the keyed link over its precomputed content digest.
func BenchmarkKeyedLink(b *testing.B) {
	e := benchEvent()
	d := e.Content()
	c := audit.NewChainer(key.Secret)
	for b.Loop() {
		c.Chain(&e, d, 41, audit.Genesis)
	}
}

// BenchmarkContent is the digest of an event's content, computed by the
// request's goroutine before it queues the event.
func BenchmarkContent(b *testing.B) {
	e := benchEvent()
	for b.Loop() {
		e.Content()
	}
}

// BenchmarkHeadSeal is the head's check and seal, once per transaction
// that appends events.
func BenchmarkHeadSeal(b *testing.B) {
	h := audit.Head{Seq: 41, Hash: audit.Genesis, KeyedFrom: 1, KeyID: key.ID}
	for b.Loop() {
		h.Seal(key.Secret)
		if !h.Sealed(key.Secret) {
			b.Fatal("not sealed")
		}
	}
}
