package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

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
	All        []allRow // the form for everyone at once, one row per person
	AllNotes   string
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
		p.All = allRows(p, nil)
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
	case "recorded", "recorded_all", "withdrawn", "override", "revoked", "excluded", "removed":
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

// allRow is one person's row of the form for everyone at once: the child,
// or one of the case's caregivers, with what was typed on it.
type allRow struct {
	Index  int
	Child  bool
	Person *cases.Person // the caregiver; nil on the child's row
	Kinds  []string      // the kinds the child may give (consent, assent); a caregiver gives consent
	Row    consent.Row
}

// Field is the name of field on the row, as the form posts it and errors name it.
func (r allRow) Field(name string) string { return consent.RowField(r.Index, name) }

// Ticked reports whether scope key is ticked on the row.
func (r allRow) Ticked(key string) bool { return slices.Contains(r.Row.Scopes, key) }

// allRows builds the rows of the form for everyone at once from the case's
// state: the child (when the age rule asks anything of them) and each
// caregiver who is not an alleged perpetrator, refilled from posted (the
// rows as typed, matched by person), or else proposed: the child's kind by
// the age rule, a caregiver as giver, today's date, nothing ticked.
func allRows(p *consentPage, posted []consent.Row) []allRow {
	st := p.State
	today := p.Prof.Today(p.Now)
	typed := func(giver, person string) (consent.Row, bool) {
		for _, r := range posted {
			if (giver == consent.Self) == (r.Giver == consent.Self) && r.PersonID == person {
				return r, true
			}
		}
		return consent.Row{}, false
	}
	var out []allRow
	if kinds := consent.ChildKinds(p.Prof, st.FactsOf()); len(kinds) > 0 {
		r, ok := typed(consent.Self, "")
		if !ok {
			r = consent.Row{Giver: consent.Self, Kind: consent.ChildKind(p.Prof, st.FactsOf()), ObtainedOn: today}
		}
		out = append(out, allRow{Child: true, Kinds: kinds, Row: r})
	}
	caregivers := st.Caregivers()
	for _, x := range caregivers {
		r, ok := typed(consent.Caregiver, x.ID)
		if !ok {
			r = consent.Row{Giver: consent.Caregiver, PersonID: x.ID, Kind: consent.KindConsent, ObtainedOn: today}
		}
		out = append(out, allRow{Person: &x, Kinds: []string{consent.KindConsent}, Row: r})
	}
	if len(caregivers) == 0 && consent.CaregiverAsked(p.Prof, st.FactsOf()) {
		// Nobody on the family list yet (it is written once consent allows):
		// one row for the caregiver present, unnamed.
		r, ok := typed(consent.Caregiver, "")
		if !ok {
			r = consent.Row{Giver: consent.Caregiver, Kind: consent.KindConsent, ObtainedOn: today}
		}
		out = append(out, allRow{Kinds: []string{consent.KindConsent}, Row: r})
	}
	for i := range out {
		out[i].Index = i
	}
	return out
}

// consentAllForm reads the rows of the form for everyone at once: rows.<i>.<field>,
// at most 50 rows, in order until the first missing giver.
func consentAllForm(f *form) consent.AllInput {
	in := consent.AllInput{Notes: f.str("all_notes")}
	for i := 0; i < 50; i++ {
		name := func(field string) string { return consent.RowField(i, field) }
		if _, ok := f.v[name("giver")]; !ok {
			break
		}
		in.Rows = append(in.Rows, consent.Row{Giver: f.str(name("giver")), PersonID: f.str(name("person_id")),
			Kind: f.str(name("kind")), Scopes: f.list(name("scopes")), Method: f.str(name("method")),
			ObtainedOn: f.str(name("obtained_on")), ToldMandatoryReporting: f.bool(name("told_mandatory_reporting"))})
	}
	return in
}

// postConsentAll records the consent and assent of the child and every
// caregiver at once, or nothing.
func (s *Server) postConsentAll(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in consent.AllInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = consentAllForm(f)
			_, err := consent.RecordAll(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next: to("/cases/" + id + "/consent?done=recorded_all"),
		Again: s.consentAgain(w, r, rq, id, func(p *consentPage) {
			p.All, p.AllNotes = allRows(p, in.Rows), in.Notes
			p.Errors = namePeople(p, in.Rows, p.Errors)
		}),
	})
}

// namePeople rewrites the errors of the form's rows (rows.<i>.<field>) to
// say whose row and which field, as the posted rows name them: the child,
// or the caregiver by name and relationship. The page is the consent page,
// whose reader sees these names already.
func namePeople(p *consentPage, rows []consent.Row, fe errs.Fields) errs.Fields {
	out := make(errs.Fields, 0, len(fe))
	for _, e := range fe {
		var i int
		var field string
		if n, _ := fmt.Sscanf(e.Field, "rows.%d.", &i); n != 1 || i < 0 || i >= len(rows) {
			out = append(out, e)
			continue
		}
		field = e.Field[strings.LastIndexByte(e.Field, '.')+1:]
		who := p.T("consentref.the_child")
		if rows[i].Giver != consent.Self {
			who = p.T("consentref.unlisted_caregiver")
			if x := p.Person(rows[i].PersonID); x != nil {
				who = x.Name + " (" + p.Opt("relationship", x.Relationship) + ")"
			}
		}
		out = append(out, errs.FieldError{Field: e.Field, Msg: "consentref.row_error",
			Args: []any{who, fieldLabel(p.L, field), p.L.T(e.Msg, e.Args...)}})
	}
	return out
}
