package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

//go:embed templates/*.html
var templateFS embed.FS

// templates holds, per language, one parsed template set per page, each
// with the layout.
type templates struct {
	byLang map[string]map[string]*template.Template
	def    string // the catalog's first language, for any other
}

// staticT matches a message printed with a literal key and nothing else,
// {{.T "key"}} or {{$.T "key"}}, which loadTemplates resolves once per
// language instead of by a reflective call on every render.
var staticT = regexp.MustCompile(`\{\{\$?\.T "([a-z_]+\.[a-z0-9_.]+)"\}\}`)

// resolve writes the messages of staticT into src in the words of l,
// escaped as the HTML text they stand in. A message that itself holds
// template delimiters is left to the call.
func resolve(src string, l *i18n.Locale) string {
	return staticT.ReplaceAllStringFunc(src, func(m string) string {
		msg := l.T(staticT.FindStringSubmatch(m)[1])
		if strings.Contains(msg, "{{") || strings.Contains(msg, "}}") {
			return m
		}
		return template.HTMLEscapeString(msg)
	})
}

var funcs = template.FuncMap{
	"field": func(p pageText, name, label string, value any) *Field {
		return &Field{P: p, Name: name, Label: label, Value: value}
	},
	// withID gives field f the id f-<id>, for a page where two forms
	// have a field of the same name.
	"withID": func(id string, f *Field) *Field { f.ID = id; return f },
	"has": func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	},
	"age": func(a *int) string {
		if a == nil {
			return ""
		}
		return strconv.Itoa(*a)
	},
	"join": strings.Join,
	"list": func(v ...string) []string { return v },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	// at returns element i of a slice, or the element type's zero value
	// beyond its end (a blank row of a repeated form group).
	"at": func(list any, i int) any {
		v := reflect.ValueOf(list)
		if v.Kind() != reflect.Slice {
			return nil
		}
		if i < 0 || i >= v.Len() {
			return reflect.Zero(v.Type().Elem()).Interface()
		}
		return v.Index(i).Interface()
	},
	"fmtMoney":  func(cents int64) string { return fmt.Sprintf("%.2f", float64(cents)/100) },
	"navFor":    navFor,
	"navOf":     navOf,
	"casesHTML": casesHTML,
	"tasksHTML": tasksHTML,
	"add":       func(a, b int) int { return a + b },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

func loadTemplates(cat *i18n.Catalog) (*templates, error) {
	langs := cat.Languages()
	t := &templates{byLang: map[string]map[string]*template.Template{}, def: i18n.Fallback}
	for _, lang := range langs {
		pages, err := parsePages(cat.Locale(lang))
		if err != nil {
			return nil, err
		}
		t.byLang[lang] = pages
	}
	return t, nil
}

// parsePages parses every page with the layout and the partials, their
// static messages in the words of l.
func parsePages(l *i18n.Locale) (map[string]*template.Template, error) {
	parse := func(t *template.Template, file string) error {
		b, err := templateFS.ReadFile(file)
		if err != nil {
			return err
		}
		if name := path.Base(file); name != t.Name() {
			// (New with the root's own name would replace the root, funcs and all.)
			t = t.New(name)
		}
		_, err = t.Parse(resolve(string(b), l))
		return err
	}
	layout := template.New("layout.html").Funcs(funcs)
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range append([]string{"templates/layout.html"}, partials...) {
		if err := parse(layout, f); err != nil {
			return nil, err
		}
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		clone, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if err := parse(clone, n); err != nil {
			return nil, err
		}
		pages[strings.TrimSuffix(base, ".html")] = clone
	}
	return pages, nil
}

// Page is what every page template gets: the locale, the profile, who is
// signed in, the form errors, and helpers to print dates and labels.
type Page struct {
	L      *i18n.Locale
	Prof   *profile.Profile
	User   *org.User
	Title  string // message key of the page title: never a name
	Nav    string
	Errors errs.Fields
	Flash  string // message key
	Now    time.Time
	CSS    string
	JS     string
	Unread int
	// Enrolling: the person must set up a second factor before anything
	// else (the gate holds), so the header offers no other page.
	Enrolling bool
}

// setErrors sets the form errors the page shows.
func (p *Page) setErrors(fe errs.Fields) { p.Errors = fe }

// T translates key.
func (p *Page) T(key string, args ...any) string { return p.L.T(key, args...) }

// lang is the language the page is written in (its templates'), for renderBytes.
func (p *Page) lang() string { return p.L.Lang }

// strictOpt makes Opt fail loudly on a list it does not know or a key
// missing from the profile's list, instead of printing the key. The
// package's tests set it (strict_test.go); the binary never links package
// testing, so it cannot ask testing.Testing().
var strictOpt bool

// Opt returns the label of option key of profile list. A key the list does
// not hold (a record older than a profile change) prints as itself; under
// test (strictOpt) it panics, which a template reports as an error, so that
// a misspelt list name or a value the forms should have refused is found.
func (p *Page) Opt(list, key string) string {
	if list == "closure" && cases.IsVoidReason(key) {
		return p.T("void.reason." + key) // not the profile's: void.go
	}
	l, err := p.optLabel(list, key)
	if err != nil {
		if strictOpt {
			panic(err)
		}
		return key
	}
	return l
}

// optLabel returns the label of option key of profile list ("" for no
// key), or the error that the list or the key is unknown.
func (p *Page) optLabel(list, key string) (string, error) {
	if key == "" {
		return "", nil
	}
	opts, ok := p.optList(list)
	if !ok {
		return "", fmt.Errorf("opt: no profile list %q", list)
	}
	if !profile.Has(opts, key) {
		return "", fmt.Errorf("opt: no option %q in profile list %q", key, list)
	}
	return profile.Label(opts, key, p.L.Lang), nil
}

// optList returns the options of the profile list Opt calls list.
func (p *Page) optList(list string) ([]profile.Option, bool) {
	var opts []profile.Option
	switch list {
	case "risk":
		opts = p.Prof.RiskLevels
	case "source":
		opts = p.Prof.IdentificationSources
	case "concern":
		opts = p.Prof.ProtectionConcerns
	case "care_status":
		opts = p.Prof.CareStatuses
	case "care_arrangement":
		opts = p.Prof.CareArrangements
	case "relationship":
		opts = p.Prof.Relationships
	case "closure":
		opts = p.Prof.ClosureReasons
	case "need_domain":
		opts = p.Prof.NeedDomains
	case "perpetrator":
		opts = p.Prof.PerpetratorRelations
	case "service":
		opts = p.Prof.DirectServiceTypes
	case "purpose":
		opts = p.Prof.EmergencyFund.Purposes
	case "criterion":
		opts = p.Prof.EmergencyFund.Criteria
	case "transfer":
		opts = p.Prof.TransferReasons
	case "sector":
		opts = p.Prof.ReferralServiceTypes
	case "incident":
		opts = append(append([]profile.Option(nil), p.Prof.IncidentTypes[profile.CP]...), p.Prof.IncidentTypes[profile.GBV]...)
	default:
		return nil, false
	}
	return opts, true
}

// Scope returns the label of consent scope key.
func (p *Page) Scope(key string) string {
	if s, ok := p.Prof.ScopeByKey(key); ok {
		if l, ok := s.Labels[p.L.Lang]; ok {
			return l
		}
		return s.Label
	}
	return key
}

// Err returns the translated error for field, or "".
func (p *Page) Err(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return p.L.T(e.Msg, e.Args...)
		}
	}
	return ""
}

// ErrorList returns every error, translated, with its field, for the summary.
func (p *Page) ErrorList() []FieldMsg {
	var out []FieldMsg
	for _, e := range p.Errors {
		out = append(out, FieldMsg{Field: e.Field, Label: fieldLabel(p.L, e.Field), Msg: p.L.T(e.Msg, e.Args...)})
	}
	return out
}

// fieldLabel names field in an error: its catalog label ("field.<name>",
// or that of the part before the first dot of a path such as
// "plan.objectives[0]"), else the name as the form or the client wrote it
// (a query parameter, a JSON path): never a missing catalog key.
func fieldLabel(l *i18n.Locale, field string) string {
	if l.Has("field." + field) {
		return l.T("field." + field)
	}
	if i := strings.IndexByte(field, '.'); i > 0 && l.Has("field."+field[:i]) {
		return l.T("field." + field[:i])
	}
	return field
}

// FieldMsg is one line of the error summary.
type FieldMsg struct{ Field, Label, Msg string }

// Weeks returns d in whole weeks.
func (p *Page) Weeks(d profile.Duration) int { return int(d.D() / (7 * 24 * time.Hour)) }

// Date prints t as a date in the deployment's time zone.
func (p *Page) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.Prof.Location()).Format("2 Jan 2006")
}

// DateTime prints t as date and time in the deployment's time zone.
func (p *Page) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.Prof.Location()).Format("2 Jan 2006 15:04")
}

// DayDate prints a YYYY-MM-DD date.
func (p *Page) DayDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("2 Jan 2006")
}

// Due says when t falls relative to now: "in 3 days", "2 days overdue".
func (p *Page) Due(t time.Time) string {
	if t.IsZero() {
		return p.T("due.none")
	}
	d := t.Sub(p.Now)
	over := d < 0
	if over {
		d = -d
	}
	var n int
	var unit string
	switch {
	case d < time.Hour:
		if over {
			return p.T("due.overdue_now")
		}
		return p.T("due.now")
	case d < deadline.SoonWithin: // within the due-soon window, in hours
		n, unit = int(d/time.Hour), "hours"
	default:
		n, unit = int(d/(24*time.Hour)), "days"
	}
	if over {
		return p.T("due.overdue_"+unit, n)
	}
	return p.T("due.in_"+unit, n)
}

// Role returns the label of a role (an org.Role or its name).
func (p *Page) Role(r any) string {
	k := "role." + fmt.Sprint(r)
	if !p.L.Has(k) {
		return fmt.Sprint(r)
	}
	return p.T(k)
}

// pageText is what a field template needs of its page.
type pageText interface {
	T(key string, args ...any) string
	Err(field string) string
}

// Field is one form field for the field templates.
type Field struct {
	P     pageText
	Name  string
	ID    string // the input's id after "f-", when two forms of a page share Name ("" for Name)
	Label string // message key
	Value any
	Hint  string
}

// Error returns the field's translated error.
func (f *Field) Error() string { return f.P.Err(f.Name) }

// Str returns the field's value as text.
func (f *Field) Str() string {
	switch v := f.Value.(type) {
	case nil:
		return ""
	case string:
		return v
	case *int:
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v)
	}
	return fmt.Sprint(f.Value)
}

// page returns the base page for rq.
func (s *Server) page(rq *request, title, nav string) Page {
	return Page{L: rq.L, Prof: s.prof, User: rq.User, Title: title, Nav: nav, Now: rq.Now,
		CSS: s.static.url("style.css"), JS: s.static.url("app.js"), Unread: rq.Unread, Enrolling: rq.MustEnrol}
}

// render writes template name with data and status. The page is rendered
// into a buffer first, so that a template error never sends half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	b, err := s.renderBytes(name, data)
	if err != nil {
		return err
	}
	return writeHTML(w, status, b)
}

// renderBytes renders template name with data.
func (s *Server) renderBytes(name string, data any) ([]byte, error) {
	pages := s.tmpl.byLang[s.tmpl.def]
	if d, ok := data.(interface{ lang() string }); ok {
		if p, ok := s.tmpl.byLang[d.lang()]; ok {
			pages = p
		}
	}
	t, ok := pages[name]
	if !ok {
		return nil, fmt.Errorf("render: no template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// writeHTML sends a rendered page.
func writeHTML(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Case content must not linger in shared caches or the back/forward cache.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}

// errorPage shows an error in plain words.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, rq *request, status int, err error) {
	p := s.page(rq, "error.title", "")
	msg := "error.internal"
	switch status {
	case 404:
		msg = "error.not_found"
	case 403:
		msg = "error.forbidden"
	case 409:
		msg = "error.conflict"
	case 422:
		msg = "error.invalid"
		if fe, ok := errs.AsFields(err); ok {
			p.Errors = fe
		}
	case 413:
		msg = "error.too_large"
	case 429:
		msg = "error.too_many"
	case 405:
		msg = "error.method"
	}
	data := struct {
		Page
		Status  int
		Message string
	}{p, status, msg}
	if rerr := s.render(w, status, "error", &data); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Fields  []apiFieldError `json:"fields,omitempty"`
	Current any             `json:"current,omitempty"`
}

type apiFieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// refusal is a 403 with its own API error code and the catalog key of its
// message, for a refusal that the role alone does not explain.
type refusal struct{ code, message string }

func (r *refusal) Error() string { return "refused: " + r.code }

// Unwrap gives a refusal its kind, Forbidden.
func (r *refusal) Unwrap() error { return errs.ErrForbidden }

func (s *Server) apiError(w http.ResponseWriter, rq *request, status int, err error) {
	codes := map[int]string{400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
		405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid", 429: "too_many_requests"}
	code, ok := codes[status]
	if !ok {
		code = "internal"
	}
	body := apiErrorBody{Code: code, Message: rq.L.T("api." + code)}
	var g *gate
	if errors.As(err, &g) {
		body.Code, body.Message = g.code, rq.L.T(g.message)
	}
	var rf *refusal
	if errors.As(err, &rf) {
		body.Code, body.Message = rf.code, rq.L.T(rf.message)
	}
	if fe, ok := errs.AsFields(err); ok {
		for _, f := range fe {
			body.Fields = append(body.Fields, apiFieldError{Field: f.Field, Code: strings.TrimPrefix(f.Msg, "err."),
				Message: fieldLabel(rq.L, f.Field) + ": " + rq.L.T(f.Msg, f.Args...)})
		}
	}
	var ce *errs.ConflictError
	if errors.As(err, &ce) {
		body.Current = apiCurrent(ce)
	}
	writeJSON(w, status, apiError{Error: body})
}
