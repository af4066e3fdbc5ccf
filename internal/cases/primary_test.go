package cases_test

import (
	"context"
	"errors"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestMayChoose is the one rule of who may be a case's primary caseworker,
// and who may choose them.
func TestMayChoose(t *testing.T) {
	t.Parallel()
	user := func(id string, r org.Role, agency, team string) *org.User {
		return &org.User{ID: id, Role: r, AgencyID: agency, TeamID: team}
	}
	disabled := user("cw9", org.Caseworker, "ag", "tA")
	disabled.DisabledAt = fixture.Now
	cw := access.Actor{UserID: "cw1", Role: org.Caseworker, AgencyID: "ag", TeamID: "tA"}
	sup := access.Actor{UserID: "sup1", Role: org.Supervisor, AgencyID: "ag", TeamID: "tA"}
	mgr := access.Actor{UserID: "mgr1", Role: org.Manager, AgencyID: "ag"}
	tests := []struct {
		name   string
		by     access.Actor
		u      *org.User
		agency string
		want   string // field error code on caseworker_id; "" for allowed
	}{
		{"caseworker themselves", cw, user("cw1", org.Caseworker, "ag", "tA"), "ag", ""},
		{"caseworker a colleague", cw, user("cw2", org.Caseworker, "ag", "tA"), "ag", "err.caseworker_self"},
		{"caseworker no one", cw, nil, "ag", "err.caseworker_self"},
		{"supervisor own team caseworker", sup, user("cw2", org.Caseworker, "ag", "tA"), "ag", ""},
		{"supervisor themselves", sup, user("sup1", org.Supervisor, "ag", "tA"), "ag", ""},
		{"supervisor another team", sup, user("cwB", org.Caseworker, "ag", "tB"), "ag", "err.caseworker_team"},
		{"supervisor another agency", sup, user("cwO", org.Caseworker, "other", "tA"), "ag", "err.caseworker"},
		{"manager any team", mgr, user("cwB", org.Caseworker, "ag", "tB"), "ag", ""},
		{"manager a supervisor", mgr, user("supB", org.Supervisor, "ag", "tB"), "ag", ""},
		{"manager another agency", mgr, user("cwO", org.Caseworker, "other", "tO"), "ag", "err.caseworker"},
		{"manager a manager", mgr, user("mgr2", org.Manager, "ag", "tA"), "ag", "err.caseworker"},
		{"manager a data protection officer", mgr, user("dpo", org.DPOfficer, "ag", "tA"), "ag", "err.caseworker"},
		{"manager a service provider", mgr, user("sp", org.ServiceProvider, "ag", "tA"), "ag", "err.caseworker"},
		{"manager someone without a team", mgr, user("cw3", org.Caseworker, "ag", ""), "ag", "err.caseworker"},
		{"manager someone disabled", mgr, disabled, "ag", "err.caseworker"},
		{"manager no one", mgr, nil, "ag", "err.caseworker"},
		{"case of another agency", mgr, user("cwB", org.Caseworker, "ag", "tB"), "other", "err.caseworker"},
	}
	for _, tt := range tests {
		err := cases.MayChoose(tt.by, tt.u, tt.agency)
		var got string
		if err != nil {
			fe, ok := errs.AsFields(err)
			if !ok || len(fe) != 1 || fe[0].Field != "caseworker_id" {
				t.Errorf("%s: %v, want one field error on caseworker_id", tt.name, err)
				continue
			}
			got = fe[0].Msg
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
		if tt.u != nil && tt.by.Role == org.Manager && org.MayBePrimary(tt.u, tt.agency) != (tt.want == "") {
			t.Errorf("%s: org.MayBePrimary disagrees with MayChoose for a manager", tt.name)
		}
	}
}

// TestCandidates: the choice the forms offer is MayChoose applied to the
// agency's people.
func TestCandidates(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		tests := []struct {
			name string
			by   *org.User
			want []string
		}{
			{"caseworker", o.Caseworker, nil},
			{"supervisor", o.Supervisor, []string{o.Caseworker.ID, o.Caseworker2.ID, o.Supervisor.ID}},
			{"manager", o.Manager, []string{o.Caseworker.ID, o.Caseworker2.ID, o.CaseworkerB.ID, o.Supervisor.ID, o.SupervisorB.ID}},
		}
		for _, tt := range tests {
			var got []string
			fixture.Read(t, db, func(tx *store.Tx) error {
				us, err := cases.Candidates(ctx, tx, fixture.Actor(tt.by), o.Agency.ID)
				for _, u := range us {
					got = append(got, u.ID)
				}
				return err
			})
			if diff := cmp.Diff(sortedIDs(tt.want), sortedIDs(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}

func sortedIDs(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

// failing is a transaction whose reads of users and screenings fail, as a
// lost database connection or a cancelled request would make them.
type failing struct {
	*store.Tx
	err error
}

func (f failing) User(ctx context.Context, id string) (*org.User, error) { return nil, f.err }

func (f failing) Screening(ctx context.Context, id string) (*intake.Screening, error) {
	return nil, f.err
}

// TestReadFailuresAreNotFieldErrors: only a missing user or screening is
// the form's mistake (422); a failure to read them is returned as it is.
func TestReadFailuresAreNotFieldErrors(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), now)
		boom := errors.New("connection lost")
		for _, failure := range []error{boom, context.Canceled} {
			tests := []struct {
				name string
				op   func(tx cases.Tx) error
			}{
				{"register naming a caseworker", func(tx cases.Tx) error {
					r := fixture.Registration(profile.CP)
					r.CaseworkerID = o.Caseworker.ID
					_, err := cases.Register(ctx, tx, profile.Default(), fixture.Actor(o.Supervisor), r, newCode, now)
					return err
				}},
				{"register for oneself", func(tx cases.Tx) error {
					_, err := cases.Register(ctx, tx, profile.Default(), fixture.Actor(o.Caseworker), fixture.Registration(profile.CP), newCode, now)
					return err
				}},
				{"assign", func(tx cases.Tx) error {
					_, err := cases.Assign(ctx, tx, fixture.Actor(o.Supervisor), c.ID, 1, o.Caseworker2.ID, now)
					return err
				}},
			}
			for _, tt := range tests {
				err := db.Tx(ctx, func(tx *store.Tx) error { return tt.op(failing{tx, failure}) })
				if !errors.Is(err, failure) {
					t.Errorf("%s, reading fails with %v: %v, want that failure", tt.name, failure, err)
				}
				if _, ok := errs.AsFields(err); ok {
					t.Errorf("%s: a read failure became the field error %v", tt.name, err)
				}
			}
		}
		// A screening that cannot be read: not "choose a valid screening".
		err := db.Tx(ctx, func(tx *store.Tx) error {
			r := fixture.Registration(profile.CP)
			r.ScreeningID = store.NewID()
			_, err := cases.Register(ctx, screeningFails{tx, boom}, profile.Default(), fixture.Actor(o.Caseworker), r, newCode, now)
			return err
		})
		if !errors.Is(err, boom) {
			t.Errorf("register with an unreadable screening: %v, want %v", err, boom)
		}
		// A screening that does not exist stays the form's mistake.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			r := fixture.Registration(profile.CP)
			r.ScreeningID = store.NewID()
			_, err := cases.Register(ctx, tx, profile.Default(), fixture.Actor(o.Caseworker), r, newCode, now)
			return err
		})
		if diff := cmp.Diff([]string{"screening_id=err.screening"}, fieldCodes(err)); diff != "" {
			t.Errorf("register with a missing screening: %v", err)
		}
	})
}

// screeningFails is a transaction whose reads of screenings fail.
type screeningFails struct {
	*store.Tx
	err error
}

func (f screeningFails) Screening(ctx context.Context, id string) (*intake.Screening, error) {
	return nil, f.err
}

// TestListsOf: which caseload and which team view each role sees.
func TestListsOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role        org.Role
		scope       access.Scope
		id, team    string
		picks, deny bool
	}{
		{org.Caseworker, access.Own, "u1", "", false, true},
		{org.Supervisor, access.Own, "u1", "tA", false, false},
		{org.Manager, access.Agency, "ag", "", true, false},
		{org.DPOfficer, access.Own, "u1", "", false, true},
		{org.ServiceProvider, access.Own, "u1", "", false, true},
	}
	for _, tt := range tests {
		a := access.Actor{UserID: "u1", AgencyID: "ag", TeamID: "tA", Role: tt.role}
		if scope, id := cases.Caseload(a); scope != tt.scope || id != tt.id {
			t.Errorf("%s: caseload %s %s, want %s %s", tt.role, scope, id, tt.scope, tt.id)
		}
		team, picks, err := cases.TeamView(a)
		if (err != nil) != tt.deny || (err != nil && !errors.Is(err, errs.ErrForbidden)) {
			t.Errorf("%s: team view error %v, want denied %v", tt.role, err, tt.deny)
		}
		if err == nil && (team != tt.team || picks != tt.picks) {
			t.Errorf("%s: team view %q picks %v, want %q %v", tt.role, team, picks, tt.team, tt.picks)
		}
	}
}
