package mfa

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// CodeKind says what a typed code is.
type CodeKind int

// The kinds of typed code.
const (
	NotACode     CodeKind = iota // neither: the person is asked to type it again
	TOTPCode                     // six digits from an authenticator app
	RecoveryKind                 // one of the user's recovery codes
)

// TOTPDigits is the length of an authenticator app's code.
const TOTPDigits = 6

// Recovery codes are RecoveryLength characters of Crockford's base32
// alphabet (digits and capitals without I, L, O and U, which are misread):
// 80 random bits each. That is why a fast salted hash stores them safely:
// finding a code from its hash means trying 2^80 codes (2^77 on average for
// one of a user's ten), out of reach of any computer, whereas argon2id is
// there to slow down the guessing of passwords people choose. And a recovery
// code alone never signs in: the password is checked first.
const (
	RecoveryLength = 16
	recoveryAlpha  = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// maxTyped is the longest typed input looked at; anything longer is no code.
const maxTyped = 100

// ParseCode reads a code as a person typed or pasted it: spaces, dashes and
// invisible formatting characters are dropped, digits of any script
// (Arabic-Indic, Devanagari, full-width, …) count as digits, letters are
// read case-insensitively with O read as 0 and I or L as 1. It returns the
// code's kind and its normal form: six ASCII digits, or RecoveryLength
// characters of the recovery alphabet. Anything else is NotACode.
func ParseCode(s string) (CodeKind, string) {
	if len(s) > maxTyped {
		return NotACode, ""
	}
	var b strings.Builder
	digits := true
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || unicode.Is(unicode.Cf, r):
			continue
		case unicode.Is(unicode.Nd, r):
			b.WriteByte(byte('0' + digitValue(r)))
			continue
		}
		digits = false
		switch {
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r > unicode.MaxASCII:
			return NotACode, ""
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if !strings.ContainsRune(recoveryAlpha, r) {
			return NotACode, ""
		}
		b.WriteRune(r)
	}
	out := b.String()
	switch {
	case digits && len(out) == TOTPDigits:
		return TOTPCode, out
	case len(out) == RecoveryLength:
		return RecoveryKind, out
	}
	return NotACode, ""
}

// digitValue returns the value of decimal digit r of any script. Unicode
// keeps every script's digits 0 to 9 contiguous and in order, in ranges
// that start at a zero, so the value is the distance from the range's start.
func digitValue(r rune) int {
	if r <= 0xFFFF {
		for _, rg := range unicode.Nd.R16 {
			if uint16(r) >= rg.Lo && uint16(r) <= rg.Hi {
				return int(uint16(r)-rg.Lo) % 10
			}
		}
		return 0
	}
	for _, rg := range unicode.Nd.R32 {
		if uint32(r) >= rg.Lo && uint32(r) <= rg.Hi {
			return int(uint32(r)-rg.Lo) % 10
		}
	}
	return 0
}

// newRecoveryCode returns a fresh recovery code in its normal form.
func newRecoveryCode() string {
	b := make([]byte, RecoveryLength)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = recoveryAlpha[b[i]&31] // 32 letters divide 256: uniform
	}
	return string(b)
}

// FormatRecovery writes a recovery code in groups of four for reading.
func FormatRecovery(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hashRecovery returns the stored form of userID's recovery code (normal
// form). The user's ID salts it, so one computation never tests a guess
// against every user's codes.
func hashRecovery(userID, code string) string {
	s := sha256.Sum256([]byte("safecase recovery code v1\x00" + userID + "\x00" + code))
	return hex.EncodeToString(s[:])
}
