package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

func addTeam(db *store.DB, o account.Operator, in org.NewTeam) (*org.Team, error) {
	var tm *org.Team
	err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		tm, err = account.AddTeam(ctx, tx, o, in, now)
		return err
	})
	return tm, err
}

func addAgency(db *store.DB, o account.Operator, in org.NewAgency) (*org.Agency, error) {
	var a *org.Agency
	err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		a, err = account.AddAgency(ctx, tx, o, in, now)
		return err
	})
	return a, err
}

// TestAddTeam: an agency administrator adds teams to their own agency
// whatever agency they name; a system administrator to the one chosen;
// the shell to any; nobody else at all. An unknown agency is a field
// error; the event is team.create about the team, in its agency.
func TestAddTeam(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		admin := account.By(fixture.Actor(o.AgencyAdmin))
		tm, err := addTeam(db, admin, org.NewTeam{AgencyID: o.OtherAgency.ID, Name: "  East  "})
		if err != nil {
			t.Fatal(err)
		}
		if tm.AgencyID != o.Agency.ID || tm.Name != "East" || tm.ID == "" {
			t.Errorf("agency admin's team: %+v, want East in their own agency %s", tm, o.Agency.ID)
		}
		e := lastEvent(t, db, "team.create", tm.ID)
		if e.RecordType != "team" || e.AgencyID != o.Agency.ID || e.ActorID != "" || e.ActorRole != "" || e.Detail != "" {
			t.Errorf("team.create event: %+v", e)
		}

		sys := account.By(fixture.Actor(o.SystemAdmin))
		if tm, err := addTeam(db, sys, org.NewTeam{AgencyID: o.OtherAgency.ID, Name: "West"}); err != nil || tm.AgencyID != o.OtherAgency.ID {
			t.Errorf("system admin's team in the agency chosen: %+v, %v", tm, err)
		}
		if tm, err := addTeam(db, sys, org.NewTeam{Name: "Nowhere"}); err != nil || tm.AgencyID != o.SystemAdmin.AgencyID {
			t.Errorf("system admin's team, no agency chosen: %+v, %v", tm, err)
		}
		if tm, err := addTeam(db, account.Shell, org.NewTeam{AgencyID: o.OtherAgency.ID, Name: "Shell"}); err != nil {
			t.Errorf("shell: %v", err)
		} else if e := lastEvent(t, db, "team.create", tm.ID); e.ActorRole != account.ShellRole || e.AgencyID != o.OtherAgency.ID {
			t.Errorf("shell's team.create event: %+v", e)
		}

		for _, u := range []*org.User{o.Manager, o.Caseworker, o.DPOfficer} {
			if _, err := addTeam(db, account.By(fixture.Actor(u)), org.NewTeam{AgencyID: o.Agency.ID, Name: "Mine"}); errs.KindOf(err) != errs.Forbidden {
				t.Errorf("%s adds a team: %v, want forbidden", u.Role, err)
			}
		}
		if _, err := addTeam(db, sys, org.NewTeam{AgencyID: "no-such-agency", Name: "Lost"}); !cmp.Equal(fieldCodes(err), []string{"agency_id=err.choose"}) {
			t.Errorf("unknown agency: %v", err)
		}
		if _, err := addTeam(db, account.Shell, org.NewTeam{Name: " "}); !cmp.Equal(fieldCodes(err), []string{"agency_id=err.choose", "name=err.required"}) {
			t.Errorf("shell, nothing given: %v", err)
		}
		if _, err := addTeam(db, admin, org.NewTeam{Name: "East"}); !cmp.Equal(fieldCodes(err), []string{"name=err.taken"}) {
			t.Errorf("same name again: %v", err)
		}
	})
}

// TestAddAgency: only a system administrator (or the shell) adds an
// agency; its code is upper-cased and unique; the event is agency.create
// about the agency, in it.
func TestAddAgency(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		a, err := addAgency(db, account.By(fixture.Actor(o.SystemAdmin)), org.NewAgency{Name: " New Aid ", Code: "na"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "New Aid" || a.Code != "NA" || a.ID == "" {
			t.Errorf("agency: %+v", a)
		}
		if e := lastEvent(t, db, "agency.create", a.ID); e.RecordType != "agency" || e.AgencyID != a.ID || e.ActorRole != "" || e.Detail != "" {
			t.Errorf("agency.create event: %+v", e)
		}
		if a, err := addAgency(db, account.Shell, org.NewAgency{Name: "Shell Aid", Code: "SA"}); err != nil {
			t.Errorf("shell: %v", err)
		} else if e := lastEvent(t, db, "agency.create", a.ID); e.ActorRole != account.ShellRole || e.AgencyID != a.ID {
			t.Errorf("shell's agency.create event: %+v", e)
		}
		for _, u := range []*org.User{o.AgencyAdmin, o.Manager, o.DPOfficer} {
			if _, err := addAgency(db, account.By(fixture.Actor(u)), org.NewAgency{Name: "Mine", Code: "MINE"}); errs.KindOf(err) != errs.Forbidden {
				t.Errorf("%s adds an agency: %v, want forbidden", u.Role, err)
			}
		}
		if _, err := addAgency(db, account.Shell, org.NewAgency{Name: "Again", Code: "NA"}); !cmp.Equal(fieldCodes(err), []string{"code=err.taken"}) {
			t.Errorf("same code again: %v", err)
		}
		if _, err := addAgency(db, account.Shell, org.NewAgency{Code: "x"}); !cmp.Equal(fieldCodes(err), []string{"code=err.agency_code", "name=err.required"}) {
			t.Errorf("bad input: %v", err)
		}
	})
}

// failingAgencies is a store whose agency look-ups fail as a database
// would (a lost connection, a cancelled context).
type failingAgencies struct {
	*store.Tx
	err error
}

func (f failingAgencies) AgencyExists(context.Context, string) (bool, error) { return false, f.err }

// TestAgencyLookupErrorsAreNotFieldErrors: a failure of the agency look-up
// is returned as it is (a 5xx), never as "choose a valid agency"; only an
// agency that does not exist is the field error.
func TestAgencyLookupErrorsAreNotFieldErrors(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		down := errors.New("connection lost")
		sys := account.By(fixture.Actor(o.SystemAdmin))
		db.Tx(ctx, func(tx *store.Tx) error {
			ftx := failingAgencies{Tx: tx, err: down}
			if _, err := account.AddTeam(ctx, ftx, sys, org.NewTeam{AgencyID: o.Agency.ID, Name: "East"}, now); !errors.Is(err, down) {
				t.Errorf("AddTeam: %v, want the database's error", err)
			}
			_, err := account.Create(ctx, ftx, prof, sys, org.NewUser{Username: "new.one", DisplayName: "New", Role: org.IMOfficer,
				AgencyID: o.Agency.ID}, account.CreateOptions{}, now)
			if !errors.Is(err, down) {
				t.Errorf("Create: %v, want the database's error", err)
			}
			return errors.New("roll back")
		})
		// A real store with its context gone: the context's error, not a field error.
		db.Tx(ctx, func(tx *store.Tx) error {
			gone, cancel := context.WithCancel(ctx)
			cancel()
			_, err := account.AddTeam(gone, tx, sys, org.NewTeam{AgencyID: o.Agency.ID, Name: "East"}, now)
			if _, isField := errs.AsFields(err); err == nil || isField {
				t.Errorf("AddTeam with a cancelled context: %v, want the context's error", err)
			}
			return errors.New("roll back")
		})
	})
}

// TestScopeAndMay: a system administrator administers the agency chosen
// (all when none), anyone else their own; May decides through access.
func TestScopeAndMay(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		sys, admin, mgr := fixture.Actor(o.SystemAdmin), fixture.Actor(o.AgencyAdmin), fixture.Actor(o.Manager)
		if got := account.Scope(sys, o.OtherAgency.ID); got != o.OtherAgency.ID {
			t.Errorf("system admin's scope: %q", got)
		}
		if got := account.Scope(sys, ""); got != "" {
			t.Errorf("system admin's scope, none chosen: %q", got)
		}
		if got := account.Scope(admin, o.OtherAgency.ID); got != o.Agency.ID {
			t.Errorf("agency admin's scope: %q, want their own agency", got)
		}
		cases := []struct {
			who    access.Actor
			act    access.Action
			kind   access.Kind
			agency string
			allow  bool
		}{
			{sys, access.Manage, access.KindAgency, "", true},
			{admin, access.Manage, access.KindAgency, "", false},
			{admin, access.Create, access.KindUser, o.Agency.ID, true},
			{admin, access.Create, access.KindUser, o.OtherAgency.ID, false},
			{mgr, access.View, access.KindUser, o.Agency.ID, true},
			{mgr, access.Create, access.KindTeam, o.Agency.ID, false},
			{sys, access.Create, access.KindTeam, "", true},
		}
		for _, c := range cases {
			err := account.May(c.who, c.act, c.kind, c.agency)
			if (err == nil) != c.allow || (err != nil && errs.KindOf(err) != errs.Forbidden) {
				t.Errorf("%s %s %s in %q: %v, want allowed %v", c.who.Role, c.act, c.kind, c.agency, err, c.allow)
			}
		}
	})
}

// TestChangeProblems: the checks of a change of one's own password, in
// the order the page shows them.
func TestChangeProblems(t *testing.T) {
	t.Parallel()
	owner := &org.User{Username: "ann.smith", DisplayName: "Ann Smith", Email: "ann@example.org"}
	const old = "tangerine-ocelot-47-umbrella"
	cases := []struct {
		name, current, next, confirm string
		want                         []string
	}{
		{"fine", old, "another-long-pass-phrase-9", "another-long-pass-phrase-9", nil},
		{"too short", old, "short", "short", []string{"new_password=err.password_short"}},
		{"own name", old, "annsmith2024!", "annsmith2024!", []string{"new_password=err.password_personal"}},
		{"not confirmed", old, "another-long-pass-phrase-9", "another", []string{"confirm_password=err.password_mismatch"}},
		{"the same", old, old, old, []string{"new_password=err.password_same"}},
	}
	for _, c := range cases {
		f := account.ChangeProblems(c.current, c.next, c.confirm, owner)
		if got := fieldCodes(f.Err()); !cmp.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
