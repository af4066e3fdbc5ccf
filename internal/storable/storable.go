// Package storable says which texts SafeCase can store. Both engines must
// store a text alike or refuse it alike: PostgreSQL refuses the NUL
// character (U+0000) and bytes that are not UTF-8 in text columns, while
// SQLite stores them as they come. So every input boundary (forms, JSON
// bodies, queries, CSV imports) refuses such text with an error naming the
// field, and the store refuses what slips past them.
package storable

import (
	"strings"
	"unicode/utf8"
)

// Problem returns the message key saying why s cannot be stored
// ("err.encoding" for bytes that are not UTF-8, "err.nul" for a NUL
// character), or "" when it can.
func Problem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "err.encoding"
	case strings.IndexByte(s, 0) >= 0:
		return "err.nul"
	}
	return ""
}

// Text reports whether s can be stored.
func Text(s string) bool { return Problem(s) == "" }

// Name returns s fit to show as the name of a field: NUL characters and
// bytes that are not UTF-8 become U+FFFD, as encoding/json decodes them.
func Name(s string) string {
	if Text(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0 {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		i += n
	}
	return b.String()
}
