package closure_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

var (
	ctx  = context.Background()
	now  = fixture.Now
	prof = profile.Default()
	day  = 24 * time.Hour
)

// fieldCodes lists err's field errors as field=code, sorted.
func fieldCodes(err error) []string {
	fe, _ := errs.AsFields(err)
	var out []string
	for _, f := range fe {
		out = append(out, f.Field+"="+f.Msg)
	}
	sort.Strings(out)
	return out
}

// kindOf names the error kind of a refusal, for messages.
func kindOf(err error) string {
	switch errs.KindOf(err) {
	case errs.Forbidden:
		return "forbidden"
	case errs.NotFound:
		return "not found"
	case errs.Invalid:
		return "invalid"
	case errs.Conflict:
		return "conflict"
	case errs.Other:
		if err == nil {
			return "allowed"
		}
	}
	return "other: " + err.Error()
}

// objectivesMet is a proposal with the three confirmations.
var objectivesMet = closure.ProposeInput{Reason: closure.ObjectivesMet, Confirmations: closure.Confirmations}

func caseNow(t *testing.T, db *store.DB, id string) *cases.Case {
	t.Helper()
	var c *cases.Case
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		c, err = tx.Case(ctx, id)
		return err
	})
	return c
}

func propose(db *store.DB, a access.Actor, id string, in closure.ProposeInput, at time.Time) (*closure.Closure, error) {
	var cl *closure.Closure
	err := db.Tx(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		cl, err = closure.Propose(ctx, tx, prof, a, id, c.Version, in, at)
		return err
	})
	return cl, err
}

func returnIt(db *store.DB, a access.Actor, id, actions string, at time.Time) (*closure.Closure, error) {
	var cl *closure.Closure
	err := db.Tx(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		cl, err = closure.Return(ctx, tx, a, id, c.Version, actions, at)
		return err
	})
	return cl, err
}

func approve(db *store.DB, a access.Actor, id, followUpBy string, at time.Time) (*closure.Closure, error) {
	var cl *closure.Closure
	err := db.Tx(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		cl, err = closure.Approve(ctx, tx, prof, a, id, c.Version, followUpBy, at)
		return err
	})
	return cl, err
}

func feedback(db *store.DB, a access.Actor, id string, in closure.FeedbackInput, at time.Time) (*closure.Feedback, error) {
	var fb *closure.Feedback
	err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		fb, err = closure.RecordFeedback(ctx, tx, prof, a, id, in, at)
		return err
	})
	return fb, err
}

func reopen(db *store.DB, a access.Actor, id, reason string, at time.Time) (*cases.Case, error) {
	var c *cases.Case
	err := db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		c, err = closure.Reopen(ctx, tx, prof, a, id, cur.Version, reason, at)
		return err
	})
	return c, err
}

func ageOut(db *store.DB, a access.Actor, id, pathway, note string, at time.Time) (*cases.Case, error) {
	var c *cases.Case
	err := db.Tx(ctx, func(tx *store.Tx) error {
		cur, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		c, err = closure.RecordAgeOut(ctx, tx, prof, a, id, cur.Version, pathway, note, at)
		return err
	})
	return c, err
}

// closed registers a CP case by o's caseworker at now and closes it with
// followUpBy doing the post-closure follow-up.
func closed(t *testing.T, db *store.DB, o *fixture.Org, followUpBy *org.User) *cases.Case {
	t.Helper()
	c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), now)
	return closeCase(t, db, o, c.ID, followUpBy)
}

// closeCase has o's caseworker propose closing case id at now and the
// supervisor approve it with followUpBy doing the follow-up.
func closeCase(t *testing.T, db *store.DB, o *fixture.Org, id string, followUpBy *org.User) *cases.Case {
	t.Helper()
	if _, err := propose(db, fixture.Actor(o.Caseworker), id, objectivesMet, now); err != nil {
		t.Fatal(err)
	}
	if _, err := approve(db, fixture.Actor(o.Supervisor), id, followUpBy.ID, now); err != nil {
		t.Fatal(err)
	}
	return caseNow(t, db, id)
}

// gateOf is the consent gate of case c at at.
func gateOf(ctx context.Context, tx *store.Tx, c *cases.Case, at time.Time) error {
	return consent.Gate(ctx, tx, prof, c, at)
}

func deadlines(t *testing.T, db *store.DB, id string) []deadline.Deadline {
	t.Helper()
	var ds []deadline.Deadline
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		ds, err = tx.CaseDeadlines(ctx, id)
		return err
	})
	return ds
}

// open returns the open deadlines of kind k.
func open(ds []deadline.Deadline, k deadline.Kind) []deadline.Deadline {
	var out []deadline.Deadline
	for _, d := range ds {
		if d.Kind == k && d.Open() {
			out = append(out, d)
		}
	}
	return out
}

// notices returns the kinds of notification user u got about case id.
func notices(t *testing.T, db *store.DB, u *org.User, id string) []notify.Kind {
	t.Helper()
	var out []notify.Kind
	fixture.Read(t, db, func(tx *store.Tx) error {
		ns, err := tx.Notifications(ctx, u.ID, 100)
		for _, n := range ns {
			if n.CaseID == id {
				out = append(out, n.Kind)
			}
		}
		return err
	})
	return out
}

func hasKind(ks []notify.Kind, k notify.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// goodFeedback answers every question of the profile.
func goodFeedback() closure.FeedbackInput {
	in := closure.FeedbackInput{Answers: map[string]string{}, ChildSafe: closure.Safe}
	for _, q := range prof.FeedbackQuestions {
		in.Answers[q.Key] = closure.Yes
	}
	return in
}

// consentRecord is a given consent or assent of scope on case caseID.
func consentRecord(caseID, scope, giver, kind, on, by string) *consent.Record {
	return &consent.Record{CaseID: caseID, Scope: scope, Giver: giver, Kind: kind, Decision: consent.Given,
		Method: "written", ObtainedOn: on, ObtainedBy: by, CreatedAt: now, Version: 1}
}

func consentAdd(tx *store.Tx, a access.Actor, id string) (*consent.Record, error) {
	return consent.Add(ctx, tx, prof, a, id, consent.Input{Scope: "collect_store", Giver: consent.Self,
		Kind: consent.KindAssent, Decision: consent.Given, Method: "written"}, now)
}

func familyAdd(tx *store.Tx, a access.Actor, id string) (*cases.Person, error) {
	return family.Add(ctx, tx, prof, a, id, family.Input{Relationship: "mother", Name: "M", Alive: "alive"}, now)
}

func assessmentRecord(tx *store.Tx, a access.Actor, id string, version int) (*assessment.Assessment, error) {
	return assessment.Record(ctx, tx, prof, a, id, assessment.Input{Kind: assessment.Initial, InterviewedChild: true,
		RiskLevel: profile.Low, RiskReason: "calmer", Version: version}, now)
}

func planSave(tx *store.Tx, a access.Actor, id string) (*plan.Plan, error) {
	return plan.Save(ctx, tx, prof, a, id, plan.Input{}, now)
}
