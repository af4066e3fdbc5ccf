package web

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/store"
)

// dupView is a possible duplicate as the registration form lists it.
type dupView struct {
	cases.Duplicate
	Caseworker string // the caseworker's display name
}

// DifferentChild reports whether the form confirms a different child.
func (p *registerPage) DifferentChild() bool { return p.Form.DifferentChild }

// DifferentChild reports whether the form confirms a different child.
func (p *identifyPage) DifferentChild() bool { return p.Form.DifferentChild }

// identificationDuplicates looks for possible duplicates of the child of
// identification in, before it is saved in tx, when the submitter
// registers cases and identifies the child to their own agency: the
// others (volunteers, service providers, other agencies) are never shown
// which children an agency knows; the screening and registration that
// follow check again. Unconfirmed, it answers the possible duplicates
// (cases.DuplicatesError); confirmed, it returns their codes.
func (s *Server) identificationDuplicates(ctx context.Context, tx *store.Tx, rq *request, in intake.NewIdentification) ([]string, error) {
	if cases.MayRegister(rq.Actor) != nil || (in.AgencyID != "" && in.AgencyID != rq.Actor.AgencyID) {
		return nil, nil
	}
	age, ok := intake.ParseAge(in.Age)
	if !ok {
		return nil, nil // the form's own error comes first
	}
	found, err := cases.PossibleDuplicates(ctx, tx, s.db.SearchHasher(), rq.Actor,
		cases.Probe{GivenName: in.Name, Sex: in.Sex, Age: age, Place: in.Location}, rq.Now)
	if err != nil {
		return nil, err
	}
	if len(found) > 0 && !in.DifferentChild {
		return nil, &cases.DuplicatesError{Found: found}
	}
	return cases.Codes(found), nil
}

// duplicateViews returns ds with their caseworkers' names, and audits the
// check: one case.duplicate_check event a case shown, with the codes of
// every case shown and whether its name was (never a name, never what was
// typed).
func (s *Server) duplicateViews(ctx context.Context, rq *request, ds []cases.Duplicate) ([]dupView, error) {
	out := make([]dupView, len(ds))
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		names := map[string]string{}
		for i, d := range ds {
			out[i].Duplicate = d
			if d.CaseworkerID == "" {
				continue
			}
			if _, ok := names[d.CaseworkerID]; !ok {
				u, err := tx.User(ctx, d.CaseworkerID)
				if err != nil {
					return err
				}
				names[d.CaseworkerID] = u.DisplayName
			}
			out[i].Caseworker = names[d.CaseworkerID]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rq.auditDuplicateCheck(ctx, ds)
	return out, nil
}

// auditDuplicateCheck records that a duplicate check showed ds to rq's
// user: one event a case, so that each case's reads list it.
func (rq *request) auditDuplicateCheck(ctx context.Context, ds []cases.Duplicate) {
	codes := cases.Codes(ds)
	for _, d := range ds {
		detail, _ := json.Marshal(map[string]any{"candidates": codes, "name_shown": d.NameShown})
		rq.auditRead(ctx, audit.Event{Action: "case.duplicate_check", RecordType: "case", RecordID: d.CaseID,
			CaseID: d.CaseID, AgencyID: rq.User.AgencyID, Detail: string(detail)})
	}
}

// apiDuplicates answers a registration through the API that found possible
// duplicates: 409 with their codes (openapi: PossibleDuplicates); the
// client confirms a different child with "different_child": true.
func apiDuplicates(ctx context.Context, w http.ResponseWriter, rq *request, ds []cases.Duplicate) error {
	rq.auditDuplicateCheck(ctx, ds)
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	return writeJSON(w, http.StatusConflict, struct {
		Error              body     `json:"error"`
		PossibleDuplicates []string `json:"possible_duplicates"`
	}{body{"possible_duplicates", rq.L.T("dup.api")}, cases.Codes(ds)})
}
