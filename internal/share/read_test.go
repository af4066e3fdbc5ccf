package share_test

import (
	"context"
	"slices"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	_   share.ReadTx = (*store.Tx)(nil)
	_   share.ListTx = (*store.Tx)(nil)
	ctx              = context.Background()
)

// TestRead checks the read-time share rule: a referral's receiver sees the
// sections it shares and no other, never an alleged perpetrator, and
// nothing once the share's consent scope is not given or the receiver is
// excluded; each read that shows something has its share.view event.
func TestRead(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		cw := fixture.Actor(o.Caseworker)
		cw.Now = fixture.Now
		c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), fixture.Now)
		var provider access.Actor
		var ref *referral.Referral
		fixture.In(t, db, func(tx *store.Tx) error {
			u := &org.User{AgencyID: o.OtherAgency.ID, Username: "clinic.provider", DisplayName: "Clinic Nurse",
				Role: org.ServiceProvider, PasswordHash: "x", CreatedAt: fixture.Now, UpdatedAt: fixture.Now}
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
			provider = fixture.Actor(u)
			provider.Now = fixture.Now
			svc := &directory.Service{AgencyID: o.OtherAgency.ID, Organisation: "Other Aid clinic", Sector: "health_nutrition",
				Services: "care", AvgDays: 2, LastVerified: "2025-03-01", Active: true, CreatedBy: o.SystemAdmin.ID,
				CreatedAt: fixture.Now, UpdatedAt: fixture.Now}
			if err := tx.InsertDirectoryService(ctx, svc); err != nil {
				return err
			}
			for _, scope := range []string{"collect_store", "share_services"} {
				if _, err := consent.Add(ctx, tx, p, cw, c.ID, consent.Input{Scope: scope, Giver: consent.Self,
					Kind: consent.KindConsent, Decision: consent.Given, Method: "written", ObtainedOn: "2025-03-10"}, fixture.Now); err != nil {
					return err
				}
			}
			for _, in := range []family.Input{{Relationship: "mother", Name: "M", Alive: "alive"},
				{Relationship: "aunt_uncle", Name: "U", Alive: "alive", AllegedPerpetrator: true}} {
				if _, err := family.Add(ctx, tx, p, cw, c.ID, in, fixture.Now); err != nil {
					return err
				}
			}
			var err error
			ref, err = referral.Send(ctx, tx, p, cw, c.ID, referral.Input{ServiceID: svc.ID, Reason: "care",
				Sections: []string{"registration", "family"}}, fixture.Now)
			return err
		})
		src := share.Source{Via: access.ViaReferral, ID: ref.ID, ConsentScope: "share_services"}
		read := func(a access.Actor, secs []access.Section, src share.Source) *share.View {
			t.Helper()
			var v *share.View
			fixture.Read(t, db, func(tx *store.Tx) error {
				c, err := tx.Case(ctx, c.ID)
				if err != nil {
					return err
				}
				v, err = share.Read(ctx, tx, p, a, c, secs, src)
				return err
			})
			return v
		}

		v := read(provider, []access.Section{access.Identity, access.Registration, access.Family}, src)
		if v.Withheld || !slices.Equal(v.Sections, []access.Section{access.Registration, access.Family}) {
			t.Fatalf("the receiver sees %v (withheld %v), want registration and family", v.Sections, v.Withheld)
		}
		if v.Identity != nil || v.Reg == nil || len(v.People) != 1 || v.People[0].Relationship != "mother" {
			t.Errorf("the receiver's view: identity %v, registration %v, people %+v", v.Identity, v.Reg != nil, v.People)
		}
		e, ok := v.Event()
		if !ok || e.Action != "share.view" || e.RecordType != "referral" || e.RecordID != ref.ID || e.CaseID != c.ID ||
			e.AgencyID != c.AgencyID || e.Detail != `{"sections":["registration","family"]}` {
			t.Errorf("the read's event: %v %+v", ok, e)
		}

		// The consent scope the share rests on must be given.
		if v := read(provider, []access.Section{access.Registration}, share.Source{Via: access.ViaReferral, ID: ref.ID,
			ConsentScope: "disclose_tracing"}); !v.Withheld || v.Shown() {
			t.Errorf("without its consent scope: %+v", v)
		}
		if _, ok := (&share.View{}).Event(); ok {
			t.Error("a view that shows nothing has an event")
		}
		var none *share.View
		if _, ok := none.Event(); ok || none.Shown() {
			t.Error("no view has an event")
		}

		// Excluded by name (a part of it, in another case): nothing more.
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := consent.AddExclusion(ctx, tx, cw, c.ID, consent.ExclusionInput{Kind: "person", Name: "clinic NURSE",
				Reason: "the family asked"}, fixture.Now)
			return err
		})
		if v := read(provider, []access.Section{access.Registration}, src); !v.Withheld || v.Shown() {
			t.Errorf("an excluded receiver: %+v", v)
		}
		// The case's own caseworker is never withheld from by the share rule.
		if v := read(cw, []access.Section{access.Registration}, share.Source{Via: access.ViaReferral, ID: ref.ID,
			ConsentScope: "disclose_tracing"}); v.Withheld || !v.Shown() {
			t.Errorf("the case's caseworker: %+v", v)
		}
	})
}
