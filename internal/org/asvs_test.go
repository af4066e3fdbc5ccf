package org_test

// Tests of OWASP ASVS 4.0.3 Level 2 requirements cited by docs/SECURITY.md.

import (
	"testing"

	"github.com/safecase/safecase/internal/org"
)

// TestASVSAnyPrintableCharacter (ASVS 2.1.4, 2.1.9): a password may be
// written in any script, with spaces, punctuation and emoji, and needs no
// particular kind of character.
func TestASVSAnyPrintableCharacter(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{
		"🐱🐶🐭🐹🐰🦊🐻🐼🐨🐯🦁🐮",                 // emoji only
		"قطة تحت شجرة الزيتون",         // Arabic, with spaces
		"ねこがきのしたでねている",                 // Japanese
		"Ελένη πίνει τσάι στη βεράντα", // Greek
		"tent river oak lantern",       // lower-case words only
		"  leading and trailing spaces  ",
		"~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./",
	} {
		if key, _ := org.PasswordProblem(pw, "amina", "Amina Yusuf"); key != "" {
			t.Errorf("PasswordProblem(%q) = %q, want accepted", pw, key)
		}
	}
}
