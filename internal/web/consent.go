package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

type consentPage struct {
	Page
	Case       *cases.Case
	State      *consent.State
	Names      map[string]string
	Agencies   []org.Agency
	CanEdit    bool
	CanApprove bool
	Form       consent.Input
	Override   consent.OverrideInput
	Exclusion  consent.ExclusionInput
}

// AgencyName returns the name of agency id.
func (p *consentPage) AgencyName(id string) string {
	for _, a := range p.Agencies {
		if a.ID == id {
			return a.Name
		}
	}
	return id
}

// PersonLabel describes family member id without naming them in lists.
func (p *consentPage) Person(id string) *cases.Person {
	for i := range p.State.People {
		if p.State.People[i].ID == id {
			return &p.State.People[i]
		}
	}
	return nil
}

// loadConsentPage reads the consent page of case id and audits the read.
func (s *Server) loadConsentPage(r *http.Request, rq *request, id string) (*consentPage, error) {
	ctx := r.Context()
	p := &consentPage{Page: s.page(rq, "consent.title", ""), Names: map[string]string{}}
	p.Form.ObtainedOn = s.prof.Today(rq.Now)
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Consent, id)
		if err != nil {
			return err
		}
		p.Case = c
		ref := access.Resource{Kind: access.KindCase, Case: c.Ref(), Section: access.Consent}
		p.CanEdit = access.Decide(rq.Actor, access.Edit, ref).Allow
		p.CanApprove = access.Decide(rq.Actor, access.Approve, ref).Allow
		if p.State, err = consent.Load(ctx, tx, s.prof, c, rq.Now); err != nil {
			return err
		}
		if p.Agencies, err = tx.Agencies(ctx); err != nil {
			return err
		}
		ids := map[string]bool{}
		for _, r := range p.State.Records {
			ids[r.ObtainedBy], ids[r.WithdrawnBy] = true, true
		}
		for _, o := range p.State.Overrides {
			ids[o.ApprovedBy], ids[o.RevokedBy] = true, true
		}
		for _, e := range p.State.Exclusions {
			ids[e.AddedBy] = true
		}
		for uid := range ids {
			if uid == "" {
				continue
			}
			if u, err := tx.User(ctx, uid); err == nil {
				p.Names[uid] = u.DisplayName
			}
		}
		return nil
	})
	if err == nil {
		rq.auditRead(ctx, audit.Event{Action: "consent.view", RecordType: "case", RecordID: p.Case.ID,
			CaseID: p.Case.ID, AgencyID: p.Case.AgencyID})
	}
	return p, err
}

// getConsent shows which consents and assents the case needs given the
// child's age, which are missing, the records, overrides and exclusions.
func (s *Server) getConsent(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadConsentPage(r, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "recorded", "withdrawn", "override", "revoked", "excluded", "removed":
		p.Flash = "flash.consent_" + r.URL.Query().Get("done")
	}
	return s.render(w, http.StatusOK, "consent", p)
}

// consentAgain shows the consent page of case id again with the errors of
// one of its forms, refilled by fill.
func (s *Server) consentAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, fill func(*consentPage)) func(errs.Fields, int) error {
	return shownAgain(s, w, "consent", func() (*consentPage, error) { return s.loadConsentPage(r, rq, id) }, fill)
}

func consentForm(f *form) consent.Input {
	return consent.Input{Scope: f.str("scope"), Giver: f.str("giver"), PersonID: f.str("person_id"),
		Kind: f.str("kind"), Decision: f.str("decision"), Method: f.str("method"), ObtainedOn: f.str("obtained_on"),
		ToldMandatoryReporting: f.bool("told_mandatory_reporting"), Notes: f.str("notes")}
}

func (s *Server) postConsent(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in consent.Input
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = consentForm(f)
			_, err := consent.Add(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/consent?done=recorded"),
		Again: s.consentAgain(w, r, rq, id, func(p *consentPage) { p.Form = in }),
	})
}

func (s *Server) postWithdraw(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := consent.Withdraw(ctx, tx, rq.Actor, id, r.PathValue("cid"), f.version(), f.str("withdrawal_reason"), rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/consent?done=withdrawn"),
		Again: s.consentAgain(w, r, rq, id, func(*consentPage) {}),
	})
}

func (s *Server) postOverride(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in consent.OverrideInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = consent.OverrideInput{Scope: f.str("scope"), Basis: f.str("basis"), Reason: f.str("reason")}
			_, err := consent.AddOverride(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/consent?done=override"),
		Again: s.consentAgain(w, r, rq, id, func(p *consentPage) { p.Override = in }),
	})
}

func (s *Server) postRevokeOverride(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			return consent.RevokeOverride(ctx, tx, rq.Actor, id, r.PathValue("oid"), rq.Now)
		},
		Next:  to("/cases/" + id + "/consent?done=revoked"),
		Again: s.consentAgain(w, r, rq, id, func(*consentPage) {}),
	})
}

func (s *Server) postExclusion(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in consent.ExclusionInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = consent.ExclusionInput{Kind: f.str("kind"), AgencyID: f.str("agency_id"), Name: f.str("name"), Reason: f.str("reason")}
			_, err := consent.AddExclusion(ctx, tx, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/consent?done=excluded"),
		Again: s.consentAgain(w, r, rq, id, func(p *consentPage) { p.Exclusion = in }),
	})
}

func (s *Server) postRemoveExclusion(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			return consent.RemoveExclusion(ctx, tx, rq.Actor, id, r.PathValue("eid"), rq.Now)
		},
		Next:  to("/cases/" + id + "/consent?done=removed"),
		Again: s.consentAgain(w, r, rq, id, func(*consentPage) {}),
	})
}
