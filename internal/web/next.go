package web

import (
	"net/url"
	"strings"
)

// maxNext bounds the page a sign-in returns to: SafeCase's own paths are short.
const maxNext = 2048

// safeNext returns next when it is a path on this site that a sign-in may
// send the browser to, and "" otherwise. Browsers read much more than a
// "/" followed by a path as a way to another host: "//host", "/\host", a
// tab or newline they strip ("/\t/host"), and the same written with
// percent escapes that a proxy or a later redirect may decode ("/%2f/host",
// "/%5chost", "/%09/host"). So next must start with exactly one "/", parse
// with net/url as a path with no scheme, host or user, and, raw and at
// every level of percent-decoding, hold only printable ASCII with no space,
// backslash, "//" or dot segment ("/./", "/../") and no fragment.
func safeNext(next string) string {
	if len(next) > maxNext || !strings.HasPrefix(next, "/") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil || u.Fragment != "" ||
		strings.Contains(next, "#") {
		return ""
	}
	s := next
	for range 4 {
		if !samePath(s) {
			return ""
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return ""
		}
		if d == s {
			return next
		}
		s = d
	}
	return "" // still decoding after four levels: nobody writes that by accident
}

// samePath reports whether s, one decoding of a next page, stays on this site.
func samePath(s string) bool {
	if !strings.HasPrefix(s, "/") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return false
		}
	}
	// Checked over the query too: a decoded "%3f" may move the boundary.
	return !strings.Contains(s, "//") && !strings.Contains(s+"/", "/./") && !strings.Contains(s+"/", "/../")
}
