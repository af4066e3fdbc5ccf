package search

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/errs"
)

var allowed = Allowed{Types: []string{"cp", "gbv"}, Steps: []string{"registration", "assessment"},
	Risks: []string{"low", "medium", "high"}}

func TestTerms(t *testing.T) {
	for _, c := range []struct {
		q    string
		want []Term
	}{
		{"Aïcha Mohamed", []Term{{Kind: TermName, Value: "aicha"}, {Kind: TermName, Value: "mohamed"}}},
		{"c-00ce87", []Term{{Kind: TermCode, Value: "C-00CE87"}}},
		{"C-0OCEI7", []Term{{Kind: TermCode, Value: "C-00CE17"}}},
		{"Al-Hassan", []Term{{Kind: TermName, Value: "alhassan"}, {Kind: TermName, Value: "hassan"}}},
		{"+234 803 555 0192", []Term{{Kind: TermPhone, Value: "035550192"}}},
		{"0803-555-0192 Amina", []Term{{Kind: TermPhone, Value: "035550192"}, {Kind: TermName, Value: "amina"}}},
		{"(0803) 555.0192", []Term{{Kind: TermPhone, Value: "035550192"}}},
		{"2014-03-09", []Term{{Kind: TermBirth, Value: "2014-03-09"}}},
		{"09/03/2014", []Term{{Kind: TermBirth, Value: "2014-03-09"}}},
		{"9.3.2014 Grace", []Term{{Kind: TermBirth, Value: "2014-03-09"}, {Kind: TermName, Value: "grace"}}},
		{"Grace 12", []Term{{Kind: TermName, Value: "grace"}, {Kind: TermAge, Value: "12", Age: 12}}},
		{"age 7 Grace", []Term{{Kind: TermAge, Value: "7", Age: 7}, {Kind: TermName, Value: "grace"}}},
		{"12y", []Term{{Kind: TermAge, Value: "12", Age: 12}}},
		{"12 2014-03-09", []Term{{Kind: TermAge, Value: "12", Age: 12}, {Kind: TermBirth, Value: "2014-03-09"}}},
		{"30", nil}, // not an age, not a phone, no letters: nothing
		{"amina amina", []Term{{Kind: TermName, Value: "amina"}}},
		{"  ", nil},
	} {
		got := Terms(c.q)
		if !slices.Equal(got, c.want) {
			t.Errorf("Terms(%q) = %+v, want %+v", c.q, got, c.want)
		}
	}
}

func TestParseErrorsNameTheParameter(t *testing.T) {
	for param, val := range map[string]string{"type": "xx", "step": "nowhere", "risk": "extreme", "status": "gone",
		"caseworker": "a b", "page": "0", "place": "!!"} {
		_, err := Parse("amina", func(n string) string {
			if n == param {
				return val
			}
			return ""
		}, allowed)
		var fe errs.Fields
		if !errors.As(err, &fe) || !fe.Has(param) || len(fe) != 1 {
			t.Errorf("%s=%q: err %v, want an error naming %s", param, val, err, param)
		}
	}
	if _, err := Parse(strings.Repeat("a ", 101), nil, allowed); err == nil {
		t.Error("a query too long is accepted")
	}
	q, err := Parse("amina", func(n string) string {
		return map[string]string{"type": "cp", "status": "open", "risk": "high", "page": "3", "place": "Camp A"}[n]
	}, allowed)
	if err != nil || q.Filters.Type != "cp" || q.Filters.Status != "open" || q.Page != 3 || q.Filters.Place != "Camp A" {
		t.Errorf("Parse = %+v, %v", q, err)
	}
}

func TestClassifyAndRank(t *testing.T) {
	q := Query{Terms: []Term{{Kind: TermName, Value: "amina"}, {Kind: TermName, Value: "hasan"}}}
	if m := Classify(q, false, []Kind{Part, Part}); m != MatchFullName {
		t.Errorf("two whole parts: %v", m)
	}
	if m := Classify(q, false, []Kind{Part, Prefix}); m != MatchPartName {
		t.Errorf("a part and a prefix: %v", m)
	}
	if m := Classify(q, false, []Kind{Sound, Part}); m != MatchSound {
		t.Errorf("a sound and a part: %v", m)
	}
	if m := Classify(q, true, []Kind{Sound}); m != MatchCode {
		t.Errorf("code: %v", m)
	}
	if m := Classify(Query{Terms: []Term{{Kind: TermPhone, Value: "1234567"}}}, false, nil); m != MatchPhone {
		t.Errorf("phone: %v", m)
	}
	now := time.Now()
	hits := []Hit{
		{Code: "C-4", Match: MatchSound, UpdatedAt: now},
		{Code: "C-3", Match: MatchPartName, UpdatedAt: now},
		{Code: "C-2", Match: MatchFullName, UpdatedAt: now.Add(-time.Hour)},
		{Code: "C-1", Match: MatchFullName, UpdatedAt: now},
		{Code: "C-0", Match: MatchFullName, UpdatedAt: now},
		{Code: "C-9", Match: MatchCode, UpdatedAt: now.Add(-48 * time.Hour)},
	}
	Rank(hits)
	var got []string
	for _, h := range hits {
		got = append(got, h.Code)
	}
	if want := []string{"C-9", "C-0", "C-1", "C-2", "C-3", "C-4"}; !slices.Equal(got, want) {
		t.Errorf("Rank: %v, want %v", got, want)
	}
}

func TestFingerprint(t *testing.T) {
	h := NewHasher([]byte("k"))
	a := h.Fingerprint(Query{Terms: Terms("Amina Hassan")})
	b := h.Fingerprint(Query{Terms: Terms("hassan  AMINA"), Page: 2})
	c := h.Fingerprint(Query{Terms: Terms("Amina Hasan")})
	if a != b || a == c || strings.Contains(a, "amina") {
		t.Errorf("fingerprints %s %s %s", a, b, c)
	}
	if NewHasher([]byte("other")).Fingerprint(Query{Terms: Terms("Amina Hassan")}) == a {
		t.Error("the fingerprint does not depend on the key")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"Aïcha Mohamed", "c-00ce87", "+234 803 555 0192", "09/03/2014", "age 12", "12y",
		"محمد", "Al-Hassan 0803-555-0192 7", "\xff\xfe", "2014-02-30", "99/99/9999", "- + . ( )"} {
		f.Add(s, "cp", "1")
	}
	f.Fuzz(func(t *testing.T, q, typ, page string) {
		got, err := Parse(q, func(n string) string {
			switch n {
			case "type":
				return typ
			case "page":
				return page
			}
			return ""
		}, allowed)
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("Parse(%q): error of kind %v", q, errs.KindOf(err))
			}
			return
		}
		if got.Page < 1 || got.Page > MaxPage || len(got.Terms) > MaxTerms {
			t.Fatalf("Parse(%q) = %+v", q, got)
		}
		for _, term := range got.Terms {
			switch term.Kind {
			case TermName:
				if term.Value == "" || Normalise(term.Value) != term.Value {
					t.Fatalf("name term %q not normalised", term.Value)
				}
			case TermPhone:
				if Digits(term.Value) != term.Value {
					t.Fatalf("phone term %q", term.Value)
				}
			case TermBirth:
				if !isDate(term.Value) {
					t.Fatalf("birth term %q", term.Value)
				}
			case TermAge:
				if term.Age < 0 || term.Age > MaxAge {
					t.Fatalf("age %d", term.Age)
				}
			case TermCode:
				if _, ok := Code(term.Value); !ok {
					t.Fatalf("code %q", term.Value)
				}
			default:
				t.Fatalf("term kind %d", term.Kind)
			}
		}
	})
}
