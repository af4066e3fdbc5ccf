package audit_test

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/safecase/safecase/internal/audit"
)

// checkpointAt returns the checkpoint of the chain's head after event seq.
func checkpointAt(events []audit.Event, seq int64, at time.Time) audit.Checkpoint {
	h := audit.Head{Hash: audit.Genesis, KeyedFrom: 1, KeyID: key.ID}
	if seq > 0 {
		h.Seq, h.Hash = seq, events[seq-1].Hash
	}
	c := audit.NewCheckpoint(key, h, at)
	c.Where = "cp:" + strconv.FormatInt(seq, 10)
	return c
}

func TestCheckpointText(t *testing.T) {
	t.Parallel()
	events, _, _ := chain(3)
	c := checkpointAt(events, 2, now)
	line := c.String()
	want := "safecase-checkpoint v1 seq=2 hash=" + events[1].Hash + " keyed-from=1 at=2025-03-10T09:00:00.123Z key=" + key.ID + " mac=" + c.MAC
	if line != want {
		t.Errorf("String() = %q\nwant        %q", line, want)
	}
	got, err := audit.ParseCheckpoint(line)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got, cmpopts.IgnoreFields(audit.Checkpoint{}, "Where")); diff != "" {
		t.Errorf("parsed (-want +got):\n%s", diff)
	}
	if !got.Valid(key.Secret) {
		t.Error("a parsed checkpoint is not valid")
	}
	if got.Valid([]byte("another-audit-key-0123456789abcd")) {
		t.Error("a checkpoint is valid under another key")
	}
	// Every field is sealed: changing any one invalidates the MAC.
	for name, change := range map[string]func(c *audit.Checkpoint){
		"seq":        func(c *audit.Checkpoint) { c.Seq++ },
		"hash":       func(c *audit.Checkpoint) { c.Hash = events[2].Hash },
		"keyed-from": func(c *audit.Checkpoint) { c.KeyedFrom = 2 },
		"at":         func(c *audit.Checkpoint) { c.At = c.At.Add(time.Millisecond) },
		"key":        func(c *audit.Checkpoint) { c.KeyID = "ffffffffffffffff" },
	} {
		x := got
		change(&x)
		if x.Valid(key.Secret) {
			t.Errorf("changing %s leaves the checkpoint valid", name)
		}
	}
}

func TestParseCheckpointErrors(t *testing.T) {
	t.Parallel()
	events, _, _ := chain(1)
	good := checkpointAt(events, 1, now).String()
	bad := map[string]string{
		"no mark":        strings.TrimPrefix(good, "safecase-checkpoint v1 "),
		"field missing":  good[:strings.Index(good, " mac=")],
		"fields swapped": strings.Replace(good, "seq=1 hash=", "hash=1 seq=", 1),
		"negative seq":   strings.Replace(good, "seq=1 ", "seq=-1 ", 1),
		"seq with sign":  strings.Replace(good, "seq=1 ", "seq=+1 ", 1),
		"short hash":     strings.Replace(good, events[0].Hash, events[0].Hash[:10], 1),
		"upper hash":     strings.Replace(good, events[0].Hash, strings.ToUpper(events[0].Hash), 1),
		"keyed from 0":   strings.Replace(good, "keyed-from=1", "keyed-from=0", 1),
		"keyed after":    strings.Replace(good, "keyed-from=1", "keyed-from=3", 1),
		"bad time":       strings.Replace(good, "2025-03-10T09:00:00.123Z", "yesterday", 1),
		"bad key":        strings.Replace(good, key.ID, "xyz", 1),
		"extra field":    good + " more=1",
	}
	for name, line := range bad {
		if c, err := audit.ParseCheckpoint(line); err == nil {
			t.Errorf("%s: parsed %+v", name, c)
		}
	}
}

// TestReadCheckpoints reads a checkpoint file, and the checkpoints in a
// log in either format among other lines.
func TestReadCheckpoints(t *testing.T) {
	t.Parallel()
	events, _, _ := chain(3)
	c1, c2 := checkpointAt(events, 1, now), checkpointAt(events, 3, now.Add(time.Minute))
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("serving", "url", "http://localhost")
	slog.New(slog.NewTextHandler(&logs, nil)).Info("audit checkpoint", "seq", c1.Seq, "hash", c1.Hash, "checkpoint", c1.String())
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("audit checkpoint", "seq", c2.Seq, "hash", c2.Hash, "checkpoint", c2.String())
	logs.WriteString("safecase-checkpoint v1 seq=oops\n")
	cps, problems, err := audit.ReadCheckpoints(&logs, "safecase.log")
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 2 || cps[0].Where != "safecase.log:2" || cps[1].Where != "safecase.log:3" {
		t.Fatalf("read %+v", cps)
	}
	for i, want := range []audit.Checkpoint{c1, c2} {
		if diff := cmp.Diff(want, cps[i], cmpopts.IgnoreFields(audit.Checkpoint{}, "Where")); diff != "" {
			t.Errorf("checkpoint %d (-want +got):\n%s", i, diff)
		}
	}
	if len(problems) != 1 || problems[0].Where != "safecase.log:4" || !strings.Contains(problems[0].Msg, "not a valid checkpoint") {
		t.Errorf("problems %v", problems)
	}
}

// TestVerifierCheckpoints: checkpoints catch what a rollback of the whole
// database leaves consistent — a truncated chain with its head moved back,
// or a chain that went on differently after a rollback — and forged ones
// are reported.
func TestVerifierCheckpoints(t *testing.T) {
	t.Parallel()
	events, seq, hash := chain(6)
	head := sealed(seq, hash, 1)
	cp0, cp3, cp6 := checkpointAt(events, 0, now), checkpointAt(events, 3, now), checkpointAt(events, 6, now)

	v := verify(key, events, head, cp0, cp3, cp6)
	if !v.OK() || v.Checkpoints != 3 {
		t.Fatalf("clean chain: %v, %d checkpoints", v.Problems, v.Checkpoints)
	}

	// Rolled back to event 4 (events deleted, head as it was then): the
	// chain alone is consistent; the checkpoint of event 6 is not reached.
	old := sealed(4, events[3].Hash, 1)
	if v := verify(key, events[:4], old); !v.OK() {
		t.Fatalf("a rolled-back chain without checkpoints: %v", v.Problems)
	}
	v = verify(key, events[:4], old, cp3, cp6)
	if v.OK() || !says(v, "cp:6", "truncated", "recorded event 6", "ends at event 4") {
		t.Errorf("rolled back: %v", v.Problems)
	}

	// Rolled back to event 2 and rewritten since by the server: events 3
	// to 6 exist again, but differ.
	var redo []audit.Event
	rseq, rhash := int64(2), events[1].Hash
	for i := 0; i < 4; i++ {
		e := audit.Event{ID: "redo-" + strconv.Itoa(i), At: now, Action: "case.view", Detail: "another story"}
		e.Chain(key.Secret, rseq, rhash)
		rseq, rhash = e.Seq, e.Hash
		redo = append(redo, e)
	}
	rewritten := append(append([]audit.Event(nil), events[:2]...), redo...)
	if v := verify(key, rewritten, sealed(rseq, rhash, 1)); !v.OK() {
		t.Fatalf("a rewritten chain without checkpoints: %v", v.Problems)
	}
	v = verify(key, rewritten, sealed(rseq, rhash, 1), cp0, cp3, cp6)
	if v.OK() || !says(v, "cp:3", "rewritten: event 3") || !says(v, "cp:6", "rewritten: event 6") {
		t.Errorf("rewritten: %v", v.Problems)
	}

	// An event a checkpoint recorded, deleted in the middle.
	gap := append(append([]audit.Event(nil), events[:2]...), events[3:]...)
	if v := verify(key, gap, head, cp3); !says(v, "cp:3", "event 3, which the checkpoint", "is missing") {
		t.Errorf("gap: %v", v.Problems)
	}

	// A forged checkpoint: right form, wrong MAC.
	forged := cp3
	forged.Hash = events[4].Hash
	if v := verify(key, events, head, forged); !says(v, "cp:3", "forged or altered checkpoint") {
		t.Errorf("forged: %v", v.Problems)
	}
	// A checkpoint of another deployment's key.
	foreign := cp3
	foreign.KeyID = "ffffffffffffffff"
	if v := verify(key, events, head, foreign); !says(v, "made with another key (ffffffffffffffff") {
		t.Errorf("foreign: %v", v.Problems)
	}
	// The head reset so that the chain looks unkeyed from an earlier point.
	reset := sealed(seq, hash, 4)
	if v := verify(key, events, reset, cp3); !says(v, "cp:3", "keyed from event 1 at the checkpoint", "keyed from event 4") {
		t.Errorf("keyed start moved: %v", v.Problems)
	}
	// Without the key, checkpoints cannot be checked.
	if v := verify(audit.Key{}, events, nil, cp3); !says(v, "cannot be checked without the key") {
		t.Errorf("no key: %v", v.Problems)
	}
}

// FuzzParseCheckpoint: ParseCheckpoint never panics, and what it reads
// prints back as the same checkpoint.
func FuzzParseCheckpoint(f *testing.F) {
	events, _, _ := chain(2)
	for _, c := range []audit.Checkpoint{checkpointAt(events, 0, now), checkpointAt(events, 2, now)} {
		f.Add(c.String())
		f.Add(`time=2026-01-01T00:00:00Z level=INFO msg="audit checkpoint" checkpoint="` + c.String() + `"`)
	}
	f.Add("safecase-checkpoint v1 ")
	f.Add("safecase-checkpoint v1 seq=1 hash= keyed-from= at= key= mac=")
	f.Add("")
	f.Fuzz(func(t *testing.T, line string) {
		c, err := audit.ParseCheckpoint(line)
		if err != nil {
			return
		}
		again, err := audit.ParseCheckpoint(c.String())
		if err != nil {
			t.Fatalf("%q parsed, but its String %q does not: %v", line, c.String(), err)
		}
		if again.String() != c.String() || !again.At.Equal(c.At) {
			t.Fatalf("round trip: %q became %q", c.String(), again.String())
		}
	})
}

// FuzzReadCheckpoints: ReadCheckpoints never panics on any file; what it
// returns prints back as itself, and each problem names its line.
func FuzzReadCheckpoints(f *testing.F) {
	events, _, _ := chain(2)
	c := checkpointAt(events, 2, now).String()
	f.Add([]byte(c + "\n" + c + "\n"))
	f.Add([]byte("level=INFO msg=x\n{\"checkpoint\":\"" + c + "\"}\nsafecase-checkpoint v1 x\n"))
	f.Add([]byte("\r\n\x00safecase-checkpoint v1 seq=1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cps, problems, err := audit.ReadCheckpoints(bytes.NewReader(b), "f")
		if err != nil {
			return
		}
		for _, c := range cps {
			again, err := audit.ParseCheckpoint(c.String())
			if err != nil || again.String() != c.String() || !strings.HasPrefix(c.Where, "f:") {
				t.Fatalf("checkpoint %+v does not round-trip: %v", c, err)
			}
		}
		for _, p := range problems {
			if !strings.HasPrefix(p.Where, "f:") {
				t.Fatalf("problem %+v names no line", p)
			}
		}
	})
}
