// Package audit defines SafeCase's append-only audit trail: every write and
// every read of a case record becomes an Event, and each event's hash covers
// its content and the previous event's hash, so editing, deleting or
// reordering stored events breaks the chain and Verify says where.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// Genesis is the previous-hash of the first event.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Event is one entry of the audit trail. It never holds case content: Detail
// names fields or counts, never values.
type Event struct {
	Seq        int64
	ID         string
	At         time.Time
	ActorID    string
	ActorRole  string
	Action     string // e.g. case.view, case.register, consent.withdraw
	RecordType string // e.g. case, consent, user
	RecordID   string
	CaseID     string
	AgencyID   string
	IP         string
	Reason     string
	Detail     string
	PrevHash   string
	Hash       string
}

// ComputeHash returns the hash of e chained to e.PrevHash. Every field is
// length-prefixed so no two different events encode alike.
func (e *Event) ComputeHash() string {
	h := sha256.New()
	field := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
		h.Write([]byte{'\n'})
	}
	field("safecase-audit-v1")
	field(strconv.FormatInt(e.Seq, 10))
	field(e.ID)
	field(strconv.FormatInt(e.At.UnixMilli(), 10))
	field(e.ActorID)
	field(e.ActorRole)
	field(e.Action)
	field(e.RecordType)
	field(e.RecordID)
	field(e.CaseID)
	field(e.AgencyID)
	field(e.IP)
	field(e.Reason)
	field(e.Detail)
	field(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// Chain sets e's sequence number and hashes after the head (seq, hash).
func (e *Event) Chain(headSeq int64, headHash string) {
	e.Seq = headSeq + 1
	e.PrevHash = headHash
	e.At = e.At.Truncate(time.Millisecond)
	e.Hash = e.ComputeHash()
}

// Problem is one break in the chain.
type Problem struct {
	Seq int64
	Msg string
}

func (p Problem) String() string { return fmt.Sprintf("event %d: %s", p.Seq, p.Msg) }

// Verifier checks events fed to it in sequence order.
type Verifier struct {
	prevSeq  int64
	prevHash string
	Count    int64
	Problems []Problem
	// MaxProblems stops recording after this many (0 means 100).
	MaxProblems int
}

// NewVerifier returns a verifier expecting the chain to start at genesis.
func NewVerifier() *Verifier { return &Verifier{prevHash: Genesis} }

func (v *Verifier) add(seq int64, format string, args ...any) {
	limit := v.MaxProblems
	if limit == 0 {
		limit = 100
	}
	if len(v.Problems) < limit {
		v.Problems = append(v.Problems, Problem{Seq: seq, Msg: fmt.Sprintf(format, args...)})
	}
}

// Add checks the next stored event.
func (v *Verifier) Add(e Event) {
	v.Count++
	if e.Seq != v.prevSeq+1 {
		if e.Seq > v.prevSeq+1 {
			v.add(v.prevSeq+1, "missing: events %d to %d are gone (deleted)", v.prevSeq+1, e.Seq-1)
		} else {
			v.add(e.Seq, "out of order: comes after event %d", v.prevSeq)
		}
	}
	if e.PrevHash != v.prevHash {
		v.add(e.Seq, "does not follow the event before it (an event was deleted, inserted or moved)")
	}
	if got := e.ComputeHash(); got != e.Hash {
		v.add(e.Seq, "content does not match its hash (edited)")
	}
	v.prevSeq, v.prevHash = e.Seq, e.Hash
}

// Finish compares the last event with the recorded head of the chain, which
// catches events deleted from the end.
func (v *Verifier) Finish(headSeq int64, headHash string) {
	if headSeq != v.prevSeq || headHash != v.prevHash {
		v.add(headSeq, "the chain ends at event %d but the head records event %d (events deleted from the end, or the head edited)", v.prevSeq, headSeq)
	}
}

// OK reports whether the chain verified without problems.
func (v *Verifier) OK() bool { return len(v.Problems) == 0 }

// Meta is the request metadata every event of a request carries.
type Meta struct {
	ActorID   string
	ActorRole string
	AgencyID  string
	IP        string
}

type metaKey struct{}

// WithMeta returns ctx carrying m.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// MetaFrom returns the metadata in ctx, if any.
func MetaFrom(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}

// Fill completes e from the request metadata in ctx and the time now.
func (e *Event) Fill(ctx context.Context, now time.Time) {
	m := MetaFrom(ctx)
	if e.ActorID == "" {
		e.ActorID = m.ActorID
	}
	if e.ActorRole == "" {
		e.ActorRole = m.ActorRole
	}
	if e.AgencyID == "" {
		e.AgencyID = m.AgencyID
	}
	if e.IP == "" {
		e.IP = m.IP
	}
	if e.At.IsZero() {
		e.At = now
	}
}
