package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/store"
)

// caseView is everything the case page shows.
type caseView struct {
	Case       *cases.Case
	Identity   *cases.Identity // nil when the actor may not see identity
	Age        *int
	Caseworker string
	Risk       []cases.RiskChange
	Open       []deadline.Deadline
	Later      []deadline.Deadline // open, but due beyond the task horizon
	Done       []deadline.Deadline
	Consent    *consent.State
	Missing    int
	GateOpen   bool
	People     []cases.Person
	Screening  *intake.Screening
	Names      map[string]string
	CanEdit    bool
	CanAssign  bool
	CanApprove bool
	Workers    []org.User
	Plan       *plan.Plan // the active plan
	Draft      *plan.Plan // a plan in preparation or waiting for approval
	Medical    *medicalAlert
	AdultOn    time.Time // when the child turns adult (zero when unknown or adult)
	Steps      []cases.StepChange
	Timeline   []timelineItem
	StepList   []string // the steps in order, for the steps bar
	StepAt     int      // the index of the current step in StepList
	// Coord: open mandatory-reporting decisions and linked cases (incident.go).
	Coord *coordBlock
	// Referrals of the case and their state, for whoever works on it (not
	// for a reader through a grant, who must not learn of other shares).
	Referrals []referral.Referral
	// Dup: the case's marking as a duplicate, or its duplicates (void.go).
	Dup *dupBlock
}

// timelineItem is one thing that happened to the case, from its audit trail.
type timelineItem struct {
	At     time.Time
	Action string
	Actor  string
	When   string // At and Action in the reader's words, set by casePage.words
	Label  string
}

// loadCaseView reads case id for rq inside tx. It returns the same not-found
// error for a case rq may not see as for a missing one.
func (s *Server) loadCaseView(ctx context.Context, tx *store.Tx, rq *request, id string) (*caseView, error) {
	c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Registration, id)
	if err != nil {
		return nil, err
	}
	v := &caseView{Case: c, Names: map[string]string{}, StepList: cases.Steps}
	for i, st := range cases.Steps {
		if st == c.Step {
			v.StepAt = i
		}
	}
	decide := func(act access.Action, sec access.Section) bool {
		return access.Decide(rq.Actor, act, access.Resource{Kind: access.KindCase, Case: c.Ref(), Section: sec}).Allow
	}
	v.CanEdit = decide(access.Edit, access.Registration)
	v.CanAssign = decide(access.Assign, access.Registration)
	v.CanApprove = decide(access.Approve, access.Consent)
	if decide(access.View, access.Identity) {
		if v.Identity, err = tx.Identity(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	v.Age = cases.AgeAt(c, v.Identity, rq.Now)
	if access.InScope(rq.Actor, c.Ref()) {
		if v.Referrals, err = tx.CaseReferrals(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if v.Risk, err = tx.RiskHistory(ctx, c.ID); err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	horizon := deadline.Horizon(s.prof, rq.Now)
	for _, d := range ds {
		if d.Open() && d.DueAt.Before(horizon) {
			v.Open = append(v.Open, d)
		} else if d.Open() {
			v.Later = append(v.Later, d)
		} else {
			v.Done = append(v.Done, d)
		}
	}
	sort.Slice(v.Done, func(i, j int) bool { return v.Done[i].DoneAt.After(v.Done[j].DoneAt) })
	if decide(access.View, access.Consent) {
		if v.Consent, err = consent.Load(ctx, tx, s.prof, c, rq.Now); err != nil {
			return nil, err
		}
		v.Missing = consent.MissingNeeds(v.Consent.Scopes)
		v.GateOpen = consent.Allows(v.Consent.Scopes, s.prof.GateScope())
	}
	if decide(access.View, access.Family) {
		if v.Consent != nil {
			v.People = v.Consent.People // loaded with the consent state
		} else if v.People, err = tx.CasePeople(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if c.ScreeningID != "" {
		if v.Screening, err = tx.Screening(ctx, c.ScreeningID); err != nil {
			return nil, err
		}
	}
	if decide(access.View, access.Plan) {
		ps, err := tx.Plans(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		v.Plan, v.Draft = plan.ActiveOf(ps), plan.InPreparation(ps)
	}
	v.Medical = medicalAlertOf(append(append([]deadline.Deadline(nil), v.Open...), v.Done...))
	if c.IsOpen() && c.AgeOutPathway == "" {
		// Shown once the profile's alert window has opened, not years ahead.
		if adult, ok := cases.AdultOn(s.prof, c, v.Identity); ok && adult.After(rq.Now) && c.Type == "cp" &&
			adult.Sub(rq.Now) <= s.prof.AgeOutAlert.D() {
			v.AdultOn = adult
		}
	}
	if v.Steps, err = tx.StepHistory(ctx, c.ID); err != nil {
		return nil, err
	}
	if v.Timeline, err = s.timeline(ctx, tx, c.ID); err != nil {
		return nil, err
	}
	if v.Coord, err = s.loadCoordBlock(ctx, tx, rq, c); err != nil {
		return nil, err
	}
	if v.Dup, err = s.loadDupBlock(ctx, tx, rq, c); err != nil {
		return nil, err
	}
	v.Done = notCancelled(c, v.Done)
	if v.CanAssign {
		if v.Workers, err = cases.Candidates(ctx, tx, rq.Actor, c.AgencyID); err != nil {
			return nil, err
		}
	}
	// Names of the people who acted on the case, for the history.
	ids := []string{c.CaseworkerID, c.CreatedBy, c.UpdatedBy}
	for _, r := range v.Risk {
		ids = append(ids, r.ChangedBy)
	}
	for _, st := range v.Steps {
		ids = append(ids, st.ChangedBy)
	}
	if v.Consent != nil {
		for _, r := range v.Consent.Records {
			ids = append(ids, r.ObtainedBy)
		}
		for _, o := range v.Consent.Overrides {
			ids = append(ids, o.ApprovedBy)
		}
	}
	if v.Names, err = tx.UserNames(ctx, ids); err != nil {
		return nil, err
	}
	v.Caseworker = v.Names[c.CaseworkerID]
	return v, nil
}

// timelineSize is how many events the case page's timeline shows.
const timelineSize = 40

// timelineActions are the audit actions the case timeline shows: the
// changes to a case, never the reads (each has a timeline.<action> message).
var timelineActions = []string{
	"case.register", "case.update", "case.assign", "case.risk_change", "case.step", "case.urgent",
	"consent.record", "consent.withdraw", "consent.override", "consent.override_revoke",
	"consent.exclusion_add", "consent.exclusion_remove", "family.add", "family.update", "family.remove",
	"assessment.record", "assessment.incident", "assessment.medical_referral",
	"plan.save", "plan.submit", "plan.return", "plan.activate", "plan.revise",
	"service.give", "service.safety_plan", "service.fund", "followup.record", "review.record",
	"closure.propose", "closure.return", "closure.approve", "closure.feedback", "closure.reopen", "closure.age_out",
	"incident.record", "mandatory.recommend", "mandatory.decide", "caselink.add", "caselink.added", "caselink.remove",
	"caselink.request", "caselink.requested", "caselink.accept", "caselink.accepted", "caselink.decline",
	"caselink.withdraw", "caselink.withdrawn",
	"referral.share", "referral.accepted", "referral.declined", "referral.provided", "referral.closed",
	"referral.withdrawn", "transfer.request", "transfer.accept", "transfer.decline", "transfer.withdraw",
	"conference.schedule", "conference.record", "conference.sign_off", "conference.close",
	"case.break_glass", "share.family_told",
	"case.mark_duplicate", "case.unmark_duplicate",
}

var timelineShown = func() map[string]bool {
	m := map[string]bool{}
	for _, a := range timelineActions {
		m[a] = true
	}
	return m
}()

// timeline returns the latest things that happened to case id, from its
// audit trail: every change, not the reads.
func (s *Server) timeline(ctx context.Context, tx *store.Tx, id string) ([]timelineItem, error) {
	// Every change is one of timelineActions but a few (the CLI's): a
	// little more than the page shows is enough.
	events, err := tx.CaseChanges(ctx, id, timelineSize+10)
	if err != nil {
		return nil, err
	}
	var out []timelineItem
	var actors []string
	for _, e := range events {
		if !timelineShown[e.Action] {
			continue
		}
		if len(out) == timelineSize {
			break
		}
		out = append(out, timelineItem{At: e.At, Action: e.Action, Actor: e.ActorID})
		actors = append(actors, e.ActorID)
	}
	names, err := tx.UserNames(ctx, actors)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Actor = names[out[i].Actor]
	}
	return out, nil
}

// words puts the timeline in the reader's words once, in Go: the page's
// longest list, where a template method call per value costs the most.
func (p *casePage) words() {
	for i := range p.Timeline {
		it := &p.Timeline[i]
		it.When, it.Label = p.DateTime(it.At), p.T("timeline."+it.Action)
	}
}

type casePage struct {
	Page
	*caseView
	RiskForm struct {
		Level, Reason string
	}
}

// getCase shows the case page. Reading a case is audited; the page is sent
// only once its audit event is durable (the request's read-audit collector).
func (s *Server) getCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadCasePage(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	// Whatever was just done says so, if there is a message for it.
	if done := r.URL.Query().Get("done"); done != "" && rq.L.Has("flash."+done) {
		p.Flash = "flash." + done
	}
	return s.render(w, http.StatusOK, "case", p)
}

// loadCasePage reads the case page of case id and audits the read.
func (s *Server) loadCasePage(ctx context.Context, rq *request, id string) (*casePage, error) {
	var v *caseView
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		v, err = s.loadCaseView(ctx, tx, rq, id)
		if err == nil {
			rq.auditRead(ctx, audit.Event{Action: "case.view", RecordType: "case", RecordID: v.Case.ID,
				CaseID: v.Case.ID, AgencyID: v.Case.AgencyID})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	p := &casePage{Page: s.page(rq, "case.title", ""), caseView: v}
	p.words()
	return p, nil
}

// caseAgain is a formPost.Again that shows the case page of case id again
// with the errors of a small form on it or posted from another page that
// lands on it (risk, urgency, assignment, step), the risk form refilled.
func (s *Server) caseAgain(w http.ResponseWriter, r *http.Request, rq *request, id string) func(errs.Fields, int) error {
	return func(fe errs.Fields, status int) error {
		p, err := s.loadCasePage(r.Context(), rq, id)
		if err != nil {
			return err
		}
		p.Errors = fe
		if r.PostForm != nil {
			p.RiskForm.Level, p.RiskForm.Reason = r.PostForm.Get("risk_level"), r.PostForm.Get("risk_reason")
		}
		return s.render(w, status, "case", p)
	}
}

// registerPage is the registration form, new or edit.
type registerPage struct {
	Page
	Form      cases.Registration
	Edit      bool
	CaseID    string
	Code      string
	Version   int
	Workers   []org.User
	Screening *intake.Screening
	Conflict  *conflictView
	// Duplicates are the possible duplicates of the child being
	// registered: the form is shown again until the user confirms a
	// different child.
	Duplicates []dupView
}

// declineBox is what the "declined" template shows: the box by field Key
// (whose input is Target) that records the person declined to answer it.
type declineBox struct {
	Key, Target, Label string
	Checked            bool
}

// DeclineBox returns the declined box of field key, whose input is target.
func (p *registerPage) DeclineBox(key, target string) declineBox {
	return declineBox{Key: key, Target: target, Label: p.T("form.declined"), Checked: slices.Contains(p.Form.Declined, key)}
}

// registrationForm reads the registration form.
func registrationForm(f *form) cases.Registration {
	return cases.Registration{
		Type: f.str("type"), ScreeningID: f.str("screening_id"), CaseworkerID: f.str("caseworker_id"),
		GivenName: f.str("given_name"), FamilyName: f.str("family_name"), OtherNames: f.str("other_names"),
		DateOfBirth: f.str("date_of_birth"), Age: f.intPtr("age"), AgeEstimated: f.bool("age_estimated"),
		Sex: f.str("sex"), RegisteredOn: f.str("registered_on"), ReferredOn: f.str("referred_on"),
		RegistrationPlace: f.str("registration_place"), Location: f.str("location"), Address: f.str("address"),
		Contact: f.str("contact"), RegistrationNumber: f.str("registration_number"),
		CareStatus: f.str("care_status"), CareArrangement: f.str("care_arrangement"), Source: f.str("source"),
		Concerns: f.list("concerns"), Needs: f.str("needs"), UrgentNeeds: f.str("urgent_needs"),
		Additional: f.str("additional"), Urgent: f.bool("urgent"), RiskLevel: f.str("risk_level"),
		RiskReason: f.str("risk_reason"), Declined: f.list("declined"),
	}
}

// mayRegister refuses the registration form to whoever does not register
// cases (cases.MayRegister).
func (s *Server) mayRegister(rq *request) error { return cases.MayRegister(rq.Actor) }

// getRegister shows the registration form, pre-filled from a screening.
func (s *Server) getRegister(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.mayRegister(rq); err != nil {
		return err
	}
	ctx := r.Context()
	p := registerPage{Page: s.page(rq, "register.title", "register")}
	p.Form.RegisteredOn = s.prof.Today(rq.Now)
	p.Form.Type = "cp"
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Workers, err = cases.Candidates(ctx, tx, rq.Actor, rq.User.AgencyID); err != nil {
			return err
		}
		if sid := r.URL.Query().Get("screening"); sid != "" {
			err = s.prefillFromScreening(ctx, tx, rq, sid, &p)
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "register", &p)
}

// prefillFromScreening fills the registration form from screening sid and
// its identification, and audits the read of the identification.
func (s *Server) prefillFromScreening(ctx context.Context, tx *store.Tx, rq *request, sid string, p *registerPage) error {
	sc, err := tx.Screening(ctx, sid)
	if err != nil || sc.AgencyID != rq.User.AgencyID {
		return errs.E(errs.NotFound, "screening %s", sid)
	}
	p.Screening = sc
	p.Form.ScreeningID, p.Form.Type, p.Form.Age = sc.ID, sc.CaseType, sc.AgeYears
	if sc.IdentificationID != "" {
		ident, err := tx.Identification(ctx, sc.IdentificationID)
		if err != nil {
			return err
		}
		p.Form.GivenName, p.Form.Location, p.Form.Contact = ident.Name, ident.Location, ident.Contact
		p.Form.Sex, p.Form.Concerns, p.Form.Urgent, p.Form.Source = ident.Sex, ident.Concerns, ident.Urgent, ident.Source
		p.Form.ReferredOn = ident.SubmittedAt.In(s.prof.Location()).Format("2006-01-02")
		// The form shows what the identification said about the person: a read.
		rq.auditRead(ctx, audit.Event{Action: "identification.view", RecordType: "identification",
			RecordID: ident.ID, AgencyID: ident.AgencyID})
	}
	return nil
}

// postRegister registers a new case.
func (s *Server) postRegister(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.mayRegister(rq); err != nil {
		return err
	}
	var in cases.Registration
	var c *cases.Case
	var dups []cases.Duplicate
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) (err error) {
			in = registrationForm(f)
			in.DifferentChild = f.bool("different_child")
			c, err = cases.RegisterChecked(ctx, tx, s.db.SearchHasher(), s.prof, rq.Actor, in,
				func() string { return cases.NewCode("C") }, rq.Now)
			if ds, ok := cases.AsDuplicates(err); ok {
				// Nothing is saved: the form comes back with the cases to open.
				dups = ds
				return errs.Field("different_child", "dup.confirm")
			}
			return err
		},
		Next: func() string { return "/cases/" + c.ID + "?done=registered" },
		Again: func(fe errs.Fields, status int) error {
			ctx := r.Context()
			p := registerPage{Page: s.page(rq, "register.title", "register"), Form: in}
			p.Errors = fe
			if len(dups) > 0 {
				var err error
				if p.Duplicates, err = s.duplicateViews(ctx, rq, dups); err != nil {
					return err
				}
			}
			if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
				p.Workers, err = cases.Candidates(ctx, tx, rq.Actor, rq.User.AgencyID)
				if err == nil && in.ScreeningID != "" {
					p.Screening, _ = tx.Screening(ctx, in.ScreeningID)
				}
				return err
			}); err != nil {
				return err
			}
			return s.render(w, status, "register", &p)
		},
	})
}

// getEditCase shows the registration form of an existing case.
func (s *Server) getEditCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	p := registerPage{Page: s.page(rq, "edit.title", ""), Edit: true}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		c, err := cases.Get(ctx, tx, rq.Actor, access.Edit, access.Registration, r.PathValue("id"))
		if err != nil {
			return err
		}
		id, err := tx.Identity(ctx, c.ID)
		if err != nil {
			return err
		}
		p.Form, p.CaseID, p.Code, p.Version = cases.FormOf(c, id, ""), c.ID, c.Code, c.Version
		rq.auditRead(ctx, audit.Event{Action: "case.view", RecordType: "case", RecordID: c.ID,
			CaseID: c.ID, AgencyID: c.AgencyID, Detail: `{"page":"edit"}`})
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "register", &p)
}

// postEditCase saves an edited registration; an edit made on a stale
// version is refused with what changed.
func (s *Server) postEditCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in cases.Registration
	var version int
	var ce *errs.ConflictError
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in, version = registrationForm(f), f.version()
			_, err := cases.UpdateRegistration(ctx, tx, s.prof, rq.Actor, id, version, in, rq.Now)
			errors.As(err, &ce)
			return err
		},
		Next: to("/cases/" + id + "?done=updated"),
		Again: func(fe errs.Fields, status int) error {
			ctx := r.Context()
			p := registerPage{Page: s.page(rq, "edit.title", ""), Edit: true, Form: in, CaseID: id, Version: version}
			p.Errors = fe
			if status == http.StatusConflict {
				var snap cases.Snapshot
				if ce != nil {
					snap, _ = ce.Current.(cases.Snapshot)
				}
				if snap.Case == nil {
					if ce != nil {
						return ce
					}
					return &errs.ConflictError{Record: "case"}
				}
				// The conflict shows the saved record: a read.
				rq.auditRead(ctx, audit.Event{Action: "case.view", RecordType: "case", RecordID: snap.Case.ID,
					CaseID: snap.Case.ID, AgencyID: snap.Case.AgencyID, Detail: `{"page":"conflict"}`})
				cur := cases.FormOf(snap.Case, snap.Identity, "")
				p.Errors = nil
				p.Conflict = s.conflict(ctx, rq, snap.Case.UpdatedBy, snap.Case.UpdatedAt, in, cur)
				p.Version = snap.Case.Version
			}
			s.db.Read(ctx, func(tx *store.Tx) error {
				if c, err := tx.Case(ctx, id); err == nil {
					p.Code = c.Code
				}
				return nil
			})
			return s.render(w, status, "register", &p)
		},
	})
}

// postRisk changes the risk level with a reason.
func (s *Server) postRisk(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := cases.ChangeRisk(ctx, tx, s.prof, rq.Actor, id, f.version(), f.str("risk_level"), f.str("risk_reason"), rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "?done=risk"),
		Again: s.caseAgain(w, r, rq, id),
	})
}

// postUrgent raises or lowers the urgent flag.
func (s *Server) postUrgent(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := cases.SetUrgent(ctx, tx, s.prof, rq.Actor, id, f.version(), f.bool("urgent"), f.str("urgent_needs"), rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "?done=urgent"),
		Again: s.caseAgain(w, r, rq, id),
	})
}

// postAssign changes the primary caseworker.
func (s *Server) postAssign(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := cases.Assign(ctx, tx, rq.Actor, id, f.version(), f.str("caseworker_id"), rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "?done=assigned"),
		Again: s.caseAgain(w, r, rq, id),
	})
}

// postStep sends a case back to assessment or case planning, with a reason.
func (s *Server) postStep(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := cases.MoveStep(ctx, tx, s.prof, rq.Actor, id, f.version(), f.str("step"), f.str("step_reason"), rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "?done=step"),
		Again: s.caseAgain(w, r, rq, id),
	})
}

func (s *Server) apiStep(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Step    string `json:"step"`
		Reason  string `json:"reason"`
		Version int    `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := cases.MoveStep(ctx, tx, s.prof, rq.Actor, id, in.Version, in.Step, in.Reason, rq.Now)
		return apiFieldNames(err, func(f string) string {
			if f == "step_reason" {
				return "reason"
			}
			return f
		})
	}, s.caseReply(w, r, rq, http.StatusOK))
}
