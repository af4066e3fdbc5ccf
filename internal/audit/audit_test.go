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

// chain returns n events chained from genesis, and the head (seq, hash).
func chain(n int) ([]audit.Event, int64, string) {
	seq, hash := int64(0), audit.Genesis
	var out []audit.Event
	for i := 0; i < n; i++ {
		e := audit.Event{ID: fmt.Sprintf("ev-%d", i+1), At: now.Add(time.Duration(i) * time.Second),
			ActorID: "u1", ActorRole: "caseworker", Action: "case.view", RecordType: "case",
			RecordID: "c1", CaseID: "c1", AgencyID: "a1", IP: "10.0.0.1", Detail: fmt.Sprintf(`{"n":%d}`, i)}
		e.Chain(seq, hash)
		seq, hash = e.Seq, e.Hash
		out = append(out, e)
	}
	return out, seq, hash
}

// problem is what a test expects of one reported problem.
type problem struct {
	Seq  int64
	Says string
}

func verify(events []audit.Event, headSeq int64, headHash string) *audit.Verifier {
	v := audit.NewVerifier()
	for _, e := range events {
		v.Add(e)
	}
	v.Finish(headSeq, headHash)
	return v
}

func TestChain(t *testing.T) {
	events, seq, hash := chain(3)
	if seq != 3 || hash != events[2].Hash {
		t.Fatalf("head = %d %s", seq, hash)
	}
	if events[0].PrevHash != audit.Genesis {
		t.Errorf("first event follows %s, want genesis", events[0].PrevHash)
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
		if e.Hash != e.ComputeHash() || len(e.Hash) != 64 {
			t.Errorf("event %d hash %q", e.Seq, e.Hash)
		}
	}
}

// TestComputeHashCoversEveryField changes each field in turn: every change
// must change the hash.
func TestComputeHashCoversEveryField(t *testing.T) {
	events, _, _ := chain(1)
	base := events[0]
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
			if e.ComputeHash() == base.Hash {
				t.Errorf("changing %s does not change the hash", name)
			}
		})
	}
}

// TestComputeHashLengthPrefixed: moving a character from one field to the
// next must change the hash.
func TestComputeHashLengthPrefixed(t *testing.T) {
	a := audit.Event{Seq: 1, ActorID: "ab", ActorRole: "c", PrevHash: audit.Genesis}
	b := audit.Event{Seq: 1, ActorID: "a", ActorRole: "bc", PrevHash: audit.Genesis}
	if a.ComputeHash() == b.ComputeHash() {
		t.Error("events differing only in a field boundary hash alike")
	}
}

func TestVerifier(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(events []audit.Event, seq int64, hash string) ([]audit.Event, int64, string)
		want   []problem
	}{
		{
			name:   "clean",
			tamper: func(ev []audit.Event, s int64, h string) ([]audit.Event, int64, string) { return ev, s, h },
		},
		{
			name: "edited detail",
			tamper: func(ev []audit.Event, s int64, h string) ([]audit.Event, int64, string) {
				ev[2].Detail = `{"n":99}`
				return ev, s, h
			},
			want: []problem{{3, "edited"}},
		},
		{
			name: "edited and rehashed",
			tamper: func(ev []audit.Event, s int64, h string) ([]audit.Event, int64, string) {
				ev[2].ActorID = "someone else"
				ev[2].Hash = ev[2].ComputeHash()
				return ev, s, h
			},
			want: []problem{{4, "does not follow"}},
		},
		{
			name: "deleted in the middle",
			tamper: func(ev []audit.Event, s int64, h string) ([]audit.Event, int64, string) {
				return append(ev[:2:2], ev[3:]...), s, h
			},
			want: []problem{{3, "missing: events 3 to 3"}, {4, "does not follow"}},
		},
		{
			name: "deleted at the end",
			tamper: func(ev []audit.Event, s int64, h string) ([]audit.Event, int64, string) {
				return ev[:4], s, h
			},
			want: []problem{{5, "chain ends at event 4 but the head records event 5"}},
		},
		{
			name: "deleted at the end and head moved back without its hash",
			tamper: func(ev []audit.Event, s int64, h string) ([]audit.Event, int64, string) {
				return ev[:4], 4, h
			},
			want: []problem{{4, "chain ends at event 4 but the head records event 4"}},
		},
		{
			// Reordering stored rows means swapping their sequence numbers:
			// storage returns events by seq, so that is what the verifier sees.
			name: "reordered",
			tamper: func(ev []audit.Event, s int64, h string) ([]audit.Event, int64, string) {
				ev[1], ev[2] = ev[2], ev[1]
				ev[1].Seq, ev[2].Seq = 2, 3
				return ev, s, h
			},
			want: []problem{
				{2, "does not follow"}, {2, "edited"},
				{3, "does not follow"}, {3, "edited"},
				{4, "does not follow"},
			},
		},
		{
			name: "inserted in the middle",
			tamper: func(ev []audit.Event, s int64, h string) ([]audit.Event, int64, string) {
				x := audit.Event{ID: "forged", At: now, ActorID: "u2", Action: "case.view"}
				x.Chain(ev[1].Seq, ev[1].Hash)
				out := append(ev[:2:2], x)
				return append(out, ev[2:]...), s, h
			},
			want: []problem{{3, "out of order"}, {3, "does not follow"}},
		},
		{
			name: "appended without moving the head",
			tamper: func(ev []audit.Event, s int64, h string) ([]audit.Event, int64, string) {
				x := audit.Event{ID: "forged", At: now, Action: "case.view"}
				x.Chain(s, h)
				return append(ev, x), s, h
			},
			want: []problem{{5, "chain ends at event 6"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, seq, hash := tt.tamper(chain(5))
			v := verify(events, seq, hash)
			if v.Count != int64(len(events)) {
				t.Errorf("Count = %d, want %d", v.Count, len(events))
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

// TestVerifierFedOutOfOrder: events fed out of sequence order are reported.
func TestVerifierFedOutOfOrder(t *testing.T) {
	events, seq, hash := chain(5)
	events[1], events[2] = events[2], events[1]
	v := verify(events, seq, hash)
	found := false
	for _, p := range v.Problems {
		found = found || (p.Seq == 2 && strings.Contains(p.Msg, "out of order"))
	}
	if v.OK() || !found {
		t.Errorf("problems %v, want event 2 reported out of order", v.Problems)
	}
}

func TestVerifierEmptyChain(t *testing.T) {
	v := verify(nil, 0, audit.Genesis)
	if !v.OK() || v.Count != 0 {
		t.Errorf("empty chain: OK=%v Count=%d %v", v.OK(), v.Count, v.Problems)
	}
	v = verify(nil, 3, "abc")
	if v.OK() {
		t.Error("an empty table with a head at event 3 verifies")
	}
}

func TestVerifierMaxProblems(t *testing.T) {
	events, seq, hash := chain(10)
	v := audit.NewVerifier()
	v.MaxProblems = 2
	for i := range events {
		events[i].Detail = "edited"
		v.Add(events[i])
	}
	v.Finish(seq, hash)
	if len(v.Problems) != 2 || v.OK() {
		t.Errorf("%d problems recorded, want 2", len(v.Problems))
	}
	if got := v.Problems[0].String(); !strings.HasPrefix(got, "event 1: ") {
		t.Errorf("Problem.String() = %q", got)
	}
}

func TestFill(t *testing.T) {
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
