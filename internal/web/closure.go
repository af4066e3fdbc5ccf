package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// closurePage is the closure page of one case: the proposal and its
// completeness check, the supervisor's decision, the post-closure
// follow-up, reopening and the age-out pathway.
type closurePage struct {
	Page
	Case      *cases.Case
	State     *closure.State
	Names     map[string]string
	Reasons   []profile.Option
	Designees []org.User

	CanPropose  bool // the caseworker (or supervisor) may propose closure now
	CanDecide   bool // the supervisor may approve or return the pending proposal
	CanFeedback bool // the post-closure follow-up is the user's to record
	CanReopen   bool
	CanAgeOut   bool

	// What was typed into each form, kept when a submit fails.
	Propose         closure.ProposeInput
	RequiredActions string
	FollowUpBy      string
	Feedback        closure.FeedbackInput
	ReopenReason    string
	Pathway         string
	PathwayNote     string
}

// AgeOutFirst reports whether the age-out pathway is the next thing to
// decide: due, not yet recorded, on an open case the user may edit.
func (p *closurePage) AgeOutFirst() bool {
	return p.CanAgeOut && p.State.AgeOutDue && p.Case.AgeOutPathway == ""
}

// Question returns the text of feedback question key.
func (p *closurePage) Question(key string) string {
	return profile.Label(p.Prof.FeedbackQuestions, key, p.L.Lang)
}

// Name returns the display name of user id.
func (p *closurePage) Name(id string) string {
	if n, ok := p.Names[id]; ok {
		return n
	}
	return "–"
}

// Confirmed reports whether confirmation c is ticked in the proposal form.
func (p *closurePage) Confirmed(c string) bool {
	for _, x := range p.Propose.Confirmations {
		if x == c {
			return true
		}
	}
	return false
}

// GapText says what gap g of the completeness check is, with its count
// where the message has one.
func (p *closurePage) GapText(g closure.Gap) string {
	key := "closure.gap." + g.Key
	if strings.Contains(p.T(key), "%d") {
		return p.T(key, g.Count)
	}
	return p.T(key)
}

// FollowUpDays is the profile's post-closure window in days.
func (p *closurePage) FollowUpDays() int {
	return int(p.Prof.PostClosureFollowUp.D() / (24 * time.Hour))
}

// Answer returns the typed answer to feedback question key.
func (p *closurePage) Answer(key string) string { return p.Feedback.Answers[key] }

// DaysSince returns the whole days from date (YYYY-MM-DD) to now.
func (p *closurePage) DaysSince(date string) int {
	t, err := time.ParseInLocation(time.DateOnly, date, p.Prof.Location())
	if err != nil {
		return 0
	}
	return int(p.Now.Sub(t) / (24 * time.Hour))
}

// loadClosurePage reads the closure page of case id and audits the read.
func (s *Server) loadClosurePage(r *http.Request, rq *request, id string) (*closurePage, error) {
	ctx := r.Context()
	p := &closurePage{Page: s.page(rq, "closure.title", "")}
	p.Feedback.FollowedUpOn = s.prof.Today(rq.Now)
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Closure, id)
		if err != nil {
			return err
		}
		p.Case = c
		if p.State, err = closure.Load(ctx, tx, s.prof, c, rq.Now); err != nil {
			return err
		}
		p.Reasons = closure.ReasonsFor(s.prof, c.Type)
		ref := access.Resource{Kind: access.KindCase, Case: c.Ref(), Section: access.Closure}
		may := func(act access.Action) bool { return access.Decide(rq.Actor, act, ref).Allow }
		p.CanPropose = c.IsOpen() && p.State.Pending == nil && may(access.Edit)
		p.CanDecide = c.IsOpen() && p.State.Pending != nil && may(access.Approve)
		p.CanFeedback = !c.IsOpen() && may(access.Feedback)
		p.CanReopen = !c.IsOpen() && may(access.Reopen)
		p.CanAgeOut = c.IsOpen() && may(access.Edit) && p.State.ShowAgeOut()
		if p.CanDecide {
			users, err := tx.Users(ctx, c.AgencyID)
			if err != nil {
				return err
			}
			for i := range users {
				if closure.Designee(&users[i], c) {
					p.Designees = append(p.Designees, users[i])
				}
			}
			p.FollowUpBy = rq.User.ID
		}
		ids := []string{c.CaseworkerID, c.FollowUpBy}
		for _, x := range p.State.Closures {
			ids = append(ids, x.ProposedBy, x.DecidedBy, x.FollowUpBy)
		}
		for _, x := range p.State.Feedback {
			ids = append(ids, x.RecordedBy)
		}
		for _, x := range p.State.Reopenings {
			ids = append(ids, x.ReopenedBy)
		}
		for _, x := range p.State.AgeOuts {
			ids = append(ids, x.RecordedBy)
		}
		if d := p.State.PostClosure; d != nil {
			ids = append(ids, d.AssigneeID)
		}
		p.Names, err = tx.UserNames(ctx, ids)
		return err
	})
	if err == nil {
		rq.auditRead(ctx, closureViewEvent(p.Case))
	}
	return p, err
}

func closureViewEvent(c *cases.Case) audit.Event {
	return audit.Event{Action: "closure.view", RecordType: "case", RecordID: c.ID, CaseID: c.ID, AgencyID: c.AgencyID}
}

// getClosure shows the closure page.
func (s *Server) getClosure(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadClosurePage(r, rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch done := r.URL.Query().Get("done"); done {
	case "proposed", "returned", "approved", "feedback", "reopened", "age_out":
		p.Flash = "flash.closure_" + done
	}
	return s.render(w, http.StatusOK, "closure", p)
}

// closureAgain shows the closure page of case id again with what went
// wrong in one of its forms and what was typed there, refilled by fill.
func (s *Server) closureAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, fill func(*closurePage)) func(errs.Fields, int) error {
	return shownAgain(s, w, "closure", func() (*closurePage, error) { return s.loadClosurePage(r, rq, id) }, fill)
}

func closureProposeForm(f *form) closure.ProposeInput {
	return closure.ProposeInput{Reason: f.str("closure_reason"), Confirmations: f.list("confirmations"),
		Explanation: f.str("explanation")}
}

func (s *Server) closureFeedbackForm(f *form) closure.FeedbackInput {
	in := closure.FeedbackInput{Answers: map[string]string{}, ChildSafe: f.str("child_safe"),
		Comments: f.str("feedback_comments"), FollowedUpOn: f.str("followed_up_on")}
	for _, q := range s.prof.FeedbackQuestions {
		if v := f.str("answers." + q.Key); v != "" {
			in.Answers[q.Key] = v
		}
	}
	return in
}

func (s *Server) postClosure(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in closure.ProposeInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = closureProposeForm(f)
			_, err := closure.Propose(ctx, tx, s.prof, rq.Actor, id, f.version(), in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/closure?done=proposed"),
		Again: s.closureAgain(w, r, rq, id, func(p *closurePage) { p.Propose = in }),
	})
}

func (s *Server) postClosureReturn(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var actions string
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			actions = f.str("required_actions")
			_, err := closure.Return(ctx, tx, rq.Actor, id, f.version(), actions, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/closure?done=returned"),
		Again: s.closureAgain(w, r, rq, id, func(p *closurePage) { p.RequiredActions = actions }),
	})
}

func (s *Server) postClosureApprove(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var who string
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			who = f.str("follow_up_by")
			_, err := closure.Approve(ctx, tx, s.prof, rq.Actor, id, f.version(), who, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/closure?done=approved"),
		Again: s.closureAgain(w, r, rq, id, func(p *closurePage) { p.FollowUpBy = who }),
	})
}

func (s *Server) postFeedback(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in closure.FeedbackInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = s.closureFeedbackForm(f)
			_, err := closure.RecordFeedback(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/closure?done=feedback"),
		Again: s.closureAgain(w, r, rq, id, func(p *closurePage) { p.Feedback = in }),
	})
}

func (s *Server) postReopen(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var reason string
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			reason = f.str("reopen_reason")
			_, err := closure.Reopen(ctx, tx, s.prof, rq.Actor, id, f.version(), reason, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/closure?done=reopened"),
		Again: s.closureAgain(w, r, rq, id, func(p *closurePage) { p.ReopenReason = reason }),
	})
}

func (s *Server) postAgeOut(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var pathway, note string
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			pathway, note = f.str("pathway"), f.str("pathway_note")
			_, err := closure.RecordAgeOut(ctx, tx, s.prof, rq.Actor, id, f.version(), pathway, note, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/closure?done=age_out"),
		Again: s.closureAgain(w, r, rq, id, func(p *closurePage) { p.Pathway, p.PathwayNote = pathway, note }),
	})
}

// The JSON API of closure. The shapes are documented in openapi/closure.json.

type closureGapJSON struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

type closureJSON struct {
	ID              string           `json:"id"`
	Status          string           `json:"status"`
	Reason          string           `json:"closure_reason"`
	Confirmations   []string         `json:"confirmations"`
	Explanation     string           `json:"explanation"`
	Gaps            []closureGapJSON `json:"gaps"`
	ProposedBy      string           `json:"proposed_by"`
	ProposedAt      *string          `json:"proposed_at"`
	DecidedBy       string           `json:"decided_by"`
	DecidedAt       *string          `json:"decided_at"`
	RequiredActions string           `json:"required_actions"`
	FollowUpBy      string           `json:"follow_up_by"`
}

type closureFeedbackJSON struct {
	ID           string            `json:"id"`
	ClosureID    string            `json:"closure_id"`
	Answers      map[string]string `json:"answers"`
	ChildSafe    string            `json:"child_safe"`
	Comments     string            `json:"feedback_comments"`
	RecordedBy   string            `json:"recorded_by"`
	FollowedUpOn string            `json:"followed_up_on"`
	CreatedAt    *string           `json:"created_at"`
}

type closureReopeningJSON struct {
	ID         string  `json:"id"`
	Reason     string  `json:"reopen_reason"`
	ReopenedBy string  `json:"reopened_by"`
	ReopenedAt *string `json:"reopened_at"`
}

type closureAgeOutJSON struct {
	ID         string  `json:"id"`
	Pathway    string  `json:"pathway"`
	Note       string  `json:"pathway_note"`
	RecordedBy string  `json:"recorded_by"`
	RecordedAt *string `json:"recorded_at"`
}

type closureStateJSON struct {
	CaseID        string                 `json:"case_id"`
	Code          string                 `json:"code"`
	Status        string                 `json:"status"`
	Step          string                 `json:"step"`
	Version       int                    `json:"version"`
	ClosedAt      *string                `json:"closed_at"`
	ClosureReason string                 `json:"closure_reason"`
	FollowUpBy    string                 `json:"follow_up_by"`
	Reopened      int                    `json:"reopened"`
	Pending       *closureJSON           `json:"pending"`
	Completeness  []closureGapJSON       `json:"completeness"`
	LastContact   string                 `json:"last_contact"`
	Closures      []closureJSON          `json:"closures"`
	Feedback      []closureFeedbackJSON  `json:"feedback"`
	Reopenings    []closureReopeningJSON `json:"reopenings"`
	AgeOut        closureAgeOutStateJSON `json:"age_out"`
	Tasks         []deadlineJSON         `json:"tasks"`
}

type closureAgeOutStateJSON struct {
	Pathway   string              `json:"pathway"`
	AdultOn   *string             `json:"adult_on"`
	Due       bool                `json:"due"`
	Decisions []closureAgeOutJSON `json:"decisions"`
}

func closureGapsToJSON(gs []closure.Gap) []closureGapJSON {
	out := []closureGapJSON{}
	for _, g := range gs {
		out = append(out, closureGapJSON{Key: g.Key, Count: g.Count})
	}
	return out
}

func closureToJSON(c *closure.Closure) closureJSON {
	return closureJSON{ID: c.ID, Status: c.Status, Reason: c.Reason, Confirmations: nonNil(c.Confirmations),
		Explanation: c.Explanation, Gaps: closureGapsToJSON(c.Gaps), ProposedBy: c.ProposedBy, ProposedAt: apiTime(c.ProposedAt),
		DecidedBy: c.DecidedBy, DecidedAt: apiTime(c.DecidedAt), RequiredActions: c.RequiredActions, FollowUpBy: c.FollowUpBy}
}

func closureStateToJSON(st *closure.State, now time.Time) closureStateJSON {
	c := st.Case
	j := closureStateJSON{CaseID: c.ID, Code: c.Code, Status: c.Status, Step: c.Step, Version: c.Version,
		ClosedAt: apiTime(c.ClosedAt), ClosureReason: c.ClosureReason, FollowUpBy: c.FollowUpBy, Reopened: c.Reopened,
		LastContact: st.LastContact, Closures: []closureJSON{}, Feedback: []closureFeedbackJSON{}, Reopenings: []closureReopeningJSON{},
		Tasks: []deadlineJSON{}}
	if st.Pending != nil {
		p := closureToJSON(st.Pending)
		j.Pending = &p
	}
	if c.IsOpen() {
		j.Completeness = closureGapsToJSON(st.Gaps)
	}
	for i := range st.Closures {
		j.Closures = append(j.Closures, closureToJSON(&st.Closures[i]))
	}
	for _, f := range st.Feedback {
		answers := f.Answers
		if answers == nil {
			answers = map[string]string{}
		}
		j.Feedback = append(j.Feedback, closureFeedbackJSON{ID: f.ID, ClosureID: f.ClosureID, Answers: answers, ChildSafe: f.ChildSafe,
			Comments: f.Comments, RecordedBy: f.RecordedBy, FollowedUpOn: f.RecordedOn, CreatedAt: apiTime(f.CreatedAt)})
	}
	for _, r := range st.Reopenings {
		j.Reopenings = append(j.Reopenings, closureReopeningJSON{ID: r.ID, Reason: r.Reason, ReopenedBy: r.ReopenedBy,
			ReopenedAt: apiTime(r.ReopenedAt)})
	}
	j.AgeOut = closureAgeOutStateJSON{Pathway: c.AgeOutPathway, Due: st.AgeOutDue, Decisions: []closureAgeOutJSON{}}
	if !st.AdultOn.IsZero() {
		d := st.AdultOn.Format(time.DateOnly)
		j.AgeOut.AdultOn = &d
	}
	for _, a := range st.AgeOuts {
		j.AgeOut.Decisions = append(j.AgeOut.Decisions, closureAgeOutJSON{ID: a.ID, Pathway: a.Pathway, Note: a.Note,
			RecordedBy: a.RecordedBy, RecordedAt: apiTime(a.RecordedAt)})
	}
	for _, d := range []*deadline.Deadline{st.Approval, st.PostClosure, st.AgeOutTask} {
		if d != nil {
			dj := deadlineToJSON(*d)
			dj.Overdue = d.Overdue(now)
			j.Tasks = append(j.Tasks, dj)
		}
	}
	return j
}

// apiClosureReply answers with the closure state of case id as rq may see
// it; a plain read (audited true) is audited before the answer is sent.
func (s *Server) apiClosureReply(w http.ResponseWriter, r *http.Request, rq *request, id string, status int, audited bool) error {
	ctx := r.Context()
	var st *closure.State
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Closure, id)
		if err != nil {
			return err
		}
		st, err = closure.Load(ctx, tx, s.prof, c, rq.Now)
		return err
	})
	if err != nil {
		return err
	}
	if audited {
		rq.auditRead(ctx, closureViewEvent(st.Case))
	}
	return writeJSON(w, status, closureStateToJSON(st, rq.Now))
}

func (s *Server) closureReply(w http.ResponseWriter, r *http.Request, rq *request, status int) func(string) error {
	return func(id string) error { return s.apiClosureReply(w, r, rq, id, status, false) }
}

func (s *Server) apiClosure(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiClosureReply(w, r, rq, r.PathValue("id"), http.StatusOK, true)
}

func (s *Server) apiPropose(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		closure.ProposeInput
		Version int `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := closure.Propose(ctx, tx, s.prof, rq.Actor, id, in.Version, in.ProposeInput, rq.Now)
		return err
	}, s.closureReply(w, r, rq, http.StatusCreated))
}

func (s *Server) apiClosureReturn(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		RequiredActions string `json:"required_actions"`
		Version         int    `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := closure.Return(ctx, tx, rq.Actor, id, in.Version, in.RequiredActions, rq.Now)
		return err
	}, s.closureReply(w, r, rq, http.StatusOK))
}

func (s *Server) apiClosureApprove(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		FollowUpBy string `json:"follow_up_by"`
		Version    int    `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := closure.Approve(ctx, tx, s.prof, rq.Actor, id, in.Version, in.FollowUpBy, rq.Now)
		return err
	}, s.closureReply(w, r, rq, http.StatusOK))
}

func (s *Server) apiFeedback(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in closure.FeedbackInput
	return s.apiCaseOp(w, r, &in, nil, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := closure.RecordFeedback(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}, s.closureReply(w, r, rq, http.StatusCreated))
}

func (s *Server) apiReopen(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Reason  string `json:"reopen_reason"`
		Version int    `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := closure.Reopen(ctx, tx, s.prof, rq.Actor, id, in.Version, in.Reason, rq.Now)
		return err
	}, s.closureReply(w, r, rq, http.StatusOK))
}

func (s *Server) apiAgeOut(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Pathway string `json:"pathway"`
		Note    string `json:"pathway_note"`
		Version int    `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := closure.RecordAgeOut(ctx, tx, s.prof, rq.Actor, id, in.Version, in.Pathway, in.Note, rq.Now)
		return err
	}, s.closureReply(w, r, rq, http.StatusOK))
}
