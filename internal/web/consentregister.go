package web

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
)

// The consent register: that a case's consent records exist — scope,
// giver's role, decision, dates, who recorded them — never what they say.
// It is how the data protection officer produces the consent records of a
// closed case when asked, without reading them (package access decides:
// access.KindConsentRegister). The officer finds a case's register by its
// code; the case's own staff may read it too, as a summary of the records
// they already see.

// registerLookupPage is the form that finds a case's consent register by
// its code.
type registerLookupPage struct {
	Page
	Code string
}

// caseCodeRE is what a case code looks like (pseudonymous codes such as
// C-7K4Q2M; generated data uses longer ones).
var caseCodeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,39}$`)

// getConsentRegisterLookup shows the lookup form and, with a code, sends the
// reader to that case's register. A code that is unknown, of a case the
// reader may not see the register of (open, or of another agency), or not
// a code at all, gets one and the same answer, after the same audit write.
func (s *Server) getConsentRegisterLookup(w http.ResponseWriter, r *http.Request, rq *request) error {
	p := &registerLookupPage{Page: s.page(rq, "consent_register.lookup_title", "consent_register")}
	if _, asked := r.URL.Query()["code"]; !asked {
		return s.render(w, http.StatusOK, "consent_lookup", p)
	}
	p.Code = strings.TrimSpace(r.URL.Query().Get("code"))
	code := strings.ToUpper(p.Code)
	ctx := r.Context()
	var reg *consent.Register
	err := errs.Field("code", "err.consent_register_code")
	if caseCodeRE.MatchString(code) {
		err = s.db.Read(ctx, func(tx *store.Tx) error {
			c, err := tx.CaseByCode(ctx, code)
			if err != nil {
				return err
			}
			reg, err = consent.ReadRegister(ctx, tx, rq.Actor, c.ID)
			return err
		})
	}
	if err == nil {
		return redirect(w, r, "/cases/"+reg.Case.ID+"/consent-register")
	}
	// A denial is audited, as everywhere, and so is a code no case has:
	// both answers wait for one durable audit event, so that neither the
	// answer nor its timing tells a code that exists from one that does not.
	var de *errs.DeniedError
	switch {
	case errors.As(err, &de):
		if aerr := s.db.Audit(ctx, audit.Event{Action: "access.denied", RecordType: de.Record, RecordID: de.ID,
			CaseID: de.CaseID, AgencyID: de.AgencyID, Reason: de.Reason}); aerr != nil {
			return aerr
		}
	case errs.KindOf(err) == errs.NotFound:
		if aerr := s.db.Audit(ctx, audit.Event{Action: "access.denied", RecordType: "consent_register",
			AgencyID: rq.User.AgencyID, Reason: "view: no case has the code looked up"}); aerr != nil {
			return aerr
		}
	case errs.KindOf(err) != errs.Invalid:
		return err
	}
	p.Errors = errs.Fields{{Field: "code", Msg: "err.consent_register_code"}}
	return s.render(w, http.StatusUnprocessableEntity, "consent_lookup", p)
}

// consentRegisterPage is a case's consent register.
type consentRegisterPage struct {
	Page
	*consent.Register
	Names map[string]string
}

// loadConsentRegister reads the register of case id for rq and audits the
// read (consent_register.view); the page is sent once the event is durable.
func (s *Server) loadConsentRegister(ctx context.Context, rq *request, id string) (*consentRegisterPage, error) {
	p := &consentRegisterPage{Page: s.page(rq, "consent_register.title", "consent_register")}
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Register, err = consent.ReadRegister(ctx, tx, rq.Actor, id); err != nil {
			return err
		}
		ids := make([]string, 0, len(p.Entries))
		for _, e := range p.Entries {
			ids = append(ids, e.RecordedBy)
		}
		if p.Names, err = tx.UserNames(ctx, ids); err != nil {
			return err
		}
		c := p.Register.Case
		rq.auditRead(ctx, audit.Event{Action: "consent_register.view", RecordType: "case", RecordID: c.ID,
			CaseID: c.ID, AgencyID: c.AgencyID})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) getConsentRegister(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadConsentRegister(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "consent_register", p)
}

// registerEntryJSON is one entry of the register in the API: the same
// fields the page shows, and no more.
type registerEntryJSON struct {
	Scope       string  `json:"scope"`
	Giver       *string `json:"giver"` // null for an override
	Kind        string  `json:"kind"`
	Decision    string  `json:"decision"`
	ObtainedOn  string  `json:"obtained_on"`
	RecordedBy  string  `json:"recorded_by"`
	RecordedAt  *string `json:"recorded_at"`
	WithdrawnAt *string `json:"withdrawn_at"`
}

type registerJSON struct {
	CaseID   string              `json:"case_id"`
	CaseCode string              `json:"case_code"`
	Closed   bool                `json:"closed"`
	Entries  []registerEntryJSON `json:"entries"`
}

func (s *Server) apiConsentRegister(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadConsentRegister(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	c := p.Register.Case
	out := registerJSON{CaseID: c.ID, CaseCode: c.Code, Closed: c.Status == cases.Closed, Entries: []registerEntryJSON{}}
	for _, e := range p.Entries {
		j := registerEntryJSON{Scope: e.Scope, Kind: e.Kind, Decision: e.Decision, ObtainedOn: e.On,
			RecordedBy: p.Names[e.RecordedBy], RecordedAt: apiTime(e.RecordedAt), WithdrawnAt: apiTime(e.WithdrawnAt)}
		if e.Giver != "" {
			g := e.Giver
			j.Giver = &g
		}
		out.Entries = append(out.Entries, j)
	}
	return jsonOK(w, out)
}
