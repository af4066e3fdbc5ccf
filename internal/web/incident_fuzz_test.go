package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/incident"
)

// FuzzIncidentInputs feeds arbitrary forms and API bodies to the readers of
// the incident and link routes. The form readers never panic and read each
// field trimmed, as typed; the decoder never panics, refuses with a field
// error that names a field (or "body"), and what it accepts re-encodes and
// decodes the same.
func FuzzIncidentInputs(f *testing.F) {
	for _, s := range []string{"incident_type=rape&occurred_on=2026-11-19&place=+river+",
		"recommendation=report&reasoning=x&version=2", "version=99999999999999999999&decision=do_not_report",
		"family_told=yes&family_told_on=2026-13-45", "family_told=on&family_told=no", "case_code=c-abc&relation=siblings",
		"%zz", "reasoning=%00%ff", `{"incident_type":"rape","occurred_on":"2026-11-19"}`,
		`{"recommendation":"report","reasoning":"x","version":1}`, `{"decision":"report","family_told":"yes"}`,
		`{"case_code":1}`, `{"version":1e400}`, `{"bogus":true}`, `{}`, ``,
		`{"reasoning":"x\u0000"}`, "{\"place\":\"river \xff\"}", `{"description":"\ud800x"}`, "place=%00&description=%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if v, err := url.ParseQuery(body); err == nil {
			fm := &form{v: v}
			in := incidentReportForm(fm)
			rec := mandatoryRecommendForm(fm)
			dec := mandatoryDecideForm(fm)
			link := caseLinkForm(fm)
			for name, got := range map[string]string{"incident_type": in.Type, "occurred_on": in.HappenedOn,
				"place": in.Location, "perpetrator": in.Perpetrator, "description": in.Description,
				"recommendation": rec.Recommendation, "authority": dec.Authority, "shared_what": dec.SharedWhat,
				"shared_how": dec.SharedHow, "reported_on": dec.ReportedOn, "family_told_on": dec.FamilyToldOn,
				"family_not_told_why": dec.FamilyNotToldWhy, "case_code": link.Code, "relation": link.Relation} {
				if want := strings.TrimSpace(v.Get(name)); got != want {
					t.Fatalf("%s read as %q, want %q", name, got, want)
				}
			}
			if rec.Reasoning != dec.Reasoning || rec.Version != dec.Version {
				t.Fatalf("reasoning or version read differently: %+v %+v", rec, dec)
			}
			if told := v.Get("family_told"); dec.FamilyTold != (told == "yes" || told == "on" || told == "1" || told == "true") {
				t.Fatalf("family_told %q read as %v", told, dec.FamilyTold)
			}
		}
		for _, v := range []any{new(incident.Input), new(incident.RecommendInput), new(incident.DecideInput), new(caselink.Input)} {
			err := DecodeJSON([]byte(body), v)
			if err != nil {
				fe, ok := errs.AsFields(err)
				if !ok || len(fe) == 0 || fe[0].Field == "" {
					t.Fatalf("%T: refusal %v names no field", v, err)
				}
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T: decoded but does not re-encode: %v", v, err)
			}
			again := newLike(v)
			if err := DecodeJSON(b, again); err != nil {
				t.Fatalf("%T: re-encoded %s does not decode: %v", v, b, err)
			}
			if b2, _ := json.Marshal(again); string(b2) != string(b) {
				t.Fatalf("%T: %s decodes to %s", v, b, b2)
			}
		}
	})
}

// newLike returns a fresh value of v's type.
func newLike(v any) any {
	switch v.(type) {
	case *incident.Input:
		return new(incident.Input)
	case *incident.RecommendInput:
		return new(incident.RecommendInput)
	case *incident.DecideInput:
		return new(incident.DecideInput)
	}
	return new(caselink.Input)
}
