package web

import (
	"context"
	"html"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
)

// Referrals: the form on the case's coordination page, the stand-alone
// referral from a screening, and the referral's own page.

func referralForm(f *form) referral.Input {
	return referral.Input{ServiceID: f.str("service_id"), ToUserID: f.str("to_user_id"), ActionID: f.str("action_id"),
		Reason: f.str("reason"), Urgent: f.bool("urgent"), Sections: f.list("sections"),
		OverrideReason: f.str("override_reason"), ConfirmEnded: f.bool("confirm_ended"),
		ConsentGiver: f.str("consent_giver"), ConsentOn: f.str("consent_on")}
}

func (s *Server) postReferral(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in referral.Input
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = referralForm(f)
			_, err := referral.Send(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next: to("/cases/" + id + "/coordination?done=referral"),
		Again: func(fe errs.Fields, status int) error {
			return s.renderReferralNew(w, r, rq, id, in, fe, status)
		},
	})
}

// The referral form's own page: the services of the directory, the person
// to address it to by name and role, and the sections to share, those of
// the inter-agency referral form ticked until the sender chooses.

type referralNewPage struct {
	Page
	sectionPicks // the inter-agency referral form's sections until the sender chooses
	Case         *cases.Case
	Services     []serviceOption
	Actions      []plan.Action
	Candidates   []referral.Candidate // whom it may be addressed to, agency by agency
	IsSup        bool
	Ref          referral.Input
}

// CandidatesHTML is the options of the person to address the referral to:
// "Name — role" grouped by agency, the one chosen selected (written in Go
// like the conference form's list: a large deployment has hundreds).
func (p *referralNewPage) CandidatesHTML() template.HTML {
	return candidateOptions(&p.Page, p.Candidates, []string{p.Ref.ToUserID})
}

func (s *Server) getReferralNew(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderReferralNew(w, r, rq, r.PathValue("id"), referral.Input{Sections: referral.DefaultSections()}, nil, http.StatusOK)
}

// renderReferralNew shows the referral form of case id with in and the
// errors fe, answering status, and audits the read (the plan's actions are
// the case's content).
func (s *Server) renderReferralNew(w http.ResponseWriter, r *http.Request, rq *request, id string, in referral.Input,
	fe errs.Fields, status int) error {
	ctx := r.Context()
	p := &referralNewPage{Page: s.page(rq, "consentref.referral_title", ""), Ref: in, IsSup: referral.MayOverride(rq.Actor),
		sectionPicks: sectionPicks{share.ReferralDefaults}}
	p.Errors = fe
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.Refer, access.Services, id)
		if err != nil {
			return err
		}
		p.Case = c
		all, err := tx.DirectoryServiceOptions(ctx)
		if err != nil {
			return err
		}
		p.Services = serviceOptions(&p.Page, all)
		ps, err := tx.Plans(ctx, c.ID)
		if err != nil {
			return err
		}
		if active := plan.ActiveOf(ps); active != nil {
			p.Actions = active.OpenReferralActions()
		}
		if p.Candidates, err = referral.Candidates(ctx, tx, ""); err != nil {
			return err
		}
		rq.auditRead(ctx, audit.Event{Action: "referral.form_view", RecordType: "case", RecordID: c.ID, CaseID: c.ID,
			AgencyID: c.AgencyID})
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, status, "referral_new", p)
}

// candidateOptions writes cs as options grouped by agency, "Name — role"
// (and "focal point" for the directory's), those in chosen selected.
func candidateOptions(p *Page, cs []referral.Candidate, chosen []string) template.HTML {
	var b strings.Builder
	b.Grow(len(cs) * 100)
	agency := ""
	for _, c := range cs {
		if c.AgencyID != agency {
			if agency != "" {
				b.WriteString("</optgroup>")
			}
			agency = c.AgencyID
			b.WriteString(`<optgroup label="`)
			b.WriteString(html.EscapeString(c.AgencyName))
			b.WriteString(`">`)
		}
		b.WriteString(`<option value="`)
		b.WriteString(html.EscapeString(c.UserID))
		b.WriteByte('"')
		if slices.Contains(chosen, c.UserID) {
			b.WriteString(" selected")
		}
		b.WriteByte('>')
		b.WriteString(html.EscapeString(c.Name))
		b.WriteString(" — ")
		b.WriteString(html.EscapeString(p.Role(c.Role)))
		if c.FocalPoint {
			b.WriteString(", ")
			b.WriteString(html.EscapeString(p.T("consentref.focal_point")))
		}
		b.WriteString(" (")
		b.WriteString(html.EscapeString(c.AgencyName))
		b.WriteString(")</option>")
	}
	if agency != "" {
		b.WriteString("</optgroup>")
	}
	return template.HTML(b.String())
}

// Stand-alone referral from a screening.
func (s *Server) postStandAlone(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in referral.Input
	var ref *referral.Referral
	var opErr error
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = referralForm(f)
			ref, opErr = referral.StandAlone(ctx, tx, s.prof, rq.Actor, r.PathValue("id"), in, rq.Now)
			return opErr
		},
		Next: func() string { return "/referrals/" + ref.ID + "?done=sent" },
		Again: func(fe errs.Fields, status int) error {
			if status == http.StatusConflict {
				return opErr // the form has no version: a conflict is answered as it is
			}
			return s.renderStandAlone(w, r, rq, in, fe, status)
		},
	})
}

func (s *Server) getStandAlone(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	if err := s.db.Read(ctx, func(tx *store.Tx) error {
		return referral.MayReferFrom(ctx, tx, rq.Actor, r.PathValue("id"))
	}); err != nil {
		return err
	}
	return s.renderStandAlone(w, r, rq, referral.Input{ConsentOn: s.prof.Today(rq.Now)}, nil, http.StatusOK)
}

type standAlonePage struct {
	Page
	ScreeningID string
	Services    []directory.Service
	Ref         referral.Input
}

// renderStandAlone shows the stand-alone referral form with in and the
// errors fe, answering status.
func (s *Server) renderStandAlone(w http.ResponseWriter, r *http.Request, rq *request, in referral.Input, fe errs.Fields, status int) error {
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
	return s.render(w, status, "standalone", p)
}

// The referral page: its state, the sections it shares (for its receiver,
// read through the grant), and the forms of whoever acts next.

type referralPage struct {
	Page
	R       *referral.Referral
	Shared  *share.View
	Names   map[string]string
	Service *directory.Service
	Next    referral.Next // what the reader may do next
	Sender  bool
	Answer  referral.Answer
	Svc     referral.ServiceInput
	Out     referral.OutcomeInput
}

func (s *Server) loadReferral(ctx context.Context, rq *request, id string) (*referralPage, error) {
	p := &referralPage{Page: s.page(rq, "referral.title", "coordination")}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rd, err := referral.Read(ctx, tx, s.prof, rq.Actor, id)
		if err != nil {
			return err
		}
		r := rd.Referral
		p.R, p.Shared, p.Sender, p.Next = r, rd.Shared, rd.Sender, rd.Next(rq.Actor)
		if p.Service, err = tx.DirectoryService(ctx, r.ServiceID); err != nil {
			return err
		}
		if p.Names, err = tx.UserNames(ctx, []string{r.SentBy, r.RespondedBy, r.ToUserID}); err != nil {
			return err
		}
		rq.auditRead(ctx, rd.Event())
		return nil
	})
	return p, err
}

// referralAgain shows the page of referral id again with the errors of a
// form and, by fill, what was typed.
func (s *Server) referralAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, fill func(*referralPage)) func(errs.Fields, int) error {
	return shownAgain(s, w, "referral", func() (*referralPage, error) { return s.loadReferral(r.Context(), rq, id) }, fill)
}

func (s *Server) getReferral(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadReferral(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "sent", "respond", "service", "outcome":
		p.Flash = "flash.referral_" + d
	}
	return s.render(w, http.StatusOK, "referral", p)
}

func (s *Server) postReferralRespond(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in referral.Answer
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = referral.Answer{Version: f.version(), Accept: f.str("answer") == "accept", DeclineReason: f.str("decline_reason")}
			_, err := referral.Respond(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/referrals/" + id + "?done=respond"),
		Again: s.referralAgain(w, r, rq, id, func(p *referralPage) { p.Answer = in }),
	})
}

func (s *Server) postReferralService(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in referral.ServiceInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = referral.ServiceInput{Version: f.version(), Note: f.str("service_note")}
			_, err := referral.RecordService(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/referrals/" + id + "?done=service"),
		Again: s.referralAgain(w, r, rq, id, func(p *referralPage) { p.Svc = in }),
	})
}

func (s *Server) postReferralOutcome(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in referral.OutcomeInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = referral.OutcomeInput{Version: f.version(), Outcome: f.str("outcome"), Withdraw: f.bool("withdraw")}
			_, err := referral.RecordOutcome(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/referrals/" + id + "?done=outcome"),
		Again: s.referralAgain(w, r, rq, id, func(p *referralPage) { p.Out = in }),
	})
}
