package errs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/safecase/safecase/internal/errs"
)

func TestKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind     errs.Kind
		sentinel error
		text     string
		status   int
	}{
		{errs.Invalid, errs.ErrInvalid, "invalid input", 422},
		{errs.NotFound, errs.ErrNotFound, "not found", 404},
		{errs.Forbidden, errs.ErrForbidden, "forbidden", 403},
		{errs.Conflict, errs.ErrConflict, "conflict", 409},
		{errs.Unauthenticated, errs.ErrUnauthenticated, "not signed in", 401},
		{errs.TooManyRequests, errs.ErrTooMany, "too many attempts", 429},
		{errs.TooLarge, errs.ErrTooLarge, "too large", 413},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := tt.sentinel.Error(); got != tt.text {
				t.Errorf("Error() = %q, want %q", got, tt.text)
			}
			if got := errs.KindOf(tt.sentinel); got != tt.kind {
				t.Errorf("KindOf(sentinel) = %v, want %v", got, tt.kind)
			}
			if got := errs.Status(tt.sentinel); got != tt.status {
				t.Errorf("Status(sentinel) = %d, want %d", got, tt.status)
			}
			// E makes an error of the kind, matching its sentinel and only it.
			err := errs.E(tt.kind, "case %s", "c1")
			if got, want := err.Error(), "case c1: "+tt.text; got != want {
				t.Errorf("E(…).Error() = %q, want %q", got, want)
			}
			if errs.KindOf(err) != tt.kind || errs.Status(err) != tt.status || !errors.Is(err, tt.sentinel) {
				t.Errorf("E(%v): kind %v, status %d, Is(sentinel) %v", tt.kind, errs.KindOf(err), errs.Status(err), errors.Is(err, tt.sentinel))
			}
			for _, other := range tests {
				if other.kind != tt.kind && errors.Is(err, other.sentinel) {
					t.Errorf("E(%v) matches the sentinel of %v", tt.kind, other.kind)
				}
			}
			// Wrapping keeps the kind.
			wrapped := fmt.Errorf("store.Case: %w", err)
			if errs.KindOf(wrapped) != tt.kind || errs.Status(wrapped) != tt.status {
				t.Errorf("wrapped: kind %v, status %d", errs.KindOf(wrapped), errs.Status(wrapped))
			}
		})
	}
}

func TestOther(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		nil,
		io.EOF,
		context.Canceled,
		fmt.Errorf("store.Case: %w", context.DeadlineExceeded),
		errs.E(errs.Other, "disk %s", "full"),
		errs.E(errs.Kind(99), "unknown kind"),
	} {
		if got := errs.KindOf(err); got != errs.Other {
			t.Errorf("KindOf(%v) = %v, want Other", err, got)
		}
		if got := errs.Status(err); got != 500 {
			t.Errorf("Status(%v) = %d, want 500", err, got)
		}
	}
	// E of kind Other is a plain error with the message, matching no sentinel.
	err := errs.E(errs.Other, "disk %s", "full")
	if err.Error() != "disk full" || errors.Is(err, errs.ErrInvalid) || errors.Is(err, errs.ErrNotFound) {
		t.Errorf("E(Other) = %q", err)
	}
	var zero errs.Kind
	if errs.Other != zero {
		t.Errorf("Other is %v, want the zero Kind (what KindOf says of nil)", errs.Other)
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	cause := errs.E(errs.NotFound, "case")
	tests := []struct {
		name string
		err  error
		want string // "" for nil
	}{
		{"nil stays nil", nil, ""},
		{"labelled", cause, "store.Case(c1): case: not found"},
		{"context", context.Canceled, "store.Case(c1): context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err
			errs.Wrap(&err, "store.Case(%s)", "c1")
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Wrap(nil) = %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Wrap = %v, want %q", err, tt.want)
			}
			if !errors.Is(err, tt.err) || errs.KindOf(err) != errs.KindOf(tt.err) {
				t.Errorf("Wrap lost the chain: Is %v, kind %v", errors.Is(err, tt.err), errs.KindOf(err))
			}
		})
	}
	// As a deferred call it labels the function's named result.
	f := func(fail bool) (err error) {
		defer errs.Wrap(&err, "op")
		if fail {
			return io.EOF
		}
		return nil
	}
	if err := f(false); err != nil {
		t.Errorf("deferred Wrap of success = %v", err)
	}
	if err := f(true); err == nil || err.Error() != "op: EOF" || !errors.Is(err, io.EOF) {
		t.Errorf("deferred Wrap of failure = %v", err)
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	var f errs.Fields
	if f.Err() != nil {
		t.Fatalf("empty Fields.Err() = %v, want nil", f.Err())
	}
	if f.Has("name") {
		t.Error("empty Fields has name")
	}
	f.Add("name", "required")
	f.Add("dob", "date.format", "YYYY-MM-DD")
	tests := []struct {
		field string
		has   bool
	}{{"name", true}, {"dob", true}, {"address", false}, {"", false}}
	for _, tt := range tests {
		if got := f.Has(tt.field); got != tt.has {
			t.Errorf("Has(%q) = %v, want %v", tt.field, got, tt.has)
		}
	}
	err := f.Err()
	if err == nil {
		t.Fatal("Fields with errors: Err() = nil")
	}
	if got, want := err.Error(), "invalid input: name: required; dob: date.format"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, errs.ErrInvalid) || errors.Is(err, errs.ErrNotFound) {
		t.Error("Fields should match ErrInvalid and only it")
	}
	if errs.KindOf(err) != errs.Invalid || errs.Status(err) != 422 {
		t.Errorf("Fields: kind %v, status %d", errs.KindOf(err), errs.Status(err))
	}
	if f[1].Args[0] != "YYYY-MM-DD" {
		t.Errorf("Args = %v", f[1].Args)
	}
	// The API shows the field and the message key, not the arguments.
	b, _ := json.Marshal(f[1])
	if string(b) != `{"field":"dob","code":"date.format"}` {
		t.Errorf("JSON = %s", b)
	}

	// AsFields finds the field errors through wrapping, and nothing elsewhere.
	for _, tt := range []struct {
		name string
		err  error
		n    int
		ok   bool
	}{
		{"fields", err, 2, true},
		{"wrapped", fmt.Errorf("cases.Register: %w", err), 2, true},
		{"one field", errs.Field("phone", "phone.format", 3), 1, true},
		{"not found", errs.E(errs.NotFound, "case"), 0, false},
		{"nil", nil, 0, false},
	} {
		got, ok := errs.AsFields(tt.err)
		if ok != tt.ok || len(got) != tt.n {
			t.Errorf("AsFields(%s) = %v, %v; want %d fields, %v", tt.name, got, ok, tt.n, tt.ok)
		}
	}
	one, _ := errs.AsFields(errs.Field("phone", "phone.format", 3))
	if one[0].Field != "phone" || one[0].Msg != "phone.format" || len(one[0].Args) != 1 || one[0].Args[0] != 3 {
		t.Errorf("Field = %+v", one[0])
	}
}

func TestConflictError(t *testing.T) {
	t.Parallel()
	err := error(&errs.ConflictError{Record: "case", Version: 4, Current: "now"})
	if got, want := err.Error(), "case changed since it was read (now version 4)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("cases.Update: %w", err)
	if !errors.Is(wrapped, errs.ErrConflict) || errors.Is(wrapped, errs.ErrInvalid) {
		t.Error("ConflictError should match ErrConflict and only it")
	}
	if errs.KindOf(wrapped) != errs.Conflict || errs.Status(wrapped) != 409 {
		t.Errorf("kind %v, status %d", errs.KindOf(wrapped), errs.Status(wrapped))
	}
	var ce *errs.ConflictError
	if !errors.As(wrapped, &ce) || ce.Current != "now" {
		t.Errorf("As: %+v", ce)
	}
}

func TestDeniedError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind      errs.Kind
		isFound   bool // matches ErrNotFound
		isForbid  bool // matches ErrForbidden
		wantState int
	}{
		{errs.NotFound, true, false, 404},
		{errs.Forbidden, false, true, 403},
		// Any other kind matches neither sentinel, and KindOf reports it.
		{errs.Conflict, false, false, 409},
	}
	for _, tt := range tests {
		d := &errs.DeniedError{Record: "case", ID: "c1", CaseID: "c1", AgencyID: "a1", Reason: "not in scope", Kind: tt.kind}
		err := fmt.Errorf("web: %w", d)
		if got, want := d.Error(), "case c1: access denied: not in scope"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
		if errors.Is(err, errs.ErrNotFound) != tt.isFound || errors.Is(err, errs.ErrForbidden) != tt.isForbid {
			t.Errorf("kind %v: Is(NotFound) %v, Is(Forbidden) %v", tt.kind, errors.Is(err, errs.ErrNotFound), errors.Is(err, errs.ErrForbidden))
		}
		if errs.KindOf(err) != tt.kind || errs.Status(err) != tt.wantState {
			t.Errorf("kind %v: KindOf %v, Status %d", tt.kind, errs.KindOf(err), errs.Status(err))
		}
	}
}

// KindOf looks for field errors first, then conflicts, then denials, then
// kinds: an error joining several reports the first of these it finds.
func TestKindOfPrecedence(t *testing.T) {
	t.Parallel()
	denied := &errs.DeniedError{Record: "case", Kind: errs.Forbidden}
	tests := []struct {
		name string
		err  error
		want errs.Kind
	}{
		{"fields over not found", errors.Join(errs.E(errs.NotFound, "x"), errs.Field("a", "b")), errs.Invalid},
		{"conflict over denial", errors.Join(denied, &errs.ConflictError{Record: "case"}), errs.Conflict},
		{"denial over kind", errors.Join(errs.E(errs.TooLarge, "x"), denied), errs.Forbidden},
	}
	for _, tt := range tests {
		if got := errs.KindOf(tt.err); got != tt.want {
			t.Errorf("%s: KindOf = %v, want %v", tt.name, got, tt.want)
		}
	}
}
