package closure_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

func TestReturn(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, sup := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		if _, err := returnIt(db, sup, c.ID, "see her once more", now); !cmp.Equal(fieldCodes(err), []string{"closure=err.closure_none_pending"}) {
			t.Errorf("return with nothing proposed: %v", err)
		}
		if _, err := propose(db, cw, c.ID, objectivesMet, now); err != nil {
			t.Fatal(err)
		}
		for name, x := range map[string]struct {
			a    access.Actor
			want errs.Kind
		}{
			"the caseworker":              {cw, errs.Forbidden},
			"the manager":                 {fixture.Actor(o.Manager), errs.Forbidden},
			"another team's supervisor":   {fixture.Actor(o.SupervisorB), errs.NotFound},
			"another agency's supervisor": {fixture.Actor(o.OtherSupervisor), errs.NotFound},
		} {
			if _, err := returnIt(db, x.a, c.ID, "see her once more", now); errs.KindOf(err) != x.want {
				t.Errorf("return by %s: %s, want kind %d", name, kindOf(err), x.want)
			}
		}
		if _, err := returnIt(db, sup, c.ID, " ", now); !cmp.Equal(fieldCodes(err), []string{"required_actions=err.required_actions"}) {
			t.Errorf("return without required actions: %v", err)
		}
		at := now.Add(time.Hour)
		cl, err := returnIt(db, sup, c.ID, "Visit the school first.", at)
		if err != nil {
			t.Fatal(err)
		}
		if cl.Status != closure.Returned || cl.RequiredActions != "Visit the school first." || cl.DecidedBy != o.Supervisor.ID {
			t.Errorf("returned proposal %+v", cl)
		}
		got := caseNow(t, db, c.ID)
		if got.Step != cases.StepAssessment || !got.IsOpen() {
			t.Errorf("after return: step %s status %s, want back at assessment and open", got.Step, got.Status)
		}
		ds := deadlines(t, db, c.ID)
		if n := len(open(ds, deadline.ClosureApproval)); n != 0 {
			t.Errorf("%d approval tasks still open", n)
		}
		if !hasKind(notices(t, db, o.Caseworker, c.ID), notify.ClosureReturned) {
			t.Error("the caseworker was not told")
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			hist, err := tx.StepHistory(ctx, c.ID)
			if hist[0].From != cases.StepClosure || hist[0].To != cases.StepAssessment {
				t.Errorf("step history starts %+v", hist[0])
			}
			return err
		})
		// With the actions done, the caseworker proposes again.
		if _, err := propose(db, cw, c.ID, objectivesMet, at); err != nil {
			t.Errorf("a new proposal after a return: %v", err)
		}
	})
}

func TestApprove(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, sup := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		if _, err := approve(db, sup, c.ID, "", now); !cmp.Equal(fieldCodes(err), []string{"closure=err.closure_none_pending"}) {
			t.Errorf("approve with nothing proposed: %v", err)
		}
		if _, err := propose(db, cw, c.ID, objectivesMet, now); err != nil {
			t.Fatal(err)
		}
		// Only a supervisor closes a case (L4529).
		for name, x := range map[string]struct {
			a    access.Actor
			want errs.Kind
		}{
			"the caseworker":              {cw, errs.Forbidden},
			"the manager":                 {fixture.Actor(o.Manager), errs.Forbidden},
			"a colleague caseworker":      {fixture.Actor(o.Caseworker2), errs.NotFound},
			"another team's supervisor":   {fixture.Actor(o.SupervisorB), errs.NotFound},
			"the data protection officer": {fixture.Actor(o.DPOfficer), errs.NotFound},
		} {
			_, err := approve(db, x.a, c.ID, o.Supervisor.ID, now)
			if errs.KindOf(err) != x.want {
				t.Errorf("approve by %s: %s, want kind %d", name, kindOf(err), x.want)
			}
		}
		var de *errs.DeniedError
		if _, err := approve(db, cw, c.ID, o.Supervisor.ID, now); !errors.As(err, &de) {
			t.Errorf("approve by the caseworker: %v, want a denial", err)
		}
		// The follow-up is never the caseworker's (L4551-4552).
		for name, x := range map[string]struct {
			id   string
			want string
		}{
			"the case's caseworker":     {o.Caseworker.ID, "follow_up_by=err.follow_up_caseworker"},
			"someone of another agency": {o.OtherSupervisor.ID, "follow_up_by=err.follow_up_by"},
			"a volunteer":               {o.Volunteer.ID, "follow_up_by=err.follow_up_by"},
			"an administrator":          {o.AgencyAdmin.ID, "follow_up_by=err.follow_up_by"},
			"nobody":                    {"0190a4f0-0000-7000-8000-000000000000", "follow_up_by=err.follow_up_by"},
		} {
			if _, err := approve(db, sup, c.ID, x.id, now); !cmp.Equal(fieldCodes(err), []string{x.want}) {
				t.Errorf("designee %s: %v, want %s", name, err, x.want)
			}
		}
		if got := caseNow(t, db, c.ID); !got.IsOpen() {
			t.Fatal("a refused approval closed the case")
		}
		at := now.Add(3 * time.Hour)
		cl, err := approve(db, sup, c.ID, o.Caseworker2.ID, at)
		if err != nil {
			t.Fatal(err)
		}
		if cl.Status != closure.Approved || cl.FollowUpBy != o.Caseworker2.ID || cl.DecidedBy != o.Supervisor.ID {
			t.Errorf("approved closure %+v", cl)
		}
		got := caseNow(t, db, c.ID)
		if got.Status != cases.Closed || !got.ClosedAt.Equal(at) || got.ClosureReason != closure.ObjectivesMet ||
			got.FollowUpBy != o.Caseworker2.ID {
			t.Errorf("closed case: status %s closed %v reason %q follow-up %q", got.Status, got.ClosedAt, got.ClosureReason, got.FollowUpBy)
		}
		// Nothing is due on a closed file but its post-closure follow-up,
		// within the window, assigned to the designee.
		var openKinds []deadline.Kind
		for _, d := range deadlines(t, db, c.ID) {
			if d.Open() {
				openKinds = append(openKinds, d.Kind)
				if d.AssigneeID != o.Caseworker2.ID || !d.DueAt.Equal(at.Add(prof.PostClosureFollowUp.D())) {
					t.Errorf("post-closure task %+v, want the designee's, due %v", d, at.Add(prof.PostClosureFollowUp.D()))
				}
			} else if d.Kind == deadline.ClosureApproval && !d.DoneAt.Equal(at) {
				t.Errorf("approval task done at %v, want %v", d.DoneAt, at)
			}
		}
		if diff := cmp.Diff([]deadline.Kind{deadline.PostClosure}, openKinds); diff != "" {
			t.Errorf("open tasks (-want +got):\n%s", diff)
		}
		if due := caseNow(t, db, c.ID).NextDueAt; !due.Equal(at.Add(prof.PostClosureFollowUp.D())) {
			t.Errorf("next due %v", due)
		}
		if !hasKind(notices(t, db, o.Caseworker2, c.ID), notify.PostClosure) {
			t.Error("the designee was not told")
		}
		if !hasKind(notices(t, db, o.Caseworker, c.ID), notify.ClosureApproved) {
			t.Error("the caseworker was not told")
		}
		if _, err := approve(db, sup, c.ID, "", at); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("approve a closed case again: %s", kindOf(err))
		}

		// Without a designee the supervisor does the follow-up.
		c2 := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		if _, err := propose(db, cw, c2.ID, closure.ProposeInput{Reason: closure.Death}, now); err != nil {
			t.Fatal(err)
		}
		if _, err := approve(db, sup, c2.ID, "", now); err != nil {
			t.Fatal(err)
		}
		if got := caseNow(t, db, c2.ID); got.FollowUpBy != o.Supervisor.ID || got.ClosureReason != closure.Death {
			t.Errorf("follow-up by %q, reason %q", got.FollowUpBy, got.ClosureReason)
		}
	})
}

func TestFeedback(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, sup, designee := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor), fixture.Actor(o.Caseworker2)
		openCase := fixture.Register(t, db, cw, fixture.Registration(profile.CP), now)
		if _, err := feedback(db, sup, openCase.ID, goodFeedback(), now); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("feedback on an open case: %s", kindOf(err))
		}
		c := closed(t, db, o, o.Caseworker2)
		at := now.Add(30 * day)
		// Never the case's own caseworker; the supervisor only when not
		// someone else's task; nobody outside.
		for name, x := range map[string]struct {
			a    access.Actor
			want errs.Kind
		}{
			"the case's caseworker":                             {cw, errs.Forbidden},
			"the supervisor, when the designee is someone else": {sup, errs.Forbidden},
			"the manager":                 {fixture.Actor(o.Manager), errs.Forbidden},
			"another team's caseworker":   {fixture.Actor(o.CaseworkerB), errs.NotFound},
			"another agency's caseworker": {fixture.Actor(o.OtherCaseworker), errs.NotFound},
		} {
			if _, err := feedback(db, x.a, c.ID, goodFeedback(), at); errs.KindOf(err) != x.want {
				t.Errorf("feedback by %s: %s, want kind %d", name, kindOf(err), x.want)
			}
		}
		tests := []struct {
			name   string
			change func(in *closure.FeedbackInput)
			want   []string
		}{
			{"a question unanswered", func(in *closure.FeedbackInput) { delete(in.Answers, "listened") }, []string{"answers.listened=err.choose"}},
			{"a wrong answer", func(in *closure.FeedbackInput) { in.Answers["safer"] = "maybe" }, []string{"answers.safer=err.choose"}},
			{"an unknown question", func(in *closure.FeedbackInput) { in.Answers["food"] = "yes" }, []string{"answers=err.feedback_question"}},
			{"no safety check", func(in *closure.FeedbackInput) { in.ChildSafe = "" }, []string{"child_safe=err.choose"}},
			{"concerns without saying which", func(in *closure.FeedbackInput) { in.ChildSafe = closure.Concerns },
				[]string{"feedback_comments=err.feedback_concerns"}},
			{"comments too long", func(in *closure.FeedbackInput) { in.Comments = strings.Repeat("c", 4001) }, []string{"feedback_comments=err.too_long"}},
			{"in the future", func(in *closure.FeedbackInput) { in.FollowedUpOn = "2025-04-10" }, []string{"followed_up_on=err.future"}},
			{"before the closure", func(in *closure.FeedbackInput) { in.FollowedUpOn = "2025-03-09" }, []string{"followed_up_on=err.feedback_before_closure"}},
			{"not a date", func(in *closure.FeedbackInput) { in.FollowedUpOn = "soon" }, []string{"followed_up_on=err.date"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := goodFeedback()
				tt.change(&in)
				_, err := feedback(db, designee, c.ID, in, at)
				if diff := cmp.Diff(tt.want, fieldCodes(err)); diff != "" {
					t.Errorf("err %v (-want +got):\n%s", err, diff)
				}
			})
		}
		in := goodFeedback()
		in.Answers["recommend"] = closure.NotApplicable
		in.ChildSafe, in.Comments, in.FollowedUpOn = closure.Concerns, "Her uncle is back in the house.", "2025-04-08"
		fb, err := feedback(db, designee, c.ID, in, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(open(deadlines(t, db, c.ID), deadline.PostClosure)) != 0 {
			t.Error("the post-closure task is still open")
		}
		// Concerns go to the supervisor, who decides whether to reopen.
		if !hasKind(notices(t, db, o.Supervisor, c.ID), notify.ClosedConcerns) {
			t.Error("the supervisor was not told of the concerns after closure")
		}
		if hasKind(notices(t, db, o.Caseworker, c.ID), notify.ClosedConcerns) {
			t.Error("the closed case's caseworker was told of the concerns")
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			fs, err := tx.Feedbacks(ctx, c.ID)
			if err != nil {
				return err
			}
			cs, _ := tx.Closures(ctx, c.ID)
			if len(fs) != 1 || fs[0].ID != fb.ID || fs[0].ClosureID != cs[0].ID || fs[0].RecordedOn != "2025-04-08" ||
				fs[0].ChildSafe != closure.Concerns || fs[0].Comments != in.Comments || fs[0].RecordedBy != o.Caseworker2.ID {
				t.Errorf("stored feedback %+v", fs)
			}
			if diff := cmp.Diff(in.Answers, fs[0].Answers); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
			return nil
		})
		if got := caseNow(t, db, c.ID); got.Status != cases.Closed {
			t.Error("feedback changed the case's status")
		}

		// When the supervisor is the designee, the supervisor runs it.
		c2 := closed(t, db, o, o.Supervisor)
		if _, err := feedback(db, sup, c2.ID, goodFeedback(), at); err != nil {
			t.Errorf("feedback by the supervisor who is the designee: %v", err)
		}
		if hasKind(notices(t, db, o.Supervisor, c2.ID), notify.ClosedConcerns) {
			t.Error("feedback without concerns notified the supervisor")
		}
	})
}

func TestReopen(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, sup := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor)
		r := fixture.Registration(profile.CP)
		r.DateOfBirth, r.Age = "2010-06-01", nil // 14 at registration: turns 18 on 1 June 2028
		c := fixture.Register(t, db, cw, r, now)
		fixture.In(t, db, func(tx *store.Tx) error {
			for _, x := range []struct{ giver, kind string }{{"self", "assent"}, {"caregiver", "consent"}} {
				if err := tx.InsertConsent(ctx, consentRecord(c.ID, "collect_store", x.giver, x.kind, "2025-03-10", o.Caseworker.ID)); err != nil {
					return err
				}
			}
			return nil
		})
		gate := func(at time.Time) error {
			var err error
			fixture.Read(t, db, func(tx *store.Tx) error {
				c, _ := tx.Case(ctx, c.ID)
				err = gateOf(ctx, tx, c, at)
				return nil
			})
			return err
		}
		if err := gate(now); err != nil {
			t.Fatalf("consent before closure: %v", err)
		}
		if _, err := reopen(db, cw, c.ID, "she came back", now); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("reopen an open case: %s", kindOf(err))
		}
		c = closeCase(t, db, o, c.ID, o.Caseworker2)
		at := now.Add(40 * day)
		for name, x := range map[string]struct {
			a    access.Actor
			want errs.Kind
		}{
			"the manager":                 {fixture.Actor(o.Manager), errs.Forbidden},
			"the designee":                {fixture.Actor(o.Caseworker2), errs.Forbidden},
			"another team's supervisor":   {fixture.Actor(o.SupervisorB), errs.NotFound},
			"the data protection officer": {fixture.Actor(o.DPOfficer), errs.NotFound},
		} {
			if _, err := reopen(db, x.a, c.ID, "she came back", at); errs.KindOf(err) != x.want {
				t.Errorf("reopen by %s: %s, want kind %d", name, kindOf(err), x.want)
			}
		}
		if _, err := reopen(db, cw, c.ID, "  ", at); !cmp.Equal(fieldCodes(err), []string{"reopen_reason=err.reopen_reason"}) {
			t.Errorf("reopen without a reason: %v", err)
		}
		got, err := reopen(db, cw, c.ID, "She came back to the office: her uncle is back.", at)
		if err != nil {
			t.Fatal(err)
		}
		got = caseNow(t, db, got.ID)
		if got.Status != cases.Open || got.Reopened != 1 || !got.ClosedAt.IsZero() || got.ClosureReason != "" ||
			got.FollowUpBy != "" || got.ConsentSince != "2025-04-19" || got.Step != cases.StepAssessment {
			t.Errorf("reopened case: status %s reopened %d closed %v reason %q follow-up %q consent since %q step %s",
				got.Status, got.Reopened, got.ClosedAt, got.ClosureReason, got.FollowUpBy, got.ConsentSince, got.Step)
		}
		// Consent from before the reopening no longer counts.
		if err := gate(at); !cmp.Equal(fieldCodes(err), []string{"consent=err.consent_gate"}) {
			t.Errorf("the gate after reopening: %v, want it closed", err)
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			for _, x := range []struct{ giver, kind string }{{"self", "assent"}, {"caregiver", "consent"}} {
				if err := tx.InsertConsent(ctx, consentRecord(c.ID, "collect_store", x.giver, x.kind, "2025-04-19", o.Caseworker.ID)); err != nil {
					return err
				}
			}
			return nil
		})
		if err := gate(at); err != nil {
			t.Errorf("the gate after consent was confirmed again: %v", err)
		}
		ds := deadlines(t, db, c.ID)
		as := open(ds, deadline.Assessment)
		if len(as) != 1 || !as[0].DueAt.Equal(at.Add(7*day)) || as[0].AssigneeID != o.Caseworker.ID {
			t.Errorf("assessment tasks %+v, want one due a week from the reopening (medium risk)", as)
		}
		if n := len(open(ds, deadline.PostClosure)); n != 0 {
			t.Errorf("%d post-closure tasks still open after reopening", n)
		}
		adult := time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC)
		if ao := open(ds, deadline.AgeOut); len(ao) != 1 || !ao[0].DueAt.Equal(adult.Add(-prof.AgeOutAlert.D())) {
			t.Errorf("age-out tasks %+v, want one again", ao)
		}
		if !hasKind(notices(t, db, o.Supervisor, c.ID), notify.Reopened) {
			t.Error("the supervisor was not told")
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			ros, err := tx.Reopenings(ctx, c.ID)
			if len(ros) != 1 || ros[0].ReopenedBy != o.Caseworker.ID || !ros[0].ReopenedAt.Equal(at) || ros[0].Reason == "" {
				t.Errorf("reopenings %+v", ros)
			}
			return err
		})
		// The supervisor may reopen too; the cycle runs again.
		if _, err := propose(db, cw, c.ID, closure.ProposeInput{Reason: closure.Death}, at); err != nil {
			t.Fatal(err)
		}
		if _, err := approve(db, sup, c.ID, "", at); err != nil {
			t.Fatal(err)
		}
		if got, err := reopen(db, sup, c.ID, "a mistake in the file", at.Add(day)); err != nil || got.Reopened != 2 {
			t.Errorf("second reopening by the supervisor: %v", err)
		}
	})
}
