// Package incident records the incidents of a case — for a GBV case the six
// GBVIMS core types, for a CP case the profile's CP taxonomy — and the
// mandatory-reporting decision an incident may call for. When an incident's
// type is one the law of the context makes reportable (the profile's
// mandatory_reporting_incident_types), the same transaction opens a
// mandatory report, tells the supervisors of the case's team and gives each
// of them a deadline for the decision (the profile's approval_within). The
// caseworker recommends reporting or not, with the reasoning; the supervisor
// decides, recording the best-interests reasoning, the authority, what was
// shared and how, when, and whether the family was told (DOMAIN.md,
// "Mandatory reporting"), which completes the deadline. Until then the case
// shows the decision as open.
package incident

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
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
)

// States of a mandatory report.
const (
	Pending = "pending" // waiting for the supervisor's decision
	Decided = "decided"
)

// Choices of a recommendation and a decision.
const (
	DoReport = "report"
	NoReport = "do_not_report"
)

// Choices lists what a recommendation or a decision can be.
var Choices = []string{DoReport, NoReport}

// Incident is one incident recorded on a case.
type Incident struct {
	ID          string
	CaseID      string
	Type        string // from the profile's incident_types for the case's type
	HappenedOn  string // YYYY-MM-DD
	Location    string
	Perpetrator string // the relationship, from the profile's perpetrator_relationships; may be empty
	Description string
	RecordedBy  string
	RecordedAt  time.Time
	Report      *Report // the mandatory report it opened, or nil
}

// Report is the mandatory-reporting decision about one incident.
type Report struct {
	ID         string
	CaseID     string
	IncidentID string
	Status     string

	// The caseworker's recommendation.
	Recommendation string // one of Choices, or "" before it is recorded
	RecommendWhy   string
	RecommendedBy  string
	RecommendedAt  time.Time

	// The supervisor's decision.
	Decision         string // one of Choices
	Reasoning        string // the best interests of the child or survivor
	Authority        string // to whom it was reported (when reporting)
	SharedWhat       string
	SharedHow        string
	ReportedOn       string // YYYY-MM-DD
	FamilyTold       bool
	FamilyToldOn     string // YYYY-MM-DD
	FamilyNotToldWhy string
	DecidedBy        string
	DecidedAt        time.Time

	Version int
}

// Open reports whether r still waits for the supervisor's decision.
func (r *Report) Open() bool { return r != nil && r.Status == Pending }

// Input is the form that records an incident.
type Input struct {
	Type        string `json:"incident_type"`
	HappenedOn  string `json:"occurred_on"` // YYYY-MM-DD
	Location    string `json:"place"`
	Perpetrator string `json:"perpetrator"`
	Description string `json:"description"`
}

// RecommendInput is the caseworker's recommendation.
type RecommendInput struct {
	Recommendation string `json:"recommendation"`
	Reasoning      string `json:"reasoning"`
	Version        int    `json:"version"` // of the report
}

// DecideInput is the supervisor's decision.
type DecideInput struct {
	Decision         string `json:"decision"`
	Reasoning        string `json:"reasoning"`
	Authority        string `json:"authority"`
	SharedWhat       string `json:"shared_what"`
	SharedHow        string `json:"shared_how"`
	ReportedOn       string `json:"reported_on"`
	FamilyTold       bool   `json:"family_told"`
	FamilyToldOn     string `json:"family_told_on"`
	FamilyNotToldWhy string `json:"family_not_told_why"`
	Version          int    `json:"version"` // of the report
}

// Tx is the storage incidents need, inside one transaction.
type Tx interface {
	cases.Tx
	consent.Tx
	InsertIncident(ctx context.Context, in *Incident) error
	Incident(ctx context.Context, caseID, id string) (*Incident, error)
	Incidents(ctx context.Context, caseID string) ([]Incident, error)
	InsertMandatoryReport(ctx context.Context, r *Report) error
	UpdateMandatoryReport(ctx context.Context, r *Report) error
}

const (
	maxShort = 200
	maxLong  = 4000
)

// Mandatory reports whether an incident of type typ calls for a
// mandatory-reporting decision under profile p.
func Mandatory(p *profile.Profile, typ string) bool {
	return slices.Contains(p.MandatoryReporting, typ)
}

// Types returns the incident types a case of type caseType offers.
func Types(p *profile.Profile, caseType string) []profile.Option { return p.IncidentTypes[caseType] }

// date checks the YYYY-MM-DD field of name v: required when req, never in
// the future.
func date(p *profile.Profile, field string, v *string, req bool, now time.Time, f *errs.Fields) {
	*v = strings.TrimSpace(*v)
	switch {
	case *v == "":
		if req {
			f.Add(field, "err.required")
		}
	case !validDate(*v):
		f.Add(field, "err.date")
	case *v > p.Today(now):
		f.Add(field, "err.future")
	}
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == len(time.DateOnly)
}

// text trims *v and refuses it over max bytes, or empty when req.
func text(field string, v *string, max int, req bool, f *errs.Fields) {
	*v = strings.TrimSpace(*v)
	switch {
	case *v == "" && req:
		f.Add(field, "err.required")
	case len(*v) > max:
		f.Add(field, "err.too_long", max)
	}
}

// Record records incident in on case caseID. The type is one of the
// profile's incident types for the case's type; the date is required and
// not in the future. It needs consent to collect and store (or an
// override). A type that calls for mandatory reporting opens a pending
// mandatory report, notifies the supervisors of the case's team and opens
// a decision deadline for each of them. A new
// incident makes an open review due at once (L4474-4481), and recent sexual
// violence raises the medical-referral alert, as an incident recorded in an
// assessment does.
func Record(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*Incident, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Assessment, caseID)
	if err != nil {
		return nil, err
	}
	if err := consent.Gate(ctx, tx, p, c, now); err != nil {
		return nil, err
	}
	var f errs.Fields
	in.Type = strings.TrimSpace(in.Type)
	if !profile.Has(Types(p, c.Type), in.Type) {
		f.Add("incident_type", "err.choose")
	}
	date(p, "occurred_on", &in.HappenedOn, true, now, &f)
	text("place", &in.Location, maxShort, false, &f)
	in.Perpetrator = strings.TrimSpace(in.Perpetrator)
	if in.Perpetrator != "" && !profile.Has(p.PerpetratorRelations, in.Perpetrator) {
		f.Add("perpetrator", "err.choose")
	}
	text("description", &in.Description, maxLong, false, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	inc := &Incident{CaseID: c.ID, Type: in.Type, HappenedOn: in.HappenedOn, Location: in.Location,
		Perpetrator: in.Perpetrator, Description: in.Description, RecordedBy: a.UserID, RecordedAt: now}
	if err := tx.InsertIncident(ctx, inc); err != nil {
		return nil, err
	}
	detail := map[string]any{"mandatory": false}
	if Mandatory(p, inc.Type) {
		r := &Report{CaseID: c.ID, IncidentID: inc.ID, Status: Pending, Version: 1}
		if err := tx.InsertMandatoryReport(ctx, r); err != nil {
			return nil, err
		}
		inc.Report = r
		detail["mandatory"], detail["report_id"] = true, r.ID
		// Each supervisor of the team has the decision to make, due within
		// the profile's approval time (afterIncident refreshes next_due).
		if err := cases.SupervisorTask(ctx, tx, p, c, deadline.MandatoryDecision, notify.MandatoryReport, a.UserID, now); err != nil {
			return nil, err
		}
	}
	if err := afterIncident(ctx, tx, p, a, c, inc, now); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(detail)
	return inc, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "incident.record", RecordType: "incident", RecordID: inc.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(b)})
}

// afterIncident moves the case's deadlines as a new incident does: an open
// review falls due at once; sexual violence inside the profile's window
// opens (or brings forward) the medical-referral alert and tells the
// supervisors.
func afterIncident(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, c *cases.Case, inc *Incident, now time.Time) error {
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return err
	}
	var review bool
	var medical *deadline.Deadline
	for i := range ds {
		switch {
		case !ds[i].Open():
		case ds[i].Kind == deadline.Review:
			review = true
		case ds[i].Kind == deadline.MedicalReferral:
			medical = &ds[i]
		}
	}
	if review && c.IsOpen() {
		if err := cases.DueNow(ctx, tx, c, deadline.Review, now); err != nil {
			return err
		}
	}
	at := p.DayStart(inc.HappenedOn, now)
	if p.IsSexualIncident(inc.Type) && now.Sub(at) <= p.SexualViolenceWindow.D() {
		switch {
		case medical == nil:
			err = cases.AddDeadline(ctx, tx, p, c, deadline.MedicalReferral, at, c.CaseworkerID, now)
		case at.Before(medical.AnchorAt):
			err = cases.RescheduleDeadline(ctx, tx, p, c, deadline.MedicalReferral, at, now)
		}
		if err != nil {
			return err
		}
		if err := notify.Supervisors(ctx, tx, c.TeamID, notify.MedicalReferral, c.ID, a.UserID, now); err != nil {
			return err
		}
	}
	return tx.RefreshNextDue(ctx, c.ID)
}

// pendingReport loads case caseID for a to do act in the assessment section
// and the mandatory report of its incident incidentID, read at version. The
// report must still wait for its decision.
func pendingReport(ctx context.Context, tx Tx, a access.Actor, act access.Action, caseID, incidentID string, version int) (*cases.Case, *Incident, error) {
	c, err := cases.Get(ctx, tx, a, act, access.Assessment, caseID)
	if err != nil {
		return nil, nil, err
	}
	inc, err := tx.Incident(ctx, c.ID, incidentID)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case inc.Report == nil:
		return nil, nil, errs.Field("decision", "err.mandatory_none")
	case inc.Report.Status != Pending:
		return nil, nil, errs.Field("decision", "err.mandatory_decided")
	case inc.Report.Version != version:
		return nil, nil, &errs.ConflictError{Record: "mandatory_report", Version: inc.Report.Version}
	}
	return c, inc, nil
}

// Recommend records the caseworker's recommendation on the mandatory report
// of incident incidentID of case caseID (read at in.Version): report or not,
// with the reasoning. It may be changed until the supervisor decides.
func Recommend(ctx context.Context, tx Tx, a access.Actor, caseID, incidentID string, in RecommendInput, now time.Time) (*Report, error) {
	c, inc, err := pendingReport(ctx, tx, a, access.Edit, caseID, incidentID, in.Version)
	if err != nil {
		return nil, err
	}
	var f errs.Fields
	if !slices.Contains(Choices, in.Recommendation) {
		f.Add("recommendation", "err.choose")
	}
	text("reasoning", &in.Reasoning, maxLong, true, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	r := inc.Report
	r.Recommendation, r.RecommendWhy, r.RecommendedBy, r.RecommendedAt = in.Recommendation, in.Reasoning, a.UserID, now
	if err := tx.UpdateMandatoryReport(ctx, r); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(map[string]string{"incident_id": inc.ID, "recommendation": r.Recommendation})
	return r, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "mandatory.recommend", RecordType: "mandatory_report", RecordID: r.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(b)})
}

// Decide records the supervisor's decision on the mandatory report of
// incident incidentID of case caseID (read at in.Version), once the
// caseworker has recommended. The best-interests reasoning is required;
// reporting also needs the authority, what was shared and how, and the date;
// the family was told (when) or not (why not). The report is then decided
// and its decision deadlines done, and the caseworker is told.
func Decide(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID, incidentID string, in DecideInput, now time.Time) (*Report, error) {
	c, inc, err := pendingReport(ctx, tx, a, access.Approve, caseID, incidentID, in.Version)
	if err != nil {
		return nil, err
	}
	r := inc.Report
	var f errs.Fields
	if r.Recommendation == "" {
		f.Add("decision", "err.mandatory_no_recommendation")
	}
	if !slices.Contains(Choices, in.Decision) {
		f.Add("decision", "err.choose")
	}
	reporting := in.Decision == DoReport
	text("reasoning", &in.Reasoning, maxLong, true, &f)
	text("authority", &in.Authority, maxShort, reporting, &f)
	text("shared_what", &in.SharedWhat, maxLong, reporting, &f)
	text("shared_how", &in.SharedHow, maxShort, reporting, &f)
	date(p, "reported_on", &in.ReportedOn, reporting, now, &f)
	if in.FamilyTold {
		date(p, "family_told_on", &in.FamilyToldOn, true, now, &f)
		in.FamilyNotToldWhy = ""
	} else {
		text("family_not_told_why", &in.FamilyNotToldWhy, maxLong, true, &f)
		in.FamilyToldOn = ""
	}
	if !reporting {
		// Nothing was reported: nothing was shared with an authority.
		in.Authority, in.SharedWhat, in.SharedHow, in.ReportedOn = "", "", "", ""
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	r.Status, r.Decision, r.Reasoning, r.Authority = Decided, in.Decision, in.Reasoning, in.Authority
	r.SharedWhat, r.SharedHow, r.ReportedOn = in.SharedWhat, in.SharedHow, in.ReportedOn
	r.FamilyTold, r.FamilyToldOn, r.FamilyNotToldWhy = in.FamilyTold, in.FamilyToldOn, in.FamilyNotToldWhy
	r.DecidedBy, r.DecidedAt = a.UserID, now
	if err := tx.UpdateMandatoryReport(ctx, r); err != nil {
		return nil, err
	}
	if err := completeDecision(ctx, tx, c, inc, a.UserID, now); err != nil {
		return nil, err
	}
	if err := notify.Send(ctx, tx, []string{c.CaseworkerID, r.RecommendedBy}, notify.MandatoryDecided, c.ID, a.UserID, now); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(map[string]any{"incident_id": inc.ID, "decision": r.Decision, "family_told": r.FamilyTold})
	return r, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "mandatory.decide", RecordType: "mandatory_report", RecordID: r.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(b)})
}

// completeDecision marks done the supervisors' decision deadlines that
// incident inc opened, once its report (already saved) is decided, and
// refreshes the case's next due date. A deadline names no report: those of
// inc are the ones anchored when it was recorded. When no other report of
// the case still waits, every open decision deadline is done.
func completeDecision(ctx context.Context, tx Tx, c *cases.Case, inc *Incident, by string, now time.Time) error {
	incs, err := tx.Incidents(ctx, c.ID)
	if err != nil {
		return err
	}
	others := PendingCount(incs)
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.Kind != deadline.MandatoryDecision || !d.Open() || (others > 0 && !d.AnchorAt.Equal(inc.RecordedAt)) {
			continue
		}
		d.DoneAt, d.DoneBy = now, by
		if err := tx.UpdateDeadline(ctx, &d); err != nil {
			return err
		}
	}
	return tx.RefreshNextDue(ctx, c.ID)
}

// PendingCount counts the incidents whose mandatory report waits for a decision.
func PendingCount(incs []Incident) int {
	n := 0
	for i := range incs {
		if incs[i].Report.Open() {
			n++
		}
	}
	return n
}
