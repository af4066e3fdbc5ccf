package auditview

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// detailKeys are the detail keys with a label (audit.key.<key>); any other
// key is shown as "Other: key = value".
var detailKeys = map[string]bool{
	"status": true, "page": true, "api": true, "section": true, "sections": true, "until": true,
	"told_on": true, "days": true, "wait_s": true, "failures": true, "user_failures": true,
	"synthetic": true, "demo": true, "purpose": true, "pathway": true, "fields": true, "reason": true,
	"role": true, "team": true, "case_access": true, "disabled": true, "display_name": true,
	"email": true, "locked": true, "must_change_password": true, "password": true,
	"second_factor": true, "setup": true, "tokens_revoked": true, "decision": true, "count": true,
	"from": true, "to": true, "to_step": true, "to_agency_id": true, "risk": true, "urgent": true,
	"scope": true, "method": true, "kind": true, "type": true, "version": true, "outcome": true,
	"recommendation": true, "relation": true, "linked_case_id": true, "incident_id": true,
	"passkey_id": true, "recovery_codes_issued": true, "recovery_codes_removed": true,
	"replaced_unused": true, "without_password": true, "created": true, "updated": true,
	"unchanged": true, "declined": true, "reopened": true, "family_told": true, "action": true,
	"filter": true, "rows": true, "limit": true, "basis": true,
}

// Pair is one labelled piece of an event's detail. Key is the message key
// of its label, or "" for a key without one (shown as "Other: Name =
// Value"); Value is plain text, or ValueKey a message key (yes, no).
type Pair struct {
	Key      string
	Name     string
	Value    string
	ValueKey string
}

// Pairs turns an event's detail into labelled pairs, in key order. A
// detail that is not a JSON object is one "Other" pair holding the text; a
// nested value is flattened into words, never shown as JSON. Old and new
// values read "old → new".
func Pairs(detail string) []Pair {
	detail = strings.TrimSpace(detail)
	if detail == "" {
		return nil
	}
	var m map[string]json.RawMessage
	d := json.NewDecoder(strings.NewReader(detail))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m == nil {
		return []Pair{{Name: "detail", Value: flatText(detail)}}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Pair, 0, len(keys))
	for _, k := range keys {
		p := Pair{Name: flatText(k)}
		if detailKeys[k] {
			p.Key = "audit.key." + k
		}
		switch v := decode(m[k]).(type) {
		case bool:
			p.ValueKey = "audit.value.no"
			if v {
				p.ValueKey = "audit.value.yes"
			}
		default:
			p.Value = words(v)
		}
		out = append(out, p)
	}
	return out
}

// decode reads one JSON value, numbers kept as written.
func decode(raw json.RawMessage) any {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return string(raw)
	}
	return v
}

// words writes a decoded JSON value as plain text: lists joined with
// commas, an old/new pair as "old → new", any other object as
// "key: value; …", nothing as "—".
func words(v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case string:
		return flatText(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = words(x)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		oldV, hasOld := v["old"]
		newV, hasNew := v["new"]
		if (hasOld || hasNew) && len(v) <= 2 && (len(v) == 1 || hasOld && hasNew) {
			return orDash(words(oldV), hasOld) + " → " + orDash(words(newV), hasNew)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = flatText(k) + ": " + words(v[k])
		}
		return strings.Join(parts, "; ")
	}
	return "—"
}

func orDash(s string, present bool) string {
	if !present || s == "" {
		return "—"
	}
	return s
}

// flatText returns s without JSON's braces and brackets, so that no
// detail ever reads as raw JSON, even one that is not JSON at all.
func flatText(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '{', '}', '[', ']':
			return ' '
		}
		return r
	}, s)
}
