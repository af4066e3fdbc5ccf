package web

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/transfer"
)

// coordinationInputs are fresh values of every type a coordination API body
// decodes into.
func coordinationInputs() []any {
	return []any{new(referral.Input), new(referral.Answer), new(referral.ServiceInput), new(referral.OutcomeInput),
		new(transfer.Input), new(transfer.Decision), new(conference.Input), new(conference.RecordInput),
		new(share.GlassInput), new(share.ToldInput)}
}

// FuzzCoordinationJSON feeds arbitrary bodies to the API decoder for every
// coordination input: no panic; a refusal names a field; what decodes
// re-encodes and decodes the same; the sections a body names are shared
// only if they are shareable.
func FuzzCoordinationJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"service_id":"x","sections":["identity","consent"]}`, `{"sections":"registration"}`,
		`{"version":1,"accept":true}`, `{"actions":[{"owner_id":1}]}`, `{"participants":[null]}`, `{"version":-1e9}`,
		`{"reason":"\u0000","urgent":"yes"}`, `[]`, `{"code":"C-1","reason":"` + "x" + `"}`,
		"{\"reason\":\"care \xff\"}", `{"sections":["registration","\u0000"]}`, `{"reason":"\udfff"}`,
		`{"actions":[{"description":"x"},{"description":"\u0000"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range coordinationInputs() {
			err := DecodeJSON(body, v)
			if err != nil {
				fe, ok := errs.AsFields(err)
				if !ok || len(fe) == 0 || fe[0].Field == "" {
					t.Fatalf("%T: refusal %v does not name a field", v, err)
				}
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T: does not re-encode: %v", v, err)
			}
			if err := DecodeJSON(b, v); err != nil {
				t.Fatalf("%T: re-encoded %s does not decode: %v", v, b, err)
			}
			if in, ok := v.(*referral.Input); ok {
				secs, clean := share.ParseSections(in.Sections)
				for _, s := range secs {
					if !slices.Contains(share.Shareable, s) {
						t.Fatalf("section %q parsed as shareable", s)
					}
				}
				if clean && len(secs) > len(in.Sections) {
					t.Fatalf("more sections parsed than named: %v from %v", secs, in.Sections)
				}
			}
		}
	})
}

// FuzzCoordinationForms feeds arbitrary form bodies to the coordination form
// readers: no panic, and the conference record never reads more than 50
// action rows however many the body sends.
func FuzzCoordinationForms(f *testing.F) {
	for _, s := range []string{"service_id=x&sections=identity&sections=consent", "action_description=a&action_owner=b",
		"action_due=2026-01-01&action_due=x&action_due=y", "version=abc&answer=accept", "participants=&participants=u",
		"%zz", "to_agency_id=a&warm_handover_on=2026-13-40", "reason=a%00b&sections=%ff", "action_description=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		fm := &form{v: v}
		_ = referralForm(fm)
		_ = transferForm(fm)
		_ = conferenceForm(fm)
		rec := conferenceRecordForm(fm)
		if len(rec.Actions) > 50 {
			t.Fatalf("%d action rows read", len(rec.Actions))
		}
		if n := max(len(v["action_description"]), len(v["action_owner"]), len(v["action_due"])); len(rec.Actions) != min(n, 50) {
			t.Fatalf("%d action rows read from %d", len(rec.Actions), n)
		}
	})
}
