package share

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/service"
)

// ReadTx is the storage Read needs: the case's consent state, the reader,
// and the sections a grant may show.
type ReadTx interface {
	consent.Tx
	cases.Granter
	User(ctx context.Context, id string) (*org.User, error)
	Assessments(ctx context.Context, caseID string) ([]assessment.Assessment, error)
	Needs(ctx context.Context, caseID string) ([]assessment.Need, error)
	Plans(ctx context.Context, caseID string) ([]plan.Plan, error)
	Services(ctx context.Context, caseID string) ([]service.Given, error)
	FollowUps(ctx context.Context, caseID string) ([]followup.FollowUp, error)
}

// Source is what a reader reads a case through: a referral, transfer or
// conference (Via, ID), and the consent scope its share rests on ("" for
// none to check again).
type Source struct {
	Via          access.Channel
	ID           string
	ConsentScope string
}

// View is what a grant shows of a case: only the sections it names that
// access.Decide allows, each read as its own section.
type View struct {
	Withheld    bool // consent to share was withdrawn, or the reader excluded, since the share
	Code        string
	Type        string
	Sections    []access.Section
	Reg         *cases.Case
	Identity    *cases.Identity
	People      []cases.Person // never an alleged perpetrator
	Assessments []assessment.Assessment
	Needs       []assessment.Need
	Plan        *plan.Plan
	Given       []service.Given
	FollowUps   []followup.FollowUp

	event audit.Event // share.view, when a section is shown
}

// Has reports whether the view includes section s.
func (v *View) Has(s string) bool { return slices.Contains(v.Sections, access.Section(s)) }

// Shown reports whether the view shows any section (and so is audited as
// share.view); nil shows nothing.
func (v *View) Shown() bool { return v != nil && len(v.Sections) > 0 }

// Event returns the audit event of reading v — share.view, naming the
// source and the sections shown (never their content) — and whether there
// is one: a view that shows nothing has none.
func (v *View) Event() (audit.Event, bool) {
	if !v.Shown() {
		return audit.Event{}, false
	}
	return v.event, true
}

// Read returns what reader a sees of case c through src: the sections of
// secs its grant covers. It is the read-time share rule, applied at every
// read and not only when the share is made: for a reader outside the case's
// scope, once the consent scope the share rests on is withdrawn (or its
// override revoked), or the reader's agency or name is put on the case's
// exclusion list, nothing is shown (Withheld); a section the grant does not
// or no longer covers is left out; and the family's alleged perpetrators
// are never shown to anyone outside the case. The caller records the view's
// Event before answering.
func Read(ctx context.Context, tx ReadTx, p *profile.Profile, a access.Actor, c *cases.Case, secs []access.Section,
	src Source) (*View, error) {
	v := &View{Code: c.Code, Type: c.Type}
	if !access.InScope(a, c.Ref()) {
		ok, err := stillShared(ctx, tx, p, a, c, src.ConsentScope)
		if err != nil {
			return nil, err
		}
		if !ok {
			v.Withheld = true
			return v, nil
		}
	}
	granted := *c // the grants are loaded on a copy: the caller's case keeps its own
	if err := cases.LoadGrants(ctx, tx, a, &granted); err != nil {
		return nil, err
	}
	var err error
	for _, sec := range secs {
		if !access.Decide(a, access.View, access.Resource{Kind: access.KindCase, Case: granted.Ref(), Section: sec}).Allow {
			continue // the grant does not (or no longer) cover it
		}
		v.Sections = append(v.Sections, sec)
		switch sec {
		case access.Registration:
			v.Reg = c
		case access.Identity:
			if v.Identity, err = tx.Identity(ctx, c.ID); err != nil {
				return nil, err
			}
		case access.Family:
			ps, err := tx.CasePeople(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			for _, x := range ps {
				if !x.AllegedPerpetrator { // never shared with anyone outside the case
					v.People = append(v.People, x)
				}
			}
		case access.Assessment:
			if v.Assessments, err = tx.Assessments(ctx, c.ID); err != nil {
				return nil, err
			}
			if v.Needs, err = tx.Needs(ctx, c.ID); err != nil {
				return nil, err
			}
		case access.Plan:
			ps, err := tx.Plans(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			v.Plan = plan.ActiveOf(ps)
		case access.Services:
			if v.Given, err = tx.Services(ctx, c.ID); err != nil {
				return nil, err
			}
		case access.FollowUp:
			if v.FollowUps, err = tx.FollowUps(ctx, c.ID); err != nil {
				return nil, err
			}
		}
	}
	detail, _ := json.Marshal(map[string][]string{"sections": Names(v.Sections)})
	v.event = audit.Event{Action: "share.view", RecordType: string(src.Via), RecordID: src.ID, CaseID: c.ID,
		AgencyID: c.AgencyID, Detail: string(detail)}
	return v, nil
}

// stillShared reports whether consent to share under scope (when one is
// named) still holds for reader a of case c, and a is not on its exclusion
// list.
func stillShared(ctx context.Context, tx ReadTx, p *profile.Profile, a access.Actor, c *cases.Case, scope string) (bool, error) {
	st, err := consent.Load(ctx, tx, p, c, a.Now)
	if err != nil {
		return false, err
	}
	if scope != "" && !consent.Allows(st.Scopes, scope) {
		return false, nil
	}
	u, err := tx.User(ctx, a.UserID)
	if err != nil {
		return false, err
	}
	return !Excluded(st.Exclusions, a.AgencyID, u.DisplayName), nil
}
