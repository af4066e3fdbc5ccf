// Package account administers staff accounts, and the teams and agencies
// they belong to, so that separation of duties holds through it: nobody changes their own role, team or agency; an
// administrator never chooses or learns another person's password (new
// accounts and resets get a single-use setup code, stored hashed, with
// which the person sets their own); a role that reads case content, given
// or kept through an administrator's act, takes effect only once a second
// person approves it; and the agency's data protection officer is told of
// every change. The web pages, the JSON API and the command line call the
// operations here (Create, Update, Reset, Unlock, Decide, AddTeam,
// AddAgency, …), so each rule exists once, each decides access through
// package access, and each builds its audit event through one function.
//
// Teams and agencies live here rather than in package org, which holds
// the values and their validation only: adding one is an administrator's
// act, with an operator, an access decision and an audit event, like
// adding a user.
package account

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// Tx is the storage the account operations need, inside one transaction.
// *store.Tx satisfies it.
type Tx interface {
	notify.Tx
	mfa.Tx // Reset may remove the second factor too
	User(ctx context.Context, id string) (*org.User, error)
	UserByName(ctx context.Context, username string) (*org.User, error)
	Team(ctx context.Context, id string) (*org.Team, error)
	AgencyExists(ctx context.Context, id string) (bool, error)
	InsertAgency(ctx context.Context, a *org.Agency) error
	InsertTeam(ctx context.Context, t *org.Team) error
	InsertUser(ctx context.Context, u *org.User) error
	UpdateUser(ctx context.Context, u *org.User) error
	// CountRole counts the users of role r, disabled ones included.
	CountRole(ctx context.Context, r org.Role) (int, error)
	// ActiveWithRole returns the IDs of the active users of agency with role
	// r whose own role is in effect (not awaiting approval) and who have set
	// their password.
	ActiveWithRole(ctx context.Context, agency string, r org.Role) ([]string, error)
	DeleteUserSessions(ctx context.Context, userID string) error
	RevokeUserTokens(ctx context.Context, userID string, now time.Time) (int, error)
	ClearSignInThrottles(ctx context.Context, username string) error

	InsertSetupCode(ctx context.Context, c *SetupCode) error
	RevokeSetupCodes(ctx context.Context, userID string, now time.Time) error
	SetupCodeByHash(ctx context.Context, hash string) (*SetupCode, error)
	UseSetupCode(ctx context.Context, id string, now time.Time) error

	InsertApproval(ctx context.Context, a *Approval) error
	Approval(ctx context.Context, id string) (*Approval, error)
	// CloseApproval records the decision on the open approval a.
	CloseApproval(ctx context.Context, a *Approval) error
	// SupersedeApprovals closes every open approval of user.
	SupersedeApprovals(ctx context.Context, userID string, now time.Time) error

	InsertNotice(ctx context.Context, n *Notice) error
	Record(ctx context.Context, e audit.Event) error
}

// Operator is who administers an account: a signed-in administrator, or
// the operator at the server's shell (safecase user …), who already holds
// the database and acts as the deployment's owner.
type Operator struct {
	Actor access.Actor
	Shell bool
}

// Shell is the operator at the server's shell.
var Shell = Operator{Shell: true}

// By returns the operator for a signed-in actor.
func By(a access.Actor) Operator { return Operator{Actor: a} }

// id is the operator's user ID, empty for the shell.
func (o Operator) id() string {
	if o.Shell {
		return ""
	}
	return o.Actor.UserID
}

// ShellRole is the actor role of the audit events of the operator at the
// server's shell (the store fills in the role of a signed-in actor).
const ShellRole = "cli"

// record is the audit event of an administrative act by o on the record
// kind/id of agency, with detail d: every event of an administrator's or
// the shell operator's act is made here, so the pages, the API and the
// command line write the same one.
func (o Operator) record(action, kind, id, agency string, d Detail) audit.Event {
	e := audit.Event{Action: action, RecordType: kind, RecordID: id, AgencyID: agency, Detail: d.String()}
	if o.Shell {
		e.ActorRole = ShellRole
	}
	return e
}

// event is the audit event of an act by o on the account of user u.
func (o Operator) event(action string, u *org.User, d Detail) audit.Event {
	return o.record(action, "user", u.ID, u.AgencyID, d)
}

// SetupValid is how long a setup code works.
const SetupValid = 24 * time.Hour

// The purposes of a setup code.
const (
	PurposeNew   = "new"   // a new account
	PurposeReset = "reset" // an administrator reset the account
)

// SetupCode is a single-use code with which a person sets their own
// password. Only the hash of the code is stored.
type SetupCode struct {
	ID        string
	UserID    string
	Hash      string
	Purpose   string
	CreatedBy string // empty for the shell operator
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
	RevokedAt time.Time
}

// Usable reports whether c may still be used at now.
func (c *SetupCode) Usable(now time.Time) bool {
	return c.UsedAt.IsZero() && c.RevokedAt.IsZero() && now.Before(c.ExpiresAt)
}

// codeAlphabet has no letters that read like others (no I, L, O, U) nor
// 0 and 1, so that a code read out or copied from paper survives.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// codeLen is the number of symbols of a code: 24 of 30 carry 117 bits.
const codeLen = 24

// newCode returns a fresh code, grouped by four for reading aloud
// (ABCD-EFGH-…), and its hash.
func newCode() (code, hash string) {
	b := make([]byte, codeLen)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	var sb strings.Builder
	for i := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		// 256 is not a multiple of 30: reject the top values for an even draw.
		for b[i] >= 240 {
			var one [1]byte
			if _, err := rand.Read(one[:]); err != nil {
				panic(err)
			}
			b[i] = one[0]
		}
		sb.WriteByte(codeAlphabet[int(b[i])%len(codeAlphabet)])
	}
	code = sb.String()
	return code, HashCode(code)
}

// NormalizeCode returns code as typed (any case, with or without dashes
// and spaces) in its canonical form, or "" when it cannot be a code.
func NormalizeCode(code string) string {
	if len(code) > 4*codeLen {
		return ""
	}
	var sb strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r < 0x80 && strings.ContainsRune(codeAlphabet, r):
			sb.WriteRune(r)
		default:
			return ""
		}
	}
	if sb.Len() != codeLen {
		return ""
	}
	return sb.String()
}

// FormatCode returns code as typed grouped by four (ABCD-EFGH-…), for
// showing it again; "" when it cannot be a code.
func FormatCode(code string) string {
	n := NormalizeCode(code)
	var sb strings.Builder
	for i := 0; i < len(n); i += 4 {
		if i > 0 {
			sb.WriteByte('-')
		}
		sb.WriteString(n[i : i+4])
	}
	return sb.String()
}

// HashCode returns the stored form of a code as typed.
func HashCode(code string) string {
	n := NormalizeCode(code)
	if n == "" {
		return ""
	}
	return auth.HashToken("setup:" + n)
}

// Issued is a setup code just made: shown once to the administrator to
// hand over, or mailed to the person (then Code is not shown).
type Issued struct {
	Code      string
	ExpiresAt time.Time
	Mail      bool // the code goes to the person's e-mail address, not to the administrator
	To        string
}

// The reasons case access waits for approval.
const (
	ReasonNew      = "new"      // a new account
	ReasonRole     = "role"     // a change of role
	ReasonReset    = "reset"    // an administrator reset the account
	ReasonUnlock   = "unlock"   // an administrator unlocked the account
	ReasonPassword = "password" // the shell operator set the password
)

// The decisions on an approval.
const (
	Approved   = "approved"
	Refused    = "refused"
	Superseded = "superseded" // a newer request, or a role that reads no case content
)

// Approval is a request that a role reading case content take effect.
type Approval struct {
	ID          string
	UserID      string
	AgencyID    string
	Role        org.Role
	Reason      string
	RequestedBy string // empty for the shell operator
	RequestedAt time.Time
	Decision    string // empty while it waits
	DecidedBy   string
	DecidedAt   time.Time

	// Filled when listing.
	UserName      string
	Username      string
	RequesterName string
}

// Open reports whether a still waits for a decision.
func (a *Approval) Open() bool { return a.Decision == "" }

// The kinds of one-time notice shown after sign-in.
const (
	NoticeReset    = "reset"
	NoticeUnlock   = "unlock"
	NoticePassword = "password"
)

// Notice tells a person, once, at their next sign-in, who reset or
// unlocked their account and when.
type Notice struct {
	ID        string
	UserID    string
	Kind      string
	ActorID   string // empty for the shell operator
	ActorName string // filled when listing
	CreatedAt time.Time
	ShownAt   time.Time
}

// Change is an old and a new value in an audit event's detail.
type Change struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// Detail is the detail of an account event: the old and new value of each
// thing that changed, by name. It never holds a password or a code.
type Detail map[string]Change

// set records that key changed from old to new (nothing when equal).
func (d Detail) set(key, old, new string) {
	if old != new {
		d[key] = Change{Old: old, New: new}
	}
}

// String returns d as JSON, keys in order.
func (d Detail) String() string {
	if len(d) == 0 {
		return ""
	}
	b, _ := json.Marshal(map[string]Change(d))
	return string(b)
}

// ParseDetail reads an account event's detail; anything else gives nil.
func ParseDetail(s string) Detail {
	var d map[string]Change
	if s == "" || json.Unmarshal([]byte(s), &d) != nil {
		return nil
	}
	return d
}

// The states of case access, as the detail and the API name them.
const (
	AccessNone    = "none"    // the role reads no case content
	AccessPending = "pending" // it does, awaiting approval
	AccessGranted = "granted" // it does, approved
)

// CaseAccess names u's case access: pending while u's role waits for
// approval (a role that reads case content, or the role that approves it).
func CaseAccess(u *org.User) string {
	switch {
	case u.CaseAccessPending:
		return AccessPending
	case !u.Role.ReadsCases():
		return AccessNone
	}
	return AccessGranted
}

// ApproverRole is the role that approves case access under profile p.
func ApproverRole(p *profile.Profile) org.Role {
	if p.RoleApprovalBy == profile.ApprovalByDPO {
		return org.DPOfficer
	}
	return org.Manager
}

// NeedsApproval reports whether role r, given to an account or kept by one
// through an administrator's act, waits for a second person's approval
// under profile p: a role that reads case content, the role that approves
// case access, and the data protection officer. An administrator could
// otherwise make such an account — a new one whose setup code she holds,
// one she reset or unlocked — and through it approve her own caseworker
// (under role_approval_by: dp_officer), or read the agency's audit trail,
// its account events and the consent registers of its closed cases, alone.
func NeedsApproval(p *profile.Profile, r org.Role) bool {
	return r.ReadsCases() || r == ApproverRole(p) || r == org.DPOfficer
}
