package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/safecase/safecase/internal/org"
)

// openRedirects are the known ways of making a "same-site path" leave the
// site, from the OWASP and PortSwigger lists of open-redirect bypasses.
// Every one must be refused: the sign-in then goes to the user's home page.
var openRedirects = []string{
	"//evil.example",
	"///evil.example",
	"////evil.example/x",
	"/\\evil.example",
	"/\\/evil.example",
	"\\\\evil.example",
	"\\/evil.example",
	"/%09/evil.example/x",
	"/\t/evil.example",
	"/%0a/evil.example",
	"/%0d/evil.example",
	"/\r\n/evil.example",
	"/%2f/evil.example",
	"/%2F%2Fevil.example",
	"/%2f%2f/evil.example",
	"%2f%2fevil.example",
	"/%252f/evil.example",
	"/%25252f%25252fevil.example",
	"/%5cevil.example",
	"/%5C%5Cevil.example",
	"/%5c/evil.example",
	"/%00/evil.example",
	"/\x00/evil.example",
	"/ /evil.example",
	"/%20/evil.example",
	"/%e3%80%82evil.example",
	"/\u3002evil.example",
	"/\uff0f\uff0fevil.example",
	"https://evil.example",
	"http:evil.example",
	"https:/evil.example",
	"HTTPS://evil.example",
	"javascript:alert(1)",
	"JaVaScRiPt:alert(1)",
	"data:text/html,<script>alert(1)</script>",
	"evil.example",
	"@evil.example",
	"//evil.example@safecase.example",
	"//safecase.example@evil.example",
	"/%2e%2e//evil.example",
	"/..//evil.example",
	"/.//evil.example",
	"/%2e/%2fevil.example",
	"/x/../../\\evil.example",
	"//%09/evil.example",
	"/\v/evil.example",
	"/\u00a0/evil.example",
	"/\u2028/evil.example",
	" //evil.example",
	"\t/evil.example",
	"/caseload\r\nSet-Cookie: x=1",
	"/caseload%0d%0aSet-Cookie:%20x=1",
	"/" + strings.Repeat("a", 3000),
	"",
}

// sameSiteNexts are pages a sign-in may return to.
var sameSiteNexts = []string{
	"/caseload",
	"/cases/01900000-0000-7000-8000-000000000000",
	"/cases/01900000-0000-7000-8000-000000000000/consent",
	"/tasks?scope=team",
	"/audit?action=auth.login",
	"/evil.example",
}

func TestSafeNext(t *testing.T) {
	for _, next := range openRedirects {
		if got := safeNext(next); got != "" {
			t.Errorf("safeNext(%.80q) = %.80q, want it refused", next, got)
		}
	}
	for _, next := range sameSiteNexts {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q, want it kept", next, got)
		}
	}
}

// TestLoginOpenRedirect signs in through the real form with every known
// bypass as next: the browser must be sent to the user's home page on this
// site, never elsewhere; a same-site next is followed.
func TestLoginOpenRedirect(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		want := home(org.Caseworker)
		signIn := func(next string) string {
			t.Helper()
			res := e.anon().post("/login", url.Values{"username": {"caseworker"}, "password": {testPassword}, "next": {next}})
			if res.StatusCode == http.StatusUnprocessableEntity && strings.ContainsRune(next, 0) {
				// A NUL in any form field is refused before sign-in: no
				// redirect at all, which is as safe.
				return want
			}
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in with next=%q: %d", next, res.StatusCode)
			}
			return res.Header.Get("Location")
		}
		for _, next := range openRedirects {
			loc := signIn(next)
			if loc != want {
				t.Errorf("next=%.80q: sent to %.80q, want %q", next, loc, want)
			}
			if !browserSameSite(loc) {
				t.Errorf("next=%q: Location %q could leave the site", next, loc)
			}
		}
		for _, next := range sameSiteNexts {
			if loc := signIn(next); loc != next {
				t.Errorf("next=%q: sent to %q, want it followed", next, loc)
			}
		}
		// The sign-in page carries next in a hidden field only when it is safe.
		for _, next := range openRedirects[:20] {
			res := e.anon().get("/login?next=" + url.QueryEscape(next))
			if strings.Contains(res.Body, "evil.example") {
				t.Errorf("GET /login?next=%q puts the foreign host in the form", next)
			}
		}
		if res := e.anon().get("/login?next=%2Fcases%2F1"); !strings.Contains(res.Body, `value="/cases/1"`) {
			t.Error("GET /login?next=/cases/1 does not keep the page to return to")
		}
	})
}

// browserSameSite reports whether a browser would stay on this site when
// sent to Location loc: a single leading slash, then no slash or backslash,
// and nothing a browser strips or reads as a separator.
func browserSameSite(loc string) bool {
	if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
		return false
	}
	return !strings.ContainsFunc(loc, func(r rune) bool { return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) })
}

// FuzzSafeNext: whatever safeNext keeps is a path on this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range append(append([]string{}, openRedirects...), sameSiteNexts...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got == "" {
			return
		}
		if got != next {
			t.Fatalf("safeNext(%q) = %q: it should keep or refuse, not rewrite", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
			t.Fatalf("safeNext(%q) kept %q: parsed %+v, %v", next, got, u, err)
		}
		if !browserSameSite(got) {
			t.Fatalf("safeNext(%q) kept %q, which could leave the site", next, got)
		}
		// Decoding must not reveal a way off the site either.
		dec := got
		for i := 0; i < 4; i++ {
			d, err := url.PathUnescape(dec)
			if err != nil {
				t.Fatalf("safeNext kept %q, which does not decode: %v", got, err)
			}
			if !browserSameSite(d) || strings.Contains(d, "//") {
				t.Fatalf("safeNext kept %q, which decodes to %q", got, d)
			}
			dec = d
		}
	})
}
