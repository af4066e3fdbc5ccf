package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
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

// loadConsentPage reads the consent page of case id.
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
	return p, err
}

// getConsent shows which consents and assents the case needs given the
// child's age, which are missing, the records, overrides and exclusions.
func (s *Server) getConsent(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadConsentPage(r, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	wait := s.db.AuditAsync(ctx, audit.Event{Action: "consent.view", RecordType: "case", RecordID: p.Case.ID,
		CaseID: p.Case.ID, AgencyID: p.Case.AgencyID})
	switch r.URL.Query().Get("done") {
	case "recorded", "withdrawn", "override", "revoked", "excluded", "removed":
		p.Flash = "flash.consent_" + r.URL.Query().Get("done")
	}
	b, err := s.renderBytes("consent", p)
	if aerr := wait(); aerr != nil {
		return aerr
	}
	if err != nil {
		return err
	}
	return writeHTML(w, http.StatusOK, b)
}

// consentFailed shows the consent page again with the errors of one of its forms.
func (s *Server) consentFailed(w http.ResponseWriter, r *http.Request, rq *request, id string, err error, fill func(*consentPage)) error {
	fe, ok := fieldErrors(err)
	if !ok {
		return err
	}
	p, lerr := s.loadConsentPage(r, rq, id)
	if lerr != nil {
		return lerr
	}
	p.Errors = fe
	fill(p)
	if err := s.db.Audit(r.Context(), audit.Event{Action: "consent.view", RecordType: "case", RecordID: p.Case.ID,
		CaseID: p.Case.ID, AgencyID: p.Case.AgencyID}); err != nil {
		return err
	}
	return s.render(w, http.StatusUnprocessableEntity, "consent", p)
}

func consentForm(f *form) consent.Input {
	return consent.Input{Scope: f.str("scope"), Giver: f.str("giver"), PersonID: f.str("person_id"),
		Kind: f.str("kind"), Decision: f.str("decision"), Method: f.str("method"), ObtainedOn: f.str("obtained_on"),
		ToldMandatoryReporting: f.bool("told_mandatory_reporting"), Notes: f.str("notes")}
}

// consentFailedWith shows the consent page again with the errors of a form,
// refilled by fill.
func (s *Server) consentFailedWith(fill func(*consentPage)) func(http.ResponseWriter, *http.Request, *request, string, error) error {
	return func(w http.ResponseWriter, r *http.Request, rq *request, id string, err error) error {
		return s.consentFailed(w, r, rq, id, err, fill)
	}
}

func (s *Server) postConsent(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in consent.Input
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = consentForm(f)
		_, err := consent.Add(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/cases/%s/consent?done=recorded", s.consentFailedWith(func(p *consentPage) { p.Form = in }))
}

func (s *Server) postWithdraw(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		_, err := consent.Withdraw(ctx, tx, rq.Actor, id, r.PathValue("cid"), f.version(), f.str("withdrawal_reason"), rq.Now)
		return err
	}, "/cases/%s/consent?done=withdrawn", s.consentFailedWith(func(*consentPage) {}))
}

func (s *Server) postOverride(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in consent.OverrideInput
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = consent.OverrideInput{Scope: f.str("scope"), Basis: f.str("basis"), Reason: f.str("reason")}
		_, err := consent.AddOverride(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, "/cases/%s/consent?done=override", s.consentFailedWith(func(p *consentPage) { p.Override = in }))
}

func (s *Server) postRevokeOverride(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		return consent.RevokeOverride(ctx, tx, rq.Actor, id, r.PathValue("oid"), rq.Now)
	}, "/cases/%s/consent?done=revoked", s.consentFailedWith(func(*consentPage) {}))
}

func (s *Server) postExclusion(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in consent.ExclusionInput
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		in = consent.ExclusionInput{Kind: f.str("kind"), AgencyID: f.str("agency_id"), Name: f.str("name"), Reason: f.str("reason")}
		_, err := consent.AddExclusion(ctx, tx, rq.Actor, id, in, rq.Now)
		return err
	}, "/cases/%s/consent?done=excluded", s.consentFailedWith(func(p *consentPage) { p.Exclusion = in }))
}

func (s *Server) postRemoveExclusion(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.caseForm(w, r, rq, func(ctx context.Context, tx *store.Tx, f *form, id string) error {
		return consent.RemoveExclusion(ctx, tx, rq.Actor, id, r.PathValue("eid"), rq.Now)
	}, "/cases/%s/consent?done=removed", s.consentFailedWith(func(*consentPage) {}))
}
