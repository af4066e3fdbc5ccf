package cases

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// Registration is the registration form (and the registration section of
// the API). Nobody is pressed to answer: a field listed in Declined counts as
// answered.
type Registration struct {
	Type               string   `json:"type"`
	ScreeningID        string   `json:"screening_id,omitempty"`
	CaseworkerID       string   `json:"caseworker_id,omitempty"`
	GivenName          string   `json:"given_name"`
	FamilyName         string   `json:"family_name"`
	OtherNames         string   `json:"other_names"`
	DateOfBirth        string   `json:"date_of_birth"`
	Age                *int     `json:"age"`
	AgeEstimated       bool     `json:"age_estimated"`
	Sex                string   `json:"sex"`
	RegisteredOn       string   `json:"registered_on"`
	ReferredOn         string   `json:"referred_on"`
	RegistrationPlace  string   `json:"registration_place"`
	Location           string   `json:"location"`
	Address            string   `json:"address"`
	Contact            string   `json:"contact"`
	RegistrationNumber string   `json:"registration_number"`
	CareStatus         string   `json:"care_status"`
	CareArrangement    string   `json:"care_arrangement"`
	Source             string   `json:"source"`
	Concerns           []string `json:"concerns"`
	Needs              string   `json:"needs"`
	UrgentNeeds        string   `json:"urgent_needs"`
	Additional         string   `json:"additional"`
	Urgent             bool     `json:"urgent"`
	RiskLevel          string   `json:"risk_level"`
	RiskReason         string   `json:"risk_reason"`
	Declined           []string `json:"declined"`
	// DifferentChild confirms that the child is not one of the possible
	// duplicates the registration was warned of (RegisterChecked).
	DifferentChild bool `json:"different_child,omitempty"`

	confirmed []string // codes of the possible duplicates confirmed as other children
}

// Declinable lists the fields a person may decline to answer.
var Declinable = []string{"name", "age", "sex", "location", "contact", "care_status", "concerns"}

func (r *Registration) declines(field string) bool {
	for _, f := range r.Declined {
		if f == field {
			return true
		}
	}
	return false
}

// normalize trims text and drops unknown or duplicate declined fields.
func (r *Registration) normalize() {
	for _, s := range []*string{&r.GivenName, &r.FamilyName, &r.OtherNames, &r.DateOfBirth, &r.Sex,
		&r.RegisteredOn, &r.ReferredOn, &r.RegistrationPlace, &r.Location, &r.Address, &r.Contact,
		&r.RegistrationNumber, &r.Needs, &r.UrgentNeeds, &r.Additional, &r.RiskReason} {
		*s = strings.TrimSpace(*s)
	}
	seen := map[string]bool{}
	var keep []string
	for _, f := range r.Declined {
		for _, d := range Declinable {
			if f == d && !seen[f] {
				seen[f] = true
				keep = append(keep, f)
			}
		}
	}
	sort.Strings(keep)
	r.Declined = keep
}

// Text limits, in bytes.
const (
	maxShort = 200
	maxLong  = 4000
)

// validate checks r against the profile at now (in the profile's calendar).
func (r *Registration) validate(p *profile.Profile, now time.Time) errs.Fields {
	var f errs.Fields
	r.normalize()
	if r.Type != profile.CP && r.Type != profile.GBV {
		f.Add("type", "err.choose")
	}
	if r.GivenName == "" && r.FamilyName == "" && !r.declines("name") {
		f.Add("given_name", "err.required_or_declined")
	}
	today := now.Format(time.DateOnly)
	if r.DateOfBirth != "" {
		dob, err := time.Parse(time.DateOnly, r.DateOfBirth)
		switch {
		case err != nil:
			f.Add("date_of_birth", "err.date")
		case r.DateOfBirth > today:
			f.Add("date_of_birth", "err.future")
		case YearsBetween(dob, now) > 120:
			f.Add("date_of_birth", "err.age")
		default:
			a := YearsBetween(dob, now)
			if r.Age != nil && (*r.Age < a-1 || *r.Age > a+1) {
				f.Add("age", "err.age_dob_mismatch", a)
			}
			if r.Age == nil {
				r.Age = &a
			}
		}
	}
	switch {
	case r.Age == nil && !r.declines("age"):
		f.Add("age", "err.required_or_declined")
	case r.Age != nil && (*r.Age < 0 || *r.Age > 120):
		f.Add("age", "err.age")
	case r.Age != nil && r.Type == profile.CP && *r.Age >= p.AdultAge:
		f.Add("age", "err.cp_adult", p.AdultAge)
	}
	if r.Sex == "" && !r.declines("sex") {
		f.Add("sex", "err.required_or_declined")
	} else if r.Sex != "" && !intake.ValidSex(r.Sex) {
		f.Add("sex", "err.choose")
	}
	if r.RegisteredOn == "" {
		r.RegisteredOn = today
	}
	if _, err := time.Parse(time.DateOnly, r.RegisteredOn); err != nil {
		f.Add("registered_on", "err.date")
	} else if r.RegisteredOn > today {
		f.Add("registered_on", "err.future")
	} else if r.RegisteredOn < "1990-01-01" {
		f.Add("registered_on", "err.date")
	}
	if r.ReferredOn != "" {
		if _, err := time.Parse(time.DateOnly, r.ReferredOn); err != nil {
			f.Add("referred_on", "err.date")
		} else if r.ReferredOn > r.RegisteredOn {
			f.Add("referred_on", "err.referred_after_registered")
		}
	}
	if r.Location == "" && !r.declines("location") {
		f.Add("location", "err.required_or_declined")
	}
	if r.Contact == "" && !r.declines("contact") {
		f.Add("contact", "err.required_or_declined")
	}
	adult := r.Age != nil && *r.Age >= p.AdultAge
	if r.CareStatus == "" && !r.declines("care_status") && !adult {
		f.Add("care_status", "err.required_or_declined")
	} else if r.CareStatus != "" && !profile.Has(p.CareStatuses, r.CareStatus) {
		f.Add("care_status", "err.choose")
	}
	if r.CareArrangement != "" && !profile.Has(p.CareArrangements, r.CareArrangement) {
		f.Add("care_arrangement", "err.choose")
	}
	if r.Source != "" && !profile.Has(p.IdentificationSources, r.Source) {
		f.Add("source", "err.choose")
	}
	if len(r.Concerns) == 0 && !r.declines("concerns") {
		f.Add("concerns", "err.required_or_declined")
	}
	seen := map[string]bool{}
	for _, c := range r.Concerns {
		if !profile.Has(p.ProtectionConcerns, c) || seen[c] {
			f.Add("concerns", "err.choose")
			break
		}
		seen[c] = true
	}
	switch r.RiskLevel {
	case profile.High, profile.Medium, profile.Low:
	case profile.NoRisk:
		f.Add("risk_level", "err.no_risk_registration")
	default:
		f.Add("risk_level", "err.choose")
	}
	if r.RiskReason == "" {
		f.Add("risk_reason", "err.risk_reason")
	}
	if r.Urgent && r.UrgentNeeds == "" {
		f.Add("urgent_needs", "err.urgent_needs")
	}
	if r.RegistrationNumber != "" && !p.RegistrationNumber {
		f.Add("registration_number", "err.not_in_profile")
	}
	for field, v := range map[string]string{"given_name": r.GivenName, "family_name": r.FamilyName,
		"other_names": r.OtherNames, "registration_place": r.RegistrationPlace, "location": r.Location,
		"address": r.Address, "contact": r.Contact, "registration_number": r.RegistrationNumber,
		"risk_reason": r.RiskReason} {
		if len(v) > maxShort {
			f.Add(field, "err.too_long", maxShort)
		}
	}
	for field, v := range map[string]string{"needs": r.Needs, "urgent_needs": r.UrgentNeeds, "additional": r.Additional} {
		if len(v) > maxLong {
			f.Add(field, "err.too_long", maxLong)
		}
	}
	sort.Slice(f, func(i, j int) bool { return f[i].Field < f[j].Field })
	return f
}

// Tx is the storage the case operations need, inside one transaction.
type Tx interface {
	Case(ctx context.Context, id string) (*Case, error)
	Identity(ctx context.Context, caseID string) (*Identity, error)
	InsertCase(ctx context.Context, c *Case, id *Identity) error
	UpdateCase(ctx context.Context, c *Case, id *Identity) error
	InsertRiskChange(ctx context.Context, r *RiskChange) error
	User(ctx context.Context, id string) (*org.User, error)
	Screening(ctx context.Context, id string) (*intake.Screening, error)
	Identification(ctx context.Context, id string) (*intake.Identification, error)
	LinkScreening(ctx context.Context, screeningID, caseID string) error
	CaseDeadlines(ctx context.Context, caseID string) ([]deadline.Deadline, error)
	InsertDeadline(ctx context.Context, d *deadline.Deadline) error
	UpdateDeadline(ctx context.Context, d *deadline.Deadline) error
	DeleteDeadline(ctx context.Context, id string) error
	RefreshNextDue(ctx context.Context, caseID string) error
	InsertStepChange(ctx context.Context, s *StepChange) error
	TeamSupervisors(ctx context.Context, teamID string) ([]string, error)
	InsertNotification(ctx context.Context, n *notify.Notification) error
	Record(ctx context.Context, e audit.Event) error
}

// Ref returns what an access decision needs to know about c.
func (c *Case) Ref() access.Case {
	return access.Case{ID: c.ID, AgencyID: c.AgencyID, TeamID: c.TeamID, CaseworkerID: c.CaseworkerID,
		Closed: c.Status == Closed, FollowUpBy: c.FollowUpBy, Grants: c.Grants}
}

// Granter is storage that knows the grants in force on a case.
type Granter interface {
	CaseGrants(ctx context.Context, caseID string) ([]access.Grant, error)
}

// LoadGrants fills c.Grants when a works outside c's scope and tx knows
// grants: a referral's receiver, a conference's participant, a break-glass
// reader. Readers within the case's scope never pay for the query.
func LoadGrants(ctx context.Context, tx any, a access.Actor, c *Case) error {
	g, ok := tx.(Granter)
	if !ok || access.InScope(a, c.Ref()) {
		return nil
	}
	var err error
	c.Grants, err = g.CaseGrants(ctx, c.ID)
	return err
}

// Get loads case id for actor a to do act on section s. A case a may not
// see answers exactly like a missing one. Of the grants, only break-glass
// (read access to the whole file but its consent records) opens the case's
// own pages; the other grants are read through GetShared.
func Get(ctx context.Context, tx interface {
	Case(ctx context.Context, id string) (*Case, error)
}, a access.Actor, act access.Action, s access.Section, id string) (*Case, error) {
	c, err := tx.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if act == access.View {
		if err := LoadGrants(ctx, tx, a, c); err != nil {
			return nil, err
		}
		glass := c.Grants[:0:0]
		for _, g := range c.Grants {
			if g.Via == access.ViaBreakGlass {
				glass = append(glass, g)
			}
		}
		c.Grants = glass
	}
	return decided(a, act, s, c)
}

// GetShared loads case id for actor a to read section s, through a grant
// if a has one (a referral, transfer, conference or break-glass). Only the
// pages that show a grant's sections call it; every other page and
// operation uses Get, so a grant never opens more than its sections.
func GetShared(ctx context.Context, tx interface {
	Case(ctx context.Context, id string) (*Case, error)
}, a access.Actor, s access.Section, id string) (*Case, error) {
	c, err := tx.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := LoadGrants(ctx, tx, a, c); err != nil {
		return nil, err
	}
	return decided(a, access.View, s, c)
}

// decided returns c if a may do act on its section s, or the denial.
func decided(a access.Actor, act access.Action, s access.Section, c *Case) (*Case, error) {
	err := access.Check(a, act, access.Resource{Kind: access.KindCase, Case: c.Ref(), Section: s}, "case", c.ID, c.ID,
		c.AgencyID)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// MayRegister says whether actor a may open the registration form at all:
// nil, or a Forbidden error. Caseworkers, supervisors and managers register
// cases; Register then decides on the case itself (access.Create).
func MayRegister(a access.Actor) error {
	if d := access.CaseWork(a); !d.Allow {
		return errs.E(errs.Forbidden, "register: %s", d.Reason)
	}
	switch a.Role {
	case org.Caseworker, org.Supervisor, org.Manager:
		return nil
	}
	return errs.E(errs.Forbidden, "register: %s does not register cases", a.Role)
}

// chooseCaseworker decides the primary caseworker of a new case registered
// by a: caseworkers register for themselves; supervisors and managers pick
// (choosePrimary).
func chooseCaseworker(ctx context.Context, tx Tx, a access.Actor, id string) (*org.User, error) {
	if id == "" {
		if a.Role != org.Caseworker {
			return nil, errs.Field("caseworker_id", "err.choose")
		}
		id = a.UserID
	}
	return choosePrimary(ctx, tx, a, a.AgencyID, id)
}

// Register records a new case from registration form r by actor a. It stores
// the identifying data apart, starts the risk history, and computes the
// registration and assessment deadlines (and the urgent response one).
func Register(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, r Registration, newCode func() string, now time.Time) (*Case, error) {
	local := now.In(p.Location())
	f := r.validate(p, local)
	cw, err := chooseCaseworker(ctx, tx, a, r.CaseworkerID)
	if err != nil {
		fe, ok := errs.AsFields(err)
		if !ok {
			return nil, err
		}
		f = append(f, fe...)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	ref := access.Case{AgencyID: a.AgencyID, TeamID: cw.TeamID, CaseworkerID: cw.ID}
	if d := access.Decide(a, access.Create, access.Resource{Kind: access.KindCase, Case: ref, Section: access.Registration}); !d.Allow {
		return nil, errs.E(errs.Forbidden, "register: %s", d.Reason)
	}
	registeredAt := p.DayStart(r.RegisteredOn, now)
	referredAt := registeredAt
	if r.ReferredOn != "" {
		referredAt = p.DayStart(r.ReferredOn, now)
	}
	if r.ScreeningID != "" {
		s, err := tx.Screening(ctx, r.ScreeningID)
		if err != nil && !errors.Is(err, errs.ErrNotFound) {
			return nil, err
		}
		if err != nil || s.AgencyID != a.AgencyID {
			return nil, errs.Field("screening_id", "err.screening")
		}
		if s.Outcome != profile.OutcomeFull {
			return nil, errs.Field("screening_id", "err.screening_not_eligible")
		}
		if s.CaseID != "" {
			return nil, errs.Field("screening_id", "err.screening_used")
		}
		if s.CaseType != r.Type {
			return nil, errs.Field("type", "err.screening_type")
		}
		if s.IdentificationID != "" && r.ReferredOn == "" {
			ident, err := tx.Identification(ctx, s.IdentificationID)
			switch {
			case err == nil:
				referredAt = ident.SubmittedAt
			case !errors.Is(err, errs.ErrNotFound):
				return nil, err
			}
		}
	}
	if referredAt.After(registeredAt) {
		referredAt = registeredAt
	}
	c := &Case{
		Code: newCode(), Type: r.Type, AgencyID: a.AgencyID, TeamID: cw.TeamID, CaseworkerID: cw.ID,
		Status: Open, Step: StepAssessment, RiskLevel: r.RiskLevel, Urgent: r.Urgent,
		Priority:   r.CareStatus == Separated || r.CareStatus == Unaccompanied,
		CareStatus: r.CareStatus, CareArrangement: r.CareArrangement, Sex: r.Sex, AgeYears: r.Age,
		AgeEstimated: r.AgeEstimated, RegisteredOn: r.RegisteredOn, RegistrationPlace: r.RegistrationPlace,
		ReferredAt: referredAt, RegisteredAt: registeredAt, Source: r.Source, Concerns: r.Concerns,
		Details:  Details{Needs: r.Needs, UrgentNeeds: r.UrgentNeeds, Additional: r.Additional},
		Declined: r.Declined, ScreeningID: r.ScreeningID,
		CreatedBy: a.UserID, CreatedAt: now, UpdatedBy: a.UserID, UpdatedAt: now, Version: 1,
	}
	id := r.identity()
	// The deadlines a new case starts with, decided before it is stored so
	// that it is stored with the earliest of them (no refresh afterwards).
	var ds []*deadline.Deadline
	add := func(k deadline.Kind, anchor time.Time, done time.Time) {
		due, ok := deadline.Due(p, k, c.RiskLevel, anchor)
		if !ok {
			return
		}
		d := &deadline.Deadline{Kind: k, AnchorAt: anchor, DueAt: due, AssigneeID: c.CaseworkerID,
			TeamID: c.TeamID, AgencyID: c.AgencyID, DoneAt: done, CreatedAt: now}
		if !done.IsZero() {
			d.DoneBy = a.UserID
		}
		ds = append(ds, d)
		if d.Open() && (c.NextDueAt.IsZero() || due.Before(c.NextDueAt)) {
			c.NextDueAt = due
		}
	}
	add(deadline.Registration, referredAt, registeredAt)
	add(deadline.Assessment, registeredAt, time.Time{})
	if c.Urgent {
		add(deadline.UrgentResponse, now, time.Time{})
	}
	// Planning for turning adult (as SyncAgeOut would open it).
	if adult, ok := AdultOn(p, c, id); ok && adult.After(now) {
		add(deadline.AgeOut, adult, time.Time{})
	}
	if err := tx.InsertCase(ctx, c, id); err != nil {
		return nil, err
	}
	if r.ScreeningID != "" {
		if err := tx.LinkScreening(ctx, r.ScreeningID, c.ID); err != nil {
			return nil, err
		}
	}
	if err := tx.InsertRiskChange(ctx, &RiskChange{CaseID: c.ID, To: r.RiskLevel, Reason: r.RiskReason,
		ChangedBy: a.UserID, ChangedAt: now}); err != nil {
		return nil, err
	}
	for _, d := range ds {
		d.CaseID = c.ID
		if err := tx.InsertDeadline(ctx, d); err != nil {
			return nil, err
		}
	}
	if c.Urgent {
		if err := notify.Supervisors(ctx, tx, c.TeamID, notify.Urgent, c.ID, a.UserID, now); err != nil {
			return nil, err
		}
	}
	if err := tx.InsertStepChange(ctx, &StepChange{CaseID: c.ID, To: StepAssessment, Reason: "registered",
		ChangedBy: a.UserID, ChangedAt: now}); err != nil {
		return nil, err
	}
	d := map[string]any{"risk": c.RiskLevel, "urgent": c.Urgent, "declined": c.Declined}
	if len(r.confirmed) > 0 {
		d["different_child_confirmed"] = r.confirmed
	}
	detail, _ := json.Marshal(d)
	return c, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "case.register", RecordType: "case", RecordID: c.ID,
		CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(detail)})
}

func (r *Registration) identity() *Identity {
	return &Identity{GivenName: r.GivenName, FamilyName: r.FamilyName, OtherNames: r.OtherNames,
		DateOfBirth: r.DateOfBirth, Location: r.Location, Address: r.Address, Contact: r.Contact,
		RegistrationNumber: r.RegistrationNumber}
}

// FormOf returns the registration form filled from an existing case, for editing.
func FormOf(c *Case, id *Identity, lastRiskReason string) Registration {
	return Registration{
		Type: c.Type, ScreeningID: c.ScreeningID, CaseworkerID: c.CaseworkerID,
		GivenName: id.GivenName, FamilyName: id.FamilyName, OtherNames: id.OtherNames,
		DateOfBirth: id.DateOfBirth, Age: c.AgeYears, AgeEstimated: c.AgeEstimated, Sex: c.Sex,
		RegisteredOn: c.RegisteredOn, RegistrationPlace: c.RegistrationPlace, Location: id.Location,
		Address: id.Address, Contact: id.Contact, RegistrationNumber: id.RegistrationNumber,
		CareStatus: c.CareStatus, CareArrangement: c.CareArrangement, Source: c.Source,
		Concerns: c.Concerns, Needs: c.Details.Needs, UrgentNeeds: c.Details.UrgentNeeds,
		Additional: c.Details.Additional, Urgent: c.Urgent, RiskLevel: c.RiskLevel,
		RiskReason: lastRiskReason, Declined: c.Declined,
	}
}
