package passkeytest

import (
	"encoding/hex"
	"testing"
)

// TestCBOR checks the encoder against RFC 8949 Appendix A.
func TestCBOR(t *testing.T) {
	for _, tt := range []struct {
		got  []byte
		want string
	}{
		{cborInt(0), "00"}, {cborInt(23), "17"}, {cborInt(24), "1818"}, {cborInt(1000), "1903e8"},
		{cborInt(1000000), "1a000f4240"}, {cborInt(-1), "20"}, {cborInt(-7), "26"}, {cborInt(-1000), "3903e7"},
		{cborText("a"), "6161"}, {cborBytes([]byte{1, 2, 3, 4}), "4401020304"},
		{cborMap([]cborPair{{cborInt(3), cborInt(4)}, {cborInt(1), cborInt(2)}}), "a201020304"},
	} {
		if got := hex.EncodeToString(tt.got); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}
