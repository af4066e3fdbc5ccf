package mfa

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParseCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		kind CodeKind
		norm string
	}{
		{"123456", TOTPCode, "123456"},
		{" 123 456 ", TOTPCode, "123456"},
		{"123-456", TOTPCode, "123456"},
		{"123\u00a0456", TOTPCode, "123456"},       // no-break space, as pasted
		{"\u200e123456\u200f", TOTPCode, "123456"}, // bidi marks of a right-to-left page
		{"١٢٣٤٥٦", TOTPCode, "123456"},             // Arabic-Indic digits
		{"۱۲۳۴۵۶", TOTPCode, "123456"},             // Extended Arabic-Indic (Persian, Urdu)
		{"१२३४५६", TOTPCode, "123456"},             // Devanagari
		{"１２３４５６", TOTPCode, "123456"},             // full-width
		{"𝟏𝟐𝟑𝟒𝟓𝟔", TOTPCode, "123456"},             // mathematical bold: several runs of ten in one range
		{"000000", TOTPCode, "000000"},
		{"12345", NotACode, ""},
		{"1234567", NotACode, ""},
		{"12345a", NotACode, ""},
		{"", NotACode, ""},
		{"ABCD-EFGH-JKMN-PQRS", RecoveryKind, "ABCDEFGHJKMNPQRS"},
		{"abcd efgh jkmn pqrs", RecoveryKind, "ABCDEFGHJKMNPQRS"},
		{"abcd–efgh—jkmn‐pqrs", RecoveryKind, "ABCDEFGHJKMNPQRS"}, // en dash, em dash, hyphen
		{"OIL0-0000-0000-0000", RecoveryKind, "0110000000000000"}, // O read as 0, I and L as 1
		{"1234567890123456", RecoveryKind, "1234567890123456"},
		{"ABCD-EFGH-JKMN-PQRU", NotACode, ""}, // U is not in the alphabet
		{"ABCD-EFGH-JKMN-PQR", NotACode, ""},
		{"ABCD-EFGH-JKMN-PQRST", NotACode, ""},
		{"ÀBCD-EFGH-JKMN-PQRS", NotACode, ""},
		{"ABCD-EFGH-JKMN-PQR$", NotACode, ""},
		{strings.Repeat(" ", 95) + "123456", NotACode, ""}, // longer than anyone types
	} {
		kind, norm := ParseCode(tt.in)
		if kind != tt.kind || norm != tt.norm {
			t.Errorf("ParseCode(%q) = %v %q, want %v %q", tt.in, kind, norm, tt.kind, tt.norm)
		}
	}
}

// TestDigitRanges checks what digitValue relies on: every range of decimal
// digits in Unicode's table starts at a zero and holds whole runs of ten.
func TestDigitRanges(t *testing.T) {
	t.Parallel()
	check := func(lo, hi, stride uint32) {
		if stride != 1 || (hi-lo+1)%10 != 0 {
			t.Errorf("Nd range %U..%U stride %d is not whole runs of ten", lo, hi, stride)
		}
		for r := lo; r <= hi; r++ {
			if got, want := digitValue(rune(r)), int(r-lo)%10; got != want {
				t.Errorf("digitValue(%U) = %d, want %d", r, got, want)
			}
		}
	}
	for _, r := range unicode.Nd.R16 {
		check(uint32(r.Lo), uint32(r.Hi), uint32(r.Stride))
	}
	for _, r := range unicode.Nd.R32 {
		check(r.Lo, r.Hi, r.Stride)
	}
}

func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		c := newRecoveryCode()
		if len(c) != RecoveryLength {
			t.Fatalf("code %q has %d characters", c, len(c))
		}
		if seen[c] {
			t.Fatalf("code %q made twice", c)
		}
		seen[c] = true
		shown := FormatRecovery(c)
		if len(shown) != RecoveryLength+3 || strings.Count(shown, "-") != 3 {
			t.Errorf("shown as %q", shown)
		}
		// What is shown reads back as the code, however it is typed.
		for _, typed := range []string{shown, strings.ToLower(shown), strings.ReplaceAll(shown, "-", " ")} {
			if kind, norm := ParseCode(typed); kind != RecoveryKind || norm != c {
				t.Errorf("ParseCode(%q) = %v %q, want the code %q", typed, kind, norm, c)
			}
		}
	}
	// Every letter of the alphabet is used: no bias towards a few.
	counts := map[rune]int{}
	for c := range seen {
		for _, r := range c {
			counts[r]++
		}
	}
	if len(counts) != len(recoveryAlpha) {
		t.Errorf("%d distinct characters in 3200, want all %d", len(counts), len(recoveryAlpha))
	}
	if hashRecovery("u1", "ABCD") == hashRecovery("u2", "ABCD") {
		t.Error("the hash of a code is the same for two users: not salted")
	}
}

// FuzzParseCode: whatever is typed, ParseCode never panics, and what it
// accepts is in normal form and reads back as itself.
func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456 ", "١٢٣٤٥٦", "ABCD-EFGH-JKMN-PQRS", "oil0 0000 0000 0000",
		"", "\u200e", "𝟏𝟐𝟑𝟒𝟓𝟔", "ABCD-EFGH-JKMN-PQRU", "\xff\xfe", strings.Repeat("1", 101)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, norm := ParseCode(s)
		switch kind {
		case NotACode:
			if norm != "" {
				t.Fatalf("NotACode with %q", norm)
			}
		case TOTPCode:
			if len(norm) != TOTPDigits || strings.Trim(norm, "0123456789") != "" {
				t.Fatalf("TOTP code %q", norm)
			}
		case RecoveryKind:
			if len(norm) != RecoveryLength || strings.Trim(norm, recoveryAlpha) != "" {
				t.Fatalf("recovery code %q", norm)
			}
		}
		if kind != NotACode {
			if k2, n2 := ParseCode(norm); k2 != kind || n2 != norm {
				t.Fatalf("normal form %q reads as %v %q", norm, k2, n2)
			}
		}
		if !utf8.ValidString(norm) {
			t.Fatalf("invalid UTF-8 out: %q", norm)
		}
	})
}
