package deadline_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/profile"
)

var anchor = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

const (
	h = time.Hour
	d = 24 * h
	w = 7 * d
)

func TestDue(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	// The default profile's timelines (DOMAIN.md, L1648-1674); 0 means no deadline.
	want := map[deadline.Kind]map[string]time.Duration{
		deadline.Registration:     {profile.High: 24 * h, profile.Medium: 3 * d, profile.Low: w},
		deadline.Assessment:       {profile.High: 24 * h, profile.Medium: w, profile.Low: 2 * w},
		deadline.CasePlan:         {profile.High: 3 * d, profile.Medium: w, profile.Low: 2 * w},
		deadline.FirstAction:      {profile.High: 24 * h, profile.Medium: w, profile.Low: 2 * w},
		deadline.FollowUp:         {profile.High: 3 * d, profile.Medium: 2 * w, profile.Low: 4 * w},
		deadline.Review:           {profile.High: 4 * w, profile.Medium: 12 * w, profile.Low: 12 * w},
		deadline.UrgentResponse:   {profile.High: 24 * h, profile.Medium: 24 * h, profile.Low: 24 * h, profile.NoRisk: 24 * h},
		deadline.ConsentWithdrawn: {profile.High: 48 * h, profile.Medium: 48 * h, profile.Low: 48 * h, profile.NoRisk: 48 * h},
		// Whatever the risk level: from the incident, the submission, the closure, the 18th birthday.
		deadline.MedicalReferral: {profile.High: 120 * h, profile.Medium: 120 * h, profile.Low: 120 * h, profile.NoRisk: 120 * h},
		deadline.PlanApproval:    {profile.High: 2 * d, profile.Medium: 2 * d, profile.Low: 2 * d, profile.NoRisk: 2 * d},
		deadline.ClosureApproval: {profile.High: 2 * d, profile.Medium: 2 * d, profile.Low: 2 * d, profile.NoRisk: 2 * d},
		deadline.PostClosure:     {profile.High: 12 * w, profile.Medium: 12 * w, profile.Low: 12 * w, profile.NoRisk: 12 * w},
		deadline.AgeOut:          {profile.High: -26 * w, profile.Medium: -26 * w, profile.Low: -26 * w, profile.NoRisk: -26 * w},
		// Coordination: telling the family of a share without consent; the
		// supervisor's transfer and mandatory-reporting decisions; a referral's
		// answer, anchored at the time the service's average gives.
		deadline.TellFamily:        {profile.High: 72 * h, profile.Medium: 72 * h, profile.Low: 72 * h, profile.NoRisk: 72 * h},
		deadline.TransferDecision:  {profile.High: 2 * d, profile.Medium: 2 * d, profile.Low: 2 * d, profile.NoRisk: 2 * d},
		deadline.MandatoryDecision: {profile.High: 2 * d, profile.Medium: 2 * d, profile.Low: 2 * d, profile.NoRisk: 2 * d},
		deadline.ReferralResponse:  {profile.High: 0, profile.Medium: 0, profile.Low: 0, profile.NoRisk: 0},
	}
	if len(want) != len(deadline.Kinds) {
		t.Fatalf("the test knows %d kinds, the package %d", len(want), len(deadline.Kinds))
	}
	for _, k := range deadline.Kinds {
		for _, risk := range []string{profile.High, profile.Medium, profile.Low, profile.NoRisk} {
			t.Run(string(k)+"/"+risk, func(t *testing.T) {
				got, ok := deadline.Due(p, k, risk, anchor)
				wd, wok := want[k][risk]
				if ok != wok || (ok && !got.Equal(anchor.Add(wd))) {
					t.Errorf("Due = %v, %v; want anchor+%v, %v", got.Sub(anchor), ok, wd, wok)
				}
			})
		}
	}
	if _, ok := deadline.Due(p, "lunch", profile.High, anchor); ok {
		t.Error("an unknown kind has a deadline")
	}
	if _, ok := deadline.Due(p, deadline.Assessment, "severe", anchor); ok {
		t.Error("an unknown risk level has a deadline")
	}
}

func TestDueFollowsTheProfile(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("sop.yaml", []byte("timelines:\n  assessment: {high: 12h}\nurgent_response: 36h\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := deadline.Due(p, deadline.Assessment, profile.High, anchor); !got.Equal(anchor.Add(12 * h)) {
		t.Errorf("assessment high = anchor+%v, want 12h", got.Sub(anchor))
	}
	if got, _ := deadline.Due(p, deadline.UrgentResponse, profile.Low, anchor); !got.Equal(anchor.Add(36 * h)) {
		t.Errorf("urgent response = anchor+%v, want 36h", got.Sub(anchor))
	}
}

func TestFollowsRisk(t *testing.T) {
	t.Parallel()
	for _, k := range deadline.Kinds {
		// The step timelines follow the risk level; the other windows do not.
		var want bool
		switch k {
		case deadline.Registration, deadline.Assessment, deadline.CasePlan, deadline.FirstAction, deadline.FollowUp, deadline.Review:
			want = true
		}
		if got := deadline.FollowsRisk(k); got != want {
			t.Errorf("FollowsRisk(%s) = %v, want %v", k, got, want)
		}
	}
}

func TestRecompute(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	done := anchor.Add(2 * h)
	ds := []deadline.Deadline{
		{ID: "reg", Kind: deadline.Registration, AnchorAt: anchor.Add(-d), DueAt: anchor, DoneAt: done},
		{ID: "assess", Kind: deadline.Assessment, AnchorAt: anchor, DueAt: anchor.Add(24 * h)},
		{ID: "plan", Kind: deadline.CasePlan, AnchorAt: anchor, DueAt: anchor.Add(2 * w)},
		{ID: "urgent", Kind: deadline.UrgentResponse, AnchorAt: anchor, DueAt: anchor.Add(24 * h)},
		{ID: "withdrawn", Kind: deadline.ConsentWithdrawn, AnchorAt: anchor, DueAt: anchor.Add(48 * h)},
		{ID: "old-assess", Kind: deadline.Assessment, AnchorAt: anchor.Add(-w), DueAt: anchor.Add(-w + 24*h), DoneAt: done},
		// A review an incident made due at once: no risk level puts it off.
		{ID: "review-now", Kind: deadline.Review, AnchorAt: anchor, DueAt: anchor},
	}
	tests := []struct {
		risk string
		want []deadline.Change
	}{
		{profile.High, []deadline.Change{ // the plan moves up; the assessment is already at 24h
			{Deadline: with(ds[2], anchor.Add(3*d))},
		}},
		{profile.Medium, []deadline.Change{
			{Deadline: with(ds[1], anchor.Add(w))},
			{Deadline: with(ds[2], anchor.Add(w))},
		}},
		{profile.Low, []deadline.Change{ // the plan is already at 2w: unchanged, not listed
			{Deadline: with(ds[1], anchor.Add(2*w))},
		}},
		{profile.NoRisk, []deadline.Change{ // no timeline at no risk: the open ones go
			{Deadline: ds[1], Remove: true},
			{Deadline: ds[2], Remove: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.risk, func(t *testing.T) {
			in := append([]deadline.Deadline(nil), ds...)
			got := deadline.Recompute(p, tt.risk, in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Recompute (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(ds, in); diff != "" {
				t.Errorf("Recompute changed its input:\n%s", diff)
			}
		})
	}
}

func with(d deadline.Deadline, due time.Time) deadline.Deadline {
	d.DueAt = due
	return d
}

func TestNextDue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ds   []deadline.Deadline
		want time.Time
	}{
		{"none", nil, time.Time{}},
		{"all done", []deadline.Deadline{{DueAt: anchor, DoneAt: anchor}}, time.Time{}},
		{"earliest open", []deadline.Deadline{
			{DueAt: anchor.Add(3 * d)},
			{DueAt: anchor.Add(-d), DoneAt: anchor}, // done: ignored though earlier
			{DueAt: anchor.Add(d)},
			{DueAt: anchor.Add(2 * d)},
		}, anchor.Add(d)},
		{"overdue counts", []deadline.Deadline{{DueAt: anchor.Add(d)}, {DueAt: anchor.Add(-w)}}, anchor.Add(-w)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deadline.NextDue(tt.ds); !got.Equal(tt.want) {
				t.Errorf("NextDue = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeadlineState(t *testing.T) {
	t.Parallel()
	due := anchor.Add(d)
	open := deadline.Deadline{DueAt: due}
	early := deadline.Deadline{DueAt: due, DoneAt: due.Add(-h)}
	late := deadline.Deadline{DueAt: due, DoneAt: due.Add(h)}
	onTheDot := deadline.Deadline{DueAt: due, DoneAt: due}
	tests := []struct {
		name                  string
		d                     deadline.Deadline
		at                    time.Time
		open, onTime, overdue bool
	}{
		{"open before due", open, due.Add(-h), true, false, false},
		{"open at due", open, due, true, false, false},
		{"open after due", open, due.Add(time.Second), true, false, true},
		{"done early", early, due.Add(w), false, true, false},
		{"done on the dot", onTheDot, due.Add(w), false, true, false},
		{"done late", late, due.Add(w), false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.d.Open() != tt.open || tt.d.OnTime() != tt.onTime || tt.d.Overdue(tt.at) != tt.overdue {
				t.Errorf("Open=%v OnTime=%v Overdue=%v, want %v %v %v", tt.d.Open(), tt.d.OnTime(), tt.d.Overdue(tt.at),
					tt.open, tt.onTime, tt.overdue)
			}
		})
	}
}
