// Package notify records in-app notifications: a kind, a case and who
// acted — never case content, so a notification is safe to show anywhere
// (and, later, to send by e-mail).
package notify

import (
	"context"
	"strings"
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

	ReferralReceived  Kind = "referral_received" // a referral was addressed to you or your service
	ReferralAccepted  Kind = "referral_accepted"
	ReferralDeclined  Kind = "referral_declined"
	ReferralProvided  Kind = "referral_provided"  // the receiving service recorded the service given
	ReferralOverride  Kind = "referral_override"  // a referral was sent under a consent override: tell the family
	TransferRequested Kind = "transfer_requested" // a transfer waits for your approval or acceptance
	TransferApproved  Kind = "transfer_approved"
	TransferAccepted  Kind = "transfer_accepted"
	TransferDeclined  Kind = "transfer_declined"
	TransferReceived  Kind = "transfer_received" // a transferred case is now yours
	ConferenceInvited Kind = "conference_invited"
	ConferenceChanged Kind = "conference_changed" // the conference record was completed: sign it off
	BreakGlass        Kind = "break_glass"        // someone opened a case with break-glass access
	MandatoryReport   Kind = "mandatory_report"   // an incident calls for a mandatory-reporting decision
	MandatoryDecided  Kind = "mandatory_decided"
	CaseLinked        Kind = "case_linked"    // a case of yours was linked to another for coordination
	LinkRequested     Kind = "link_requested" // another agency asks to link a case of yours: accept or decline it

	// Staff accounts: the subject is the user concerned, never a case.
	AccountCreated  Kind = "account_created"  // an administrator added a user
	AccountRole     Kind = "account_role"     // a user's role or team changed
	AccountChanged  Kind = "account_changed"  // a user's name or e-mail address changed
	AccountDisabled Kind = "account_disabled" // a user was disabled
	AccountEnabled  Kind = "account_enabled"  // a user may sign in again
	AccountReset    Kind = "account_reset"    // an administrator reset an account
	AccountUnlocked Kind = "account_unlocked" // an administrator unlocked an account
	AccountPassword Kind = "account_password" // the operator set a password at the shell
	AccountApproval Kind = "account_approval" // case access waits for your approval
	AccountApproved Kind = "account_approved" // case access was approved
	AccountRefused  Kind = "account_refused"  // case access was refused
)

// Kinds lists every kind, for the message catalog test.
var Kinds = []Kind{Urgent, ConsentWithdrawn, PlanSubmitted, PlanApproved, PlanReturned, ClosureProposed,
	ClosureApproved, ClosureReturned, PostClosure, MedicalReferral, Reopened, Unsafe, ClosedConcerns,
	ReferralReceived, ReferralAccepted, ReferralDeclined, ReferralProvided, ReferralOverride, TransferRequested,
	TransferApproved, TransferAccepted, TransferDeclined, TransferReceived, ConferenceInvited, ConferenceChanged,
	BreakGlass, MandatoryReport, MandatoryDecided, CaseLinked, LinkRequested,
	AccountCreated, AccountRole, AccountChanged, AccountDisabled, AccountEnabled, AccountReset, AccountUnlocked,
	AccountPassword, AccountApproval, AccountApproved, AccountRefused}

// Notification is one notice to one user.
type Notification struct {
	ID        string
	UserID    string
	Kind      Kind
	CaseID    string
	SubjectID string // the referral, transfer or conference it is about, if any
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

// Href is where the notification takes its reader: the referral, transfer
// or conference it is about, or else the case.
func (n *Notification) Href() string {
	if strings.HasPrefix(string(n.Kind), "account_") {
		if n.SubjectID == n.UserID {
			return "/account" // about one's own account
		}
		return "/accounts"
	}
	if n.SubjectID != "" {
		switch {
		case strings.HasPrefix(string(n.Kind), "referral_"):
			return "/referrals/" + n.SubjectID
		case strings.HasPrefix(string(n.Kind), "transfer_") && n.Kind != TransferReceived:
			return "/transfers/" + n.SubjectID
		case strings.HasPrefix(string(n.Kind), "conference_"):
			return "/conferences/" + n.SubjectID
		}
	}
	if n.Kind == LinkRequested && n.CaseID != "" {
		return "/cases/" + n.CaseID + "/links"
	}
	if n.CaseID != "" {
		return "/cases/" + n.CaseID
	}
	return ""
}

// Send notifies each of users (skipping the actor: nobody is told what they did).
func Send(ctx context.Context, tx Tx, users []string, k Kind, caseID, actor string, now time.Time) error {
	return About(ctx, tx, users, k, caseID, "", actor, now)
}

// About notifies each of users of k about subject (a referral, transfer or
// conference) of case caseID, skipping the actor.
func About(ctx context.Context, tx Tx, users []string, k Kind, caseID, subject, actor string, now time.Time) error {
	seen := map[string]bool{actor: true}
	for _, u := range users {
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		n := &Notification{UserID: u, Kind: k, CaseID: caseID, SubjectID: subject, ActorID: actor, CreatedAt: now}
		if err := tx.InsertNotification(ctx, n); err != nil {
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
