package deadline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/profile"
)

// TestWindows: overdue and due soon, at their edges.
func TestWindows(t *testing.T) {
	t.Parallel()
	now := anchor
	tests := []struct {
		name          string
		due           time.Time
		overdue, soon bool
	}{
		{"nothing due", time.Time{}, false, false},
		{"a minute ago", now.Add(-time.Minute), true, false},
		{"a week ago", now.Add(-w), true, false},
		{"now", now, false, true},
		{"in an hour", now.Add(h), false, true},
		{"in 47 hours", now.Add(47 * h), false, true},
		{"in exactly 48 hours", now.Add(48 * h), false, true},
		{"in 48 hours and a second", now.Add(48*h + time.Second), false, false},
		{"in a week", now.Add(w), false, false},
	}
	for _, tt := range tests {
		if got := deadline.PastDue(tt.due, now); got != tt.overdue {
			t.Errorf("%s: PastDue %v, want %v", tt.name, got, tt.overdue)
		}
		if got := deadline.DueSoon(tt.due, now); got != tt.soon {
			t.Errorf("%s: DueSoon %v, want %v", tt.name, got, tt.soon)
		}
	}
	if got := deadline.SoonUntil(now); !got.Equal(now.Add(48 * h)) {
		t.Errorf("SoonUntil = %s, want two days on", got)
	}
}

// lister records what Tasks asks of storage.
type lister struct {
	before, from time.Time
	limit, max   int
	scope        access.Scope
	id           string
	err          error
}

func (l *lister) TasksDueBefore(ctx context.Context, scope access.Scope, id string, before time.Time, limit int) ([]string, error) {
	l.scope, l.id, l.before, l.limit = scope, id, before, limit
	return []string{"a", "b"}, l.err
}

func (l *lister) CountTasksFrom(ctx context.Context, scope access.Scope, id string, from time.Time, max int) (int, error) {
	if scope != l.scope || id != l.id {
		return 0, errors.New("counted another list")
	}
	l.from, l.max = from, max
	return 7, nil
}

// TestTasks: the tasks list is what falls due before the profile's horizon,
// and the count of what falls due from it on.
func TestTasks(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	l := &lister{}
	tasks, later, err := deadline.Tasks[string](context.Background(), l, p, access.Team, "team1", anchor)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, tasks); diff != "" || later != 7 {
		t.Errorf("tasks %v later %d", tasks, later)
	}
	h := anchor.Add(p.TaskHorizon.D())
	if !deadline.Horizon(p, anchor).Equal(h) || !l.before.Equal(h) || !l.from.Equal(h) {
		t.Errorf("listed before %s, counted from %s; want both at the horizon %s", l.before, l.from, h)
	}
	if l.scope != access.Team || l.id != "team1" || l.limit != deadline.TaskLimit || l.max != deadline.LaterMax {
		t.Errorf("asked for %s %s limit %d max %d", l.scope, l.id, l.limit, l.max)
	}
	l.err = errors.New("connection lost")
	if _, _, err := deadline.Tasks[string](context.Background(), l, p, access.Own, "u1", anchor); !errors.Is(err, l.err) {
		t.Errorf("a failed read: %v", err)
	}
}
