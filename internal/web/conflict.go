package web

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/store"
)

// conflictView tells a user that someone saved the record after they opened
// it, and which fields differ between what they typed and what is saved now.
type conflictView struct {
	By     string
	At     time.Time
	Fields []conflictField
}

type conflictField struct {
	Field  string
	Yours  string
	Theirs string
}

// conflict compares the user's submission with the saved record (any two
// values of the same struct type, compared by their JSON fields).
func (s *Server) conflict(ctx context.Context, rq *request, by string, at time.Time, yours, theirs any) *conflictView {
	v := &conflictView{At: at}
	s.db.Read(ctx, func(tx *store.Tx) error {
		if u, err := tx.User(ctx, by); err == nil {
			v.By = u.DisplayName
		}
		return nil
	})
	a, b := jsonFields(yours), jsonFields(theirs)
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			v.Fields = append(v.Fields, conflictField{Field: k, Yours: a[k], Theirs: b[k]})
		}
	}
	return v
}

// jsonFields flattens a struct's JSON form into printable field values.
func jsonFields(v any) map[string]string {
	raw, _ := json.Marshal(v)
	var m map[string]any
	json.Unmarshal(raw, &m)
	out := map[string]string{}
	for k, x := range m {
		switch t := x.(type) {
		case nil:
			out[k] = ""
		case []any:
			var parts []string
			for _, p := range t {
				parts = append(parts, fmt.Sprint(p))
			}
			out[k] = strings.Join(parts, ", ")
		default:
			out[k] = fmt.Sprint(t)
		}
	}
	return out
}
