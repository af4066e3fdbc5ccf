// Package referral sends a case (or, stand-alone, a screened person) to a
// service in the directory, sharing exactly the sections the sender chose
// and only under recorded consent or a supervisor's override. The receiving
// service sees those sections while the referral is open, answers it, and
// records the service it gave; the case stays with its caseworker, who
// records the outcome.
package referral

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/share"
)

// The states of a referral: sent → accepted or declined → provided →
// closed (outcome recorded). The sender may withdraw one not yet provided.
const (
	Sent      = "sent"
	Accepted  = "accepted"
	Declined  = "declined"
	Provided  = "provided"
	Closed    = "closed"
	Withdrawn = "withdrawn"
)

// The bases on which a referral shares information.
const (
	BasisConsent  = share.BasisConsent  // consent to share recorded on the case
	BasisOverride = share.BasisOverride // a supervisor's override of that consent
	BasisForm     = "form"              // stand-alone: consent recorded on the referral itself
)

// StandAloneOutcome is the screening outcome that leads to a stand-alone referral.
const StandAloneOutcome = "standalone_referral"

// TracingType is the service type that needs consent to disclose for tracing.
const TracingType = "family_tracing"

// Referral is one referral.
type Referral struct {
	ID            string
	CaseID        string // "" for a stand-alone referral
	ScreeningID   string // a stand-alone referral's screening
	ActionID      string // the plan action it carries out, if any
	ServiceID     string
	FromAgencyID  string
	ToAgencyID    string // "" when the service is not in this deployment
	ToUserID      string // the named receiver, if any
	ServiceType   string
	Reason        string
	Urgent        bool
	Sections      []access.Section
	Basis         string
	ConsentID     string
	OverrideID    string
	ConsentGiver  string // stand-alone: who gave consent
	ConsentOn     string // stand-alone: when
	Status        string
	ResponseDue   time.Time // zero when the service gives no average time
	DeclineReason string
	ServiceNote   string
	Outcome       string
	SentBy        string
	SentAt        time.Time
	RespondedBy   string
	RespondedAt   time.Time
	ProvidedAt    time.Time
	OutcomeAt     time.Time
	Version       int

	// Filled when listing.
	CaseCode     string
	Organisation string
}

// Open reports whether the referral still grants its sections.
func (r *Referral) Open() bool {
	return r.Status == Sent || r.Status == Accepted || r.Status == Provided
}

// Overdue reports whether the service has not answered in its average time.
func (r *Referral) Overdue(now time.Time) bool {
	return r.Status == Sent && !r.ResponseDue.IsZero() && now.After(r.ResponseDue)
}

// Party returns what access decisions need to know of r.
func (r *Referral) Party() access.Party {
	return access.Party{FromAgencyID: r.FromAgencyID, SenderID: r.SentBy, ToAgencyID: r.ToAgencyID, ToUserID: r.ToUserID,
		Open: r.Open()}
}

// CanAnswer reports whether r waits for its receiver's answer (accept or
// decline).
func (r *Referral) CanAnswer() bool { return r.Status == Sent }

// CanRecordService reports whether r waits for the service it asked for
// (the receiver accepted it and has not recorded the service yet).
func (r *Referral) CanRecordService() bool { return r.Status == Accepted }

// CanClose reports whether the sender may record r's outcome and close it:
// once it is answered (accepted, declined) or the service given.
func (r *Referral) CanClose() bool {
	return r.Status == Accepted || r.Status == Declined || r.Status == Provided
}

// CanWithdraw reports whether the sender may still withdraw r: before the
// service is given.
func (r *Referral) CanWithdraw() bool { return r.Status == Sent || r.Status == Accepted }

// Next is what someone may do next with a referral: each step is true when
// both the referral's state and the actor's access allow it, by the rules
// the operations apply.
type Next struct {
	Answer   bool // Respond: accept or decline (the receiver)
	Service  bool // RecordService (the receiver)
	Close    bool // RecordOutcome: the outcome (the sender's side)
	Withdraw bool // RecordOutcome with Withdraw (the sender's side)
}

// Outcome reports whether the sender's outcome form has anything to do:
// close or withdraw.
func (n Next) Outcome() bool { return n.Close || n.Withdraw }

// NextFor returns what a may do next with r, a referral of case c (the zero
// Case for a stand-alone referral).
func (r *Referral) NextFor(a access.Actor, c access.Case) Next {
	res := access.Resource{Kind: access.KindReferral, Case: c, Party: r.Party()}
	respond := access.Decide(a, access.Respond, res).Allow
	edit := access.Decide(a, access.Edit, res).Allow
	return Next{Answer: respond && r.CanAnswer(), Service: respond && r.CanRecordService(), Close: edit && r.CanClose(),
		Withdraw: edit && r.CanWithdraw()}
}

// Shares reports whether r shares section s.
func (r *Referral) Shares(s access.Section) bool { return slices.Contains(r.Sections, s) }

// Tx is the storage referrals need.
type Tx interface {
	consent.Tx
	cases.Tx
	DirectoryService(ctx context.Context, id string) (*directory.Service, error)
	Plans(ctx context.Context, caseID string) ([]plan.Plan, error)
	InsertReferral(ctx context.Context, r *Referral) error
	UpdateReferral(ctx context.Context, r *Referral) error
	Referral(ctx context.Context, id string) (*Referral, error)
	CaseReferrals(ctx context.Context, caseID string) ([]Referral, error)
	InsertGrant(ctx context.Context, g *share.Record) error
	RevokeGrants(ctx context.Context, source string, now time.Time) error
	CaseGrants(ctx context.Context, caseID string) ([]access.Grant, error)
	Users(ctx context.Context, agency string) ([]org.User, error)
}

// Input is the referral form.
type Input struct {
	ServiceID      string   `json:"service_id"`
	ToUserID       string   `json:"to_user_id,omitempty"`
	ServiceType    string   `json:"service_type,omitempty"` // defaults to the service's sector
	ActionID       string   `json:"action_id,omitempty"`
	Reason         string   `json:"reason"`
	Urgent         bool     `json:"urgent,omitempty"`
	Sections       []string `json:"sections"`
	OverrideReason string   `json:"override_reason,omitempty"` // a supervisor sharing without consent
	ConfirmEnded   bool     `json:"confirm_ended,omitempty"`   // refer although the service's project has ended
	// Stand-alone referrals record consent on the form.
	ConsentGiver string `json:"consent_giver,omitempty"`
	ConsentOn    string `json:"consent_on,omitempty"`
}

// ConsentScope is the consent scope a referral to service type t needs.
func ConsentScope(t string) string {
	if t == TracingType {
		return "disclose_tracing"
	}
	return "share_services"
}

// Send refers case caseID to a directory service on behalf of a.
func Send(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*Referral, error) {
	c, err := cases.Get(ctx, tx, a, access.Refer, access.Services, caseID)
	if err != nil {
		return nil, err
	}
	var f errs.Fields
	svc, err := checkService(ctx, tx, p, in, now, &f)
	if err != nil {
		return nil, err
	}
	secs, ok := share.ParseSections(in.Sections)
	if !ok {
		f.Add("sections", "err.choose")
	} else if len(secs) == 0 {
		f.Add("sections", "err.referral_sections")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || len(in.Reason) > 2000 {
		f.Add("reason", "err.required")
	}
	if in.ActionID != "" {
		found, err := planAction(ctx, tx, c.ID, in.ActionID)
		if err != nil {
			return nil, err
		}
		if !found {
			f.Add("action_id", "err.choose")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	r := &Referral{CaseID: c.ID, ActionID: in.ActionID, ServiceID: svc.ID, FromAgencyID: c.AgencyID,
		ToAgencyID: svc.AgencyID, ServiceType: in.ServiceType, Reason: in.Reason, Urgent: in.Urgent, Sections: secs,
		Status: Sent, SentBy: a.UserID, SentAt: now, Version: 1}
	if r.ServiceType == "" {
		r.ServiceType = svc.Sector
	}
	if r.ToUserID, err = receiver(ctx, tx, svc, in.ToUserID); err != nil {
		return nil, err
	}
	st, err := consent.Load(ctx, tx, p, c, now)
	if err != nil {
		return nil, err
	}
	if err := excluded(ctx, tx, st.Exclusions, svc, r.ToUserID); err != nil {
		return nil, err
	}
	if err := basis(ctx, tx, p, a, c, st, r, in.OverrideReason, now); err != nil {
		return nil, err
	}
	if svc.AvgDays > 0 {
		r.ResponseDue = now.Add(time.Duration(svc.AvgDays) * 24 * time.Hour)
	}
	if err := tx.InsertReferral(ctx, r); err != nil {
		return nil, err
	}
	if r.ToAgencyID != "" {
		g := access.Grant{Via: access.ViaReferral, UserID: r.ToUserID, Sections: secs}
		if g.UserID == "" {
			g.AgencyID, g.Roles = r.ToAgencyID, []org.Role{org.ServiceProvider}
		}
		if err := tx.InsertGrant(ctx, &share.Record{CaseID: c.ID, SourceID: r.ID, Grant: g, CreatedBy: a.UserID,
			CreatedAt: now}); err != nil {
			return nil, err
		}
		to, err := receivers(ctx, tx, r)
		if err != nil {
			return nil, err
		}
		if err := notify.About(ctx, tx, to, notify.ReferralReceived, c.ID, r.ID, a.UserID, now); err != nil {
			return nil, err
		}
	}
	if !r.ResponseDue.IsZero() {
		if err := cases.AddDeadline(ctx, tx, p, c, deadline.ReferralResponse, r.ResponseDue, c.CaseworkerID, now); err != nil {
			return nil, err
		}
		if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	return r, tx.Record(ctx, shareEvent(a, r, c.AgencyID, now))
}

// shareEvent is the audit event of a referral's share: which sections went
// to which agency, on which basis (never their content).
func shareEvent(a access.Actor, r *Referral, agency string, now time.Time) audit.Event {
	detail, _ := json.Marshal(map[string]any{"sections": share.Names(r.Sections), "basis": r.Basis,
		"to_agency": r.ToAgencyID, "to_user": r.ToUserID, "service": r.ServiceID, "service_type": r.ServiceType})
	return audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "referral.share",
		RecordType: "referral", RecordID: r.ID, CaseID: r.CaseID, AgencyID: agency, Detail: string(detail)}
}

// checkService finds the directory entry the form names and checks that it
// may be referred to, adding what is wrong to f. Only a missing entry is the
// form's error; any other is returned.
func checkService(ctx context.Context, tx Tx, p *profile.Profile, in Input, now time.Time, f *errs.Fields) (*directory.Service, error) {
	svc, err := tx.DirectoryService(ctx, in.ServiceID)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return nil, err
	}
	if err != nil || !svc.Active {
		f.Add("service_id", "err.choose")
		return &directory.Service{}, nil
	}
	if in.ServiceType != "" && !profile.Has(p.ReferralServiceTypes, in.ServiceType) {
		f.Add("service_type", "err.choose")
	}
	if svc.Ended(now.In(p.Location()).Format(time.DateOnly)) && !in.ConfirmEnded {
		f.Add("service_id", "err.referral_ended", svc.ProjectEnd)
	}
	return svc, nil
}

// receiver returns the user a referral to svc names: the one the sender
// chose, or the service's focal point, when they work at its agency.
func receiver(ctx context.Context, tx Tx, svc *directory.Service, chosen string) (string, error) {
	id := chosen
	if id == "" {
		id = svc.FocalUserID
	}
	if id == "" || svc.AgencyID == "" {
		if chosen != "" {
			return "", errs.Field("to_user_id", "err.choose")
		}
		return "", nil
	}
	u, err := tx.User(ctx, id)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return "", err
	}
	if err != nil || u.AgencyID != svc.AgencyID || !u.Active() || !receiverRole(u.Role) {
		if chosen != "" {
			return "", errs.Field("to_user_id", "err.choose")
		}
		return "", nil // a stale focal point: the agency's service providers receive it
	}
	return u.ID, nil
}

// receiverRole reports whether a user of role r may receive a referral by
// name: those who give services or manage cases, never administrators,
// officers or volunteers, who see no case content.
func receiverRole(r org.Role) bool {
	switch r {
	case org.ServiceProvider, org.Caseworker, org.Supervisor, org.Manager:
		return true
	}
	return false
}

// HasInbox says whether a has a coordination inbox: whoever may receive a
// referral by name (receiverRole) and may work on cases.
func HasInbox(a access.Actor) error {
	if !receiverRole(a.Role) || !access.CaseWork(a).Allow {
		return errs.E(errs.Forbidden, "coordination inbox")
	}
	return nil
}

// InboxTx is the storage Inbox needs.
type InboxTx interface {
	ReferralsTo(ctx context.Context, agency, user string, providers bool, limit int) ([]Referral, error)
	ReferralsFrom(ctx context.Context, agency string, limit int) ([]Referral, error)
}

// Inbox lists the open referrals waiting for a — addressed to a by name,
// or, for a service provider, to the providers of a's agency — the longest
// waiting first, at most limit; and, for case management staff, the
// stand-alone referrals of a's agency, the latest sentLimit.
func Inbox(ctx context.Context, tx InboxTx, a access.Actor, limit, sentLimit int) (to, sent []Referral, err error) {
	if err := HasInbox(a); err != nil {
		return nil, nil, err
	}
	if to, err = tx.ReferralsTo(ctx, a.AgencyID, a.UserID, a.Role == org.ServiceProvider, limit); err != nil {
		return nil, nil, err
	}
	if a.Role == org.Caseworker || a.Role == org.Supervisor || a.Role == org.Manager {
		if sent, err = tx.ReferralsFrom(ctx, a.AgencyID, sentLimit); err != nil {
			return nil, nil, err
		}
	}
	return to, sent, nil
}

// receivers lists who is told of a referral: its named user, or the
// receiving agency's active service providers.
func receivers(ctx context.Context, tx Tx, r *Referral) ([]string, error) {
	if r.ToUserID != "" {
		return []string{r.ToUserID}, nil
	}
	us, err := tx.Users(ctx, r.ToAgencyID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range us {
		if u.Role == org.ServiceProvider && u.Active() {
			out = append(out, u.ID)
		}
	}
	return out, nil
}

// excluded refuses a referral to an agency or person on the case's sharing
// exclusion list: the service's agency, organisation or focal point, or
// the user it is addressed to.
func excluded(ctx context.Context, tx Tx, ex []consent.Exclusion, svc *directory.Service, toUser string) error {
	names := []string{svc.Organisation, svc.FocalPoint}
	if toUser != "" {
		u, err := tx.User(ctx, toUser)
		if err != nil {
			return err // receiver found toUser a moment ago
		}
		names = append(names, u.DisplayName)
	}
	if share.Excluded(ex, svc.AgencyID, names...) {
		return errs.Field("service_id", "err.referral_excluded")
	}
	return nil
}

// basis decides on which consent r shares: recorded consent, an active
// override, or — for a supervisor who states a reason — a new override.
// A share under an override opens a task to tell the family and notifies
// the caseworker.
func basis(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, c *cases.Case, st *consent.State, r *Referral,
	reason string, now time.Time) error {
	key := ConsentScope(r.ServiceType)
	switch b, o := share.Basis(st, key); b {
	case share.BasisConsent:
		r.Basis = BasisConsent
		for _, rec := range st.Records {
			if rec.Scope == key && rec.Active() {
				r.ConsentID = rec.ID
			}
		}
		return nil
	case share.BasisOverride:
		r.Basis, r.OverrideID = BasisOverride, o.ID
		return share.TellFamily(ctx, tx, p, a, c, now)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || !MayOverride(a) {
		return errs.Field("consent", "err.referral_no_consent")
	}
	o, err := consent.AddOverride(ctx, tx, p, a, c.ID, consent.OverrideInput{Scope: key, Basis: "best_interests",
		Reason: reason}, now)
	if err != nil {
		return err
	}
	r.Basis, r.OverrideID = BasisOverride, o.ID
	return share.TellFamily(ctx, tx, p, a, c, now)
}

// planAction reports whether action id is one of the case's plans'.
// MayOverride reports whether a may share under a new override of the
// case's consent, stating a reason: a supervisor.
func MayOverride(a access.Actor) bool { return a.Role == org.Supervisor }

func planAction(ctx context.Context, tx Tx, caseID, id string) (bool, error) {
	ps, err := tx.Plans(ctx, caseID)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		for _, x := range p.Actions {
			if x.ID == id {
				return true, nil
			}
		}
	}
	return false, nil
}

// MayReferFrom answers whether a may open the stand-alone referral form of
// screening id: nil, or not found (a screening a may not read answers like
// a missing one). StandAlone checks the same.
func MayReferFrom(ctx context.Context, tx Tx, a access.Actor, id string) error {
	_, err := screeningOf(ctx, tx, a, id)
	return err
}

// screeningOf reads screening id for a, who must be one who screens in its
// agency.
func screeningOf(ctx context.Context, tx Tx, a access.Actor, id string) (*intake.Screening, error) {
	sc, err := tx.Screening(ctx, id)
	if err != nil {
		return nil, err
	}
	if !access.Decide(a, access.Screen, access.Resource{Kind: access.KindIdentification, AgencyID: sc.AgencyID}).Allow {
		return nil, errs.E(errs.NotFound, "screening")
	}
	return sc, nil
}

// StandAlone refers a screened person who has no case (the screening found
// them not eligible for case management, or a stand-alone referral is what
// they need). Nothing of a case file exists to share: the receiver sees the
// referral's reason, and consent to share it is recorded on the form.
func StandAlone(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, screeningID string, in Input,
	now time.Time) (*Referral, error) {
	sc, err := screeningOf(ctx, tx, a, screeningID)
	if err != nil {
		return nil, err
	}
	// Only a screening that found a stand-alone referral, with no case: a
	// person with a case is referred from the case, under its consent
	// records and exclusion list.
	if sc.Outcome != StandAloneOutcome || sc.CaseID != "" {
		return nil, errs.Field("screening", "err.referral_not_standalone")
	}
	var f errs.Fields
	svc, err := checkService(ctx, tx, p, in, now, &f)
	if err != nil {
		return nil, err
	}
	if svc.AgencyID == "" && svc.ID != "" {
		f.Add("service_id", "err.referral_outside")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" || len(in.Reason) > 2000 {
		f.Add("reason", "err.required")
	}
	if g := strings.TrimSpace(in.ConsentGiver); g == "" || len(g) > 200 {
		f.Add("consent_giver", "err.required")
	}
	if d, err := time.Parse(time.DateOnly, in.ConsentOn); err != nil || d.After(now) {
		f.Add("consent_on", "err.date")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	r := &Referral{ScreeningID: sc.ID, ServiceID: svc.ID, FromAgencyID: a.AgencyID, ToAgencyID: svc.AgencyID,
		ServiceType: svc.Sector, Reason: in.Reason, Urgent: in.Urgent, Basis: BasisForm,
		ConsentGiver: strings.TrimSpace(in.ConsentGiver), ConsentOn: in.ConsentOn, Status: Sent, SentBy: a.UserID,
		SentAt: now, Version: 1}
	if in.ServiceType != "" {
		r.ServiceType = in.ServiceType
	}
	if r.ToUserID, err = receiver(ctx, tx, svc, in.ToUserID); err != nil {
		return nil, err
	}
	if svc.AvgDays > 0 {
		r.ResponseDue = now.Add(time.Duration(svc.AvgDays) * 24 * time.Hour)
	}
	if err := tx.InsertReferral(ctx, r); err != nil {
		return nil, err
	}
	to, err := receivers(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	if err := notify.About(ctx, tx, to, notify.ReferralReceived, "", r.ID, a.UserID, now); err != nil {
		return nil, err
	}
	return r, tx.Record(ctx, shareEvent(a, r, a.AgencyID, now))
}

// Get loads referral id for a to do act on it: its sender's side (whoever
// may see the case) or its receiver.
func Get(ctx context.Context, tx Tx, a access.Actor, act access.Action, id string) (*Referral, error) {
	r, _, err := get(ctx, tx, a, act, id)
	return r, err
}

// get is Get, returning the referred case too (nil for a stand-alone
// referral).
func get(ctx context.Context, tx Tx, a access.Actor, act access.Action, id string) (*Referral, *cases.Case, error) {
	r, err := tx.Referral(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var c *cases.Case
	var ref access.Case
	if r.CaseID != "" {
		if c, err = tx.Case(ctx, r.CaseID); err != nil {
			return nil, nil, err
		}
		ref = c.Ref()
	}
	res := access.Resource{Kind: access.KindReferral, Case: ref, Party: r.Party()}
	if err := access.Check(a, act, res, "referral", id, r.CaseID, r.FromAgencyID); err != nil {
		return nil, nil, err
	}
	return r, c, nil
}

// ReadTx is the storage Read needs.
type ReadTx interface {
	Tx
	share.ReadTx
}

// Reading is a referral as someone reads it: the referral, its case, and
// what it shares of the case with its receiver.
type Reading struct {
	Referral *Referral
	Case     *cases.Case // the referred case; nil for a stand-alone referral
	Sender   bool        // the reader works on the case: the sending side
	Shared   *share.View // what the open referral shows its receiver of the case; nil for anyone else
}

// Read loads referral id for a to view. Its receiver (anyone outside the
// case's scope) reads the sections it shares through its grant while it is
// open, under the read-time share rule (share.Read). The caller records the
// reading's Event before answering.
func Read(ctx context.Context, tx ReadTx, p *profile.Profile, a access.Actor, id string) (*Reading, error) {
	r, c, err := get(ctx, tx, a, access.View, id)
	if err != nil {
		return nil, err
	}
	rd := &Reading{Referral: r, Case: c}
	if c == nil {
		return rd, nil
	}
	rd.Sender = access.InScope(a, c.Ref())
	if !rd.Sender && r.Open() {
		src := share.Source{Via: access.ViaReferral, ID: r.ID, ConsentScope: ConsentScope(r.ServiceType)}
		if rd.Shared, err = share.Read(ctx, tx, p, a, c, r.Sections, src); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// Next returns what a, who read it, may do next with the referral.
func (rd *Reading) Next(a access.Actor) Next {
	var ref access.Case
	if rd.Case != nil {
		ref = rd.Case.Ref()
	}
	return rd.Referral.NextFor(a, ref)
}

// Event returns the audit event of the reading: share.view when it showed
// sections of the case, or else referral.view — the referral itself (its
// reason, state and outcome) belongs to the case's record — placed with
// the case's agency (the sending agency's, for a stand-alone referral).
func (rd *Reading) Event() audit.Event {
	if e, ok := rd.Shared.Event(); ok {
		return e
	}
	r, agency := rd.Referral, rd.Referral.FromAgencyID
	if rd.Case != nil {
		agency = rd.Case.AgencyID
	}
	return audit.Event{Action: "referral.view", RecordType: "referral", RecordID: r.ID, CaseID: r.CaseID, AgencyID: agency}
}

// Answer is the receiver's answer: accept, or decline with a reason.
type Answer struct {
	Version       int    `json:"version"`
	Accept        bool   `json:"accept"`
	DeclineReason string `json:"decline_reason,omitempty"`
}

// Respond records the receiving service's answer to referral id.
func Respond(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, in Answer, now time.Time) (*Referral, error) {
	r, err := Get(ctx, tx, a, access.Respond, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(r, in.Version); err != nil {
		return nil, err
	}
	if !r.CanAnswer() {
		return nil, errs.Field("status", "err.referral_state")
	}
	in.DeclineReason = strings.TrimSpace(in.DeclineReason)
	kind := notify.ReferralAccepted
	if in.Accept {
		r.Status = Accepted
	} else {
		if in.DeclineReason == "" || len(in.DeclineReason) > 1000 {
			return nil, errs.Field("decline_reason", "err.required")
		}
		r.Status, r.DeclineReason, kind = Declined, in.DeclineReason, notify.ReferralDeclined
	}
	r.RespondedBy, r.RespondedAt = a.UserID, now
	return r, finish(ctx, tx, p, a, r, kind, "referral."+r.Status, now)
}

// ServiceInput is the receiver's record of the service given.
type ServiceInput struct {
	Version int    `json:"version"`
	Note    string `json:"service_note"`
}

// RecordService records that the receiving service gave its service.
func RecordService(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, in ServiceInput, now time.Time) (*Referral, error) {
	r, err := Get(ctx, tx, a, access.Respond, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(r, in.Version); err != nil {
		return nil, err
	}
	if !r.CanRecordService() {
		return nil, errs.Field("status", "err.referral_state")
	}
	if n := strings.TrimSpace(in.Note); n == "" || len(n) > 2000 {
		return nil, errs.Field("service_note", "err.required")
	}
	r.Status, r.ServiceNote, r.ProvidedAt = Provided, strings.TrimSpace(in.Note), now
	return r, finish(ctx, tx, p, a, r, notify.ReferralProvided, "referral.provided", now)
}

// OutcomeInput is the sender's record of how the referral ended.
type OutcomeInput struct {
	Version  int    `json:"version"`
	Outcome  string `json:"outcome"`
	Withdraw bool   `json:"withdraw,omitempty"` // withdraw a referral not yet provided
}

// RecordOutcome closes a referral with its outcome (or withdraws it), on
// the sending side. Its grant ends.
func RecordOutcome(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, in OutcomeInput, now time.Time) (*Referral, error) {
	r, err := Get(ctx, tx, a, access.Edit, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(r, in.Version); err != nil {
		return nil, err
	}
	out := strings.TrimSpace(in.Outcome)
	if out == "" || len(out) > 2000 {
		return nil, errs.Field("outcome", "err.required")
	}
	switch {
	case in.Withdraw && r.CanWithdraw():
		r.Status = Withdrawn
	case !in.Withdraw && r.CanClose():
		r.Status = Closed
	default:
		return nil, errs.Field("status", "err.referral_state")
	}
	r.Outcome, r.OutcomeAt = out, now
	return r, finish(ctx, tx, p, a, r, "", "referral."+r.Status, now)
}

func checkVersion(r *Referral, v int) error {
	if v != r.Version {
		return &errs.ConflictError{Record: "referral", Version: r.Version, Current: r}
	}
	return nil
}

// finish stores a state change of r: it ends the grant when the referral is
// no longer open, completes the response deadline once answered, tells the
// other side (kind, when not empty) and audits action.
func finish(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, r *Referral, kind notify.Kind, action string,
	now time.Time) error {
	if err := tx.UpdateReferral(ctx, r); err != nil {
		return err
	}
	if !r.Open() {
		if err := tx.RevokeGrants(ctx, r.ID, now); err != nil {
			return err
		}
	}
	if r.CaseID != "" && r.Status != Sent {
		c, err := tx.Case(ctx, r.CaseID)
		if err != nil {
			return err
		}
		if err := answered(ctx, tx, c, r, a, now); err != nil {
			return err
		}
	}
	if kind != "" {
		if err := notify.About(ctx, tx, []string{r.SentBy}, kind, r.CaseID, r.ID, a.UserID, now); err != nil {
			return err
		}
	}
	detail, _ := json.Marshal(map[string]string{"status": r.Status})
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: action,
		RecordType: "referral", RecordID: r.ID, CaseID: r.CaseID, AgencyID: r.FromAgencyID, Detail: string(detail)})
}

// answered completes this referral's response deadline: the open
// referral-response deadline of the case anchored at its answer's due time
// (each referral opens its own), and any left whose referral no longer
// waits.
func answered(ctx context.Context, tx Tx, c *cases.Case, r *Referral, a access.Actor, now time.Time) error {
	rs, err := tx.CaseReferrals(ctx, c.ID)
	if err != nil {
		return err
	}
	waiting := map[int64]bool{}
	for _, x := range rs {
		if x.Status == Sent && !x.ResponseDue.IsZero() {
			waiting[x.ResponseDue.UnixMilli()] = true
		}
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return err
	}
	changed := false
	for _, d := range ds {
		if d.Kind != deadline.ReferralResponse || !d.Open() || waiting[d.AnchorAt.UnixMilli()] {
			continue
		}
		d.DoneAt, d.DoneBy = now, a.UserID
		if err := tx.UpdateDeadline(ctx, &d); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return tx.RefreshNextDue(ctx, c.ID)
}
