package org_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/org"
)

// longStrong is 128 characters that follow no pattern.
var longStrong = func() string {
	const set = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789#%&*+-=?@"
	b := make([]byte, 128)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = set[x%uint32(len(set))]
	}
	return string(b)
}()

// The person the passwords below are for.
var amina = []string{"amina", "Amina Yusuf", "amina.yusuf@example.org"}

func TestPasswordProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		password string
		want     string
	}{
		// Length, in characters (not bytes).
		{"", "err.password_short"},
		{"elevenchars", "err.password_short"},
		{"äöüßéèêëàçñ", "err.password_short"},  // 11 characters, 22 bytes
		{"a          b", "err.password_short"}, // a run of spaces counts as one
		{"kettle  mang", "err.password_short"}, // 12 typed, 11 once the run is one space
		{strings.Repeat("x", 129), "err.password_long"},
		{strings.Repeat("ü", 129), "err.password_long"},
		// Among the most common passwords, or built from them.
		{"password1234", "err.password_common"},
		{"iloveyou12345", "err.password_common"},
		{"P@ssw0rd2019!", "err.password_common"},
		{"dragonball1234", "err.password_common"},
		{"qwertyuiop123", "err.password_common"},
		{"1qaz2wsx3edc4rfv", "err.password_common"},
		// Dictionary words and names.
		{"januaryfebruary", "err.password_word"},
		{"michaeljordan", "err.password_word"},
		{"smithjohnson", "err.password_word"},
		// Built from the person's own names, or SafeCase.
		{"amina12345678", "err.password_personal"},
		{"amina.yusuf2024", "err.password_personal"},
		{"Amina Yusuf SafeCase", "err.password_personal"},
		{"safecase2024!!", "err.password_personal"},
		{"aminaaminaamina", "err.password_personal"},
		{"4m1n4-yusuf-4m1n4", "err.password_personal"},
		{"fusuy animA 99", "err.password_personal"}, // backwards
		// Repeats, sequences, dates.
		{"aaaaaaaaaaaaaaaa", "err.password_repeat"},
		{"ab12ab12ab12ab12", "err.password_repeat"},
		{"monkeymonkeymonkey", "err.password_repeat"},
		{"abcdefghijklmn", "err.password_sequence"},
		{"0123456789012", "err.password_sequence"},
		{"199012251990", "err.password_date"},
		{"12.25.1990xx", "err.password_date"},
		// Strong enough: a few unrelated words, or random characters.
		{"correct horse battery", ""},
		{"blue tent river 42", ""},
		{"winter is coming", ""},
		{"Tr0ub4dor&3xyz", ""},
		{"mango kettle violin", ""},
		{"aminayusuf-tent-river-oak", ""}, // her names, but mostly not, and strong
		{"ünïcödé pässwörd wörds", ""},
		{"Unused placeholder: qT7#vR2m!pL9", ""},
		{longStrong, ""},                                                   // 128 characters: the longest
		{strings.Repeat("a", 64) + longStrong[:64], "err.password_repeat"}, // judged on its first 64
	}
	cat := i18n.MustLoad().Locale("en")
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			key, args := org.PasswordProblem(tt.password, amina...)
			if key != tt.want {
				t.Errorf("PasswordProblem(%q) = %q, want %q", tt.password, key, tt.want)
			}
			if key != "" {
				msg := cat.T(key, args...)
				if strings.Contains(msg, "%!") || strings.HasPrefix(msg, "[") {
					t.Errorf("%s reads %q", key, msg)
				}
			}
		})
	}
	if key, args := org.PasswordProblem("short"); key != "err.password_short" || len(args) != 1 || args[0] != org.MinPassword {
		t.Errorf("a short password: %q %v, want the minimum %d as argument", key, args, org.MinPassword)
	}
	if org.MinPassword < 12 {
		t.Errorf("MinPassword %d, want at least 12", org.MinPassword)
	}
	// The same password is fine for someone else.
	if key, _ := org.PasswordProblem("amina.yusuf2024", "peter", "Peter Okello"); key != "" {
		t.Errorf("amina.yusuf2024 for Peter: %q, want accepted", key)
	}
	// The username alone is enough to refuse a password built on it.
	if key, _ := org.PasswordProblem("peter.okello2024", "peter.okello"); key != "err.password_personal" {
		t.Errorf("peter.okello2024 for peter.okello: %q", key)
	}
}

// FuzzPasswordProblem: any input gives a known answer, and an accepted
// password is within the length limits.
func FuzzPasswordProblem(f *testing.F) {
	for _, s := range []string{"", "password1234", "correct horse battery", "amina.yusuf2024", "\xff\xfe invalid utf8 text",
		"İİİİİİİİİİİİ", "aaaaaaaaaaaaaaaa", "4m1n4 4m1n4 4m1n4"} {
		f.Add(s, "Amina Yusuf")
	}
	cat := i18n.MustLoad().Locale("en")
	f.Fuzz(func(t *testing.T, password, name string) {
		if len(password) > 600 {
			return // the limit is checked before any estimate; keep runs fast
		}
		key, args := org.PasswordProblem(password, "amina", name)
		if key == "" {
			if n := utf8.RuneCountInString(password); n < org.MinPassword || n > org.MaxPassword {
				t.Fatalf("accepted %q of %d characters", password, n)
			}
			return
		}
		if !cat.Has(key) {
			t.Fatalf("PasswordProblem(%q) = %q, not in the catalog", password, key)
		}
		if msg := cat.T(key, args...); strings.Contains(msg, "%!") {
			t.Fatalf("%s with %v reads %q", key, args, msg)
		}
	})
}
