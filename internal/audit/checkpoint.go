package audit

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Key keys the chain: Secret is the audit chain's subkey of the
// deployment's key (keys.AuditChain) and ID the deployment key's ID. The
// zero Key is no key.
type Key struct {
	Secret []byte
	ID     string
}

// IsZero reports whether k is no key.
func (k Key) IsZero() bool { return len(k.Secret) == 0 }

// String names the key by its ID only.
func (k Key) String() string { return "audit key " + k.ID }

// Format prints String for every verb, so that no verb prints the secret.
func (k Key) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// ErrHeadMissing reports that the record of the chain's head is gone: it
// is never deleted by SafeCase, so this is tampering.
var ErrHeadMissing = errors.New("tampering: the chain's head record is missing (audit_head was deleted)")

// Head is the recorded end of the chain (the last event's sequence number
// and hash) and how the chain is keyed: KeyedFrom is its first keyed event
// (the events before it were written before the deployment had a key) and
// KeyID the deployment key's ID, both empty while the chain has no key.
// MAC seals all of them with the key, so that the head cannot be moved
// back over deleted events, nor its keyed part moved, without the key.
type Head struct {
	Seq       int64
	Hash      string
	KeyedFrom int64
	KeyID     string
	MAC       string
}

// Keyed reports whether the chain has a key.
func (h Head) Keyed() bool { return h.KeyID != "" }

// Bind keys the chain with key from the next event on; Seal then seals it.
func (h *Head) Bind(key Key) {
	h.KeyedFrom, h.KeyID = h.Seq+1, key.ID
}

func (h Head) mac(secret []byte) string {
	b := appendField(nil, "safecase-audit-head-v1")
	b = appendInt(b, h.Seq)
	b = appendField(b, h.Hash)
	b = appendInt(b, h.KeyedFrom)
	b = appendField(b, h.KeyID)
	return macHex(secret, b)
}

// macHex returns the hexadecimal HMAC-SHA256 of b with secret.
func macHex(secret, b []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// Seal sets h.MAC with the audit key's secret.
func (h *Head) Seal(secret []byte) { h.MAC = h.mac(secret) }

// Sealed reports whether h.MAC matches h under the audit key's secret.
func (h Head) Sealed(secret []byte) bool {
	return hmac.Equal([]byte(h.MAC), []byte(h.mac(secret)))
}

// Checkpoint records the chain's head at a time, outside the database,
// sealed with the key: whoever holds the key can show that the chain still
// reaches Seq with Hash, and a rollback of the database (events deleted
// from the end with the head moved back, or the chain rewritten from an
// earlier point) to before it is detected.
type Checkpoint struct {
	Seq       int64
	Hash      string
	KeyedFrom int64
	At        time.Time
	KeyID     string
	MAC       string
	// Where says where the checkpoint was read ("file:line"), for
	// messages. It is not part of the checkpoint.
	Where string
}

// checkpointMark starts every checkpoint's text, in a checkpoint file and
// in the log alike.
const checkpointMark = "safecase-checkpoint v1 "

// NewCheckpoint returns the checkpoint of head h at time at, sealed with key.
func NewCheckpoint(key Key, h Head, at time.Time) Checkpoint {
	c := Checkpoint{Seq: h.Seq, Hash: h.Hash, KeyedFrom: h.KeyedFrom, At: at.UTC().Truncate(time.Millisecond), KeyID: key.ID}
	c.MAC = c.mac(key.Secret)
	return c
}

func (c Checkpoint) mac(secret []byte) string {
	b := appendField(nil, "safecase-audit-checkpoint-v1")
	b = appendInt(b, c.Seq)
	b = appendField(b, c.Hash)
	b = appendInt(b, c.KeyedFrom)
	b = appendInt(b, c.At.UnixMilli())
	b = appendField(b, c.KeyID)
	return macHex(secret, b)
}

// Valid reports whether c's MAC matches it under the audit key's secret:
// whether SafeCase wrote it with this key, unchanged since.
func (c Checkpoint) Valid(secret []byte) bool {
	return hmac.Equal([]byte(c.MAC), []byte(c.mac(secret)))
}

// timeLayout writes a checkpoint's time: UTC, to the millisecond.
const timeLayout = "2006-01-02T15:04:05.000Z"

// String returns the checkpoint's one-line text, as a checkpoint file and
// the log hold it:
//
//	safecase-checkpoint v1 seq=42 hash=… keyed-from=1 at=2026-01-02T03:04:05.678Z key=… mac=…
func (c Checkpoint) String() string {
	return fmt.Sprintf("%sseq=%d hash=%s keyed-from=%d at=%s key=%s mac=%s", checkpointMark,
		c.Seq, c.Hash, c.KeyedFrom, c.At.UTC().Format(timeLayout), c.KeyID, c.MAC)
}

// ParseCheckpoint reads a checkpoint's text (String's form), alone or
// inside a longer line such as a log line, where it ends at a quote or the
// end of the line. It checks the form of every field, not the MAC (Valid).
func ParseCheckpoint(line string) (Checkpoint, error) {
	i := strings.Index(line, checkpointMark)
	if i < 0 {
		return Checkpoint{}, errors.New("not a checkpoint: it does not start with " + strings.TrimSpace(checkpointMark))
	}
	text := line[i+len(checkpointMark):]
	if j := strings.IndexByte(text, '"'); j >= 0 {
		text = text[:j]
	}
	fields := strings.Split(strings.TrimRight(text, " \t\r\n"), " ")
	names := []string{"seq", "hash", "keyed-from", "at", "key", "mac"}
	if len(fields) != len(names) {
		return Checkpoint{}, fmt.Errorf("%d fields, want %d: %s", len(fields), len(names), strings.Join(names, ", "))
	}
	vals := make([]string, len(names))
	for k, f := range fields {
		name, val, ok := strings.Cut(f, "=")
		if !ok || name != names[k] {
			return Checkpoint{}, fmt.Errorf("field %d: want %s=…", k+1, names[k])
		}
		vals[k] = val
	}
	var c Checkpoint
	var err error
	if c.Seq, err = strconv.ParseInt(vals[0], 10, 64); err != nil || c.Seq < 0 || vals[0] != strconv.FormatInt(c.Seq, 10) {
		return Checkpoint{}, errors.New("seq: not a sequence number")
	}
	if !isHex(vals[1], 64) {
		return Checkpoint{}, errors.New("hash: not 64 hexadecimal digits")
	}
	c.Hash = vals[1]
	if c.KeyedFrom, err = strconv.ParseInt(vals[2], 10, 64); err != nil || c.KeyedFrom < 1 || c.KeyedFrom > c.Seq+1 ||
		vals[2] != strconv.FormatInt(c.KeyedFrom, 10) {
		return Checkpoint{}, errors.New("keyed-from: not an event number from 1 to seq+1")
	}
	if c.At, err = time.Parse(timeLayout, vals[3]); err != nil {
		return Checkpoint{}, errors.New("at: not a time such as 2026-01-02T03:04:05.678Z")
	}
	if !isHex(vals[4], 16) {
		return Checkpoint{}, errors.New("key: not 16 hexadecimal digits")
	}
	c.KeyID = vals[4]
	if !isHex(vals[5], 64) {
		return Checkpoint{}, errors.New("mac: not 64 hexadecimal digits")
	}
	c.MAC = vals[5]
	return c, nil
}

// isHex reports whether s is n lower-case hexadecimal digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// ReadCheckpoints reads every checkpoint in r, named name in messages: a
// checkpoint file, or a log holding checkpoint lines among others. Lines
// without a checkpoint are skipped; a line that starts one but cannot be
// read is returned as a problem.
func ReadCheckpoints(r io.Reader, name string) ([]Checkpoint, []Problem, error) {
	var cps []Checkpoint
	var problems []Problem
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.Contains(line, checkpointMark) {
			continue
		}
		where := name + ":" + strconv.Itoa(n)
		c, err := ParseCheckpoint(line)
		if err != nil {
			problems = append(problems, Problem{Where: where, Msg: "not a valid checkpoint: " + err.Error()})
			continue
		}
		c.Where = where
		cps = append(cps, c)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read checkpoints %s: %w", name, err)
	}
	return cps, problems, nil
}

// Expect makes the verifier check checkpoint c: that it is valid (written
// with this key, unchanged), that the chain is keyed from the same event,
// and, as events are added, that the chain still holds event c.Seq with
// c.Hash. Call it before adding events.
func (v *Verifier) Expect(c Checkpoint) {
	at := c.At.Format(time.RFC3339)
	switch {
	case v.key.IsZero():
		v.addAt(c.Where, c.Seq, "the checkpoint of %s cannot be checked without the key", at)
		return
	case c.KeyID != v.key.ID:
		v.addAt(c.Where, c.Seq, "the checkpoint of %s was made with another key (%s, not %s): it proves nothing here", at, c.KeyID, v.key.ID)
		return
	case !c.Valid(v.key.Secret):
		v.addAt(c.Where, c.Seq, "forged or altered checkpoint: its MAC does not match (SafeCase did not write it with this key)")
		return
	}
	v.Checkpoints++
	if v.head != nil && c.KeyedFrom != v.head.KeyedFrom {
		v.addAt(c.Where, c.Seq, "the chain was keyed from event %d at the checkpoint of %s, and its head now says %s "+
			"(the head was reset or rewritten)", c.KeyedFrom, at, keyedFromText(v.head.KeyedFrom))
	}
	if c.Seq == 0 {
		if c.Hash != Genesis {
			v.addAt(c.Where, 0, "the checkpoint of %s records event 0 with a hash other than the genesis hash", at)
		}
		return
	}
	v.expect[c.Seq] = append(v.expect[c.Seq], c)
}

func keyedFromText(n int64) string {
	if n == 0 {
		return "no event is keyed"
	}
	return "keyed from event " + strconv.FormatInt(n, 10)
}

// ActionTampering is the action of the event SafeCase appends when, about
// to append, it finds the chain's head tampered with: moved without the key
// or stripped of its key. The event is part of the keyed chain, so no one
// without the key can remove it, and verification reports it.
const ActionTampering = "audit.tampering"
