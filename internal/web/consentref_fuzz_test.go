package web

import (
	"net/url"
	"testing"

	"github.com/safecase/safecase/internal/consent"
)

// FuzzConsentAllForm feeds arbitrary bodies to the reader of the consent
// form for everyone: no panic, never more than 50 rows, rows read in order
// until the first without a giver, and every row's fields its own.
func FuzzConsentAllForm(f *testing.F) {
	for _, s := range []string{"rows.0.giver=self&rows.0.scopes=participation&rows.0.scopes=collect_store&rows.0.method=written",
		"rows.0.giver=self&rows.2.giver=caregiver", "rows.1.giver=caregiver", "rows.0.giver=&rows.1.giver=x&rows.1.person_id=%00",
		"rows.0.giver=self&rows.0.told_mandatory_reporting=1&all_notes=%ff", "rows.-1.giver=self", "%zz", "rows.0.giver=a&rows.0.giver=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in := consentAllForm(&form{v: v})
		if len(in.Rows) > 50 {
			t.Fatalf("%d rows read", len(in.Rows))
		}
		for i, r := range in.Rows {
			if _, ok := v[consent.RowField(i, "giver")]; !ok {
				t.Fatalf("row %d read without a giver", i)
			}
			if len(r.Scopes) > len(v[consent.RowField(i, "scopes")]) {
				t.Fatalf("row %d: more scopes than sent", i)
			}
		}
		if _, ok := v[consent.RowField(len(in.Rows), "giver")]; ok && len(in.Rows) < 50 {
			t.Fatalf("stopped at row %d, which has a giver", len(in.Rows))
		}
	})
}
