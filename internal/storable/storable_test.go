package storable_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/storable"
)

func TestProblem(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{
		"":                 "",
		"Amal":             "",
		"é ﷽ 😀":            "",
		"\ufffd":           "", // the replacement character is text
		"a\x00b":           "err.nul",
		"\x00":             "err.nul",
		"a\xffb":           "err.encoding",
		"\xc3\x28":         "err.encoding",
		"\xed\xa0\x80":     "err.encoding", // a surrogate written in UTF-8
		"\xf4\x90\x80\x80": "err.encoding", // beyond U+10FFFF
		"\xff\x00":         "err.encoding", // bytes first: the NUL is then named too, by Name
	} {
		if got := storable.Problem(s); got != want {
			t.Errorf("Problem(%q) = %q, want %q", s, got, want)
		}
		if storable.Text(s) != (want == "") {
			t.Errorf("Text(%q) = %v", s, storable.Text(s))
		}
	}
	for s, want := range map[string]string{"ok": "ok", "a\x00b": "a\ufffdb", "a\xffb": "a\ufffdb", "\xc3\x28": "\ufffd(",
		"\xed\xa0\x80": "\ufffd\ufffd\ufffd"} {
		if got := storable.Name(s); got != want {
			t.Errorf("Name(%q) = %q, want %q", s, got, want)
		}
	}
}

// FuzzStorable: Text is exactly "UTF-8 without NUL", and Name always
// gives storable text, equal to s when s is storable, of as many
// characters as s has runes as Go decodes them.
func FuzzStorable(f *testing.F) {
	for _, s := range []string{"", "a", "\x00", "\xff", "é\x00\xff", "\xed\xa0\x80", "😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := utf8.ValidString(s) && !strings.ContainsRune(s, 0)
		if storable.Text(s) != want {
			t.Fatalf("Text(%q) = %v, want %v", s, storable.Text(s), want)
		}
		n := storable.Name(s)
		if !storable.Text(n) || (want && n != s) || utf8.RuneCountInString(n) != utf8.RuneCountInString(s) {
			t.Fatalf("Name(%q) = %q", s, n)
		}
	})
}
