package passkeytest

import (
	"encoding/binary"
	"sort"
)

// A minimal CBOR encoder (RFC 8949) for the few types an attestation needs.

type cborPair struct{ k, v []byte }

func cborHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n < 1<<8:
		return []byte{m | 24, byte(n)}
	case n < 1<<16:
		return binary.BigEndian.AppendUint16([]byte{m | 25}, uint16(n))
	case n < 1<<32:
		return binary.BigEndian.AppendUint32([]byte{m | 26}, uint32(n))
	}
	return binary.BigEndian.AppendUint64([]byte{m | 27}, n)
}

func cborInt(n int64) []byte {
	if n < 0 {
		return cborHead(1, uint64(-1-n))
	}
	return cborHead(0, uint64(n))
}

func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }
func cborText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }

// cborMap encodes a map with its keys in the core deterministic order
// (shorter encodings first, then bytewise).
func cborMap(pairs []cborPair) []byte {
	sort.Slice(pairs, func(i, j int) bool {
		a, b := pairs[i].k, pairs[j].k
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return string(a) < string(b)
	})
	out := cborHead(5, uint64(len(pairs)))
	for _, p := range pairs {
		out = append(append(out, p.k...), p.v...)
	}
	return out
}
