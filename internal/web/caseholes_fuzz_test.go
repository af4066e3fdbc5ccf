package web

import (
	"encoding/json"
	"testing"

	"github.com/safecase/safecase/internal/errs"
)

// FuzzLinkAnswer feeds arbitrary bodies to the reader of an answer to a
// link request (accept, decline, withdraw): it never panics, refuses with
// a field error that names a field (or "body"), and what it accepts
// re-encodes and decodes the same.
func FuzzLinkAnswer(f *testing.F) {
	for _, s := range []string{`{"version":1}`, `{"version":"1"}`, `{"version":1.5}`, `{"version":1e400}`,
		`{"version":1,"accept":true}`, `{}`, ``, `[]`, `{"version":1}{}`, "{\"version\":\x00}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in linkAnswerInput
		if err := DecodeJSON([]byte(body), &in); err != nil {
			fe, ok := errs.AsFields(err)
			if !ok || len(fe) == 0 || fe[0].Field == "" {
				t.Fatalf("refusal %v names no field", err)
			}
			return
		}
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var again linkAnswerInput
		if err := DecodeJSON(b, &again); err != nil || again != in {
			t.Fatalf("%s decodes to %+v (%v), was %+v", b, again, err, in)
		}
	})
}
