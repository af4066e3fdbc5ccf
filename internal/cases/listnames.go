package cases

import (
	"context"
	"encoding/json"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/profile"
)

// Listed is what deciding whether a list shows a case's name needs of the
// case: where it sits (for access), its type (for the profile) and its code
// (to name it).
type Listed struct {
	Ref  access.Case
	Type string
	Code string
}

// NameReader is storage that reads the given and family names of cases,
// by case ID; a case without identity is missing from the answer.
type NameReader interface {
	ListNames(ctx context.Context, ids []string) (map[string]Identity, error)
}

// ListNames returns the names a list shows beside the codes of the listed
// cases (by case ID): only for a case whose type the profile shows names for
// (profile.NamesInLists) and whose identity section a may read
// (access.Decide), and only those names are read. Listing a name is a read
// of the case's identity section: the returned events, one a case whose
// name is shown, are what the caller records as reads (case.view with the
// section and the list in the detail, never a name), so that "who read this
// case" in the audit trail finds the lists too.
func ListNames(ctx context.Context, tx NameReader, p *profile.Profile, a access.Actor, list string, cs []Listed) (map[string]string, []audit.Event, error) {
	var ids []string
	agency := map[string]string{}
	for _, c := range cs {
		if _, seen := agency[c.Ref.ID]; seen || !p.NamesInLists(c.Type) {
			continue
		}
		res := access.Resource{Kind: access.KindCase, Case: c.Ref, Section: access.Identity}
		if !access.Decide(a, access.View, res).Allow {
			continue
		}
		agency[c.Ref.ID] = c.Ref.AgencyID
		ids = append(ids, c.Ref.ID)
	}
	if len(ids) == 0 {
		return nil, nil, nil
	}
	got, err := tx.ListNames(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	var evs []audit.Event
	detail, _ := json.Marshal(map[string]string{"section": string(access.Identity), "via": "list", "list": list})
	for _, id := range ids {
		i, ok := got[id]
		if !ok {
			continue
		}
		if n := i.FullName(); n != "" {
			names[id] = n
			evs = append(evs, audit.Event{Action: "case.view", RecordType: "case", RecordID: id, CaseID: id,
				AgencyID: agency[id], Detail: string(detail)})
		}
	}
	return names, evs, nil
}
