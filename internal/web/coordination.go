package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/service"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

// The case's coordination page: what was shared with whom and why, its
// referrals, transfers and conferences, and the forms to start them.

type coordPage struct {
	Page
	Case        *cases.Case
	Referrals   []referral.Referral
	Transfers   []transfer.Transfer
	Conferences []conference.Conference
	Shares      []shareRow
	TellFamily  bool // a family-notification task is open
	Services    []serviceOption
	Actions     []plan.Action // referral actions of the active plan
	Agencies    []org.Agency  // other agencies, for an external transfer
	Colleagues  []org.User    // caseworkers of the agency, for an internal transfer
	People      []org.User    // who may be invited to a conference
	Names       map[string]string
	CanRefer    bool
	IsSup       bool
	Ref         referral.Input
	Tr          transfer.Input
	Conf        conference.Input
	Told        share.ToldInput
	Open        string // the form to show open after an error
}

// shareRow is one share of the case: a grant, with what made it. Every
// field means something for every kind of share (empty when it does not
// apply), and what the page says of the basis is written in Go (Note), so
// the template never reaches for a field only some kinds have.
type shareRow struct {
	Via        access.Channel
	SourceID   string
	To         string // who received it, in words
	Sections   []access.Section
	Basis      string // consent, override, …
	Reason     string // the override's or break-glass's reason
	Approver   string // who approved the override (empty for other bases)
	Note       string // the reason (and approver) in the reader's words, under the basis
	At         string
	Until      string
	Ended      bool
	Href       string
	BreakGlass bool
}

// Shareable and the minimum, for the forms.
func (p *coordPage) Shareable() []access.Section { return share.Shareable }

// Checked reports whether section s is ticked in a share form: what the
// user chose, or the minimum when they chose nothing yet.
func (p *coordPage) Checked(chosen []string, s access.Section) bool {
	if len(chosen) == 0 {
		return slices.Contains(share.Minimum, s)
	}
	return slices.Contains(chosen, string(s))
}

// serviceOption is one directory entry as the referral form offers it:
// organisation, sector, average time and a warning, in the reader's words
// (written once in Go rather than through a dozen template calls each).
type serviceOption struct{ ID, Label string }

// serviceOptions labels the active entries of the directory for p's reader.
func serviceOptions(p *Page, all []directory.Service) []serviceOption {
	today := p.Now.In(p.Prof.Location()).Format("2006-01-02")
	var out []serviceOption
	for i := range all {
		svc := &all[i]
		if !svc.Active {
			continue
		}
		label := svc.Organisation + " · " + p.Opt("sector", svc.Sector)
		if svc.AvgDays > 0 {
			label += " · " + p.T("coord.avg_days", svc.AvgDays)
		}
		switch {
		case svc.Ended(today):
			label += " · " + p.T("directory.ended")
		case directory.Stale(svc, p.Now, p.Prof.DirectoryRefresh.D()):
			label += " · " + p.T("coord.stale")
		}
		out = append(out, serviceOption{ID: svc.ID, Label: label})
	}
	return out
}

func (s *Server) loadCoordPage(ctx context.Context, rq *request, id string) (*coordPage, func() error, error) {
	p := &coordPage{Page: s.page(rq, "coord.title", "")}
	wait := noWait
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Consent, id)
		if err != nil {
			return err
		}
		p.Case = c
		p.CanRefer = access.Decide(rq.Actor, access.Refer, access.Resource{Kind: access.KindCase, Case: c.Ref(),
			Section: access.Services}).Allow
		p.IsSup = rq.Actor.Role == org.Supervisor
		if p.Referrals, err = tx.CaseReferrals(ctx, c.ID); err != nil {
			return err
		}
		if p.Transfers, err = tx.CaseTransfers(ctx, c.ID); err != nil {
			return err
		}
		if p.Conferences, err = tx.CaseConferences(ctx, c.ID); err != nil {
			return err
		}
		if err := s.loadShares(ctx, tx, p); err != nil {
			return err
		}
		ds, err := tx.CaseDeadlines(ctx, c.ID)
		if err != nil {
			return err
		}
		p.TellFamily = slices.ContainsFunc(ds, func(d deadline.Deadline) bool { return d.Kind == deadline.TellFamily && d.Open() })
		if p.CanRefer {
			if err := s.loadCoordForms(ctx, tx, rq, p); err != nil {
				return err
			}
		}
		wait = s.db.AuditAsync(ctx, audit.Event{Action: "coordination.view", RecordType: "case", RecordID: c.ID,
			CaseID: c.ID, AgencyID: c.AgencyID})
		return nil
	})
	p.Told.ToldOn = s.prof.Today(rq.Now)
	return p, wait, err
}

// loadShares lists every grant of the case with what made it.
func (s *Server) loadShares(ctx context.Context, tx *store.Tx, p *coordPage) error {
	gs, err := tx.GrantRecords(ctx, p.Case.ID)
	if err != nil {
		return err
	}
	ovs, err := tx.Overrides(ctx, p.Case.ID)
	if err != nil {
		return err
	}
	var ids []string
	for _, g := range gs {
		ids = append(ids, g.Grant.UserID, g.CreatedBy)
	}
	for _, o := range ovs {
		ids = append(ids, o.ApprovedBy)
	}
	if p.Names, err = tx.UserNames(ctx, ids); err != nil {
		return err
	}
	agencies, err := tx.Agencies(ctx)
	if err != nil {
		return err
	}
	agencyName := map[string]string{}
	for _, a := range agencies {
		agencyName[a.ID] = a.Name
	}
	override := func(id string) (reason, approver string) {
		for _, o := range ovs {
			if o.ID == id {
				return o.Reason, p.Names[o.ApprovedBy]
			}
		}
		return "", ""
	}
	seen := map[string]bool{}
	for _, g := range gs {
		// A transfer grants its sections to the receiving agency's managers
		// and its supervisors: one share, listed once.
		if g.Grant.Via != access.ViaBreakGlass && g.Grant.UserID == "" {
			if seen[g.SourceID] {
				continue
			}
			seen[g.SourceID] = true
		}
		row := shareRow{Via: g.Grant.Via, SourceID: g.SourceID, Sections: g.Grant.Sections, At: p.DateTime(g.CreatedAt),
			Ended: !g.RevokedAt.IsZero() || (!g.Grant.Until.IsZero() && !p.Now.Before(g.Grant.Until))}
		if !g.Grant.Until.IsZero() {
			row.Until = p.DateTime(g.Grant.Until)
		}
		row.To = p.Names[g.Grant.UserID]
		if row.To == "" {
			row.To = agencyName[g.Grant.AgencyID]
		}
		switch g.Grant.Via {
		case access.ViaReferral:
			row.Href = "/referrals/" + g.SourceID
			for _, r := range p.Referrals {
				if r.ID == g.SourceID {
					row.Basis = r.Basis
					row.Reason, row.Approver = override(r.OverrideID)
				}
			}
		case access.ViaTransfer:
			row.Href = "/transfers/" + g.SourceID
			for _, t := range p.Transfers {
				if t.ID == g.SourceID {
					row.Basis = t.Basis
				}
			}
		case access.ViaConference:
			row.Href = "/conferences/" + g.SourceID
			for _, c := range p.Conferences {
				if c.ID == g.SourceID {
					row.Basis = c.Basis
				}
			}
		case access.ViaBreakGlass:
			row.BreakGlass, row.Basis, row.Reason, row.To = true, "break_glass", g.Reason, p.Names[g.CreatedBy]
		}
		switch {
		case row.Reason != "" && row.Approver != "":
			row.Note = p.T("coord.reason_by", row.Reason, row.Approver)
		case row.Reason != "":
			row.Note = row.Reason // break-glass: whoever broke it is the row's To
		}
		p.Shares = append(p.Shares, row)
	}
	return nil
}

// loadCoordForms reads what the referral, transfer and conference forms offer.
func (s *Server) loadCoordForms(ctx context.Context, tx *store.Tx, rq *request, p *coordPage) error {
	all, err := tx.DirectoryServices(ctx)
	if err != nil {
		return err
	}
	p.Services = serviceOptions(&p.Page, all)
	ps, err := tx.Plans(ctx, p.Case.ID)
	if err != nil {
		return err
	}
	if active := plan.ActiveOf(ps); active != nil {
		for _, a := range active.Actions {
			if a.Kind == "referral" && a.Status != plan.Done && a.Status != plan.Cancelled {
				p.Actions = append(p.Actions, a)
			}
		}
	}
	agencies, err := tx.Agencies(ctx)
	if err != nil {
		return err
	}
	for _, a := range agencies {
		if a.ID != p.Case.AgencyID {
			p.Agencies = append(p.Agencies, a)
		}
	}
	// Near the case: its team, the agency's supervisors and managers, as
	// colleagues for an internal transfer and people to invite to a
	// conference. Anyone else is named by their sign-in name (a large
	// agency's whole staff is too long a list).
	users, err := tx.StaffNear(ctx, p.Case.AgencyID, p.Case.TeamID)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.ID == rq.User.ID {
			continue
		}
		if (u.Role == org.Caseworker || u.Role == org.Supervisor) && u.TeamID != "" && u.ID != p.Case.CaseworkerID {
			p.Colleagues = append(p.Colleagues, u)
		}
		p.People = append(p.People, u)
	}
	return nil
}

func (s *Server) getCoordination(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, wait, err := s.loadCoordPage(r.Context(), rq, r.PathValue("id"))
	if err := errors.Join(err, wait()); err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "referral", "transfer", "conference", "told", "transferred":
		p.Flash = "flash.coord_" + d
	}
	return s.render(w, http.StatusOK, "coordination", p)
}

// coordFailed shows the coordination page again with one form's errors.
func (s *Server) coordFailed(open string, fill func(*coordPage)) func(http.ResponseWriter, *http.Request, *request, string, error) error {
	return func(w http.ResponseWriter, r *http.Request, rq *request, id string, err error) error {
		fe, isFields := fieldErrors(err)
		conflict := errs.KindOf(err) == errs.Conflict
		if !isFields && !conflict {
			return err
		}
		p, wait, lerr := s.loadCoordPage(r.Context(), rq, id)
		if err := errors.Join(lerr, wait()); err != nil {
			return err
		}
		status := http.StatusUnprocessableEntity
		p.Errors = fe
		if conflict {
			p.Errors, status = staleErrors(), http.StatusConflict
		}
		p.Open = open
		fill(p)
		return s.render(w, status, "coordination", p)
	}
}

func referralForm(f *form) referral.Input {
	return referral.Input{ServiceID: f.str("service_id"), ToUserID: f.str("to_user_id"), ActionID: f.str("action_id"),
		Reason: f.str("reason"), Urgent: f.bool("urgent"), Sections: f.list("sections"),
		OverrideReason: f.str("override_reason"), ConfirmEnded: f.bool("confirm_ended"),
		ConsentGiver: f.str("consent_giver"), ConsentOn: f.str("consent_on")}
}

func (s *Server) postReferral(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.Input
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = referralForm(f)
		_, err := referral.Send(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/cases/%s/coordination?done=referral", s.coordFailed("referral", func(p *coordPage) { p.Ref = in }))
}

func transferForm(f *form) transfer.Input {
	return transfer.Input{Version: f.version(), ToAgencyID: f.str("to_agency_id"), ToTeamID: f.str("to_team_id"),
		ToUserID: f.str("to_user_id"), Reason: f.str("reason"), ReasonNotes: f.str("reason_notes"),
		Sections: f.list("sections"), FamilyToldOn: f.str("family_told_on"), FamilyToldTo: f.str("family_told_to"),
		FamilyToldWhy: f.str("family_told_why"), HandoverPlan: f.str("handover_plan"),
		WarmHandoverOn: f.str("warm_handover_on"), NoWarmHandoverWhy: f.str("no_warm_handover_why")}
}

func (s *Server) postTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in transfer.Input
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = transferForm(f)
		if name := f.str("to_username"); name != "" && in.ToUserID == "" {
			u, err := tx.UserByName(ctx, name)
			if err != nil {
				return errs.Field("to_user_id", "err.unknown_user", name)
			}
			in.ToUserID = u.ID
		}
		_, err := transfer.Request(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/cases/%s/coordination?done=transfer", s.coordFailed("transfer", func(p *coordPage) { p.Tr = in }))
}

func (s *Server) postConference(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in conference.Input
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = conferenceForm(f)
		ext := f.str("external_participants")
		more, err := externalParticipants(ctx, tx, ext)
		in.External = ext
		if err != nil {
			return err
		}
		in.Participants = append(in.Participants, more...)
		_, err = conference.Schedule(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/cases/%s/coordination?done=conference", s.coordFailed("conference", func(p *coordPage) { p.Conf = in }))
}

func conferenceForm(f *form) conference.Input {
	return conference.Input{Reason: f.str("reason"), ScheduledAt: f.str("scheduled_at"), Place: f.str("place"),
		Sections: f.list("sections"), Participants: f.list("participants")}
}

// externalParticipants reads the sign-in names of people of other agencies
// (one per line or separated by commas) and returns their IDs, or a field
// error naming the field when one is unknown. At most 20.
func externalParticipants(ctx context.Context, tx *store.Tx, text string) ([]string, error) {
	names := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' })
	if len(names) > 20 {
		return nil, errs.Field("external_participants", "err.too_many")
	}
	var ids []string
	for _, n := range names {
		u, err := tx.UserByName(ctx, n)
		if errs.KindOf(err) == errs.NotFound {
			return nil, errs.Field("external_participants", "err.unknown_user", n)
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

func (s *Server) postFamilyTold(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in share.ToldInput
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = share.ToldInput{ToldOn: f.str("told_on"), ToldTo: f.str("told_to")}
		return share.FamilyTold(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
	}, "/cases/%s/coordination?done=told", s.coordFailed("told", func(p *coordPage) { p.Told = in }))
}

// Stand-alone referral from a screening.
func (s *Server) postStandAlone(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	in := referralForm(f)
	var ref *referral.Referral
	err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		ref, err = referral.StandAlone(ctx, tx, s.prof, rq.Actor, r.PathValue("id"), in, rq.Now)
		return err
	})
	if fe, ok := fieldErrors(err); ok {
		return s.renderStandAlone(w, r, rq, in, fe)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/referrals/"+ref.ID+"?done=sent")
}

func (s *Server) getStandAlone(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	if err := s.db.Read(ctx, func(tx *store.Tx) error {
		sc, err := tx.Screening(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		if !access.Decide(rq.Actor, access.Screen, access.Resource{Kind: access.KindIdentification, AgencyID: sc.AgencyID}).Allow {
			return errs.E(errs.NotFound, "screening")
		}
		return nil
	}); err != nil {
		return err
	}
	return s.renderStandAlone(w, r, rq, referral.Input{ConsentOn: s.prof.Today(rq.Now)}, nil)
}

type standAlonePage struct {
	Page
	ScreeningID string
	Services    []directory.Service
	Ref         referral.Input
}

func (s *Server) renderStandAlone(w http.ResponseWriter, r *http.Request, rq *request, in referral.Input, fe errs.Fields) error {
	p := &standAlonePage{Page: s.page(rq, "coord.standalone_title", ""), ScreeningID: r.PathValue("id"), Ref: in}
	p.Errors = fe
	err := s.db.Read(r.Context(), func(tx *store.Tx) error {
		all, err := tx.DirectoryServices(r.Context())
		for _, svc := range all {
			if svc.Active && svc.AgencyID != "" {
				p.Services = append(p.Services, svc)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if fe != nil {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, status, "standalone", p)
}

// The coordination inbox: referrals addressed to the user or their service,
// transfers waiting for their decision, conferences they take part in.

type inboxPage struct {
	Page
	Referrals   []referral.Referral
	Sent        []referral.Referral // stand-alone referrals of the agency
	Transfers   []transfer.Transfer
	Conferences []conference.Conference
}

func (s *Server) loadInbox(ctx context.Context, rq *request) (*inboxPage, error) {
	p := &inboxPage{Page: s.page(rq, "inbox.title", "coordination")}
	a := rq.Actor
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if a.Role == org.SystemAdmin || a.Role == org.AgencyAdmin || a.Role == org.Volunteer || a.Role == org.IMOfficer ||
			a.Role == org.DPOfficer || !access.CaseWork(a).Allow {
			return errs.E(errs.Forbidden, "coordination inbox")
		}
		if p.Referrals, err = tx.ReferralsTo(ctx, a.AgencyID, a.UserID, a.Role == org.ServiceProvider, inboxRows); err != nil {
			return err
		}
		if a.Role == org.Caseworker || a.Role == org.Supervisor || a.Role == org.Manager {
			if p.Sent, err = tx.ReferralsFrom(ctx, a.AgencyID, 50); err != nil {
				return err
			}
		}
		if a.Role == org.Supervisor || a.Role == org.Manager {
			team := ""
			if a.Role == org.Supervisor {
				team = a.TeamID
			}
			ts, err := tx.TransfersTo(ctx, a.AgencyID, team, 200)
			if err != nil {
				return err
			}
			for _, t := range ts {
				if access.Decide(a, access.Respond, access.Resource{Kind: access.KindTransfer, Party: t.Party()}).Allow {
					p.Transfers = append(p.Transfers, t)
				}
			}
		}
		p.Conferences, err = tx.ConferencesOf(ctx, a.UserID, 100)
		return err
	})
	return p, err
}

// inboxRows is how many open referrals the inbox lists: the longest waiting.
const inboxRows = 50

// Full reports whether the inbox shows only the longest-waiting referrals.
func (p *inboxPage) Full() bool { return len(p.Referrals) >= inboxRows }

// Overdue reports whether referral r waits past its service's average time.
func (p *inboxPage) Overdue(r referral.Referral) bool { return r.Overdue(p.Now) }

func (s *Server) getInbox(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadInbox(r.Context(), rq)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "inbox", p)
}

// sharedView is what a grant shows of a case: only the sections it names
// that access.Decide allows, each read as its own section.
type sharedView struct {
	Withheld    bool // consent to share was withdrawn, or the reader excluded, since the share
	Code        string
	Type        string
	Sections    []access.Section
	Reg         *cases.Case
	Identity    *cases.Identity
	People      []cases.Person
	Assessments []assessment.Assessment
	Needs       []assessment.Need
	Plan        *plan.Plan
	Given       []service.Given
	FollowUps   []followup.FollowUp
}

// stillShared reports whether consent to share still holds for reader a of
// case c and a is not on its exclusion list.
func (s *Server) stillShared(ctx context.Context, tx *store.Tx, a access.Actor, c *cases.Case, scope string) (bool, error) {
	st, err := consent.Load(ctx, tx, s.prof, c, a.Now)
	if err != nil {
		return false, err
	}
	if scope != "" && !consent.Allows(st.Scopes, scope) {
		return false, nil
	}
	u, err := tx.User(ctx, a.UserID)
	if err != nil {
		return false, err
	}
	return !share.Excluded(st.Exclusions, a.AgencyID, u.DisplayName), nil
}

// Has reports whether the view includes section s.
func (v *sharedView) Has(s string) bool { return slices.Contains(v.Sections, access.Section(s)) }

// loadShared reads the sections secs of case caseID that a may view, and
// audits the read (which sections, for which grant). Consent is checked
// again at every read: once the consent scope the share rests on
// (consentScope) is withdrawn, or its override revoked, or the reader's
// agency or name is put on the case's exclusion list, nothing is shown.
func (s *Server) loadShared(ctx context.Context, tx *store.Tx, a access.Actor, caseID string, secs []access.Section,
	via, source, consentScope string) (*sharedView, func() error, error) {
	c, err := tx.Case(ctx, caseID)
	if err != nil {
		return nil, noWait, err
	}
	v := &sharedView{Code: c.Code, Type: c.Type}
	if !access.InScope(a, c.Ref()) {
		ok, err := s.stillShared(ctx, tx, a, c, consentScope)
		if err != nil {
			return nil, noWait, err
		}
		if !ok {
			v.Withheld = true
			return v, noWait, nil
		}
	}
	for _, sec := range secs {
		if _, err := cases.GetShared(ctx, tx, a, sec, caseID); err != nil {
			if errs.KindOf(err) == errs.NotFound {
				continue // the grant does not (or no longer) cover it
			}
			return nil, noWait, err
		}
		v.Sections = append(v.Sections, sec)
		switch sec {
		case access.Registration:
			v.Reg = c
		case access.Identity:
			if v.Identity, err = tx.Identity(ctx, c.ID); err != nil {
				return nil, noWait, err
			}
		case access.Family:
			ps, err := tx.CasePeople(ctx, c.ID)
			if err != nil {
				return nil, noWait, err
			}
			for _, x := range ps {
				if !x.AllegedPerpetrator { // never shared with anyone outside the case
					v.People = append(v.People, x)
				}
			}
		case access.Assessment:
			if v.Assessments, err = tx.Assessments(ctx, c.ID); err != nil {
				return nil, noWait, err
			}
			if v.Needs, err = tx.Needs(ctx, c.ID); err != nil {
				return nil, noWait, err
			}
		case access.Plan:
			ps, err := tx.Plans(ctx, c.ID)
			if err != nil {
				return nil, noWait, err
			}
			v.Plan = plan.ActiveOf(ps)
		case access.Services:
			if v.Given, err = tx.Services(ctx, c.ID); err != nil {
				return nil, noWait, err
			}
		case access.FollowUp:
			if v.FollowUps, err = tx.FollowUps(ctx, c.ID); err != nil {
				return nil, noWait, err
			}
		}
	}
	if len(v.Sections) == 0 {
		return v, noWait, nil
	}
	detail, _ := json.Marshal(map[string][]string{"sections": share.Names(v.Sections)})
	wait := s.db.AuditAsync(ctx, audit.Event{Action: "share.view", RecordType: via, RecordID: source, CaseID: c.ID,
		AgencyID: c.AgencyID, Detail: string(detail)})
	return v, wait, nil
}

// The referral page: its state, the sections it shares (for its receiver,
// read through the grant), and the forms of whoever acts next.

type referralPage struct {
	Page
	R          *referral.Referral
	Shared     *sharedView
	Names      map[string]string
	Service    *directory.Service
	CanRespond bool
	CanOutcome bool
	Sender     bool
	Answer     referral.Answer
	Svc        referral.ServiceInput
	Out        referral.OutcomeInput
}

func (s *Server) loadReferral(ctx context.Context, rq *request, id string) (*referralPage, func() error, error) {
	p := &referralPage{Page: s.page(rq, "referral.title", "coordination")}
	wait := noWait
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		r, err := referral.Get(ctx, tx, rq.Actor, access.View, id)
		if err != nil {
			return err
		}
		p.R = r
		if p.Service, err = tx.DirectoryService(ctx, r.ServiceID); err != nil {
			return err
		}
		res := access.Resource{Kind: access.KindReferral, Party: r.Party()}
		if r.CaseID != "" {
			c, err := tx.Case(ctx, r.CaseID)
			if err != nil {
				return err
			}
			res.Case = c.Ref()
			p.Sender = access.InScope(rq.Actor, c.Ref())
		}
		p.CanRespond = access.Decide(rq.Actor, access.Respond, res).Allow
		p.CanOutcome = access.Decide(rq.Actor, access.Edit, res).Allow
		if p.Names, err = tx.UserNames(ctx, []string{r.SentBy, r.RespondedBy, r.ToUserID}); err != nil {
			return err
		}
		if r.CaseID != "" && !p.Sender && r.Open() {
			if p.Shared, wait, err = s.loadShared(ctx, tx, rq.Actor, r.CaseID, r.Sections, "referral", r.ID,
				referral.ConsentScope(r.ServiceType)); err != nil {
				return err
			}
		}
		if !p.Shared.shown() {
			// The referral itself (its reason, state and outcome) belongs to
			// the case's record: reading it is audited like any other part.
			wait = s.db.AuditAsync(ctx, subjectViewEvent("referral", r.ID, r.CaseID, res.Case.AgencyID, r.FromAgencyID))
		}
		return nil
	})
	return p, wait, err
}

// shown reports whether the view showed any section (and so audited it as
// share.view); nil shows nothing.
func (v *sharedView) shown() bool { return v != nil && len(v.Sections) > 0 }

// subjectViewEvent is the audit event of reading a referral, transfer or
// conference (kind) id of case caseID (empty for a stand-alone referral),
// placed with the case's agency (or else agency) for its data protection
// officer.
func subjectViewEvent(kind, id, caseID, caseAgency, agency string) audit.Event {
	if caseAgency != "" {
		agency = caseAgency
	}
	return audit.Event{Action: kind + ".view", RecordType: kind, RecordID: id, CaseID: caseID, AgencyID: agency}
}

func (s *Server) getReferral(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, wait, err := s.loadReferral(r.Context(), rq, r.PathValue("id"))
	if err := errors.Join(err, wait()); err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "sent", "respond", "service", "outcome":
		p.Flash = "flash.referral_" + d
	}
	return s.render(w, http.StatusOK, "referral", p)
}

// subjectForm runs op on the record named in the path (a referral,
// transfer or conference), then redirects to next (a format with the ID) or
// shows the record's page again with the errors.
// shownAgain returns what subjectForm does with a refused form: the page of
// the record (load, template name) again, with the errors and, by fill,
// what the user typed.
func shownAgain[P interface{ setErrors(errs.Fields) }](s *Server, load func(context.Context, *request, string) (P, func() error, error),
	name string, fill func(P)) func(http.ResponseWriter, *http.Request, *request, string, errs.Fields, int) error {
	return func(w http.ResponseWriter, r *http.Request, rq *request, id string, fe errs.Fields, status int) error {
		p, wait, err := load(r.Context(), rq, id)
		if err := errors.Join(err, wait()); err != nil {
			return err
		}
		p.setErrors(fe)
		fill(p)
		return s.render(w, status, name, p)
	}
}

func (s *Server) subjectForm(w http.ResponseWriter, r *http.Request, rq *request,
	op func(ctx context.Context, tx *store.Tx, f *form, id string) error, next string,
	failed func(w http.ResponseWriter, r *http.Request, rq *request, id string, fe errs.Fields, status int) error) error {
	return s.caseForm(w, r, rq, op, next, func(w http.ResponseWriter, r *http.Request, rq *request, id string, err error) error {
		fe, isFields := fieldErrors(err)
		if errs.KindOf(err) == errs.Conflict {
			return failed(w, r, rq, id, staleErrors(), http.StatusConflict)
		}
		if !isFields {
			return err
		}
		return failed(w, r, rq, id, fe, http.StatusUnprocessableEntity)
	})
}

func (s *Server) postReferralRespond(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.Answer
	return s.subjectForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = referral.Answer{Version: f.version(), Accept: f.str("answer") == "accept", DeclineReason: f.str("decline_reason")}
		_, err := referral.Respond(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/referrals/%s?done=respond", shownAgain(s, s.loadReferral, "referral", func(p *referralPage) { p.Answer = in }))
}

func (s *Server) postReferralService(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.ServiceInput
	return s.subjectForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = referral.ServiceInput{Version: f.version(), Note: f.str("service_note")}
		_, err := referral.RecordService(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/referrals/%s?done=service", shownAgain(s, s.loadReferral, "referral", func(p *referralPage) { p.Svc = in }))
}

func (s *Server) postReferralOutcome(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.OutcomeInput
	return s.subjectForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = referral.OutcomeInput{Version: f.version(), Outcome: f.str("outcome"), Withdraw: f.bool("withdraw")}
		_, err := referral.RecordOutcome(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/referrals/%s?done=outcome", shownAgain(s, s.loadReferral, "referral", func(p *referralPage) { p.Out = in }))
}

// The transfer page.

type transferPage struct {
	Page
	Tr         *transfer.Transfer
	Shared     *sharedView
	Names      map[string]string
	Agencies   map[string]string
	Receivers  []org.User // caseworkers the receiving side may name
	CanDecide  bool
	CanEdit    bool
	Decision   transfer.Decision
	Transfered bool
}

func (s *Server) loadTransfer(ctx context.Context, rq *request, id string) (*transferPage, func() error, error) {
	p := &transferPage{Page: s.page(rq, "transfer.title", "coordination"), Agencies: map[string]string{}}
	wait := noWait
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		t, c, err := transfer.Get(ctx, tx, rq.Actor, access.View, id)
		if err != nil {
			return err
		}
		p.Tr = t
		res := access.Resource{Kind: access.KindTransfer, Case: c.Ref(), Party: t.Party()}
		act := access.Respond
		if t.Kind == transfer.Internal {
			act = access.Approve
		}
		p.CanDecide = t.Status == transfer.Requested && access.Decide(rq.Actor, act, res).Allow
		p.CanEdit = t.Status == transfer.Requested && access.Decide(rq.Actor, access.Edit, res).Allow
		if p.Names, err = tx.UserNames(ctx, []string{t.RequestedBy, t.FromCaseworkerID, t.ToUserID, t.DecidedBy}); err != nil {
			return err
		}
		agencies, err := tx.Agencies(ctx)
		if err != nil {
			return err
		}
		for _, a := range agencies {
			p.Agencies[a.ID] = a.Name
		}
		if p.CanDecide && t.Kind == transfer.External {
			us, err := tx.Users(ctx, rq.Actor.AgencyID)
			if err != nil {
				return err
			}
			for _, u := range us {
				if u.Active() && u.TeamID != "" && (u.Role == org.Caseworker || u.Role == org.Supervisor) &&
					(rq.Actor.Role == org.Manager || u.TeamID == rq.Actor.TeamID) {
					p.Receivers = append(p.Receivers, u)
				}
			}
		}
		if t.Status == transfer.Requested && !access.InScope(rq.Actor, c.Ref()) {
			if p.Shared, wait, err = s.loadShared(ctx, tx, rq.Actor, c.ID, t.Sections, "transfer", t.ID, "share_services"); err != nil {
				return err
			}
		}
		if !p.Shared.shown() {
			wait = s.db.AuditAsync(ctx, subjectViewEvent("transfer", t.ID, c.ID, c.AgencyID, ""))
		}
		return nil
	})
	return p, wait, err
}

func (s *Server) getTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, wait, err := s.loadTransfer(r.Context(), rq, r.PathValue("id"))
	if err := errors.Join(err, wait()); err != nil {
		return err
	}
	if d := r.URL.Query().Get("done"); d == "decide" || d == "withdraw" {
		p.Flash = "flash.transfer_" + d
	}
	return s.render(w, http.StatusOK, "transfer", p)
}

func (s *Server) postTransferDecide(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in transfer.Decision
	return s.subjectForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = transfer.Decision{Version: f.version(), Accept: f.str("answer") == "accept",
			CaseworkerID: f.str("caseworker_id"), DeclineReason: f.str("decline_reason")}
		_, err := transfer.Decide(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/transfers/%s?done=decide", shownAgain(s, s.loadTransfer, "transfer", func(p *transferPage) { p.Decision = in }))
}

func (s *Server) postTransferWithdraw(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.subjectForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		_, err := transfer.Withdraw(ctx, tx, rq.Actor, id, f.version(), rq.Now)
		return err
	}, "/transfers/%s?done=withdraw", shownAgain(s, s.loadTransfer, "transfer", func(*transferPage) {}))
}

// Bulk transfer: a manager moves every open case of a team to another
// agency, for a programme that closes.

type bulkPage struct {
	Page
	Teams    []org.Team
	Agencies []org.Agency
	In       transfer.BulkInput
	Result   *transfer.BulkResult
	Codes    map[string]string
}

func (s *Server) bulkPage(ctx context.Context, rq *request) (*bulkPage, error) {
	if rq.Actor.Role != org.Manager || !access.CaseWork(rq.Actor).Allow {
		return nil, errs.E(errs.Forbidden, "bulk transfer")
	}
	p := &bulkPage{Page: s.page(rq, "bulk.title", "team"), Codes: map[string]string{}}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if p.Teams, err = tx.Teams(ctx, rq.Actor.AgencyID); err != nil {
			return err
		}
		as, err := tx.Agencies(ctx)
		for _, a := range as {
			if a.ID != rq.Actor.AgencyID {
				p.Agencies = append(p.Agencies, a)
			}
		}
		return err
	})
	p.In.FamilyToldOn = s.prof.Today(rq.Now)
	return p, err
}

func (s *Server) getBulkTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.bulkPage(r.Context(), rq)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "bulk_transfer", p)
}

func (s *Server) postBulkTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	p, err := s.bulkPage(ctx, rq)
	if err != nil {
		return err
	}
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	p.In = transfer.BulkInput{TeamID: f.str("team_id"), Input: transferForm(f)}
	res, codes, err := s.bulkTransfer(ctx, rq, p.In)
	if fe, ok := fieldErrors(err); ok {
		p.Errors = fe
		return s.render(w, http.StatusUnprocessableEntity, "bulk_transfer", p)
	}
	if err != nil {
		return err
	}
	p.Codes = codes
	p.Result = res
	return s.render(w, http.StatusOK, "bulk_transfer", p)
}

// bulkTransfer requests the transfer of every open case of in's team, in
// one transaction, and returns what it did with the codes of the cases.
func (s *Server) bulkTransfer(ctx context.Context, rq *request, in transfer.BulkInput) (*transfer.BulkResult, map[string]string, error) {
	var res *transfer.BulkResult
	var codes map[string]string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		ids, err := tx.OpenCaseIDsOfTeam(ctx, in.TeamID, rq.Actor.AgencyID)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return errs.Field("team_id", "err.bulk_empty")
		}
		if res, err = transfer.Bulk(ctx, tx, s.prof, rq.Actor, ids, in, rq.Now); err != nil {
			return err
		}
		codes, err = tx.CaseCodes(ctx, append(append([]string(nil), res.Requested...), keys(res.Skipped)...))
		return err
	})
	return res, codes, err
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The conference page.

type conferencePage struct {
	Page
	C          *conference.Conference
	Shared     *sharedView
	CanEdit    bool
	CanSign    bool
	Signed     bool
	Staff      bool
	Rec        conference.RecordInput
	ActionRows []conference.ActionInput
}

func (s *Server) loadConference(ctx context.Context, rq *request, id string) (*conferencePage, func() error, error) {
	p := &conferencePage{Page: s.page(rq, "conference.title", "coordination")}
	wait := noWait
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		conf, c, err := conference.Get(ctx, tx, rq.Actor, access.View, id)
		if err != nil {
			return err
		}
		p.C = conf
		res := access.Resource{Kind: access.KindConference, Case: c.Ref(), Party: conf.Party()}
		p.Staff = access.InScope(rq.Actor, c.Ref())
		p.CanEdit = conf.Status != conference.Closed && access.Decide(rq.Actor, access.Edit, res).Allow
		me := conf.Participant(rq.Actor.UserID)
		p.CanSign = conf.Status == conference.Held && me != nil && me.SignedOffAt.IsZero()
		p.Signed = me != nil && !me.SignedOffAt.IsZero()
		if !p.Staff && conf.Status != conference.Closed {
			if p.Shared, wait, err = s.loadShared(ctx, tx, rq.Actor, c.ID, conf.Sections, "conference", conf.ID, "share_services"); err != nil {
				return err
			}
		}
		if !p.Shared.shown() {
			wait = s.db.AuditAsync(ctx, subjectViewEvent("conference", conf.ID, c.ID, c.AgencyID, ""))
		}
		return nil
	})
	if p.C != nil {
		p.Rec = conference.RecordInput{Summary: p.C.Summary, Risks: p.C.Risks, Needs: p.C.Needs, Services: p.C.Services,
			Decisions: p.C.Decisions}
		for _, a := range p.C.Actions {
			p.Rec.Actions = append(p.Rec.Actions, conference.ActionInput{Description: a.Description, OwnerID: a.OwnerID, DueOn: a.DueOn})
		}
	}
	return p, wait, err
}

// Rows returns the action rows of the record form: those written, and
// three empty ones.
func (p *conferencePage) Rows() []conference.ActionInput {
	return append(append([]conference.ActionInput(nil), p.Rec.Actions...), make([]conference.ActionInput, 3)...)
}

func (s *Server) getConference(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, wait, err := s.loadConference(r.Context(), rq, r.PathValue("id"))
	if err := errors.Join(err, wait()); err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "record", "sign", "close":
		p.Flash = "flash.conference_" + d
	}
	return s.render(w, http.StatusOK, "conference", p)
}

func (s *Server) postConferenceRecord(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in conference.RecordInput
	return s.subjectForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = conferenceRecordForm(f)
		_, err := conference.Record(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/conferences/%s?done=record", shownAgain(s, s.loadConference, "conference", func(p *conferencePage) { p.Rec = in }))
}

// conferenceRecordForm reads the record form: the action items come as
// rows of three parallel fields (a row with fewer parts has them empty).
func conferenceRecordForm(f *form) conference.RecordInput {
	in := conference.RecordInput{Version: f.version(), Summary: f.str("summary"), Risks: f.str("risks"),
		Needs: f.str("needs"), Services: f.str("services"), Decisions: f.str("decisions")}
	descs, owners, dues := f.v["action_description"], f.v["action_owner"], f.v["action_due"]
	n := max(len(descs), len(owners), len(dues))
	if n > 50 {
		n = 50 // a conference agrees a handful of actions; a form with more is not ours
	}
	at := func(l []string, i int) string {
		if i < len(l) {
			return l[i]
		}
		return ""
	}
	for i := 0; i < n; i++ {
		in.Actions = append(in.Actions, conference.ActionInput{Description: at(descs, i), OwnerID: at(owners, i),
			DueOn: at(dues, i)})
	}
	return in
}

func (s *Server) postConferenceSignOff(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.subjectForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		_, err := conference.SignOff(ctx, tx, rq.Actor, id, f.version(), rq.Now)
		return err
	}, "/conferences/%s?done=sign", shownAgain(s, s.loadConference, "conference", func(*conferencePage) {}))
}

func (s *Server) postConferenceClose(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.subjectForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		_, err := conference.Close(ctx, tx, rq.Actor, id, f.version(), rq.Now)
		return err
	}, "/conferences/%s?done=close", shownAgain(s, s.loadConference, "conference", func(*conferencePage) {}))
}

// Break-glass.

type glassPage struct {
	Page
	In share.GlassInput
}

func mayGlass(rq *request) error {
	if d := access.CaseWork(rq.Actor); !d.Allow {
		return errs.E(errs.Forbidden, "break-glass: %s", d.Reason)
	}
	switch rq.Actor.Role {
	case org.Caseworker, org.Supervisor, org.Manager:
		return nil
	}
	return errs.E(errs.Forbidden, "break-glass")
}

func (s *Server) getBreakGlass(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := mayGlass(rq); err != nil {
		return err
	}
	p := &glassPage{Page: s.page(rq, "glass.title", "")}
	p.In.Code = r.URL.Query().Get("code")
	return s.render(w, http.StatusOK, "glass", p)
}

func (s *Server) postBreakGlass(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := mayGlass(rq); err != nil {
		return err
	}
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	in := share.GlassInput{Code: f.str("code"), Reason: f.str("reason")}
	var c *cases.Case
	ctx := r.Context()
	err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		_, c, err = share.BreakGlass(ctx, tx, s.prof, rq.Actor, in, rq.Now)
		return err
	})
	if fe, ok := fieldErrors(err); ok {
		if c != nil && fe.Has("code") { // the case is already theirs: no need to break in
			return redirect(w, r, "/cases/"+c.ID)
		}
		p := &glassPage{Page: s.page(rq, "glass.title", ""), In: in}
		p.Errors = fe
		return s.render(w, http.StatusUnprocessableEntity, "glass", p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/cases/"+c.ID+"?done=glass")
}

type glassLogPage struct {
	Page
	Rows  []share.Record
	Names map[string]string
	Codes map[string]string
}

// getBreakGlassLog lists the agency's break-glass accesses of the last 90
// days for its data protection officer.
func (s *Server) getBreakGlassLog(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindAudit, AgencyID: rq.Actor.AgencyID}).Allow {
		return errs.E(errs.Forbidden, "break-glass log")
	}
	ctx := r.Context()
	p := &glassLogPage{Page: s.page(rq, "glass.log_title", "audit")}
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Rows, err = tx.BreakGlassSince(ctx, rq.Actor.AgencyID, rq.Now.AddDate(0, 0, -90), 500); err != nil {
			return err
		}
		var users, ids []string
		for _, g := range p.Rows {
			users, ids = append(users, g.CreatedBy), append(ids, g.CaseID)
		}
		if p.Names, err = tx.UserNames(ctx, users); err != nil {
			return err
		}
		p.Codes, err = tx.CaseCodes(ctx, ids)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "glass_log", p)
}
