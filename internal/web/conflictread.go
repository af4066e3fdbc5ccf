package web

import (
	"context"
	"errors"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
)

// conflictCase returns the case and the section whose content the 409
// answer to err would show (the record as it is now), or "" when it shows
// none of a case file.
func conflictCase(err error) (ce *errs.ConflictError, caseID, section string) {
	if !errors.As(err, &ce) {
		return nil, "", ""
	}
	switch v := ce.Current.(type) {
	case cases.Snapshot:
		if v.Case != nil {
			return ce, v.Case.ID, "registration"
		}
	case *cases.Person:
		if v != nil {
			return ce, v.CaseID, "family"
		}
	case *consent.Record:
		if v != nil {
			return ce, v.CaseID, "consent"
		}
	}
	return ce, "", ""
}

// auditConflictRead audits, before the API answers err, the read of case
// content that a 409 Conflict answer carries (the record as it is now): a
// stale write must not be a way to read a case unrecorded. When the read
// cannot be recorded, the answer carries the version only.
func (s *Server) auditConflictRead(ctx context.Context, err error) error {
	ce, caseID, section := conflictCase(err)
	if caseID == "" {
		return err
	}
	var c *cases.Case
	aerr := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		c, err = tx.Case(ctx, caseID)
		return err
	})
	if aerr == nil {
		aerr = s.db.Audit(ctx, audit.Event{Action: "case.view", RecordType: "case", RecordID: c.ID, CaseID: c.ID,
			AgencyID: c.AgencyID, Detail: `{"api":"conflict","section":"` + section + `"}`})
	}
	if aerr != nil {
		s.log.Error("audit the record a conflict shows", "err", aerr)
		return &errs.ConflictError{Record: ce.Record, Version: ce.Version}
	}
	return err
}
