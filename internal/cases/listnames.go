package cases

import (
	"context"
	"slices"
	"strings"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/profile"
)

// Listed is what deciding whether a list shows a case's name needs of the
// case: where it sits (for access), its type (for the profile) and its code
// (for the audit event).
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
// (access.Decide), and only those names are read. Listing names is a read
// of identity: the returned event (nil when no name is shown) names the list
// and the codes of the cases whose names it shows, never a name; the caller
// records it as a read.
func ListNames(ctx context.Context, tx NameReader, p *profile.Profile, a access.Actor, list string, cs []Listed) (map[string]string, *audit.Event, error) {
	var ids []string
	codes := map[string]string{}
	for _, c := range cs {
		if _, seen := codes[c.Ref.ID]; seen || !p.NamesInLists(c.Type) {
			continue
		}
		res := access.Resource{Kind: access.KindCase, Case: c.Ref, Section: access.Identity}
		if !access.Decide(a, access.View, res).Allow {
			continue
		}
		codes[c.Ref.ID] = c.Code
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
	var shown []string
	for _, id := range ids {
		i, ok := got[id]
		if !ok {
			continue
		}
		if n := i.FullName(); n != "" {
			names[id] = n
			shown = append(shown, codes[id])
		}
	}
	if len(shown) == 0 {
		return nil, nil, nil
	}
	slices.Sort(shown)
	return names, &audit.Event{Action: "list.names", RecordType: "case_list", RecordID: list, AgencyID: a.AgencyID,
		Detail: strings.Join(shown, " ")}, nil
}
