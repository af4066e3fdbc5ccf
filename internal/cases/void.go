package cases

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
)

// The closure reasons of a case that is no case of its own (issue 10 §2): a
// duplicate of another case of the agency, or a case registered in error.
// They are not the profile's closure reasons: no caseworker proposes them.
const (
	ReasonDuplicate = "duplicate"
	ReasonInError   = "registered_in_error"
)

// VoidReasons lists those reasons in the order the form offers them.
var VoidReasons = []string{ReasonDuplicate, ReasonInError}

// maxVoidNote caps the note of a marking, in bytes.
const maxVoidNote = 1000

// IsVoidReason reports whether closure reason r is one of VoidReasons.
func IsVoidReason(r string) bool { return slices.Contains(VoidReasons, r) }

// Void reports whether c was closed as a duplicate or as registered in
// error: it is no case of its own. Caseloads, team views, tasks and counts
// leave it out (it is closed, and its tasks are done), and so must any
// report that counts cases.
func (c *Case) Void() bool { return c.Status == Closed && IsVoidReason(c.ClosureReason) }

// VoidInput is the form that marks a case as a duplicate or as registered in
// error.
type VoidInput struct {
	Reason   string `json:"void_reason"`    // ReasonDuplicate or ReasonInError
	KeptCode string `json:"kept_case_code"` // the case kept: a duplicate only
	Note     string `json:"void_note"`      // optional
}

// Marking is what marks a void case: the case kept (none for a case
// registered in error) and the note.
type Marking struct {
	KeptID string
	Note   string
}

// VoidTx is the storage MarkVoid and UnmarkVoid need, inside one
// transaction. *store.Tx satisfies it.
type VoidTx interface {
	Tx
	CaseByCode(ctx context.Context, code string) (*Case, error)
	StepHistory(ctx context.Context, caseID string) ([]StepChange, error)
	// SetMarking stores m on case caseID; a zero Marking clears it.
	SetMarking(ctx context.Context, caseID string, m Marking) error
	// CaseMarking returns the marking of case caseID (zero when none).
	CaseMarking(ctx context.Context, caseID string) (Marking, error)
	// DuplicatesOf returns the cases marked as duplicates of case keptID.
	DuplicatesOf(ctx context.Context, keptID string) ([]Case, error)
}

// MayMarkVoid reports whether a may mark case c as a duplicate or as
// registered in error (c open), or undo that (c void): the supervisor of
// its team or the agency's manager. The page asks it to offer the form.
func MayMarkVoid(a access.Actor, c *Case) bool {
	if !c.IsOpen() && !c.Void() {
		return false
	}
	return access.Decide(a, access.MarkVoid, access.Resource{Kind: access.KindCase, Case: c.Ref(),
		Section: access.Registration}).Allow
}

// normalize trims the input and upper-cases the code.
func (in *VoidInput) normalize() {
	in.Reason, in.Note = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Note)
	in.KeptCode = strings.ToUpper(strings.TrimSpace(in.KeptCode))
}

// kept finds the case kept that in names for c, as a may see it, adding to
// f what is wrong. A code no case has, a case of another agency and a case a
// may not see answer alike.
func (in *VoidInput) kept(ctx context.Context, tx VoidTx, a access.Actor, c *Case, f *errs.Fields) (*Case, error) {
	switch {
	case in.Reason == ReasonInError:
		if in.KeptCode != "" {
			f.Add("kept_case_code", "err.void_in_error_kept")
		}
		return nil, nil
	case in.Reason != ReasonDuplicate:
		return nil, nil
	case in.KeptCode == "":
		f.Add("kept_case_code", "err.required")
		return nil, nil
	case !LooksLikeCode(in.KeptCode):
		f.Add("kept_case_code", "err.void_kept")
		return nil, nil
	}
	k, err := tx.CaseByCode(ctx, in.KeptCode)
	switch {
	case errs.KindOf(err) == errs.NotFound:
		f.Add("kept_case_code", "err.void_kept")
		return nil, nil
	case err != nil:
		return nil, err
	case k.ID == c.ID:
		f.Add("kept_case_code", "err.void_self")
		return nil, nil
	case k.AgencyID != c.AgencyID || !access.Decide(a, access.View, access.Resource{Kind: access.KindCase,
		Case: k.Ref(), Section: access.Registration}).Allow:
		f.Add("kept_case_code", "err.void_kept")
		return nil, nil
	case k.Void():
		f.Add("kept_case_code", "err.void_kept_void")
		return nil, nil
	}
	return k, nil
}

// ClosedByMarking reports whether deadline d of void case c was closed by
// its marking rather than done: the marking closed the open deadlines at
// the moment it closed the case, and was the case's last change (a closed
// file is read-only).
func ClosedByMarking(c *Case, d deadline.Deadline) bool {
	return c.Void() && !d.Open() && d.DoneAt.Equal(c.ClosedAt) && d.DoneBy == c.UpdatedBy
}

// MarkVoid closes case id (read at version) as a duplicate of the case kept
// or as registered in error, by its team's supervisor or the agency's
// manager. The case kept is named by its code: a case of the same agency
// that a may see, not id itself and not void itself. The case closes with
// the reason; every open deadline of it is closed, so nothing of it is left
// in anyone's tasks; it points to the case kept. Its referrals and transfers
// are left as they are, and nothing is deleted. One audit event names the
// reason and the case kept by its code.
func MarkVoid(ctx context.Context, tx VoidTx, a access.Actor, id string, version int, in VoidInput, now time.Time) (*Case, error) {
	c, err := Get(ctx, tx, a, access.MarkVoid, access.Registration, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	switch {
	case c.Void():
		return nil, errs.Field("void_reason", "err.void_already")
	case !c.IsOpen():
		return nil, errs.Field("void_reason", "err.void_closed")
	}
	in.normalize()
	var f errs.Fields
	if !IsVoidReason(in.Reason) {
		f.Add("void_reason", "err.choose")
	}
	if len(in.Note) > maxVoidNote {
		f.Add("void_note", "err.too_long", maxVoidNote)
	}
	kept, err := in.kept(ctx, tx, a, c, &f)
	if err != nil {
		return nil, err
	}
	// A case that others point to as the one kept stays: marking it would
	// leave them pointing to a void case.
	dups, err := tx.DuplicatesOf(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if len(dups) > 0 {
		f.Add("void_reason", "err.void_has_duplicates", len(dups))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	closed := 0
	for _, d := range ds {
		if !d.Open() {
			continue
		}
		// Closed, not deleted: done by a at the moment of closing, which is
		// how UnmarkVoid finds them again.
		d.DoneAt, d.DoneBy = now, a.UserID
		if err := tx.UpdateDeadline(ctx, &d); err != nil {
			return nil, err
		}
		closed++
	}
	if err := SetStep(ctx, tx, c, StepClosure, in.Reason, a.UserID, now); err != nil {
		return nil, err
	}
	c.Status, c.ClosedAt, c.ClosureReason, c.FollowUpBy = Closed, now, in.Reason, ""
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	m := Marking{Note: in.Note}
	detail := map[string]any{"reason": in.Reason, "tasks_closed": closed}
	if kept != nil {
		m.KeptID = kept.ID
		detail["kept_case_code"], detail["kept_case_id"] = kept.Code, kept.ID
	}
	if err := tx.SetMarking(ctx, c.ID, m); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	return c, recordVoid(ctx, tx, a, c, "case.mark_duplicate", detail, now)
}

// UnmarkVoid undoes MarkVoid on case id (read at version): "this is not a
// duplicate". The same roles may. The case opens again at the step it was
// at, its deadlines that the marking closed are open again, and it points
// nowhere.
func UnmarkVoid(ctx context.Context, tx VoidTx, a access.Actor, id string, version int, now time.Time) (*Case, error) {
	c, err := Get(ctx, tx, a, access.MarkVoid, access.Registration, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	if !c.Void() {
		return nil, errs.Field("void_reason", "err.void_not_marked")
	}
	reason := c.ClosureReason
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	reopened := 0
	for _, d := range ds {
		if !ClosedByMarking(c, d) {
			continue
		}
		d.DoneAt, d.DoneBy = time.Time{}, ""
		if err := tx.UpdateDeadline(ctx, &d); err != nil {
			return nil, err
		}
		reopened++
	}
	hist, err := tx.StepHistory(ctx, c.ID) // newest first
	if err != nil {
		return nil, err
	}
	if len(hist) > 0 && hist[0].To == StepClosure && hist[0].ChangedAt.Equal(c.ClosedAt) && hist[0].From != "" {
		if err := SetStep(ctx, tx, c, hist[0].From, "not a duplicate", a.UserID, now); err != nil {
			return nil, err
		}
	}
	c.Status, c.ClosedAt, c.ClosureReason = Open, time.Time{}, ""
	c.UpdatedBy, c.UpdatedAt = a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	if err := tx.SetMarking(ctx, c.ID, Marking{}); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	return c, recordVoid(ctx, tx, a, c, "case.unmark_duplicate",
		map[string]any{"reason": reason, "tasks_reopened": reopened}, now)
}

// recordVoid records a marking or its undoing on case c: reasons, codes and
// counts, never the note.
func recordVoid(ctx context.Context, tx VoidTx, a access.Actor, c *Case, action string, detail map[string]any, now time.Time) error {
	b, _ := json.Marshal(detail)
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: action,
		RecordType: "case", RecordID: c.ID, CaseID: c.ID, AgencyID: c.AgencyID, Detail: string(b)})
}
