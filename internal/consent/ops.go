package consent

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
)

// Tx is the storage the consent operations need, inside one transaction.
type Tx interface {
	Case(ctx context.Context, id string) (*cases.Case, error)
	Identity(ctx context.Context, caseID string) (*cases.Identity, error)
	CasePeople(ctx context.Context, caseID string) ([]cases.Person, error)
	Consents(ctx context.Context, caseID string) ([]Record, error)
	Overrides(ctx context.Context, caseID string) ([]Override, error)
	InsertConsent(ctx context.Context, r *Record) error
	UpdateConsent(ctx context.Context, r *Record) error
	InsertOverride(ctx context.Context, o *Override) error
	UpdateOverride(ctx context.Context, o *Override) error
	Exclusions(ctx context.Context, caseID string) ([]Exclusion, error)
	InsertExclusion(ctx context.Context, e *Exclusion) error
	UpdateExclusion(ctx context.Context, e *Exclusion) error
	AgencyExists(ctx context.Context, id string) (bool, error)
	InsertDeadline(ctx context.Context, d *deadline.Deadline) error
	RefreshNextDue(ctx context.Context, caseID string) error
	TeamSupervisors(ctx context.Context, teamID string) ([]string, error)
	InsertNotification(ctx context.Context, n *notify.Notification) error
	Record(ctx context.Context, e audit.Event) error
}

// State is everything the consent page shows about one case.
type State struct {
	Case       *cases.Case
	Age        *int
	Band       *profile.AgeBand
	Scopes     []ScopeStatus
	Records    []Record
	Overrides  []Override
	Exclusions []Exclusion
	People     []cases.Person
}

// Load returns the consent state of case c at now.
func Load(ctx context.Context, tx Tx, p *profile.Profile, c *cases.Case, now time.Time) (*State, error) {
	id, err := tx.Identity(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	people, err := tx.CasePeople(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	recs, err := tx.Consents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	ovs, err := tx.Overrides(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	ex, err := tx.Exclusions(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	st := &State{Case: c, Age: cases.AgeAt(c, id, now), Records: recs, Overrides: ovs, Exclusions: ex, People: people}
	if st.Age != nil {
		if b, ok := p.Band(*st.Age); ok {
			st.Band = &b
		}
	}
	var caregivers []cases.Person
	for _, x := range people {
		if x.IsCaregiver {
			caregivers = append(caregivers, x)
		}
	}
	st.Scopes = Evaluate(p, Facts{Type: c.Type, Age: st.Age, Caregivers: caregivers, Since: c.ConsentSince}, recs, ovs)
	return st, nil
}

// Gate refuses to record anything beyond registration on case c unless its
// gate scope (collect and store) is satisfied or overridden.
func Gate(ctx context.Context, tx Tx, p *profile.Profile, c *cases.Case, now time.Time) error {
	st, err := Load(ctx, tx, p, c, now)
	if err != nil {
		return err
	}
	if !Allows(st.Scopes, p.GateScope()) {
		return errs.Field("consent", "err.consent_gate")
	}
	return nil
}

// Input is the form for recording a consent or assent.
type Input struct {
	Scope                  string `json:"scope"`
	Giver                  string `json:"giver"`
	PersonID               string `json:"person_id,omitempty"`
	Kind                   string `json:"kind"`
	Decision               string `json:"decision"`
	Method                 string `json:"method"`
	ObtainedOn             string `json:"obtained_on"`
	ToldMandatoryReporting bool   `json:"told_mandatory_reporting"`
	Notes                  string `json:"notes"`
}

// Add records consent or assent on case caseID by actor a.
func Add(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*Record, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Consent, caseID)
	if err != nil {
		return nil, err
	}
	in.ObtainedOn, in.Notes = strings.TrimSpace(in.ObtainedOn), strings.TrimSpace(in.Notes)
	var f errs.Fields
	if _, ok := p.ScopeByKey(in.Scope); !ok {
		f.Add("scope", "err.choose")
	}
	if !slices.Contains(Givers, in.Giver) {
		f.Add("giver", "err.choose")
	}
	if !slices.Contains([]string{KindConsent, KindAssent}, in.Kind) {
		f.Add("kind", "err.choose")
	}
	if !slices.Contains([]string{Given, Refused}, in.Decision) {
		f.Add("decision", "err.choose")
	}
	if !slices.Contains(Methods, in.Method) {
		f.Add("method", "err.choose")
	}
	today := p.Today(now)
	if in.ObtainedOn == "" {
		in.ObtainedOn = today
	}
	if _, err := time.Parse(time.DateOnly, in.ObtainedOn); err != nil {
		f.Add("obtained_on", "err.date")
	} else if in.ObtainedOn > today {
		f.Add("obtained_on", "err.future")
	} else if in.ObtainedOn < "1990-01-01" {
		f.Add("obtained_on", "err.date")
	}
	if len(in.Notes) > 4000 {
		f.Add("notes", "err.too_long", 4000)
	}
	if in.PersonID != "" {
		people, err := tx.CasePeople(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		found := false
		for _, x := range people {
			if x.ID == in.PersonID {
				found = true
				if x.AllegedPerpetrator {
					f.Add("person_id", "err.perpetrator_consent")
				}
			}
		}
		if !found {
			f.Add("person_id", "err.choose")
		}
		if in.Giver == Self {
			f.Add("person_id", "err.person_self")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	r := &Record{CaseID: c.ID, Scope: in.Scope, Giver: in.Giver, PersonID: in.PersonID, Kind: in.Kind,
		Decision: in.Decision, Method: in.Method, ObtainedOn: in.ObtainedOn, ObtainedBy: a.UserID,
		ToldMandatoryReporting: in.ToldMandatoryReporting, Notes: in.Notes, CreatedAt: now, Version: 1}
	return r, insert(ctx, tx, a, c, r, now)
}

// insert stores consent record r of case c and audits it (its scope,
// giver, kind and decision: never its notes).
func insert(ctx context.Context, tx Tx, a access.Actor, c *cases.Case, r *Record, now time.Time) error {
	if err := tx.InsertConsent(ctx, r); err != nil {
		return err
	}
	detail, _ := json.Marshal(map[string]string{"scope": r.Scope, "giver": r.Giver, "kind": r.Kind, "decision": r.Decision})
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "consent.record", RecordType: "consent", RecordID: r.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// Withdraw records the withdrawal of consent record id (read at version) on
// case caseID. A withdrawal is discussed with the supervisor: it creates a task.
func Withdraw(ctx context.Context, tx Tx, a access.Actor, caseID, id string, version int, reason string, now time.Time) (*Record, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Consent, caseID)
	if err != nil {
		return nil, err
	}
	recs, err := tx.Consents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var r *Record
	for i := range recs {
		if recs[i].ID == id {
			r = &recs[i]
		}
	}
	if r == nil {
		return nil, errs.E(errs.NotFound, "consent %s", id)
	}
	if r.Version != version {
		return nil, &errs.ConflictError{Record: "consent", Version: r.Version, Current: r}
	}
	if !r.Active() {
		return nil, errs.Field("consent", "err.not_active")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 4000 {
		return nil, errs.Field("withdrawal_reason", "err.required")
	}
	r.WithdrawnAt, r.WithdrawnBy, r.WithdrawalReason = now, a.UserID, reason
	if err := tx.UpdateConsent(ctx, r); err != nil {
		return nil, err
	}
	due := now.Add(deadline.ConsentWithdrawnWithin)
	if err := tx.InsertDeadline(ctx, &deadline.Deadline{CaseID: c.ID, Kind: deadline.ConsentWithdrawn, AnchorAt: now,
		DueAt: due, AssigneeID: c.CaseworkerID, TeamID: c.TeamID, AgencyID: c.AgencyID, CreatedAt: now}); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	// A withdrawal is discussed with the supervisor (L3069-3070).
	if err := notify.Supervisors(ctx, tx, c.TeamID, notify.ConsentWithdrawn, c.ID, a.UserID, now); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]string{"scope": r.Scope, "giver": r.Giver})
	return r, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "consent.withdraw", RecordType: "consent", RecordID: r.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// OverrideInput is the supervisor's override form.
type OverrideInput struct {
	Scope  string `json:"scope"`
	Basis  string `json:"basis"`
	Reason string `json:"reason"`
}

// AddOverride records a supervisor's decision to proceed on case caseID
// without the consent of one scope. Only the case's supervisor may.
func AddOverride(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in OverrideInput, now time.Time) (*Override, error) {
	c, err := cases.Get(ctx, tx, a, access.Approve, access.Consent, caseID)
	if err != nil {
		return nil, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	var f errs.Fields
	if _, ok := p.ScopeByKey(in.Scope); !ok {
		f.Add("scope", "err.choose")
	}
	if !slices.Contains(Bases, in.Basis) {
		f.Add("basis", "err.choose")
	}
	if len(in.Reason) < 10 || len(in.Reason) > 4000 {
		f.Add("reason", "err.override_reason")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	ovs, err := tx.Overrides(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range ovs {
		if o.Scope == in.Scope && o.Active() {
			return nil, errs.Field("scope", "err.override_exists")
		}
	}
	o := &Override{CaseID: c.ID, Scope: in.Scope, Basis: in.Basis, Reason: in.Reason, ApprovedBy: a.UserID, ApprovedAt: now}
	if err := tx.InsertOverride(ctx, o); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]string{"scope": o.Scope, "basis": o.Basis})
	return o, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "consent.override", RecordType: "consent_override", RecordID: o.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

// RevokeOverride ends override id on case caseID.
func RevokeOverride(ctx context.Context, tx Tx, a access.Actor, caseID, id string, now time.Time) error {
	c, err := cases.Get(ctx, tx, a, access.Approve, access.Consent, caseID)
	if err != nil {
		return err
	}
	ovs, err := tx.Overrides(ctx, c.ID)
	if err != nil {
		return err
	}
	for i := range ovs {
		o := &ovs[i]
		if o.ID != id {
			continue
		}
		if !o.Active() {
			return errs.Field("override", "err.not_active")
		}
		o.RevokedAt, o.RevokedBy = now, a.UserID
		if err := tx.UpdateOverride(ctx, o); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "consent.override_revoke", RecordType: "consent_override",
			RecordID: o.ID, CaseID: c.ID, AgencyID: c.AgencyID})
	}
	return errs.E(errs.NotFound, "override %s", id)
}

// ExclusionInput is the form for adding to the sharing exclusion list.
type ExclusionInput struct {
	Kind     string `json:"kind"` // person or agency
	AgencyID string `json:"agency_id,omitempty"`
	Name     string `json:"name,omitempty"`
	Reason   string `json:"reason"`
}

// AddExclusion adds a person or agency the family does not want anything
// shared with to case caseID's exclusion list.
func AddExclusion(ctx context.Context, tx Tx, a access.Actor, caseID string, in ExclusionInput, now time.Time) (*Exclusion, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Consent, caseID)
	if err != nil {
		return nil, err
	}
	in.Name, in.Reason = strings.TrimSpace(in.Name), strings.TrimSpace(in.Reason)
	var f errs.Fields
	switch in.Kind {
	case "person":
		if in.Name == "" || len(in.Name) > 200 {
			f.Add("name", "err.required")
		}
		in.AgencyID = ""
	case "agency":
		ok, err := tx.AgencyExists(ctx, in.AgencyID)
		if err != nil {
			return nil, err
		}
		if !ok {
			f.Add("agency_id", "err.choose")
		}
		in.Name = ""
	default:
		f.Add("kind", "err.choose")
	}
	if len(in.Reason) > 4000 {
		f.Add("reason", "err.too_long", 4000)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	e := &Exclusion{CaseID: c.ID, Kind: in.Kind, AgencyID: in.AgencyID, Name: in.Name, Reason: in.Reason,
		AddedBy: a.UserID, AddedAt: now}
	if err := tx.InsertExclusion(ctx, e); err != nil {
		return nil, err
	}
	return e, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "consent.exclusion_add", RecordType: "sharing_exclusion",
		RecordID: e.ID, CaseID: c.ID, AgencyID: c.AgencyID})
}

// RemoveExclusion takes exclusion id off case caseID's list.
func RemoveExclusion(ctx context.Context, tx Tx, a access.Actor, caseID, id string, now time.Time) error {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Consent, caseID)
	if err != nil {
		return err
	}
	ex, err := tx.Exclusions(ctx, c.ID)
	if err != nil {
		return err
	}
	for i := range ex {
		e := &ex[i]
		if e.ID != id || !e.InForce() {
			continue
		}
		e.RemovedAt, e.RemovedBy = now, a.UserID
		if err := tx.UpdateExclusion(ctx, e); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "consent.exclusion_remove", RecordType: "sharing_exclusion",
			RecordID: e.ID, CaseID: c.ID, AgencyID: c.AgencyID})
	}
	return errs.E(errs.NotFound, "exclusion %s", id)
}
