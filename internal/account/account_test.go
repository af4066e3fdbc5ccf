package account_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var (
	ctx  = context.Background()
	now  = fixture.Now
	prof = profile.Default()
)

const strong = "tangerine-ocelot-47-umbrella"

func hash(p string) (string, error) {
	return auth.HashPassword(p, auth.Params{Memory: 64, Time: 1, Threads: 1})
}

func password(t *testing.T, p string) account.Password {
	t.Helper()
	pw, err := account.NewPassword(p, p, &org.User{Username: "someone"}, hash)
	if err != nil {
		t.Fatal(err)
	}
	return pw
}

func fieldCodes(err error) []string {
	fe, _ := errs.AsFields(err)
	var out []string
	for _, f := range fe {
		out = append(out, f.Field+"="+f.Msg)
	}
	sort.Strings(out)
	return out
}

// notices returns the kinds of notification user got, sorted.
func notices(t *testing.T, db *store.DB, user string) []string {
	t.Helper()
	var out []string
	fixture.Read(t, db, func(tx *store.Tx) error {
		ns, err := tx.Notifications(ctx, user, 100)
		for _, n := range ns {
			out = append(out, string(n.Kind))
		}
		return err
	})
	sort.Strings(out)
	return out
}

// lastEvent returns the newest audit event of action about user.
func lastEvent(t *testing.T, db *store.DB, action, user string) audit.Event {
	t.Helper()
	var e audit.Event
	fixture.Read(t, db, func(tx *store.Tx) error {
		evs, err := tx.AuditEvents(ctx, store.AuditFilter{Action: action, Limit: 50})
		for _, x := range evs {
			if x.RecordID == user {
				e = x
				break
			}
		}
		return err
	})
	if e.Action == "" {
		t.Fatalf("no %s event about %s", action, user)
	}
	return e
}

func user(t *testing.T, db *store.DB, id string) *org.User {
	t.Helper()
	var u *org.User
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		u, err = tx.User(ctx, id)
		return err
	})
	return u
}

func create(t *testing.T, db *store.DB, o account.Operator, in org.NewUser) *account.Created {
	t.Helper()
	var c *account.Created
	fixture.In(t, db, func(tx *store.Tx) (err error) {
		c, err = account.Create(ctx, tx, prof, o, in, account.CreateOptions{}, now)
		return err
	})
	return c
}

func setup(db *store.DB, code string, pw account.Password, at time.Time) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		_, err := account.CompleteSetup(ctx, tx, code, pw, at)
		return err
	})
}

// TestCreateAndSetup: an administrator adds a caseworker and gets a setup
// code, never a password; only the code's hash is stored; the person sets
// their password once with it, within a day; case access waits for a
// manager, and the data protection officer is told.
func TestCreateAndSetup(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		admin := account.By(fixture.Actor(o.AgencyAdmin))
		c := create(t, db, admin, org.NewUser{Username: "new.cw", DisplayName: "New CW", Role: org.Caseworker,
			TeamID: o.TeamA.ID, Email: "new@example.org"})
		u := user(t, db, c.User.ID)
		if c.Setup == nil || account.NormalizeCode(c.Setup.Code) == "" || c.Setup.Mail {
			t.Fatalf("setup = %+v, want a code shown to the administrator (mail is off)", c.Setup)
		}
		if !u.SetupPending() || !u.CaseAccessPending || u.AgencyID != o.Agency.ID {
			t.Errorf("new user: setup pending %v, case access pending %v, agency %s", u.SetupPending(), u.CaseAccessPending, u.AgencyID)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			sc, err := tx.SetupCodeByHash(ctx, account.HashCode(c.Setup.Code))
			if err != nil {
				return err
			}
			if strings.Contains(sc.Hash, account.NormalizeCode(c.Setup.Code)) || !sc.ExpiresAt.Equal(now.Add(24*time.Hour)) {
				t.Errorf("stored code %+v", sc)
			}
			open, err := tx.OpenApprovals(ctx, o.Agency.ID)
			if len(open) != 1 || open[0].UserID != u.ID || open[0].Reason != account.ReasonNew {
				t.Errorf("open approvals %+v", open)
			}
			return err
		})
		if got := notices(t, db, o.DPOfficer.ID); !cmp.Equal(got, []string{"account_created"}) {
			t.Errorf("DPO notifications %v", got)
		}
		if got := notices(t, db, o.Manager.ID); !cmp.Equal(got, []string{"account_approval"}) {
			t.Errorf("manager notifications %v", got)
		}
		if got := notices(t, db, o.OtherManager.ID); got != nil {
			t.Errorf("another agency's manager was told: %v", got)
		}
		ev := lastEvent(t, db, "user.create", u.ID)
		d := account.ParseDetail(ev.Detail)
		if d["role"].New != "caseworker" || d["case_access"].New != "pending" || d["setup"].New != "shown" {
			t.Errorf("user.create detail %s", ev.Detail)
		}
		if strings.Contains(ev.Detail, account.NormalizeCode(c.Setup.Code)) {
			t.Errorf("the audit detail holds the code")
		}

		pw := password(t, strong)
		// Expired: a day later it no longer works.
		if got := fieldCodes(setup(db, c.Setup.Code, pw, now.Add(24*time.Hour))); !cmp.Equal(got, []string{"setup_code=err.setup_code"}) {
			t.Errorf("expired code: %v", got)
		}
		if got := fieldCodes(setup(db, "ABCD-EFGH", pw, now)); !cmp.Equal(got, []string{"setup_code=err.setup_code"}) {
			t.Errorf("wrong code: %v", got)
		}
		// Lower case, spaces for dashes: still the code.
		typed := strings.ToLower(strings.ReplaceAll(c.Setup.Code, "-", " "))
		if err := setup(db, typed, pw, now.Add(time.Hour)); err != nil {
			t.Fatalf("setup: %v", err)
		}
		u = user(t, db, u.ID)
		if ok, _ := auth.CheckPassword(u.PasswordHash, strong); !ok || u.MustChangePassword {
			t.Errorf("after setup: password set %v, must change %v", ok, u.MustChangePassword)
		}
		if got := fieldCodes(setup(db, c.Setup.Code, password(t, "another-long-pass-phrase-9"), now.Add(2*time.Hour))); !cmp.Equal(got, []string{"setup_code=err.setup_code"}) {
			t.Errorf("code used twice: %v", got)
		}
		if ok, _ := auth.CheckPassword(user(t, db, u.ID).PasswordHash, strong); !ok {
			t.Error("the second use changed the password")
		}
	})
}

// TestNoOwnRoleTeamOrAgency: nobody changes their own role or team (there
// is no agency field at all); an agency administrator never edits a
// system administrator nor makes one.
func TestNoOwnRoleTeamOrAgency(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		update := func(by *org.User, id string, e account.Edit) error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := account.Update(ctx, tx, prof, account.By(fixture.Actor(by)), id, e, now)
				return err
			})
		}
		mgr, team := org.Manager, o.TeamA.ID
		if got := fieldCodes(update(o.AgencyAdmin, o.AgencyAdmin.ID, account.Edit{Role: &mgr, Version: 1})); !cmp.Equal(got, []string{"role=err.own_role"}) {
			t.Errorf("own role: %v", got)
		}
		if got := fieldCodes(update(o.AgencyAdmin, o.AgencyAdmin.ID, account.Edit{TeamID: &team, Version: 1})); !cmp.Equal(got, []string{"team_id=err.own_team"}) {
			t.Errorf("own team: %v", got)
		}
		if got := fieldCodes(update(o.SystemAdmin, o.SystemAdmin.ID, account.Edit{Role: &mgr, Version: 1})); !cmp.Equal(got, []string{"role=err.own_role"}) {
			t.Errorf("a system administrator's own role: %v", got)
		}
		if u := user(t, db, o.AgencyAdmin.ID); u.Role != org.AgencyAdmin || u.Version != 1 {
			t.Errorf("after refusals: %s v%d", u.Role, u.Version)
		}
		name := "Renamed"
		if err := update(o.AgencyAdmin, o.SystemAdmin.ID, account.Edit{DisplayName: &name, Version: 1}); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("agency admin edits a system administrator: %v", err)
		}
		sys := org.SystemAdmin
		if got := fieldCodes(update(o.AgencyAdmin, o.Caseworker.ID, account.Edit{Role: &sys, Version: 1})); !cmp.Equal(got, []string{"role=err.role_not_allowed"}) {
			t.Errorf("agency admin makes a system administrator: %v", got)
		}
		if err := update(o.AgencyAdmin, o.OtherCaseworker.ID, account.Edit{DisplayName: &name, Version: 1}); errs.KindOf(err) != errs.NotFound {
			t.Errorf("agency admin edits another agency's user: %v", err)
		}
		var reset error
		fixture.In(t, db, func(tx *store.Tx) error {
			_, _, reset = account.Reset(ctx, tx, prof, account.By(fixture.Actor(o.AgencyAdmin)), o.SystemAdmin.ID, account.ResetOptions{}, now)
			return nil
		})
		if errs.KindOf(reset) != errs.Forbidden {
			t.Errorf("agency admin resets a system administrator: %v", reset)
		}
	})
}

// TestRoleChange: a role that reads case content waits for approval; the
// tokens die; the audit has old and new; the DPO is told.
func TestRoleChange(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		fixture.In(t, db, func(tx *store.Tx) error {
			return tx.InsertToken(ctx, &store.APIToken{UserID: o.IMOfficer.ID, Name: "t", Hash: "h1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		})
		mgr := org.Manager
		var u *org.User
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			u, err = account.Update(ctx, tx, prof, account.By(fixture.Actor(o.AgencyAdmin)), o.IMOfficer.ID, account.Edit{Role: &mgr, Version: 1}, now)
			return err
		})
		if u.Role != org.Manager || !u.CaseAccessPending {
			t.Errorf("after the change: %s, pending %v", u.Role, u.CaseAccessPending)
		}
		ev := lastEvent(t, db, "user.role", u.ID)
		d := account.ParseDetail(ev.Detail)
		if d["role"] != (account.Change{Old: "im_officer", New: "manager"}) || d["case_access"] != (account.Change{Old: "none", New: "pending"}) || d["tokens_revoked"].New != "1" {
			t.Errorf("detail %s", ev.Detail)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			if _, _, err := tx.TokenUser(ctx, "h1", now); errs.KindOf(err) != errs.NotFound {
				t.Errorf("token after a role change: %v", err)
			}
			return nil
		})
		if got := notices(t, db, o.DPOfficer.ID); !cmp.Equal(got, []string{"account_role"}) {
			t.Errorf("DPO notifications %v", got)
		}
		// Back to a role without case content: nothing waits any more.
		im := org.IMOfficer
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			u, err = account.Update(ctx, tx, prof, account.By(fixture.Actor(o.AgencyAdmin)), u.ID, account.Edit{Role: &im, Version: u.Version}, now)
			return err
		})
		fixture.Read(t, db, func(tx *store.Tx) error {
			open, err := tx.OpenApprovals(ctx, o.Agency.ID)
			if len(open) != 0 || u.CaseAccessPending {
				t.Errorf("open approvals %v, pending %v", open, u.CaseAccessPending)
			}
			return err
		})
	})
}

// TestDecide: a manager of the agency approves; not the DPO (unless the
// profile says so), not the person, not another agency's manager; a
// decided approval is not decided again.
func TestDecide(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		c := create(t, db, account.By(fixture.Actor(o.AgencyAdmin)), org.NewUser{Username: "sup.new", DisplayName: "New Sup",
			Role: org.Supervisor, TeamID: o.TeamB.ID})
		var ap account.Approval
		fixture.Read(t, db, func(tx *store.Tx) error {
			open, err := tx.OpenApprovals(ctx, o.Agency.ID)
			if len(open) == 1 {
				ap = open[0]
			}
			return err
		})
		decide := func(p *profile.Profile, a access.Actor, approve bool) error {
			return db.Tx(ctx, func(tx *store.Tx) error {
				_, err := account.Decide(ctx, tx, p, a, ap.ID, approve, now)
				return err
			})
		}
		newcomer := fixture.Actor(c.User)
		for _, tt := range []struct {
			name string
			a    access.Actor
			want errs.Kind
		}{
			{"the DPO under role_approval_by: manager", fixture.Actor(o.DPOfficer), errs.Forbidden},
			{"the administrator", fixture.Actor(o.AgencyAdmin), errs.NotFound},
			{"a supervisor", fixture.Actor(o.Supervisor), errs.NotFound},
			{"another agency's manager", fixture.Actor(o.OtherManager), errs.NotFound},
			{"the person", newcomer, errs.NotFound},
		} {
			if err := decide(prof, tt.a, true); errs.KindOf(err) != tt.want {
				t.Errorf("%s approves: %v, want kind %d", tt.name, err, tt.want)
			}
		}
		if !user(t, db, c.User.ID).CaseAccessPending {
			t.Fatal("refused approvers changed the account")
		}
		if err := decide(prof, fixture.Actor(o.Manager), true); err != nil {
			t.Fatal(err)
		}
		if user(t, db, c.User.ID).CaseAccessPending {
			t.Error("approved, still pending")
		}
		if err := decide(prof, fixture.Actor(o.Manager), false); errs.KindOf(err) != errs.Conflict {
			t.Errorf("decided twice: %v", err)
		}
		if got := notices(t, db, o.DPOfficer.ID); !cmp.Equal(got, []string{"account_approved", "account_created"}) {
			t.Errorf("DPO notifications %v", got)
		}
		if got := notices(t, db, c.User.ID); !cmp.Equal(got, []string{"account_approved"}) {
			t.Errorf("the person's notifications %v", got)
		}
		ev := lastEvent(t, db, "user.approve", c.User.ID)
		if d := account.ParseDetail(ev.Detail); d["case_access"] != (account.Change{Old: "pending", New: "granted"}) || ev.ActorID != "" && ev.ActorID != o.Manager.ID {
			t.Errorf("user.approve %+v", ev)
		}

		// Under role_approval_by: dp_officer the DPO approves, and a manager does not.
		dpoProf := *prof
		dpoProf.RoleApprovalBy = profile.ApprovalByDPO
		fixture.In(t, db, func(tx *store.Tx) error {
			_, _, err := account.Reset(ctx, tx, &dpoProf, account.By(fixture.Actor(o.AgencyAdmin)), c.User.ID, account.ResetOptions{}, now)
			return err
		})
		fixture.Read(t, db, func(tx *store.Tx) error {
			open, err := tx.OpenApprovals(ctx, o.Agency.ID)
			if len(open) == 1 {
				ap = open[0]
			}
			return err
		})
		if ap.Reason != account.ReasonReset {
			t.Fatalf("after a reset, approval %+v", ap)
		}
		if err := decide(&dpoProf, fixture.Actor(o.Manager), false); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("a manager refuses under dp_officer: %v", err)
		}
		if err := decide(&dpoProf, fixture.Actor(o.DPOfficer), false); err != nil {
			t.Errorf("the DPO refuses: %v", err)
		}
		if !user(t, db, c.User.ID).CaseAccessPending {
			t.Error("refused, yet case access granted")
		}
	})
}

// TestResetAndUnlock: a reset clears the password, ends the sessions,
// revokes the tokens and older codes, and case access waits again; an
// unlock makes case access wait again too; both leave a notice for the
// person naming who acted.
func TestResetAndUnlock(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		fixture.In(t, db, func(tx *store.Tx) error {
			if err := tx.InsertSession(ctx, &store.Session{ID: "s1", UserID: o.Caseworker.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				return err
			}
			return tx.InsertToken(ctx, &store.APIToken{UserID: o.Caseworker.ID, Name: "t", Hash: "h1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
		})
		admin := account.By(fixture.Actor(o.AgencyAdmin))
		var first, second *account.Issued
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			if first, _, err = account.Reset(ctx, tx, prof, admin, o.Caseworker.ID, account.ResetOptions{MailConfigured: true}, now); err != nil {
				return err
			}
			second, _, err = account.Reset(ctx, tx, prof, admin, o.Caseworker.ID, account.ResetOptions{}, now)
			return err
		})
		if first.Mail {
			t.Error("mailed to a user without an address")
		}
		u := user(t, db, o.Caseworker.ID)
		if !u.SetupPending() || !u.CaseAccessPending {
			t.Errorf("after reset: setup pending %v, case access pending %v", u.SetupPending(), u.CaseAccessPending)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			if _, _, err := tx.SessionUser(ctx, "s1"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("session after reset: %v", err)
			}
			if _, _, err := tx.TokenUser(ctx, "h1", now); errs.KindOf(err) != errs.NotFound {
				t.Errorf("token after reset: %v", err)
			}
			return nil
		})
		if got := fieldCodes(setup(db, first.Code, password(t, strong), now)); !cmp.Equal(got, []string{"setup_code=err.setup_code"}) {
			t.Errorf("a code replaced by a newer reset: %v", got)
		}
		if err := setup(db, second.Code, password(t, strong), now); err != nil {
			t.Fatal(err)
		}
		var got []account.Notice
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			got, err = tx.TakeNotices(ctx, o.Caseworker.ID, now)
			return err
		})
		if len(got) != 2 || got[0].Kind != account.NoticeReset || got[0].ActorName != o.AgencyAdmin.DisplayName {
			t.Errorf("notices %+v", got)
		}
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			got, err = tx.TakeNotices(ctx, o.Caseworker.ID, now)
			return err
		})
		if len(got) != 0 {
			t.Errorf("notices shown twice: %+v", got)
		}
		if got := fieldCodes(db.Tx(ctx, func(tx *store.Tx) error {
			_, _, err := account.Reset(ctx, tx, prof, admin, o.AgencyAdmin.ID, account.ResetOptions{}, now)
			return err
		})); !cmp.Equal(got, []string{"reset=err.reset_self"}) {
			t.Errorf("reset oneself: %v", got)
		}

		// Unlock: the manager's case access waits again.
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := account.Unlock(ctx, tx, prof, admin, o.Manager.ID, now)
			return err
		})
		if m := user(t, db, o.Manager.ID); !m.CaseAccessPending {
			t.Error("unlocked manager keeps case access")
		}
		ev := lastEvent(t, db, "user.unlock", o.Manager.ID)
		if d := account.ParseDetail(ev.Detail); d["case_access"] != (account.Change{Old: "granted", New: "pending"}) {
			t.Errorf("user.unlock detail %s", ev.Detail)
		}
		if got := notices(t, db, o.DPOfficer.ID); !cmp.Equal(got, []string{"account_reset", "account_reset", "account_unlocked"}) {
			t.Errorf("DPO notifications %v", got)
		}
		// The manager cannot approve their own unlock; nobody else manages the agency here.
		if got := notices(t, db, o.Manager.ID); !cmp.Equal(got, []string{"account_approval", "account_approval"}) {
			t.Errorf("manager notifications %v (the two resets of the caseworker, not their own unlock)", got)
		}
	})
}

// TestFirstAdminPassword: only the shell operator, only for the first
// system administrator, types a password; nobody else chooses one.
func TestFirstAdminPassword(t *testing.T) {
	t.Parallel()
	t.Run("later", func(t *testing.T) { testFirstAdminLater(t) })
	t.Run("first", func(t *testing.T) { testFirstAdmin(t) })
}

func testFirstAdminLater(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db) // holds a system administrator already
		pw := password(t, strong)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := account.Create(ctx, tx, prof, account.Shell, org.NewUser{Username: "root2", DisplayName: "Root",
				Role: org.SystemAdmin, AgencyID: o.Agency.ID}, account.CreateOptions{Password: &pw}, now)
			return err
		})
		if got := fieldCodes(err); !cmp.Equal(got, []string{"password=err.password_not_yours"}) {
			t.Errorf("a second system administrator with a typed password: %v", got)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := account.Create(ctx, tx, prof, account.By(fixture.Actor(o.SystemAdmin)), org.NewUser{Username: "cw9",
				DisplayName: "CW", Role: org.Caseworker, AgencyID: o.Agency.ID, TeamID: o.TeamA.ID}, account.CreateOptions{Password: &pw}, now)
			return err
		})
		if got := fieldCodes(err); !cmp.Equal(got, []string{"password=err.password_not_yours"}) {
			t.Errorf("an administrator chooses a password: %v", got)
		}
	})
}

func testFirstAdmin(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		var ag org.Agency
		fixture.In(t, db, func(tx *store.Tx) error {
			ag = org.Agency{Name: "HQ", Code: "HQ", CreatedAt: now}
			return tx.InsertAgency(ctx, &ag)
		})
		pw := password(t, strong)
		var c *account.Created
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			c, err = account.Create(ctx, tx, prof, account.Shell, org.NewUser{Username: "root", DisplayName: "Root",
				Role: org.SystemAdmin, AgencyID: ag.ID}, account.CreateOptions{Password: &pw}, now)
			return err
		})
		if c.Setup != nil || c.User.SetupPending() || c.User.CaseAccessPending {
			t.Errorf("first admin: %+v", c)
		}
		if ev := lastEvent(t, db, "user.create", c.User.ID); ev.ActorRole != "cli" {
			t.Errorf("event %+v", ev)
		}
	})
}

func TestNormalizeCode(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ23":      "ABCDEFGHJKMNPQRSTVWXYZ23",
		" abcd efgh jkmn pqrs tvwx yz23 ":    "ABCDEFGHJKMNPQRSTVWXYZ23",
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ2":       "",
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ234":     "",
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ2O":      "", // O is not in the alphabet
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ2\u00e9": "",
		"":                                   "",
	} {
		if got := account.NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"ABCD-EFGH-JKMN-PQRS-TVWX-YZ23", "abcd efgh", "", "\x00", "ABCD-EFGH-JKMN-PQRS-TVWX-YZ2\u00e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := account.NormalizeCode(s)
		if n == "" {
			if account.HashCode(s) != "" {
				t.Errorf("HashCode(%q) of no code", s)
			}
			return
		}
		if len(n) != 24 || account.NormalizeCode(n) != n || account.HashCode(s) != account.HashCode(n) {
			t.Errorf("NormalizeCode(%q) = %q, not canonical", s, n)
		}
	})
}

func TestFormatCode(t *testing.T) {
	t.Parallel()
	if got := account.FormatCode(" abcdefghjkmnpqrstvwxyz23"); got != "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23" {
		t.Errorf("FormatCode = %q", got)
	}
	if got := account.FormatCode("nope"); got != "" {
		t.Errorf("FormatCode(nope) = %q", got)
	}
}

// TestNewPasswordOwnNames: a new password is checked with its owner's own
// names (the policy refuses a password built on them).
func TestNewPasswordOwnNames(t *testing.T) {
	t.Parallel()
	amina := &org.User{Username: "amina", DisplayName: "Amina Yusuf"}
	if _, err := account.NewPassword("amina.yusuf2024", "amina.yusuf2024", amina, hash); !slices.Contains(fieldCodes(err), "new_password=err.password_personal") {
		t.Errorf("a password of her own names: %v", err)
	}
	if _, err := account.NewPassword(strong, strong, amina, hash); err != nil {
		t.Errorf("a strong password: %v", err)
	}
	if _, err := account.NewPassword(strong, strong+"x", amina, hash); !slices.Contains(fieldCodes(err), "confirm_password=err.password_mismatch") {
		t.Errorf("a confirmation that differs: %v", err)
	}
}
