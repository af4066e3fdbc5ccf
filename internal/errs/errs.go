// Package errs defines the kinds of error SafeCase distinguishes and how they
// travel from the domain packages to HTTP: a kind decides the status code, and
// field errors name the input at fault in plain words.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error for the user and for HTTP.
type Kind int

// The kinds of error. Other means an internal failure that the user sees only
// as its status text.
const (
	Other Kind = iota
	Invalid
	NotFound
	Forbidden
	Conflict
	Unauthenticated
	TooManyRequests
	TooLarge // a request body over its cap
)

// Sentinel errors, one per kind, so callers can write errors.Is(err, errs.NotFound).
var (
	ErrInvalid         = &kindError{Invalid}
	ErrNotFound        = &kindError{NotFound}
	ErrForbidden       = &kindError{Forbidden}
	ErrConflict        = &kindError{Conflict}
	ErrUnauthenticated = &kindError{Unauthenticated}
	ErrTooMany         = &kindError{TooManyRequests}
	ErrTooLarge        = &kindError{TooLarge}
)

type kindError struct{ k Kind }

func (e *kindError) Error() string {
	switch e.k {
	case Invalid:
		return "invalid input"
	case NotFound:
		return "not found"
	case Forbidden:
		return "forbidden"
	case Conflict:
		return "conflict"
	case Unauthenticated:
		return "not signed in"
	case TooManyRequests:
		return "too many attempts"
	case TooLarge:
		return "too large"
	}
	return "internal error"
}

// KindOf reports the kind of err, looking through wrapping.
func KindOf(err error) Kind {
	if err == nil {
		return Other
	}
	var fe Fields
	if errors.As(err, &fe) {
		return Invalid
	}
	var ce *ConflictError
	if errors.As(err, &ce) {
		return Conflict
	}
	var de *DeniedError
	if errors.As(err, &de) {
		return de.Kind
	}
	var ke *kindError
	if errors.As(err, &ke) {
		return ke.k
	}
	return Other
}

// Status maps err to an HTTP status code.
func Status(err error) int {
	switch KindOf(err) {
	case Invalid:
		return 422
	case NotFound:
		return 404
	case Forbidden:
		return 403
	case Conflict:
		return 409
	case Unauthenticated:
		return 401
	case TooManyRequests:
		return 429
	case TooLarge:
		return 413
	}
	return 500
}

// Wrap adds context to *errp, if it is not nil, keeping the chain for errors.Is.
// Use it once per function with defer: defer errs.Wrap(&err, "store.Case(%s)", id).
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
	}
}

// FieldError says what is wrong with one input field. Msg is a message
// catalog key; Args fill its placeholders. Field is the input's name as the
// form and the API use it.
type FieldError struct {
	Field string `json:"field"`
	Msg   string `json:"code"`
	Args  []any  `json:"-"`
}

// Fields is a list of field errors; it is an error of kind Invalid when not empty.
type Fields []FieldError

// Add appends an error for field.
func (f *Fields) Add(field, msg string, args ...any) {
	*f = append(*f, FieldError{Field: field, Msg: msg, Args: args})
}

// Has reports whether field has an error.
func (f Fields) Has(field string) bool {
	for _, e := range f {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Err returns f as an error, or nil when it is empty.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

func (f Fields) Error() string {
	var b strings.Builder
	b.WriteString("invalid input: ")
	for i, e := range f {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Field)
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	return b.String()
}

// Is makes errors.Is(fields, ErrInvalid) true.
func (f Fields) Is(target error) bool { return target == ErrInvalid }

// Field returns a one-field error.
func Field(field, msg string, args ...any) error {
	return Fields{{Field: field, Msg: msg, Args: args}}
}

// AsFields extracts the field errors from err, if any.
func AsFields(err error) (Fields, bool) {
	var f Fields
	if errors.As(err, &f) {
		return f, true
	}
	return nil, false
}

// ConflictError reports that a record changed since the caller read it.
// Current holds the record as it is now, for showing what changed.
type ConflictError struct {
	Record  string
	Version int
	Current any
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s changed since it was read (now version %d)", e.Record, e.Version)
}

// Is makes errors.Is(conflict, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// E returns an error of kind k with a lower-case message naming the operation.
func E(k Kind, format string, args ...any) error {
	var base *kindError
	switch k {
	case Invalid:
		base = ErrInvalid
	case NotFound:
		base = ErrNotFound
	case Forbidden:
		base = ErrForbidden
	case Conflict:
		base = ErrConflict
	case Unauthenticated:
		base = ErrUnauthenticated
	case TooManyRequests:
		base = ErrTooMany
	case TooLarge:
		base = ErrTooLarge
	default:
		return fmt.Errorf(format, args...)
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), base)
}

// DeniedError reports that access to a record was refused. For a record the
// actor may not see at all it has kind NotFound, so that it answers exactly
// like a missing one; the web layer audits every denial.
type DeniedError struct {
	Record   string // e.g. "case"
	ID       string
	CaseID   string
	AgencyID string
	Reason   string
	Kind     Kind // NotFound or Forbidden
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("%s %s: access denied: %s", e.Record, e.ID, e.Reason)
}

// Is makes a denial match the sentinel of its kind.
func (e *DeniedError) Is(target error) bool {
	return (e.Kind == NotFound && target == ErrNotFound) || (e.Kind == Forbidden && target == ErrForbidden)
}
