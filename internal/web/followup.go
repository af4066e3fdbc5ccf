package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/store"
)

// followupArea is what the follow-up and review pages (and their API) show
// of a case: what is due, the active plan, and the records.
type followupArea struct {
	Case         *cases.Case
	Plans        []plan.Plan
	Active       *plan.Plan // the plan in force, or nil
	Preparing    *plan.Plan // a new plan being prepared, or nil
	FollowUps    []followup.FollowUp
	Reviews      []followup.Review
	NextFollowUp *deadline.Deadline // the open follow-up deadline, or nil
	NextReview   *deadline.Deadline
	Names        map[string]string
	CanEdit      bool
	GateOpen     bool // consent to collect and store is in force (or overridden)
}

// ObjectiveText returns the description of objective id of any of the
// case's plans (a record may name the objective of an earlier plan).
func (a *followupArea) ObjectiveText(id string) string {
	for i := range a.Plans {
		if o := a.Plans[i].Objective(id); o != nil {
			return o.Description
		}
	}
	return "–"
}

// The option lists the forms offer, from the domain package.
func (a *followupArea) Modes() []string             { return followup.Modes }
func (a *followupArea) Contacts() []string          { return followup.Contacts }
func (a *followupArea) SafetyValues() []string      { return followup.SafetyValues }
func (a *followupArea) Triggers() []string          { return followup.Triggers }
func (a *followupArea) Effectiveness() []string     { return followup.EffectivenessValues }
func (a *followupArea) ObjectiveStatuses() []string { return plan.ObjectiveStatuses }

// loadFollowupArea reads case id's follow-up area for rq. It does not audit
// the read: the caller does, once the read transaction is over.
func (s *Server) loadFollowupArea(ctx context.Context, rq *request, id string, followUps, reviews bool) (*followupArea, error) {
	a := &followupArea{}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.FollowUp, id)
		if err != nil {
			return err
		}
		a.Case = c
		a.CanEdit = access.Decide(rq.Actor, access.Edit, access.Resource{Kind: access.KindCase, Case: c.Ref(),
			Section: access.FollowUp}).Allow
		if a.CanEdit {
			err := consent.Gate(ctx, tx, s.prof, c, rq.Now)
			if _, closed := errs.AsFields(err); err != nil && !closed {
				return err
			}
			a.GateOpen = err == nil
		}
		if a.Plans, err = tx.Plans(ctx, c.ID); err != nil {
			return err
		}
		a.Active, a.Preparing = plan.ActiveOf(a.Plans), plan.InPreparation(a.Plans)
		ds, err := tx.CaseDeadlines(ctx, c.ID)
		if err != nil {
			return err
		}
		for i := range ds {
			switch {
			case !ds[i].Open():
			case ds[i].Kind == deadline.FollowUp:
				a.NextFollowUp = &ds[i]
			case ds[i].Kind == deadline.Review:
				a.NextReview = &ds[i]
			}
		}
		var ids []string
		if followUps {
			if a.FollowUps, err = tx.FollowUps(ctx, c.ID); err != nil {
				return err
			}
			for _, f := range a.FollowUps {
				ids = append(ids, f.RecordedBy)
			}
		}
		if reviews {
			if a.Reviews, err = tx.Reviews(ctx, c.ID); err != nil {
				return err
			}
			for _, r := range a.Reviews {
				ids = append(ids, r.RecordedBy)
			}
		}
		a.Names, err = tx.UserNames(ctx, ids)
		return err
	})
	return a, err
}

// fuSpan says how long d is in words: "3 days", "2 weeks".
func fuSpan(p *Page, d time.Duration) string {
	const day, week = 24 * time.Hour, 7 * 24 * time.Hour
	switch {
	case d == week:
		return p.T("followup.span_week")
	case d > week && d%week == 0:
		return p.T("followup.span_weeks", int(d/week))
	case d == day:
		return p.T("followup.span_day")
	case d > day && d%day == 0:
		return p.T("followup.span_days", int(d/day))
	}
	return p.T("followup.span_hours", int(d/time.Hour))
}

// Every says how often the case is followed up at its risk level, or "".
func (p *followupsPage) Every() string {
	if d, ok := p.Prof.Timelines.FollowUp.For(p.Case.RiskLevel); ok {
		return fuSpan(&p.Page, d)
	}
	return ""
}

// Every says how often the case is reviewed at its risk level.
func (p *reviewsPage) Every() string {
	if d, ok := p.Prof.Timelines.Review.For(p.Case.RiskLevel); ok {
		return fuSpan(&p.Page, d)
	}
	return fuSpan(&p.Page, p.Prof.ReviewInterval.D())
}

// auditFollowupView records that rq read the area of a (action followup.view or
// review.view); it is called after the read transaction.
func auditFollowupView(ctx context.Context, rq *request, a *followupArea, action string) {
	rq.auditRead(ctx, audit.Event{Action: action, RecordType: "case", RecordID: a.Case.ID,
		CaseID: a.Case.ID, AgencyID: a.Case.AgencyID})
}

// Follow-up pages

type followupsPage struct {
	Page
	*followupArea
	Form followup.Input
}

// Row returns what the form holds for objective o: what was typed, or the
// objective's status as it is.
func (p *followupsPage) Row(o plan.Objective) followup.Progress {
	for _, pr := range p.Form.Progress {
		if pr.ObjectiveID == o.ID {
			return pr
		}
	}
	return followup.Progress{ObjectiveID: o.ID, Status: o.Status}
}

// newFollowUpsPage builds the follow-up page of a with a blank form.
func (s *Server) newFollowUpsPage(rq *request, a *followupArea) *followupsPage {
	return &followupsPage{Page: s.page(rq, "followup.title", ""), followupArea: a,
		Form: followup.Input{HappenedOn: s.prof.Today(rq.Now), RiskLevel: a.Case.RiskLevel, Version: a.Case.Version}}
}

// getFollowUps shows what is due, the form to record a follow-up and the
// follow-ups so far, newest first.
func (s *Server) getFollowUps(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.loadFollowupArea(ctx, rq, r.PathValue("id"), true, false)
	if err != nil {
		return err
	}
	auditFollowupView(ctx, rq, a, "followup.view")
	p := s.newFollowUpsPage(rq, a)
	if r.URL.Query().Get("done") == "recorded" {
		p.Flash = "flash.followup_recorded"
	}
	return s.render(w, http.StatusOK, "followups", p)
}

// fuMaxRows caps the repeated rows read from a form.
const fuMaxRows = 50

// followupForm reads the follow-up form; progress rows are
// progress.N.objective_id, progress.N.status and progress.N.note.
func followupForm(f *form) followup.Input {
	in := followup.Input{Mode: f.str("mode"), Contacts: f.list("contacts"), HappenedOn: f.str("happened_on"),
		Seen: f.bool("seen"), Safety: f.str("safety"), SafetyNotes: f.str("safety_notes"), NewNeeds: f.str("new_needs"),
		Dissatisfied: f.bool("dissatisfied"), RiskLevel: f.str("risk_level"), RiskReason: f.str("risk_reason"),
		Notes: f.str("notes"), Version: f.version()}
	for i := 0; i < fuMaxRows; i++ {
		k := "progress." + strconv.Itoa(i) + "."
		id := f.str(k + "objective_id")
		if id == "" {
			break
		}
		in.Progress = append(in.Progress, followup.Progress{ObjectiveID: id, Status: f.str(k + "status"),
			Note: f.str(k + "note")})
	}
	return in
}

func (s *Server) postFollowUp(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in followup.Input
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = followupForm(f)
			_, err := followup.Record(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next: to("/cases/" + id + "/followups?done=recorded"),
		Again: func(fe errs.Fields, status int) error {
			ctx := r.Context()
			a, err := s.loadFollowupArea(ctx, rq, id, true, false)
			if err != nil {
				return err
			}
			auditFollowupView(ctx, rq, a, "followup.view")
			p := s.newFollowUpsPage(rq, a)
			p.Errors = fe
			in.Version = a.Case.Version // the form is sent again on the case as it is now
			p.Form = in
			return s.render(w, status, "followups", p)
		},
	})
}

// Review pages

type reviewsPage struct {
	Page
	*followupArea
	Form followup.ReviewInput
}

// Row returns what the form holds for objective o: what was typed, or the
// objective's status as it is.
func (p *reviewsPage) Row(o plan.Objective) followup.Evaluation {
	for _, e := range p.Form.Evaluation {
		if e.ObjectiveID == o.ID {
			return e
		}
	}
	return followup.Evaluation{ObjectiveID: o.ID, Status: o.Status}
}

func (s *Server) newReviewsPage(rq *request, a *followupArea) *reviewsPage {
	return &reviewsPage{Page: s.page(rq, "review.title", ""), followupArea: a,
		Form: followup.ReviewInput{ReviewedOn: s.prof.Today(rq.Now), RiskLevel: a.Case.RiskLevel, Version: a.Case.Version}}
}

// getReviews shows when the next review is due, the active plan's
// objectives with the form to review them, and the reviews so far.
func (s *Server) getReviews(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.loadFollowupArea(ctx, rq, r.PathValue("id"), false, true)
	if err != nil {
		return err
	}
	auditFollowupView(ctx, rq, a, "review.view")
	p := s.newReviewsPage(rq, a)
	switch r.URL.Query().Get("done") {
	case "recorded", "revised":
		p.Flash = "flash.review_" + r.URL.Query().Get("done")
	}
	return s.render(w, http.StatusOK, "reviews", p)
}

// caseReviewForm reads the review form; evaluation rows are
// evaluation.N.objective_id, .status, .effectiveness and .note.
func caseReviewForm(f *form) followup.ReviewInput {
	in := followup.ReviewInput{ReviewedOn: f.str("reviewed_on"), Trigger: f.str("trigger"),
		ChildParticipated: f.bool("child_participated"), Participation: f.str("participation"),
		PlanChanges: f.str("plan_changes"), Revise: f.bool("revise"), RiskLevel: f.str("risk_level"),
		RiskReason: f.str("risk_reason"), Version: f.version()}
	for i := 0; i < fuMaxRows; i++ {
		k := "evaluation." + strconv.Itoa(i) + "."
		id := f.str(k + "objective_id")
		if id == "" {
			break
		}
		in.Evaluation = append(in.Evaluation, followup.Evaluation{ObjectiveID: id, Status: f.str(k + "status"),
			Effectiveness: f.str(k + "effectiveness"), Note: f.str(k + "note")})
	}
	return in
}

func (s *Server) postReview(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in followup.ReviewInput
	var rv *followup.Review
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) (err error) {
			in = caseReviewForm(f)
			rv, err = followup.RecordReview(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next: func() string {
			if rv.RevisionID != "" {
				return "/cases/" + id + "/reviews?done=revised"
			}
			return "/cases/" + id + "/reviews?done=recorded"
		},
		Again: func(fe errs.Fields, status int) error {
			ctx := r.Context()
			a, err := s.loadFollowupArea(ctx, rq, id, false, true)
			if err != nil {
				return err
			}
			auditFollowupView(ctx, rq, a, "review.view")
			p := s.newReviewsPage(rq, a)
			p.Errors = fe
			in.Version = a.Case.Version // the form is sent again on the case as it is now
			p.Form = in
			return s.render(w, status, "reviews", p)
		},
	})
}

// API

type followUpObjectiveJSON struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Measure     string `json:"measure"`
	DueOn       string `json:"due_on"`
	Status      string `json:"status"`
}

type followUpJSON struct {
	ID           string              `json:"id"`
	PlanID       *string             `json:"plan_id"`
	Mode         string              `json:"mode"`
	Contacts     []string            `json:"contacts"`
	HappenedOn   string              `json:"happened_on"`
	Seen         bool                `json:"seen"`
	Safety       string              `json:"safety"`
	SafetyNotes  string              `json:"safety_notes"`
	Progress     []followup.Progress `json:"progress"`
	NewNeeds     string              `json:"new_needs"`
	Dissatisfied bool                `json:"dissatisfied"`
	RiskLevel    string              `json:"risk_level"`
	Notes        string              `json:"notes"`
	RecordedBy   string              `json:"recorded_by"`
	CreatedAt    *string             `json:"created_at"`
}

type reviewJSON struct {
	ID                string                `json:"id"`
	PlanID            *string               `json:"plan_id"`
	ReviewedOn        string                `json:"reviewed_on"`
	Trigger           string                `json:"trigger"`
	Evaluation        []followup.Evaluation `json:"evaluation"`
	ChildParticipated bool                  `json:"child_participated"`
	Participation     string                `json:"participation"`
	PlanChanges       string                `json:"plan_changes"`
	RiskLevel         string                `json:"risk_level"`
	RecordedBy        string                `json:"recorded_by"`
	CreatedAt         *string               `json:"created_at"`
	RevisionPlanID    *string               `json:"revision_plan_id,omitempty"`
}

// fuOptional is s, or null when empty.
func fuOptional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func followUpToJSON(f *followup.FollowUp) followUpJSON {
	j := followUpJSON{ID: f.ID, PlanID: fuOptional(f.PlanID), Mode: f.Mode, Contacts: f.Contacts, HappenedOn: f.HappenedOn,
		Seen: f.Seen, Safety: f.Safety, SafetyNotes: f.SafetyNotes, Progress: f.Progress, NewNeeds: f.NewNeeds,
		Dissatisfied: f.Dissatisfied, RiskLevel: f.RiskLevel, Notes: f.Notes, RecordedBy: f.RecordedBy,
		CreatedAt: apiTime(f.CreatedAt)}
	if j.Contacts == nil {
		j.Contacts = []string{}
	}
	if j.Progress == nil {
		j.Progress = []followup.Progress{}
	}
	return j
}

func reviewToJSON(r *followup.Review) reviewJSON {
	j := reviewJSON{ID: r.ID, PlanID: fuOptional(r.PlanID), ReviewedOn: r.ReviewedOn, Trigger: r.Trigger,
		Evaluation: r.Evaluation, ChildParticipated: r.ChildParticipated, Participation: r.Participation,
		PlanChanges: r.PlanChanges, RiskLevel: r.RiskLevel, RecordedBy: r.RecordedBy, CreatedAt: apiTime(r.CreatedAt),
		RevisionPlanID: fuOptional(r.RevisionID)}
	if j.Evaluation == nil {
		j.Evaluation = []followup.Evaluation{}
	}
	return j
}

// fuAreaJSON is what the follow-up and review lists share: the case's
// version (to send back with a record), its step and risk level, and the
// objectives of the active plan.
type fuAreaJSON struct {
	CaseID      string                  `json:"case_id"`
	CaseVersion int                     `json:"case_version"`
	Step        string                  `json:"step"`
	RiskLevel   string                  `json:"risk_level"`
	PlanID      *string                 `json:"plan_id"`
	Objectives  []followUpObjectiveJSON `json:"objectives"`
}

func fuAreaToJSON(a *followupArea) fuAreaJSON {
	j := fuAreaJSON{CaseID: a.Case.ID, CaseVersion: a.Case.Version, Step: a.Case.Step, RiskLevel: a.Case.RiskLevel,
		Objectives: []followUpObjectiveJSON{}}
	if a.Active != nil {
		j.PlanID = &a.Active.ID
		for _, o := range a.Active.Objectives {
			j.Objectives = append(j.Objectives, followUpObjectiveJSON{ID: o.ID, Description: o.Description,
				Measure: o.Measure, DueOn: o.DueOn, Status: o.Status})
		}
	}
	return j
}

func fuDueAt(d *deadline.Deadline) *string {
	if d == nil {
		return nil
	}
	return apiTime(d.DueAt)
}

// apiFollowUps lists the follow-ups of a case, newest first, with when the
// next is due.
func (s *Server) apiFollowUps(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.loadFollowupArea(ctx, rq, r.PathValue("id"), true, false)
	if err != nil {
		return err
	}
	auditFollowupView(ctx, rq, a, "followup.view")
	out := struct {
		fuAreaJSON
		NextFollowUp *string        `json:"next_follow_up_due"`
		NextReview   *string        `json:"next_review_due"`
		FollowUps    []followUpJSON `json:"followups"`
	}{fuAreaJSON: fuAreaToJSON(a), NextFollowUp: fuDueAt(a.NextFollowUp), NextReview: fuDueAt(a.NextReview),
		FollowUps: []followUpJSON{}}
	for i := range a.FollowUps {
		out.FollowUps = append(out.FollowUps, followUpToJSON(&a.FollowUps[i]))
	}
	return jsonOK(w, out)
}

func (s *Server) apiRecordFollowUp(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in followup.Input
	var f *followup.FollowUp
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		f, err = followup.Record(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return created(w, followUpToJSON(f)) })
}

// apiReviews lists the reviews of a case, newest first, with when the next
// is due and the objectives of the active plan to review.
func (s *Server) apiReviews(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.loadFollowupArea(ctx, rq, r.PathValue("id"), false, true)
	if err != nil {
		return err
	}
	auditFollowupView(ctx, rq, a, "review.view")
	out := struct {
		fuAreaJSON
		NextReview *string      `json:"next_review_due"`
		Reviews    []reviewJSON `json:"reviews"`
	}{fuAreaJSON: fuAreaToJSON(a), NextReview: fuDueAt(a.NextReview), Reviews: []reviewJSON{}}
	for i := range a.Reviews {
		out.Reviews = append(out.Reviews, reviewToJSON(&a.Reviews[i]))
	}
	return jsonOK(w, out)
}

func (s *Server) apiRecordReview(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in followup.ReviewInput
	var rv *followup.Review
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		rv, err = followup.RecordReview(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return created(w, reviewToJSON(rv)) })
}
