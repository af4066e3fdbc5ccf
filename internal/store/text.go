package store

import (
	"reflect"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/storable"
)

// The last line behind the input boundaries (see package storable): text
// that the two engines would not store alike never reaches either.
// PostgreSQL refuses a NUL character or bytes that are not UTF-8 in text
// with an error that aborts the transaction, and SQLite stores them. Here a
// write of such text is refused as invalid input on both, and a lookup by
// one finds nothing on both (nothing stored can hold one).

// errUnstorable refuses a write of text that cannot be stored.
var errUnstorable = errs.E(errs.Invalid, "store: text holding a NUL character or bytes that are not UTF-8")

// findsNothing stands in for a lookup by text that cannot be stored.
const findsNothing = "SELECT 1 WHERE 1 = 0"

// unstorable reports whether an argument of a statement is text that
// cannot be stored.
func unstorable(args []any) bool {
	for _, a := range args {
		var s string
		switch x := a.(type) {
		case string:
			s = x
		case nil, int, int64, bool, []byte:
			continue
		default:
			// Named string types (kinds, roles, steps) bind as text too.
			v := reflect.ValueOf(a)
			if v.Kind() != reflect.String {
				continue
			}
			s = v.String()
		}
		if !storable.Text(s) {
			return true
		}
	}
	return false
}
