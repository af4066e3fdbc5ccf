// Package caselink links cases that need coordination: the GBV case of a
// mother and the CP cases of her children, two siblings, a household, the
// same incident. A link tells each caseworker whom to coordinate with — the
// other case's code, its type, its caseworker and agency — and grants
// nothing of the other file: whoever follows it still needs their own access.
//
// Within an agency a link is made at once. A link to a case of another
// agency is a request (Request) that the other case's caseworker or
// supervisor accepts or declines; until it is accepted the requester learns
// nothing of the other case, not even that it exists: a code that no case
// has makes the same request, answered the same way, and stays waiting.
package caselink

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
)

// Link is a link between two cases. It reads the same from either end.
type Link struct {
	ID        string
	CaseA     string // the case it was made from
	CaseB     string // the case named by its code
	Relation  string // from the profile's case_link_relations
	CreatedBy string
	CreatedAt time.Time
	RemovedAt time.Time // zero while the link holds
}

// Other returns the case at the other end of l from caseID.
func (l *Link) Other(caseID string) string {
	if l.CaseA == caseID {
		return l.CaseB
	}
	return l.CaseA
}

// View is a link seen from one of its cases: all that may be shown of the
// other case is its code, its type, its caseworker's name and its agency's
// name. Other is what an access decision needs about the other case; it is
// never shown.
type View struct {
	ID         string
	Relation   string
	CreatedBy  string
	CreatedAt  time.Time
	Code       string // of the other case
	Type       string // cp or gbv
	Caseworker string // display name of its caseworker
	Agency     string // name of its agency
	Other      access.Case
}

// CanOpen reports whether a may open the other case in its own right.
func (v *View) CanOpen(a access.Actor) bool {
	return access.Decide(a, access.View, access.Resource{Kind: access.KindCase, Case: v.Other,
		Section: access.Registration}).Allow
}

// Input is the form that links a case to another.
type Input struct {
	Code     string `json:"case_code"` // the other case's code
	Relation string `json:"relation"`  // from the profile's case_link_relations
}

// Tx is the storage links need, inside one transaction.
type Tx interface {
	Case(ctx context.Context, id string) (*cases.Case, error)
	CaseByCode(ctx context.Context, code string) (*cases.Case, error)
	InsertCaseLink(ctx context.Context, l *Link) error
	CaseLink(ctx context.Context, id string) (*Link, error)
	RemoveCaseLink(ctx context.Context, id string, at time.Time) error
	ActiveLinkBetween(ctx context.Context, a, b string) (bool, error)
	InsertLinkRequest(ctx context.Context, r *Request) error
	LinkRequest(ctx context.Context, id string) (*Request, error)
	UpdateLinkRequest(ctx context.Context, r *Request) error
	WaitingLinkRequest(ctx context.Context, caseID, code string) (bool, error)
	TeamSupervisors(ctx context.Context, teamID string) ([]string, error)
	InsertNotification(ctx context.Context, n *notify.Notification) error
	Record(ctx context.Context, e audit.Event) error
}

// Add links case caseID, which a may edit, to the case with in.Code. A case
// of the same agency (another caseworker's or team's) is linked at once and
// its caseworker told: Add returns the link. Any other code — a case of
// another agency, or a code no case has, which must answer alike — becomes
// a request that the other case's caseworker or supervisor accepts: Add
// returns the request, and the requester sees nothing of the other case
// until it is accepted. Two cases are linked once at a time, and a code is
// asked for once at a time.
func Add(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*Link, *Request, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Registration, caseID)
	if err != nil {
		return nil, nil, err
	}
	var f errs.Fields
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Relation = strings.TrimSpace(in.Relation)
	if !profile.Has(p.LinkRelations, in.Relation) {
		f.Add("relation", "err.choose")
	}
	var other *cases.Case
	switch {
	case in.Code == "":
		f.Add("case_code", "err.required")
	case !cases.LooksLikeCode(in.Code):
		f.Add("case_code", "err.link_code")
	default:
		other, err = tx.CaseByCode(ctx, in.Code)
		switch {
		case errs.KindOf(err) == errs.NotFound:
			other = nil // asked for like a case of another agency
		case err != nil:
			return nil, nil, err
		case other.ID == c.ID:
			f.Add("case_code", "err.link_self")
		default:
			// Linked already: the requester sees that link on their
			// case, so saying so tells them nothing new.
			dup, err := tx.ActiveLinkBetween(ctx, c.ID, other.ID)
			if err != nil {
				return nil, nil, err
			}
			if dup {
				f.Add("case_code", "err.link_exists")
			}
		}
	}
	if err := f.Err(); err != nil {
		return nil, nil, err
	}
	if other == nil || other.AgencyID != c.AgencyID {
		r, err := request(ctx, tx, a, c, other, in, now)
		return nil, r, err
	}
	l := &Link{CaseA: c.ID, CaseB: other.ID, Relation: in.Relation, CreatedBy: a.UserID, CreatedAt: now}
	if err := tx.InsertCaseLink(ctx, l); err != nil {
		return nil, nil, err
	}
	// The other caseworker is told on their own case, which they can open.
	if err := notify.Send(ctx, tx, []string{other.CaseworkerID}, notify.CaseLinked, other.ID, a.UserID, now); err != nil {
		return nil, nil, err
	}
	return l, nil, recordLink(ctx, tx, a, l, c, other, "caselink.add", "caselink.added", now)
}

// recordLink audits link l between c (where action was done) and other
// (which the other action names), on each case's trail (each agency's
// officer reads it there).
func recordLink(ctx context.Context, tx Tx, a access.Actor, l *Link, c, other *cases.Case, action, otherAction string, now time.Time) error {
	b, _ := json.Marshal(map[string]string{"linked_case_id": other.ID, "relation": l.Relation})
	if err := tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: action, RecordType: "case_link", RecordID: l.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(b)}); err != nil {
		return err
	}
	b, _ = json.Marshal(map[string]string{"linked_case_id": c.ID, "relation": l.Relation})
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: otherAction, RecordType: "case_link", RecordID: l.ID, CaseID: other.ID, AgencyID: other.AgencyID,
		Detail: string(b)})
}

// Remove ends link linkID of case caseID, which a may edit. Either end's
// caseworker (or supervisor) may remove it.
func Remove(ctx context.Context, tx Tx, a access.Actor, caseID, linkID string, now time.Time) (*Link, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Registration, caseID)
	if err != nil {
		return nil, err
	}
	l, err := tx.CaseLink(ctx, linkID)
	if err != nil {
		return nil, err
	}
	if l.CaseA != c.ID && l.CaseB != c.ID {
		return nil, errs.E(errs.NotFound, "case link %s of case %s", linkID, c.ID)
	}
	if !l.RemovedAt.IsZero() {
		return nil, errs.Field("link", "err.not_active")
	}
	if err := tx.RemoveCaseLink(ctx, l.ID, now); err != nil {
		return nil, err
	}
	l.RemovedAt = now
	b, _ := json.Marshal(map[string]string{"linked_case_id": l.Other(c.ID)})
	return l, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "caselink.remove", RecordType: "case_link", RecordID: l.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(b)})
}
