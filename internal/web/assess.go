package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
)

type assessmentsPage struct {
	Page
	Case        *cases.Case
	Assessments []assessment.Assessment
	Incidents   []assessment.Threat // recorded outside an assessment
	Medical     *medicalAlert
	Names       map[string]string
	CanEdit     bool
	Incident    assessment.ThreatInput
}

// medicalAlert is the open medical-referral alert after sexual violence.
type medicalAlert struct {
	Since time.Time
	Due   time.Time
}

// HoursLeft returns the whole hours left before the window closes.
func (m *medicalAlert) HoursLeft(now time.Time) int {
	h := int(m.Due.Sub(now).Hours())
	if h < 0 {
		return 0
	}
	return h
}

// medicalAlertOf finds the open medical-referral deadline among ds.
func medicalAlertOf(ds []deadline.Deadline) *medicalAlert {
	for _, d := range ds {
		if d.Kind == deadline.MedicalReferral && d.Open() {
			return &medicalAlert{Since: d.AnchorAt, Due: d.DueAt}
		}
	}
	return nil
}

// loadAssessments reads the assessment page of case id and audits the read.
func (s *Server) loadAssessments(ctx context.Context, rq *request, id string) (*assessmentsPage, error) {
	p := &assessmentsPage{Page: s.page(rq, "assessments.title", "")}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Assessment, id)
		if err != nil {
			return err
		}
		p.Case = c
		p.CanEdit = access.Decide(rq.Actor, access.Edit, access.Resource{Kind: access.KindCase, Case: c.Ref(),
			Section: access.Assessment}).Allow
		if p.Assessments, err = tx.Assessments(ctx, c.ID); err != nil {
			return err
		}
		threats, err := tx.Threats(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, t := range threats {
			if t.AssessmentID == "" {
				p.Incidents = append(p.Incidents, t)
			}
		}
		ds, err := tx.CaseDeadlines(ctx, c.ID)
		if err != nil {
			return err
		}
		p.Medical = medicalAlertOf(ds)
		var ids []string
		for _, a := range p.Assessments {
			ids = append(ids, a.CreatedBy)
		}
		if p.Names, err = tx.UserNames(ctx, ids); err != nil {
			return err
		}
		rq.auditRead(ctx, audit.Event{Action: "assessment.view", RecordType: "case", RecordID: c.ID,
			CaseID: c.ID, AgencyID: c.AgencyID})
		return nil
	})
	return p, err
}

func (s *Server) getAssessments(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadAssessments(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "incident", "medical":
		p.Flash = "flash.assessment_" + r.URL.Query().Get("done")
	}
	return s.render(w, http.StatusOK, "assessments", p)
}

type assessmentFormPage struct {
	Page
	grown
	Case    *cases.Case
	Form    assessment.Input
	Threats int // rows shown
	Needs   int
}

// rowsOf reads how many repeated rows a form shows (from the query or the
// form), at least min and at most maxRows.
func rowsOf(v string, min int) int {
	n, _ := strconv.Atoi(v)
	if n < min {
		return min
	}
	if n > maxRows {
		return maxRows
	}
	return n
}

func (s *Server) getNewAssessment(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	p := &assessmentFormPage{Page: s.page(rq, "assessment.title", "")}
	if err := s.loadFormCase(ctx, rq, r.PathValue("id"), access.Assessment, "assessment.view", &p.Case); err != nil {
		return err
	}
	p.Form = assessment.Input{Kind: assessment.Initial, AssessedOn: s.prof.Today(rq.Now), InterviewedChild: true,
		RiskLevel: p.Case.RiskLevel, Version: p.Case.Version}
	if r.URL.Query().Get("kind") == assessment.Comprehensive {
		p.Form.Kind = assessment.Comprehensive
	}
	p.Threats, p.Needs = rowsOf(r.URL.Query().Get("threats"), 2), rowsOf(r.URL.Query().Get("needs"), 4)
	return s.render(w, http.StatusOK, "assessment_form", p)
}

// auditForm records that a form of case c was shown (its code, its risk
// level, the needs it plans for): a read of the case like its pages, with
// action, the form named in the detail.
func auditForm(ctx context.Context, rq *request, action string, c *cases.Case) {
	rq.auditRead(ctx, audit.Event{Action: action, RecordType: "case", RecordID: c.ID, CaseID: c.ID,
		AgencyID: c.AgencyID, Detail: `{"page":"form"}`})
}

// loadFormCase reads case id into *c for a form that edits its section,
// and audits the read as a form of action (see auditForm).
func (s *Server) loadFormCase(ctx context.Context, rq *request, id string, section access.Section, action string, c **cases.Case) error {
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		*c, err = cases.Get(ctx, tx, rq.Actor, access.Edit, section, id)
		return err
	})
	if err == nil {
		auditForm(ctx, rq, action, *c)
	}
	return err
}

// assessmentForm reads the assessment form with its repeated rows.
func assessmentForm(f *form) (assessment.Input, int, int) {
	in := assessment.Input{Kind: f.str("kind"), AssessedOn: f.str("assessed_on"), InterviewedChild: f.bool("interviewed_child"),
		NotInterviewedWhy: f.str("not_interviewed_why"), Vulnerabilities: f.str("vulnerabilities"),
		ProtectiveFactors: f.str("protective_factors"), ChildViews: f.str("child_views"),
		CaregiverViews: f.str("caregiver_views"), RiskLevel: f.str("risk_level"), RiskReason: f.str("risk_reason"),
		Version: f.version()}
	in.Domains = assessment.Domains{Child: f.str("domain_child"), Household: f.str("domain_household"),
		Family: f.str("domain_family"), Care: f.str("domain_care"), Situation: f.str("domain_situation")}
	threats, needs := rowsOf(f.str("threat_rows"), 0), rowsOf(f.str("need_rows"), 0)
	for i := 0; i < threats; i++ {
		in.Threats = append(in.Threats, threatRow(f, "threat_"+strconv.Itoa(i)+"_"))
	}
	for i := 0; i < needs; i++ {
		k := "need_" + strconv.Itoa(i) + "_"
		in.Needs = append(in.Needs, assessment.NeedInput{Domain: f.str(k + "domain"), Description: f.str(k + "description"),
			Met: f.str(k + "met"), Priority: f.str(k + "priority"), Essential: f.bool(k + "essential")})
	}
	return in, threats, needs
}

func threatRow(f *form, k string) assessment.ThreatInput {
	return assessment.ThreatInput{IncidentType: f.str(k + "type"), Location: f.str(k + "location"),
		Frequency: f.str(k + "frequency"), Ongoing: f.bool(k + "ongoing"), Perpetrator: f.str(k + "perpetrator"),
		OccurredOn: f.str(k + "date"), OccurredTime: f.str(k + "time"), Notes: f.str(k + "notes")}
}

func (s *Server) postAssessment(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in assessment.Input
	var threats, needs int
	// again shows the form again with what was typed.
	again := func(fe errs.Fields, status int, g grown) error {
		ctx := r.Context()
		p := &assessmentFormPage{Page: s.page(rq, "assessment.title", ""), grown: g, Form: in, Threats: threats, Needs: needs}
		if err := s.loadFormCase(ctx, rq, id, access.Assessment, "assessment.view", &p.Case); err != nil {
			return err
		}
		p.Errors = fe
		if status == http.StatusConflict {
			p.Form.Version = p.Case.Version
		}
		return s.render(w, status, "assessment_form", p)
	}
	return s.postOrMore(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in, threats, needs = assessmentForm(f)
			_, err := assessment.Record(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "?done=assessed"),
		Again: func(fe errs.Fields, status int) error { return again(fe, status, grown{}) },
	}, func(f *form, group string) error {
		in, threats, needs = assessmentForm(f)
		g := grown{Group: group}
		switch group {
		case "threats":
			g.From, threats = threats, grow(threats, 2)
		case "needs":
			g.From, needs = needs, grow(needs, 3)
		}
		return again(nil, http.StatusOK, g)
	})
}

// assessmentsAgain shows the assessments page of case id again with the
// errors of one of its forms, refilled by fill.
func (s *Server) assessmentsAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, fill func(*assessmentsPage)) func(errs.Fields, int) error {
	return shownAgain(s, w, "assessments", func() (*assessmentsPage, error) { return s.loadAssessments(r.Context(), rq, id) }, fill)
}

func (s *Server) postIncident(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in assessment.ThreatInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = threatRow(f, "incident_")
			_, err := assessment.RecordIncident(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/assessments?done=incident"),
		Again: s.assessmentsAgain(w, r, rq, id, func(p *assessmentsPage) { p.Incident = in }),
	})
}

func (s *Server) postMedicalReferral(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			return assessment.MedicalReferralMade(ctx, tx, rq.Actor, id, rq.Now)
		},
		Next:  to("/cases/" + id + "/assessments?done=medical"),
		Again: s.caseAgain(w, r, rq, id),
	})
}

// API

func (s *Server) apiAssessments(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadAssessments(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := struct {
		Assessments []assessmentJSON `json:"assessments"`
		Incidents   []threatJSON     `json:"incidents"`
		Medical     *medicalJSON     `json:"medical_referral"`
	}{Assessments: []assessmentJSON{}, Incidents: []threatJSON{}}
	for i := range p.Assessments {
		out.Assessments = append(out.Assessments, assessmentToJSON(&p.Assessments[i]))
	}
	for _, t := range p.Incidents {
		out.Incidents = append(out.Incidents, threatToJSON(t))
	}
	if p.Medical != nil {
		out.Medical = &medicalJSON{Since: apiTime(p.Medical.Since), Due: apiTime(p.Medical.Due), HoursLeft: p.Medical.HoursLeft(rq.Now)}
	}
	return jsonOK(w, out)
}

func (s *Server) apiRecordAssessment(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in assessment.Input
	var rec *assessment.Assessment
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		rec, err = assessment.Record(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return created(w, assessmentToJSON(rec)) })
}

func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in assessment.ThreatInput
	var t *assessment.Threat
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		t, err = assessment.RecordIncident(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		// The form's fields are incident.<name>; the API body's are <name>.
		return apiFieldNames(err, func(f string) string { return strings.TrimPrefix(f, "incident.") })
	}, func(string) error { return created(w, threatToJSON(*t)) })
}

func (s *Server) apiMedicalReferral(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiCaseOp(w, r, nil, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		return assessment.MedicalReferralMade(ctx, tx, rq.Actor, id, rq.Now)
	}, s.caseReply(w, r, rq, http.StatusOK))
}

type threatJSON struct {
	ID           string  `json:"id"`
	AssessmentID string  `json:"assessment_id"`
	IncidentType string  `json:"incident_type"`
	Location     string  `json:"location"`
	Frequency    string  `json:"frequency"`
	Ongoing      bool    `json:"ongoing"`
	Perpetrator  string  `json:"perpetrator"`
	OccurredAt   *string `json:"occurred_at"`
	Notes        string  `json:"notes"`
}

func threatToJSON(t assessment.Threat) threatJSON {
	return threatJSON{ID: t.ID, AssessmentID: t.AssessmentID, IncidentType: t.IncidentType, Location: t.Location,
		Frequency: t.Frequency, Ongoing: t.Ongoing, Perpetrator: t.Perpetrator, OccurredAt: apiTime(t.OccurredAt), Notes: t.Notes}
}

type needJSON2 struct {
	ID          string `json:"id"`
	Domain      string `json:"domain"`
	Description string `json:"description"`
	Met         string `json:"met"`
	Priority    string `json:"priority"`
	Essential   bool   `json:"essential"`
}

type assessmentJSON struct {
	ID                string             `json:"id"`
	Kind              string             `json:"kind"`
	AssessedOn        string             `json:"assessed_on"`
	InterviewedChild  bool               `json:"interviewed_child"`
	NotInterviewedWhy string             `json:"not_interviewed_why"`
	Domains           assessment.Domains `json:"domains"`
	Vulnerabilities   string             `json:"vulnerabilities"`
	ProtectiveFactors string             `json:"protective_factors"`
	ChildViews        string             `json:"child_views"`
	CaregiverViews    string             `json:"caregiver_views"`
	RiskLevel         string             `json:"risk_level"`
	RiskReason        string             `json:"risk_reason"`
	CreatedBy         string             `json:"created_by"`
	CreatedAt         *string            `json:"created_at"`
	Threats           []threatJSON       `json:"threats"`
	Needs             []needJSON2        `json:"needs"`
}

func assessmentToJSON(a *assessment.Assessment) assessmentJSON {
	j := assessmentJSON{ID: a.ID, Kind: a.Kind, AssessedOn: a.AssessedOn, InterviewedChild: a.InterviewedChild,
		NotInterviewedWhy: a.NotInterviewedWhy, Domains: a.Domains, Vulnerabilities: a.Vulnerabilities,
		ProtectiveFactors: a.ProtectiveFactors, ChildViews: a.ChildViews, CaregiverViews: a.CaregiverViews,
		RiskLevel: a.RiskLevel, RiskReason: a.RiskReason, CreatedBy: a.CreatedBy, CreatedAt: apiTime(a.CreatedAt),
		Threats: []threatJSON{}, Needs: []needJSON2{}}
	for _, t := range a.Threats {
		j.Threats = append(j.Threats, threatToJSON(t))
	}
	for _, n := range a.Needs {
		j.Needs = append(j.Needs, needJSON2{ID: n.ID, Domain: n.Domain, Description: n.Description, Met: n.Met,
			Priority: n.Priority, Essential: n.Essential})
	}
	return j
}

type medicalJSON struct {
	Since     *string `json:"incident_at"`
	Due       *string `json:"due_at"`
	HoursLeft int     `json:"hours_left"`
}
