// Package cases holds the case file of a child or survivor and the first
// step of case management: registration with the minimum data, a
// pseudonymous case code, one primary caseworker, the urgent flag, the risk
// level with its history, and the care status. Identifying data (Identity)
// lives apart from the case so it can be protected, exported and erased on
// its own.
package cases

import (
	"crypto/rand"
	"time"

	"github.com/safecase/safecase/internal/access"
)

// Case statuses.
const (
	Open   = "open"
	Closed = "closed"
)

// Steps of case management, in order (the process is not a straight line:
// a case can go back to any step).
const (
	StepRegistration   = "registration"
	StepAssessment     = "assessment"
	StepCasePlan       = "case_plan"
	StepImplementation = "implementation"
	StepFollowUp       = "follow_up"
	StepClosure        = "closure"
)

// Steps lists the steps in order.
var Steps = []string{StepRegistration, StepAssessment, StepCasePlan, StepImplementation, StepFollowUp, StepClosure}

// Care statuses with a priority flag.
const (
	Accompanied   = "accompanied"
	Separated     = "separated"
	Unaccompanied = "unaccompanied"
)

// Case is the non-identifying part of a case file.
type Case struct {
	ID                string
	Code              string // pseudonymous; what lists and reports show
	Type              string // cp or gbv
	AgencyID          string
	TeamID            string
	CaseworkerID      string
	Status            string
	Step              string
	RiskLevel         string
	Urgent            bool
	Priority          bool // unaccompanied or separated child: registered and handled first
	CareStatus        string
	CareArrangement   string
	Sex               string
	AgeYears          *int // at registration
	AgeEstimated      bool
	RegisteredOn      string // YYYY-MM-DD
	RegistrationPlace string
	ReferredAt        time.Time
	RegisteredAt      time.Time
	Source            string
	Concerns          []string
	Details           Details
	Declined          []string // fields the person declined to answer
	ScreeningID       string
	NextDueAt         time.Time // earliest open deadline; zero when none
	ConsentSince      string    // YYYY-MM-DD: consent recorded before this (a reopening) no longer counts
	AgeOutPathway     string    // what happens as the child turns adult (never an automatic closure)
	ClosedAt          time.Time
	ClosureReason     string
	Reopened          int    // how many times the case was reopened
	FollowUpBy        string // who does the post-closure follow-up
	CreatedBy         string
	CreatedAt         time.Time
	UpdatedBy         string
	UpdatedAt         time.Time
	Version           int

	Grants []access.Grant // grants in force, loaded only for readers outside the case's scope
}

// Details are the narrative registration fields.
type Details struct {
	Needs       string `json:"needs,omitempty"`
	UrgentNeeds string `json:"urgent_needs,omitempty"`
	Additional  string `json:"additional,omitempty"`
}

// Identity is the identifying data of the child or survivor.
type Identity struct {
	GivenName          string
	FamilyName         string
	OtherNames         string
	DateOfBirth        string // YYYY-MM-DD or ""
	Location           string
	Address            string
	Contact            string
	RegistrationNumber string
	Notes              string
}

// FullName joins the name parts for the case page.
func (i *Identity) FullName() string {
	switch {
	case i.GivenName != "" && i.FamilyName != "":
		return i.GivenName + " " + i.FamilyName
	case i.GivenName != "":
		return i.GivenName
	}
	return i.FamilyName
}

// StepChange is one move between steps, forwards or back.
type StepChange struct {
	ID        string
	CaseID    string
	From      string
	To        string
	Reason    string
	ChangedBy string
	ChangedAt time.Time
}

// RiskChange is one entry of a case's risk history.
type RiskChange struct {
	ID        string
	CaseID    string
	From      string
	To        string
	Reason    string
	ChangedBy string
	ChangedAt time.Time
}

// Person is a family member or caregiver of the child. Name, contact,
// address and notes are identifying and stored apart.
type Person struct {
	ID                 string
	CaseID             string
	Relationship       string
	IsCaregiver        bool
	AllegedPerpetrator bool // never asked for consent, never sent anything
	Alive              string
	LivesWithChild     bool
	AgeYears           *int
	Sex                string
	CreatedBy          string
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Version            int

	Name, Contact, Address, Notes string
}

// Alive values.
var AliveValues = []string{"alive", "dead", "unknown"}

// IsOpen reports whether the case is open.
func (c *Case) IsOpen() bool { return c.Status == Open }

// Declines reports whether the person declined to answer field.
func (c *Case) Declines(field string) bool {
	for _, f := range c.Declined {
		if f == field {
			return true
		}
	}
	return false
}

// AgeAt returns the person's age at now: exactly from the date of birth when
// known, otherwise from the age at registration plus the years since.
func AgeAt(c *Case, id *Identity, now time.Time) *int {
	if id != nil && id.DateOfBirth != "" {
		if dob, err := time.Parse(time.DateOnly, id.DateOfBirth); err == nil {
			a := YearsBetween(dob, now)
			return &a
		}
	}
	if c.AgeYears == nil {
		return nil
	}
	reg, err := time.Parse(time.DateOnly, c.RegisteredOn)
	if err != nil {
		return c.AgeYears
	}
	a := *c.AgeYears + YearsBetween(reg, now)
	return &a
}

// YearsBetween returns the whole years from a to b.
func YearsBetween(a, b time.Time) int {
	y := b.Year() - a.Year()
	if b.Month() < a.Month() || (b.Month() == a.Month() && b.Day() < a.Day()) {
		y--
	}
	if y < 0 {
		return 0
	}
	return y
}

// codeAlphabet is Crockford's base 32: no I, L, O or U to misread.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewCode returns a random pseudonymous code such as C-7K4Q2M. It carries
// nothing about the person, not even the case type (a code on a screen seen
// over a shoulder must not say "survivor"); the database enforces uniqueness.
func NewCode(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	out := make([]byte, 0, len(prefix)+7)
	out = append(out, prefix...)
	out = append(out, '-')
	for _, x := range b {
		out = append(out, codeAlphabet[int(x)%32])
	}
	return string(out)
}
