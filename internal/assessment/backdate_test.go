package assessment_test

import (
	"testing"
	"time"

	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestBackDatedAssessmentAnchorsCasePlan records an assessment on day D for
// day D-3 in a deployment whose time zone is not UTC (Kathmandu, UTC+5:45,
// so that a UTC day or the moment of typing would both be wrong): the case
// plan deadline runs from the start of D-3 in that zone, as registration,
// follow-ups and reviews run theirs from the day they happened; one typed on
// the day it happened runs from the moment it was recorded.
func TestBackDatedAssessmentAnchorsCasePlan(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("tz.yaml", []byte("timezone: Asia/Kathmandu\n"))
	if err != nil {
		t.Fatal(err)
	}
	loc := p.Location()
	// The case is registered at fixture.Now (10 March). 19:00 UTC on 13
	// March is 00:45 on the 14th in Kathmandu: day D is the 14th there,
	// still the 13th in UTC.
	at := time.Date(2025, 3, 13, 19, 0, 0, 0, time.UTC)
	if got := p.Today(at); got != "2025-03-14" {
		t.Fatalf("today in Kathmandu = %s", got)
	}
	for _, tt := range []struct {
		name, assessedOn string
		anchor           time.Time
	}{
		{"three days back", "2025-03-11", time.Date(2025, 3, 11, 0, 0, 0, 0, loc)},
		{"yesterday, today in UTC", "2025-03-13", time.Date(2025, 3, 13, 0, 0, 0, 0, loc)},
		{"today", "2025-03-14", at},
	} {
		t.Run(tt.name, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, db *store.DB) {
				w := newWorld(t, db, fixture.New(t, db), profile.CP, profile.Medium, true)
				in := w.input()
				in.AssessedOn = tt.assessedOn
				fixture.In(t, db, func(tx *store.Tx) error {
					_, err := assessment.Record(ctx, tx, p, w.cw, w.c.ID, in, at)
					return err
				})
				cp := w.open(deadline.CasePlan)
				if cp == nil {
					t.Fatal("no case plan deadline")
				}
				want := tt.anchor.Add(timeline(t, p.Timelines.CasePlan, profile.Medium))
				if !cp.AnchorAt.Equal(tt.anchor) || !cp.DueAt.Equal(want) {
					t.Errorf("case plan deadline from %v due %v; want from %v due %v",
						cp.AnchorAt.In(loc), cp.DueAt.In(loc), tt.anchor.In(loc), want.In(loc))
				}
				if c := w.caseNow(); !c.NextDueAt.Equal(cp.DueAt) && c.NextDueAt.After(cp.DueAt) {
					t.Errorf("the case's next due %v is after its case plan deadline %v", c.NextDueAt, cp.DueAt)
				}
			})
		})
	}
}
