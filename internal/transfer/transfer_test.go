package transfer_test

import (
	"context"
	"errors"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
	"github.com/safecase/safecase/internal/transfer"
)

var _ transfer.Tx = (*store.Tx)(nil)

var ctx = context.Background()

func form(version int) transfer.Input {
	return transfer.Input{Version: version, Reason: "relocation", FamilyToldOn: "2025-03-09", FamilyToldTo: "the survivor",
		FamilyToldWhy: "she moves to the north where Other Aid works", HandoverPlan: "joint visit, then weekly calls",
		WarmHandoverOn: "2025-03-12"}
}

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

func sees(t *testing.T, db *store.DB, a access.Actor, caseID string, s access.Section) bool {
	t.Helper()
	a.Now = fixture.Now
	_, err := run(t, db, func(tx *store.Tx) (*cases.Case, error) { return cases.GetShared(ctx, tx, a, s, caseID) })
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestExternalTransfer(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), fixture.Now)
		in := form(c.Version)
		in.ToAgencyID = o.OtherAgency.ID
		in.Sections = []string{"registration", "plan"}
		p := profile.Default()

		// No consent to share: refused.
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Request(ctx, tx, p, cw, c.ID, in, fixture.Now)
		}); !hasField(err, "consent") {
			t.Fatalf("without consent: %v", err)
		}
		// Missing family notification and handover: each named.
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := consent.Add(ctx, tx, p, cw, c.ID, consent.Input{Scope: "share_services", Giver: consent.Self,
				Kind: consent.KindConsent, Decision: consent.Given, Method: "written", ObtainedOn: "2025-03-10"}, fixture.Now)
			return err
		})
		bad := in
		bad.FamilyToldTo, bad.HandoverPlan, bad.WarmHandoverOn = "", "", ""
		_, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Request(ctx, tx, p, cw, c.ID, bad, fixture.Now)
		})
		for _, f := range []string{"family_told_to", "handover_plan", "no_warm_handover_why"} {
			if !hasField(err, f) {
				t.Errorf("missing %s not named: %v", f, err)
			}
		}
		tr, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Request(ctx, tx, p, cw, c.ID, in, fixture.Now)
		})
		if err != nil || tr.Kind != transfer.External || tr.Status != transfer.Requested {
			t.Fatalf("request: %v %+v", err, tr)
		}
		// Before accepting, the receiving supervisor sees the two sections only.
		osup := fixture.Actor(o.OtherSupervisor)
		if !sees(t, db, osup, c.ID, access.Registration) || !sees(t, db, osup, c.ID, access.Plan) ||
			sees(t, db, osup, c.ID, access.Identity) {
			t.Error("receiving supervisor's view before acceptance is not exactly the shared sections")
		}
		// The sender cannot accept; a second transfer cannot start.
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Decide(ctx, tx, p, cw, tr.ID, transfer.Decision{Version: 1, Accept: true}, fixture.Now)
		}); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("sender accepts: %v", err)
		}
		// Accepting names a caseworker of the receiving agency.
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Decide(ctx, tx, p, osup, tr.ID, transfer.Decision{Version: 1, Accept: true,
				CaseworkerID: o.Caseworker2.ID}, fixture.Now)
		}); !hasField(err, "caseworker_id") {
			t.Fatalf("accept to another agency's caseworker: %v", err)
		}
		tr, err = run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Decide(ctx, tx, p, osup, tr.ID, transfer.Decision{Version: 1, Accept: true,
				CaseworkerID: o.OtherCaseworker.ID}, fixture.Now)
		})
		if err != nil || tr.Status != transfer.Accepted {
			t.Fatalf("accept: %v %+v", err, tr)
		}
		// Ownership moved: the first caseworker and supervisor lose the case;
		// the new caseworker has all of it, with its open deadlines.
		if sees(t, db, cw, c.ID, access.Registration) || sees(t, db, fixture.Actor(o.Supervisor), c.ID, access.Registration) {
			t.Error("the sending side still sees the case")
		}
		ocw := fixture.Actor(o.OtherCaseworker)
		for _, s := range access.Sections {
			if !sees(t, db, ocw, c.ID, s) {
				t.Errorf("new caseworker cannot see %s", s)
			}
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			moved, err := tx.Case(ctx, c.ID)
			if err != nil {
				return err
			}
			if moved.AgencyID != o.OtherAgency.ID || moved.CaseworkerID != o.OtherCaseworker.ID || moved.TeamID != o.OtherTeam.ID {
				t.Errorf("case owner %s/%s/%s", moved.AgencyID, moved.TeamID, moved.CaseworkerID)
			}
			ds, err := tx.CaseDeadlines(ctx, c.ID)
			for _, d := range ds {
				if d.Open() && (d.AssigneeID != o.OtherCaseworker.ID || d.TeamID != o.OtherTeam.ID) {
					t.Errorf("open deadline %s still with %s", d.Kind, d.AssigneeID)
				}
			}
			ts, _ := tx.CaseTransfers(ctx, c.ID)
			if len(ts) != 1 || ts[0].FromCaseworkerID != o.Caseworker.ID {
				t.Errorf("history: %+v", ts)
			}
			return err
		})
	})
}

func TestInternalTransfer(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, sup := fixture.Actor(o.Caseworker), fixture.Actor(o.Supervisor)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.CP), fixture.Now)
		p := profile.Default()
		in := form(c.Version)
		in.Reason, in.ToUserID = "caseworker_unavailable", o.CaseworkerB.ID
		tr, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Request(ctx, tx, p, cw, c.ID, in, fixture.Now)
		})
		if err != nil || tr.Kind != transfer.Internal || tr.Status != transfer.Requested {
			t.Fatalf("request: %v %+v", err, tr)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			ds, err := tx.CaseDeadlines(ctx, c.ID)
			n := 0
			for _, d := range ds {
				if d.Kind == deadline.TransferDecision && d.Open() && d.AssigneeID == o.Supervisor.ID {
					n++
				}
			}
			if n != 1 {
				t.Errorf("supervisor has %d transfer decisions", n)
			}
			return err
		})
		// The caseworker cannot approve; the supervisor does.
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Decide(ctx, tx, p, cw, tr.ID, transfer.Decision{Version: 1, Accept: true}, fixture.Now)
		}); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("caseworker approves: %v", err)
		}
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Decide(ctx, tx, p, sup, tr.ID, transfer.Decision{Version: 1, Accept: true}, fixture.Now)
		}); err != nil {
			t.Fatal(err)
		}
		if sees(t, db, cw, c.ID, access.Registration) || !sees(t, db, fixture.Actor(o.CaseworkerB), c.ID, access.Registration) {
			t.Error("internal transfer did not move the case")
		}
	})
}

func hasField(err error, f string) bool {
	fs, ok := errs.AsFields(err)
	return ok && fs.Has(f)
}

// TestBulkTransfer: a manager offers every open case of a team to another
// agency at once; a case without consent to share stays and is listed;
// a caseworker may not run it.
func TestBulkTransfer(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		cw := fixture.Actor(o.Caseworker)
		var ids []string
		for i := 0; i < 3; i++ {
			c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), fixture.Now)
			ids = append(ids, c.ID)
			if i == 2 {
				continue // no consent to share
			}
			fixture.In(t, db, func(tx *store.Tx) error {
				_, err := consent.Add(ctx, tx, p, cw, c.ID, consent.Input{Scope: "share_services", Giver: consent.Self,
					Kind: consent.KindConsent, Decision: consent.Given, Method: "written", ObtainedOn: "2025-03-10"}, fixture.Now)
				return err
			})
		}
		other := fixture.Register(t, db, fixture.Actor(o.CaseworkerB), fixture.Registration(profile.GBV), fixture.Now)
		in := transfer.BulkInput{TeamID: o.TeamA.ID, Input: form(0)}
		in.ToAgencyID, in.Reason = o.OtherAgency.ID, "organisational"
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.BulkResult, error) {
			return transfer.Bulk(ctx, tx, p, cw, ids, in, fixture.Now)
		}); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("caseworker runs a bulk transfer: %v", err)
		}
		bad := in
		bad.HandoverPlan = ""
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.BulkResult, error) {
			return transfer.Bulk(ctx, tx, p, fixture.Actor(o.Manager), ids, bad, fixture.Now)
		}); !hasField(err, "handover_plan") {
			t.Fatalf("bulk without a handover plan: %v", err)
		}
		res, err := run(t, db, func(tx *store.Tx) (*transfer.BulkResult, error) {
			return transfer.Bulk(ctx, tx, p, fixture.Actor(o.Manager), append(ids, other.ID), in, fixture.Now)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Requested) != 2 || res.Skipped[ids[2]] != "err.referral_no_consent" || len(res.Skipped) != 1 {
			t.Fatalf("bulk result: %+v", res)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			for _, id := range res.Requested {
				ts, err := tx.CaseTransfers(ctx, id)
				if err != nil {
					return err
				}
				if len(ts) != 1 || ts[0].BatchID != res.BatchID || ts[0].Status != transfer.Requested || ts[0].Kind != transfer.External {
					t.Errorf("case %s: %+v", id, ts)
				}
			}
			ts, err := tx.CaseTransfers(ctx, other.ID)
			if len(ts) != 0 {
				t.Errorf("a case of another team was transferred: %+v", ts)
			}
			return err
		})
	})
}

// TestTransferEndsSendersWaysIn: an accepted external transfer ends the
// sending agency's break-glass access and closes the conferences it called.
func TestTransferEndsSendersWaysIn(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		cw := fixture.Actor(o.Caseworker)
		c := fixture.Register(t, db, cw, fixture.Registration(profile.GBV), fixture.Now)
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := consent.Add(ctx, tx, p, cw, c.ID, consent.Input{Scope: "share_services", Giver: consent.Self,
				Kind: consent.KindConsent, Decision: consent.Given, Method: "written", ObtainedOn: "2025-03-10"}, fixture.Now)
			return err
		})
		glass := fixture.Actor(o.CaseworkerB)
		glass.Now = fixture.Now
		var confID string
		fixture.In(t, db, func(tx *store.Tx) error {
			if _, _, err := share.BreakGlass(ctx, tx, p, glass, share.GlassInput{Code: c.Code,
				Reason: "the caseworker is away and the survivor called"}, fixture.Now); err != nil {
				return err
			}
			conf, err := conference.Schedule(ctx, tx, p, cw, c.ID, conference.Input{Reason: "coordinate",
				ScheduledAt: "2025-03-12T10:00", Participants: []string{o.Caseworker2.ID, o.OtherCaseworker.ID}}, fixture.Now)
			if conf != nil {
				confID = conf.ID
			}
			return err
		})
		if !sees(t, db, glass, c.ID, access.Registration) {
			t.Fatal("no break-glass access before the transfer")
		}
		cur, _ := run(t, db, func(tx *store.Tx) (*cases.Case, error) { return tx.Case(ctx, c.ID) })
		in := form(cur.Version)
		in.ToAgencyID = o.OtherAgency.ID
		tr, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Request(ctx, tx, p, cw, c.ID, in, fixture.Now)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.Transfer, error) {
			return transfer.Decide(ctx, tx, p, fixture.Actor(o.OtherSupervisor), tr.ID, transfer.Decision{Version: 1,
				Accept: true, CaseworkerID: o.OtherCaseworker.ID}, fixture.Now)
		}); err != nil {
			t.Fatal(err)
		}
		if sees(t, db, glass, c.ID, access.Registration) {
			t.Error("the sending agency's break-glass reader still sees the transferred case")
		}
		conf, err := run(t, db, func(tx *store.Tx) (*conference.Conference, error) { return tx.Conference(ctx, confID) })
		if err != nil || conf.Status != conference.Closed {
			t.Errorf("the sender's conference after the transfer: %v %+v", err, conf)
		}
		cw2 := fixture.Actor(o.Caseworker2)
		if _, err := run(t, db, func(tx *store.Tx) (*conference.Conference, error) {
			c, _, err := conference.Get(ctx, tx, cw2, access.View, confID)
			return c, err
		}); err == nil {
			t.Error("a participant of the sending agency still reads the conference")
		}
	})
}

// TestBulkTeam: the bulk transfer of a team reads the team's open cases
// itself; a team without open cases is a field error on team_id, and a
// caseworker is refused before anything of the team is read.
func TestBulkTeam(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		p := profile.Default()
		in := transfer.BulkInput{TeamID: o.TeamA.ID, Input: form(0)}
		in.ToAgencyID, in.Reason = o.OtherAgency.ID, "organisational"
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.BulkResult, error) {
			return transfer.BulkTeam(ctx, tx, p, fixture.Actor(o.Manager), in, fixture.Now)
		}); !hasField(err, "team_id") {
			t.Fatalf("bulk of a team without open cases: %v", err)
		}
		if _, err := run(t, db, func(tx *store.Tx) (*transfer.BulkResult, error) {
			return transfer.BulkTeam(ctx, tx, p, fixture.Actor(o.Caseworker), in, fixture.Now)
		}); !errors.Is(err, errs.ErrForbidden) {
			t.Fatalf("caseworker runs a bulk transfer of an empty team: %v", err)
		}
		c := fixture.Register(t, db, fixture.Actor(o.Caseworker), fixture.Registration(profile.GBV), fixture.Now)
		res, err := run(t, db, func(tx *store.Tx) (*transfer.BulkResult, error) {
			return transfer.BulkTeam(ctx, tx, p, fixture.Actor(o.Manager), in, fixture.Now)
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Requested)+len(res.Skipped) != 1 || (len(res.Requested) == 1 && res.Requested[0] != c.ID) {
			t.Fatalf("bulk of the team's one case: %+v", res)
		}
	})
}
