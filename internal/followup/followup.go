// Package followup records the fifth step of case management: follow-up and
// review (L4434-4488). A follow-up — a home visit, a meeting in a safe
// place, an office visit, a phone call — re-checks the child's safety every
// time (it is not recorded without that check), notes progress on each
// objective of the active plan, new needs, whether the family is satisfied,
// and re-checks the risk level; the next follow-up falls due from it by the
// risk level's timeline. A review evaluates each objective of the active
// plan, records the child's participation and the changes to the plan, and
// sets the next review; it falls due at once when the family is dissatisfied,
// the risk rises, the care arrangement changes or a new incident happens.
package followup

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
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
)

// Modes of follow-up (L4446-4463).
const (
	HomeVisit    = "home_visit"
	SafeLocation = "safe_location"
	Office       = "office"
	Phone        = "phone"
	OtherMode    = "other"
)

// Modes lists the modes of follow-up.
var Modes = []string{HomeVisit, SafeLocation, Office, Phone, OtherMode}

// Contacts lists who a follow-up can be with (L4451-4455).
var Contacts = []string{"child", "caregiver", "family", "provider", "teacher", "community", "other"}

// Outcomes of the safety re-check.
const (
	Safe     = "safe"
	Concerns = "concerns"
	Unsafe   = "unsafe"
)

// SafetyValues lists the outcomes of the safety re-check.
var SafetyValues = []string{Safe, Concerns, Unsafe}

// Progress is what a follow-up found about one objective of the active plan.
type Progress struct {
	ObjectiveID string `json:"objective_id"`
	Status      string `json:"status"` // one of plan.ObjectiveStatuses; empty in input: unchanged
	Note        string `json:"note"`
}

// FollowUp is one recorded follow-up.
type FollowUp struct {
	ID           string
	CaseID       string
	PlanID       string // the plan active at the time, if any
	Mode         string
	Contacts     []string
	HappenedOn   string // YYYY-MM-DD
	Seen         bool   // the child or survivor was seen
	Safety       string
	SafetyNotes  string
	Progress     []Progress
	NewNeeds     string
	Dissatisfied bool // the child or family is not satisfied with the case management
	// RiskLevel is the risk level the re-check left the case at. It is not
	// stored with the follow-up: every change goes to the risk history, so
	// storage reads it from there (the level in force when it was recorded).
	RiskLevel  string
	Notes      string
	RecordedBy string
	CreatedAt  time.Time
}

// Input is the follow-up form.
type Input struct {
	Mode         string     `json:"mode"`
	Contacts     []string   `json:"contacts"`
	HappenedOn   string     `json:"happened_on"`
	Seen         bool       `json:"seen"`
	Safety       string     `json:"safety"`
	SafetyNotes  string     `json:"safety_notes"`
	Progress     []Progress `json:"progress"`
	NewNeeds     string     `json:"new_needs"`
	Dissatisfied bool       `json:"dissatisfied"`
	RiskLevel    string     `json:"risk_level"`
	RiskReason   string     `json:"risk_reason"`
	Notes        string     `json:"notes"`
	Version      int        `json:"version"` // of the case
}

// Tx is the storage follow-ups and reviews need.
type Tx interface {
	plan.Tx
	InsertFollowUp(ctx context.Context, f *FollowUp) error
	FollowUps(ctx context.Context, caseID string) ([]FollowUp, error)
	InsertReview(ctx context.Context, r *Review) error
	Reviews(ctx context.Context, caseID string) ([]Review, error)
}

const (
	maxLong = 4000
)

// date checks a YYYY-MM-DD field that defaults to today and may not be in
// the future.
func date(p *profile.Profile, field string, v *string, now time.Time, f *errs.Fields) {
	today := p.Today(now)
	*v = strings.TrimSpace(*v)
	if *v == "" {
		*v = today
	}
	if _, err := time.Parse(time.DateOnly, *v); err != nil {
		f.Add(field, "err.date")
	} else if *v > today {
		f.Add(field, "err.future")
	}
}

// trim trims each text field and refuses one over the limit.
func trim(fields map[string]*string, f *errs.Fields) {
	for name, v := range fields {
		*v = strings.TrimSpace(*v)
		if len(*v) > maxLong {
			f.Add(name, "err.too_long", maxLong)
		}
	}
}

// riskCheck validates the risk re-check: a level from the profile, and a
// reason when it differs from the case's.
func riskCheck(p *profile.Profile, c *cases.Case, level, reason string, f *errs.Fields) {
	if !profile.Has(p.RiskLevels, level) {
		f.Add("risk_level", "err.choose")
	} else if level != c.RiskLevel && reason == "" {
		f.Add("risk_reason", "err.risk_reason")
	}
}

// loadCase reads case caseID for a to record in the follow-up section,
// refusing a stale form and a case without consent to collect and store.
func loadCase(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, version int, now time.Time) (*cases.Case, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.FollowUp, caseID)
	if err != nil {
		return nil, err
	}
	if c.Version != version {
		return nil, &errs.ConflictError{Record: "case", Version: c.Version}
	}
	if err := consent.Gate(ctx, tx, p, c, now); err != nil {
		return nil, err
	}
	return c, nil
}

// activePlan returns the case's active plan and whether a plan is being
// prepared, or nil.
func activePlan(ctx context.Context, tx Tx, c *cases.Case) (active *plan.Plan, preparing bool, err error) {
	ps, err := tx.Plans(ctx, c.ID)
	if err != nil {
		return nil, false, err
	}
	return plan.ActiveOf(ps), plan.InPreparation(ps) != nil, nil
}

func hasOpen(ds []deadline.Deadline, k deadline.Kind) bool {
	for _, d := range ds {
		if d.Kind == k && d.Open() {
			return true
		}
	}
	return false
}

// Record records follow-up in on case caseID (read at in.Version). The
// safety re-check is required, with notes unless the child is safe. Progress
// sets the status of each objective of the active plan it names. A new risk
// level (with its reason) goes to the risk history and moves the deadlines.
// Dissatisfaction makes the review due at once. The open follow-up deadline
// is done and the next one runs from the day of this follow-up at the risk
// level's timeline; the first follow-up moves the case from implementation
// to the follow-up step.
func Record(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in Input, now time.Time) (*FollowUp, error) {
	c, err := loadCase(ctx, tx, p, a, caseID, in.Version, now)
	if err != nil {
		return nil, err
	}
	active, _, err := activePlan(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	var f errs.Fields
	if !slices.Contains(Modes, in.Mode) {
		f.Add("mode", "err.choose")
	}
	var contacts []string
	seen := map[string]bool{}
	for _, k := range in.Contacts {
		if !slices.Contains(Contacts, k) {
			f.Add("contacts", "err.choose")
			break
		}
		if !seen[k] {
			seen[k] = true
			contacts = append(contacts, k)
		}
	}
	if len(contacts) == 0 && !f.Has("contacts") {
		f.Add("contacts", "err.followup_contacts")
	}
	date(p, "happened_on", &in.HappenedOn, now, &f)
	trim(map[string]*string{"safety_notes": &in.SafetyNotes, "new_needs": &in.NewNeeds, "notes": &in.Notes,
		"risk_reason": &in.RiskReason}, &f)
	// The safety re-check is done on every follow-up (DOMAIN.md, step 5).
	switch {
	case in.Safety == "":
		f.Add("safety", "err.followup_safety")
	case !slices.Contains(SafetyValues, in.Safety):
		f.Add("safety", "err.choose")
	case in.Safety != Safe && in.SafetyNotes == "":
		f.Add("safety_notes", "err.followup_safety_notes")
	}
	progress := checkProgress(in.Progress, active, &f)
	riskCheck(p, c, in.RiskLevel, in.RiskReason, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}

	fu := &FollowUp{CaseID: c.ID, Mode: in.Mode, Contacts: contacts, HappenedOn: in.HappenedOn, Seen: in.Seen,
		Safety: in.Safety, SafetyNotes: in.SafetyNotes, Progress: progress, NewNeeds: in.NewNeeds,
		Dissatisfied: in.Dissatisfied, RiskLevel: in.RiskLevel, Notes: in.Notes, RecordedBy: a.UserID, CreatedAt: now}
	if active != nil {
		fu.PlanID = active.ID
	}
	if err := tx.InsertFollowUp(ctx, fu); err != nil {
		return nil, err
	}
	if err := setStatuses(ctx, tx, active, progress); err != nil {
		return nil, err
	}
	riskChanged := in.RiskLevel != c.RiskLevel
	if riskChanged {
		if c, err = cases.ChangeRisk(ctx, tx, p, a, c.ID, c.Version, in.RiskLevel, "follow-up: "+in.RiskReason, now); err != nil {
			return nil, err
		}
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	// The follow-up cycle runs while a plan is in force (it starts when a plan
	// becomes active); a follow-up before that is recorded without a schedule.
	if active != nil || hasOpen(ds, deadline.FollowUp) {
		if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.FollowUp, a.UserID, now); err != nil {
			return nil, err
		}
		if err := cases.RescheduleDeadline(ctx, tx, p, c, deadline.FollowUp, p.DayStart(in.HappenedOn, now), now); err != nil {
			return nil, err
		}
	}
	// The family's dissatisfaction calls for a review at once (L4474-4481).
	if in.Dissatisfied && (active != nil || hasOpen(ds, deadline.Review)) {
		if err := cases.DueNow(ctx, tx, c, deadline.Review, now); err != nil {
			return nil, err
		}
	}
	// A child found unsafe is the supervisor's business at once (L3827-3835).
	if fu.Safety == Unsafe {
		if err := notify.Supervisors(ctx, tx, c.TeamID, notify.Unsafe, c.ID, a.UserID, now); err != nil {
			return nil, err
		}
	}
	if c.Step == cases.StepImplementation {
		if err := cases.SetStep(ctx, tx, c, cases.StepFollowUp, "first follow-up", a.UserID, now); err != nil {
			return nil, err
		}
	}
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	detail, _ := json.Marshal(map[string]any{"mode": fu.Mode, "safety": fu.Safety, "seen": fu.Seen,
		"objectives": len(progress), "dissatisfied": fu.Dissatisfied, "risk_changed": riskChanged})
	return fu, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "followup.record", RecordType: "followup", RecordID: fu.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(detail)})
}

// checkProgress validates the progress rows against the active plan: each
// names one of its objectives, once, with a status (empty: unchanged). Rows
// with neither a status nor a note are left out.
func checkProgress(in []Progress, active *plan.Plan, f *errs.Fields) []Progress {
	var out []Progress
	done := map[string]bool{}
	for i, pr := range in {
		prefix := "progress." + strconv.Itoa(i)
		pr.Note = strings.TrimSpace(pr.Note)
		if pr.Status == "" && pr.Note == "" {
			continue
		}
		var o *plan.Objective
		if active != nil {
			o = active.Objective(pr.ObjectiveID)
		}
		if o == nil || done[pr.ObjectiveID] {
			f.Add(prefix+".objective_id", "err.followup_objective")
			continue
		}
		done[pr.ObjectiveID] = true
		if pr.Status == "" {
			pr.Status = o.Status
		} else if !slices.Contains(plan.ObjectiveStatuses, pr.Status) {
			f.Add(prefix+".status", "err.choose")
		}
		if len(pr.Note) > maxLong {
			f.Add(prefix+".note", "err.too_long", maxLong)
		}
		out = append(out, pr)
	}
	return out
}

// setStatuses sets each objective named in progress to its new status.
func setStatuses(ctx context.Context, tx Tx, active *plan.Plan, progress []Progress) error {
	for _, pr := range progress {
		if o := active.Objective(pr.ObjectiveID); o != nil && o.Status != pr.Status {
			if err := tx.SetObjectiveStatus(ctx, active.ID, o.ID, pr.Status); err != nil {
				return err
			}
			o.Status = pr.Status
		}
	}
	return nil
}
