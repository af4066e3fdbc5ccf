package conference

import (
	"testing"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/org"
)

// TestStatePredicates lists, for every state of a conference, what it
// allows: the rules Record, SignOff and Close apply and the conference page
// offers.
func TestStatePredicates(t *testing.T) {
	t.Parallel()
	signed := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		status                 string
		written, record, close bool
		signOff                map[string]bool // user → may sign off
	}{
		{Scheduled, false, true, true, map[string]bool{"u1": false, "u2": false, "x": false}},
		{Held, true, true, true, map[string]bool{"u1": true, "u2": false, "x": false}},
		{Closed, true, false, false, map[string]bool{"u1": false, "u2": false, "x": false}},
	}
	for _, tt := range tests {
		c := &Conference{Status: tt.status, Participants: []Participant{{UserID: "u1"}, {UserID: "u2", SignedOffAt: signed}}}
		if got := c.Written(); got != tt.written {
			t.Errorf("%s: Written = %v, want %v", tt.status, got, tt.written)
		}
		if got := c.CanRecord(); got != tt.record {
			t.Errorf("%s: CanRecord = %v, want %v", tt.status, got, tt.record)
		}
		if got := c.CanClose(); got != tt.close {
			t.Errorf("%s: CanClose = %v, want %v", tt.status, got, tt.close)
		}
		for u, want := range tt.signOff {
			if got := c.CanSignOff(u); got != want {
				t.Errorf("%s: CanSignOff(%s) = %v, want %v", tt.status, u, got, want)
			}
		}
		if !c.SignedOff("u2") || c.SignedOff("u1") || c.SignedOff("x") {
			t.Errorf("%s: SignedOff is wrong", tt.status)
		}
	}
}

// TestNextFor joins the state with the actor's side: the case's caseworker
// writes the record and closes it once written; a participant signs off
// what is written; an external participant never edits.
func TestNextFor(t *testing.T) {
	t.Parallel()
	c := &cases.Case{ID: "c", AgencyID: "A", TeamID: "ta", CaseworkerID: "cw", Status: "open"}
	closedCase := *c
	closedCase.Status = cases.Closed
	cw := access.Actor{UserID: "cw", AgencyID: "A", TeamID: "ta", Role: org.Caseworker}
	ext := access.Actor{UserID: "ext", AgencyID: "B", Role: org.ServiceProvider}
	tests := []struct {
		name   string
		status string
		a      access.Actor
		c      *cases.Case
		want   Next
	}{
		{"caseworker, scheduled", Scheduled, cw, c, Next{Record: true}},
		{"caseworker, held", Held, cw, c, Next{Record: true, SignOff: true, Close: true}},
		{"caseworker, closed", Closed, cw, c, Next{}},
		{"external, scheduled", Scheduled, ext, c, Next{}},
		{"external, held", Held, ext, c, Next{SignOff: true}},
		{"external, held, case closed", Held, ext, &closedCase, Next{}},
	}
	for _, tt := range tests {
		conf := &Conference{Status: tt.status, CreatedBy: "cw", Participants: []Participant{{UserID: "cw"},
			{UserID: "ext", External: true}}}
		if got := conf.NextFor(tt.a, tt.c); got != tt.want {
			t.Errorf("%s: NextFor = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
