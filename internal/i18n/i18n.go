// Package i18n is SafeCase's message catalog. Every user-facing string is a
// key looked up here, so that French, Spanish and Arabic (right to left) can
// follow English without touching the code.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

//go:embed messages/*.json
var files embed.FS

// Fallback is the language used for keys a catalog lacks.
const Fallback = "en"

// rtl lists the right-to-left languages.
var rtl = map[string]bool{"ar": true, "fa": true, "he": true, "ur": true, "ps": true}

// Catalog holds the messages of every language.
type Catalog struct {
	langs map[string]map[string]string
}

// Load reads the embedded catalogs.
func Load() (*Catalog, error) {
	entries, err := files.ReadDir("messages")
	if err != nil {
		return nil, err
	}
	// A language's messages may be split over files by area: en.json,
	// en.plan.json, … all merge into "en"; a key defined twice is an error.
	c := &Catalog{langs: map[string]map[string]string{}}
	for _, e := range entries {
		b, err := files.ReadFile(path.Join("messages", e.Name()))
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", e.Name(), err)
		}
		lang := strings.SplitN(strings.TrimSuffix(e.Name(), ".json"), ".", 2)[0]
		all, ok := c.langs[lang]
		if !ok {
			all = map[string]string{}
			c.langs[lang] = all
		}
		for k, v := range m {
			if _, dup := all[k]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q is defined twice for %s", e.Name(), k, lang)
			}
			all[k] = v
		}
	}
	if _, ok := c.langs[Fallback]; !ok {
		return nil, fmt.Errorf("i18n: no %s catalog", Fallback)
	}
	return c, nil
}

// MustLoad is Load for program start-up and tests.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Languages lists the languages with a catalog.
func (c *Catalog) Languages() []string {
	var out []string
	for l := range c.langs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Keys lists the keys of lang's catalog.
func (c *Catalog) Keys(lang string) []string {
	var out []string
	for k := range c.langs[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the fallback catalog has key.
func (c *Catalog) Has(key string) bool {
	_, ok := c.langs[Fallback][key]
	return ok
}

// Locale returns the messages for lang, falling back to English.
func (c *Catalog) Locale(lang string) *Locale {
	m, ok := c.langs[lang]
	if !ok {
		lang, m = Fallback, c.langs[Fallback]
	}
	dir := "ltr"
	if rtl[lang] {
		dir = "rtl"
	}
	return &Locale{Lang: lang, Dir: dir, msgs: m, fallback: c.langs[Fallback]}
}

// Locale is one language's view of the catalog.
type Locale struct {
	Lang     string
	Dir      string // ltr or rtl, for <html dir>
	msgs     map[string]string
	fallback map[string]string
}

// T returns the message for key, formatted with args (fmt verbs). A missing
// key shows as [key] so that it is seen, and a test fails on it.
func (l *Locale) T(key string, args ...any) string {
	s, ok := l.msgs[key]
	if !ok {
		if s, ok = l.fallback[key]; !ok {
			return "[" + key + "]"
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether the locale (or the fallback) has key.
func (l *Locale) Has(key string) bool {
	if _, ok := l.msgs[key]; ok {
		return true
	}
	_, ok := l.fallback[key]
	return ok
}
