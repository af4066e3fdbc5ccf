package deadline

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/profile"
)

// SoonWithin is how far ahead an open deadline is due soon: the lists mark
// it, the team view lists it and counts it for each caseworker, and the
// words that say when it falls count hours rather than days.
const SoonWithin = 48 * time.Hour

// SoonUntil returns the end of the due-soon window at now.
func SoonUntil(now time.Time) time.Time { return now.Add(SoonWithin) }

// PastDue reports whether something due at due (zero: nothing due) is
// overdue at now.
func PastDue(due, now time.Time) bool { return !due.IsZero() && now.After(due) }

// DueSoon reports whether something due at due (zero: nothing due) is due
// soon at now: not yet overdue, and due within SoonWithin.
func DueSoon(due, now time.Time) bool {
	return !due.IsZero() && !now.After(due) && due.Sub(now) <= SoonWithin
}

// Horizon returns the end of the tasks list at now: the open deadlines due
// before it are listed, the later ones only counted, so that a task years
// away (an age-out, a long follow-up) does not crowd today's work.
func Horizon(p *profile.Profile, now time.Time) time.Time { return now.Add(p.TaskHorizon.D()) }

// The bounds of a tasks list.
const (
	TaskLimit = 500  // the most tasks a list shows
	LaterMax  = 1000 // the most later tasks it counts
)

// Lister is storage that lists the open deadlines of a person (scope
// access.Own, id a user) or a team (access.Team, id a team), earliest due
// first, as rows of type T, and counts those due from a time on.
type Lister[T any] interface {
	TasksDueBefore(ctx context.Context, scope access.Scope, id string, before time.Time, limit int) ([]T, error)
	CountTasksFrom(ctx context.Context, scope access.Scope, id string, from time.Time, max int) (int, error)
}

// Tasks returns the tasks list of scope id at now, the one both the tasks
// page and the API answer: the open deadlines due before the profile's
// horizon (Horizon; at most TaskLimit, earliest first) and how many open
// ones are due later (at most LaterMax).
func Tasks[T any](ctx context.Context, tx Lister[T], p *profile.Profile, scope access.Scope, id string, now time.Time) (tasks []T, later int, err error) {
	h := Horizon(p, now)
	if tasks, err = tx.TasksDueBefore(ctx, scope, id, h, TaskLimit); err != nil {
		return nil, 0, err
	}
	if later, err = tx.CountTasksFrom(ctx, scope, id, h, LaterMax); err != nil {
		return nil, 0, err
	}
	return tasks, later, nil
}
