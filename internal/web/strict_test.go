package web

import (
	"html/template"
	"io"
	"testing"

	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/profile"
)

// The package's tests render strictly: Page.Opt fails on an unknown list or
// key instead of printing the key (TestOptStrict).
func init() { strictOpt = true }

// TestOptStrict: Opt labels a known option, prints an unknown one as itself
// in the binary, and fails under test.
func TestOptStrict(t *testing.T) {
	t.Parallel()
	p := &Page{L: i18n.MustLoad().Locale("en"), Prof: profile.Default()}
	if got := p.Opt("risk", "high"); got == "high" || got == "" {
		t.Errorf("Opt(risk, high) = %q, want its label", got)
	}
	if got := p.Opt("risk", ""); got != "" {
		t.Errorf("Opt(risk, \"\") = %q, want nothing", got)
	}
	for _, tt := range []struct{ list, key string }{{"risks", "high"}, {"risk", "extreme"}, {"", "high"}} {
		if _, err := p.optLabel(tt.list, tt.key); err == nil {
			t.Errorf("optLabel(%q, %q) found a label", tt.list, tt.key)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Opt(%q, %q) did not fail under test", tt.list, tt.key)
				}
			}()
			p.Opt(tt.list, tt.key)
		}()
	}
	// In a template the failure is the render's error, not a page showing the key.
	tmpl := template.Must(template.New("x").Parse(`{{.Opt "risk" "extreme"}}`))
	if err := tmpl.Execute(io.Discard, p); err == nil {
		t.Error("a template printing an unknown option rendered")
	}
}
