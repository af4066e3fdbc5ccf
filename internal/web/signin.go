package web

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/signin"
	"github.com/safecase/safecase/internal/store"
)

// signInFailures is what the section "Failed sign-ins" (_signin.html)
// shows on the owner's account page and on the administrators' page of the
// user: when, from which address and how many times someone gave a wrong
// password for the account.
type signInFailures struct {
	Own    bool // the owner's own page (the wording differs)
	Days   int  // the period listed
	Groups []signin.FailureGroup
	Total  int
}

// maxFailureGroups bounds the addresses listed.
const maxFailureGroups = 20

// loadSignInFailures reads the recent failed sign-ins of user userID.
func (s *Server) loadSignInFailures(ctx context.Context, tx *store.Tx, userID string, now time.Time, own bool) (*signInFailures, error) {
	p := s.cfg.SignIn
	f := &signInFailures{Own: own, Days: int(p.ListFor / (24 * time.Hour))}
	var err error
	if f.Groups, err = tx.SignInFailures(ctx, userID, now.Add(-p.ListFor), maxFailureGroups); err != nil {
		return nil, err
	}
	for _, g := range f.Groups {
		f.Total += g.Count
	}
	return f, nil
}

// userSignInFailures is loadSignInFailures in a read transaction of its own.
func (s *Server) userSignInFailures(ctx context.Context, userID string, now time.Time, own bool) (f *signInFailures, err error) {
	err = s.db.Read(ctx, func(tx *store.Tx) error {
		f, err = s.loadSignInFailures(ctx, tx, userID, now, own)
		return err
	})
	return f, err
}

// waitWords says a wait of secs seconds in words: "1 second", "40
// seconds", "3 minutes" (rounded up).
func waitWords(l *i18n.Locale, secs int) string {
	switch {
	case secs <= 1:
		return l.T("signin.wait_second")
	case secs < 60:
		return l.T("signin.wait_seconds", secs)
	case secs <= 60:
		return l.T("signin.wait_minute")
	}
	return l.T("signin.wait_minutes", (secs+59)/60)
}
