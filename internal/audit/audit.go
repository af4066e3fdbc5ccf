// Package audit defines SafeCase's append-only audit trail: every write and
// every read of a case record becomes an Event, and each event's hash covers
// its content and the previous event's hash, so editing, deleting or
// reordering stored events breaks the chain and a Verifier says where.
//
// The hashes are keyed (HMAC-SHA256 with a subkey of the deployment's key,
// which is kept outside the database), and so is the chain's recorded
// Head, so that someone who can write to the database but does not hold
// the key cannot rehash the chain after an edit or move its head back
// after deleting its last events. Checkpoints (sequence number, hash,
// time, sealed with the key) written outside the database catch the rest:
// a chain rolled back to an earlier state, head included.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
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

// appendField appends s to b length-prefixed ("<len>:<s>\n"), so that no
// two different sequences of fields encode alike.
func appendField[T string | []byte](b []byte, s T) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	b = append(b, s...)
	return append(b, '\n')
}

// appendInt appends n as a length-prefixed decimal field.
func appendInt(b []byte, n int64) []byte {
	var d [20]byte
	return appendField(b, strconv.AppendInt(d[:0], n, 10))
}

// appendContent appends the fields of e's content, in their order.
func appendContent(b []byte, e *Event) []byte {
	b = appendField(b, e.ID)
	b = appendInt(b, e.At.UnixMilli())
	b = appendField(b, e.ActorID)
	b = appendField(b, e.ActorRole)
	b = appendField(b, e.Action)
	b = appendField(b, e.RecordType)
	b = appendField(b, e.RecordID)
	b = appendField(b, e.CaseID)
	b = appendField(b, e.AgencyID)
	b = appendField(b, e.IP)
	b = appendField(b, e.Reason)
	return appendField(b, e.Detail)
}

// ComputeHash returns the unkeyed hash of e chained to e.PrevHash: the
// SHA-256 of the chain's first version, which events written before the
// deployment had a key keep (and which anyone can recompute, so it proves
// nothing against someone who can write to the database). Every field is
// length-prefixed so no two different events encode alike.
func (e *Event) ComputeHash() string {
	var buf [512]byte
	b := appendField(buf[:0], "safecase-audit-v1")
	b = appendInt(b, e.Seq)
	b = appendContent(b, e)
	b = appendField(b, e.PrevHash)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Digest is the SHA-256 of an event's content (Content).
type Digest [sha256.Size]byte

// Content returns the digest of e's content: every field except its place
// in the chain (Seq, PrevHash) and its Hash, length-prefixed. The keyed
// hash covers it. It needs neither the key nor the chain's head, so
// callers compute it before they take the head's lock.
func (e *Event) Content() Digest {
	var buf [512]byte
	b := appendField(buf[:0], "safecase-audit-v2-content")
	return sha256.Sum256(appendContent(b, e))
}

// Chainer computes the hashes that link events into the chain. With a key
// it computes the keyed hash: HMAC-SHA256, with the audit chain's subkey
// of the deployment's key, of the event's sequence number, its content
// digest and the previous event's hash — which no one without the key can
// compute, so rewriting events is detected even by someone who rehashes
// the chain after them. Without a key it computes the unkeyed SHA-256
// (ComputeHash). A Chainer is not safe for concurrent use.
type Chainer struct {
	mac hash.Hash
	buf []byte
	sum []byte
}

// NewChainer returns a chainer keyed with key; with an empty key, an
// unkeyed one.
func NewChainer(key []byte) *Chainer {
	if len(key) == 0 {
		return &Chainer{}
	}
	return &Chainer{mac: hmac.New(sha256.New, key), buf: make([]byte, 0, 256), sum: make([]byte, 0, sha256.Size)}
}

// Keyed reports whether c computes keyed hashes.
func (c *Chainer) Keyed() bool { return c.mac != nil }

// link returns the keyed hash of the event at seq with content digest d
// following the event whose hash is prev.
func (c *Chainer) link(seq int64, d *Digest, prev string) string {
	b := appendField(c.buf[:0], "safecase-audit-v2")
	b = appendInt(b, seq)
	b = appendField(b, d[:])
	b = appendField(b, prev)
	c.buf = b
	c.mac.Reset()
	c.mac.Write(b)
	c.sum = c.mac.Sum(c.sum[:0])
	return hex.EncodeToString(c.sum)
}

// Sum returns the hash e should have, keyed or not as c is.
func (c *Chainer) Sum(e *Event) string {
	if c.mac == nil {
		return e.ComputeHash()
	}
	d := e.Content()
	return c.link(e.Seq, &d, e.PrevHash)
}

// Chain places e after the head (headSeq, headHash) and sets its hash; d
// is e.Content(), computed beforehand.
func (c *Chainer) Chain(e *Event, d Digest, headSeq int64, headHash string) {
	e.Seq = headSeq + 1
	e.PrevHash = headHash
	e.At = e.At.Truncate(time.Millisecond)
	if c.mac == nil {
		e.Hash = e.ComputeHash()
		return
	}
	e.Hash = c.link(e.Seq, &d, e.PrevHash)
}

// Chain places e after the head (headSeq, headHash) and sets its hash,
// keyed with key (the audit chain's subkey), or unkeyed when key is empty.
func (e *Event) Chain(key []byte, headSeq int64, headHash string) {
	NewChainer(key).Chain(e, e.Content(), headSeq, headHash)
}

// Problem is one break in the chain, or one thing found wrong beside it.
type Problem struct {
	Seq int64
	// Where names what is wrong when it is not event Seq: "head", or a
	// checkpoint's file and line.
	Where string
	Msg   string
}

// String says what is wrong and where: "event 12: …", "head: …" or
// "file:line: …".
func (p Problem) String() string {
	if p.Where != "" {
		return p.Where + ": " + p.Msg
	}
	return fmt.Sprintf("event %d: %s", p.Seq, p.Msg)
}

// Verifier checks events fed to it in sequence order against the head of
// the chain and any checkpoints it was given.
type Verifier struct {
	key      Key
	chainer  *Chainer // keyed with key; nil without a key
	head     *Head    // nil when the head record is missing
	prevSeq  int64
	prevHash string
	expect   map[int64][]Checkpoint

	// Count is how many events were checked.
	Count int64
	// KeyedFrom is the first keyed event, as the head records it (or, when
	// the head is missing, as found); 0 when no event is keyed.
	KeyedFrom int64
	// Checkpoints is how many checkpoints were valid and checked.
	Checkpoints int
	Problems    []Problem
	// MaxProblems stops recording after this many (0 means 100).
	MaxProblems int
}

// NewVerifier returns a verifier of the chain whose recorded head is head
// (nil when the head record is missing, which is reported), with key: the
// deployment's audit key, or the zero Key for a chain that was never keyed.
func NewVerifier(key Key, head *Head) *Verifier {
	v := &Verifier{key: key, head: head, prevHash: Genesis, expect: map[int64][]Checkpoint{}}
	if !key.IsZero() {
		v.chainer = NewChainer(key.Secret)
	}
	switch {
	case head == nil:
		v.addAt("head", 0, "%v", ErrHeadMissing)
	case head.Keyed():
		v.KeyedFrom = head.KeyedFrom
		switch {
		case key.IsZero():
			v.addAt("head", head.Seq, "the chain is keyed with key %s: verifying it needs that key", head.KeyID)
			v.chainer = nil
		case key.ID != head.KeyID:
			v.addAt("head", head.Seq, "the chain is keyed with key %s, not with this key (%s)", head.KeyID, key.ID)
			v.chainer = nil
		case !head.Sealed(key.Secret):
			v.addAt("head", head.Seq, "does not match its MAC: it was moved or rewritten without the key (events deleted from the end, or the head edited)")
		}
	case !key.IsZero() && head.Seq > 0:
		v.addAt("head", head.Seq, "the chain names no key although this deployment has one (%s): its head was reset "+
			"to look as if no event were keyed (tampering), unless this database has never been opened with this key", key.ID)
	}
	return v
}

func (v *Verifier) add(seq int64, format string, args ...any) {
	v.addAt("", seq, format, args...)
}

func (v *Verifier) addAt(where string, seq int64, format string, args ...any) {
	limit := v.MaxProblems
	if limit == 0 {
		limit = 100
	}
	if len(v.Problems) < limit {
		v.Problems = append(v.Problems, Problem{Seq: seq, Where: where, Msg: fmt.Sprintf(format, args...)})
	}
}

// Report records a problem found beside the chain (such as a checkpoint
// line that cannot be read), so that the verification fails with it.
func (v *Verifier) Report(p Problem) {
	v.addAt(p.Where, p.Seq, "%s", p.Msg)
}

// keyed reports whether event e should carry a keyed hash. With the head
// missing it is found: the first event whose keyed hash matches (and whose
// unkeyed one does not) starts the keyed part.
func (v *Verifier) keyed(e *Event) bool {
	if v.head != nil {
		return v.head.Keyed() && e.Seq >= v.head.KeyedFrom
	}
	if v.KeyedFrom > 0 {
		return e.Seq >= v.KeyedFrom
	}
	if v.chainer != nil && e.ComputeHash() != e.Hash && v.chainer.Sum(e) == e.Hash {
		v.KeyedFrom = e.Seq
		return true
	}
	return false
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
	if v.keyed(&e) {
		if v.chainer != nil && v.chainer.Sum(&e) != e.Hash {
			v.add(e.Seq, "content does not match its hash (edited, or rehashed without the key)")
		}
	} else if e.ComputeHash() != e.Hash {
		v.add(e.Seq, "content does not match its hash (edited)")
	}
	if e.Action == ActionTampering {
		v.add(e.Seq, "SafeCase found the chain tampered with when it appended this event: %s", e.Detail)
	}
	for _, c := range v.expect[e.Seq] {
		if c.Hash != e.Hash {
			v.addAt(c.Where, e.Seq, "rewritten: event %d is not the one the checkpoint of %s recorded (its hash differs)",
				e.Seq, c.At.Format(time.RFC3339))
		}
	}
	delete(v.expect, e.Seq)
	v.prevSeq, v.prevHash = e.Seq, e.Hash
}

// Finish compares the last event with the recorded head of the chain,
// which catches events deleted from the end, and reports the checkpoints
// whose events are gone.
func (v *Verifier) Finish() {
	if h := v.head; h != nil && (h.Seq != v.prevSeq || h.Hash != v.prevHash) {
		v.add(h.Seq, "the chain ends at event %d but the head records event %d (events deleted from the end, or the head edited)", v.prevSeq, h.Seq)
	}
	seqs := make([]int64, 0, len(v.expect))
	for s := range v.expect {
		seqs = append(seqs, s)
	}
	slices.Sort(seqs)
	for _, s := range seqs {
		for _, c := range v.expect[s] {
			if s > v.prevSeq {
				v.addAt(c.Where, s, "truncated: the checkpoint of %s recorded event %d, and the chain now ends at event %d "+
					"(events deleted from the end)", c.At.Format(time.RFC3339), s, v.prevSeq)
			} else {
				v.addAt(c.Where, s, "event %d, which the checkpoint of %s recorded, is missing", s, c.At.Format(time.RFC3339))
			}
		}
	}
	clear(v.expect)
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
