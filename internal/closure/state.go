package closure

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/profile"
)

// State is everything the closure page shows about one case.
type State struct {
	Case        *cases.Case
	Closures    []Closure // newest first
	Pending     *Closure  // the proposal waiting for the supervisor
	Feedback    []Feedback
	Reopenings  []Reopening
	AgeOuts     []AgeOut           // newest first
	Gaps        []Gap              // the completeness check now (open cases only)
	LastContact string             // the day the person was last seen
	Approval    *deadline.Deadline // the open closure approval task due first
	PostClosure *deadline.Deadline // the open post-closure follow-up
	AgeOutTask  *deadline.Deadline // the open age-out task
	AdultOn     time.Time          // when the person turns adult; zero when unknown
	AgeOutDue   bool               // the age-out pathway is to be decided now
}

// Load returns the closure state of case c at now. The caller has decided
// that the actor may view c's closure section. A closed file gets no live
// completeness check: it shows the one stored with its proposal, and its
// consent records stay apart.
func Load(ctx context.Context, tx Tx, p *profile.Profile, c *cases.Case, now time.Time) (*State, error) {
	st := &State{Case: c}
	var err error
	if st.Closures, err = tx.Closures(ctx, c.ID); err != nil {
		return nil, err
	}
	st.Pending = Pending(st.Closures)
	if st.Feedback, err = tx.Feedbacks(ctx, c.ID); err != nil {
		return nil, err
	}
	if st.Reopenings, err = tx.Reopenings(ctx, c.ID); err != nil {
		return nil, err
	}
	if st.AgeOuts, err = tx.AgeOuts(ctx, c.ID); err != nil {
		return nil, err
	}
	if c.IsOpen() {
		if st.Gaps, err = Check(ctx, tx, p, c, now); err != nil {
			return nil, err
		}
		if st.LastContact, err = LastContact(ctx, tx, c); err != nil {
			return nil, err
		}
	}
	ds, err := tx.CaseDeadlines(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for i := range ds { // earliest due first
		d := &ds[i]
		if !d.Open() {
			continue
		}
		switch {
		case d.Kind == deadline.ClosureApproval && st.Approval == nil:
			st.Approval = d
		case d.Kind == deadline.PostClosure && st.PostClosure == nil:
			st.PostClosure = d
		case d.Kind == deadline.AgeOut && st.AgeOutTask == nil:
			st.AgeOutTask = d
		}
	}
	id, err := tx.Identity(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if adult, ok := cases.AdultOn(p, c, id); ok {
		st.AdultOn = adult
	}
	st.AgeOutDue = c.IsOpen() && AgeOutDue(p, c, id, now)
	return st, nil
}

// Latest returns the newest decided closure (approved or returned), or nil.
func (st *State) Latest() *Closure {
	for i := range st.Closures {
		if st.Closures[i].Status != Proposed {
			return &st.Closures[i]
		}
	}
	return nil
}

// LastReturned returns the newest decided closure when the supervisor
// returned it (with the actions required before closing), or nil.
func (st *State) LastReturned() *Closure {
	if l := st.Latest(); l != nil && l.Status == Returned {
		return l
	}
	return nil
}

// ShowAgeOut reports whether the page has something to say about the age-out pathway.
func (st *State) ShowAgeOut() bool {
	return st.Case.AgeOutPathway != "" || len(st.AgeOuts) > 0 ||
		(st.Case.IsOpen() && (st.AgeOutTask != nil || st.AgeOutDue))
}
