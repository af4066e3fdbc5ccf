package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

// Bulk transfer: a manager moves every open case of a team to another
// agency, for a programme that closes.

type bulkPage struct {
	Page
	Teams    []org.Team
	Agencies []org.Agency
	In       transfer.BulkInput
	Result   *transfer.BulkResult
	Codes    map[string]string
}

func (s *Server) bulkPage(ctx context.Context, rq *request) (*bulkPage, error) {
	if err := transfer.MayBulk(rq.Actor); err != nil {
		return nil, err
	}
	p := &bulkPage{Page: s.page(rq, "bulk.title", "team"), Codes: map[string]string{}}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		var err error
		if p.Teams, err = tx.Teams(ctx, rq.Actor.AgencyID); err != nil {
			return err
		}
		as, err := tx.Agencies(ctx)
		for _, a := range as {
			if a.ID != rq.Actor.AgencyID {
				p.Agencies = append(p.Agencies, a)
			}
		}
		return err
	})
	p.In.FamilyToldOn = s.prof.Today(rq.Now)
	return p, err
}

func (s *Server) getBulkTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.bulkPage(r.Context(), rq)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "bulk_transfer", p)
}

// postBulkTransfer is not a formPost: it answers with the page of what it
// did (the cases requested and skipped, by code) rather than a redirect.
func (s *Server) postBulkTransfer(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	p, err := s.bulkPage(ctx, rq)
	if err != nil {
		return err
	}
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	p.In = transfer.BulkInput{TeamID: f.str("team_id"), Input: transferForm(f)}
	res, codes, err := s.bulkTransfer(ctx, rq, p.In)
	if fe, ok := errs.AsFields(err); ok {
		p.Errors = fe
		return s.render(w, http.StatusUnprocessableEntity, "bulk_transfer", p)
	}
	if err != nil {
		return err
	}
	p.Codes = codes
	p.Result = res
	return s.render(w, http.StatusOK, "bulk_transfer", p)
}

// bulkTransfer requests the transfer of every open case of in's team, in
// one transaction, and returns what it did with the codes of the cases.
func (s *Server) bulkTransfer(ctx context.Context, rq *request, in transfer.BulkInput) (*transfer.BulkResult, map[string]string, error) {
	var res *transfer.BulkResult
	var codes map[string]string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if res, err = transfer.BulkTeam(ctx, tx, s.prof, rq.Actor, in, rq.Now); err != nil {
			return err
		}
		codes, err = tx.CaseCodes(ctx, append(append([]string(nil), res.Requested...), keys(res.Skipped)...))
		return err
	})
	return res, codes, err
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
