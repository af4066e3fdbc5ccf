package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/store"
)

type planPage struct {
	Page
	Case       *cases.Case
	Plans      []plan.Plan
	Active     *plan.Plan
	Open       *plan.Plan
	Needs      []assessment.Need
	Names      map[string]string
	CanEdit    bool
	CanApprove bool
	Return     string // the supervisor's comments being typed
}

// Need returns the need with id, for labels.
func (p *planPage) Need(id string) *assessment.Need {
	for i := range p.Needs {
		if p.Needs[i].ID == id {
			return &p.Needs[i]
		}
	}
	return nil
}

// ObjectiveNo returns the position of objective id in pl, or 0.
func (p *planPage) ObjectiveNo(pl *plan.Plan, id string) int {
	if o := pl.Objective(id); o != nil {
		return o.Position
	}
	return 0
}

// NeedsApproval reports whether the case's plans need the supervisor.
func (p *planPage) NeedsApproval() bool { return p.Prof.NeedsPlanApproval(p.Case.RiskLevel) }

// loadPlanPage reads the plan page of case id (rq needing act on its plan)
// and audits the read.
func (s *Server) loadPlanPage(ctx context.Context, rq *request, id string, act access.Action) (*planPage, error) {
	p := &planPage{Page: s.page(rq, "plan.title", "")}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, act, access.Plan, id)
		if err != nil {
			return err
		}
		p.Case = c
		ref := access.Resource{Kind: access.KindCase, Case: c.Ref(), Section: access.Plan}
		p.CanEdit = access.Decide(rq.Actor, access.Edit, ref).Allow
		p.CanApprove = access.Decide(rq.Actor, access.Approve, ref).Allow
		if p.Plans, err = tx.Plans(ctx, c.ID); err != nil {
			return err
		}
		p.Active, p.Open = plan.ActiveOf(p.Plans), plan.InPreparation(p.Plans)
		if p.Needs, err = tx.Needs(ctx, c.ID); err != nil {
			return err
		}
		var ids []string
		for _, pl := range p.Plans {
			ids = append(ids, pl.CreatedBy, pl.DecidedBy)
		}
		if p.Names, err = tx.UserNames(ctx, ids); err != nil {
			return err
		}
		rq.auditRead(ctx, audit.Event{Action: "plan.view", RecordType: "case", RecordID: c.ID,
			CaseID: c.ID, AgencyID: c.AgencyID})
		return nil
	})
	return p, err
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadPlanPage(r.Context(), rq, r.PathValue("id"), access.View)
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "saved", "submitted", "approved", "returned", "revised", "active":
		p.Flash = "flash.plan_" + d
	}
	return s.render(w, http.StatusOK, "plan", p)
}

type planFormPage struct {
	Page
	grown
	Case     *cases.Case
	Form     plan.Input
	Needs    []assessment.Need
	Returned string // the supervisor's comments on a returned plan
	// FromConference counts the action rows proposed from case conferences.
	FromConference int
	Objectives     int
	Actions        int
	Gaps           int
	Parts          int
}

// conferenceActionRows adds to the plan form, as action rows to keep or
// clear, the action items case conferences agreed that no plan of the case
// carries yet (the same words): a conference's decisions become plan
// actions when the caseworker saves them.
func (s *Server) conferenceActionRows(ctx context.Context, tx *store.Tx, caseID string, ps []plan.Plan, p *planFormPage) error {
	acts, internal, err := tx.CaseConferenceActions(ctx, caseID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, pl := range ps {
		for _, a := range pl.Actions {
			have[strings.ToLower(a.What)] = true
		}
	}
	for _, a := range p.Form.Actions {
		have[strings.ToLower(a.What)] = true
	}
	for i, a := range acts {
		if have[strings.ToLower(a.Description)] {
			continue
		}
		have[strings.ToLower(a.Description)] = true
		row := plan.ActionInput{What: a.Description, Kind: "direct", Who: "caseworker", DueOn: a.DueOn, Horizon: "short"}
		if !internal[i] {
			row.Kind, row.Who, row.WhoName = "referral", "provider", a.OwnerName
		}
		p.Form.Actions = append(p.Form.Actions, row)
		p.FromConference++
	}
	return nil
}

// planInputOf fills the form from a plan being edited.
func planInputOf(pl *plan.Plan) plan.Input {
	in := plan.Input{MeetingOn: pl.MeetingOn, Participants: pl.Participants, ChildViews: pl.ChildViews,
		CaregiverViews: pl.CaregiverViews, Notes: pl.Notes, Version: pl.Version}
	for _, o := range pl.Objectives {
		in.Objectives = append(in.Objectives, plan.ObjectiveInput{NeedID: o.NeedID, Description: o.Description,
			Measure: o.Measure, DueOn: o.DueOn})
	}
	for _, a := range pl.Actions {
		n := 0
		if o := pl.Objective(a.ObjectiveID); o != nil {
			n = o.Position
		}
		in.Actions = append(in.Actions, plan.ActionInput{Objective: n, What: a.What, Kind: a.Kind, Who: a.Who,
			WhoName: a.WhoName, DueOn: a.DueOn, Horizon: a.Horizon})
	}
	for _, g := range pl.Gaps {
		in.Gaps = append(in.Gaps, plan.GapInput{NeedID: g.NeedID, Description: g.Description})
	}
	return in
}

func (s *Server) planForm(ctx context.Context, rq *request, id string, q func(string) string) (*planFormPage, error) {
	p := &planFormPage{Page: s.page(rq, "plan.edit_title", "")}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.Edit, access.Plan, id)
		if err != nil {
			return err
		}
		p.Case = c
		if p.Needs, err = tx.Needs(ctx, c.ID); err != nil {
			return err
		}
		ps, err := tx.Plans(ctx, c.ID)
		if err != nil {
			return err
		}
		if open := plan.InPreparation(ps); open != nil {
			if open.Status == plan.Submitted {
				return errs.Field("plan", "err.plan_submitted")
			}
			p.Form, p.Returned = planInputOf(open), open.ReturnComments
		}
		return s.conferenceActionRows(ctx, tx, c.ID, ps, p)
	})
	if err == nil {
		// The form shows the case's needs and the plan in preparation.
		auditForm(ctx, rq, "plan.view", p.Case)
	}
	p.Objectives = max(rowsOf(q("objectives"), 3), len(p.Form.Objectives)+1)
	p.Actions = max(rowsOf(q("actions"), 4), len(p.Form.Actions)+1)
	p.Gaps = max(rowsOf(q("gaps"), 2), len(p.Form.Gaps)+1)
	p.Parts = max(rowsOf(q("participants"), 4), len(p.Form.Participants)+1)
	return p, err
}

func (s *Server) getPlanForm(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.planForm(r.Context(), rq, r.PathValue("id"), r.URL.Query().Get)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "plan_form", p)
}

// planFormInput reads the case plan form and its repeated rows.
func planFormInput(f *form) plan.Input {
	in := plan.Input{MeetingOn: f.str("meeting_on"), ChildViews: f.str("child_views"),
		CaregiverViews: f.str("caregiver_views"), Notes: f.str("notes"), Version: f.version()}
	for i := 0; i < rowsOf(f.str("participant_rows"), 0); i++ {
		k := "participant_" + strconv.Itoa(i) + "_"
		in.Participants = append(in.Participants, plan.Participant{Role: f.str(k + "role"), Name: f.str(k + "name")})
	}
	for i := 0; i < rowsOf(f.str("objective_rows"), 0); i++ {
		k := "objective_" + strconv.Itoa(i) + "_"
		in.Objectives = append(in.Objectives, plan.ObjectiveInput{NeedID: f.str(k + "need"), Description: f.str(k + "description"),
			Measure: f.str(k + "measure"), DueOn: f.str(k + "due")})
	}
	for i := 0; i < rowsOf(f.str("action_rows"), 0); i++ {
		k := "action_" + strconv.Itoa(i) + "_"
		obj, _ := strconv.Atoi(f.str(k + "objective"))
		in.Actions = append(in.Actions, plan.ActionInput{Objective: obj, What: f.str(k + "what"), Kind: f.str(k + "kind"),
			Who: f.str(k + "who"), WhoName: f.str(k + "who_name"), DueOn: f.str(k + "due"), Horizon: f.str(k + "horizon")})
	}
	for i := 0; i < rowsOf(f.str("gap_rows"), 0); i++ {
		k := "gap_" + strconv.Itoa(i) + "_"
		in.Gaps = append(in.Gaps, plan.GapInput{NeedID: f.str(k + "need"), Description: f.str(k + "description")})
	}
	return in
}

func (s *Server) postPlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in plan.Input
	return s.postOrMore(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = planFormInput(f)
			_, err := plan.Save(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next: to("/cases/" + id + "/plan?done=saved"),
		Again: func(fe errs.Fields, status int) error {
			p, err := s.planForm(r.Context(), rq, id, func(string) string { return "" })
			if err != nil {
				return err
			}
			// A stale form is not refilled: the plan as it is now is shown.
			if p.Errors = fe; status != http.StatusConflict {
				p.Form = in
			}
			p.Objectives, p.Actions = max(p.Objectives, len(in.Objectives)), max(p.Actions, len(in.Actions))
			p.Gaps, p.Parts = max(p.Gaps, len(in.Gaps)), max(p.Parts, len(in.Participants))
			return s.render(w, status, "plan_form", p)
		},
	}, func(f *form, group string) error {
		p, err := s.planForm(r.Context(), rq, id, func(string) string { return "" })
		if err != nil {
			return err
		}
		// Every row sent comes back, blank or not, and the group asked for grows.
		p.Form = planFormInput(f)
		p.Objectives, p.Actions = len(p.Form.Objectives), len(p.Form.Actions)
		p.Gaps, p.Parts = len(p.Form.Gaps), len(p.Form.Participants)
		p.grown = grown{Group: group}
		switch group {
		case "objectives":
			p.From, p.Objectives = p.Objectives, grow(p.Objectives, 2)
		case "actions":
			p.From, p.Actions = p.Actions, grow(p.Actions, 3)
		case "gaps":
			p.From, p.Gaps = p.Gaps, grow(p.Gaps, 2)
		case "participants":
			p.From, p.Parts = p.Parts, grow(p.Parts, 2)
		}
		return s.render(w, http.StatusOK, "plan_form", p)
	})
}

// planAgain shows the plan page of case id again with the errors of one of
// its forms (and the return comments typed).
func (s *Server) planAgain(w http.ResponseWriter, r *http.Request, rq *request, id string) func(errs.Fields, int) error {
	return func(fe errs.Fields, status int) error {
		p, err := s.loadPlanPage(r.Context(), rq, id, access.View)
		if err != nil {
			return err
		}
		p.Errors = fe
		if r.PostForm != nil {
			p.Return = r.PostForm.Get("return_comments")
		}
		return s.render(w, status, "plan", p)
	}
}

func (s *Server) postPlanRevise(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := plan.Revise(ctx, tx, s.prof, rq.Actor, id, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/plan/edit"),
		Again: s.planAgain(w, r, rq, id),
	})
}

func (s *Server) postPlanSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var pl *plan.Plan
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) (err error) {
			pl, err = plan.Submit(ctx, tx, s.prof, rq.Actor, id, r.PathValue("pid"), f.version(), rq.Now)
			return err
		},
		Next: func() string {
			if pl.Status == plan.Active {
				return "/cases/" + id + "/plan?done=active" // no approval needed at this risk level
			}
			return "/cases/" + id + "/plan?done=submitted"
		},
		Again: s.planAgain(w, r, rq, id),
	})
}

func (s *Server) postPlanApprove(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := plan.Approve(ctx, tx, s.prof, rq.Actor, id, r.PathValue("pid"), f.version(), rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/plan?done=approved"),
		Again: s.planAgain(w, r, rq, id),
	})
}

func (s *Server) postPlanReturn(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := plan.Return(ctx, tx, s.prof, rq.Actor, id, r.PathValue("pid"), f.version(), f.str("return_comments"), rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/plan?done=returned"),
		Again: s.planAgain(w, r, rq, id),
	})
}

// API

type objectiveJSON struct {
	ID          string `json:"id"`
	NeedID      string `json:"need_id"`
	Description string `json:"description"`
	Measure     string `json:"measure"`
	DueOn       string `json:"due_on"`
	Status      string `json:"status"`
	Position    int    `json:"position"`
}

type actionJSON struct {
	ID          string `json:"id"`
	ObjectiveID string `json:"objective_id"`
	What        string `json:"what"`
	Kind        string `json:"kind"`
	Who         string `json:"who"`
	WhoName     string `json:"who_name"`
	DueOn       string `json:"due_on"`
	Horizon     string `json:"horizon"`
	Status      string `json:"status"`
}

type gapJSON struct {
	ID          string `json:"id"`
	NeedID      string `json:"need_id"`
	Description string `json:"description"`
}

type planJSON struct {
	ID             string             `json:"id"`
	Number         int                `json:"number"`
	Status         string             `json:"status"`
	MeetingOn      string             `json:"meeting_on"`
	Participants   []plan.Participant `json:"participants"`
	ChildViews     string             `json:"child_views"`
	CaregiverViews string             `json:"caregiver_views"`
	Notes          string             `json:"notes"`
	CreatedAt      *string            `json:"created_at"`
	SubmittedAt    *string            `json:"submitted_at"`
	DecidedBy      string             `json:"decided_by"`
	DecidedAt      *string            `json:"decided_at"`
	ReturnComments string             `json:"return_comments"`
	ActivatedAt    *string            `json:"activated_at"`
	Version        int                `json:"version"`
	Objectives     []objectiveJSON    `json:"objectives"`
	Actions        []actionJSON       `json:"actions"`
	Gaps           []gapJSON          `json:"gaps"`
}

func planToJSON(pl *plan.Plan) planJSON {
	j := planJSON{ID: pl.ID, Number: pl.Number, Status: pl.Status, MeetingOn: pl.MeetingOn, Participants: pl.Participants,
		ChildViews: pl.ChildViews, CaregiverViews: pl.CaregiverViews, Notes: pl.Notes, CreatedAt: apiTime(pl.CreatedAt),
		SubmittedAt: apiTime(pl.SubmittedAt), DecidedBy: pl.DecidedBy, DecidedAt: apiTime(pl.DecidedAt),
		ReturnComments: pl.ReturnComments, ActivatedAt: apiTime(pl.ActivatedAt), Version: pl.Version,
		Objectives: []objectiveJSON{}, Actions: []actionJSON{}, Gaps: []gapJSON{}}
	if j.Participants == nil {
		j.Participants = []plan.Participant{}
	}
	for _, o := range pl.Objectives {
		j.Objectives = append(j.Objectives, objectiveJSON{ID: o.ID, NeedID: o.NeedID, Description: o.Description,
			Measure: o.Measure, DueOn: o.DueOn, Status: o.Status, Position: o.Position})
	}
	for _, a := range pl.Actions {
		j.Actions = append(j.Actions, actionJSON{ID: a.ID, ObjectiveID: a.ObjectiveID, What: a.What, Kind: a.Kind,
			Who: a.Who, WhoName: a.WhoName, DueOn: a.DueOn, Horizon: a.Horizon, Status: a.Status})
	}
	for _, g := range pl.Gaps {
		j.Gaps = append(j.Gaps, gapJSON{ID: g.ID, NeedID: g.NeedID, Description: g.Description})
	}
	return j
}

func (s *Server) apiPlans(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadPlanPage(r.Context(), rq, r.PathValue("id"), access.View)
	if err != nil {
		return err
	}
	out := struct {
		Plans []planJSON `json:"plans"`
	}{Plans: []planJSON{}}
	for i := range p.Plans {
		out.Plans = append(out.Plans, planToJSON(&p.Plans[i]))
	}
	return jsonOK(w, out)
}

// planReply answers with the plan as it is now.
func planReply(w http.ResponseWriter, status int, pl **plan.Plan) func(string) error {
	return func(string) error { return writeJSON(w, status, planToJSON(*pl)) }
}

func (s *Server) apiSavePlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in plan.Input
	var pl *plan.Plan
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		pl, err = plan.Save(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, planReply(w, http.StatusOK, &pl))
}

func (s *Server) apiRevisePlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	var pl *plan.Plan
	return s.apiCaseOp(w, r, nil, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		pl, err = plan.Revise(ctx, tx, s.prof, rq.Actor, id, rq.Now)
		return err
	}, planReply(w, http.StatusCreated, &pl))
}

type versionBody struct {
	Version int `json:"version"`
}

// apiFieldNames renames the field errors in err from the names the forms
// use to the names of the API body, so that a 422 names the JSON field at
// fault. Other errors pass unchanged.
func apiFieldNames(err error, rename func(field string) string) error {
	fe, ok := errs.AsFields(err)
	if !ok {
		return err
	}
	out := make(errs.Fields, len(fe))
	for i, f := range fe {
		f.Field = rename(f.Field)
		out[i] = f
	}
	return out
}

func (s *Server) apiSubmitPlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in versionBody
	var pl *plan.Plan
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		pl, err = plan.Submit(ctx, tx, s.prof, rq.Actor, id, r.PathValue("pid"), in.Version, rq.Now)
		return err
	}, planReply(w, http.StatusOK, &pl))
}

func (s *Server) apiApprovePlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in versionBody
	var pl *plan.Plan
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		pl, err = plan.Approve(ctx, tx, s.prof, rq.Actor, id, r.PathValue("pid"), in.Version, rq.Now)
		return err
	}, planReply(w, http.StatusOK, &pl))
}

func (s *Server) apiReturnPlan(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Comments string `json:"comments"`
		Version  int    `json:"version"`
	}
	var pl *plan.Plan
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		pl, err = plan.Return(ctx, tx, s.prof, rq.Actor, id, r.PathValue("pid"), in.Version, in.Comments, rq.Now)
		return apiFieldNames(err, func(f string) string {
			if f == "return_comments" {
				return "comments"
			}
			return f
		})
	}, planReply(w, http.StatusOK, &pl))
}
