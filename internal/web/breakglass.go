package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/share"
	"github.com/safecase/safecase/internal/store"
)

// Break-glass: the stated-reason, time-limited read access to a case of
// one's own agency, and the agency's log of it.

type glassPage struct {
	Page
	In share.GlassInput
}

func (s *Server) getBreakGlass(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := share.MayBreakGlass(rq.Actor); err != nil {
		return err
	}
	p := &glassPage{Page: s.page(rq, "glass.title", "")}
	p.In.Code = r.URL.Query().Get("code")
	return s.render(w, http.StatusOK, "glass", p)
}

func (s *Server) postBreakGlass(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := share.MayBreakGlass(rq.Actor); err != nil {
		return err
	}
	var in share.GlassInput
	var c *cases.Case
	var opErr error
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = share.GlassInput{Code: f.str("code"), Reason: f.str("reason")}
			_, c, opErr = share.BreakGlass(ctx, tx, s.prof, rq.Actor, in, rq.Now)
			return opErr
		},
		Next: func() string { return "/cases/" + c.ID + "?done=glass" },
		Again: func(fe errs.Fields, status int) error {
			if status == http.StatusConflict {
				return opErr // the form has no version: a conflict is answered as it is
			}
			if c != nil && fe.Has("code") { // the case is already theirs: no need to break in
				return redirect(w, r, "/cases/"+c.ID)
			}
			p := &glassPage{Page: s.page(rq, "glass.title", ""), In: in}
			p.Errors = fe
			return s.render(w, status, "glass", p)
		},
	})
}

type glassLogPage struct {
	Page
	Rows  []share.Record
	Names map[string]string
	Codes map[string]string
}

// getBreakGlassLog lists the agency's break-glass accesses of the last 90
// days for its data protection officer.
func (s *Server) getBreakGlassLog(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindAudit, AgencyID: rq.Actor.AgencyID}).Allow {
		return errs.E(errs.Forbidden, "break-glass log")
	}
	ctx := r.Context()
	p := &glassLogPage{Page: s.page(rq, "glass.log_title", "audit")}
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Rows, err = tx.BreakGlassSince(ctx, rq.Actor.AgencyID, rq.Now.AddDate(0, 0, -90), 500); err != nil {
			return err
		}
		var users, ids []string
		for _, g := range p.Rows {
			users, ids = append(users, g.CreatedBy), append(ids, g.CaseID)
		}
		if p.Names, err = tx.UserNames(ctx, users); err != nil {
			return err
		}
		p.Codes, err = tx.CaseCodes(ctx, ids)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "glass_log", p)
}
