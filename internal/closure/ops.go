package closure

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// maxLong caps free text, in bytes.
const maxLong = 4000

// ProposeInput is the closure proposal form.
type ProposeInput struct {
	Reason        string   `json:"closure_reason"`
	Confirmations []string `json:"confirmations"`
	Explanation   string   `json:"explanation"`
}

// FeedbackInput is the post-closure follow-up and feedback survey form.
type FeedbackInput struct {
	Answers      map[string]string `json:"answers"`
	ChildSafe    string            `json:"child_safe"`
	Comments     string            `json:"feedback_comments"`
	FollowedUpOn string            `json:"followed_up_on"`
}

// checkVersion refuses an operation on a stale version of case c.
func checkVersion(ctx context.Context, tx Tx, c *cases.Case, version int) error {
	if c.Version == version {
		return nil
	}
	id, err := tx.Identity(ctx, c.ID)
	if err != nil {
		return err
	}
	return &errs.ConflictError{Record: "case", Version: c.Version, Current: cases.Snapshot{Case: c, Identity: id}}
}

func record(ctx context.Context, tx Tx, a access.Actor, c *cases.Case, action, recordID string, detail map[string]any, now time.Time) error {
	d, _ := json.Marshal(detail)
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: action,
		RecordType: "closure", RecordID: recordID, CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(d)})
}

// validate checks a proposal for case c against the profile; lastContact is
// the day the person was last seen (GBV no-contact closures).
func (in *ProposeInput) validate(p *profile.Profile, c *cases.Case, lastContact string, now time.Time) errs.Fields {
	var f errs.Fields
	in.Reason, in.Explanation = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Explanation)
	var reason *profile.Option
	for _, o := range p.ClosureReasons {
		if o.Key == in.Reason && allowed(o, c.Type) {
			reason = &o
		}
	}
	if reason == nil {
		f.Add("closure_reason", "err.choose")
		in.Reason = ""
	}
	seen := map[string]bool{}
	var confs []string
	for _, x := range in.Confirmations {
		if !slices.Contains(Confirmations, x) {
			f.Add("confirmations", "err.choose")
			break
		}
		if !seen[x] {
			seen[x] = true
			confs = append(confs, x)
		}
	}
	in.Confirmations = nil
	if len(in.Explanation) > maxLong {
		f.Add("explanation", "err.too_long", maxLong)
	}
	switch in.Reason {
	case ObjectivesMet:
		// Ideally closure comes when all three hold (L4492-4497).
		if len(confs) != len(Confirmations) {
			f.Add("confirmations", "err.closure_confirmations")
		}
		in.Confirmations = confs
	case Declined:
		if in.Explanation == "" {
			f.Add("explanation", "err.closure_declined_note")
		}
	case LeftArea:
		if in.Explanation == "" {
			f.Add("explanation", "err.closure_transfer_why")
		}
	case NoContact:
		last, err := time.ParseInLocation(time.DateOnly, lastContact, p.Location())
		if err != nil {
			last = c.RegisteredAt
		}
		if since := now.Sub(last); since < p.NoContactClosure.D() {
			f.Add("closure_reason", "err.closure_no_contact", int(since/(24*time.Hour)),
				int(p.NoContactClosure.D()/(24*time.Hour)))
		}
	}
	return f
}

// LastContact returns the day case c last saw the person: the latest
// follow-up that saw them, or else the registration date.
func LastContact(ctx context.Context, tx Tx, c *cases.Case) (string, error) {
	last, err := tx.LastSeenOn(ctx, c.ID)
	if err != nil {
		return "", err
	}
	if last < c.RegisteredOn {
		last = c.RegisteredOn
	}
	return last, nil
}

// Propose records the closure proposal in on case caseID (read at version)
// by its caseworker. The completeness check is stored with it; the case moves
// to the closure step and each supervisor of the team gets an approval task
// and a notification. Only one proposal waits at a time.
func Propose(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, version int, in ProposeInput, now time.Time) (*Closure, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Closure, caseID)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	cs, err := tx.Closures(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if Pending(cs) != nil {
		return nil, errs.Field("closure", "err.closure_pending")
	}
	last := ""
	if in.Reason == NoContact {
		if last, err = LastContact(ctx, tx, c); err != nil {
			return nil, err
		}
	}
	if f := in.validate(p, c, last, now); len(f) > 0 {
		return nil, f
	}
	gaps, err := Check(ctx, tx, p, c, now)
	if err != nil {
		return nil, err
	}
	cl := &Closure{CaseID: c.ID, Status: Proposed, Reason: in.Reason, Confirmations: in.Confirmations,
		Explanation: in.Explanation, Gaps: gaps, ProposedBy: a.UserID, ProposedAt: now}
	if err := tx.InsertClosure(ctx, cl); err != nil {
		return nil, err
	}
	if err := cases.SetStep(ctx, tx, c, cases.StepClosure, "closure proposed", a.UserID, now); err != nil {
		return nil, err
	}
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	// Closure is discussed with the supervisor first, to avoid a premature
	// closure (L4525-4532).
	if err := cases.SupervisorTask(ctx, tx, p, c, deadline.ClosureApproval, notify.ClosureProposed, a.UserID, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	keys := []string{}
	for _, g := range gaps {
		keys = append(keys, g.Key)
	}
	return cl, record(ctx, tx, a, c, "closure.propose", cl.ID, map[string]any{"reason": cl.Reason, "gaps": keys}, now)
}

// pending loads case c's proposal waiting for a decision.
func pending(ctx context.Context, tx Tx, c *cases.Case) (*Closure, error) {
	cs, err := tx.Closures(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	cl := Pending(cs)
	if cl == nil {
		return nil, errs.Field("closure", "err.closure_none_pending")
	}
	return cl, nil
}

// stepBefore returns the step case c was at before its closure was
// proposed, from the step history; implementation when the history does
// not say.
func stepBefore(ctx context.Context, tx Tx, c *cases.Case) (string, error) {
	hist, err := tx.StepHistory(ctx, c.ID)
	if err != nil {
		return "", err
	}
	for _, s := range hist { // newest first
		if s.To == cases.StepClosure {
			if s.From != "" && s.From != cases.StepClosure {
				return s.From, nil
			}
			break
		}
	}
	return cases.StepImplementation, nil
}

// Return sends the closure proposal of case caseID (read at version) back
// to the caseworker with the actions required before the case can close.
// Only the case's supervisor returns a proposal. The case goes back to the
// step it was at before.
func Return(ctx context.Context, tx Tx, a access.Actor, caseID string, version int, requiredActions string, now time.Time) (*Closure, error) {
	c, err := cases.Get(ctx, tx, a, access.Approve, access.Closure, caseID)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	cl, err := pending(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	requiredActions = strings.TrimSpace(requiredActions)
	if requiredActions == "" || len(requiredActions) > maxLong {
		return nil, errs.Field("required_actions", "err.required_actions")
	}
	cl.Status, cl.DecidedBy, cl.DecidedAt, cl.RequiredActions = Returned, a.UserID, now, requiredActions
	if err := tx.UpdateClosure(ctx, cl); err != nil {
		return nil, err
	}
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.ClosureApproval, a.UserID, now); err != nil {
		return nil, err
	}
	back, err := stepBefore(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	if err := cases.SetStep(ctx, tx, c, back, "closure returned", a.UserID, now); err != nil {
		return nil, err
	}
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	if err := notify.Send(ctx, tx, []string{c.CaseworkerID}, notify.ClosureReturned, c.ID, a.UserID, now); err != nil {
		return nil, err
	}
	return cl, record(ctx, tx, a, c, "closure.return", cl.ID, map[string]any{"to_step": back}, now)
}

// Designee reports whether user u may run the post-closure follow-up of
// case c: an active member of the case's agency who works on cases, and
// never the case's own caseworker (L4551-4552).
func Designee(u *org.User, c *cases.Case) bool {
	return u.Active() && u.AgencyID == c.AgencyID && u.ID != c.CaseworkerID &&
		(u.Role == org.Supervisor || u.Role == org.Manager || u.Role == org.Caseworker)
}

// Approve closes case caseID (read at version) on its pending proposal.
// Only the supervisor closes a case. followUpBy runs the post-closure
// follow-up (the approving supervisor when empty); it is never the case's
// caseworker. The case's open deadlines end; a post-closure follow-up is
// due within the profile's window.
func Approve(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, version int, followUpBy string, now time.Time) (*Closure, error) {
	c, err := cases.Get(ctx, tx, a, access.Approve, access.Closure, caseID)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	cl, err := pending(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	followUpBy = strings.TrimSpace(followUpBy)
	if followUpBy == "" {
		followUpBy = a.UserID
	}
	if followUpBy == c.CaseworkerID {
		return nil, errs.Field("follow_up_by", "err.follow_up_caseworker")
	}
	u, err := tx.User(ctx, followUpBy)
	if err != nil || !Designee(u, c) {
		return nil, errs.Field("follow_up_by", "err.follow_up_by")
	}
	// Information shared under a consent override must have been explained
	// to the family before the file closes (the task cannot be done after).
	open, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range open {
		if d.Kind == deadline.TellFamily && d.Open() {
			return nil, errs.Field("closure", "err.tell_family_first")
		}
	}
	cl.Status, cl.DecidedBy, cl.DecidedAt, cl.FollowUpBy = Approved, a.UserID, now, followUpBy
	if err := tx.UpdateClosure(ctx, cl); err != nil {
		return nil, err
	}
	c.Status, c.ClosedAt, c.ClosureReason, c.FollowUpBy = cases.Closed, now, cl.Reason, followUpBy
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		switch {
		case !d.Open():
		case d.Kind == deadline.ClosureApproval:
			d.DoneAt, d.DoneBy = now, a.UserID
			err = tx.UpdateDeadline(ctx, &d)
		default:
			// The file is closed: nothing else is due on it.
			err = tx.DeleteDeadline(ctx, d.ID)
		}
		if err != nil {
			return nil, err
		}
	}
	// A follow-up within the window of closure, with the feedback survey (L4549-4552).
	if err := cases.AddDeadline(ctx, tx, p, c, deadline.PostClosure, now, followUpBy, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	if err := notify.Send(ctx, tx, []string{followUpBy}, notify.PostClosure, c.ID, a.UserID, now); err != nil {
		return nil, err
	}
	if err := notify.Send(ctx, tx, []string{c.CaseworkerID}, notify.ClosureApproved, c.ID, a.UserID, now); err != nil {
		return nil, err
	}
	return cl, record(ctx, tx, a, c, "closure.approve", cl.ID, map[string]any{"reason": cl.Reason, "follow_up_by": followUpBy}, now)
}

// RecordFeedback records the post-closure follow-up of closed case caseID with
// its feedback survey. The supervisor or the designee runs it, never the
// case's own caseworker. It completes the post-closure task.
func RecordFeedback(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, in FeedbackInput, now time.Time) (*Feedback, error) {
	c, err := cases.Get(ctx, tx, a, access.Feedback, access.Closure, caseID)
	if err != nil {
		return nil, err
	}
	var f errs.Fields
	answers := map[string]string{}
	for _, q := range p.FeedbackQuestions {
		v := strings.TrimSpace(in.Answers[q.Key])
		if !slices.Contains(Answers, v) {
			f.Add("answers."+q.Key, "err.choose")
			continue
		}
		answers[q.Key] = v
	}
	for k := range in.Answers {
		if !profile.Has(p.FeedbackQuestions, k) {
			f.Add("answers", "err.feedback_question")
			break
		}
	}
	in.Comments, in.FollowedUpOn = strings.TrimSpace(in.Comments), strings.TrimSpace(in.FollowedUpOn)
	if !slices.Contains(SafetyValues, in.ChildSafe) {
		f.Add("child_safe", "err.choose")
	}
	if len(in.Comments) > maxLong {
		f.Add("feedback_comments", "err.too_long", maxLong)
	} else if in.ChildSafe == Concerns && in.Comments == "" {
		f.Add("feedback_comments", "err.feedback_concerns")
	}
	today := p.Today(now)
	if in.FollowedUpOn == "" {
		in.FollowedUpOn = today
	}
	if _, err := time.Parse(time.DateOnly, in.FollowedUpOn); err != nil {
		f.Add("followed_up_on", "err.date")
	} else if in.FollowedUpOn > today {
		f.Add("followed_up_on", "err.future")
	} else if in.FollowedUpOn < p.Today(c.ClosedAt) {
		f.Add("followed_up_on", "err.feedback_before_closure")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	cs, err := tx.Closures(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	fb := &Feedback{CaseID: c.ID, Answers: answers, ChildSafe: in.ChildSafe, Comments: in.Comments,
		RecordedBy: a.UserID, RecordedOn: in.FollowedUpOn, CreatedAt: now}
	for _, x := range cs {
		if x.Status == Approved {
			fb.ClosureID = x.ID
			break
		}
	}
	if err := tx.InsertFeedback(ctx, fb); err != nil {
		return nil, err
	}
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.PostClosure, a.UserID, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	// Concerns after closure are for the supervisor to weigh: reopen or not.
	if fb.ChildSafe == Concerns {
		if err := notify.Supervisors(ctx, tx, c.TeamID, notify.ClosedConcerns, c.ID, a.UserID, now); err != nil {
			return nil, err
		}
	}
	return fb, record(ctx, tx, a, c, "closure.feedback", fb.ID, map[string]any{"answers": len(answers)}, now)
}

// Reopen reopens closed case caseID (read at version) with a reason. The
// case needs a new assessment (its deadline runs from now) and consent
// confirmed again: consent recorded before today no longer counts. The
// supervisors are told.
func Reopen(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, version int, reason string, now time.Time) (*cases.Case, error) {
	c, err := cases.Get(ctx, tx, a, access.Reopen, access.Closure, caseID)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	if c.Void() {
		// Undone where it was marked (cases.UnmarkVoid), which restores its tasks.
		return nil, errs.Field("reopen_reason", "err.void_reopen")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > maxLong {
		return nil, errs.Field("reopen_reason", "err.reopen_reason")
	}
	id, err := tx.Identity(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	c.Status, c.ClosedAt, c.ClosureReason, c.FollowUpBy = cases.Open, time.Time{}, "", ""
	c.Reopened++
	c.ConsentSince = p.Today(now)
	if err := cases.SetStep(ctx, tx, c, cases.StepAssessment, reason, a.UserID, now); err != nil {
		return nil, err
	}
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		// The case is active again: its caseworker follows it, not a post-closure visit.
		if d.Open() && d.Kind == deadline.PostClosure {
			if err := tx.DeleteDeadline(ctx, d.ID); err != nil {
				return nil, err
			}
		}
	}
	if err := cases.AddDeadline(ctx, tx, p, c, deadline.Assessment, now, c.CaseworkerID, now); err != nil {
		return nil, err
	}
	if err := cases.SyncAgeOut(ctx, tx, p, c, id, now); err != nil {
		return nil, err
	}
	ro := &Reopening{CaseID: c.ID, Reason: reason, ReopenedBy: a.UserID, ReopenedAt: now}
	if err := tx.InsertReopening(ctx, ro); err != nil {
		return nil, err
	}
	if err := notify.Supervisors(ctx, tx, c.TeamID, notify.Reopened, c.ID, a.UserID, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	return c, record(ctx, tx, a, c, "closure.reopen", ro.ID, map[string]any{"reopened": c.Reopened}, now)
}
