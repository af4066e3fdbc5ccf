package caselink

import (
	"context"
	"encoding/json"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
)

// The states of a request.
const (
	Requested = "requested" // waiting for the other case's caseworker or supervisor
	Accepted  = "accepted"  // the link was made
	Declined  = "declined"
	Withdrawn = "withdrawn" // by the requester
)

// Request asks to link case CaseID to the case with code Code. TargetID is
// the case that has the code (of another agency), or empty when no case
// has it; it is never shown to the requester, who sees only the code they
// typed, the relation and that the request waits, until it is accepted.
type Request struct {
	ID          string
	CaseID      string // the requesting case
	Code        string // the code the requester typed (upper case)
	TargetID    string // the case with that code; empty when none has it
	Relation    string
	Status      string
	RequestedBy string
	RequestedAt time.Time
	AnsweredBy  string // who accepted, declined or withdrew it
	AnsweredAt  time.Time
	LinkID      string // the link an acceptance made
	Version     int
}

// Waiting reports whether r still waits for an answer.
func (r *Request) Waiting() bool { return r.Status == Requested }

// Sent returns r as its requester sees it. A declined request still waits,
// at the version it had before the decline, until the requester withdraws
// it: a request to a code no case has waits for ever, so a request that
// vanished, or moved to another version, would tell the requester that a
// case has the code.
func (r Request) Sent() Request {
	if r.Status == Declined {
		r.Status, r.Version, r.AnsweredBy, r.AnsweredAt = Requested, r.Version-1, "", time.Time{}
	}
	return r
}

// Open reports whether r, as its requester sees it, still waits.
func (r *Request) Open() bool { return r.Status == Requested || r.Status == Declined }

// Incoming is a waiting request seen from the case it asks to link: what
// its caseworker or supervisor needs to decide — who asks, from which
// agency, about which type of case, for which relation — and nothing else
// of the requesting case (not its code: that is shown once the link is made).
type Incoming struct {
	ID          string
	Relation    string
	RequestedAt time.Time
	Requester   string // display name of who asks
	Agency      string // name of the requesting case's agency
	Type        string // the requesting case's type, cp or gbv
	Version     int
}

// request records the request of case c to link the case other (nil when no
// case has in.Code). Whether or not other exists, the requester gets the
// same request, the same answer and the same audit event on their case;
// other's staff are told and its trail records the request.
func request(ctx context.Context, tx Tx, a access.Actor, c, other *cases.Case, in Input, now time.Time) (*Request, error) {
	waiting, err := tx.WaitingLinkRequest(ctx, c.ID, in.Code)
	if err != nil {
		return nil, err
	}
	if waiting {
		return nil, errs.Field("case_code", "err.link_requested")
	}
	r := &Request{CaseID: c.ID, Code: in.Code, Relation: in.Relation, Status: Requested, RequestedBy: a.UserID,
		RequestedAt: now, Version: 1}
	if other != nil {
		r.TargetID = other.ID
	}
	if err := tx.InsertLinkRequest(ctx, r); err != nil {
		return nil, err
	}
	if err := recordRequest(ctx, tx, a, r, "caselink.request", c, now); err != nil {
		return nil, err
	}
	if other == nil {
		return r, nil
	}
	sups, err := tx.TeamSupervisors(ctx, other.TeamID)
	if err != nil {
		return nil, err
	}
	if err := notify.Send(ctx, tx, append([]string{other.CaseworkerID}, sups...), notify.LinkRequested, other.ID,
		a.UserID, now); err != nil {
		return nil, err
	}
	return r, recordRequest(ctx, tx, a, r, "caselink.requested", other, now)
}

// recordRequest audits action on request r on case c's trail (with its
// agency, for that agency's officer). The detail names the relation only:
// the requester's trail never says whether a case had the code.
func recordRequest(ctx context.Context, tx Tx, a access.Actor, r *Request, action string, c *cases.Case, now time.Time) error {
	b, _ := json.Marshal(map[string]string{"relation": r.Relation})
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: action,
		RecordType: "case_link_request", RecordID: r.ID, CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(b)})
}

// answerable loads request id addressed to case caseID, which a may edit,
// still waiting at version.
func answerable(ctx context.Context, tx Tx, a access.Actor, caseID, id string, version int) (*cases.Case, *Request, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Registration, caseID)
	if err != nil {
		return nil, nil, err
	}
	r, err := tx.LinkRequest(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if r.TargetID != c.ID {
		return nil, nil, errs.E(errs.NotFound, "link request %s of case %s", id, c.ID)
	}
	if !r.Waiting() {
		return nil, nil, errs.Field("request", "err.not_active")
	}
	if version != r.Version {
		return nil, nil, &errs.ConflictError{Record: "case_link_request", Version: r.Version}
	}
	return c, r, nil
}

// Accept accepts request id to link case caseID, which a may edit (its
// caseworker or supervisor), at version: the cases are linked, each side
// sees the other's code, type, caseworker and agency from now on, and the
// requester is told.
func Accept(ctx context.Context, tx Tx, a access.Actor, caseID, id string, version int, now time.Time) (*Link, error) {
	c, r, err := answerable(ctx, tx, a, caseID, id, version)
	if err != nil {
		return nil, err
	}
	from, err := tx.Case(ctx, r.CaseID)
	if err != nil {
		return nil, err
	}
	dup, err := tx.ActiveLinkBetween(ctx, from.ID, c.ID)
	if err != nil {
		return nil, err
	}
	if dup {
		return nil, errs.Field("request", "err.link_exists")
	}
	l := &Link{CaseA: from.ID, CaseB: c.ID, Relation: r.Relation, CreatedBy: r.RequestedBy, CreatedAt: now}
	if err := tx.InsertCaseLink(ctx, l); err != nil {
		return nil, err
	}
	r.Status, r.AnsweredBy, r.AnsweredAt, r.LinkID = Accepted, a.UserID, now, l.ID
	if err := tx.UpdateLinkRequest(ctx, r); err != nil {
		return nil, err
	}
	if err := notify.Send(ctx, tx, []string{r.RequestedBy}, notify.CaseLinked, from.ID, a.UserID, now); err != nil {
		return nil, err
	}
	return l, recordLink(ctx, tx, a, l, c, from, "caselink.accept", "caselink.accepted", now)
}

// Decline declines request id to link case caseID, which a may edit, at
// version. Nothing is made and nobody is told: the request no longer shows
// on this side, and the requester's case keeps no trace of the answer —
// the requester still sees it wait (Request.Sent) until they withdraw it.
func Decline(ctx context.Context, tx Tx, a access.Actor, caseID, id string, version int, now time.Time) (*Request, error) {
	c, r, err := answerable(ctx, tx, a, caseID, id, version)
	if err != nil {
		return nil, err
	}
	r.Status, r.AnsweredBy, r.AnsweredAt = Declined, a.UserID, now
	if err := tx.UpdateLinkRequest(ctx, r); err != nil {
		return nil, err
	}
	return r, recordRequest(ctx, tx, a, r, "caselink.decline", c, now)
}

// Withdraw withdraws request id of case caseID, which a may edit, at
// version (as the requester sees it: Request.Sent), whether or not a case
// had its code and whether or not it was declined.
func Withdraw(ctx context.Context, tx Tx, a access.Actor, caseID, id string, version int, now time.Time) (*Request, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Registration, caseID)
	if err != nil {
		return nil, err
	}
	r, err := tx.LinkRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.CaseID != c.ID {
		return nil, errs.E(errs.NotFound, "link request %s of case %s", id, c.ID)
	}
	if !r.Open() {
		return nil, errs.Field("request", "err.not_active")
	}
	if seen := r.Sent(); version != seen.Version {
		return nil, &errs.ConflictError{Record: "case_link_request", Version: seen.Version}
	}
	declined := r.Status == Declined
	r.Status, r.AnsweredBy, r.AnsweredAt = Withdrawn, a.UserID, now
	if err := tx.UpdateLinkRequest(ctx, r); err != nil {
		return nil, err
	}
	if err := recordRequest(ctx, tx, a, r, "caselink.withdraw", c, now); err != nil {
		return nil, err
	}
	if r.TargetID == "" || declined {
		return r, nil // nothing waits on the other side
	}
	target, err := tx.Case(ctx, r.TargetID)
	if err != nil {
		return nil, err
	}
	return r, recordRequest(ctx, tx, a, r, "caselink.withdrawn", target, now)
}
