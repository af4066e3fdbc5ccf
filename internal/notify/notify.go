// Package notify records in-app notifications: a kind, a case and who
// acted — never case content, so a notification is safe to show anywhere
// (and, later, to send by e-mail).
package notify

import (
	"context"
	"time"
)

// Kind is what happened.
type Kind string

// The kinds of notification.
const (
	Urgent           Kind = "urgent"            // a case was marked urgent
	ConsentWithdrawn Kind = "consent_withdrawn" // consent was withdrawn on a case
	PlanSubmitted    Kind = "plan_submitted"    // a plan waits for approval
	PlanApproved     Kind = "plan_approved"
	PlanReturned     Kind = "plan_returned"
	ClosureProposed  Kind = "closure_proposed" // a closure waits for approval
	ClosureApproved  Kind = "closure_approved"
	ClosureReturned  Kind = "closure_returned"
	PostClosure      Kind = "post_closure" // a post-closure follow-up was assigned to you
	MedicalReferral  Kind = "medical_referral"
	Reopened         Kind = "reopened"
	Unsafe           Kind = "unsafe"          // a follow-up found the child unsafe
	ClosedConcerns   Kind = "closed_concerns" // the post-closure follow-up found safety concerns
)

// Kinds lists every kind, for the message catalog test.
var Kinds = []Kind{Urgent, ConsentWithdrawn, PlanSubmitted, PlanApproved, PlanReturned, ClosureProposed,
	ClosureApproved, ClosureReturned, PostClosure, MedicalReferral, Reopened, Unsafe, ClosedConcerns}

// Notification is one notice to one user.
type Notification struct {
	ID        string
	UserID    string
	Kind      Kind
	CaseID    string
	CaseCode  string // filled when listing
	ActorID   string
	ActorName string // filled when listing
	CreatedAt time.Time
	ReadAt    time.Time
}

// Tx is the storage notifications need.
type Tx interface {
	TeamSupervisors(ctx context.Context, teamID string) ([]string, error)
	InsertNotification(ctx context.Context, n *Notification) error
}

// Send notifies each of users (skipping the actor: nobody is told what they did).
func Send(ctx context.Context, tx Tx, users []string, k Kind, caseID, actor string, now time.Time) error {
	seen := map[string]bool{actor: true}
	for _, u := range users {
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		if err := tx.InsertNotification(ctx, &Notification{UserID: u, Kind: k, CaseID: caseID, ActorID: actor, CreatedAt: now}); err != nil {
			return err
		}
	}
	return nil
}

// Supervisors notifies the supervisors of team.
func Supervisors(ctx context.Context, tx Tx, team string, k Kind, caseID, actor string, now time.Time) error {
	sups, err := tx.TeamSupervisors(ctx, team)
	if err != nil {
		return err
	}
	return Send(ctx, tx, sups, k, caseID, actor, now)
}
