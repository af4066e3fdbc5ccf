package web

import (
	"context"
	"errors"
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

// redirect sends the browser to url after a successful POST.
func redirect(w http.ResponseWriter, r *http.Request, url string) error {
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

// formPost is what a page's POST handler says about its form; postForm does
// the rest. This is the one shape of a POST handler of a page.
//
// Why this shape: of the three the handlers grew — the higher-order
// caseForm/subjectForm, the inline "parseForm, f.merge, Tx,
// fieldErrors, render 422" of postRegister and the follow-up, incident and
// family pages, and the per-page failure helpers each handler handed its
// error to (consentFailed, closureFailed, servicesFailed, planFailed, …) —
// the higher-order one was the only one in which a reader sees just the
// three things that differ between forms: the operation, where success
// goes, the page shown again. It still left each failure callback to sort
// errors into 422, 409 and "return as is", and that sorting was written
// about a dozen times with small differences (a conflict answered as an
// error page in one place and as the form again in another; a form's own
// parse errors merged in one place and dropped in another). formPost keeps
// the higher-order shape and moves the sorting, the form's parse errors and
// the transaction into postForm, with named fields, so that a handler reads
// top to bottom: Op, Next, Again.
type formPost struct {
	// Op reads the form and runs the domain operation, in one transaction.
	// The form's own parse errors (a number that is not one) are merged
	// with the field errors Op returns, and roll the transaction back even
	// when Op succeeded.
	Op func(ctx context.Context, tx *store.Tx, f *form) error
	// Next says where the browser goes once Op has committed (it may use
	// what Op created); see to.
	Next func() string
	// Again shows the page again with what went wrong and what was typed:
	// fe are the field errors and status 422, or the stale-version error
	// and status 409. Nil: those errors are answered like any other.
	Again func(fe errs.Fields, status int) error
}

// to is a formPost.Next that goes to url.
func to(url string) func() string { return func() string { return url } }

// postForm runs the form posted in r as p says: parse the form (a form that
// cannot be read is answered as it is), run p.Op in one transaction, and
// then redirect to p.Next (303); on a validation error show the page again
// with the errors and what was typed (422), on a version conflict show it
// again with the stale error (409); any other error is returned as it is.
func (s *Server) postForm(w http.ResponseWriter, r *http.Request, p formPost) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.db.Tx(ctx, func(tx *store.Tx) error { return f.merge(p.Op(ctx, tx, f)) })
	if err == nil {
		return redirect(w, r, p.Next())
	}
	if p.Again == nil {
		return err
	}
	if errs.KindOf(err) == errs.Conflict {
		return p.Again(staleErrors(), http.StatusConflict)
	}
	if fe, ok := errs.AsFields(err); ok {
		return p.Again(fe, http.StatusUnprocessableEntity)
	}
	return err
}

// shownAgain is the usual Again of a formPost: the page load reads, shown
// again with template name, the form's errors and, by fill, what was typed.
// (A page whose refused form needs more — a different 409, a saved version
// kept — writes its own Again.)
func shownAgain[P interface{ setErrors(errs.Fields) }](s *Server, w http.ResponseWriter, name string,
	load func() (P, error), fill func(P)) func(errs.Fields, int) error {
	return func(fe errs.Fields, status int) error {
		p, err := load()
		if err != nil {
			return err
		}
		p.setErrors(fe)
		fill(p)
		return s.render(w, status, name, p)
	}
}

// staleErrors is the error shown when a form was filled on a version of the
// case that has changed since.
func staleErrors() errs.Fields { return errs.Fields{{Field: "version", Msg: "err.stale"}} }
