package web

import (
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
		err = s.db.Audit(ctx, audit.Event{Action: "family.view", RecordType: "case", RecordID: p.Case.ID,
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

func (s *Server) familyFailed(w http.ResponseWriter, r *http.Request, rq *request, pid string, in family.Input, version int, err error) error {
	fe, ok := errs.AsFields(err)
	conflict := errs.KindOf(err) == errs.Conflict
	if !ok && !conflict {
		return err
	}
	p, lerr := s.loadFamily(r, rq, r.PathValue("id"), pid)
	if lerr != nil {
		return lerr
	}
	p.Errors, p.Form = fe, in
	status := http.StatusUnprocessableEntity
	if conflict {
		p.Errors = errs.Fields{{Field: "version", Msg: "err.stale"}}
		p.Form = inputOf(p.Person)
		status = http.StatusConflict
	} else if version > 0 {
		p.Version = version
	}
	return s.render(w, status, "family", p)
}

func (s *Server) postFamily(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	id, in := r.PathValue("id"), familyForm(f)
	ctx := r.Context()
	err = f.merge(nil)
	if err == nil {
		err = s.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := family.Add(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		})
	}
	if err != nil {
		return s.familyFailed(w, r, rq, "", in, 0, err)
	}
	return redirect(w, r, "/cases/"+id+"/family?done=added")
}

func (s *Server) postPerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	id, pid, in := r.PathValue("id"), r.PathValue("pid"), familyForm(f)
	ctx := r.Context()
	err = f.merge(nil)
	if err == nil {
		err = s.db.Tx(ctx, func(tx *store.Tx) error {
			_, err := family.Update(ctx, tx, s.prof, rq.Actor, id, pid, f.version(), in, rq.Now)
			return err
		})
	}
	if err != nil {
		return s.familyFailed(w, r, rq, pid, in, f.version(), err)
	}
	return redirect(w, r, "/cases/"+id+"/family?done=updated")
}

func (s *Server) postRemovePerson(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	ctx := r.Context()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		return family.Remove(ctx, tx, rq.Actor, id, r.PathValue("pid"), rq.Now)
	})
	if err != nil {
		return err
	}
	return redirect(w, r, "/cases/"+id+"/family?done=removed")
}
