package web

import (
	"time"

	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// The JSON shapes of the API. They are documented in openapi.json; the
// OpenAPI test checks every route against it.

type identityJSON struct {
	GivenName          string `json:"given_name"`
	FamilyName         string `json:"family_name"`
	OtherNames         string `json:"other_names"`
	DateOfBirth        string `json:"date_of_birth"`
	Location           string `json:"location"`
	Address            string `json:"address"`
	Contact            string `json:"contact"`
	RegistrationNumber string `json:"registration_number"`
}

type deadlineJSON struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	DueAt      *string `json:"due_at"`
	AnchorAt   *string `json:"anchor_at"`
	DoneAt     *string `json:"done_at"`
	AssigneeID string  `json:"assignee_id"`
	Overdue    bool    `json:"overdue"`
}

type riskJSON struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	Reason    string  `json:"reason"`
	ChangedBy string  `json:"changed_by"`
	ChangedAt *string `json:"changed_at"`
}

type caseJSON struct {
	ID                string          `json:"id"`
	Code              string          `json:"code"`
	Type              string          `json:"type"`
	AgencyID          string          `json:"agency_id"`
	TeamID            string          `json:"team_id"`
	CaseworkerID      string          `json:"caseworker_id"`
	Status            string          `json:"status"`
	Step              string          `json:"step"`
	RiskLevel         string          `json:"risk_level"`
	Urgent            bool            `json:"urgent"`
	Priority          bool            `json:"priority"`
	CareStatus        string          `json:"care_status"`
	CareArrangement   string          `json:"care_arrangement"`
	Sex               string          `json:"sex"`
	AgeAtRegistration *int            `json:"age_at_registration"`
	AgeEstimated      bool            `json:"age_estimated"`
	RegisteredOn      string          `json:"registered_on"`
	RegistrationPlace string          `json:"registration_place"`
	ReferredAt        *string         `json:"referred_at"`
	RegisteredAt      *string         `json:"registered_at"`
	Source            string          `json:"source"`
	Concerns          []string        `json:"concerns"`
	Needs             string          `json:"needs"`
	UrgentNeeds       string          `json:"urgent_needs"`
	Additional        string          `json:"additional"`
	Declined          []string        `json:"declined"`
	ScreeningID       string          `json:"screening_id"`
	NextDueAt         *string         `json:"next_due_at"`
	Version           int             `json:"version"`
	Identity          *identityJSON   `json:"identity,omitempty"`
	Deadlines         []deadlineJSON  `json:"deadlines,omitempty"`
	RiskHistory       []riskJSON      `json:"risk_history,omitempty"`
	Consent           *consentSummary `json:"consent,omitempty"`
	People            []personJSON    `json:"family,omitempty"`
}

type consentSummary struct {
	GateOpen bool `json:"collect_store_satisfied"`
	Missing  int  `json:"missing_required"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func caseToJSON(c *cases.Case) caseJSON {
	return caseJSON{ID: c.ID, Code: c.Code, Type: c.Type, AgencyID: c.AgencyID, TeamID: c.TeamID,
		CaseworkerID: c.CaseworkerID, Status: c.Status, Step: c.Step, RiskLevel: c.RiskLevel, Urgent: c.Urgent,
		Priority: c.Priority, CareStatus: c.CareStatus, CareArrangement: c.CareArrangement, Sex: c.Sex,
		AgeAtRegistration: c.AgeYears, AgeEstimated: c.AgeEstimated, RegisteredOn: c.RegisteredOn,
		RegistrationPlace: c.RegistrationPlace, ReferredAt: apiTime(c.ReferredAt), RegisteredAt: apiTime(c.RegisteredAt),
		Source: c.Source, Concerns: nonNil(c.Concerns), Needs: c.Details.Needs, UrgentNeeds: c.Details.UrgentNeeds,
		Additional: c.Details.Additional, Declined: nonNil(c.Declined), ScreeningID: c.ScreeningID,
		NextDueAt: apiTime(c.NextDueAt), Version: c.Version}
}

func identityToJSON(i *cases.Identity) *identityJSON {
	if i == nil {
		return nil
	}
	return &identityJSON{GivenName: i.GivenName, FamilyName: i.FamilyName, OtherNames: i.OtherNames,
		DateOfBirth: i.DateOfBirth, Location: i.Location, Address: i.Address, Contact: i.Contact,
		RegistrationNumber: i.RegistrationNumber}
}

func deadlineToJSON(d deadline.Deadline) deadlineJSON {
	return deadlineJSON{ID: d.ID, Kind: string(d.Kind), DueAt: apiTime(d.DueAt), AnchorAt: apiTime(d.AnchorAt),
		DoneAt: apiTime(d.DoneAt), AssigneeID: d.AssigneeID}
}

func caseViewJSON(v *caseView, now time.Time) caseJSON {
	j := caseToJSON(v.Case)
	j.Identity = identityToJSON(v.Identity)
	for _, list := range [][]deadline.Deadline{v.Open, v.Done} {
		for _, d := range list {
			dj := deadlineToJSON(d)
			dj.Overdue = d.Overdue(now)
			j.Deadlines = append(j.Deadlines, dj)
		}
	}
	for _, r := range v.Risk {
		j.RiskHistory = append(j.RiskHistory, riskJSON{From: r.From, To: r.To, Reason: r.Reason, ChangedBy: r.ChangedBy,
			ChangedAt: apiTime(r.ChangedAt)})
	}
	if v.Consent != nil {
		j.Consent = &consentSummary{GateOpen: v.GateOpen, Missing: v.Missing}
	}
	for i := range v.People {
		j.People = append(j.People, personToJSON(&v.People[i]))
	}
	return j
}

type caseRowJSON struct {
	ID           string  `json:"id"`
	Code         string  `json:"code"`
	Type         string  `json:"type"`
	Status       string  `json:"status"`
	Step         string  `json:"step"`
	RiskLevel    string  `json:"risk_level"`
	Urgent       bool    `json:"urgent"`
	Priority     bool    `json:"priority"`
	CareStatus   string  `json:"care_status"`
	Age          *int    `json:"age_at_registration"`
	Sex          string  `json:"sex"`
	RegisteredOn string  `json:"registered_on"`
	NextDueAt    *string `json:"next_due_at"`
	NextDueKind  string  `json:"next_due_kind"`
	CaseworkerID string  `json:"caseworker_id"`
}

func caseRowToJSON(r store.CaseRow) caseRowJSON {
	return caseRowJSON{ID: r.ID, Code: r.Code, Type: r.Type, Status: r.Status, Step: r.Step, RiskLevel: r.RiskLevel,
		Urgent: r.Urgent, Priority: r.Priority, CareStatus: r.CareStatus, Age: r.AgeYears, Sex: r.Sex,
		RegisteredOn: r.RegisteredOn, NextDueAt: apiTime(r.NextDueAt), NextDueKind: string(r.NextDueKind),
		CaseworkerID: r.CaseworkerID}
}

type taskJSON struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	DueAt      *string `json:"due_at"`
	Overdue    bool    `json:"overdue"`
	CaseID     string  `json:"case_id"`
	CaseCode   string  `json:"case_code"`
	RiskLevel  string  `json:"risk_level"`
	Urgent     bool    `json:"urgent"`
	Priority   bool    `json:"priority"`
	AssigneeID string  `json:"assignee_id"`
}

type personJSON struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Relationship       string `json:"relationship"`
	IsCaregiver        bool   `json:"is_caregiver"`
	AllegedPerpetrator bool   `json:"alleged_perpetrator"`
	Alive              string `json:"alive"`
	LivesWithChild     bool   `json:"lives_with_child"`
	Age                *int   `json:"age"`
	Sex                string `json:"sex"`
	Contact            string `json:"contact"`
	Address            string `json:"address"`
	Notes              string `json:"notes"`
	Version            int    `json:"version"`
}

func personToJSON(x *cases.Person) personJSON {
	return personJSON{ID: x.ID, Name: x.Name, Relationship: x.Relationship, IsCaregiver: x.IsCaregiver,
		AllegedPerpetrator: x.AllegedPerpetrator, Alive: x.Alive, LivesWithChild: x.LivesWithChild, Age: x.AgeYears,
		Sex: x.Sex, Contact: x.Contact, Address: x.Address, Notes: x.Notes, Version: x.Version}
}

type consentRecordJSON struct {
	ID                     string  `json:"id"`
	Scope                  string  `json:"scope"`
	Giver                  string  `json:"giver"`
	PersonID               string  `json:"person_id"`
	Kind                   string  `json:"kind"`
	Decision               string  `json:"decision"`
	Method                 string  `json:"method"`
	ObtainedOn             string  `json:"obtained_on"`
	ObtainedBy             string  `json:"obtained_by"`
	ToldMandatoryReporting bool    `json:"told_mandatory_reporting"`
	Notes                  string  `json:"notes"`
	WithdrawnAt            *string `json:"withdrawn_at"`
	WithdrawalReason       string  `json:"withdrawal_reason"`
	Active                 bool    `json:"active"`
	Version                int     `json:"version"`
}

func consentToJSON(r *consent.Record) consentRecordJSON {
	return consentRecordJSON{ID: r.ID, Scope: r.Scope, Giver: r.Giver, PersonID: r.PersonID, Kind: r.Kind,
		Decision: r.Decision, Method: r.Method, ObtainedOn: r.ObtainedOn, ObtainedBy: r.ObtainedBy,
		ToldMandatoryReporting: r.ToldMandatoryReporting, Notes: r.Notes, WithdrawnAt: apiTime(r.WithdrawnAt),
		WithdrawalReason: r.WithdrawalReason, Active: r.Active(), Version: r.Version}
}

type overrideJSON struct {
	ID         string  `json:"id"`
	Scope      string  `json:"scope"`
	Basis      string  `json:"basis"`
	Reason     string  `json:"reason"`
	ApprovedBy string  `json:"approved_by"`
	ApprovedAt *string `json:"approved_at"`
	RevokedAt  *string `json:"revoked_at"`
	Active     bool    `json:"active"`
}

func overrideToJSON(o *consent.Override) overrideJSON {
	return overrideJSON{ID: o.ID, Scope: o.Scope, Basis: o.Basis, Reason: o.Reason, ApprovedBy: o.ApprovedBy,
		ApprovedAt: apiTime(o.ApprovedAt), RevokedAt: apiTime(o.RevokedAt), Active: o.Active()}
}

type exclusionJSON struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	AgencyID  string  `json:"agency_id"`
	Name      string  `json:"name"`
	Reason    string  `json:"reason"`
	AddedBy   string  `json:"added_by"`
	AddedAt   *string `json:"added_at"`
	RemovedAt *string `json:"removed_at"`
}

func exclusionToJSON(e *consent.Exclusion) exclusionJSON {
	return exclusionJSON{ID: e.ID, Kind: e.Kind, AgencyID: e.AgencyID, Name: e.Name, Reason: e.Reason,
		AddedBy: e.AddedBy, AddedAt: apiTime(e.AddedAt), RemovedAt: apiTime(e.RemovedAt)}
}

type needJSON struct {
	Giver    string   `json:"giver"`
	Kinds    []string `json:"kinds"`
	Required bool     `json:"required"`
	Status   string   `json:"status"`
	RecordID string   `json:"record_id"`
}

type scopeJSON struct {
	Scope      string     `json:"scope"`
	Required   bool       `json:"required"`
	Gate       bool       `json:"gate"`
	Satisfied  bool       `json:"satisfied"`
	Needs      []needJSON `json:"needs"`
	OverrideID string     `json:"override_id"`
}

type consentStateJSON struct {
	CaseID     string              `json:"case_id"`
	Age        *int                `json:"age"`
	Scopes     []scopeJSON         `json:"scopes"`
	Records    []consentRecordJSON `json:"records"`
	Overrides  []overrideJSON      `json:"overrides"`
	Exclusions []exclusionJSON     `json:"exclusions"`
}

func consentStateToJSON(st *consent.State) consentStateJSON {
	out := consentStateJSON{CaseID: st.Case.ID, Age: st.Age, Scopes: []scopeJSON{}, Records: []consentRecordJSON{},
		Overrides: []overrideJSON{}, Exclusions: []exclusionJSON{}}
	for _, s := range st.Scopes {
		sj := scopeJSON{Scope: s.Scope.Key, Required: s.Scope.Required, Gate: s.Scope.Gate, Satisfied: s.Satisfied,
			Needs: []needJSON{}}
		if s.Override != nil {
			sj.OverrideID = s.Override.ID
		}
		for _, n := range s.Needs {
			nj := needJSON{Giver: n.Giver, Kinds: n.Kinds, Required: n.Required, Status: n.Status}
			if n.Record != nil {
				nj.RecordID = n.Record.ID
			}
			sj.Needs = append(sj.Needs, nj)
		}
		out.Scopes = append(out.Scopes, sj)
	}
	for i := range st.Records {
		out.Records = append(out.Records, consentToJSON(&st.Records[i]))
	}
	for i := range st.Overrides {
		out.Overrides = append(out.Overrides, overrideToJSON(&st.Overrides[i]))
	}
	for i := range st.Exclusions {
		out.Exclusions = append(out.Exclusions, exclusionToJSON(&st.Exclusions[i]))
	}
	return out
}

type identificationJSON struct {
	ID          string   `json:"id"`
	Code        string   `json:"code"`
	AgencyID    string   `json:"agency_id"`
	CaseType    string   `json:"case_type"`
	Source      string   `json:"source"`
	Age         *int     `json:"age"`
	Sex         string   `json:"sex"`
	Concerns    []string `json:"concerns"`
	Urgent      bool     `json:"urgent"`
	Status      string   `json:"status"`
	SubmittedAt *string  `json:"submitted_at"`
	Name        string   `json:"name,omitempty"`
	Location    string   `json:"location,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Notes       string   `json:"notes,omitempty"`
}

// identificationToJSON shows an identification; full=false leaves out what
// the submitter typed (the submitter gets only the reference back).
func identificationToJSON(i *intake.Identification, full bool) identificationJSON {
	j := identificationJSON{ID: i.ID, Code: i.Code, AgencyID: i.AgencyID, CaseType: i.CaseType, Source: i.Source,
		Age: i.AgeYears, Sex: i.Sex, Concerns: nonNil(i.Concerns), Urgent: i.Urgent, Status: i.Status,
		SubmittedAt: apiTime(i.SubmittedAt)}
	if full {
		j.Name, j.Location, j.Contact, j.Notes = i.Name, i.Location, i.Contact, i.Notes
	}
	return j
}

type screeningJSON struct {
	ID               string          `json:"id"`
	AgencyID         string          `json:"agency_id"`
	IdentificationID string          `json:"identification_id"`
	CaseType         string          `json:"case_type"`
	Age              *int            `json:"age"`
	Outcome          string          `json:"outcome"`
	Reasons          []intake.Reason `json:"reasons"`
	Notes            string          `json:"notes"`
	ScreenedBy       string          `json:"screened_by"`
	ScreenedAt       *string         `json:"screened_at"`
	CaseID           string          `json:"case_id"`
}

func screeningToJSON(s *intake.Screening) screeningJSON {
	return screeningJSON{ID: s.ID, AgencyID: s.AgencyID, IdentificationID: s.IdentificationID, CaseType: s.CaseType,
		Age: s.AgeYears, Outcome: s.Outcome, Reasons: s.Reasons, Notes: s.Notes, ScreenedBy: s.ScreenedBy,
		ScreenedAt: apiTime(s.ScreenedAt), CaseID: s.CaseID}
}

type userOut struct {
	ID                 string  `json:"id"`
	Username           string  `json:"username"`
	DisplayName        string  `json:"display_name"`
	Role               string  `json:"role"`
	AgencyID           string  `json:"agency_id"`
	TeamID             string  `json:"team_id"`
	Email              string  `json:"email"`
	Gender             string  `json:"gender"`
	Disabled           bool    `json:"disabled"`
	MustChangePassword bool    `json:"must_change_password"`
	CreatedAt          *string `json:"created_at"`
	Version            int     `json:"version"`

	CaseAccess   string     `json:"case_access"`     // none, pending (awaiting approval) or granted
	SetupPending bool       `json:"setup_pending"`   // no password yet: the setup code was not used
	Setup        *setupJSON `json:"setup,omitempty"` // the setup code just issued (adding, resetting)
}

func userJSON(u *org.User) userOut {
	return userOut{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: string(u.Role), AgencyID: u.AgencyID,
		TeamID: u.TeamID, Email: u.Email, Gender: u.Gender, Disabled: !u.Active(), MustChangePassword: u.MustChangePassword,
		CreatedAt: apiTime(u.CreatedAt), Version: u.Version, CaseAccess: account.CaseAccess(u), SetupPending: u.SetupPending()}
}

// apiCurrent is the current record a 409 Conflict answer carries.
func apiCurrent(ce *errs.ConflictError) any {
	switch v := ce.Current.(type) {
	case cases.Snapshot:
		if v.Case == nil {
			return nil
		}
		j := caseToJSON(v.Case)
		j.Identity = identityToJSON(v.Identity)
		return j
	case *cases.Person:
		return personToJSON(v)
	case *consent.Record:
		return consentToJSON(v)
	case userOut:
		return v
	case *org.User:
		return userJSON(v)
	}
	return map[string]int{"version": ce.Version}
}
