package referral_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var _ referral.Tx = (*store.Tx)(nil)

var ctx = context.Background()

// world is a GBV case of agency A's caseworker, a clinic of the other agency
// in the directory, and a service provider working there.
type world struct {
	db       *store.DB
	o        *fixture.Org
	c        *cases.Case
	svc      *directory.Service
	provider access.Actor
	cw, sup  access.Actor
}

func newWorld(t *testing.T, db *store.DB) *world {
	w := &world{db: db, o: fixture.New(t, db)}
	w.cw, w.sup = fixture.Actor(w.o.Caseworker), fixture.Actor(w.o.Supervisor)
	w.c = fixture.Register(t, db, w.cw, fixture.Registration(profile.GBV), fixture.Now)
	fixture.In(t, db, func(tx *store.Tx) error {
		u := &org.User{AgencyID: w.o.OtherAgency.ID, Username: "clinic.provider", DisplayName: "Clinic Nurse",
			Role: org.ServiceProvider, PasswordHash: "x", CreatedAt: fixture.Now, UpdatedAt: fixture.Now}
		if err := tx.InsertUser(ctx, u); err != nil {
			return err
		}
		w.provider = fixture.Actor(u)
		w.provider.Now = fixture.Now
		w.svc = &directory.Service{AgencyID: w.o.OtherAgency.ID, Organisation: "Other Aid clinic", Sector: "health_nutrition",
			Services: "Clinical management of rape", AvgDays: 2, LastVerified: "2025-03-01", Active: true,
			CreatedBy: w.o.SystemAdmin.ID, CreatedAt: fixture.Now, UpdatedAt: fixture.Now}
		return tx.InsertDirectoryService(ctx, w.svc)
	})
	return w
}

func (w *world) send(t *testing.T, a access.Actor, in referral.Input) (*referral.Referral, error) {
	t.Helper()
	var r *referral.Referral
	err := w.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		r, err = referral.Send(ctx, tx, profile.Default(), a, w.c.ID, in, fixture.Now)
		return err
	})
	return r, err
}

func (w *world) giveConsent(t *testing.T) {
	fixture.In(t, w.db, func(tx *store.Tx) error {
		_, err := consent.Add(ctx, tx, profile.Default(), w.cw, w.c.ID, consent.Input{Scope: "share_services",
			Giver: consent.Self, Kind: consent.KindConsent, Decision: consent.Given, Method: "written",
			ObtainedOn: "2025-03-10"}, fixture.Now)
		return err
	})
}

func fieldOf(err error) string {
	if f, ok := errs.AsFields(err); ok && len(f) > 0 {
		return f[0].Field + "=" + f[0].Msg
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// canSee reports whether a may view section s of the case.
func (w *world) canSee(t *testing.T, a access.Actor, s access.Section) bool {
	t.Helper()
	var ok bool
	fixture.Read(t, w.db, func(tx *store.Tx) error {
		_, err := cases.GetShared(ctx, tx, a, s, w.c.ID)
		ok = err == nil
		if err != nil && !errors.Is(err, errs.ErrNotFound) {
			return err
		}
		return nil
	})
	return ok
}

func TestReferralLifecycle(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		in := referral.Input{ServiceID: w.svc.ID, Reason: "needs clinical care", Sections: []string{"registration", "assessment"}}

		// No consent to share: refused, naming the consent; nothing written.
		if _, err := w.send(t, w.cw, in); fieldOf(err) != "consent=err.referral_no_consent" {
			t.Fatalf("send without consent: %v", err)
		}
		if w.canSee(t, w.provider, access.Registration) {
			t.Fatal("provider sees the case after a refused referral")
		}
		// A caseworker cannot override; a section outside the shareable list is refused.
		in2 := in
		in2.OverrideReason = "urgent"
		if _, err := w.send(t, w.cw, in2); fieldOf(err) != "consent=err.referral_no_consent" {
			t.Fatalf("caseworker override: %v", err)
		}
		in2 = in
		in2.Sections = []string{"consent"}
		w.giveConsent(t)
		if _, err := w.send(t, w.cw, in2); fieldOf(err) != "sections=err.choose" {
			t.Fatalf("consent section shared: %v", err)
		}

		r, err := w.send(t, w.cw, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Basis != referral.BasisConsent || r.ConsentID == "" || r.ToAgencyID != w.o.OtherAgency.ID {
			t.Fatalf("referral: %+v", r)
		}
		if !r.ResponseDue.Equal(fixture.Now.Add(48 * time.Hour)) {
			t.Errorf("response due %v, want two days (the service's average)", r.ResponseDue)
		}
		// The provider sees exactly the two sections; the other agency's caseworker nothing.
		for _, s := range access.Sections {
			want := s == access.Registration || s == access.Assessment
			if got := w.canSee(t, w.provider, s); got != want {
				t.Errorf("provider sees %s: %v, want %v", s, got, want)
			}
		}
		other := fixture.Actor(w.o.OtherCaseworker)
		other.Now = fixture.Now
		if w.canSee(t, other, access.Registration) {
			t.Error("another user of the receiving agency sees the shared sections")
		}
		// The response deadline is the caseworker's.
		fixture.Read(t, db, func(tx *store.Tx) error {
			ds, err := tx.CaseDeadlines(ctx, w.c.ID)
			found := false
			for _, d := range ds {
				found = found || (d.Kind == deadline.ReferralResponse && d.Open() && d.DueAt.Equal(r.ResponseDue))
			}
			if !found {
				t.Errorf("no open referral-response deadline at %v: %+v", r.ResponseDue, ds)
			}
			return err
		})

		// The sender cannot answer; the provider accepts and records the service.
		do := func(fn func(tx *store.Tx) (*referral.Referral, error)) (*referral.Referral, error) {
			var out *referral.Referral
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				out, err = fn(tx)
				return err
			})
			return out, err
		}
		if _, err := do(func(tx *store.Tx) (*referral.Referral, error) {
			return referral.Respond(ctx, tx, profile.Default(), w.cw, r.ID, referral.Answer{Version: 1, Accept: true}, fixture.Now)
		}); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("sender answers: %v", err)
		}
		if _, err := do(func(tx *store.Tx) (*referral.Referral, error) {
			return referral.Respond(ctx, tx, profile.Default(), w.provider, r.ID, referral.Answer{Version: 1}, fixture.Now)
		}); fieldOf(err) != "decline_reason=err.required" {
			t.Fatalf("decline without reason: %v", err)
		}
		r, err = do(func(tx *store.Tx) (*referral.Referral, error) {
			return referral.Respond(ctx, tx, profile.Default(), w.provider, r.ID, referral.Answer{Version: 1, Accept: true}, fixture.Now)
		})
		if err != nil || r.Status != referral.Accepted {
			t.Fatalf("accept: %v %+v", err, r)
		}
		r, err = do(func(tx *store.Tx) (*referral.Referral, error) {
			return referral.RecordService(ctx, tx, profile.Default(), w.provider, r.ID,
				referral.ServiceInput{Version: 2, Note: "seen by the nurse"}, fixture.Now)
		})
		if err != nil || r.Status != referral.Provided {
			t.Fatalf("service: %v %+v", err, r)
		}
		// Outcome by the caseworker closes the referral and ends the provider's access.
		r, err = do(func(tx *store.Tx) (*referral.Referral, error) {
			return referral.RecordOutcome(ctx, tx, profile.Default(), w.cw, r.ID,
				referral.OutcomeInput{Version: 3, Outcome: "treated"}, fixture.Now)
		})
		if err != nil || r.Status != referral.Closed {
			t.Fatalf("outcome: %v %+v", err, r)
		}
		if w.canSee(t, w.provider, access.Registration) {
			t.Error("provider still sees the case after the referral closed")
		}
		if _, err := do(func(tx *store.Tx) (*referral.Referral, error) {
			return referral.Get(ctx, tx, w.provider, access.View, r.ID)
		}); err != nil {
			t.Errorf("provider can no longer read the referral itself: %v", err)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			ds, err := tx.CaseDeadlines(ctx, w.c.ID)
			for _, d := range ds {
				if d.Kind == deadline.ReferralResponse && d.Open() {
					t.Errorf("referral-response deadline still open after the answer")
				}
			}
			return err
		})
	})
}

func TestReferralRefusals(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.giveConsent(t)
		in := referral.Input{ServiceID: w.svc.ID, Reason: "care", Sections: []string{"registration"}}

		// An agency on the exclusion list is refused.
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := consent.AddExclusion(ctx, tx, w.cw, w.c.ID, consent.ExclusionInput{Kind: "agency",
				AgencyID: w.o.OtherAgency.ID, Reason: "her uncle works there"}, fixture.Now)
			return err
		})
		if _, err := w.send(t, w.cw, in); fieldOf(err) != "service_id=err.referral_excluded" {
			t.Fatalf("excluded agency: %v", err)
		}
		// No sections, no reason, an ended project without confirmation.
		fixture.In(t, db, func(tx *store.Tx) error {
			ex, err := tx.Exclusions(ctx, w.c.ID)
			if err != nil {
				return err
			}
			return consent.RemoveExclusion(ctx, tx, w.cw, w.c.ID, ex[0].ID, fixture.Now)
		})
		bad := in
		bad.Sections, bad.Reason = nil, " "
		_, err := w.send(t, w.cw, bad)
		f, _ := errs.AsFields(err)
		if !f.Has("sections") || !f.Has("reason") {
			t.Fatalf("empty referral: %v", err)
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			w.svc.ProjectEnd = "2025-01-31"
			return tx.UpdateDirectoryService(ctx, w.svc)
		})
		if _, err := w.send(t, w.cw, in); fieldOf(err) != "service_id=err.referral_ended" {
			t.Fatalf("ended project: %v", err)
		}
		in.ConfirmEnded = true
		if _, err := w.send(t, w.cw, in); err != nil {
			t.Fatalf("confirmed ended project: %v", err)
		}
		// Someone outside the case cannot refer it.
		if _, err := w.send(t, fixture.Actor(w.o.CaseworkerB), in); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("outsider refers: %v", err)
		}
	})
}

func TestReferralOverride(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		in := referral.Input{ServiceID: w.svc.ID, Reason: "care", Sections: []string{"registration"},
			OverrideReason: "life-threatening injury, survivor unconscious"}
		r, err := w.send(t, w.sup, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.Basis != referral.BasisOverride || r.OverrideID == "" {
			t.Fatalf("basis %q override %q", r.Basis, r.OverrideID)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			ds, err := tx.CaseDeadlines(ctx, w.c.ID)
			if !slices.ContainsFunc(ds, func(d deadline.Deadline) bool {
				return d.Kind == deadline.TellFamily && d.Open() && d.AssigneeID == w.o.Caseworker.ID
			}) {
				t.Errorf("no open task to tell the family: %+v", ds)
			}
			return err
		})
	})
}

// TestCloseAfterTellingTheFamily: a case whose information was shared under
// an override closes only once the family was told; the closed case's
// referral shares nothing more.
func TestCloseAfterTellingTheFamily(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		p := profile.Default()
		r, err := w.send(t, w.sup, referral.Input{ServiceID: w.svc.ID, Reason: "care", Sections: []string{"registration"},
			OverrideReason: "injured, cannot be asked now"})
		if err != nil {
			t.Fatal(err)
		}
		version := func() int {
			var v int
			fixture.Read(t, db, func(tx *store.Tx) error {
				c, err := tx.Case(ctx, w.c.ID)
				if err == nil {
					v = c.Version
				}
				return err
			})
			return v
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := closure.Propose(ctx, tx, p, w.cw, w.c.ID, version(), closure.ProposeInput{Reason: closure.Death}, fixture.Now)
			return err
		})
		approve := func() error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := closure.Approve(ctx, tx, p, w.sup, w.c.ID, version(), w.o.Caseworker2.ID, fixture.Now)
				return err
			})
		}
		if err := approve(); fieldOf(err) != "closure=err.tell_family_first" {
			t.Fatalf("closure with the family not told: %v", err)
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			return share.FamilyTold(ctx, tx, p, w.cw, w.c.ID, share.ToldInput{ToldOn: "2025-03-10", ToldTo: "the survivor"}, fixture.Now)
		})
		if err := approve(); err != nil {
			t.Fatal(err)
		}
		if w.canSee(t, w.provider, access.Registration) {
			t.Error("the provider still sees the closed case through the referral")
		}
		if r.ID == "" {
			t.Error("no referral")
		}
	})
}

// TestResponseDeadlinePerReferral: answering one referral completes its own
// response deadline; another referral still waiting keeps its.
func TestResponseDeadlinePerReferral(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.giveConsent(t)
		in := referral.Input{ServiceID: w.svc.ID, Reason: "care", Sections: []string{"registration"}}
		first, err := w.send(t, w.cw, in)
		if err != nil {
			t.Fatal(err)
		}
		var second *referral.Referral
		if err := db.Tx(ctx, func(tx *store.Tx) (err error) {
			second, err = referral.Send(ctx, tx, profile.Default(), w.cw, w.c.ID, in, fixture.Now.Add(time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := referral.Respond(ctx, tx, profile.Default(), w.provider, first.ID, referral.Answer{Version: 1, Accept: true}, fixture.Now)
			return err
		})
		fixture.Read(t, db, func(tx *store.Tx) error {
			ds, err := tx.CaseDeadlines(ctx, w.c.ID)
			open := map[time.Time]bool{}
			for _, d := range ds {
				if d.Kind == deadline.ReferralResponse {
					open[d.AnchorAt.UTC()] = d.Open()
				}
			}
			if open[first.ResponseDue.UTC()] || !open[second.ResponseDue.UTC()] || len(open) != 2 {
				t.Errorf("response deadlines (open by due time): %v; first due %v, second %v", open, first.ResponseDue, second.ResponseDue)
			}
			return err
		})
	})
}
