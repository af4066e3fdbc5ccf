package closure

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/profile"
)

// The age-out pathway lives here rather than in package cases: turning 18
// is the transition the guidelines treat with closure (L4565-4595), it is
// decided on the closure page under the closure section's permissions, and
// it answers the same question — what happens to this case next — without
// ever closing it. Package cases keeps the age-out task in step with the
// person's age (cases.SyncAgeOut); this file records the decision.

// Age-out pathways (L4569-4587).
const (
	ShortTermContinue = "short_term_continue"     // short-term support until the risks are addressed
	ReferredAdult     = "referred_adult_services" // referred to an organisation supporting adults
	CommunitySupport  = "community_support"       // the social network or community takes over
	ContinueUntilSafe = "continue_until_safe"     // no other solution: the caseworker keeps working until the person is safe
)

// Pathways lists the age-out pathways.
var Pathways = []string{ShortTermContinue, ReferredAdult, CommunitySupport, ContinueUntilSafe}

// AgeOut is one decision on the age-out pathway of a case.
type AgeOut struct {
	ID         string
	CaseID     string
	Pathway    string
	Note       string
	RecordedBy string
	RecordedAt time.Time
}

// AgeOutDue reports whether the age-out pathway of case c (identity id) is
// to be decided at now: the person was a child when registered and is
// within the profile's alert window of adulthood, or past it.
func AgeOutDue(p *profile.Profile, c *cases.Case, id *cases.Identity, now time.Time) bool {
	adult, ok := cases.AdultOn(p, c, id)
	if !ok || !adult.After(c.RegisteredAt) {
		return false
	}
	due, _ := deadline.Due(p, deadline.AgeOut, c.RiskLevel, adult)
	return !now.Before(due)
}

// RecordAgeOut records the age-out pathway of open case caseID (read at
// version): what happens as the child turns adult. It completes the age-out
// task. The case stays open whatever the pathway: there is no automatic
// closure at 18.
func RecordAgeOut(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, caseID string, version int, pathway, note string, now time.Time) (*cases.Case, error) {
	c, err := cases.Get(ctx, tx, a, access.Edit, access.Closure, caseID)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ctx, tx, c, version); err != nil {
		return nil, err
	}
	id, err := tx.Identity(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	task := false
	for _, d := range ds {
		task = task || (d.Kind == deadline.AgeOut && d.Open())
	}
	var f errs.Fields
	note = strings.TrimSpace(note)
	switch {
	case !slices.Contains(Pathways, pathway):
		f.Add("pathway", "err.choose")
	case !task && c.AgeOutPathway == "" && !AgeOutDue(p, c, id, now):
		f.Add("pathway", "err.age_out_not_due", p.AdultAge)
	}
	if len(note) > maxLong {
		f.Add("pathway_note", "err.too_long", maxLong)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	ao := &AgeOut{CaseID: c.ID, Pathway: pathway, Note: note, RecordedBy: a.UserID, RecordedAt: now}
	if err := tx.InsertAgeOut(ctx, ao); err != nil {
		return nil, err
	}
	c.AgeOutPathway, c.UpdatedBy, c.UpdatedAt = pathway, a.UserID, now
	if err := tx.UpdateCase(ctx, c, nil); err != nil {
		return nil, err
	}
	if _, err := cases.CompleteDeadlines(ctx, tx, c, deadline.AgeOut, a.UserID, now); err != nil {
		return nil, err
	}
	if err := tx.RefreshNextDue(ctx, c.ID); err != nil {
		return nil, err
	}
	return c, record(ctx, tx, a, c, "closure.age_out", ao.ID, map[string]any{"pathway": pathway}, now)
}
