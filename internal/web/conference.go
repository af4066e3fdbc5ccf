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
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
)

// Case conferences: the form on the case's coordination page and the
// conference's own page.

func (s *Server) postConference(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in conference.Input
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = conferenceForm(f) // people by ID, picked by name and role: never a typed sign-in name
			_, err := conference.Schedule(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next: to("/cases/" + id + "/coordination?done=conference"),
		Again: func(fe errs.Fields, status int) error {
			return s.renderConferenceNew(w, r, rq, id, in, fe, status)
		},
	})
}

// The conference form's own page: whom to invite, by name and role — the
// case's team and the agency's supervisors and managers, and the case
// staff and directory focal points of the other agencies — never by
// sign-in name.

type conferenceNewPage struct {
	Page
	sectionPicks // for external participants; the minimum until chosen
	Case         *cases.Case
	People       []org.User           // of the case's agency, near the case
	Others       []referral.Candidate // of the other agencies
	Conf         conference.Input
}

// PeopleHTML is the list of the agency's people to invite, "Name — role",
// the ones chosen ticked.
func (p *conferenceNewPage) PeopleHTML() template.HTML {
	var b strings.Builder
	for _, u := range p.People {
		b.WriteString(`<li><label><input type="checkbox" name="participants" value="`)
		b.WriteString(html.EscapeString(u.ID))
		b.WriteByte('"')
		if slices.Contains(p.Conf.Participants, u.ID) {
			b.WriteString(" checked")
		}
		b.WriteString("> ")
		b.WriteString(html.EscapeString(u.DisplayName))
		b.WriteString(" — ")
		b.WriteString(html.EscapeString(p.Role(u.Role)))
		b.WriteString("</label></li>")
	}
	return template.HTML(b.String())
}

// OtherSlots returns the choices of people from other agencies the form
// offers: three, each with the one chosen in it (in order), if any.
func (p *conferenceNewPage) OtherSlots() []template.HTML {
	var chosen []string
	for _, id := range p.Conf.Participants {
		if referral.FindCandidate(p.Others, id) != nil {
			chosen = append(chosen, id)
		}
	}
	n := max(3, len(chosen))
	out := make([]template.HTML, n)
	for i := range out {
		var pick []string
		if i < len(chosen) {
			pick = chosen[i : i+1]
		}
		out[i] = candidateOptions(&p.Page, p.Others, pick)
	}
	return out
}

func (s *Server) getConferenceNew(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderConferenceNew(w, r, rq, r.PathValue("id"), conference.Input{}, nil, http.StatusOK)
}

// renderConferenceNew shows the conference form of case id with in and the
// errors fe, answering status, and audits the read (the page names the case).
func (s *Server) renderConferenceNew(w http.ResponseWriter, r *http.Request, rq *request, id string, in conference.Input,
	fe errs.Fields, status int) error {
	ctx := r.Context()
	p := &conferenceNewPage{Page: s.page(rq, "consentref.conference_title", ""), Conf: in,
		sectionPicks: sectionPicks{share.Minimum}}
	p.Errors = fe
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.Refer, access.Plan, id)
		if err != nil {
			return err
		}
		p.Case = c
		users, err := tx.StaffNear(ctx, c.AgencyID, c.TeamID)
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.ID != rq.User.ID {
				p.People = append(p.People, u)
			}
		}
		if p.Others, err = referral.Candidates(ctx, tx, c.AgencyID); err != nil {
			return err
		}
		rq.auditRead(ctx, audit.Event{Action: "conference.form_view", RecordType: "case", RecordID: c.ID, CaseID: c.ID,
			AgencyID: c.AgencyID})
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, status, "conference_new", p)
}

func conferenceForm(f *form) conference.Input {
	return conference.Input{Reason: f.str("reason"), ScheduledAt: f.str("scheduled_at"), Place: f.str("place"),
		Sections: f.list("sections"), Participants: f.list("participants")}
}

// userIDByName returns the ID of the user signing in as name, or a field
// error naming field when there is none; any other error is returned as it
// is.
func userIDByName(ctx context.Context, tx interface {
	UserByName(ctx context.Context, name string) (*org.User, error)
}, field, name string) (string, error) {
	u, err := tx.UserByName(ctx, name)
	if errs.KindOf(err) == errs.NotFound {
		return "", errs.Field(field, "err.unknown_user", name)
	}
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

// The conference page.

type conferencePage struct {
	Page
	C          *conference.Conference
	Shared     *share.View
	Next       conference.Next // what the reader may do next
	Staff      bool
	Rec        conference.RecordInput
	ActionRows []conference.ActionInput
}

func (s *Server) loadConference(ctx context.Context, rq *request, id string) (*conferencePage, error) {
	p := &conferencePage{Page: s.page(rq, "conference.title", "coordination")}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rd, err := conference.Read(ctx, tx, s.prof, rq.Actor, id)
		if err != nil {
			return err
		}
		p.C, p.Shared, p.Staff, p.Next = rd.Conference, rd.Shared, rd.Staff, rd.Conference.NextFor(rq.Actor, rd.Case)
		rq.auditRead(ctx, rd.Event())
		return nil
	})
	if p.C != nil {
		p.Rec = conference.RecordInput{Summary: p.C.Summary, Risks: p.C.Risks, Needs: p.C.Needs, Services: p.C.Services,
			Decisions: p.C.Decisions}
		for _, a := range p.C.Actions {
			p.Rec.Actions = append(p.Rec.Actions, conference.ActionInput{Description: a.Description, OwnerID: a.OwnerID, DueOn: a.DueOn})
		}
	}
	return p, err
}

// conferenceAgain shows the page of conference id again with the errors of
// a form and, by fill, what was typed.
func (s *Server) conferenceAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, fill func(*conferencePage)) func(errs.Fields, int) error {
	return shownAgain(s, w, "conference", func() (*conferencePage, error) { return s.loadConference(r.Context(), rq, id) }, fill)
}

// Rows returns the action rows of the record form: those written, and
// three empty ones.
func (p *conferencePage) Rows() []conference.ActionInput {
	return append(append([]conference.ActionInput(nil), p.Rec.Actions...), make([]conference.ActionInput, 3)...)
}

func (s *Server) getConference(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadConference(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch d := r.URL.Query().Get("done"); d {
	case "record", "sign", "close":
		p.Flash = "flash.conference_" + d
	}
	return s.render(w, http.StatusOK, "conference", p)
}

func (s *Server) postConferenceRecord(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in conference.RecordInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = conferenceRecordForm(f)
			_, err := conference.Record(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/conferences/" + id + "?done=record"),
		Again: s.conferenceAgain(w, r, rq, id, func(p *conferencePage) { p.Rec = in }),
	})
}

// conferenceRecordForm reads the record form: the action items come as
// rows of three parallel fields (a row with fewer parts has them empty).
func conferenceRecordForm(f *form) conference.RecordInput {
	in := conference.RecordInput{Version: f.version(), Summary: f.str("summary"), Risks: f.str("risks"),
		Needs: f.str("needs"), Services: f.str("services"), Decisions: f.str("decisions")}
	descs, owners, dues := f.v["action_description"], f.v["action_owner"], f.v["action_due"]
	n := max(len(descs), len(owners), len(dues))
	if n > 50 {
		n = 50 // a conference agrees a handful of actions; a form with more is not ours
	}
	at := func(l []string, i int) string {
		if i < len(l) {
			return l[i]
		}
		return ""
	}
	for i := 0; i < n; i++ {
		in.Actions = append(in.Actions, conference.ActionInput{Description: at(descs, i), OwnerID: at(owners, i),
			DueOn: at(dues, i)})
	}
	return in
}

func (s *Server) postConferenceSignOff(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := conference.SignOff(ctx, tx, rq.Actor, id, f.version(), rq.Now)
			return err
		},
		Next:  to("/conferences/" + id + "?done=sign"),
		Again: s.conferenceAgain(w, r, rq, id, func(*conferencePage) {}),
	})
}

func (s *Server) postConferenceClose(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := conference.Close(ctx, tx, rq.Actor, id, f.version(), rq.Now)
			return err
		},
		Next:  to("/conferences/" + id + "?done=close"),
		Again: s.conferenceAgain(w, r, rq, id, func(*conferencePage) {}),
	})
}
