package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/errs"

	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

// Transfers: the form on the case's coordination page and the transfer's
// own page. A bulk transfer is in bulktransfer.go.

func transferForm(f *form) transfer.Input {
	return transfer.Input{Version: f.version(), ToAgencyID: f.str("to_agency_id"), ToTeamID: f.str("to_team_id"),
		ToUserID: f.str("to_user_id"), Reason: f.str("reason"), ReasonNotes: f.str("reason_notes"),
		Sections: f.list("sections"), FamilyToldOn: f.str("family_told_on"), FamilyToldTo: f.str("family_told_to"),
		FamilyToldWhy: f.str("family_told_why"), HandoverPlan: f.str("handover_plan"),
		WarmHandoverOn: f.str("warm_handover_on"), NoWarmHandoverWhy: f.str("no_warm_handover_why")}
}

func (s *Server) postTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in transfer.Input
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = transferForm(f)
			if name := f.str("to_username"); name != "" && in.ToUserID == "" {
				uid, err := userIDByName(ctx, tx, "to_user_id", name)
				if err != nil {
					return err
				}
				in.ToUserID = uid
			}
			_, err := transfer.Request(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "/coordination?done=transfer"),
		Again: s.coordAgain(w, r, rq, id, "transfer", func(p *coordPage) { p.Tr = in }),
	})
}

// The transfer page.

type transferPage struct {
	Page
	Tr         *transfer.Transfer
	Shared     *share.View
	Names      map[string]string
	Agencies   map[string]string
	Receivers  []org.User    // caseworkers the receiving side may name
	Next       transfer.Next // what the reader may do next
	Decision   transfer.Decision
	Transfered bool
}

func (s *Server) loadTransfer(ctx context.Context, rq *request, id string) (*transferPage, error) {
	p := &transferPage{Page: s.page(rq, "transfer.title", "coordination"), Agencies: map[string]string{}}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		rd, err := transfer.Read(ctx, tx, s.prof, rq.Actor, id)
		if err != nil {
			return err
		}
		t := rd.Transfer
		p.Tr, p.Shared, p.Next = t, rd.Shared, t.NextFor(rq.Actor, rd.Case)
		if p.Names, err = tx.UserNames(ctx, []string{t.RequestedBy, t.FromCaseworkerID, t.ToUserID, t.DecidedBy}); err != nil {
			return err
		}
		agencies, err := tx.Agencies(ctx)
		if err != nil {
			return err
		}
		for _, a := range agencies {
			p.Agencies[a.ID] = a.Name
		}
		if p.Next.Decide && t.Kind == transfer.External {
			us, err := tx.Users(ctx, rq.Actor.AgencyID)
			if err != nil {
				return err
			}
			for _, u := range us {
				if transfer.Receiver(rq.Actor, t, &u) {
					p.Receivers = append(p.Receivers, u)
				}
			}
		}
		rq.auditRead(ctx, rd.Event())
		return nil
	})
	return p, err
}

// transferAgain shows the page of transfer id again with the errors of a
// form and, by fill, what was typed.
func (s *Server) transferAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, fill func(*transferPage)) func(errs.Fields, int) error {
	return shownAgain(s, w, "transfer", func() (*transferPage, error) { return s.loadTransfer(r.Context(), rq, id) }, fill)
}

func (s *Server) getTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadTransfer(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	if d := r.URL.Query().Get("done"); d == "decide" || d == "withdraw" {
		p.Flash = "flash.transfer_" + d
	}
	return s.render(w, http.StatusOK, "transfer", p)
}

func (s *Server) postTransferDecide(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in transfer.Decision
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = transfer.Decision{Version: f.version(), Accept: f.str("answer") == "accept",
				CaseworkerID: f.str("caseworker_id"), DeclineReason: f.str("decline_reason")}
			_, err := transfer.Decide(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
			return err
		},
		Next:  to("/transfers/" + id + "?done=decide"),
		Again: s.transferAgain(w, r, rq, id, func(p *transferPage) { p.Decision = in }),
	})
}

func (s *Server) postTransferWithdraw(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := transfer.Withdraw(ctx, tx, rq.Actor, id, f.version(), rq.Now)
			return err
		},
		Next:  to("/transfers/" + id + "?done=withdraw"),
		Again: s.transferAgain(w, r, rq, id, func(*transferPage) {}),
	})
}
