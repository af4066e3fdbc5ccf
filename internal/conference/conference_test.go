package conference_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	_   conference.Tx = (*store.Tx)(nil)
	_   share.Tx      = (*store.Tx)(nil)
	ctx               = context.Background()
)

func run[T any](t *testing.T, db *store.DB, fn func(tx *store.Tx) (T, error)) (T, error) {
	t.Helper()
	var out T
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

func sees(t *testing.T, db *store.DB, a access.Actor, caseID string, s access.Section, at time.Time) bool {
	t.Helper()
	a.Now = at
	_, err := run(t, db, func(tx *store.Tx) (*cases.Case, error) { return cases.GetShared(ctx, tx, a, s, caseID) })
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestConference(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		cw, sup, ext := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor), fixture.Actor(o.OtherCaseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), fixture.Now)
		in := conference.Input{Reason: "coordinate health and shelter", ScheduledAt: "2025-03-12T10:00",
			Sections: []string{"registration", "plan"}, Participants: []string{o.Supervisor.ID, o.OtherCaseworker.ID}}
		schedule := func() (*conference.Conference, error) {
			return run(t, db, func(tx *store.Tx) (*conference.Conference, error) {
				return conference.Schedule(ctx, tx, p, cw, c.ID, in, fixture.Now)
			})
		}
		if _, err := schedule(); !hasField(err, "participants") {
			t.Fatalf("external participant without consent: %v", err)
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := consent.Add(ctx, tx, p, cw, c.ID, consent.Input{Scope: "share_services", Giver: consent.Self,
				Kind: consent.KindConsent, Decision: consent.Given, Method: "written", ObtainedOn: "2025-03-10"}, fixture.Now)
			return err
		})
		conf, err := schedule()
		if err != nil {
			t.Fatal(err)
		}
		if len(conf.Participants) != 3 || !conf.Participant(o.OtherCaseworker.ID).External || conf.Participant(o.Supervisor.ID).External {
			t.Fatalf("participants: %+v", conf.Participants)
		}
		if !sees(t, db, ext, c.ID, access.Plan, fixture.Now) || sees(t, db, ext, c.ID, access.Identity, fixture.Now) {
			t.Error("external participant does not see exactly the conference's sections")
		}
		// Record: the summary and decisions are required; an action's owner must take part.
		rec := conference.RecordInput{Version: 1, Summary: "safe at the shelter", Decisions: "medical follow-up",
			Actions: []conference.ActionInput{{Description: "book clinic", OwnerID: o.Caseworker2.ID, DueOn: "2025-03-14"}}}
		if _, err := run(t, db, func(tx *store.Tx) (*conference.Conference, error) {
			return conference.Record(ctx, tx, p, cw, conf.ID, rec, fixture.Now)
		}); !hasField(err, "actions.0.owner_id") {
			t.Fatalf("owner not a participant: %v", err)
		}
		rec.Actions[0].OwnerID = o.OtherCaseworker.ID
		if _, err := run(t, db, func(tx *store.Tx) (*conference.Conference, error) {
			return conference.Record(ctx, tx, p, ext, conf.ID, rec, fixture.Now)
		}); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("external participant writes the record: %v", err)
		}
		conf, err = run(t, db, func(tx *store.Tx) (*conference.Conference, error) {
			return conference.Record(ctx, tx, p, cw, conf.ID, rec, fixture.Now)
		})
		if err != nil || conf.Status != conference.Held || len(conf.Actions) != 1 {
			t.Fatalf("record: %v %+v", err, conf)
		}
		for i, a := range []access.Actor{sup, ext} {
			conf, err = run(t, db, func(tx *store.Tx) (*conference.Conference, error) {
				return conference.SignOff(ctx, tx, a, conf.ID, 2+i, fixture.Now)
			})
			if err != nil {
				t.Fatalf("sign-off %d: %v", i, err)
			}
		}
		if conf.Status != conference.Closed {
			t.Fatalf("all signed, status %s", conf.Status)
		}
		if sees(t, db, ext, c.ID, access.Plan, fixture.Now) {
			t.Error("external participant still sees the case after the conference closed")
		}
	})
}

func TestBreakGlass(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), fixture.Now)
		cwB := fixture.Actor(o.CaseworkerB)
		glass := func(a access.Actor, reason string) error {
			_, err := run(t, db, func(tx *store.Tx) (*share.Record, error) {
				g, _, err := share.BreakGlass(ctx, tx, p, a, share.GlassInput{Code: c.Code, Reason: reason}, fixture.Now)
				return g, err
			})
			return err
		}
		if sees(t, db, cwB, c.ID, access.Registration, fixture.Now) {
			t.Fatal("caseworker of team B sees the case before break-glass")
		}
		if err := glass(cwB, "short"); !hasField(err, "reason") {
			t.Fatalf("short reason: %v", err)
		}
		for _, a := range []access.Actor{fixture.Actor(o.OtherCaseworker), fixture.Actor(o.AgencyAdmin), fixture.Actor(o.DPOfficer)} {
			if err := glass(a, "the caseworker is ill and the child called"); !hasField(err, "code") {
				t.Errorf("%s breaks glass: %v", a.Role, err)
			}
		}
		if err := glass(cwB, "the caseworker is ill and the child called"); err != nil {
			t.Fatal(err)
		}
		if !sees(t, db, cwB, c.ID, access.Registration, fixture.Now.Add(time.Hour)) {
			t.Error("no access after break-glass")
		}
		if sees(t, db, cwB, c.ID, access.Consent, fixture.Now.Add(time.Hour)) {
			t.Error("break-glass opens the consent records")
		}
		if sees(t, db, cwB, c.ID, access.Registration, fixture.Now.Add(p.BreakGlassFor.D())) {
			t.Error("break-glass access outlives its time limit")
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			ns, err := tx.Notifications(ctx, o.DPOfficer.ID, 10)
			if len(ns) != 1 || ns[0].CaseID != c.ID {
				t.Errorf("DPO notifications: %+v", ns)
			}
			ns, _ = tx.Notifications(ctx, o.Supervisor.ID, 10)
			if len(ns) != 1 {
				t.Errorf("supervisor notifications: %+v", ns)
			}
			return err
		})
	})
}

func hasField(err error, f string) bool {
	fs, ok := errs.AsFields(err)
	return ok && fs.Has(f)
}
