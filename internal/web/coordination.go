package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

// The case's coordination page: what was shared with whom and why, its
// referrals, transfers and conferences, and the forms to start them. The
// pages of one referral, transfer or conference are in referral.go,
// transfer.go and conference.go; break-glass in breakglass.go; the inbox in
// inbox.go.

// coordination is what the case's coordination page and its API answer
// show: the case's referrals, transfers, conferences and shares, with the
// names the shares need.
type coordination struct {
	Case        *cases.Case
	Referrals   []referral.Referral
	Transfers   []transfer.Transfer
	Conferences []conference.Conference
	Listed      []share.Listed    // the case's shares
	Names       map[string]string // users the shares name
	AgencyNames map[string]string
	TellFamily  bool // a family-notification task is open
}

// shareTo is who received share l, in words: its user, or else its agency.
func (co *coordination) shareTo(l *share.Listed) string {
	if l.Grant.Via == access.ViaBreakGlass {
		return co.Names[l.CreatedBy] // whoever broke the glass
	}
	if to := co.Names[l.Grant.UserID]; to != "" {
		return to
	}
	return co.AgencyNames[l.Grant.AgencyID]
}

// readCoordination reads the coordination of case id for rq's actor, and
// audits the read (through the request's collector).
func (s *Server) readCoordination(ctx context.Context, tx *store.Tx, rq *request, id string) (*coordination, error) {
	c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Consent, id)
	if err != nil {
		return nil, err
	}
	co := &coordination{Case: c}
	if co.Referrals, err = tx.CaseReferrals(ctx, c.ID); err != nil {
		return nil, err
	}
	if co.Transfers, err = tx.CaseTransfers(ctx, c.ID); err != nil {
		return nil, err
	}
	if co.Conferences, err = tx.CaseConferences(ctx, c.ID); err != nil {
		return nil, err
	}
	made := map[string]share.Made{}
	for _, r := range co.Referrals {
		made[r.ID] = share.Made{Basis: r.Basis, OverrideID: r.OverrideID}
	}
	for _, t := range co.Transfers {
		made[t.ID] = share.Made{Basis: t.Basis}
	}
	for _, x := range co.Conferences {
		made[x.ID] = share.Made{Basis: x.Basis}
	}
	if co.Listed, err = share.List(ctx, tx, c.ID, made, rq.Now); err != nil {
		return nil, err
	}
	var ids []string
	for _, l := range co.Listed {
		ids = append(ids, l.Grant.UserID, l.CreatedBy, l.ApproverID)
	}
	if co.Names, err = tx.UserNames(ctx, ids); err != nil {
		return nil, err
	}
	agencies, err := tx.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	co.AgencyNames = map[string]string{}
	for _, a := range agencies {
		co.AgencyNames[a.ID] = a.Name
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	co.TellFamily = slices.ContainsFunc(ds, func(d deadline.Deadline) bool { return d.Kind == deadline.TellFamily && d.Open() })
	rq.auditRead(ctx, audit.Event{Action: "coordination.view", RecordType: "case", RecordID: c.ID,
		CaseID: c.ID, AgencyID: c.AgencyID})
	return co, nil
}

type coordPage struct {
	Page
	*coordination
	sectionPicks
	Shares     []shareRow
	Agencies   []org.Agency // other agencies, for an external transfer
	Colleagues []org.User   // caseworkers of the agency, for an internal transfer
	CanRefer   bool
	Tr         transfer.Input
	Told       share.ToldInput
	Open       string // the form to show open after an error
}

// shareRow is one share of the case as the page shows it: what the page
// says of the basis is written in Go (Note), so the template never reaches
// for a field only some kinds have.
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

// sectionPicks is what a form's "sectionpicks" template asks of its page:
// the sections it offers, and which are ticked — what the user chose, or
// the form's defaults until they chose.
type sectionPicks struct{ defaults []access.Section }

// Shareable lists the sections a share form offers.
func (sectionPicks) Shareable() []access.Section { return share.Shareable }

// Checked reports whether section s is ticked: in chosen, or, while chosen
// is empty, in the form's defaults.
func (sp sectionPicks) Checked(chosen []string, s access.Section) bool {
	if len(chosen) == 0 {
		return slices.Contains(sp.defaults, s)
	}
	return slices.Contains(chosen, string(s))
}

// serviceOption is one directory entry as the referral form offers it:
// organisation, sector, average time and a warning, in the reader's words
// (written once in Go rather than through a dozen template calls each).
type serviceOption struct{ ID, Label string }

// serviceOptions labels the active entries of the directory for p's reader
// (all as store.Tx.DirectoryServiceOptions reads them: the fields of the
// label, and Active).
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

func (s *Server) loadCoordPage(ctx context.Context, rq *request, id string) (*coordPage, error) {
	p := &coordPage{Page: s.page(rq, "coord.title", ""), coordination: &coordination{},
		sectionPicks: sectionPicks{share.Minimum}}
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.coordination, err = s.readCoordination(ctx, tx, rq, id); err != nil {
			return err
		}
		p.Shares = shareRows(&p.Page, p.coordination)
		p.CanRefer = access.Decide(rq.Actor, access.Refer, access.Resource{Kind: access.KindCase, Case: p.Case.Ref(),
			Section: access.Services}).Allow
		if p.CanRefer {
			return s.loadCoordForms(ctx, tx, rq, p)
		}
		return nil
	})
	p.Told.ToldOn = s.prof.Today(rq.Now)
	return p, err
}

// shareRows writes the shares of co in p's reader's words.
func shareRows(p *Page, co *coordination) []shareRow {
	var out []shareRow
	for i := range co.Listed {
		l := &co.Listed[i]
		row := shareRow{Via: l.Grant.Via, SourceID: l.SourceID, To: co.shareTo(l), Sections: l.Grant.Sections,
			Basis: l.Basis, Reason: l.Reason, Approver: co.Names[l.ApproverID], At: p.DateTime(l.CreatedAt), Ended: l.Ended,
			BreakGlass: l.Grant.Via == access.ViaBreakGlass}
		if !l.Grant.Until.IsZero() {
			row.Until = p.DateTime(l.Grant.Until)
		}
		switch l.Grant.Via {
		case access.ViaReferral:
			row.Href = "/referrals/" + l.SourceID
		case access.ViaTransfer:
			row.Href = "/transfers/" + l.SourceID
		case access.ViaConference:
			row.Href = "/conferences/" + l.SourceID
		}
		switch {
		case row.Reason != "" && row.Approver != "":
			row.Note = p.T("coord.reason_by", row.Reason, row.Approver)
		case row.Reason != "":
			row.Note = row.Reason // break-glass: whoever broke it is the row's To
		}
		out = append(out, row)
	}
	return out
}

// loadCoordForms reads what the transfer form offers. (The referral and
// conference forms have pages of their own: referral.go, conference.go.)
func (s *Server) loadCoordForms(ctx context.Context, tx *store.Tx, rq *request, p *coordPage) error {
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
	// colleagues for an internal transfer.
	users, err := tx.StaffNear(ctx, p.Case.AgencyID, p.Case.TeamID)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.ID == rq.User.ID {
			continue
		}
		if transfer.Colleague(&u, p.Case) {
			p.Colleagues = append(p.Colleagues, u)
		}
	}
	return nil
}

func (s *Server) getCoordination(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadCoordPage(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "referral", "transfer", "conference", "told", "transferred":
		p.Flash = "flash.coord_" + d
	}
	return s.render(w, http.StatusOK, "coordination", p)
}

// coordAgain shows the coordination page of case id again with the errors
// of one form (open names it, to show it open) and, by fill, what was
// typed in it.
func (s *Server) coordAgain(w http.ResponseWriter, r *http.Request, rq *request, id, open string, fill func(*coordPage)) func(errs.Fields, int) error {
	return func(fe errs.Fields, status int) error {
		p, err := s.loadCoordPage(r.Context(), rq, id)
		if err != nil {
			return err
		}
		p.Errors, p.Open = fe, open
		fill(p)
		return s.render(w, status, "coordination", p)
	}
}

func (s *Server) postFamilyTold(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in share.ToldInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = share.ToldInput{ToldOn: f.str("told_on"), ToldTo: f.str("told_to")}
			return share.FamilyTold(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		},
		Next:  to("/cases/" + id + "/coordination?done=told"),
		Again: s.coordAgain(w, r, rq, id, "told", func(p *coordPage) { p.Told = in }),
	})
}
