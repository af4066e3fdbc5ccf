package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/incident"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// Coordination on the case page

// coordBlock is what the case page shows of incidents and links: how many
// mandatory-reporting decisions are open, and the linked cases.
type coordBlock struct {
	Pending   int // mandatory reports waiting for the supervisor's decision
	CanDecide bool
	Links     []caseLinkRow
}

// caseLinkRow is a linked case as a page shows it: only its code, type,
// caseworker and agency, and where to open it when the reader may.
type caseLinkRow struct {
	caselink.View
	RelationText string // the relation in the reader's words
	Href         string // the other case's page, only when the reader may open it
}

// caseLinkRows makes the rows of links vs for rq.
func (s *Server) caseLinkRows(rq *request, vs []caselink.View) []caseLinkRow {
	out := make([]caseLinkRow, 0, len(vs))
	for _, v := range vs {
		r := caseLinkRow{View: v, RelationText: profile.Label(s.prof.LinkRelations, v.Relation, rq.L.Lang)}
		if v.CanOpen(rq.Actor) {
			r.Href = "/cases/" + v.Other.ID
		}
		out = append(out, r)
	}
	return out
}

// loadCoordBlock reads the coordination block of case c's page for rq.
func (s *Server) loadCoordBlock(ctx context.Context, tx *store.Tx, rq *request, c *cases.Case) (*coordBlock, error) {
	co := &coordBlock{}
	res := func(sec access.Section) access.Resource {
		return access.Resource{Kind: access.KindCase, Case: c.Ref(), Section: sec}
	}
	var err error
	if access.Decide(rq.Actor, access.View, res(access.Assessment)).Allow {
		if co.Pending, err = tx.PendingMandatoryReports(ctx, c.ID); err != nil {
			return nil, err
		}
		co.CanDecide = access.Decide(rq.Actor, access.Approve, res(access.Assessment)).Allow
	}
	vs, err := tx.CaseLinks(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	co.Links = s.caseLinkRows(rq, vs)
	return co, nil
}

// Incidents

// incidentArea is what the incidents page (and its API) shows of a case.
type incidentArea struct {
	Case      *cases.Case
	Incidents []incident.Incident
	Names     map[string]string
	CanEdit   bool // record incidents and recommendations
	CanDecide bool // the supervisor's decision
	GateOpen  bool // consent to collect and store is in force (or overridden)
	prof      *profile.Profile
}

// Pending counts the decisions still open.
func (a *incidentArea) Pending() int { return incident.PendingCount(a.Incidents) }

// Types lists the incident types the case's type offers.
func (a *incidentArea) Types() []profile.Option { return incident.Types(a.prof, a.Case.Type) }

// Choices lists the recommendation and decision choices.
func (a *incidentArea) Choices() []string { return incident.Choices }

// Mandatory reports whether type typ calls for a mandatory-reporting decision.
func (a *incidentArea) Mandatory(typ string) bool { return incident.Mandatory(a.prof, typ) }

// loadIncidentArea reads case id's incidents for rq. It does not audit the
// read: the caller does, once the read transaction is over.
func (s *Server) loadIncidentArea(ctx context.Context, rq *request, id string) (*incidentArea, error) {
	a := &incidentArea{prof: s.prof}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Assessment, id)
		if err != nil {
			return err
		}
		a.Case = c
		res := access.Resource{Kind: access.KindCase, Case: c.Ref(), Section: access.Assessment}
		a.CanEdit = access.Decide(rq.Actor, access.Edit, res).Allow
		a.CanDecide = access.Decide(rq.Actor, access.Approve, res).Allow
		if a.CanEdit {
			err := consent.Gate(ctx, tx, s.prof, c, rq.Now)
			if _, closed := errs.AsFields(err); err != nil && !closed {
				return err
			}
			a.GateOpen = err == nil
		}
		if a.Incidents, err = tx.Incidents(ctx, c.ID); err != nil {
			return err
		}
		var ids []string
		for _, in := range a.Incidents {
			ids = append(ids, in.RecordedBy)
			if r := in.Report; r != nil {
				ids = append(ids, r.RecommendedBy, r.DecidedBy)
			}
		}
		a.Names, err = tx.UserNames(ctx, ids)
		return err
	})
	return a, err
}

// auditIncidentRead records that rq read a case's incidents or links.
func auditIncidentRead(ctx context.Context, rq *request, c *cases.Case, action string) {
	rq.auditRead(ctx, audit.Event{Action: action, RecordType: "case", RecordID: c.ID, CaseID: c.ID,
		AgencyID: c.AgencyID})
}

type incidentsPage struct {
	Page
	*incidentArea
	Form      incident.Input
	FailedID  string // the incident whose recommendation or decision form failed
	Recommend incident.RecommendInput
	Decision  incident.DecideInput
}

// FID is the id of field name of the form of incident iid: the failed form's
// fields keep the plain ids the error summary links to.
func (p *incidentsPage) FID(iid, name string) string {
	if iid == p.FailedID {
		return "f-" + name
	}
	return "f-" + iid + "-" + name
}

// ErrOf is the error of field name on incident iid's form, if that failed.
func (p *incidentsPage) ErrOf(iid, name string) string {
	if iid != p.FailedID {
		return ""
	}
	return p.Err(name)
}

// RecOf is what the recommendation form of in holds: what was typed into a
// failed form, or the recommendation so far.
func (p *incidentsPage) RecOf(in incident.Incident) incident.RecommendInput {
	if in.ID == p.FailedID {
		return p.Recommend
	}
	r := in.Report
	return incident.RecommendInput{Recommendation: r.Recommendation, Reasoning: r.RecommendWhy, Version: r.Version}
}

// DecOf is what the decision form of in holds.
func (p *incidentsPage) DecOf(in incident.Incident) incident.DecideInput {
	if in.ID == p.FailedID {
		return p.Decision
	}
	return incident.DecideInput{Decision: in.Report.Recommendation, FamilyTold: true, Version: in.Report.Version}
}

func (s *Server) newIncidentsPage(rq *request, a *incidentArea) *incidentsPage {
	return &incidentsPage{Page: s.page(rq, "incident.title", ""), incidentArea: a,
		Form: incident.Input{HappenedOn: s.prof.Today(rq.Now)}}
}

func (s *Server) getIncidentReports(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.loadIncidentArea(ctx, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	auditIncidentRead(ctx, rq, a.Case, "incident.view")
	p := s.newIncidentsPage(rq, a)
	switch r.URL.Query().Get("done") {
	case "recorded", "reportable", "recommended", "decided":
		p.Flash = "flash.incident_" + r.URL.Query().Get("done")
	}
	return s.render(w, http.StatusOK, "incidents", p)
}

// incidentReportForm reads the incident form.
func incidentReportForm(f *form) incident.Input {
	return incident.Input{Type: f.str("incident_type"), HappenedOn: f.str("occurred_on"), Location: f.str("place"),
		Perpetrator: f.str("perpetrator"), Description: f.str("description")}
}

// mandatoryRecommendForm reads the recommendation form.
func mandatoryRecommendForm(f *form) incident.RecommendInput {
	return incident.RecommendInput{Recommendation: f.str("recommendation"), Reasoning: f.str("reasoning"),
		Version: f.version()}
}

// mandatoryDecideForm reads the supervisor's decision form. family_told is "yes" or
// "no" (radio buttons, so that neither is ticked for the supervisor).
func mandatoryDecideForm(f *form) incident.DecideInput {
	return incident.DecideInput{Decision: f.str("decision"), Reasoning: f.str("reasoning"),
		Authority: f.str("authority"), SharedWhat: f.str("shared_what"), SharedHow: f.str("shared_how"),
		ReportedOn: f.str("reported_on"), FamilyTold: f.bool("family_told"), FamilyToldOn: f.str("family_told_on"),
		FamilyNotToldWhy: f.str("family_not_told_why"), Version: f.version()}
}

// incidentsAgain shows the incidents page of case id again after a
// refused form, with fill setting what was typed.
func (s *Server) incidentsAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, fill func(p *incidentsPage)) func(errs.Fields, int) error {
	return func(fe errs.Fields, status int) error {
		ctx := r.Context()
		a, err := s.loadIncidentArea(ctx, rq, id)
		if err != nil {
			return err
		}
		auditIncidentRead(ctx, rq, a.Case, "incident.view")
		p := s.newIncidentsPage(rq, a)
		p.Errors = fe
		fill(p)
		return s.render(w, status, "incidents", p)
	}
}

func (s *Server) postIncidentReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in incident.Input
	var inc *incident.Incident
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) (err error) {
			in = incidentReportForm(f)
			inc, err = incident.Record(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next: func() string {
			if inc.Report != nil {
				return "/cases/" + id + "/incident-reports?done=reportable"
			}
			return "/cases/" + id + "/incident-reports?done=recorded"
		},
		Again: s.incidentsAgain(w, r, rq, id, func(p *incidentsPage) { p.Form = in }),
	})
}

func (s *Server) postMandatoryRecommend(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, iid := r.PathValue("id"), r.PathValue("iid")
	var in incident.RecommendInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = mandatoryRecommendForm(f)
			_, err := incident.Recommend(ctx, tx, rq.Actor, id, iid, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/incident-reports?done=recommended#i-" + iid),
		Again: s.incidentsAgain(w, r, rq, id, func(p *incidentsPage) { p.FailedID, p.Recommend = iid, in }),
	})
}

func (s *Server) postMandatoryDecide(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, iid := r.PathValue("id"), r.PathValue("iid")
	var in incident.DecideInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = mandatoryDecideForm(f)
			_, err := incident.Decide(ctx, tx, s.prof, rq.Actor, id, iid, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/incident-reports?done=decided#i-" + iid),
		Again: s.incidentsAgain(w, r, rq, id, func(p *incidentsPage) { p.FailedID, p.Decision = iid, in }),
	})
}

// Links

type caseLinksPage struct {
	Page
	*caseLinksData
	Form caselink.Input
}

// caseLinksData is what the links page and its API show of a case: its
// links; the requests it sent to cases of other agencies that wait (only
// the code typed, the relation and when: nothing of the other case); and
// the requests of other agencies that wait for its caseworker or
// supervisor (who asks, from which agency, about which type of case).
type caseLinksData struct {
	Case     *cases.Case
	Links    []caseLinkRow
	Sent     []caselink.Request
	Received []caselink.Incoming
	CanEdit  bool
}

// loadCaseLinks reads case id, its links and its waiting requests for rq.
func (s *Server) loadCaseLinks(ctx context.Context, rq *request, id string) (*caseLinksData, error) {
	d := &caseLinksData{}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Registration, id)
		if err != nil {
			return err
		}
		d.Case = c
		vs, err := tx.CaseLinks(ctx, c.ID)
		if err != nil {
			return err
		}
		d.Links = s.caseLinkRows(rq, vs)
		if d.Sent, err = tx.LinkRequestsFrom(ctx, c.ID); err != nil {
			return err
		}
		d.Received, err = tx.LinkRequestsTo(ctx, c.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	d.CanEdit = access.Decide(rq.Actor, access.Edit, access.Resource{Kind: access.KindCase, Case: d.Case.Ref(),
		Section: access.Registration}).Allow
	return d, nil
}

func (s *Server) loadCaseLinksPage(ctx context.Context, rq *request, id string) (*caseLinksPage, error) {
	d, err := s.loadCaseLinks(ctx, rq, id)
	if err != nil {
		return nil, err
	}
	auditIncidentRead(ctx, rq, d.Case, "caselink.view")
	return &caseLinksPage{Page: s.page(rq, "links.title", ""), caseLinksData: d}, nil
}

// Relation is the label of link relation key.
func (p *caseLinksPage) Relation(key string) string {
	return profile.Label(p.Prof.LinkRelations, key, p.L.Lang)
}

func (s *Server) getCaseLinks(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadCaseLinksPage(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "linked", "removed", "requested", "accepted", "declined", "withdrawn":
		p.Flash = "flash.link_" + r.URL.Query().Get("done")
	}
	return s.render(w, http.StatusOK, "links", p)
}

// caseLinkForm reads the form that links a case.
func caseLinkForm(f *form) caselink.Input {
	return caselink.Input{Code: f.str("case_code"), Relation: f.str("relation")}
}

func (s *Server) postCaseLink(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in caselink.Input
	var l *caselink.Link
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) (err error) {
			in = caseLinkForm(f)
			l, _, err = caselink.Add(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next: func() string {
			if l != nil {
				return "/cases/" + id + "/links?done=linked"
			}
			// A request: to a case of another agency or to a code no case
			// has, alike.
			return "/cases/" + id + "/links?done=requested"
		},
		Again: s.caseLinksAgain(w, r, rq, id, &in),
	})
}

func (s *Server) postRemoveCaseLink(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := caselink.Remove(ctx, tx, rq.Actor, id, r.PathValue("lid"), rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/links?done=removed"),
		Again: s.caseLinksAgain(w, r, rq, id, &caselink.Input{}),
	})
}

// caseLinksAgain shows the links page of case id again with the errors of
// a form and what was typed (*in, read once the form ran). A stale request
// is named on the request, not on a version field.
func (s *Server) caseLinksAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, in *caselink.Input) func(errs.Fields, int) error {
	return func(fe errs.Fields, status int) error {
		if status == http.StatusConflict {
			fe = errs.Fields{{Field: "request", Msg: "err.stale"}}
		}
		p, err := s.loadCaseLinksPage(r.Context(), rq, id)
		if err != nil {
			return err
		}
		p.Errors, p.Form = fe, *in
		return s.render(w, status, "links", p)
	}
}

// API

type mandatoryReportJSON struct {
	ID               string  `json:"id"`
	Status           string  `json:"status"`
	Recommendation   *string `json:"recommendation"`
	RecommendWhy     string  `json:"recommendation_reasoning"`
	RecommendedBy    *string `json:"recommended_by"`
	RecommendedAt    *string `json:"recommended_at"`
	Decision         *string `json:"decision"`
	Reasoning        string  `json:"reasoning"`
	Authority        string  `json:"authority"`
	SharedWhat       string  `json:"shared_what"`
	SharedHow        string  `json:"shared_how"`
	ReportedOn       *string `json:"reported_on"`
	FamilyTold       *bool   `json:"family_told"`
	FamilyToldOn     *string `json:"family_told_on"`
	FamilyNotToldWhy string  `json:"family_not_told_why"`
	DecidedBy        *string `json:"decided_by"`
	DecidedAt        *string `json:"decided_at"`
	Version          int     `json:"version"`
}

type incidentJSON struct {
	ID              string               `json:"id"`
	IncidentType    string               `json:"incident_type"`
	OccurredOn      string               `json:"occurred_on"`
	Place           string               `json:"place"`
	Perpetrator     *string              `json:"perpetrator"`
	Description     string               `json:"description"`
	RecordedBy      string               `json:"recorded_by"`
	RecordedAt      *string              `json:"recorded_at"`
	MandatoryReport *mandatoryReportJSON `json:"mandatory_report"`
}

func mandatoryReportToJSON(r *incident.Report) *mandatoryReportJSON {
	if r == nil {
		return nil
	}
	j := &mandatoryReportJSON{ID: r.ID, Status: r.Status, Recommendation: fuOptional(r.Recommendation), RecommendWhy: r.RecommendWhy,
		RecommendedBy: fuOptional(r.RecommendedBy), RecommendedAt: apiTime(r.RecommendedAt),
		Decision: fuOptional(r.Decision), Reasoning: r.Reasoning, Authority: r.Authority, SharedWhat: r.SharedWhat,
		SharedHow: r.SharedHow, ReportedOn: fuOptional(r.ReportedOn), FamilyToldOn: fuOptional(r.FamilyToldOn),
		FamilyNotToldWhy: r.FamilyNotToldWhy, DecidedBy: fuOptional(r.DecidedBy), DecidedAt: apiTime(r.DecidedAt),
		Version: r.Version}
	if r.Status == incident.Decided {
		told := r.FamilyTold
		j.FamilyTold = &told
	}
	return j
}

func incidentToJSON(in *incident.Incident) incidentJSON {
	return incidentJSON{ID: in.ID, IncidentType: in.Type, OccurredOn: in.HappenedOn, Place: in.Location,
		Perpetrator: fuOptional(in.Perpetrator), Description: in.Description, RecordedBy: in.RecordedBy,
		RecordedAt: apiTime(in.RecordedAt), MandatoryReport: mandatoryReportToJSON(in.Report)}
}

// apiIncidents lists the incidents of a case, latest first, with their
// mandatory reports and the types the case offers.
func (s *Server) apiIncidentReports(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	a, err := s.loadIncidentArea(ctx, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	auditIncidentRead(ctx, rq, a.Case, "incident.view")
	out := struct {
		CaseID    string         `json:"case_id"`
		CaseType  string         `json:"case_type"`
		Types     []string       `json:"incident_types"`
		Pending   int            `json:"pending_decisions"`
		Incidents []incidentJSON `json:"incidents"`
	}{CaseID: a.Case.ID, CaseType: a.Case.Type, Types: []string{}, Pending: a.Pending(), Incidents: []incidentJSON{}}
	for _, o := range incident.Types(s.prof, a.Case.Type) {
		out.Types = append(out.Types, o.Key)
	}
	for i := range a.Incidents {
		out.Incidents = append(out.Incidents, incidentToJSON(&a.Incidents[i]))
	}
	return jsonOK(w, out)
}

func (s *Server) apiRecordIncidentReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in incident.Input
	var inc *incident.Incident
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		inc, err = incident.Record(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return created(w, incidentToJSON(inc)) })
}

func (s *Server) apiMandatoryRecommend(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in incident.RecommendInput
	var rep *incident.Report
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		rep, err = incident.Recommend(ctx, tx, rq.Actor, id, r.PathValue("iid"), in, rq.Now)
		return err
	}, func(string) error { return jsonOK(w, mandatoryReportToJSON(rep)) })
}

func (s *Server) apiMandatoryDecide(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in incident.DecideInput
	var rep *incident.Report
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		rep, err = incident.Decide(ctx, tx, s.prof, rq.Actor, id, r.PathValue("iid"), in, rq.Now)
		return err
	}, func(string) error { return jsonOK(w, mandatoryReportToJSON(rep)) })
}

// caseLinkJSON is a link as the API shows it: of the other case only its code,
// type, caseworker and agency — and its ID when the reader may open it.
type caseLinkJSON struct {
	ID         string  `json:"id"`
	Relation   string  `json:"relation"`
	Code       string  `json:"code"`
	Type       string  `json:"type"`
	Caseworker string  `json:"caseworker"`
	Agency     string  `json:"agency"`
	CaseID     *string `json:"case_id,omitempty"`
	CreatedAt  *string `json:"created_at"`
}

func caseLinksToJSON(rows []caseLinkRow) []caseLinkJSON {
	out := []caseLinkJSON{}
	for _, l := range rows {
		j := caseLinkJSON{ID: l.ID, Relation: l.Relation, Code: l.Code, Type: l.Type, Caseworker: l.Caseworker,
			Agency: l.Agency, CreatedAt: apiTime(l.CreatedAt)}
		if l.Href != "" {
			id := l.Other.ID
			j.CaseID = &id
		}
		out = append(out, j)
	}
	return out
}

type caseLinkListJSON struct {
	CaseID           string                    `json:"case_id"`
	Links            []caseLinkJSON            `json:"links"`
	RequestsSent     []linkRequestSentJSON     `json:"requests_sent"`
	RequestsReceived []linkRequestReceivedJSON `json:"requests_received"`
}

// apiCaseLinkReply answers with the links of case id, and its waiting
// requests, as they are now.
func (s *Server) apiCaseLinkReply(w http.ResponseWriter, r *http.Request, rq *request, id string, status int) error {
	ctx := r.Context()
	d, err := s.loadCaseLinks(ctx, rq, id)
	if err != nil {
		return err
	}
	auditIncidentRead(ctx, rq, d.Case, "caselink.view")
	return writeJSON(w, status, caseLinkListJSON{CaseID: d.Case.ID, Links: caseLinksToJSON(d.Links),
		RequestsSent: linkRequestsSentToJSON(d.Sent), RequestsReceived: linkRequestsReceivedToJSON(d.Received)})
}

func (s *Server) apiCaseLinks(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiCaseLinkReply(w, r, rq, r.PathValue("id"), http.StatusOK)
}

func (s *Server) apiAddCaseLink(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in caselink.Input
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		// A link or a request: either way the answer is the list as it is now.
		_, _, err := caselink.Add(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(id string) error { return s.apiCaseLinkReply(w, r, rq, id, http.StatusCreated) })
}

func (s *Server) apiRemoveCaseLink(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiCaseOp(w, r, nil, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := caselink.Remove(ctx, tx, rq.Actor, id, r.PathValue("lid"), rq.Now)
		return err
	}, func(id string) error { return s.apiCaseLinkReply(w, r, rq, id, http.StatusOK) })
}
