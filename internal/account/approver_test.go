package account_test

import (
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// asUser is the actor u is when signed in: pending while their role waits.
func asUser(u *org.User) access.Actor {
	a := fixture.Actor(u)
	a.Pending = u.CaseAccessPending
	return a
}

// openApproval returns the open approval of user, or fails.
func openApproval(t *testing.T, db *store.DB, agency, user string) string {
	t.Helper()
	id := ""
	fixture.Read(t, db, func(tx *store.Tx) error {
		open, err := tx.OpenApprovals(ctx, agency)
		for _, a := range open {
			if a.UserID == user {
				id = a.ID
			}
		}
		return err
	})
	if id == "" {
		t.Fatalf("no open approval for %s", user)
	}
	return id
}

// TestOneAdministratorMakesNoApprover: under role_approval_by: dp_officer
// the data protection officer's approval gives case access, so an
// administrator who could make a DPO of her own — a new account whose setup
// code she holds, or an officer she reset or unlocked, or someone she moved
// to the role — would approve her own sock caseworker and read the
// agency's cases alone. The approving role therefore waits for a second
// person's approval exactly as a role that reads case content does: until
// another officer approves it, such an officer approves nothing, and the
// caseworker she tried to approve reads no case. Under role_approval_by:
// manager a new officer takes effect at once, as before.
func TestOneAdministratorMakesNoApprover(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		dpoProf := *prof
		dpoProf.RoleApprovalBy = profile.ApprovalByDPO
		admin := account.By(fixture.Actor(o.AgencyAdmin))

		var sock, dpo *account.Created
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			sock, err = account.Create(ctx, tx, &dpoProf, admin, org.NewUser{Username: "sock.cw", DisplayName: "Sock",
				Role: org.Caseworker, TeamID: o.TeamA.ID}, account.CreateOptions{}, now)
			if err != nil {
				return err
			}
			dpo, err = account.Create(ctx, tx, &dpoProf, admin, org.NewUser{Username: "sock.dpo", DisplayName: "Sock Officer",
				Role: org.DPOfficer}, account.CreateOptions{}, now)
			return err
		})
		if err := setup(db, dpo.Setup.Code, password(t, strong), now); err != nil {
			t.Fatal(err)
		}
		newDPO := user(t, db, dpo.User.ID)
		if !newDPO.CaseAccessPending {
			t.Error("a new data protection officer, whose setup code the administrator holds, approves at once")
		}
		if got := account.CaseAccess(newDPO); got != account.AccessPending {
			t.Errorf("the new officer's access reads %q", got)
		}
		decide := func(a access.Actor, id string, approve bool) error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := account.Decide(ctx, tx, &dpoProf, a, id, approve, now)
				return err
			})
		}
		sockApproval := openApproval(t, db, o.Agency.ID, sock.User.ID)
		if err := decide(asUser(newDPO), sockApproval, true); err == nil {
			t.Error("the administrator's own officer approved her sock caseworker")
		}
		if !user(t, db, sock.User.ID).CaseAccessPending {
			t.Fatal("the sock caseworker reads cases, approved by an officer the administrator made")
		}

		// Another officer (in office, not made by her) approves the new one;
		// from then on the new officer approves like any other.
		if err := decide(asUser(o.DPOfficer), openApproval(t, db, o.Agency.ID, dpo.User.ID), true); err != nil {
			t.Fatalf("the officer in office approves the new officer: %v", err)
		}
		newDPO = user(t, db, dpo.User.ID)
		if newDPO.CaseAccessPending || account.CaseAccess(newDPO) != account.AccessNone {
			t.Errorf("approved officer: pending %v, access %q", newDPO.CaseAccessPending, account.CaseAccess(newDPO))
		}
		if err := decide(asUser(newDPO), sockApproval, false); err != nil {
			t.Errorf("the approved officer refuses: %v", err)
		}

		// The officer in office, reset (the administrator holds the code),
		// unlocked, or given the role, waits again before approving anything.
		vol := o.Volunteer
		fixture.In(t, db, func(tx *store.Tx) error {
			if _, _, err := account.Reset(ctx, tx, &dpoProf, admin, o.DPOfficer.ID, account.ResetOptions{}, now); err != nil {
				return err
			}
			if _, err := account.Unlock(ctx, tx, &dpoProf, admin, newDPO.ID, now); err != nil {
				return err
			}
			role := org.DPOfficer
			_, err := account.Update(ctx, tx, &dpoProf, admin, vol.ID, account.Edit{Role: &role, Version: vol.Version}, now)
			return err
		})
		for _, id := range []string{o.DPOfficer.ID, newDPO.ID, vol.ID} {
			u := user(t, db, id)
			if !u.CaseAccessPending {
				t.Errorf("%s (%s) approves at once after an administrator's act", u.Username, u.Role)
			}
		}
		fixture.In(t, db, func(tx *store.Tx) error {
			_, _, err := account.Reset(ctx, tx, &dpoProf, admin, sock.User.ID, account.ResetOptions{}, now)
			return err
		})
		again := openApproval(t, db, o.Agency.ID, sock.User.ID)
		for _, id := range []string{o.DPOfficer.ID, newDPO.ID, vol.ID} {
			if err := decide(asUser(user(t, db, id)), again, true); err == nil {
				t.Errorf("%s approved while their own role waits", user(t, db, id).Username)
			}
		}
		if !user(t, db, sock.User.ID).CaseAccessPending {
			t.Error("the sock caseworker was approved by an officer whose role waits")
		}

	})
}

// TestOneAdministratorMakesNoOfficer: under role_approval_by: manager too,
// a data protection officer whose setup code an administrator holds would
// let her read the agency's audit trail (who read which case, the stated
// reasons of break-glass accesses), its account events and the consent
// registers of closed cases alone. The officer's role waits for a
// manager's approval like a role that reads case content.
func TestOneAdministratorMakesNoOfficer(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		admin := account.By(fixture.Actor(o.AgencyAdmin))
		var c *account.Created
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			c, err = account.Create(ctx, tx, prof, admin, org.NewUser{Username: "officer.two", DisplayName: "Officer Two",
				Role: org.DPOfficer}, account.CreateOptions{}, now)
			return err
		})
		u := user(t, db, c.User.ID)
		if !u.CaseAccessPending {
			t.Fatal("a new officer, whose setup code the administrator holds, takes effect at once")
		}
		audit := access.Resource{Kind: access.KindAudit, AgencyID: o.Agency.ID}
		if access.Decide(asUser(u), access.View, audit).Allow {
			t.Error("the waiting officer reads the audit trail")
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := account.Decide(ctx, tx, prof, asUser(o.Manager), openApproval(t, db, o.Agency.ID, u.ID), true, now)
			return err
		}); err != nil {
			t.Fatalf("the manager approves the officer: %v", err)
		}
		if u := user(t, db, c.User.ID); u.CaseAccessPending || !access.Decide(asUser(u), access.View, audit).Allow {
			t.Errorf("approved officer: pending %v", u.CaseAccessPending)
		}
	})
}

// TestApproveAtShellApprover: the shell operator approves the first officer
// of an agency under role_approval_by: dp_officer (nobody else can), and
// only while no approved officer could.
func TestApproveAtShellApprover(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		dpoProf := *prof
		dpoProf.RoleApprovalBy = profile.ApprovalByDPO
		var c *account.Created
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			c, err = account.Create(ctx, tx, &dpoProf, account.Shell, org.NewUser{Username: "second.dpo", DisplayName: "Second", AgencyID: o.Agency.ID,
				Role: org.DPOfficer}, account.CreateOptions{}, now)
			return err
		})
		if !c.User.CaseAccessPending {
			t.Fatal("a new officer does not wait under dp_officer")
		}
		// An approved officer is in office: the shell does not approve.
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := account.ApproveAtShell(ctx, tx, &dpoProf, c.User.ID, now)
			return err
		})
		if got := fieldCodes(err); len(got) != 1 || got[0] != "username=err.approver_exists" {
			t.Errorf("shell approval beside an officer in office: %v", err)
		}
		// With the officer disabled, nobody else may: the shell does.
		fixture.In(t, db, func(tx *store.Tx) error {
			d := true
			u, err := tx.User(ctx, o.DPOfficer.ID)
			if err != nil {
				return err
			}
			_, err = account.Update(ctx, tx, &dpoProf, account.Shell, u.ID, account.Edit{Disabled: &d, Version: u.Version}, now)
			return err
		})
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := account.ApproveAtShell(ctx, tx, &dpoProf, c.User.ID, now)
			return err
		})
		if user(t, db, c.User.ID).CaseAccessPending {
			t.Error("approved at the shell, still waiting")
		}
	})
}
