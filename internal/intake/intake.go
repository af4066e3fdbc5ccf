// Package intake covers the first contact: the short identification form a
// community volunteer or any staff member submits, and the screening of a
// person against the profile's eligibility criteria, which ends in full case
// management, a stand-alone referral, or not eligible, with the reasoning.
package intake

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/profile"
)

// Identification statuses.
const (
	StatusNew      = "new"
	StatusScreened = "screened"
)

// Identification is a submitted identification form. Name, location,
// contact and notes are identifying and stored apart (IdentificationIdentity).
type Identification struct {
	ID          string
	Code        string
	AgencyID    string
	CaseType    string // cp, gbv or "" when the submitter could not tell
	Source      string
	AgeYears    *int
	Sex         string
	Concerns    []string
	Urgent      bool
	Status      string
	SubmittedBy string
	SubmittedAt time.Time
	ScreeningID string
	Version     int

	Name, Location, Contact, Notes string
}

// NewIdentification is the identification form.
type NewIdentification struct {
	AgencyID string   `json:"agency_id"`
	CaseType string   `json:"case_type"`
	Source   string   `json:"source"`
	Name     string   `json:"name"`
	Age      string   `json:"age"`
	Sex      string   `json:"sex"`
	Location string   `json:"location"`
	Contact  string   `json:"contact"`
	Concerns []string `json:"concerns"`
	Urgent   bool     `json:"urgent"`
	Notes    string   `json:"notes"`
	// DifferentChild confirms that the child is not one of the possible
	// duplicates the submitter was shown (web: identificationDuplicates).
	DifferentChild bool `json:"different_child,omitempty"`
}

// Sexes are the values of sex/gender fields; "declined" is a real answer.
var Sexes = []string{"female", "male", "other"}

// ValidSex reports whether s is an allowed sex/gender value.
func ValidSex(s string) bool {
	for _, x := range Sexes {
		if s == x {
			return true
		}
	}
	return false
}

// ParseAge reads an age in whole years; "" gives nil.
func ParseAge(s string) (*int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 120 {
		return nil, false
	}
	return &n, true
}

// Text limits, in bytes.
const (
	MaxShort = 200
	MaxLong  = 4000
)

// Tx is the storage SubmitIdentification and Screen need.
type Tx interface {
	AgencyExists(ctx context.Context, id string) (bool, error)
	InsertIdentification(ctx context.Context, i *Identification) error
	Identification(ctx context.Context, id string) (*Identification, error)
	MarkIdentificationScreened(ctx context.Context, id, screeningID string, version int) error
	InsertScreening(ctx context.Context, s *Screening) error
	Record(ctx context.Context, e audit.Event) error
}

// SubmitIdentification records an identification form from actor. The
// submitter gets no access to it afterwards.
func SubmitIdentification(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, in NewIdentification, code string, now time.Time) (*Identification, error) {
	if in.AgencyID == "" {
		in.AgencyID = a.AgencyID
	}
	if d := access.Decide(a, access.Create, access.Resource{Kind: access.KindIdentification, AgencyID: in.AgencyID}); !d.Allow {
		return nil, errs.E(errs.Forbidden, "submit identification: %s", d.Reason)
	}
	var f errs.Fields
	ok, err := tx.AgencyExists(ctx, in.AgencyID)
	if err != nil {
		return nil, err
	}
	if !ok {
		f.Add("agency_id", "err.choose")
	}
	if in.CaseType != "" && in.CaseType != profile.CP && in.CaseType != profile.GBV {
		f.Add("case_type", "err.choose")
	}
	if !profile.Has(p.IdentificationSources, in.Source) {
		f.Add("source", "err.choose")
	}
	age, ok := ParseAge(in.Age)
	if !ok {
		f.Add("age", "err.age")
	}
	if in.Sex != "" && !ValidSex(in.Sex) {
		f.Add("sex", "err.choose")
	}
	for _, c := range in.Concerns {
		if !profile.Has(p.ProtectionConcerns, c) {
			f.Add("concerns", "err.choose")
			break
		}
	}
	checkLen(&f, "name", in.Name, MaxShort)
	checkLen(&f, "location", in.Location, MaxShort)
	checkLen(&f, "contact", in.Contact, MaxShort)
	checkLen(&f, "notes", in.Notes, MaxLong)
	if strings.TrimSpace(in.Name+in.Location+in.Contact+in.Notes) == "" {
		f.Add("location", "err.identification_empty")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	i := &Identification{
		Code: code, AgencyID: in.AgencyID, CaseType: in.CaseType, Source: in.Source,
		AgeYears: age, Sex: in.Sex, Concerns: in.Concerns, Urgent: in.Urgent,
		Status: StatusNew, SubmittedBy: a.UserID, SubmittedAt: now, Version: 1,
		Name: strings.TrimSpace(in.Name), Location: strings.TrimSpace(in.Location),
		Contact: strings.TrimSpace(in.Contact), Notes: strings.TrimSpace(in.Notes),
	}
	if err := tx.InsertIdentification(ctx, i); err != nil {
		return nil, err
	}
	return i, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "identification.submit", RecordType: "identification",
		RecordID: i.ID, AgencyID: i.AgencyID})
}

func checkLen(f *errs.Fields, field, v string, max int) {
	if len(v) > max {
		f.Add(field, "err.too_long", max)
	}
}

// Screening is the record of one screening and its outcome.
type Screening struct {
	ID               string
	AgencyID         string
	IdentificationID string
	CaseType         string
	AgeYears         *int
	Answers          map[string]bool
	Outcome          string
	Reasons          []Reason
	Notes            string
	ScreenedBy       string
	ScreenedAt       time.Time
	CaseID           string
	Version          int
}

// Reason explains one criterion's part in the outcome.
type Reason struct {
	Criterion string `json:"criterion"`
	Met       bool   `json:"met"`
	Auto      bool   `json:"auto,omitempty"` // answered from the age
	Outcome   string `json:"outcome,omitempty"`
}

// ScreeningInput is the screening form.
type ScreeningInput struct {
	IdentificationID string            `json:"identification_id"`
	CaseType         string            `json:"case_type"`
	Age              string            `json:"age"`
	Answers          map[string]string `json:"answers"` // criterion key -> "yes" or "no"
	Notes            string            `json:"notes"`
}

// Evaluate applies the profile's criteria for caseType to the answers and
// the age, returning the outcome and one reason per criterion. A criterion
// answered automatically from the age ignores the given answer.
func Evaluate(p *profile.Profile, caseType string, age *int, answers map[string]string) (string, []Reason, error) {
	crit, ok := p.Eligibility[caseType]
	if !ok {
		return "", nil, errs.Field("case_type", "err.choose")
	}
	var f errs.Fields
	outcome := profile.OutcomeFull
	var reasons []Reason
	for _, c := range crit {
		r := Reason{Criterion: c.Key}
		if c.Auto == profile.AutoUnderAdultAge && age != nil {
			r.Met, r.Auto = *age < p.AdultAge, true
		} else {
			switch answers[c.Key] {
			case "yes":
				r.Met = true
			case "no":
			default:
				f.Add("answers."+c.Key, "err.answer")
				continue
			}
		}
		if !r.Met {
			r.Outcome = c.IfNot
			if c.IfNot == profile.OutcomeNotEligible || outcome == profile.OutcomeFull {
				outcome = c.IfNot
			}
		}
		reasons = append(reasons, r)
	}
	if err := f.Err(); err != nil {
		return "", nil, err
	}
	return outcome, reasons, nil
}

// Screen records a screening by actor. When it screens an identification,
// that identification leaves the queue.
func Screen(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, in ScreeningInput, now time.Time) (*Screening, error) {
	agency := a.AgencyID
	var ident *Identification
	if in.IdentificationID != "" {
		var err error
		ident, err = tx.Identification(ctx, in.IdentificationID)
		if err != nil {
			return nil, err
		}
		agency = ident.AgencyID
	}
	if d := access.Decide(a, access.Screen, access.Resource{Kind: access.KindIdentification, AgencyID: agency}); !d.Allow {
		if ident != nil {
			return nil, errs.E(errs.NotFound, "identification %s", in.IdentificationID)
		}
		return nil, errs.E(errs.Forbidden, "screen: %s", d.Reason)
	}
	if ident != nil && ident.Status != StatusNew {
		return nil, errs.Field("identification_id", "err.already_screened")
	}
	var f errs.Fields
	age, ok := ParseAge(in.Age)
	if !ok {
		f.Add("age", "err.age")
	}
	if in.CaseType != profile.CP && in.CaseType != profile.GBV {
		f.Add("case_type", "err.choose")
	}
	checkLen(&f, "notes", in.Notes, MaxLong)
	if err := f.Err(); err != nil {
		return nil, err
	}
	outcome, reasons, err := Evaluate(p, in.CaseType, age, in.Answers)
	if err != nil {
		return nil, err
	}
	s := &Screening{
		AgencyID: agency, IdentificationID: in.IdentificationID, CaseType: in.CaseType, AgeYears: age,
		Answers: map[string]bool{}, Outcome: outcome, Reasons: reasons, Notes: strings.TrimSpace(in.Notes),
		ScreenedBy: a.UserID, ScreenedAt: now, Version: 1,
	}
	for _, r := range reasons {
		s.Answers[r.Criterion] = r.Met
	}
	if err := tx.InsertScreening(ctx, s); err != nil {
		return nil, err
	}
	if ident != nil {
		if err := tx.MarkIdentificationScreened(ctx, ident.ID, s.ID, ident.Version); err != nil {
			return nil, err
		}
	}
	detail, _ := json.Marshal(map[string]string{"outcome": outcome})
	return s, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: "screening.record", RecordType: "screening", RecordID: s.ID,
		AgencyID: agency, Detail: string(detail)})
}
