package web

import (
	"context"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/store"
)

// The coordination page benchmarks (issue 4) use the referrals that
// `safecase gen` writes: gen.Sample names an open case with referrals and
// the caseworker holding it, and the service provider with the fullest
// inbox with one of their open referrals.

// signIn makes a session for user id under role in e.cookie.
func (e *benchEnv) signIn(b *testing.B, role, id string) {
	b.Helper()
	if id == "" {
		b.Skipf("the data holds no %s for the coordination benchmarks (generated before issue 4?)", role)
	}
	// Every role of these benchmarks must use a second factor by default.
	benchEnrol(b, e.db, e.sealer, id)
	ctx := context.Background()
	tok, hash := auth.NewToken("")
	now := time.Now()
	if err := e.db.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertSession(ctx, &store.Session{ID: hash, UserID: id, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(24 * time.Hour)})
	}); err != nil {
		b.Fatal(err)
	}
	e.cookie[role] = tok
}

// BenchmarkPageCaseReferred is the case page (an audited read) of an open
// case with referrals, which it lists, as its caseworker.
func BenchmarkPageCaseReferred(b *testing.B) {
	e := openBench(b)
	e.signIn(b, "referrer", e.sample.Referrer.ID)
	e.page(b, "referrer", "/cases/"+e.sample.ReferredCase)
}

// BenchmarkPageCoordination is the case's coordination page as its
// caseworker: shares, referrals, conferences, transfers and the forms
// (the directory, the plan's referral actions, the people to invite).
func BenchmarkPageCoordination(b *testing.B) {
	e := openBench(b)
	e.signIn(b, "referrer", e.sample.Referrer.ID)
	e.page(b, "referrer", "/cases/"+e.sample.ReferredCase+"/coordination")
}

// BenchmarkPageInbox is the coordination inbox of the service provider with
// the most referrals addressed to them or their agency.
func BenchmarkPageInbox(b *testing.B) {
	e := openBench(b)
	e.signIn(b, "provider", e.sample.Provider.ID)
	e.page(b, "provider", "/coordination")
}

// BenchmarkPageReferral is an open referral's page as its receiving service
// provider: the shared sections read through the grant, the read audited.
func BenchmarkPageReferral(b *testing.B) {
	e := openBench(b)
	e.signIn(b, "provider", e.sample.Provider.ID)
	e.page(b, "provider", "/referrals/"+e.sample.ReferralID)
}
