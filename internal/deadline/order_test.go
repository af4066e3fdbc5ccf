package deadline_test

import (
	"testing"
	"time"

	"github.com/safecase/safecase/internal/deadline"
)

type task struct {
	name             string
	urgent, priority bool
	due              time.Time
}

func (t task) TaskOrder() (bool, bool, time.Time) { return t.urgent, t.priority, t.due }

// TestSortTasks: urgent first, then overdue, then by due date; a separated
// or unaccompanied child breaks ties only within the same day.
func TestSortTasks(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("EAT", 3*3600)
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, loc)
	h := func(n int) time.Time { return now.Add(time.Duration(n) * time.Hour) }
	tests := []struct {
		name string
		in   []task
		want []string
	}{
		{"a priority task due in 79 days stays after one due in 13 hours",
			[]task{{"far", false, true, h(79 * 24)}, {"soon", false, false, h(13)}},
			[]string{"soon", "far"}},
		{"priority breaks a tie within the same day",
			[]task{{"plain", false, false, h(2)}, {"sep", false, true, h(5)}},
			[]string{"sep", "plain"}},
		{"the same day is the programme's day, not UTC's",
			// 23:30 and 02:00 next day in EAT are the same UTC day (20:30, 23:00)
			[]task{{"plain", false, false, time.Date(2026, 12, 6, 23, 30, 0, 0, loc)}, {"sep", false, true, time.Date(2026, 12, 7, 1, 59, 0, 0, loc)}},
			[]string{"plain", "sep"}},
		{"urgent before overdue before the rest",
			[]task{{"due", false, true, h(1)}, {"over", false, false, h(-30)}, {"urgent", true, false, h(100)}},
			[]string{"urgent", "over", "due"}},
		{"overdue: the most overdue first, priority within the day",
			[]task{{"over1", false, false, h(-1)}, {"over50", false, false, h(-50)}, {"over2sep", false, true, h(-2)}},
			[]string{"over50", "over2sep", "over1"}},
		{"urgent ones by due date too",
			[]task{{"u2", true, false, h(48)}, {"u1", true, false, h(3)}},
			[]string{"u1", "u2"}},
		{"equal keys keep their order",
			[]task{{"x", false, false, h(4)}, {"y", false, false, h(4)}},
			[]string{"x", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := append([]task(nil), tt.in...)
			deadline.SortTasks(ts, now, loc)
			for i, w := range tt.want {
				if ts[i].name != w {
					var got []string
					for _, x := range ts {
						got = append(got, x.name)
					}
					t.Fatalf("order %v, want %v", got, tt.want)
				}
			}
		})
	}
}
