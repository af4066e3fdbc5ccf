// Package assessment records the second step of case management: the
// initial (rapid) and comprehensive assessments of the child's situation —
// domains, whether the child was interviewed directly, safety threats,
// vulnerabilities, protective factors, needs (met fully, partly or not, with
// a priority), the child's and caregivers' views — ending with a risk level
// and its reasoning, appended to the risk history. A sexual-violence incident
// inside the profile's window raises an immediate medical-referral alert.
package assessment

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
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
)

// Kinds of assessment.
const (
	Initial       = "initial"
	Comprehensive = "comprehensive"
)

// Need met values and priorities.
const (
	MetFully  = "fully"
	MetPartly = "partly"
	MetNot    = "not"
)

// Priorities of a need.
var Priorities = []string{"high", "medium", "low"}

// MetValues lists how far a need is met.
var MetValues = []string{MetFully, MetPartly, MetNot}

// Domains are the narrative domains of an assessment (L4122-4136).
type Domains struct {
	Child     string `json:"child,omitempty"`     // age, nationality, abilities, disability, documents, languages
	Household string `json:"household,omitempty"` // head of household, size, living conditions, economy
	Family    string `json:"family,omitempty"`    // parents, siblings
	Care      string `json:"care,omitempty"`      // caregiver, care status and arrangement
	Situation string `json:"situation,omitempty"` // safety, health, well-being, education, work, friends, legal status
}

// Assessment is one assessment of a case.
type Assessment struct {
	ID                string
	CaseID            string
	Kind              string
	AssessedOn        string // YYYY-MM-DD
	InterviewedChild  bool
	NotInterviewedWhy string
	Domains           Domains
	Vulnerabilities   string
	ProtectiveFactors string
	ChildViews        string
	CaregiverViews    string
	RiskLevel         string
	RiskReason        string
	CreatedBy         string
	CreatedAt         time.Time
	Version           int

	Threats []Threat
	Needs   []Need
}

// Threat is a safety threat: incident type + location + frequency or
// continuity + perpetrator (L1545-1548).
type Threat struct {
	ID           string
	CaseID       string
	AssessmentID string // empty for an incident recorded on its own
	IncidentType string
	Location     string
	Frequency    string
	Ongoing      bool
	Perpetrator  string // the relationship, from the profile
	OccurredAt   time.Time
	Notes        string
	CreatedAt    time.Time
}

// Need is one need found in an assessment.
type Need struct {
	ID           string
	CaseID       string
	AssessmentID string
	Domain       string
	Description  string
	Met          string
	Priority     string
	Essential    bool // essential for survival and development
	CreatedAt    time.Time
}

// Input is the assessment form.
type Input struct {
	Kind              string        `json:"kind"`
	AssessedOn        string        `json:"assessed_on"`
	InterviewedChild  bool          `json:"interviewed_child"`
	NotInterviewedWhy string        `json:"not_interviewed_why"`
	Domains           Domains       `json:"domains"`
	Vulnerabilities   string        `json:"vulnerabilities"`
	ProtectiveFactors string        `json:"protective_factors"`
	ChildViews        string        `json:"child_views"`
	CaregiverViews    string        `json:"caregiver_views"`
	Threats           []ThreatInput `json:"threats"`
	Needs             []NeedInput   `json:"needs"`
	RiskLevel         string        `json:"risk_level"`
	RiskReason        string        `json:"risk_reason"`
	Version           int           `json:"version"` // of the case
}

// ThreatInput is one safety threat of the form.
type ThreatInput struct {
	IncidentType string `json:"incident_type"`
	Location     string `json:"location"`
	Frequency    string `json:"frequency"`
	Ongoing      bool   `json:"ongoing"`
	Perpetrator  string `json:"perpetrator"`
	OccurredOn   string `json:"occurred_on"`   // YYYY-MM-DD, optional
	OccurredTime string `json:"occurred_time"` // HH:MM, optional
	Notes        string `json:"notes"`
}

// NeedInput is one need of the form.
type NeedInput struct {
	Domain      string `json:"domain"`
	Description string `json:"description"`
	Met         string `json:"met"`
	Priority    string `json:"priority"`
	Essential   bool   `json:"essential"`
}

// Empty reports whether the threat row was left blank.
func (t ThreatInput) Empty() bool {
	return strings.TrimSpace(t.IncidentType+t.Location+t.Frequency+t.Perpetrator+t.OccurredOn+t.Notes) == ""
}

// Empty reports whether the need row was left blank.
func (n NeedInput) Empty() bool {
	return strings.TrimSpace(n.Domain+n.Description+n.Met+n.Priority) == ""
}

// Tx is the storage assessments need.
type Tx interface {
	consent.Tx
	cases.Tx
	InsertAssessment(ctx context.Context, a *Assessment) error
	InsertThreat(ctx context.Context, t *Threat) error
	InsertNeed(ctx context.Context, n *Need) error
}

const (
	maxShort = 200
	maxLong  = 4000

	riskPrefix = "assessment: " // before the reason in the risk history
)

// threat validates one threat row of a case of type caseType, as field
// prefix (e.g. threats.0), and returns it.
func threat(p *profile.Profile, caseType, prefix string, in ThreatInput, now time.Time, f *errs.Fields) Threat {
	t := Threat{IncidentType: in.IncidentType, Location: strings.TrimSpace(in.Location),
		Frequency: strings.TrimSpace(in.Frequency), Ongoing: in.Ongoing, Perpetrator: in.Perpetrator,
		Notes: strings.TrimSpace(in.Notes)}
	if !profile.Has(p.IncidentTypes[caseType], in.IncidentType) {
		f.Add(prefix+".incident_type", "err.choose")
	}
	if in.Perpetrator != "" && !profile.Has(p.PerpetratorRelations, in.Perpetrator) {
		f.Add(prefix+".perpetrator", "err.choose")
	}
	if len(t.Location) > maxShort || len(t.Frequency) > maxShort {
		f.Add(prefix+".location", "err.too_long", maxShort)
	}
	if len(t.Notes) > maxLong {
		f.Add(prefix+".notes", "err.too_long", maxLong)
	}
	if in.OccurredOn != "" {
		clock := in.OccurredTime
		if clock == "" {
			clock = "00:00"
		}
		at, err := time.ParseInLocation("2006-01-02 15:04", in.OccurredOn+" "+clock, p.Location())
		switch {
		case err != nil:
			f.Add(prefix+".occurred_on", "err.date")
		case at.After(now):
			f.Add(prefix+".occurred_on", "err.future")
		default:
			t.OccurredAt = at
		}
	} else if in.OccurredTime != "" {
		f.Add(prefix+".occurred_on", "err.date")
	}
	return t
}

// Record records assessment in on case caseID (read at in.Version). It needs
// consent to collect and store (or an override). It appends the risk level
// and its reasoning to the risk history, completes the assessment deadline,
// moves a case waiting for its assessment on to case planning, and raises the
// medical-referral alert for a recent sexual-violence incident.
func Record(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*Assessment, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Assessment, caseID)
	if err != nil {
		return nil, err
	}
	if c.Version != in.Version {
		return nil, &errs.ConflictError{Record: "case", Version: c.Version}
	}
	if err := consent.Gate(ctx, tx, p, c, now); err != nil {
		return nil, err
	}
	var f errs.Fields
	if !slices.Contains([]string{Initial, Comprehensive}, in.Kind) {
		f.Add("kind", "err.choose")
	}
	today := p.Today(now)
	if in.AssessedOn == "" {
		in.AssessedOn = today
	}
	if _, err := time.Parse(time.DateOnly, in.AssessedOn); err != nil {
		f.Add("assessed_on", "err.date")
	} else if in.AssessedOn > today {
		f.Add("assessed_on", "err.future")
	}
	in.NotInterviewedWhy = strings.TrimSpace(in.NotInterviewedWhy)
	if !in.InterviewedChild && in.NotInterviewedWhy == "" {
		f.Add("not_interviewed_why", "err.not_interviewed_why")
	}
	for field, v := range map[string]*string{"domains.child": &in.Domains.Child, "domains.household": &in.Domains.Household,
		"domains.family": &in.Domains.Family, "domains.care": &in.Domains.Care, "domains.situation": &in.Domains.Situation,
		"vulnerabilities": &in.Vulnerabilities, "protective_factors": &in.ProtectiveFactors, "child_views": &in.ChildViews,
		"caregiver_views": &in.CaregiverViews, "not_interviewed_why": &in.NotInterviewedWhy} {
		*v = strings.TrimSpace(*v)
		if len(*v) > maxLong {
			f.Add(field, "err.too_long", maxLong)
		}
	}
	// The reason joins the risk history behind riskPrefix: it must fit there too.
	in.RiskReason = strings.TrimSpace(in.RiskReason)
	if len(riskPrefix+in.RiskReason) > maxLong {
		f.Add("risk_reason", "err.too_long", maxLong-len(riskPrefix))
	}
	var threats []Threat
	for i, ti := range in.Threats {
		if ti.Empty() {
			continue
		}
		threats = append(threats, threat(p, c.Type, "threats."+strconv.Itoa(i), ti, now, &f))
	}
	var needs []Need
	for i, ni := range in.Needs {
		if ni.Empty() {
			continue
		}
		prefix := "needs." + strconv.Itoa(i)
		n := Need{Domain: ni.Domain, Description: strings.TrimSpace(ni.Description), Met: ni.Met, Priority: ni.Priority,
			Essential: ni.Essential}
		if !profile.Has(p.NeedDomains, ni.Domain) {
			f.Add(prefix+".domain", "err.choose")
		}
		if n.Description == "" || len(n.Description) > maxLong {
			f.Add(prefix+".description", "err.required")
		}
		if !slices.Contains(MetValues, ni.Met) {
			f.Add(prefix+".met", "err.choose")
		}
		if !slices.Contains(Priorities, ni.Priority) {
			f.Add(prefix+".priority", "err.choose")
		}
		needs = append(needs, n)
	}
	if len(needs) == 0 {
		f.Add("needs", "err.needs_required")
	}
	if !profile.Has(p.RiskLevels, in.RiskLevel) {
		f.Add("risk_level", "err.choose")
	}
	if in.RiskReason == "" {
		f.Add("risk_reason", "err.risk_reason")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	as := &Assessment{CaseID: c.ID, Kind: in.Kind, AssessedOn: in.AssessedOn, InterviewedChild: in.InterviewedChild,
		NotInterviewedWhy: in.NotInterviewedWhy, Domains: in.Domains, Vulnerabilities: in.Vulnerabilities,
		ProtectiveFactors: in.ProtectiveFactors, ChildViews: in.ChildViews, CaregiverViews: in.CaregiverViews,
		RiskLevel: in.RiskLevel, RiskReason: in.RiskReason, CreatedBy: a.UserID, CreatedAt: now, Version: 1}
	if err := tx.InsertAssessment(ctx, as); err != nil {
		return nil, err
	}
	for i := range threats {
		threats[i].CaseID, threats[i].AssessmentID, threats[i].CreatedAt = c.ID, as.ID, now
		if err := tx.InsertThreat(ctx, &threats[i]); err != nil {
			return nil, err
		}
	}
	for i := range needs {
		needs[i].CaseID, needs[i].AssessmentID, needs[i].CreatedAt = c.ID, as.ID, now
		if err := tx.InsertNeed(ctx, &needs[i]); err != nil {
			return nil, err
		}
	}
	as.Threats, as.Needs = threats, needs

	// The assessment deadline is met (or missed) by the level it ran under:
	// completed before a new level moves (or, at no risk, drops) it.
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.Assessment, a.UserID, now); err != nil {
		return nil, err
	}
	// The risk level and its reasoning join the risk history, whether or not it changed.
	if in.RiskLevel != c.RiskLevel {
		if c, err = cases.ChangeRisk(ctx, tx, p, a, c.ID, c.Version, in.RiskLevel, riskPrefix+in.RiskReason, now); err != nil {
			return nil, err
		}
	} else if err := tx.InsertRiskChange(ctx, &cases.RiskChange{CaseID: c.ID, From: c.RiskLevel, To: in.RiskLevel,
		Reason: riskPrefix + in.RiskReason, ChangedBy: a.UserID, ChangedAt: now}); err != nil {
		return nil, err
	}
	if c.Step == cases.StepAssessment || c.Step == cases.StepRegistration {
		if err := cases.SetStep(ctx, tx, c, cases.StepCasePlan, "assessed", a.UserID, now); err != nil {
			return nil, err
		}
		// The case plan is due from the day the assessment happened, as a
		// follow-up's and a review's next ones are: one entered from paper
		// days later does not buy the plan those days.
		if err := cases.EnsureDeadline(ctx, tx, p, c, deadline.CasePlan, p.DayStart(in.AssessedOn, now), now); err != nil {
			return nil, err
		}
	}
	if err := afterIncidents(ctx, tx, p, a, c, threats, now); err != nil {
		return nil, err
	}
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]any{"kind": as.Kind, "risk": as.RiskLevel, "threats": len(threats), "needs": len(needs)})
	return as, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "assessment.record", RecordType: "assessment", RecordID: as.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(detail)})
}

// afterIncidents raises the medical-referral alert for sexual-violence
// incidents inside the profile's window: one deadline, running from the
// earliest of them (brought forward when an earlier one comes to light), and
// one notice to the supervisors.
func afterIncidents(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, c *cases.Case, threats []Threat, now time.Time) error {
	var first time.Time
	for _, t := range threats {
		if !p.IsSexualIncident(t.IncidentType) || t.OccurredAt.IsZero() || now.Sub(t.OccurredAt) > p.SexualViolenceWindow.D() {
			continue
		}
		if first.IsZero() || t.OccurredAt.Before(first) {
			first = t.OccurredAt
		}
	}
	if first.IsZero() {
		return nil
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return err
	}
	var open *deadline.Deadline
	for i := range ds {
		if ds[i].Kind == deadline.MedicalReferral && ds[i].Open() {
			open = &ds[i]
			break
		}
	}
	switch {
	case open == nil:
		err = cases.AddDeadline(ctx, tx, p, c, deadline.MedicalReferral, first, c.CaseworkerID, now)
	case first.Before(open.AnchorAt):
		err = cases.RescheduleDeadline(ctx, tx, p, c, deadline.MedicalReferral, first, now)
	}
	if err != nil {
		return err
	}
	return notify.Supervisors(ctx, tx, c.TeamID, notify.MedicalReferral, c.ID, a.UserID, now)
}

// RecordIncident records a new incident on case caseID outside an
// assessment. A new incident makes the review of an active plan due at once
// (L4474-4481) and may raise the medical-referral alert.
func RecordIncident(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in ThreatInput, now time.Time) (*Threat, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Assessment, caseID)
	if err != nil {
		return nil, err
	}
	if err := consent.Gate(ctx, tx, p, c, now); err != nil {
		return nil, err
	}
	var f errs.Fields
	t := threat(p, c.Type, "incident", in, now, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	t.CaseID, t.CreatedAt = c.ID, now
	if err := tx.InsertThreat(ctx, &t); err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.Kind == deadline.Review && d.Open() {
			if err := cases.DueNow(ctx, tx, c, deadline.Review, now); err != nil {
				return nil, err
			}
			break
		}
	}
	if err := afterIncidents(ctx, tx, p, a, c, []Threat{t}, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]string{"incident_type": t.IncidentType})
	return &t, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "assessment.incident", RecordType: "safety_threat", RecordID: t.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(detail)})
}

// MedicalReferralMade records that the medical referral after a sexual-violence
// incident was made, completing the alert.
func MedicalReferralMade(ctx context.Context, tx Tx, a access.Actor, caseID string, now time.Time) error {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Assessment, caseID)
	if err != nil {
		return err
	}
	n, err := cases.CompleteDeadlines(ctx, tx, c, deadline.MedicalReferral, a.UserID, now)
	if err != nil {
		return err
	}
	if n == 0 {
		return errs.Field("medical_referral", "err.nothing_open")
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return err
	}
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "assessment.medical_referral", RecordType: "case", RecordID: c.ID, CaseID: c.ID, AgencyID: c.AgencyID})
}
