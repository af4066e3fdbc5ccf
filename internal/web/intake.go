package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

type identifyPage struct {
	Page
	Form     intake.NewIdentification
	Agencies []org.Agency
	Code     string // set once submitted
	// Duplicates are the possible duplicates of the child identified, to
	// open or to confirm a different child (identificationDuplicates).
	Duplicates []dupView
}

func (s *Server) identifyPage(r *http.Request, rq *request) (*identifyPage, error) {
	ctx := r.Context()
	p := &identifyPage{Page: s.page(rq, "identify.title", "identify")}
	p.Form.AgencyID = rq.User.AgencyID
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		p.Agencies, err = tx.Agencies(ctx)
		return err
	})
	return p, err
}

// getIdentify shows the short identification form: minimum data, and the
// submitter has no access to the case afterwards.
func (s *Server) getIdentify(w http.ResponseWriter, r *http.Request, rq *request) error {
	if d := access.Decide(rq.Actor, access.Create, access.Resource{Kind: access.KindIdentification, AgencyID: rq.User.AgencyID}); !d.Allow {
		return errs.E(errs.Forbidden, "identify: %s", d.Reason)
	}
	p, err := s.identifyPage(r, rq)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "identify", p)
}

func identificationForm(f *form) intake.NewIdentification {
	return intake.NewIdentification{AgencyID: f.str("agency_id"), CaseType: f.str("case_type"), Source: f.str("source"),
		Name: f.str("name"), Age: f.str("age"), Sex: f.str("sex"), Location: f.str("location"), Contact: f.str("contact"),
		Concerns: f.list("concerns"), Urgent: f.bool("urgent"), Notes: f.str("notes"),
		DifferentChild: f.bool("different_child")}
}

// newIdentification submits in with a fresh reference code.
func (s *Server) newIdentification(ctx context.Context, rq *request, in intake.NewIdentification) (*intake.Identification, error) {
	var out *intake.Identification
	for attempt := 0; ; attempt++ {
		err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
			confirmed, err := s.identificationDuplicates(ctx, tx, rq, in)
			if err != nil {
				return err
			}
			out, err = intake.SubmitIdentification(ctx, tx, s.prof, rq.Actor, in, identCode(), rq.Now)
			if err != nil || len(confirmed) == 0 {
				return err
			}
			detail, _ := json.Marshal(map[string]any{"different_child_confirmed": confirmed})
			return tx.Record(ctx, audit.Event{ActorID: rq.User.ID, ActorRole: string(rq.User.Role), At: rq.Now,
				Action: "identification.different_child", RecordType: "identification", RecordID: out.ID,
				AgencyID: out.AgencyID, Detail: string(detail)})
		})
		if errs.KindOf(err) == errs.Conflict && attempt < 3 {
			continue // the random reference code was taken
		}
		return out, err
	}
}

// postIdentify submits an identification. It is not a formPost: it answers with a thank-you page showing the new
// reference (not a redirect, so that the reference is shown once and never
// put in a URL), and it retries its transaction when the random reference
// was taken.
func (s *Server) postIdentify(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	in := identificationForm(f)
	ident, err := s.newIdentification(r.Context(), rq, in)
	p, perr := s.identifyPage(r, rq)
	if perr != nil {
		return perr
	}
	if ds, ok := cases.AsDuplicates(err); ok {
		// Nothing is saved: the form comes back with the cases to open.
		if p.Duplicates, err = s.duplicateViews(r.Context(), rq, ds); err != nil {
			return err
		}
		err = errs.Field("different_child", "dup.confirm")
	}
	if fe, ok := errs.AsFields(f.merge(err)); ok {
		p.Errors, p.Form = fe, in
		return s.render(w, http.StatusUnprocessableEntity, "identify", p)
	}
	if err != nil {
		return err
	}
	// The thank-you page shows the reference and nothing of what was typed.
	p.Code = ident.Code
	p.Form = intake.NewIdentification{AgencyID: rq.User.AgencyID}
	return s.render(w, http.StatusOK, "identify", p)
}

// identCode returns a reference for an identification, e.g. ID-4K7Q2M.
func identCode() string {
	return cases.NewCode("ID")
}

type identificationsPage struct {
	Page
	Items []intake.Identification
	Count int
}

// getIdentifications is the queue of identifications waiting for screening.
func (s *Server) getIdentifications(w http.ResponseWriter, r *http.Request, rq *request) error {
	res := access.Resource{Kind: access.KindIdentification, AgencyID: rq.User.AgencyID}
	if d := access.Decide(rq.Actor, access.View, res); !d.Allow {
		return errs.E(errs.Forbidden, "identifications: %s", d.Reason)
	}
	ctx := r.Context()
	p := identificationsPage{Page: s.page(rq, "identifications.title", "identifications")}
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Items, err = tx.Identifications(ctx, rq.User.AgencyID, intake.StatusNew, 200); err != nil {
			return err
		}
		p.Count, err = tx.CountIdentifications(ctx, rq.User.AgencyID, intake.StatusNew)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "identifications", &p)
}

type screenPage struct {
	Page
	Ident    *intake.Identification
	Form     intake.ScreeningInput
	Criteria map[string][]profile.Criterion
}

func (s *Server) screenPage(r *http.Request, rq *request, identID string) (*screenPage, error) {
	res := access.Resource{Kind: access.KindIdentification, AgencyID: rq.User.AgencyID}
	if d := access.Decide(rq.Actor, access.Screen, res); !d.Allow {
		return nil, errs.E(errs.Forbidden, "screen: %s", d.Reason)
	}
	ctx := r.Context()
	p := &screenPage{Page: s.page(rq, "screen.title", "screen"), Criteria: s.prof.Eligibility}
	p.Form.CaseType = profile.CP
	if identID == "" {
		return p, nil
	}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		ident, err := tx.Identification(ctx, identID)
		if err != nil {
			return err
		}
		if d := access.Decide(rq.Actor, access.Screen, access.Resource{Kind: access.KindIdentification, AgencyID: ident.AgencyID}); !d.Allow {
			return &errs.DeniedError{Record: "identification", ID: identID, AgencyID: ident.AgencyID, Reason: d.Reason, Kind: errs.NotFound}
		}
		p.Ident = ident
		p.Form.IdentificationID = ident.ID
		if ident.CaseType != "" {
			p.Form.CaseType = ident.CaseType
		}
		if ident.AgeYears != nil {
			p.Form.Age = ageString(ident.AgeYears)
		}
		return nil
	})
	if err == nil && p.Ident != nil {
		rq.auditRead(ctx, audit.Event{Action: "identification.view", RecordType: "identification",
			RecordID: p.Ident.ID, AgencyID: p.Ident.AgencyID})
	}
	return p, err
}

// getScreen shows the screening form, for an identification or a walk-in.
func (s *Server) getScreen(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.screenPage(r, rq, r.URL.Query().Get("identification"))
	if err != nil {
		return err
	}
	// ?type= chooses the case type whose questions show (a link, or the
	// page without script); an unknown type is ignored.
	if t := r.URL.Query().Get("type"); s.prof.Eligibility[t] != nil {
		p.Form.CaseType = t
	}
	return s.render(w, http.StatusOK, "screen", p)
}

func screeningForm(f *form, p *profile.Profile) intake.ScreeningInput {
	in := intake.ScreeningInput{IdentificationID: f.str("identification_id"), CaseType: f.str("case_type"),
		Age: f.str("age"), Notes: f.str("notes"), Answers: map[string]string{}}
	for _, c := range p.Eligibility[in.CaseType] {
		if v := f.str("answer_" + c.Key); v != "" {
			in.Answers[c.Key] = v
		}
	}
	return in
}

func (s *Server) postScreen(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in intake.ScreeningInput
	var sc *intake.Screening
	again := func(fe errs.Fields, status int) error {
		p, err := s.screenPage(r, rq, in.IdentificationID)
		if err != nil {
			return err
		}
		p.Errors, p.Form = fe, in
		return s.render(w, status, "screen", p)
	}
	// "Show the questions for this type" (the page without script) shows
	// the form again with the chosen type's questions, screening no one.
	return s.postOrMore(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) (err error) {
			in = screeningForm(f, s.prof)
			sc, err = intake.Screen(ctx, tx, s.prof, rq.Actor, in, rq.Now)
			return err
		},
		Next:  func() string { return "/screenings/" + sc.ID },
		Again: again,
	}, func(f *form, _ string) error {
		in = screeningForm(f, s.prof)
		return again(nil, http.StatusOK)
	})
}

type screeningPage struct {
	Page
	S        *intake.Screening
	Criteria []profile.Criterion
}

// Question returns the question of criterion key.
func (p *screeningPage) Question(key string) string {
	for _, c := range p.Criteria {
		if c.Key == key {
			if l, ok := c.Labels[p.L.Lang]; ok {
				return l
			}
			return c.Question
		}
	}
	return key
}

// getScreening shows a screening's outcome and the reasoning behind it.
func (s *Server) getScreening(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	p := screeningPage{Page: s.page(rq, "screening.title", "screen")}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		sc, err := tx.Screening(ctx, r.PathValue("id"))
		if err != nil {
			return err
		}
		if d := access.Decide(rq.Actor, access.Screen, access.Resource{Kind: access.KindIdentification, AgencyID: sc.AgencyID}); !d.Allow {
			return &errs.DeniedError{Record: "screening", ID: sc.ID, AgencyID: sc.AgencyID, Reason: d.Reason, Kind: errs.NotFound}
		}
		p.S, p.Criteria = sc, s.prof.Eligibility[sc.CaseType]
		rq.auditRead(ctx, audit.Event{Action: "screening.view", RecordType: "screening", RecordID: sc.ID,
			AgencyID: sc.AgencyID, CaseID: sc.CaseID})
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "screening", &p)
}

func ageString(a *int) string {
	if a == nil {
		return ""
	}
	return strconv.Itoa(*a)
}
