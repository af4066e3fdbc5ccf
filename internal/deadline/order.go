package deadline

import (
	"slices"
	"time"
)

// Ordered is what the task order reads of a task: whether its case is
// urgent, whether its child is separated or unaccompanied (a priority case),
// and when it is due.
type Ordered interface {
	TaskOrder() (urgent, priority bool, due time.Time)
}

// SortTasks orders tasks the way a caseworker works them, the order "My
// tasks", the tasks API and the team view promise: urgent cases first, then
// overdue tasks, then by due date. A separated or unaccompanied child breaks
// ties only among tasks due on the same day (in loc, the programme's time
// zone), so a priority task due in 79 days never comes before one due in 13
// hours; within the day, the earlier due first. The sort is stable.
func SortTasks[T Ordered](ts []T, now time.Time, loc *time.Location) {
	day := func(t time.Time) string { return t.In(loc).Format(time.DateOnly) }
	slices.SortStableFunc(ts, func(a, b T) int {
		au, ap, ad := a.TaskOrder()
		bu, bp, bd := b.TaskOrder()
		if au != bu {
			return first(au)
		}
		if ao, bo := PastDue(ad, now), PastDue(bd, now); ao != bo {
			return first(ao)
		}
		if da, db := day(ad), day(bd); da != db {
			if da < db {
				return -1
			}
			return 1
		}
		if ap != bp {
			return first(ap)
		}
		return ad.Compare(bd)
	})
}

// first returns the comparison result that puts the side for which yes is
// true first.
func first(yes bool) int {
	if yes {
		return -1
	}
	return 1
}
