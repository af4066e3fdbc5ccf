package web

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseDevice(t *testing.T) {
	for ua, want := range map[string]Device{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0":          {"Edge", "Windows"},
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15":                     {"Safari", "macOS"},
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                                 {"Firefox", "Linux"},
		"Mozilla/5.0 (Linux; Android 13; SM-A135F) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0 Mobile Safari/537.36": {"Samsung Internet", "Android"},
		"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1":          {"Chrome", "iPad"},
		"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36":                         {"Chrome", "ChromeOS"},
		"curl/8.5.0":          {"curl", ""},
		"Go-http-client/1.1":  {"Go program", ""},
		"":                    {},
		"something (Android)": {"", "Android"},
	} {
		if got := ParseDevice(ua); got != want {
			t.Errorf("ParseDevice(%q) = %+v, want %+v", ua, got, want)
		}
	}
}

// FuzzParseDevice: any User-Agent header gives a short answer made of the
// known names, never a piece of the header itself.
func FuzzParseDevice(f *testing.F) {
	for _, s := range []string{"", "Mozilla/5.0 (Windows NT 10.0) Firefox/1", "Edg/ Chrome/ Safari/", "\x00\xff", strings.Repeat("Android", 200)} {
		f.Add(s)
	}
	known := map[string]bool{"": true}
	for _, b := range browsers {
		known[b.name] = true
	}
	for _, s := range systems {
		known[s.name] = true
	}
	f.Fuzz(func(t *testing.T, ua string) {
		d := ParseDevice(ua)
		if !known[d.Browser] || !known[d.System] || !utf8.ValidString(d.Browser+d.System) {
			t.Errorf("ParseDevice(%q) = %+v", ua, d)
		}
	})
}
