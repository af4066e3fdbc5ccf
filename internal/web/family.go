package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/store"
)

type familyPage struct {
	Page
	Case     *cases.Case
	People   []cases.Person
	GateOpen bool
	CanEdit  bool
	Form     family.Input
	Person   *cases.Person // the person being edited
	Version  int
}

func familyForm(f *form) family.Input {
	return family.Input{Name: f.str("name"), Relationship: f.str("relationship"), IsCaregiver: f.bool("is_caregiver"),
		AllegedPerpetrator: f.bool("alleged_perpetrator"), Alive: f.str("alive"), LivesWithChild: f.bool("lives_with_child"),
		Age: f.intPtr("age"), Sex: f.str("sex"), Contact: f.str("contact"), Address: f.str("address"), Notes: f.str("notes")}
}

func inputOf(x *cases.Person) family.Input {
	return family.Input{Name: x.Name, Relationship: x.Relationship, IsCaregiver: x.IsCaregiver,
		AllegedPerpetrator: x.AllegedPerpetrator, Alive: x.Alive, LivesWithChild: x.LivesWithChild, Age: x.AgeYears,
		Sex: x.Sex, Contact: x.Contact, Address: x.Address, Notes: x.Notes}
}

// loadFamily reads the family page of case id; pid selects a person to edit.
func (s *Server) loadFamily(r *http.Request, rq *request, id, pid string) (*familyPage, error) {
	ctx := r.Context()
	p := &familyPage{Page: s.page(rq, "family.title", "")}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Family, id)
		if err != nil {
			return err
		}
		p.Case = c
		p.CanEdit = access.Decide(rq.Actor, access.Edit, access.Resource{Kind: access.KindCase, Case: c.Ref(), Section: access.Family}).Allow
		st, err := consent.Load(ctx, tx, s.prof, c, rq.Now)
		if err != nil {
			return err
		}
		p.People, p.GateOpen = st.People, consent.Allows(st.Scopes, s.prof.GateScope())
		if pid != "" {
			for i := range p.People {
				if p.People[i].ID == pid {
					p.Person = &p.People[i]
				}
			}
			if p.Person == nil {
				return errs.E(errs.NotFound, "person %s", pid)
			}
			p.Form, p.Version = inputOf(p.Person), p.Person.Version
		}
		return nil
	})
	if err == nil {
		rq.auditRead(ctx, audit.Event{Action: "family.view", RecordType: "case", RecordID: p.Case.ID,
			CaseID: p.Case.ID, AgencyID: p.Case.AgencyID})
	}
	return p, err
}

func (s *Server) getFamily(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadFamily(r, rq, r.PathValue("id"), "")
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "added", "updated", "removed":
		p.Flash = "flash.family_" + r.URL.Query().Get("done")
	}
	return s.render(w, http.StatusOK, "family", p)
}

func (s *Server) getPerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadFamily(r, rq, r.PathValue("id"), r.PathValue("pid"))
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "family", p)
}

// familyAgain shows the family page of case id again, with the form of
// person pid ("" for a new one) holding what was typed (*in, read once the
// form ran) and its version; a stale form shows the person as they are now.
func (s *Server) familyAgain(w http.ResponseWriter, r *http.Request, rq *request, id, pid string, in *family.Input, version *int) func(errs.Fields, int) error {
	return func(fe errs.Fields, status int) error {
		p, err := s.loadFamily(r, rq, id, pid)
		if err != nil {
			return err
		}
		p.Errors, p.Form = fe, *in
		if status == http.StatusConflict {
			p.Form = inputOf(p.Person)
		} else if *version > 0 {
			p.Version = *version
		}
		return s.render(w, status, "family", p)
	}
}

func (s *Server) postFamily(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in family.Input
	var version int
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = familyForm(f)
			_, err := family.Add(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/family?done=added"),
		Again: s.familyAgain(w, r, rq, id, "", &in, &version),
	})
}

func (s *Server) postPerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, pid := r.PathValue("id"), r.PathValue("pid")
	var in family.Input
	var version int
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in, version = familyForm(f), f.version()
			_, err := family.Update(ctx, tx, s.prof, rq.Actor, id, pid, version, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/family?done=updated"),
		Again: s.familyAgain(w, r, rq, id, pid, &in, &version),
	})
}

func (s *Server) postRemovePerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			return family.Remove(ctx, tx, rq.Actor, id, r.PathValue("pid"), rq.Now)
		},
		Next: to("/cases/" + id + "/family?done=removed"),
	})
}
