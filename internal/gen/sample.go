package gen

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// Account names a user a benchmark or load test signs in as.
type Account struct {
	ID       string
	Username string
}

// SampleSet is what a benchmark works with: a caseworker with a full
// caseload, their supervisor and agency manager, and one of their open
// cases; for coordination, an open case with referrals and the caseworker
// who holds it, and a service provider with referrals in their inbox and one
// of them, open. The coordination fields are empty when the data holds no
// referrals.
type SampleSet struct {
	Caseworker Account
	Supervisor Account
	Manager    Account
	AgencyID   string
	TeamID     string
	OpenCases  int    // the caseworker's open cases
	CaseID     string // one of them
	CaseCode   string

	Referrer       Account // the caseworker holding ReferredCase: Caseworker when one of theirs is referred
	ReferredCase   string  // an open case with referrals (the most among the referrer's first cases)
	Referrals      int     // ReferredCase's referrals
	Provider       Account // the service provider with the most open referrals in their inbox
	InboxReferrals int     // how many (at most 200, what the inbox shows)
	ReferralID     string  // the first open referral of a case in that inbox, read through its grant
}

// Sample picks, from generated or demo data in db, the first caseworker (by
// username) holding a full caseload of at least 15 open cases, or else the
// one holding the most, with their supervisor, a manager of their agency and
// the first case of their caseload.
func Sample(ctx context.Context, db *store.DB) (SampleSet, error) {
	var s SampleSet
	err := db.Read(ctx, func(tx *store.Tx) error {
		users, err := tx.Users(ctx, "")
		if err != nil {
			return err
		}
		sort.Slice(users, func(i, j int) bool { return users[i].Username < users[j].Username })
		var best *org.User
		for i := range users {
			u := &users[i]
			if u.Role != org.Caseworker || !u.Active() {
				continue
			}
			n, err := tx.CountCases(ctx, store.CaseFilter{Scope: access.Own, ID: u.ID}, 1000)
			if err != nil {
				return err
			}
			if n > s.OpenCases {
				best, s.OpenCases = u, n
			}
			if n >= minLoad {
				break
			}
		}
		if best == nil {
			return errors.New("no caseworker holds an open case")
		}
		s.Caseworker = Account{ID: best.ID, Username: best.Username}
		s.AgencyID, s.TeamID = best.AgencyID, best.TeamID
		for _, u := range users {
			switch {
			case u.Role == org.Supervisor && u.TeamID == best.TeamID && s.Supervisor.ID == "" && u.Active():
				s.Supervisor = Account{ID: u.ID, Username: u.Username}
			case u.Role == org.Manager && u.AgencyID == best.AgencyID && s.Manager.ID == "" && u.Active():
				s.Manager = Account{ID: u.ID, Username: u.Username}
			}
		}
		rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: access.Own, ID: best.ID, Limit: 1})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return errors.New("caseload is empty")
		}
		s.CaseID, s.CaseCode = rows[0].ID, rows[0].Code
		return sampleCoordination(ctx, tx, users, best, &s)
	})
	if err != nil {
		return s, fmt.Errorf("gen sample: %w", err)
	}
	return s, nil
}

// sampleCoordination fills the coordination fields of s: the referred case
// among the first 25 open cases of the sample caseworker (else of the next
// caseworkers, by username), and the service provider with the fullest inbox.
func sampleCoordination(ctx context.Context, tx *store.Tx, users []org.User, cw *org.User, s *SampleSet) error {
	workers := []*org.User{cw}
	for i := range users {
		if u := &users[i]; u.Role == org.Caseworker && u.Active() && u.ID != cw.ID && len(workers) < 50 {
			workers = append(workers, u)
		}
	}
	for _, w := range workers {
		rows, err := tx.Caseload(ctx, store.CaseFilter{Scope: access.Own, ID: w.ID, Limit: 25})
		if err != nil {
			return err
		}
		for _, row := range rows {
			rs, err := tx.CaseReferrals(ctx, row.ID)
			if err != nil {
				return err
			}
			if len(rs) > s.Referrals {
				s.ReferredCase, s.Referrals = row.ID, len(rs)
			}
		}
		if s.ReferredCase != "" {
			s.Referrer = Account{ID: w.ID, Username: w.Username}
			break
		}
	}
	for _, u := range users {
		if u.Role != org.ServiceProvider || !u.Active() {
			continue
		}
		rs, err := tx.ReferralsTo(ctx, u.AgencyID, u.ID, true, 200)
		if err != nil {
			return err
		}
		open := ""
		for _, r := range rs {
			if r.CaseID != "" && r.Open() {
				open = r.ID
				break
			}
		}
		if open != "" && len(rs) > s.InboxReferrals {
			s.Provider, s.InboxReferrals, s.ReferralID = Account{ID: u.ID, Username: u.Username}, len(rs), open
		}
	}
	return nil
}
