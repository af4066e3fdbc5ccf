package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
)

// maxForm caps a form body; SafeCase forms are text, never uploads.
const maxForm = 1 << 20

// form reads a submitted form, collecting errors for fields that do not parse.
type form struct {
	v    url.Values
	errs errs.Fields
}

// parseForm reads the form posted in r. A form over maxForm is refused as
// too large, one that cannot be parsed names "form", and one holding text
// that cannot be stored (not UTF-8, or a NUL) names each field at fault:
// no handler runs on it, so nothing is written.
func parseForm(w http.ResponseWriter, r *http.Request) (*form, error) { return readForm(w, r) }

// readForm is parseForm leaving the text of the fields named in own to
// their reader, which names the place at fault more closely (a CSV file's
// row and column).
func readForm(w http.ResponseWriter, r *http.Request, own ...string) (*form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errs.E(errs.TooLarge, "read form: over %d bytes", maxForm)
		}
		return nil, errs.Field("form", "err.form_unreadable")
	}
	check := r.PostForm
	if len(own) > 0 {
		check = url.Values{}
		for k, v := range r.PostForm {
			if !slices.Contains(own, k) {
				check[k] = v
			}
		}
	}
	if fe := checkValues(check); len(fe) > 0 {
		return nil, fe
	}
	return &form{v: r.PostForm}, nil
}

// str returns field name, trimmed.
func (f *form) str(name string) string { return strings.TrimSpace(f.v.Get(name)) }

// raw returns field name untrimmed (passwords).
func (f *form) raw(name string) string { return f.v.Get(name) }

// bool reads a checkbox.
func (f *form) bool(name string) bool {
	v := f.v.Get(name)
	return v == "1" || v == "on" || v == "true" || v == "yes"
}

// list returns every value of a multi-select or checkbox group, without blanks.
func (f *form) list(name string) []string {
	var out []string
	for _, v := range f.v[name] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// intPtr reads an optional whole number; junk is a field error.
func (f *form) intPtr(name string) *int {
	s := f.str(name)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f.errs.Add(name, "err.number")
		return nil
	}
	return &n
}

// version reads the hidden version field of an edit form.
func (f *form) version() int {
	n, _ := strconv.Atoi(f.str("version"))
	return n
}

// merge puts the form's own parse errors before err's field errors.
func (f *form) merge(err error) error {
	if len(f.errs) == 0 {
		return err
	}
	if err == nil {
		return f.errs
	}
	if fe, ok := errs.AsFields(err); ok {
		out := append(errs.Fields{}, f.errs...)
		for _, e := range fe {
			if !out.Has(e.Field) {
				out = append(out, e)
			}
		}
		return out
	}
	return err
}

// fieldErrors returns err's field errors when it is a validation error.
func fieldErrors(err error) (errs.Fields, bool) { return errs.AsFields(err) }

// redirect sends the browser to url after a successful POST.
func redirect(w http.ResponseWriter, r *http.Request, url string) error {
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

// formOp is an operation a small form runs on case id in one transaction.
type formOp func(ctx context.Context, tx *store.Tx, f *form, id string) error

// caseForm runs op for the form posted to a page of case {id}: on success
// it redirects to next (with %s for the case ID); on failure, failed shows
// the page again with what went wrong (or returns the error).
func (s *Server) caseForm(w http.ResponseWriter, r *http.Request, rq *request, op formOp, next string,
	failed func(w http.ResponseWriter, r *http.Request, rq *request, id string, err error) error) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	ctx := r.Context()
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return op(ctx, tx, f, id) }); err != nil {
		return failed(w, r, rq, id, err)
	}
	return redirect(w, r, fmt.Sprintf(next, id))
}

// staleErrors is the error shown when a form was filled on a version of the
// case that has changed since.
func staleErrors() errs.Fields { return errs.Fields{{Field: "version", Msg: "err.stale"}} }
