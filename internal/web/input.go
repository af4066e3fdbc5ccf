package web

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/storable"
)

// The input boundaries refuse text that the two engines would not store
// alike (see package storable) with an error naming the field, before any
// handler reads it: form values in parseForm, query parameters and the path
// in checkURL, JSON bodies in DecodeJSON. Nothing is then half-written, and
// no engine answers 500 where the other stored the text.

// checkValues returns a field error for each field of v (a form or a
// query) whose name or a value cannot be stored, in name order.
func checkValues(v url.Values) errs.Fields {
	var f errs.Fields
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if msg := storable.Problem(k); msg != "" {
			if name := storable.Name(k); !f.Has(name) {
				f.Add(name, msg)
			}
			continue
		}
		for _, x := range v[k] {
			if msg := storable.Problem(x); msg != "" {
				f.Add(k, msg)
				break
			}
		}
	}
	return f
}

// checkURL refuses a request whose path or query holds text that cannot
// be stored: such a path names nothing (not found); a query parameter is
// named in a field error.
func checkURL(r *http.Request) error {
	if !storable.Text(r.URL.Path) {
		return errs.E(errs.NotFound, "path is not storable text")
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	// A malformed pair is dropped here as r.URL.Query() drops it for the
	// handlers: only what they read is checked.
	q, _ := url.ParseQuery(r.URL.RawQuery)
	return checkValues(q).Err()
}

// checkJSONText refuses a JSON body holding text that is not UTF-8, or an
// escaped UTF-16 surrogate without its pair (encoding/json would silently
// turn either into U+FFFD), naming the string's JSON path.
func checkJSONText(body []byte) error {
	if utf8.Valid(body) && !hasSurrogateEscape(body) {
		return nil
	}
	if path, found := badTextPath(body); found {
		return errs.Field(path, "err.encoding")
	}
	return nil
}

// hasSurrogateEscape reports whether b may hold an escaped surrogate
// (\uD800-\uDFFF), cheaply: false means none is there.
func hasSurrogateEscape(b []byte) bool {
	for {
		i := bytes.Index(b, []byte(`\u`))
		if i < 0 || i+3 >= len(b) {
			return false
		}
		if c := b[i+2]; c == 'd' || c == 'D' {
			switch b[i+3] {
			case '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'A', 'B', 'C', 'D', 'E', 'F':
				return true
			}
		}
		b = b[i+2:]
	}
}

// badTextPath returns the JSON path (e.g. needs.1.description, or a key
// itself) of the first string of body, key or value, that is not clean
// text; "body" when bytes that are not UTF-8 lie outside any string or the
// JSON breaks off before them. It finds nothing in a body of clean text
// (whose escaped surrogates are all paired).
func badTextPath(body []byte) (string, bool) {
	type frame struct {
		obj   bool   // an object (else an array)
		key   string // the current key of an object
		index int    // the current index of an array
		onKey bool   // an object expecting a key
	}
	var stack []frame
	path := func() string {
		var parts []string
		for _, f := range stack {
			if f.obj {
				parts = append(parts, f.key)
			} else {
				parts = append(parts, strconv.Itoa(f.index))
			}
		}
		if p := strings.Join(parts, "."); p != "" {
			return p
		}
		return "body" // the top level, or an empty key there
	}
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].obj {
				stack[n-1].onKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "body", !utf8.Valid(body)
		}
		raw := body[start:dec.InputOffset()]
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				stack = append(stack, frame{obj: t == '{', onKey: t == '{'})
				continue
			}
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].onKey {
				stack[n-1].key, stack[n-1].onKey = t, false
				if !cleanJSONString(raw) {
					return path(), true
				}
				continue
			}
		}
		if !cleanJSONString(raw) {
			return path(), true
		}
		valueDone()
	}
}

// cleanJSONString reports whether raw, the bytes of one JSON token (with
// the separators before it), is UTF-8 without an unpaired escaped
// surrogate.
func cleanJSONString(raw []byte) bool {
	if !utf8.Valid(raw) {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // \" \\ \n …: skip the escaped character
			continue
		}
		r, ok := hex4(raw[i+2:])
		switch {
		case !ok:
			return false
		case r >= 0xDC00 && r <= 0xDFFF:
			return false // a low surrogate alone
		case r >= 0xD800 && r <= 0xDBFF:
			// A high surrogate needs a low one right after it.
			next := raw[i+6:]
			if len(next) < 6 || next[0] != '\\' || next[1] != 'u' {
				return false
			}
			lo, ok := hex4(next[2:])
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 11
		default:
			i += 5
		}
	}
	return true
}

// hex4 reads the four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(n), err == nil
}

// nulPath returns the JSON path of the first string in v, a decoded API
// body, that holds a NUL character (a map's keys included): struct fields
// by their JSON names, slice elements by index, map entries by key; "body"
// for the top level.
func nulPath(v reflect.Value, path string) (string, bool) {
	p, found := nulPathIn(v, path)
	if found && p == "" {
		p = "body"
	}
	return p, found
}

func nulPathIn(v reflect.Value, path string) (string, bool) {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return nulPathIn(v.Elem(), path)
	case reflect.String:
		if strings.IndexByte(v.String(), 0) >= 0 {
			return path, true
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case sf.Anonymous && name == "":
				// An embedded struct's fields are the outer object's.
				if p, ok := nulPathIn(v.Field(i), path); ok {
					return p, true
				}
				continue
			case !sf.IsExported():
				continue
			case name == "":
				name = sf.Name
			}
			if p, ok := nulPathIn(v.Field(i), join(name)); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // bytes, not text
		}
		for i := 0; i < v.Len(); i++ {
			if p, ok := nulPathIn(v.Index(i), join(strconv.Itoa(i))); ok {
				return p, true
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int {
			return strings.Compare(keyString(a), keyString(b))
		})
		for _, k := range keys {
			ks := keyString(k)
			if strings.IndexByte(ks, 0) >= 0 {
				return join(storable.Name(ks)), true
			}
			if p, ok := nulPathIn(v.MapIndex(k), join(ks)); ok {
				return p, true
			}
		}
	}
	return "", false
}

// keyString is a map key as JSON writes it.
func keyString(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	b, _ := json.Marshal(k.Interface())
	return strings.Trim(string(b), `"`)
}
