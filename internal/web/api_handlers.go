package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, rq *request) error {
	return jsonOK(w, userJSON(rq.User))
}

// apiProfile returns the context profile in force (it is not confidential).
func (s *Server) apiProfile(w http.ResponseWriter, r *http.Request, rq *request) error {
	if d := access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindProfile}); !d.Allow {
		return errs.E(errs.Forbidden, "profile: %s", d.Reason)
	}
	return jsonOK(w, s.prof)
}

// apiCases lists a caseload: scope own, team or agency (default: the widest the role has).
func (s *Server) apiCases(w http.ResponseWriter, r *http.Request, rq *request) error {
	widest, okScope := access.ListScope(rq.User.Role)
	if !okScope {
		return errs.E(errs.Forbidden, "cases: %s has no caseload", rq.User.Role)
	}
	scope := access.Scope(r.URL.Query().Get("scope"))
	if scope == "" {
		scope = widest
	}
	id := map[access.Scope]string{access.Own: rq.User.ID, access.Team: rq.User.TeamID, access.Agency: rq.User.AgencyID}[scope]
	if tid := r.URL.Query().Get("team"); scope == access.Team && tid != "" {
		id = tid
	}
	res := access.Resource{Kind: access.KindCaseList, Scope: scope, AgencyID: rq.User.AgencyID, TeamID: id}
	if scope == access.Team && id != rq.User.TeamID {
		// A manager asking for one of the agency's teams.
		ctx := r.Context()
		if err := s.db.Read(ctx, func(tx *store.Tx) error {
			t, err := tx.Team(ctx, id)
			if err != nil {
				return err
			}
			res.AgencyID = t.AgencyID
			return nil
		}); err != nil {
			return err
		}
	}
	if d := access.Decide(rq.Actor, access.View, res); !d.Allow || id == "" {
		return errs.E(errs.Forbidden, "cases: scope %s not allowed", scope)
	}
	limit := queryInt(r, "limit", pageSize)
	offset := queryInt(r, "offset", 0)
	if limit < 1 || limit > 200 || offset < 0 {
		return errs.Field("limit", "err.limit")
	}
	ctx := r.Context()
	var rows []store.CaseRow
	var count int
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		f := store.CaseFilter{Scope: scope, ID: id, Offset: offset, Limit: limit}
		if rows, err = tx.Caseload(ctx, f); err != nil {
			return err
		}
		count, err = tx.CountCases(ctx, f, countCap)
		return err
	})
	if err != nil {
		return err
	}
	out := struct {
		Cases      []caseRowJSON `json:"cases"`
		Count      int           `json:"count"`
		CountIsMax bool          `json:"count_capped"`
	}{Cases: []caseRowJSON{}, Count: count, CountIsMax: count >= countCap}
	for _, row := range rows {
		out.Cases = append(out.Cases, caseRowToJSON(row))
	}
	return jsonOK(w, out)
}

func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in cases.Registration
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.mayRegister(rq); err != nil {
		return err
	}
	ctx := r.Context()
	var c *cases.Case
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		c, err = cases.RegisterChecked(ctx, tx, s.db.SearchHasher(), s.prof, rq.Actor, in,
			func() string { return cases.NewCode("C") }, rq.Now)
		return err
	})
	if ds, ok := cases.AsDuplicates(err); ok {
		return apiDuplicates(ctx, w, rq, ds)
	}
	if err != nil {
		return err
	}
	return s.apiCaseReply(w, r, rq, c.ID, http.StatusCreated, false)
}

// apiCaseReply answers with the full case id as rq may see it.
func (s *Server) apiCaseReply(w http.ResponseWriter, r *http.Request, rq *request, id string, status int, auditRead bool) error {
	ctx := r.Context()
	var v *caseView
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		v, err = s.loadCaseView(ctx, tx, rq, id)
		if err == nil && auditRead {
			rq.auditRead(ctx, audit.Event{Action: "case.view", RecordType: "case", RecordID: v.Case.ID,
				CaseID: v.Case.ID, AgencyID: v.Case.AgencyID})
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, status, caseViewJSON(v, rq.Now))
}

func (s *Server) apiCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiCaseReply(w, r, rq, r.PathValue("id"), http.StatusOK, true)
}

func (s *Server) apiUpdateRegistration(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		cases.Registration
		Version int `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := cases.UpdateRegistration(ctx, tx, s.prof, rq.Actor, id, in.Version, in.Registration, rq.Now)
		return err
	}, s.caseReply(w, r, rq, http.StatusOK))
}

func (s *Server) apiRisk(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		RiskLevel string `json:"risk_level"`
		Reason    string `json:"reason"`
		Version   int    `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := cases.ChangeRisk(ctx, tx, s.prof, rq.Actor, id, in.Version, in.RiskLevel, in.Reason, rq.Now)
		// The form's risk_reason is this body's reason.
		return apiFieldNames(err, func(f string) string {
			if f == "risk_reason" {
				return "reason"
			}
			return f
		})
	}, s.caseReply(w, r, rq, http.StatusOK))
}

func (s *Server) apiUrgent(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Urgent      bool   `json:"urgent"`
		UrgentNeeds string `json:"urgent_needs"`
		Version     int    `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := cases.SetUrgent(ctx, tx, s.prof, rq.Actor, id, in.Version, in.Urgent, in.UrgentNeeds, rq.Now)
		return err
	}, s.caseReply(w, r, rq, http.StatusOK))
}

func (s *Server) apiAssign(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		CaseworkerID string `json:"caseworker_id"`
		Version      int    `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := cases.Assign(ctx, tx, rq.Actor, id, in.Version, in.CaseworkerID, rq.Now)
		return err
	}, s.caseReply(w, r, rq, http.StatusOK))
}

// apiCaseOp decodes the request body into in (unless in is nil), checks the
// version it carries (unless version is nil), runs op on case {id} in one
// transaction and answers with reply.
func (s *Server) apiCaseOp(w http.ResponseWriter, r *http.Request, in any, version *int,
	op func(ctx context.Context, tx *store.Tx, id string) error, reply func(id string) error) error {
	if in != nil {
		if err := decodeJSON(w, r, in); err != nil {
			return err
		}
	}
	if version != nil {
		if err := versionOf(*version); err != nil {
			return err
		}
	}
	ctx := r.Context()
	id := r.PathValue("id")
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return op(ctx, tx, id) }); err != nil {
		return err
	}
	return reply(id)
}

// caseReply and consentReply answer an edit with the record as it is now.
func (s *Server) caseReply(w http.ResponseWriter, r *http.Request, rq *request, status int) func(string) error {
	return func(id string) error { return s.apiCaseReply(w, r, rq, id, status, false) }
}

func (s *Server) consentReply(w http.ResponseWriter, r *http.Request, rq *request, status int) func(string) error {
	return func(id string) error { return s.apiConsentReply(w, r, rq, id, status) }
}

// apiConsentReply answers with the consent state of case id; a plain read
// is audited before the answer is sent.
func (s *Server) apiConsentReply(w http.ResponseWriter, r *http.Request, rq *request, id string, status int) error {
	ctx := r.Context()
	var st *consent.State
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Consent, id)
		if err != nil {
			return err
		}
		st, err = consent.Load(ctx, tx, s.prof, c, rq.Now)
		return err
	})
	if err != nil {
		return err
	}
	if r.Method == http.MethodGet {
		rq.auditRead(ctx, audit.Event{Action: "consent.view", RecordType: "case", RecordID: st.Case.ID,
			CaseID: st.Case.ID, AgencyID: st.Case.AgencyID})
	}
	return writeJSON(w, status, consentStateToJSON(st))
}

func (s *Server) apiConsent(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiConsentReply(w, r, rq, r.PathValue("id"), http.StatusOK)
}

func (s *Server) apiAddConsent(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in consent.Input
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := consent.Add(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, s.consentReply(w, r, rq, http.StatusCreated))
}

func (s *Server) apiWithdraw(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Reason  string `json:"reason"`
		Version int    `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := consent.Withdraw(ctx, tx, rq.Actor, id, r.PathValue("cid"), in.Version, in.Reason, rq.Now)
		return err
	}, s.consentReply(w, r, rq, http.StatusOK))
}

func (s *Server) apiOverride(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in consent.OverrideInput
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := consent.AddOverride(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, s.consentReply(w, r, rq, http.StatusCreated))
}

func (s *Server) apiRevokeOverride(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiCaseOp(w, r, nil, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		return consent.RevokeOverride(ctx, tx, rq.Actor, id, r.PathValue("oid"), rq.Now)
	}, s.consentReply(w, r, rq, http.StatusOK))
}

func (s *Server) apiExclusion(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in consent.ExclusionInput
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := consent.AddExclusion(ctx, tx, rq.Actor, id, in, rq.Now)
		return err
	}, s.consentReply(w, r, rq, http.StatusCreated))
}

func (s *Server) apiRemoveExclusion(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiCaseOp(w, r, nil, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		return consent.RemoveExclusion(ctx, tx, rq.Actor, id, r.PathValue("eid"), rq.Now)
	}, s.consentReply(w, r, rq, http.StatusOK))
}

func (s *Server) apiFamily(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var people []cases.Person
	var c *cases.Case
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if c, err = cases.Get(ctx, tx, rq.Actor, access.View, access.Family, r.PathValue("id")); err != nil {
			return err
		}
		people, err = tx.CasePeople(ctx, c.ID)
		return err
	})
	if err != nil {
		return err
	}
	rq.auditRead(ctx, audit.Event{Action: "family.view", RecordType: "case", RecordID: c.ID, CaseID: c.ID,
		AgencyID: c.AgencyID})
	out := struct {
		Family []personJSON `json:"family"`
	}{Family: []personJSON{}}
	for i := range people {
		out.Family = append(out.Family, personToJSON(&people[i]))
	}
	return jsonOK(w, out)
}

func (s *Server) apiAddPerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in family.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	var x *cases.Person
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		x, err = family.Add(ctx, tx, s.prof, rq.Actor, r.PathValue("id"), in, rq.Now)
		return err
	})
	if err != nil {
		return err
	}
	return created(w, personToJSON(x))
}

func (s *Server) apiUpdatePerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		family.Input
		Version int `json:"version"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := versionOf(in.Version); err != nil {
		return err
	}
	ctx := r.Context()
	var x *cases.Person
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		x, err = family.Update(ctx, tx, s.prof, rq.Actor, r.PathValue("id"), r.PathValue("pid"), in.Version, in.Input, rq.Now)
		return err
	})
	if err != nil {
		return err
	}
	return jsonOK(w, personToJSON(x))
}

func (s *Server) apiRemovePerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		return family.Remove(ctx, tx, rq.Actor, r.PathValue("id"), r.PathValue("pid"), rq.Now)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiIdentifications(w http.ResponseWriter, r *http.Request, rq *request) error {
	if d := access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindIdentification, AgencyID: rq.User.AgencyID}); !d.Allow {
		return errs.E(errs.Forbidden, "identifications: %s", d.Reason)
	}
	ctx := r.Context()
	var items []intake.Identification
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		items, err = tx.Identifications(ctx, rq.User.AgencyID, intake.StatusNew, 200)
		return err
	})
	if err != nil {
		return err
	}
	rq.auditRead(ctx, audit.Event{Action: "identification.list", RecordType: "identification"})
	out := struct {
		Identifications []identificationJSON `json:"identifications"`
	}{Identifications: []identificationJSON{}}
	for i := range items {
		out.Identifications = append(out.Identifications, identificationToJSON(&items[i], true))
	}
	return jsonOK(w, out)
}

func (s *Server) apiIdentify(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in intake.NewIdentification
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ident, err := s.newIdentification(r.Context(), rq, in)
	if ds, ok := cases.AsDuplicates(err); ok {
		return apiDuplicates(r.Context(), w, rq, ds)
	}
	if err != nil {
		return err
	}
	return created(w, identificationToJSON(ident, false))
}

func (s *Server) apiScreen(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in intake.ScreeningInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	var sc *intake.Screening
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		sc, err = intake.Screen(ctx, tx, s.prof, rq.Actor, in, rq.Now)
		return err
	})
	if err != nil {
		return err
	}
	return created(w, screeningToJSON(sc))
}

func (s *Server) apiScreening(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var sc *intake.Screening
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if sc, err = tx.Screening(ctx, r.PathValue("id")); err != nil {
			return err
		}
		if d := access.Decide(rq.Actor, access.Screen, access.Resource{Kind: access.KindIdentification, AgencyID: sc.AgencyID}); !d.Allow {
			return &errs.DeniedError{Record: "screening", ID: sc.ID, AgencyID: sc.AgencyID, Reason: d.Reason, Kind: errs.NotFound}
		}
		rq.auditRead(ctx, audit.Event{Action: "screening.view", RecordType: "screening", RecordID: sc.ID,
			AgencyID: sc.AgencyID, CaseID: sc.CaseID})
		return nil
	})
	if err != nil {
		return err
	}
	return jsonOK(w, screeningToJSON(sc))
}

func (s *Server) apiTasks(w http.ResponseWriter, r *http.Request, rq *request) error {
	scope := access.Scope(r.URL.Query().Get("scope"))
	if scope == "" {
		scope = access.Own
	}
	id := rq.User.ID
	kind := access.KindTasks
	if scope == access.Team {
		id = rq.User.TeamID
	} else if scope != access.Own {
		return errs.Field("scope", "err.choose")
	}
	res := access.Resource{Kind: kind, Scope: scope, AgencyID: rq.User.AgencyID, TeamID: rq.User.TeamID}
	if d := access.Decide(rq.Actor, access.View, res); !d.Allow || id == "" {
		return errs.E(errs.Forbidden, "tasks: %s", d.Reason)
	}
	ctx := r.Context()
	var tasks []store.TaskRow
	var later int
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		tasks, later, err = deadline.Tasks[store.TaskRow](ctx, tx, s.prof, scope, id, rq.Now)
		return err
	})
	if err != nil {
		return err
	}
	deadline.SortTasks(tasks, rq.Now, s.prof.Location())
	out := struct {
		Tasks []taskJSON `json:"tasks"`
		Later int        `json:"later"`
	}{Tasks: []taskJSON{}, Later: later}
	for _, t := range tasks {
		out.Tasks = append(out.Tasks, taskJSON{ID: t.ID, Kind: string(t.Kind), DueAt: apiTime(t.DueAt),
			Overdue: t.Overdue(rq.Now), CaseID: t.CaseID, CaseCode: t.CaseCode, RiskLevel: t.RiskLevel,
			Urgent: t.Urgent, Priority: t.Priority, AssigneeID: t.AssigneeID})
	}
	return jsonOK(w, out)
}

func (s *Server) apiTeam(w http.ResponseWriter, r *http.Request, rq *request) error {
	teamID, picks, err := cases.TeamView(rq.Actor)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if picks {
		teamID = r.URL.Query().Get("team")
	}
	if teamID == "" {
		return errs.Field("team", "err.choose")
	}
	type loadJSON struct {
		UserID   string `json:"user_id"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Open     int    `json:"open"`
		High     int    `json:"high_risk"`
		Urgent   int    `json:"urgent"`
		Priority int    `json:"priority"`
		Overdue  int    `json:"overdue"`
		DueSoon  int    `json:"due_soon"`
		OverMax  bool   `json:"over_max"`
	}
	out := struct {
		TeamID  string     `json:"team_id"`
		Name    string     `json:"name"`
		Max     int        `json:"caseload_max"`
		Target  int        `json:"caseload_target"`
		Workers []loadJSON `json:"workers"`
	}{Max: s.prof.Caseload.Max, Target: s.prof.Caseload.Target, Workers: []loadJSON{}}
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		t, err := tx.Team(ctx, teamID)
		if err != nil {
			return err
		}
		res := access.Resource{Kind: access.KindCaseList, Scope: access.Team, AgencyID: t.AgencyID, TeamID: t.ID}
		if d := access.Decide(rq.Actor, access.View, res); !d.Allow {
			return errs.E(errs.NotFound, "team %s", teamID)
		}
		out.TeamID, out.Name = t.ID, t.Name
		load, err := tx.TeamLoad(ctx, t.ID, rq.Now, deadline.SoonUntil(rq.Now))
		for _, l := range load {
			out.Workers = append(out.Workers, loadJSON{UserID: l.UserID, Name: l.Name, Role: string(l.Role), Open: l.Open,
				High: l.High, Urgent: l.Urgent, Priority: l.Priority, Overdue: l.Overdue, DueSoon: l.DueSoon,
				OverMax: l.Open > s.prof.Caseload.Max})
		}
		return err
	})
	if err != nil {
		return err
	}
	return jsonOK(w, out)
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, rq *request) error {
	agency := account.Scope(rq.Actor, r.URL.Query().Get("agency"))
	if err := account.May(rq.Actor, access.View, access.KindUser, agency); err != nil {
		return err
	}
	ctx := r.Context()
	var users []org.User
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		users, err = tx.Users(ctx, agency)
		return err
	}); err != nil {
		return err
	}
	out := struct {
		Users []userOut `json:"users"`
	}{Users: []userOut{}}
	for i := range users {
		out.Users = append(out.Users, userJSON(&users[i]))
	}
	return jsonOK(w, out)
}

func (s *Server) apiAddUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in org.NewUser
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, failed, err := s.addUser(r.Context(), rq, in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return created(w, s.withSetup(c.User, c.Setup, failed))
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	u, err := s.readUser(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := account.May(rq.Actor, access.View, access.KindUser, u.AgencyID); err != nil {
		return errs.E(errs.NotFound, "user %s", u.ID)
	}
	return jsonOK(w, userJSON(u))
}

func (s *Server) apiEditUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in account.Edit
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := versionOf(in.Version); err != nil {
		return err
	}
	u, err := s.editUser(r.Context(), rq, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return jsonOK(w, userJSON(u))
}

type teamJSON struct {
	ID       string `json:"id"`
	AgencyID string `json:"agency_id"`
	Name     string `json:"name"`
}

func (s *Server) apiTeams(w http.ResponseWriter, r *http.Request, rq *request) error {
	agency := account.Scope(rq.Actor, r.URL.Query().Get("agency"))
	if err := account.May(rq.Actor, access.View, access.KindTeam, agency); err != nil {
		return err
	}
	ctx := r.Context()
	var teams []org.Team
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		teams, err = tx.Teams(ctx, agency)
		return err
	}); err != nil {
		return err
	}
	out := struct {
		Teams []teamJSON `json:"teams"`
	}{Teams: []teamJSON{}}
	for _, t := range teams {
		out.Teams = append(out.Teams, teamJSON{ID: t.ID, AgencyID: t.AgencyID, Name: t.Name})
	}
	return jsonOK(w, out)
}

func (s *Server) apiAddTeam(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in org.NewTeam
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.addTeam(r.Context(), rq, in)
	if err != nil {
		return err
	}
	return created(w, teamJSON{ID: t.ID, AgencyID: t.AgencyID, Name: t.Name})
}

type agencyJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Code string `json:"code"`
}

func (s *Server) apiAgencies(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var agencies []org.Agency
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		agencies, err = tx.Agencies(ctx)
		return err
	}); err != nil {
		return err
	}
	out := struct {
		Agencies []agencyJSON `json:"agencies"`
	}{Agencies: []agencyJSON{}}
	// Every user may see the agencies of the deployment (to refer to them);
	// only a system administrator manages them.
	for _, a := range agencies {
		out.Agencies = append(out.Agencies, agencyJSON{ID: a.ID, Name: a.Name, Code: a.Code})
	}
	return jsonOK(w, out)
}

func (s *Server) apiAddAgency(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in org.NewAgency
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.addAgency(r.Context(), rq, in)
	if err != nil {
		return err
	}
	return created(w, agencyJSON{ID: a.ID, Name: a.Name, Code: a.Code})
}

type auditEventJSON struct {
	Seq        int64   `json:"seq"`
	At         *string `json:"at"`
	ActorID    string  `json:"actor_id"`
	ActorRole  string  `json:"actor_role"`
	Action     string  `json:"action"`
	RecordType string  `json:"record_type"`
	RecordID   string  `json:"record_id"`
	CaseID     string  `json:"case_id"`
	IP         string  `json:"ip"`
	Reason     string  `json:"reason"`
	Detail     string  `json:"detail"`
	Hash       string  `json:"hash"`
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if d := access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindAudit, AgencyID: rq.User.AgencyID}); !d.Allow {
		return errs.E(errs.Forbidden, "audit: %s", d.Reason)
	}
	ctx := r.Context()
	out := struct {
		Events []auditEventJSON `json:"events"`
	}{Events: []auditEventJSON{}}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		f, _, err := s.auditQuery(ctx, tx, rq, r.URL.Query())
		if err != nil {
			return err
		}
		events, err := tx.AuditEvents(ctx, f)
		for _, e := range events {
			out.Events = append(out.Events, auditEventJSON{Seq: e.Seq, At: apiTime(e.At), ActorID: e.ActorID,
				ActorRole: e.ActorRole, Action: e.Action, RecordType: e.RecordType, RecordID: e.RecordID,
				CaseID: e.CaseID, IP: e.IP, Reason: e.Reason, Detail: e.Detail, Hash: e.Hash})
		}
		return err
	})
	if err != nil {
		return err
	}
	rq.auditRead(ctx, audit.Event{Action: "audit.view", RecordType: "audit"})
	return jsonOK(w, out)
}

type tokenJSON struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	CreatedAt  *string `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	ExpiresAt  *string `json:"expires_at"`
	RevokedAt  *string `json:"revoked_at"`
	Token      string  `json:"token,omitempty"`
}

func tokenToJSON(t *store.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: apiTime(t.CreatedAt), LastUsedAt: apiTime(t.LastUsedAt),
		ExpiresAt: apiTime(t.ExpiresAt), RevokedAt: apiTime(t.RevokedAt)}
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var toks []store.APIToken
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		toks, err = tx.Tokens(ctx, rq.User.ID)
		return err
	}); err != nil {
		return err
	}
	out := struct {
		Tokens []tokenJSON `json:"tokens"`
	}{Tokens: []tokenJSON{}}
	for i := range toks {
		out.Tokens = append(out.Tokens, tokenToJSON(&toks[i]))
	}
	return jsonOK(w, out)
}

func (s *Server) apiAddToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Name string `json:"name"`
		Days int    `json:"days"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	tok, t, err := s.addToken(r.Context(), rq, in.Name, in.Days)
	if err != nil {
		return err
	}
	j := tokenToJSON(t)
	j.Token = tok
	return created(w, j)
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.revokeToken(r.Context(), rq, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
