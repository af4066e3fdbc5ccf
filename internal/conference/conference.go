// Package conference runs case conferences: a meeting about one case, with
// a reason, participants from our agency and others, the situation (summary,
// risks, needs, services), decisions, action items with an owner and a due
// date, and each participant's sign-off. Participants from another agency
// need consent to share and see only the sections chosen for the
// conference, while it is open.
package conference

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/share"
)

// The states of a conference.
const (
	Scheduled = "scheduled"
	Held      = "held"   // the record is written; participants sign it off
	Closed    = "closed" // every participant signed off, or the caseworker closed it
)

// Conference is one case conference.
type Conference struct {
	ID           string
	CaseID       string
	Reason       string
	ScheduledAt  time.Time
	Place        string
	Sections     []access.Section // what external participants see
	Basis        string           // with external participants: consent or override; "" without
	Summary      string
	Risks        string
	Needs        string
	Services     string
	Decisions    string
	Status       string
	CreatedBy    string
	CreatedAt    time.Time
	HeldAt       time.Time
	ClosedAt     time.Time
	Version      int
	Participants []Participant
	Actions      []Action

	CaseCode string // filled when listing
}

// Participant is one person at the conference.
type Participant struct {
	ID          string
	UserID      string
	External    bool // of another agency than the case's
	SignedOffAt time.Time
	Name        string // filled when reading
	AgencyName  string
}

// Action is one action item the conference agreed.
type Action struct {
	ID           string
	Description  string
	OwnerID      string
	DueOn        string
	PlanActionID string
	OwnerName    string // filled when reading
}

// Party returns what access decisions need to know of c.
func (c *Conference) Party() access.Party {
	p := access.Party{SenderID: c.CreatedBy, Open: c.Status != Closed}
	for _, x := range c.Participants {
		p.Users = append(p.Users, x.UserID)
	}
	return p
}

// Participant returns the participant who is user, or nil.
func (c *Conference) Participant(user string) *Participant {
	for i := range c.Participants {
		if c.Participants[i].UserID == user {
			return &c.Participants[i]
		}
	}
	return nil
}

// Written reports whether c's record has been written (it is held or
// closed after it was).
func (c *Conference) Written() bool { return c.Status != Scheduled }

// CanRecord reports whether c's record may be written, or written again:
// until it closes.
func (c *Conference) CanRecord() bool { return c.Status != Closed }

// CanSignOff reports whether user may sign off c's record: a participant
// who has not yet signed, once it is written and before it closes.
func (c *Conference) CanSignOff(user string) bool {
	me := c.Participant(user)
	return c.Status == Held && me != nil && me.SignedOffAt.IsZero()
}

// SignedOff reports whether user signed off c's record.
func (c *Conference) SignedOff(user string) bool {
	me := c.Participant(user)
	return me != nil && !me.SignedOffAt.IsZero()
}

// CanClose reports whether c may be closed without every sign-off: until
// it closes (a scheduled one, whose record is not written, is called off).
func (c *Conference) CanClose() bool { return c.Status != Closed }

// Next is what someone may do next with a conference: each step is true
// when both the conference's state and the actor's access allow it, by the
// rules the operations apply.
type Next struct {
	Record  bool // Record: write (or rewrite) the record
	SignOff bool // SignOff
	Close   bool // Close without every sign-off, once the record is written
}

// NextFor returns what a may do next with conf, a conference of case c.
func (conf *Conference) NextFor(a access.Actor, c *cases.Case) Next {
	res := access.Resource{Kind: access.KindConference, Case: c.Ref(), Party: conf.Party()}
	edit := access.Decide(a, access.Edit, res).Allow
	return Next{Record: edit && conf.CanRecord(), Close: edit && conf.CanClose() && conf.Written(),
		SignOff: conf.CanSignOff(a.UserID) && access.Decide(a, access.Respond, res).Allow}
}

// Tx is the storage conferences need.
type Tx interface {
	consent.Tx
	cases.Tx
	InsertConference(ctx context.Context, c *Conference) error
	UpdateConference(ctx context.Context, c *Conference) error
	Conference(ctx context.Context, id string) (*Conference, error)
	InsertGrant(ctx context.Context, g *share.Record) error
	RevokeGrants(ctx context.Context, source string, now time.Time) error
	CaseGrants(ctx context.Context, caseID string) ([]access.Grant, error)
}

// Input schedules a conference.
type Input struct {
	Reason       string   `json:"reason"`
	ScheduledAt  string   `json:"scheduled_at"` // yyyy-mm-ddThh:mm, the deployment's time zone
	Place        string   `json:"place,omitempty"`
	Sections     []string `json:"sections,omitempty"`
	Participants []string `json:"participants"` // user IDs
}

// Schedule calls a conference on case caseID.
func Schedule(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*Conference, error) {
	c, err := cases.Get(ctx, tx, a, access.Refer, access.Plan, caseID)
	if err != nil {
		return nil, err
	}
	var f errs.Fields
	conf := &Conference{CaseID: c.ID, Status: Scheduled, CreatedBy: a.UserID, CreatedAt: now, Version: 1}
	if conf.Reason = strings.TrimSpace(in.Reason); conf.Reason == "" || len(conf.Reason) > 2000 {
		f.Add("reason", "err.required")
	}
	at, err := time.ParseInLocation("2006-01-02T15:04", in.ScheduledAt, p.Location())
	if err != nil {
		f.Add("scheduled_at", "err.date")
	}
	conf.ScheduledAt = at
	if conf.Place = strings.TrimSpace(in.Place); len(conf.Place) > 200 {
		f.Add("place", "err.too_long")
	}
	secs, ok := share.ParseSections(in.Sections)
	if !ok {
		f.Add("sections", "err.choose")
	}
	if len(secs) == 0 {
		secs = share.Minimum
	}
	conf.Sections = secs
	external := false
	for _, id := range in.Participants {
		if id == "" || conf.Participant(id) != nil {
			continue
		}
		u, err := tx.User(ctx, id)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return nil, err
		}
		if err != nil || !u.Active() || (u.Role != org.Caseworker && u.Role != org.Supervisor && u.Role != org.Manager &&
			u.Role != org.ServiceProvider) {
			f.Add("participants", "err.choose")
			continue
		}
		x := Participant{UserID: u.ID, External: u.AgencyID != c.AgencyID}
		external = external || x.External
		conf.Participants = append(conf.Participants, x)
	}
	if conf.Participant(a.UserID) == nil {
		conf.Participants = append([]Participant{{UserID: a.UserID}}, conf.Participants...)
	}
	if len(conf.Participants) < 2 {
		f.Add("participants", "err.conference_participants")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if external {
		if err := mayShare(ctx, tx, p, a, c, conf, now); err != nil {
			return nil, err
		}
	}
	if err := tx.InsertConference(ctx, conf); err != nil {
		return nil, err
	}
	var invited []string
	for _, x := range conf.Participants {
		invited = append(invited, x.UserID)
		if !x.External {
			continue
		}
		if err := tx.InsertGrant(ctx, &share.Record{CaseID: c.ID, SourceID: conf.ID, Grant: access.Grant{
			Via: access.ViaConference, UserID: x.UserID, Sections: conf.Sections}, CreatedBy: a.UserID, CreatedAt: now}); err != nil {
			return nil, err
		}
	}
	if err := notify.About(ctx, tx, invited, notify.ConferenceInvited, c.ID, conf.ID, a.UserID, now); err != nil {
		return nil, err
	}
	return conf, record(ctx, tx, a, c, conf, "conference.schedule", now)
}

// mayShare refuses external participants without consent to share, or from
// an agency the family excluded.
func mayShare(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, c *cases.Case, conf *Conference, now time.Time) error {
	st, err := consent.Load(ctx, tx, p, c, now)
	if err != nil {
		return err
	}
	if conf.Basis, _ = share.Basis(st, "share_services"); conf.Basis == "" {
		return errs.Field("participants", "err.conference_no_consent")
	}
	for _, x := range conf.Participants {
		if !x.External {
			continue
		}
		u, err := tx.User(ctx, x.UserID)
		if err != nil {
			return err
		}
		if share.Excluded(st.Exclusions, u.AgencyID, u.DisplayName) {
			return errs.Field("participants", "err.referral_excluded")
		}
	}
	if conf.Basis == share.BasisOverride {
		return share.TellFamily(ctx, tx, p, a, c, now)
	}
	return nil
}

func record(ctx context.Context, tx Tx, a access.Actor, c *cases.Case, conf *Conference, action string, now time.Time) error {
	var ext []string
	for _, x := range conf.Participants {
		if x.External {
			ext = append(ext, x.UserID)
		}
	}
	detail, _ := json.Marshal(map[string]any{"status": conf.Status, "participants": len(conf.Participants),
		"external": ext, "sections": share.Names(conf.Sections)})
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: action,
		RecordType: "conference", RecordID: conf.ID, CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// Get loads conference id for a to do act on it.
func Get(ctx context.Context, tx Tx, a access.Actor, act access.Action, id string) (*Conference, *cases.Case, error) {
	conf, err := tx.Conference(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := tx.Case(ctx, conf.CaseID)
	if err != nil {
		return nil, nil, err
	}
	res := access.Resource{Kind: access.KindConference, Case: c.Ref(), Party: conf.Party()}
	if err := access.Check(a, act, res, "conference", id, c.ID, c.AgencyID); err != nil {
		return nil, nil, err
	}
	return conf, c, nil
}

// ReadTx is the storage Read needs.
type ReadTx interface {
	Tx
	share.ReadTx
}

// Reading is a conference as someone reads it: the conference, its case,
// and what it shares of the case with an external participant.
type Reading struct {
	Conference *Conference
	Case       *cases.Case
	Staff      bool        // the reader works on the case
	Shared     *share.View // what the open conference shows a participant outside the case; nil for anyone else
}

// Read loads conference id for a to view. A participant outside the
// case's scope reads the sections it shares through its grant until it
// closes, under the read-time share rule (share.Read). The caller records
// the reading's Event before answering.
func Read(ctx context.Context, tx ReadTx, p *profile.Profile, a access.Actor, id string) (*Reading, error) {
	conf, c, err := Get(ctx, tx, a, access.View, id)
	if err != nil {
		return nil, err
	}
	rd := &Reading{Conference: conf, Case: c, Staff: access.InScope(a, c.Ref())}
	if !rd.Staff && conf.Status != Closed {
		src := share.Source{Via: access.ViaConference, ID: conf.ID, ConsentScope: "share_services"}
		if rd.Shared, err = share.Read(ctx, tx, p, a, c, conf.Sections, src); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// Event returns the audit event of the reading: share.view when it showed
// sections of the case, or else conference.view, placed with the case's
// agency.
func (rd *Reading) Event() audit.Event {
	if e, ok := rd.Shared.Event(); ok {
		return e
	}
	return audit.Event{Action: "conference.view", RecordType: "conference", RecordID: rd.Conference.ID,
		CaseID: rd.Case.ID, AgencyID: rd.Case.AgencyID}
}

// ActionInput is one action item of the record.
type ActionInput struct {
	Description string `json:"description"`
	OwnerID     string `json:"owner_id"`
	DueOn       string `json:"due_on"`
}

// RecordInput is what the conference discussed and decided.
type RecordInput struct {
	Version   int           `json:"version"`
	Summary   string        `json:"summary"`
	Risks     string        `json:"risks"`
	Needs     string        `json:"needs"`
	Services  string        `json:"services"`
	Decisions string        `json:"decisions"`
	Actions   []ActionInput `json:"actions"`
}

// Record writes the conference's record; participants are asked to sign
// it off. Writing it again (before sign-off is complete) replaces it, and
// earlier sign-offs are cleared: they signed a different text.
func Record(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, in RecordInput, now time.Time) (*Conference, error) {
	conf, c, err := Get(ctx, tx, a, access.Edit, id)
	if err != nil {
		return nil, err
	}
	if conf.Version != in.Version {
		return nil, &errs.ConflictError{Record: "conference", Version: conf.Version, Current: conf}
	}
	if !conf.CanRecord() {
		return nil, errs.Field("status", "err.conference_closed")
	}
	var f errs.Fields
	field := func(name, v string, required bool) string {
		v = strings.TrimSpace(v)
		if (required && v == "") || len(v) > 8000 {
			f.Add(name, "err.required")
		}
		return v
	}
	conf.Summary = field("summary", in.Summary, true)
	conf.Risks = field("risks", in.Risks, false)
	conf.Needs = field("needs", in.Needs, false)
	conf.Services = field("services", in.Services, false)
	conf.Decisions = field("decisions", in.Decisions, true)
	conf.Actions = nil
	for i, x := range in.Actions {
		if strings.TrimSpace(x.Description+x.OwnerID+x.DueOn) == "" {
			continue
		}
		act := Action{Description: strings.TrimSpace(x.Description), OwnerID: x.OwnerID, DueOn: x.DueOn}
		prefix := "actions." + strconv.Itoa(i) + "."
		if act.Description == "" || len(act.Description) > 1000 {
			f.Add(prefix+"description", "err.required")
		}
		if conf.Participant(x.OwnerID) == nil {
			f.Add(prefix+"owner_id", "err.choose")
		}
		if _, err := time.Parse(time.DateOnly, x.DueOn); err != nil {
			f.Add(prefix+"due_on", "err.date")
		}
		conf.Actions = append(conf.Actions, act)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	conf.Status, conf.HeldAt = Held, now
	for i := range conf.Participants {
		conf.Participants[i].SignedOffAt = time.Time{}
	}
	signOff(conf, a.UserID, now) // the writer signs what they wrote
	if err := tx.UpdateConference(ctx, conf); err != nil {
		return nil, err
	}
	var others []string
	for _, x := range conf.Participants {
		others = append(others, x.UserID)
	}
	if err := notify.About(ctx, tx, others, notify.ConferenceChanged, c.ID, conf.ID, a.UserID, now); err != nil {
		return nil, err
	}
	return conf, record(ctx, tx, a, c, conf, "conference.record", now)
}

func signOff(conf *Conference, user string, now time.Time) {
	if x := conf.Participant(user); x != nil && x.SignedOffAt.IsZero() {
		x.SignedOffAt = now
	}
}

// SignOff records a participant's agreement with the record. Once every
// participant has signed, the conference closes and external participants'
// access ends.
func SignOff(ctx context.Context, tx Tx, a access.Actor, id string, version int, now time.Time) (*Conference, error) {
	conf, c, err := Get(ctx, tx, a, access.Respond, id)
	if err != nil {
		return nil, err
	}
	if conf.Version != version {
		return nil, &errs.ConflictError{Record: "conference", Version: conf.Version, Current: conf}
	}
	if conf.Status == Held && conf.SignedOff(a.UserID) {
		return conf, nil // signed already
	}
	if !conf.CanSignOff(a.UserID) {
		return nil, errs.Field("status", "err.conference_not_held")
	}
	signOff(conf, a.UserID, now)
	if !slices.ContainsFunc(conf.Participants, func(x Participant) bool { return x.SignedOffAt.IsZero() }) {
		conf.Status, conf.ClosedAt = Closed, now
	}
	if err := tx.UpdateConference(ctx, conf); err != nil {
		return nil, err
	}
	if conf.Status == Closed {
		if err := tx.RevokeGrants(ctx, conf.ID, now); err != nil {
			return nil, err
		}
	}
	return conf, record(ctx, tx, a, c, conf, "conference.sign_off", now)
}

// Close ends a conference without every sign-off (a participant left the
// agency, say); external participants' access ends.
func Close(ctx context.Context, tx Tx, a access.Actor, id string, version int, now time.Time) (*Conference, error) {
	conf, c, err := Get(ctx, tx, a, access.Edit, id)
	if err != nil {
		return nil, err
	}
	if conf.Version != version {
		return nil, &errs.ConflictError{Record: "conference", Version: conf.Version, Current: conf}
	}
	if !conf.CanClose() {
		return conf, nil // closed already
	}
	conf.Status, conf.ClosedAt = Closed, now
	if err := tx.UpdateConference(ctx, conf); err != nil {
		return nil, err
	}
	if err := tx.RevokeGrants(ctx, conf.ID, now); err != nil {
		return nil, err
	}
	return conf, record(ctx, tx, a, c, conf, "conference.close", now)
}
