package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
)

// dupRef is another case named on the case page by its code: the case kept,
// or a duplicate of this one. Open says whether the reader may open it.
type dupRef struct {
	ID, Code string
	Open     bool
}

// dupBlock is what the case page shows of duplicates (cases.MarkVoid): on a
// void case, its reason, the case kept and the note; on a case kept, its
// duplicates the reader may see; and, for the case's supervisor or the
// agency's manager, the form that marks the case or undoes the marking.
type dupBlock struct {
	Void       bool
	Reason     string
	Kept       *dupRef // nil for a case registered in error, or a case kept the reader may not see
	Note       string
	Duplicates []dupRef
	CanMark    bool // the case is open and the reader may mark it
	CanUndo    bool // the case is void and the reader may undo the marking
	Form       cases.VoidInput
}

// loadDupBlock reads the duplicates block of case c for rq inside tx.
func (s *Server) loadDupBlock(ctx context.Context, tx *store.Tx, rq *request, c *cases.Case) (*dupBlock, error) {
	b := &dupBlock{Void: c.Void(), Reason: c.ClosureReason}
	may := cases.MayMarkVoid(rq.Actor, c)
	b.CanMark, b.CanUndo = may && c.IsOpen(), may && b.Void
	sees := func(x *cases.Case) bool {
		return access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindCase, Case: x.Ref(),
			Section: access.Registration}).Allow
	}
	if b.Void {
		m, err := tx.CaseMarking(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		b.Note = m.Note
		if m.KeptID != "" {
			k, err := tx.Case(ctx, m.KeptID)
			if err != nil {
				return nil, err
			}
			// The code is shown to whoever reads this case: the marking
			// names it; the link only to who may open it.
			b.Kept = &dupRef{ID: k.ID, Code: k.Code, Open: sees(k)}
		}
		return b, nil
	}
	ds, err := tx.DuplicatesOf(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		if sees(&ds[i]) {
			b.Duplicates = append(b.Duplicates, dupRef{ID: ds[i].ID, Code: ds[i].Code, Open: true})
		}
	}
	return b, nil
}

// notCancelled returns the deadlines of ds that were done, leaving out those
// the marking of void case c closed: they were cancelled, not done.
func notCancelled(c *cases.Case, ds []deadline.Deadline) []deadline.Deadline {
	if !c.Void() {
		return ds
	}
	var out []deadline.Deadline
	for _, d := range ds {
		if !cases.ClosedByMarking(c, d) {
			out = append(out, d)
		}
	}
	return out
}

// VoidReasons are the reasons the form offers.
func (b *dupBlock) VoidReasons() []string { return cases.VoidReasons }

// postDuplicate marks the case as a duplicate or as registered in error.
func (s *Server) postDuplicate(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var in cases.VoidInput
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = cases.VoidInput{Reason: f.str("void_reason"), KeptCode: f.str("kept_case_code"), Note: f.str("void_note")}
			_, err := cases.MarkVoid(ctx, tx, rq.Actor, id, f.version(), in, rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "?done=marked_void"),
		Again: s.dupAgain(w, r, rq, id, &in),
	})
}

// postDuplicateUndo undoes the marking: this is not a duplicate.
func (s *Server) postDuplicateUndo(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := cases.UnmarkVoid(ctx, tx, rq.Actor, id, f.version(), rq.Now)
			return err
		},
		Next:  to("/cases/" + id + "?done=unmarked_void"),
		Again: s.dupAgain(w, r, rq, id, nil),
	})
}

// dupAgain shows the case page again with the marking form's errors and,
// when in is given, what was typed.
func (s *Server) dupAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, in *cases.VoidInput) func(errs.Fields, int) error {
	return shownAgain(s, w, "case", func() (*casePage, error) { return s.loadCasePage(r.Context(), rq, id) },
		func(p *casePage) {
			if in != nil && p.Dup != nil {
				p.Dup.Form = *in
			}
		})
}

// voidJSON is the API's answer about a case's marking.
type voidJSON struct {
	CaseID        string   `json:"case_id"`
	Code          string   `json:"code"`
	Status        string   `json:"status"`
	Step          string   `json:"step"`
	ClosureReason string   `json:"closure_reason"`
	ClosedAt      *string  `json:"closed_at"`
	Void          bool     `json:"void"`
	DuplicateOf   *string  `json:"duplicate_of_code"` // the case kept, by its code
	Duplicates    []string `json:"duplicates"`        // codes of the cases marked as its duplicates that the reader may see
	Version       int      `json:"version"`
}

// voidReply answers with the marking of case id as rq may see it (after a
// change: not a read of case content to audit, as for the other lifecycle
// operations' replies).
func (s *Server) voidReply(w http.ResponseWriter, r *http.Request, rq *request) func(string) error {
	return func(id string) error {
		ctx := r.Context()
		var out voidJSON
		err := s.db.Read(ctx, func(tx *store.Tx) error {
			c, err := cases.Get(ctx, tx, rq.Actor, access.View, access.Registration, id)
			if err != nil {
				return err
			}
			b, err := s.loadDupBlock(ctx, tx, rq, c)
			if err != nil {
				return err
			}
			out = voidJSON{CaseID: c.ID, Code: c.Code, Status: c.Status, Step: c.Step, ClosureReason: c.ClosureReason,
				ClosedAt: apiTime(c.ClosedAt), Void: b.Void, Duplicates: []string{}, Version: c.Version}
			if b.Kept != nil {
				out.DuplicateOf = &b.Kept.Code
			}
			for _, d := range b.Duplicates {
				out.Duplicates = append(out.Duplicates, d.Code)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// apiDuplicate marks a case as a duplicate or as registered in error.
func (s *Server) apiDuplicate(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		cases.VoidInput
		Version int `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := cases.MarkVoid(ctx, tx, rq.Actor, id, in.Version, in.VoidInput, rq.Now)
		return err
	}, s.voidReply(w, r, rq))
}

// apiDuplicateUndo undoes the marking of a case.
func (s *Server) apiDuplicateUndo(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Version int `json:"version"`
	}
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		_, err := cases.UnmarkVoid(ctx, tx, rq.Actor, id, in.Version, rq.Now)
		return err
	}, s.voidReply(w, r, rq))
}
