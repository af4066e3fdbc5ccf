// Package transfer hands a case to another caseworker or team of the same
// agency (internal: the supervisor approves) or to another agency of the
// deployment (external: the receiving agency accepts or declines). A
// transfer records why, consent, when and how the family was told, the
// handover plan and the warm-handover meeting. On acceptance the case's
// ownership moves and the sender's access ends with it; the history stays
// with the case.
package transfer

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/share"
)

// Kinds and states.
const (
	Internal = "internal"
	External = "external"

	Requested = "requested" // waits for the supervisor (internal) or the receiving agency (external)
	Accepted  = "accepted"  // ownership moved
	Declined  = "declined"
	Withdrawn = "withdrawn"
)

// Transfer is one transfer of one case.
type Transfer struct {
	ID                string
	CaseID            string
	Kind              string
	Reason            string
	ReasonNotes       string
	FromAgencyID      string
	FromTeamID        string
	FromCaseworkerID  string
	ToAgencyID        string
	ToTeamID          string
	ToUserID          string
	Sections          []access.Section // what the receiving agency sees before it decides
	Basis             string           // consent, override, or internal (same agency)
	FamilyToldOn      string
	FamilyToldTo      string
	FamilyToldWhy     string
	HandoverPlan      string
	WarmHandoverOn    string
	NoWarmHandoverWhy string
	Status            string
	BatchID           string
	RequestedBy       string
	RequestedAt       time.Time
	ApprovedBy        string
	ApprovedAt        time.Time
	DecidedBy         string
	DecidedAt         time.Time
	DeclineReason     string
	Version           int

	CaseCode string // filled when listing
}

// Party returns what access decisions need to know of t.
func (t *Transfer) Party() access.Party {
	return access.Party{FromAgencyID: t.FromAgencyID, SenderID: t.RequestedBy, ToAgencyID: t.ToAgencyID,
		ToTeamID: t.ToTeamID, Open: t.Status == Requested}
}

// DecideAction is the access a decision on t needs: the case's supervisor
// approves an internal transfer, the receiving agency answers an external one.
func (t *Transfer) DecideAction() access.Action {
	if t.Kind == Internal {
		return access.Approve
	}
	return access.Respond
}

// CanDecide reports whether t, a transfer of case c, waits for its decision.
func (t *Transfer) CanDecide(c *cases.Case) bool {
	return t.Status == Requested && c.Status != cases.Closed
}

// CanWithdraw reports whether t may still be withdrawn: before it is decided.
func (t *Transfer) CanWithdraw() bool { return t.Status == Requested }

// Next is what someone may do next with a transfer: each step is true when
// both the transfer's state and the actor's access allow it, by the rules
// the operations apply.
type Next struct {
	Decide   bool // Decide: approve (internal) or accept, or decline
	Withdraw bool // Withdraw (the requesting side)
}

// NextFor returns what a may do next with t, a transfer of case c.
func (t *Transfer) NextFor(a access.Actor, c *cases.Case) Next {
	res := access.Resource{Kind: access.KindTransfer, Case: c.Ref(), Party: t.Party()}
	return Next{Decide: t.CanDecide(c) && access.Decide(a, t.DecideAction(), res).Allow,
		Withdraw: t.CanWithdraw() && access.Decide(a, access.Edit, res).Allow}
}

// Colleague reports whether u may receive case c by an internal transfer:
// an active caseworker or supervisor of c's agency, in a team, who is not
// its caseworker already.
func Colleague(u *org.User, c *cases.Case) bool {
	return org.MayBePrimary(u, c.AgencyID) && u.ID != c.CaseworkerID
}

// Receiver reports whether a, deciding external transfer t, may name u as
// the case's new caseworker: an active caseworker or supervisor of a's
// agency, in a team — a's own team when a is a supervisor, and the team t
// names, if any.
func Receiver(a access.Actor, t *Transfer, u *org.User) bool {
	return org.MayBePrimary(u, a.AgencyID) && (a.Role != org.Supervisor || u.TeamID == a.TeamID) &&
		(t.ToTeamID == "" || u.TeamID == t.ToTeamID)
}

// MayBulk says whether a may transfer every open case of a team at once:
// a manager, who may work on cases.
func MayBulk(a access.Actor) error {
	if a.Role != org.Manager || !access.CaseWork(a).Allow {
		return errs.E(errs.Forbidden, "bulk transfer")
	}
	return nil
}

// InboxTx is the storage Inbox needs.
type InboxTx interface {
	TransfersTo(ctx context.Context, agency, team string, limit int) ([]Transfer, error)
}

// Inbox lists the external transfers waiting for a's decision: for a
// manager those to a's agency, for a supervisor those to a's team or to no
// team, of the latest limit requested; nothing for anyone else.
func Inbox(ctx context.Context, tx InboxTx, a access.Actor, limit int) ([]Transfer, error) {
	if a.Role != org.Supervisor && a.Role != org.Manager {
		return nil, nil
	}
	team := ""
	if a.Role == org.Supervisor {
		team = a.TeamID
	}
	ts, err := tx.TransfersTo(ctx, a.AgencyID, team, limit)
	if err != nil {
		return nil, err
	}
	var out []Transfer
	for _, t := range ts {
		if access.Decide(a, access.Respond, access.Resource{Kind: access.KindTransfer, Party: t.Party()}).Allow {
			out = append(out, t)
		}
	}
	return out, nil
}

// Tx is the storage transfers need.
type Tx interface {
	consent.Tx
	cases.Tx
	Agency(ctx context.Context, id string) (*org.Agency, error)
	Users(ctx context.Context, agency string) ([]org.User, error)
	Team(ctx context.Context, id string) (*org.Team, error)
	InsertTransfer(ctx context.Context, t *Transfer) error
	UpdateTransfer(ctx context.Context, t *Transfer) error
	Transfer(ctx context.Context, id string) (*Transfer, error)
	CaseTransfers(ctx context.Context, caseID string) ([]Transfer, error)
	MoveCase(ctx context.Context, c *cases.Case, agency, team, caseworker string, supervisors []string, now time.Time) error
	CloseOpenConferences(ctx context.Context, caseID string, now time.Time) error
	RevokeCaseGrants(ctx context.Context, caseID string, via access.Channel, now time.Time) error
	InsertGrant(ctx context.Context, g *share.Record) error
	RevokeGrants(ctx context.Context, source string, now time.Time) error
	CaseGrants(ctx context.Context, caseID string) ([]access.Grant, error)
}

// Input is the transfer form.
type Input struct {
	Version           int      `json:"version"`
	ToAgencyID        string   `json:"to_agency_id,omitempty"` // empty or the case's agency: internal
	ToTeamID          string   `json:"to_team_id,omitempty"`
	ToUserID          string   `json:"to_user_id,omitempty"` // internal: the new caseworker
	Reason            string   `json:"reason"`
	ReasonNotes       string   `json:"reason_notes,omitempty"`
	Sections          []string `json:"sections,omitempty"` // external: what the receiving agency sees first
	FamilyToldOn      string   `json:"family_told_on"`
	FamilyToldTo      string   `json:"family_told_to"`
	FamilyToldWhy     string   `json:"family_told_why"`
	HandoverPlan      string   `json:"handover_plan"`
	WarmHandoverOn    string   `json:"warm_handover_on,omitempty"`
	NoWarmHandoverWhy string   `json:"no_warm_handover_why,omitempty"`
}

func text(f *errs.Fields, field, v string, required bool, max int) string {
	v = strings.TrimSpace(v)
	if (required && v == "") || len(v) > max {
		f.Add(field, "err.required")
	}
	return v
}

func date(f *errs.Fields, field, v string, required bool, now time.Time, future bool) string {
	if v == "" && !required {
		return ""
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil || (!future && d.After(now)) {
		f.Add(field, "err.date")
	}
	return v
}

// Request asks for case caseID to be transferred. An internal transfer
// requested by the case's supervisor is approved at once.
func Request(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*Transfer, error) {
	c, err := cases.Get(ctx, tx, a, access.Refer, access.Registration, caseID)
	if err != nil {
		return nil, err
	}
	t, err := build(ctx, tx, p, a, c, in, now)
	if err != nil {
		return nil, err
	}
	if c.Version != in.Version {
		return nil, &errs.ConflictError{Record: "case", Version: c.Version, Current: c}
	}
	return t, start(ctx, tx, p, a, c, t, now)
}

// build validates a transfer of c and returns it, not yet stored.
func build(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, c *cases.Case, in Input, now time.Time) (*Transfer, error) {
	var f errs.Fields
	t := &Transfer{CaseID: c.ID, FromAgencyID: c.AgencyID, FromTeamID: c.TeamID, FromCaseworkerID: c.CaseworkerID,
		ToAgencyID: in.ToAgencyID, Status: Requested, RequestedBy: a.UserID, RequestedAt: now, Version: 1}
	if t.ToAgencyID == "" {
		t.ToAgencyID = c.AgencyID
	}
	if !profile.Has(p.TransferReasons, in.Reason) {
		f.Add("reason", "err.choose")
	}
	t.Reason = in.Reason
	t.ReasonNotes = text(&f, "reason_notes", in.ReasonNotes, false, 2000)
	t.FamilyToldOn = date(&f, "family_told_on", in.FamilyToldOn, true, now, false)
	t.FamilyToldTo = text(&f, "family_told_to", in.FamilyToldTo, true, 200)
	t.FamilyToldWhy = text(&f, "family_told_why", in.FamilyToldWhy, true, 2000)
	t.HandoverPlan = text(&f, "handover_plan", in.HandoverPlan, true, 4000)
	t.WarmHandoverOn = date(&f, "warm_handover_on", in.WarmHandoverOn, false, now, true)
	t.NoWarmHandoverWhy = text(&f, "no_warm_handover_why", in.NoWarmHandoverWhy, t.WarmHandoverOn == "", 1000)
	if t.ToAgencyID == c.AgencyID {
		t.Kind, t.Basis = Internal, "internal"
		u, err := tx.User(ctx, in.ToUserID)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return nil, err
		}
		if err != nil || !Colleague(u, c) {
			f.Add("to_user_id", "err.caseworker")
		} else {
			t.ToUserID, t.ToTeamID = u.ID, u.TeamID
		}
	} else {
		t.Kind = External
		if _, err := tx.Agency(ctx, t.ToAgencyID); errs.KindOf(err) == errs.NotFound {
			f.Add("to_agency_id", "err.choose")
		} else if err != nil {
			return nil, err
		}
		if in.ToTeamID != "" {
			tm, err := tx.Team(ctx, in.ToTeamID)
			if err != nil && errs.KindOf(err) != errs.NotFound {
				return nil, err
			}
			if err != nil || tm.AgencyID != t.ToAgencyID {
				f.Add("to_team_id", "err.choose")
			}
			t.ToTeamID = in.ToTeamID
		}
		secs, ok := share.ParseSections(in.Sections)
		if !ok {
			f.Add("sections", "err.choose")
		}
		if len(secs) == 0 {
			secs = share.Minimum
		}
		t.Sections = secs
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	ts, err := tx.CaseTransfers(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, x := range ts {
		if x.Status == Requested {
			return nil, errs.Field("status", "err.transfer_open")
		}
	}
	if t.Kind == External {
		st, err := consent.Load(ctx, tx, p, c, now)
		if err != nil {
			return nil, err
		}
		if share.Excluded(st.Exclusions, t.ToAgencyID) {
			return nil, errs.Field("to_agency_id", "err.referral_excluded")
		}
		t.Basis, _ = share.Basis(st, "share_services")
		if t.Basis == "" {
			return nil, errs.Field("consent", "err.referral_no_consent")
		}
	}
	return t, nil
}

// start stores a validated transfer and tells whoever decides it.
func start(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, c *cases.Case, t *Transfer, now time.Time) error {
	if err := tx.InsertTransfer(ctx, t); err != nil {
		return err
	}
	if err := record(ctx, tx, a, t, "transfer.request", now); err != nil {
		return err
	}
	if t.Basis == share.BasisOverride {
		if err := share.TellFamily(ctx, tx, p, a, c, now); err != nil {
			return err
		}
	}
	if t.Kind == Internal {
		if a.Role == org.Supervisor && c.TeamID == a.TeamID {
			return approve(ctx, tx, p, a, c, t, now)
		}
		if err := cases.SupervisorTask(ctx, tx, p, c, deadline.TransferDecision, notify.TransferRequested, a.UserID, now); err != nil {
			return err
		}
		return tx.RefreshNextDue(ctx, c.ID)
	}
	// Who may decide sees what the transfer shares: the receiving agency's
	// managers, and its supervisors (of the named team, when one is named).
	grants := []access.Grant{{Via: access.ViaTransfer, AgencyID: t.ToAgencyID, Roles: []org.Role{org.Manager},
		Sections: t.Sections}, {Via: access.ViaTransfer, AgencyID: t.ToAgencyID, TeamID: t.ToTeamID,
		Roles: []org.Role{org.Supervisor}, Sections: t.Sections}}
	for _, g := range grants {
		if err := tx.InsertGrant(ctx, &share.Record{CaseID: c.ID, SourceID: t.ID, Grant: g, CreatedBy: a.UserID,
			CreatedAt: now}); err != nil {
			return err
		}
	}
	deciders, err := deciders(ctx, tx, t)
	if err != nil {
		return err
	}
	return notify.About(ctx, tx, deciders, notify.TransferRequested, c.ID, t.ID, a.UserID, now)
}

// deciders are who may accept an external transfer: the receiving agency's
// managers and its supervisors (of the named team, when one is named).
func deciders(ctx context.Context, tx Tx, t *Transfer) ([]string, error) {
	us, err := tx.Users(ctx, t.ToAgencyID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range us {
		if u.Active() && (u.Role == org.Manager || (u.Role == org.Supervisor && (t.ToTeamID == "" || u.TeamID == t.ToTeamID))) {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// Get loads transfer id for a to do act on it.
func Get(ctx context.Context, tx Tx, a access.Actor, act access.Action, id string) (*Transfer, *cases.Case, error) {
	t, err := tx.Transfer(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := tx.Case(ctx, t.CaseID)
	if err != nil {
		return nil, nil, err
	}
	res := access.Resource{Kind: access.KindTransfer, Case: c.Ref(), Party: t.Party()}
	if err := access.Check(a, act, res, "transfer", id, c.ID, c.AgencyID); err != nil {
		return nil, nil, err
	}
	return t, c, nil
}

// ReadTx is the storage Read needs.
type ReadTx interface {
	Tx
	share.ReadTx
}

// Reading is a transfer as someone reads it: the transfer, its case, and
// what it shares of the case with the receiving agency.
type Reading struct {
	Transfer *Transfer
	Case     *cases.Case
	Shared   *share.View // what the requested transfer shows the receiving agency; nil for anyone else
}

// Read loads transfer id for a to view. The receiving agency (anyone
// outside the case's scope) reads the sections it shares through its grant
// while it waits for a decision, under the read-time share rule
// (share.Read). The caller records the reading's Event before answering.
func Read(ctx context.Context, tx ReadTx, p *profile.Profile, a access.Actor, id string) (*Reading, error) {
	t, c, err := Get(ctx, tx, a, access.View, id)
	if err != nil {
		return nil, err
	}
	rd := &Reading{Transfer: t, Case: c}
	if t.Status == Requested && !access.InScope(a, c.Ref()) {
		src := share.Source{Via: access.ViaTransfer, ID: t.ID, ConsentScope: "share_services"}
		if rd.Shared, err = share.Read(ctx, tx, p, a, c, t.Sections, src); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// Event returns the audit event of the reading: share.view when it showed
// sections of the case, or else transfer.view, placed with the case's
// agency.
func (rd *Reading) Event() audit.Event {
	if e, ok := rd.Shared.Event(); ok {
		return e
	}
	return audit.Event{Action: "transfer.view", RecordType: "transfer", RecordID: rd.Transfer.ID, CaseID: rd.Case.ID,
		AgencyID: rd.Case.AgencyID}
}

// Decision is the answer to a transfer: accept (naming, for an external
// transfer, the receiving caseworker) or decline with a reason.
type Decision struct {
	Version       int    `json:"version"`
	Accept        bool   `json:"accept"`
	CaseworkerID  string `json:"caseworker_id,omitempty"`
	DeclineReason string `json:"decline_reason,omitempty"`
}

// Decide records the answer to transfer id: the case's supervisor for an
// internal transfer, the receiving agency for an external one.
func Decide(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, in Decision, now time.Time) (*Transfer, error) {
	t, err := tx.Transfer(ctx, id)
	if err != nil {
		return nil, err
	}
	t, c, err := Get(ctx, tx, a, t.DecideAction(), id)
	if err != nil {
		return nil, err
	}
	if t.Version != in.Version {
		return nil, &errs.ConflictError{Record: "transfer", Version: t.Version, Current: t}
	}
	if !t.CanDecide(c) {
		return nil, errs.Field("status", "err.transfer_state")
	}
	if !in.Accept {
		reason := strings.TrimSpace(in.DeclineReason)
		if reason == "" || len(reason) > 1000 {
			return nil, errs.Field("decline_reason", "err.required")
		}
		t.Status, t.DeclineReason, t.DecidedBy, t.DecidedAt = Declined, reason, a.UserID, now
		return t, closeOut(ctx, tx, a, c, t, notify.TransferDeclined, "transfer.decline", now)
	}
	if t.Kind == Internal {
		// The colleague named may have left or changed team since the request.
		u, err := tx.User(ctx, t.ToUserID)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return nil, err
		}
		if err != nil || !org.MayBePrimary(u, c.AgencyID) {
			return nil, errs.Field("to_user_id", "err.caseworker")
		}
		t.ToTeamID = u.TeamID
	}
	if t.Kind == External {
		u, err := tx.User(ctx, in.CaseworkerID)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return nil, err
		}
		if err != nil || !Receiver(a, t, u) {
			return nil, errs.Field("caseworker_id", "err.caseworker")
		}
		t.ToUserID, t.ToTeamID = u.ID, u.TeamID
	}
	return t, approve(ctx, tx, p, a, c, t, now)
}

// approve moves the case to the transfer's receiver.
func approve(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, c *cases.Case, t *Transfer, now time.Time) error {
	sups, err := tx.TeamSupervisors(ctx, t.ToTeamID)
	if err != nil {
		return err
	}
	if err := tx.MoveCase(ctx, c, t.ToAgencyID, t.ToTeamID, t.ToUserID, sups, now); err != nil {
		return err
	}
	if t.Kind == External {
		// The sending agency's ways in end with the move: its break-glass
		// readers and the conferences it called.
		if err := tx.RevokeCaseGrants(ctx, c.ID, access.ViaBreakGlass, now); err != nil {
			return err
		}
		if err := tx.CloseOpenConferences(ctx, c.ID, now); err != nil {
			return err
		}
	}
	if t.Kind == Internal {
		t.ApprovedBy, t.ApprovedAt = a.UserID, now
	}
	t.Status, t.DecidedBy, t.DecidedAt = Accepted, a.UserID, now
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.TransferDecision, a.UserID, now); err != nil {
		return err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return err
	}
	if err := notify.Send(ctx, tx, []string{t.ToUserID}, notify.TransferReceived, c.ID, a.UserID, now); err != nil {
		return err
	}
	return closeOut(ctx, tx, a, c, t, notify.TransferAccepted, "transfer.accept", now)
}

// closeOut stores the decided transfer, ends its grant, tells the sender
// and audits action.
func closeOut(ctx context.Context, tx Tx, a access.Actor, c *cases.Case, t *Transfer, k notify.Kind, action string, now time.Time) error {
	if err := tx.UpdateTransfer(ctx, t); err != nil {
		return err
	}
	if err := tx.RevokeGrants(ctx, t.ID, now); err != nil {
		return err
	}
	if t.Status == Declined && t.Kind == Internal {
		if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.TransferDecision, a.UserID, now); err != nil {
			return err
		}
		if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
			return err
		}
	}
	if err := notify.About(ctx, tx, []string{t.RequestedBy, t.FromCaseworkerID}, k, c.ID, t.ID, a.UserID, now); err != nil {
		return err
	}
	return record(ctx, tx, a, t, action, now)
}

// Withdraw takes back a transfer not yet decided.
func Withdraw(ctx context.Context, tx Tx, a access.Actor, id string, version int, now time.Time) (*Transfer, error) {
	t, c, err := Get(ctx, tx, a, access.Edit, id)
	if err != nil {
		return nil, err
	}
	if t.Version != version {
		return nil, &errs.ConflictError{Record: "transfer", Version: t.Version, Current: t}
	}
	if !t.CanWithdraw() {
		return nil, errs.Field("status", "err.transfer_state")
	}
	t.Status, t.DecidedBy, t.DecidedAt = Withdrawn, a.UserID, now
	if err := tx.UpdateTransfer(ctx, t); err != nil {
		return nil, err
	}
	if err := tx.RevokeGrants(ctx, t.ID, now); err != nil {
		return nil, err
	}
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.TransferDecision, a.UserID, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	return t, record(ctx, tx, a, t, "transfer.withdraw", now)
}

func record(ctx context.Context, tx Tx, a access.Actor, t *Transfer, action string, now time.Time) error {
	detail, _ := json.Marshal(map[string]any{"kind": t.Kind, "status": t.Status, "reason": t.Reason,
		"from_agency": t.FromAgencyID, "to_agency": t.ToAgencyID, "to_team": t.ToTeamID, "to_user": t.ToUserID,
		"sections": share.Names(t.Sections), "basis": t.Basis})
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: action,
		RecordType: "transfer", RecordID: t.ID, CaseID: t.CaseID, AgencyID: t.FromAgencyID, Detail: string(detail)})
}

// BulkInput is a programme closing: every open case of a team goes to
// another agency, with one reason, one family-notification note and one
// handover plan.
type BulkInput struct {
	TeamID string `json:"team_id"`
	Input
}

// BulkResult says what a bulk transfer did with each case.
type BulkResult struct {
	BatchID   string
	Requested []string          // case IDs
	Skipped   map[string]string // case ID → why (no consent, already in transfer, …)
}

// BulkTx is the storage BulkTeam needs: Tx and the open cases of a team.
type BulkTx interface {
	Tx
	OpenCaseIDsOfTeam(ctx context.Context, team, agency string) ([]string, error)
}

// BulkTeam requests the external transfer of every open case of team
// in.TeamID of a's agency (Bulk): a team without open cases is a field
// error on team_id. Whether a may is decided first, so that the answer
// tells someone who may not nothing of the team.
func BulkTeam(ctx context.Context, tx BulkTx, p *profile.Profile, a access.Actor, in BulkInput, now time.Time) (*BulkResult, error) {
	if err := MayBulk(a); err != nil {
		return nil, err
	}
	ids, err := tx.OpenCaseIDsOfTeam(ctx, in.TeamID, a.AgencyID)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errs.Field("team_id", "err.bulk_empty")
	}
	return Bulk(ctx, tx, p, a, ids, in, now)
}

// Bulk requests the external transfer of every open case of a team (a
// manager of the agency, for a programme that closes). Cases that cannot
// be transferred — no consent to share, a transfer already open, an
// excluded agency — are skipped and listed; the others go in one batch.
func Bulk(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseIDs []string, in BulkInput, now time.Time) (*BulkResult, error) {
	if err := MayBulk(a); err != nil {
		return nil, err
	}
	if in.ToAgencyID == "" || in.ToAgencyID == a.AgencyID {
		return nil, errs.Field("to_agency_id", "err.choose")
	}
	res := &BulkResult{BatchID: newBatch(), Skipped: map[string]string{}}
	for _, id := range caseIDs {
		c, err := cases.Get(ctx, tx, a, access.Assign, access.Registration, id)
		if err != nil {
			return nil, err
		}
		if c.Status == cases.Closed || c.TeamID != in.TeamID {
			continue
		}
		one := in.Input
		one.Version = c.Version
		t, err := build(ctx, tx, p, a, c, one, now)
		if f, ok := errs.AsFields(err); ok && len(f) == 1 && caseBound[f[0].Field] {
			res.Skipped[c.ID] = f[0].Msg
			continue
		}
		if err != nil {
			return nil, err
		}
		t.BatchID = res.BatchID
		if err := start(ctx, tx, p, a, c, t, now); err != nil {
			return nil, err
		}
		res.Requested = append(res.Requested, c.ID)
	}
	return res, nil
}

// caseBound are the fields of the errors that belong to one case of a bulk
// transfer (the case is skipped); any other error is the form's.
var caseBound = map[string]bool{"consent": true, "to_agency_id": true, "status": true}

// newBatch names a bulk transfer.
func newBatch() string { return uuid.Must(uuid.NewV7()).String() }
