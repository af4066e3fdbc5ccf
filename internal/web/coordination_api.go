package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

type referralJSON struct {
	ID            string   `json:"id"`
	CaseID        string   `json:"case_id"`
	CaseCode      string   `json:"case_code"`
	ServiceID     string   `json:"service_id"`
	Organisation  string   `json:"organisation"`
	ServiceType   string   `json:"service_type"`
	ToAgencyID    string   `json:"to_agency_id"`
	ToUserID      string   `json:"to_user_id"`
	Reason        string   `json:"reason"`
	Urgent        bool     `json:"urgent"`
	Sections      []string `json:"sections"`
	Basis         string   `json:"basis"`
	Status        string   `json:"status"`
	Overdue       bool     `json:"overdue"`
	ResponseDue   *string  `json:"response_due"`
	DeclineReason string   `json:"decline_reason"`
	ServiceNote   string   `json:"service_note"`
	Outcome       string   `json:"outcome"`
	SentBy        string   `json:"sent_by"`
	SentAt        *string  `json:"sent_at"`
	Version       int      `json:"version"`
}

func (s *Server) referralToJSON(rq *request, r *referral.Referral) referralJSON {
	return referralJSON{ID: r.ID, CaseID: r.CaseID, CaseCode: r.CaseCode, ServiceID: r.ServiceID,
		Organisation: r.Organisation, ServiceType: r.ServiceType, ToAgencyID: r.ToAgencyID, ToUserID: r.ToUserID,
		Reason: r.Reason, Urgent: r.Urgent, Sections: nonNil(share.Names(r.Sections)), Basis: r.Basis, Status: r.Status,
		Overdue: r.Overdue(rq.Now), ResponseDue: apiTime(r.ResponseDue), DeclineReason: r.DeclineReason,
		ServiceNote: r.ServiceNote, Outcome: r.Outcome, SentBy: r.SentBy, SentAt: apiTime(r.SentAt), Version: r.Version}
}

type transferJSON struct {
	ID            string   `json:"id"`
	CaseID        string   `json:"case_id"`
	CaseCode      string   `json:"case_code"`
	Kind          string   `json:"kind"`
	Reason        string   `json:"reason"`
	FromAgencyID  string   `json:"from_agency_id"`
	ToAgencyID    string   `json:"to_agency_id"`
	ToTeamID      string   `json:"to_team_id"`
	ToUserID      string   `json:"to_user_id"`
	Sections      []string `json:"sections"`
	Basis         string   `json:"basis"`
	FamilyToldOn  string   `json:"family_told_on"`
	HandoverPlan  string   `json:"handover_plan"`
	Status        string   `json:"status"`
	DeclineReason string   `json:"decline_reason"`
	RequestedAt   *string  `json:"requested_at"`
	Version       int      `json:"version"`
}

func transferToJSON(t *transfer.Transfer) transferJSON {
	return transferJSON{ID: t.ID, CaseID: t.CaseID, CaseCode: t.CaseCode, Kind: t.Kind, Reason: t.Reason,
		FromAgencyID: t.FromAgencyID, ToAgencyID: t.ToAgencyID, ToTeamID: t.ToTeamID, ToUserID: t.ToUserID,
		Sections: nonNil(share.Names(t.Sections)), Basis: t.Basis, FamilyToldOn: t.FamilyToldOn,
		HandoverPlan: t.HandoverPlan, Status: t.Status, DeclineReason: t.DeclineReason,
		RequestedAt: apiTime(t.RequestedAt), Version: t.Version}
}

type participantJSON struct {
	UserID    string  `json:"user_id"`
	Name      string  `json:"name"`
	External  bool    `json:"external"`
	SignedOff *string `json:"signed_off_at"`
}

type confActionJSON struct {
	Description string `json:"description"`
	OwnerID     string `json:"owner_id"`
	DueOn       string `json:"due_on"`
}

type conferenceJSON struct {
	ID           string            `json:"id"`
	CaseID       string            `json:"case_id"`
	CaseCode     string            `json:"case_code"`
	Reason       string            `json:"reason"`
	ScheduledAt  *string           `json:"scheduled_at"`
	Place        string            `json:"place"`
	Sections     []string          `json:"sections"`
	Summary      string            `json:"summary"`
	Risks        string            `json:"risks"`
	Needs        string            `json:"needs"`
	Services     string            `json:"services"`
	Decisions    string            `json:"decisions"`
	Status       string            `json:"status"`
	Participants []participantJSON `json:"participants"`
	Actions      []confActionJSON  `json:"actions"`
	Version      int               `json:"version"`
}

func conferenceToJSON(c *conference.Conference) conferenceJSON {
	out := conferenceJSON{ID: c.ID, CaseID: c.CaseID, CaseCode: c.CaseCode, Reason: c.Reason,
		ScheduledAt: apiTime(c.ScheduledAt), Place: c.Place, Sections: nonNil(share.Names(c.Sections)),
		Summary: c.Summary, Risks: c.Risks, Needs: c.Needs, Services: c.Services, Decisions: c.Decisions,
		Status: c.Status, Participants: []participantJSON{}, Actions: []confActionJSON{}, Version: c.Version}
	for _, p := range c.Participants {
		out.Participants = append(out.Participants, participantJSON{UserID: p.UserID, Name: p.Name, External: p.External,
			SignedOff: apiTime(p.SignedOffAt)})
	}
	for _, a := range c.Actions {
		out.Actions = append(out.Actions, confActionJSON{Description: a.Description, OwnerID: a.OwnerID, DueOn: a.DueOn})
	}
	return out
}

type shareJSON struct {
	Via      string   `json:"via"`
	SourceID string   `json:"source_id"`
	To       string   `json:"to"`
	Sections []string `json:"sections"`
	Basis    string   `json:"basis"`
	Reason   string   `json:"reason"`
	Approver string   `json:"approver"`
	Ended    bool     `json:"ended"`
}

// sharedJSON is what a grant shows of a case, section by section.
type sharedJSON struct {
	Withheld     bool              `json:"withheld,omitempty"` // consent withdrawn or the reader excluded since the share
	CaseCode     string            `json:"case_code"`
	Sections     []string          `json:"sections"`
	Identity     map[string]string `json:"identity,omitempty"`
	Registration map[string]any    `json:"registration,omitempty"`
	Family       []string          `json:"family,omitempty"` // relationships (names only with identity shared too)
	Needs        []string          `json:"needs,omitempty"`
	Objectives   []string          `json:"objectives,omitempty"`
	Services     []string          `json:"services,omitempty"`  // date and type of each service given
	FollowUps    []string          `json:"followups,omitempty"` // date and safety of each follow-up
}

func sharedToJSON(v *share.View) *sharedJSON {
	if v == nil {
		return nil
	}
	out := &sharedJSON{Withheld: v.Withheld, CaseCode: v.Code, Sections: nonNil(share.Names(v.Sections))}
	if v.Identity != nil {
		out.Identity = map[string]string{"name": v.Identity.FullName(), "location": v.Identity.Location,
			"contact": v.Identity.Contact}
	}
	if c := v.Reg; c != nil {
		out.Registration = map[string]any{"type": c.Type, "sex": c.Sex, "age": c.AgeYears, "risk_level": c.RiskLevel,
			"concerns": nonNil(c.Concerns), "care_status": c.CareStatus}
	}
	for _, x := range v.People {
		out.Family = append(out.Family, x.Relationship)
	}
	for _, n := range v.Needs {
		out.Needs = append(out.Needs, n.Domain+": "+n.Description)
	}
	for _, g := range v.Given {
		out.Services = append(out.Services, g.GivenOn+" "+g.ServiceType)
	}
	for _, f := range v.FollowUps {
		out.FollowUps = append(out.FollowUps, f.HappenedOn+" "+f.Safety)
	}
	if v.Plan != nil {
		for _, o := range v.Plan.Objectives {
			out.Objectives = append(out.Objectives, o.Description)
		}
	}
	return out
}

func (s *Server) apiCoordination(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var p *coordination
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		p, err = s.readCoordination(ctx, tx, rq, r.PathValue("id"))
		return err
	})
	if err != nil {
		return err
	}
	out := struct {
		Referrals   []referralJSON   `json:"referrals"`
		Transfers   []transferJSON   `json:"transfers"`
		Conferences []conferenceJSON `json:"conferences"`
		Shares      []shareJSON      `json:"shares"`
		TellFamily  bool             `json:"tell_family"`
	}{Referrals: []referralJSON{}, Transfers: []transferJSON{}, Conferences: []conferenceJSON{}, Shares: []shareJSON{},
		TellFamily: p.TellFamily}
	for i := range p.Referrals {
		out.Referrals = append(out.Referrals, s.referralToJSON(rq, &p.Referrals[i]))
	}
	for i := range p.Transfers {
		out.Transfers = append(out.Transfers, transferToJSON(&p.Transfers[i]))
	}
	for i := range p.Conferences {
		out.Conferences = append(out.Conferences, conferenceToJSON(&p.Conferences[i]))
	}
	for i := range p.Listed {
		sh := &p.Listed[i]
		out.Shares = append(out.Shares, shareJSON{Via: string(sh.Grant.Via), SourceID: sh.SourceID, To: p.shareTo(sh),
			Sections: nonNil(share.Names(sh.Grant.Sections)), Basis: sh.Basis, Reason: sh.Reason,
			Approver: p.Names[sh.ApproverID], Ended: sh.Ended})
	}
	return jsonOK(w, out)
}

func (s *Server) apiSendReferral(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.Input
	var ref *referral.Referral
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		ref, err = referral.Send(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return created(w, s.referralToJSON(rq, ref)) })
}

func (s *Server) apiRequestTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in transfer.Input
	var t *transfer.Transfer
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		t, err = transfer.Request(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return created(w, transferToJSON(t)) })
}

func (s *Server) apiScheduleConference(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in conference.Input
	var c *conference.Conference
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		if c, err = conference.Schedule(ctx, tx, s.prof, rq.Actor, id, in, rq.Now); err != nil {
			return err
		}
		c, err = tx.Conference(ctx, c.ID)
		return err
	}, func(string) error { return created(w, conferenceToJSON(c)) })
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request, rq *request) error {
	in, err := s.readInbox(r.Context(), rq.Actor)
	if err != nil {
		return err
	}
	return jsonOK(w, inboxToJSON(rq, in))
}

// apiRead reads a referral, transfer or conference by read (its domain's
// Read) and audits the reading (by event) through rq's collector, which
// holds the answer until the event is durable.
func apiRead[R any](s *Server, ctx context.Context, rq *request, read func(ctx context.Context, tx *store.Tx) (R, error),
	event func(R) audit.Event) (R, error) {
	var rd R
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if rd, err = read(ctx, tx); err != nil {
			return err
		}
		rq.auditRead(ctx, event(rd))
		return nil
	})
	return rd, err
}

type referralReply struct {
	Referral referralJSON `json:"referral"`
	Shared   *sharedJSON  `json:"shared"`
}

func (s *Server) apiReferral(w http.ResponseWriter, r *http.Request, rq *request) error {
	rd, err := apiRead(s, r.Context(), rq, func(ctx context.Context, tx *store.Tx) (*referral.Reading, error) {
		return referral.Read(ctx, tx, s.prof, rq.Actor, r.PathValue("id"))
	}, (*referral.Reading).Event)
	if err != nil {
		return err
	}
	return jsonOK(w, referralReply{Referral: s.referralToJSON(rq, rd.Referral), Shared: sharedToJSON(rd.Shared)})
}

// apiReferralOp runs op on the referral named in the path and answers with it.
func (s *Server) apiReferralOp(w http.ResponseWriter, r *http.Request, rq *request, in any, version *int,
	op func(ctx context.Context, tx *store.Tx, id string) (*referral.Referral, error)) error {
	var ref *referral.Referral
	return s.apiCaseOp(w, r, in, version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		ref, err = op(ctx, tx, id)
		return err
	}, func(string) error { return jsonOK(w, s.referralToJSON(rq, ref)) })
}

func (s *Server) apiReferralRespond(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.Answer
	return s.apiReferralOp(w, r, rq, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (*referral.Referral, error) {
		return referral.Respond(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
	})
}

func (s *Server) apiReferralService(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.ServiceInput
	return s.apiReferralOp(w, r, rq, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (*referral.Referral, error) {
		return referral.RecordService(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
	})
}

func (s *Server) apiReferralOutcome(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.OutcomeInput
	return s.apiReferralOp(w, r, rq, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (*referral.Referral, error) {
		return referral.RecordOutcome(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
	})
}

type transferReply struct {
	Transfer transferJSON `json:"transfer"`
	Shared   *sharedJSON  `json:"shared"`
}

func (s *Server) apiTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	rd, err := apiRead(s, r.Context(), rq, func(ctx context.Context, tx *store.Tx) (*transfer.Reading, error) {
		return transfer.Read(ctx, tx, s.prof, rq.Actor, r.PathValue("id"))
	}, (*transfer.Reading).Event)
	if err != nil {
		return err
	}
	return jsonOK(w, transferReply{Transfer: transferToJSON(rd.Transfer), Shared: sharedToJSON(rd.Shared)})
}

func (s *Server) apiTransferDecide(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in transfer.Decision
	var t *transfer.Transfer
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		t, err = transfer.Decide(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, func(string) error { return jsonOK(w, transferToJSON(t)) })
}

type conferenceReply struct {
	Conference conferenceJSON `json:"conference"`
	Shared     *sharedJSON    `json:"shared"`
}

func (s *Server) apiConference(w http.ResponseWriter, r *http.Request, rq *request) error {
	rd, err := apiRead(s, r.Context(), rq, func(ctx context.Context, tx *store.Tx) (*conference.Reading, error) {
		return conference.Read(ctx, tx, s.prof, rq.Actor, r.PathValue("id"))
	}, (*conference.Reading).Event)
	if err != nil {
		return err
	}
	return jsonOK(w, conferenceReply{Conference: conferenceToJSON(rd.Conference), Shared: sharedToJSON(rd.Shared)})
}

// apiConferenceOp runs op on the conference named in the path and answers
// with it as stored.
func (s *Server) apiConferenceOp(w http.ResponseWriter, r *http.Request, in any, version *int,
	op func(ctx context.Context, tx *store.Tx, id string) error) error {
	var c *conference.Conference
	return s.apiCaseOp(w, r, in, version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		if err := op(ctx, tx, id); err != nil {
			return err
		}
		c, err = tx.Conference(ctx, id)
		return err
	}, func(string) error { return jsonOK(w, conferenceToJSON(c)) })
}

func (s *Server) apiConferenceRecord(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in conference.RecordInput
	return s.apiConferenceOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := conference.Record(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	})
}

func (s *Server) apiConferenceSignOff(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Version int `json:"version"`
	}
	return s.apiConferenceOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := conference.SignOff(ctx, tx, rq.Actor, id, in.Version, rq.Now)
		return err
	})
}

func (s *Server) apiBreakGlass(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := share.MayBreakGlass(rq.Actor); err != nil {
		return err
	}
	var in share.GlassInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	var g *share.Record
	var c *cases.Case
	ctx := r.Context()
	if err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		g, c, err = share.BreakGlass(ctx, tx, s.prof, rq.Actor, in, rq.Now)
		return err
	}); err != nil {
		return err
	}
	return created(w, struct {
		CaseID   string   `json:"case_id"`
		CaseCode string   `json:"case_code"`
		Until    *string  `json:"until"`
		Sections []string `json:"sections"`
	}{c.ID, c.Code, apiTime(g.Grant.Until), share.Names(g.Grant.Sections)})
}

func (s *Server) apiTransferWithdraw(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Version int `json:"version"`
	}
	var t *transfer.Transfer
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		if _, err = transfer.Withdraw(ctx, tx, rq.Actor, id, in.Version, rq.Now); err != nil {
			return err
		}
		t, err = tx.Transfer(ctx, id)
		return err
	}, func(string) error { return jsonOK(w, transferToJSON(t)) })
}

func (s *Server) apiConferenceClose(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Version int `json:"version"`
	}
	return s.apiConferenceOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := conference.Close(ctx, tx, rq.Actor, id, in.Version, rq.Now)
		return err
	})
}

func (s *Server) apiFamilyTold(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in share.ToldInput
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		return share.FamilyTold(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
	}, func(id string) error { return s.apiCoordination(w, r, rq) })
}

func (s *Server) apiStandAlone(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.Input
	var ref *referral.Referral
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) (err error) {
		if ref, err = referral.StandAlone(ctx, tx, s.prof, rq.Actor, id, in, rq.Now); err != nil {
			return err
		}
		ref, err = tx.Referral(ctx, ref.ID)
		return err
	}, func(string) error { return created(w, s.referralToJSON(rq, ref)) })
}

// apiBulkTransfer requests the transfer of every open case of a team to
// another agency (a manager, for a programme that closes).
func (s *Server) apiBulkTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := transfer.MayBulk(rq.Actor); err != nil {
		return err
	}
	var in transfer.BulkInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, codes, err := s.bulkTransfer(r.Context(), rq, in)
	if err != nil {
		return err
	}
	type caseRef struct {
		CaseID   string `json:"case_id"`
		CaseCode string `json:"case_code"`
		Why      string `json:"why,omitempty"`
	}
	out := struct {
		BatchID   string    `json:"batch_id"`
		Requested []caseRef `json:"requested"`
		Skipped   []caseRef `json:"skipped"`
	}{BatchID: res.BatchID, Requested: []caseRef{}, Skipped: []caseRef{}}
	for _, id := range res.Requested {
		out.Requested = append(out.Requested, caseRef{CaseID: id, CaseCode: codes[id]})
	}
	for _, id := range keys(res.Skipped) {
		out.Skipped = append(out.Skipped, caseRef{CaseID: id, CaseCode: codes[id], Why: res.Skipped[id]})
	}
	return created(w, out)
}
