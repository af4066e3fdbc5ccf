package referral_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
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

// Candidates offers each agency's active case staff and the focal points
// of its active directory services: not a service provider the directory
// does not name, not a disabled account, not volunteers, officers or
// administrators, not a focal point named for another agency's service.
func TestCandidates(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db) // the other agency's clinic, its provider not (yet) its focal point
		o := w.o
		var focal, gone, unnamed *org.User
		fixture.In(t, db, func(tx *store.Tx) error {
			add := func(name string, role org.Role, agency string, disabled bool) (*org.User, error) {
				u := &org.User{AgencyID: agency, Username: name, DisplayName: name, Role: role, PasswordHash: "x",
					CreatedAt: fixture.Now, UpdatedAt: fixture.Now}
				if disabled {
					u.DisabledAt = fixture.Now
				}
				return u, tx.InsertUser(ctx, u)
			}
			var err error
			if focal, err = add("Focal Nurse", org.ServiceProvider, o.OtherAgency.ID, false); err != nil {
				return err
			}
			if gone, err = add("Gone Worker", org.Caseworker, o.OtherAgency.ID, true); err != nil {
				return err
			}
			if unnamed, err = add("Focal Elsewhere", org.ServiceProvider, o.OtherAgency.ID, false); err != nil {
				return err
			}
			// A service of agency A names the other agency's provider: no focal point of either.
			svcA := &directory.Service{AgencyID: o.Agency.ID, Organisation: "Child Aid hotline", Sector: "health_nutrition",
				Services: "calls", FocalUserID: unnamed.ID, LastVerified: "2025-03-01", Active: true,
				CreatedBy: o.SystemAdmin.ID, CreatedAt: fixture.Now, UpdatedAt: fixture.Now}
			if err := tx.InsertDirectoryService(ctx, svcA); err != nil {
				return err
			}
			w.svc.FocalUserID = focal.ID
			return tx.UpdateDirectoryService(ctx, w.svc)
		})
		var all, others []referral.Candidate
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			if all, err = referral.Candidates(ctx, tx, ""); err != nil {
				return err
			}
			others, err = referral.Candidates(ctx, tx, o.Agency.ID)
			return err
		})
		ids := func(cs []referral.Candidate) map[string]bool {
			m := map[string]bool{}
			for _, c := range cs {
				m[c.UserID] = c.FocalPoint
			}
			return m
		}
		want := map[string]bool{o.Caseworker.ID: false, o.Caseworker2.ID: false, o.CaseworkerB.ID: false,
			o.Supervisor.ID: false, o.SupervisorB.ID: false, o.Manager.ID: false,
			o.OtherCaseworker.ID: false, o.OtherSupervisor.ID: false, o.OtherManager.ID: false, focal.ID: true}
		if diff := cmp.Diff(want, ids(all)); diff != "" {
			t.Errorf("candidates (-want +got), user → focal point:\n%s", diff)
		}
		wantOthers := map[string]bool{o.OtherCaseworker.ID: false, o.OtherSupervisor.ID: false, o.OtherManager.ID: false, focal.ID: true}
		if diff := cmp.Diff(wantOthers, ids(others)); diff != "" {
			t.Errorf("other agencies' candidates (-want +got):\n%s", diff)
		}
		for i := 1; i < len(all); i++ {
			a, b := all[i-1], all[i]
			if a.AgencyName > b.AgencyName || (a.AgencyName == b.AgencyName && a.Name > b.Name) {
				t.Errorf("%s (%s) before %s (%s)", a.Name, a.AgencyName, b.Name, b.AgencyName)
			}
		}
		_ = gone
	})
}

// A referral is addressed by id to someone of the service's agency: a
// forged id of another agency is refused, naming the field; nothing is sent.
func TestSendToSomeoneOfAnotherAgency(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.giveConsent(t)
		in := referral.Input{ServiceID: w.svc.ID, Reason: "Medical care", Sections: referral.DefaultSections(),
			ToUserID: w.o.Supervisor.ID} // of agency A; the clinic is the other agency's
		_, err := w.send(t, w.cw, in)
		if diff := cmp.Diff([]string{"to_user_id=err.choose"}, fieldCodes(err)); diff != "" {
			t.Error(diff)
		}
		in.ToUserID = w.o.OtherSupervisor.ID
		r, err := w.send(t, w.cw, in)
		if err != nil {
			t.Fatal(err)
		}
		if r.ToUserID != w.o.OtherSupervisor.ID || !slices.Equal(r.Sections, []access.Section{access.Identity, access.Registration}) {
			t.Errorf("sent to %s sharing %v", r.ToUserID, r.Sections)
		}
	})
}

// The defaults are those of the inter-agency referral form, and consent is
// still checked: without consent to share, the defaults are refused.
func TestReferralDefaultsNeedConsent(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff([]string{"identity", "registration"}, referral.DefaultSections()); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(share.ReferralDefaults, []access.Section{access.Identity, access.Registration}); diff != "" {
		t.Error(diff)
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		_, err := w.send(t, w.cw, referral.Input{ServiceID: w.svc.ID, Reason: "Medical care", Sections: referral.DefaultSections()})
		if diff := cmp.Diff([]string{"consent=err.referral_no_consent"}, fieldCodes(err)); diff != "" {
			t.Error(diff)
		}
	})
	_ = profile.Default
}

func fieldCodes(err error) []string {
	fe, _ := errs.AsFields(err)
	var out []string
	for _, f := range fe {
		out = append(out, f.Field+"="+f.Msg)
	}
	slices.Sort(out)
	return out
}
