package store

import (
	"context"
	"database/sql"

	"github.com/google/uuid"

	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/errs"
)

// Requests to link a case to a case of another agency (caselink.Request).

const linkRequestCols = `id, case_id, code, target_id, relation, status, requested_by, requested_at, answered_by,
	answered_at, link_id, version`

func scanLinkRequest(sc interface{ Scan(...any) error }) (*caselink.Request, error) {
	var r caselink.Request
	var target, answeredBy, link sql.NullString
	var requested int64
	var answered sql.NullInt64
	if err := sc.Scan(&r.ID, &r.CaseID, &r.Code, &target, &r.Relation, &r.Status, &r.RequestedBy, &requested,
		&answeredBy, &answered, &link, &r.Version); err != nil {
		return nil, err
	}
	r.TargetID, r.AnsweredBy, r.LinkID = target.String, answeredBy.String, link.String
	r.RequestedAt, r.AnsweredAt = fromMS(requested), fromNullMS(answered)
	return &r, nil
}

// InsertLinkRequest stores a new request.
func (tx *Tx) InsertLinkRequest(ctx context.Context, r *caselink.Request) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.Version == 0 {
		r.Version = 1
	}
	_, err := tx.exec(ctx, `INSERT INTO case_link_requests (`+linkRequestCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.CaseID, r.Code, nullStr(r.TargetID), r.Relation, r.Status, r.RequestedBy, ms(r.RequestedAt),
		nullStr(r.AnsweredBy), nullMS(r.AnsweredAt), nullStr(r.LinkID), r.Version)
	return err
}

// LinkRequest returns request id, whatever its state.
func (tx *Tx) LinkRequest(ctx context.Context, id string) (*caselink.Request, error) {
	if uuid.Validate(id) != nil {
		return nil, errs.E(errs.NotFound, "link request")
	}
	r, err := scanLinkRequest(tx.queryRow(ctx, "SELECT "+linkRequestCols+" FROM case_link_requests WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, "link request "+id)
	}
	return r, nil
}

// UpdateLinkRequest saves r's answer if r is still at r.Version, and moves
// it to the next version.
func (tx *Tx) UpdateLinkRequest(ctx context.Context, r *caselink.Request) error {
	res, err := tx.exec(ctx, `UPDATE case_link_requests SET status = ?, answered_by = ?, answered_at = ?, link_id = ?,
		version = version + 1 WHERE id = ? AND version = ?`, r.Status, nullStr(r.AnsweredBy), nullMS(r.AnsweredAt),
		nullStr(r.LinkID), r.ID, r.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &errs.ConflictError{Record: "case_link_request", Version: r.Version}
	}
	r.Version++
	return nil
}

// WaitingLinkRequest reports whether case caseID has a request for code
// still waiting as its requester sees it (declined ones included:
// caselink.Request.Sent).
func (tx *Tx) WaitingLinkRequest(ctx context.Context, caseID, code string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM case_link_requests WHERE case_id = ? AND status IN (?, ?) AND code = ?`,
		caseID, caselink.Requested, caselink.Declined, code).Scan(&n)
	return n > 0, err
}

// LinkRequestsFrom returns the waiting requests of case caseID as its
// requester sees them (caselink.Request.Sent: a declined one still waits),
// oldest first.
func (tx *Tx) LinkRequestsFrom(ctx context.Context, caseID string) (out []caselink.Request, err error) {
	rows, err := tx.query(ctx, "SELECT "+linkRequestCols+` FROM case_link_requests WHERE case_id = ? AND status IN (?, ?)
		ORDER BY requested_at, id`, caseID, caselink.Requested, caselink.Declined)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanLinkRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r.Sent())
	}
	return out, rows.Err()
}

// LinkRequestsTo returns the waiting requests to link case caseID, oldest
// first, each with only what its receiver needs to decide.
func (tx *Tx) LinkRequestsTo(ctx context.Context, caseID string) (out []caselink.Incoming, err error) {
	rows, err := tx.query(ctx, `SELECT r.id, r.relation, r.requested_at, r.version, u.display_name, g.name, c.case_type
		FROM case_link_requests r JOIN cases c ON c.id = r.case_id JOIN agencies g ON g.id = c.agency_id
		JOIN users u ON u.id = r.requested_by
		WHERE r.target_id = ? AND r.status = ? ORDER BY r.requested_at, r.id`, caseID, caselink.Requested)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var in caselink.Incoming
		var at int64
		if err := rows.Scan(&in.ID, &in.Relation, &at, &in.Version, &in.Requester, &in.Agency, &in.Type); err != nil {
			return nil, err
		}
		in.RequestedAt = fromMS(at)
		out = append(out, in)
	}
	return out, rows.Err()
}
