package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

// The coordination inbox: referrals addressed to the user or their service,
// transfers waiting for their decision, conferences they take part in. Its
// API answer is in inbox_api.go.

// inbox is what the inbox page and its API answer list.
type inbox struct {
	Referrals   []referral.Referral
	Sent        []referral.Referral // stand-alone referrals of the agency
	Transfers   []transfer.Transfer
	Conferences []conference.Conference
}

type inboxPage struct {
	Page
	*inbox
	YouSent []referral.Referral // the referrals the reader sent for their cases (referral.SentBy)
}

// readInbox reads a's inbox.
func (s *Server) readInbox(ctx context.Context, a access.Actor) (*inbox, error) {
	p := &inbox{}
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Referrals, p.Sent, err = referral.Inbox(ctx, tx, a, inboxRows, 50); err != nil {
			return err
		}
		if p.Transfers, err = transfer.Inbox(ctx, tx, a, 200); err != nil {
			return err
		}
		p.Conferences, err = tx.ConferencesOf(ctx, a.UserID, 100)
		return err
	})
	return p, err
}

func (s *Server) loadInbox(ctx context.Context, rq *request) (*inboxPage, error) {
	in, err := s.readInbox(ctx, rq.Actor)
	if err != nil {
		return nil, err
	}
	p := &inboxPage{Page: s.page(rq, "inbox.title", "coordination"), inbox: in}
	err = s.db.Read(ctx, func(tx *store.Tx) (err error) {
		p.YouSent, err = referral.SentBy(ctx, tx, rq.Actor, referral.SentLimit)
		return err
	})
	return p, err
}

// inboxRows is how many open referrals the inbox lists: the longest waiting.
const inboxRows = 50

// Full reports whether the inbox shows only the longest-waiting referrals.
func (p *inboxPage) Full() bool { return len(p.Referrals) >= inboxRows }

// Overdue reports whether referral r waits past its service's average time.
func (p *inboxPage) Overdue(r referral.Referral) bool { return r.Overdue(p.Now) }

func (s *Server) getInbox(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadInbox(r.Context(), rq)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "inbox", p)
}
