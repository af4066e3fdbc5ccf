package auditview

import (
	"strings"
	"testing"
	"time"
)

// TestPairsNeverRawJSON: every detail the code writes, and bad ones, come
// out as labelled pairs without a brace or bracket.
func TestPairsNeverRawJSON(t *testing.T) {
	for _, tc := range []struct {
		detail string
		want   []string // "key=value" or "Other:name=value" or "key=?yes"
	}{
		{`{"status":"accepted"}`, []string{"status=accepted"}},
		{`{"fields":["given_name","phone"],"version":3}`, []string{"fields=given_name, phone", "version=3"}},
		{`{"role":{"old":"caseworker","new":"supervisor"}}`, []string{"role=caseworker → supervisor"}},
		{`{"purpose":{"new":"setup"}}`, []string{"purpose=— → setup"}},
		{`{"synthetic":true}`, []string{"synthetic=?audit.value.yes"}},
		{`{"weird":{"a":[1,{"b":2}]}}`, []string{"Other:weird=a: 1, b: 2"}},
		{`{"x{":"}y"}`, []string{"Other:x = y"}},
		{`not json {at all}`, []string{"Other:detail=not json  at all "}},
		{`[1,2]`, []string{"Other:detail= 1,2 "}},
		{`{"n":null}`, []string{"Other:n=—"}},
	} {
		got := Pairs(tc.detail)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d pairs %+v, want %v", tc.detail, len(got), got, tc.want)
		}
		for i, p := range got {
			s := p.Name + "=" + p.Value
			if p.Key == "" {
				s = "Other:" + s
			} else if p.Key != "audit.key."+p.Name {
				t.Errorf("%s: key %q for %q", tc.detail, p.Key, p.Name)
			}
			if p.ValueKey != "" {
				s = p.Name + "=?" + p.ValueKey
			}
			if s != tc.want[i] {
				t.Errorf("%s: pair %d = %q, want %q", tc.detail, i, s, tc.want[i])
			}
			if strings.ContainsAny(p.Name+p.Value, "{}[]") {
				t.Errorf("%s: raw JSON in %+v", tc.detail, p)
			}
		}
	}
	if Pairs("") != nil {
		t.Error("empty detail gives pairs")
	}
}

// FuzzPairs: no detail, however made, shows a brace or bracket.
func FuzzPairs(f *testing.F) {
	for _, s := range []string{`{"a":{"b":[{"c":"{"}]}}`, `{"old":1}`, `{`, `"x"`, `{"a":"\u007b"}`, `{"a":1e999}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range Pairs(s) {
			if strings.ContainsAny(p.Name+p.Value, "{}[]") {
				t.Fatalf("%q: raw JSON in %+v", s, p)
			}
		}
	})
}

func getter(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestParse: each field is read, and each bad one named.
func TestParse(t *testing.T) {
	loc := time.FixedZone("EAT", 3*3600)
	f, fe := Parse(getter(map[string]string{"actor": "u1", "action": "case.view", "case": " cp-ab12 ", "from": "2026-01-02",
		"to": "2026-01-02", "ip": "::ffff:192.0.2.1", "reads": "1", "before": "40", "after": "10"}), loc)
	if len(fe) > 0 {
		t.Fatal(fe)
	}
	if f.CaseCode != "CP-AB12" || f.IP != "192.0.2.1" || !f.Reads || f.Before != 40 || f.After != 0 {
		t.Errorf("parsed %+v", f)
	}
	if want := time.Date(2026, 1, 2, 0, 0, 0, 0, loc); !f.FromTime.Equal(want) || !f.ToTime.Equal(want.AddDate(0, 0, 1)) {
		t.Errorf("dates %v %v", f.FromTime, f.ToTime)
	}
	if got := f.Describe(); got != "actor=u1 action=case.view reads=1 case=CP-AB12 from=2026-01-02 to=2026-01-02 ip=192.0.2.1" {
		t.Errorf("Describe = %q", got)
	}
	again, fe := Parse(getter(f.Values()), loc)
	if len(fe) > 0 || again.Describe() != f.Describe() {
		t.Errorf("Values do not read back: %+v %v", again, fe)
	}
	for _, tc := range []struct{ field, value string }{
		{"action", "case.made_up"}, {"action", "nothing."}, {"case", "Amina Y"}, {"from", "2.1.2026"},
		{"to", "yesterday"}, {"ip", "example.org"}, {"reads", "maybe"}, {"actor", strings.Repeat("a", 101)},
	} {
		_, fe := Parse(getter(map[string]string{tc.field: tc.value}), loc)
		if !fe.Has(tc.field) || len(fe) != 1 {
			t.Errorf("%s=%q: errors %v", tc.field, tc.value, fe)
		}
	}
	if _, fe := Parse(getter(map[string]string{"from": "2026-02-01", "to": "2026-01-01"}), loc); !fe.Has("to") {
		t.Errorf("range backwards: %v", fe)
	}
	if f, fe := Parse(getter(map[string]string{"action": "case.", "before": "-3", "after": "x"}), loc); len(fe) > 0 || f.Before != 0 || f.After != 0 {
		t.Errorf("category and bad positions: %+v %v", f, fe)
	}
}

// FuzzParse: any query parses without panic; a filter parsed without
// errors reads back the same from its Values, and holds only known
// actions, codes, dates and addresses.
func FuzzParse(f *testing.F) {
	f.Add("u1", "case.view", "CP-1", "2026-01-01", "2026-01-31", "10.0.0.1", "1", "5")
	f.Add("", "case.", "", "", "", "fe80::1%eth0", "", "")
	f.Add("x", "'; DROP TABLE audit_events;--", "<b>", "2026-13-40", "0000-00-00", "1.2.3", "on", "-1")
	f.Fuzz(func(t *testing.T, actor, action, code, from, to, ip, reads, before string) {
		m := map[string]string{"actor": actor, "action": action, "case": code, "from": from, "to": to, "ip": ip, "reads": reads, "before": before}
		flt, fe := Parse(getter(m), time.UTC)
		if len(fe) > 0 {
			return
		}
		if flt.Action != "" && !Known(flt.Action) && !knownPrefix(flt.Action) {
			t.Fatalf("action %q accepted", flt.Action)
		}
		again, fe := Parse(getter(flt.Values()), time.UTC)
		if len(fe) > 0 || again.Describe() != flt.Describe() {
			t.Fatalf("%v does not read back: %+v %v", m, again, fe)
		}
	})
}
