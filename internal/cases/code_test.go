package cases_test

import (
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/cases"
)

// FuzzLooksLikeCode: whatever is typed where a case code is asked for, a
// string that looks like a code is at most 40 upper-case letters, digits
// and hyphens, not starting with a hyphen; every code NewCode makes looks
// like one.
func FuzzLooksLikeCode(f *testing.F) {
	for _, s := range []string{"C-7K4Q2M", "c-7k4q2m", "C NOPE!", "", "-C", "C-" + strings.Repeat("X", 38),
		"C-" + strings.Repeat("X", 39), "C-ZZ\x00", "Ç-ABC", "C-\u0130", "C--", "1234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !cases.LooksLikeCode(s) {
			return
		}
		if len(s) == 0 || len(s) > 40 || s[0] == '-' {
			t.Fatalf("%q looks like a code", s)
		}
		for _, r := range s {
			if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				t.Fatalf("%q looks like a code with %q in it", s, r)
			}
		}
	})
}

func TestNewCodesLookLikeCodes(t *testing.T) {
	t.Parallel()
	for range 200 {
		if c := cases.NewCode("C"); !cases.LooksLikeCode(c) {
			t.Fatalf("NewCode made %q", c)
		}
	}
}
