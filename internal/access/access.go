// Package access is the one place that decides who may do what to which
// record. Every page and every API route asks Decide; nothing else grants
// access. Decisions about a case are made per section of the case file,
// because referrals and case conferences will grant named sections only.
package access

import (
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// Actor is who is asking.
type Actor struct {
	UserID   string
	AgencyID string
	TeamID   string
	Role     org.Role
	Now      time.Time // when the actor asks: time-limited grants hold until then
	// Pending: the actor's role reads case content (or approves case
	// access) but awaits a second person's approval. Until then Decide
	// allows only what any signed-in person may do (their own account, the directory, the profile,
	// identifying a child): no case, list, task, referral, transfer,
	// conference or screening.
	Pending bool
}

// Action is what the actor wants to do.
type Action string

// The actions.
const (
	View     Action = "view"
	Create   Action = "create"
	Edit     Action = "edit"
	Approve  Action = "approve"  // supervisor decisions: consent overrides, plans, closures
	Reopen   Action = "reopen"   // reopen a closed case
	Feedback Action = "feedback" // the post-closure follow-up and feedback survey
	Assign   Action = "assign"   // choose or change the primary caseworker
	Screen   Action = "screen"   // screen identifications against eligibility
	Manage   Action = "manage"   // administer users, teams, agencies, the service directory
	Refer    Action = "refer"    // refer a case to a service, request its transfer, call a conference
	Respond  Action = "respond"  // answer a referral or transfer addressed to the actor
	Glass    Action = "glass"    // break-glass: time-limited read access with a stated reason
	Download Action = "download" // the OpenAPI document, the profile
	// MarkVoid: close a case as a duplicate of another or as registered in
	// error, or undo that: the case's supervisor or the agency's manager.
	MarkVoid Action = "mark_void"
)

// Kind is the kind of record.
type Kind string

// The kinds of record.
const (
	KindCase           Kind = "case"           // one section of one case file
	KindCaseList       Kind = "case_list"      // a list of cases in a scope
	KindIdentification Kind = "identification" // a submitted identification form
	KindTasks          Kind = "tasks"          // a task list in a scope
	KindUser           Kind = "user"
	KindTeam           Kind = "team"
	KindAgency         Kind = "agency"
	KindAudit          Kind = "audit"
	KindProfile        Kind = "profile"
	KindOwn            Kind = "own"       // the actor's own account and API tokens
	KindDirectory      Kind = "directory" // the service directory
	KindReferral       Kind = "referral"  // a referral, seen from the sending or the receiving side
	KindTransfer       Kind = "transfer"  // a transfer awaiting the receiving side
	KindConference     Kind = "conference"
	KindAccount        Kind = "account" // staff account administration: its events and the approval of case access
	// KindConsentRegister is the consent register of a case: that its
	// consent records exist (scope, giver's role, decision, dates, who
	// recorded them), never what they say.
	KindConsentRegister Kind = "consent_register"
)

// Section is a part of the case file with its own permissions.
type Section string

// The sections of the case file this release knows.
const (
	Identity     Section = "identity"     // name, date of birth, location, contact
	Registration Section = "registration" // the case's registration data, risk, care status
	Consent      Section = "consent"      // consent and assent, overrides, sharing exclusions
	Family       Section = "family"       // family members and caregivers
	Assessment   Section = "assessment"   // assessments, safety threats, needs
	Plan         Section = "plan"         // case plans: objectives, actions, gaps, meetings
	Services     Section = "services"     // implementation: direct services, safety plans, emergency fund
	FollowUp     Section = "followup"     // follow-ups and reviews
	Closure      Section = "closure"      // closure, post-closure follow-up, reopening
)

// Sections lists every section.
var Sections = []Section{Identity, Registration, Consent, Family, Assessment, Plan, Services, FollowUp, Closure}

// Scope is the breadth of a list.
type Scope string

// The list scopes.
const (
	Own    Scope = "own"
	Team   Scope = "team"
	Agency Scope = "agency"
)

// Case is what a decision needs to know about a case.
type Case struct {
	ID           string
	AgencyID     string
	TeamID       string
	CaseworkerID string
	Closed       bool    // a closed file is read-only
	FollowUpBy   string  // who does the post-closure follow-up (the supervisor or a designee)
	Grants       []Grant // grants in force on the case (loaded for actors outside its scope)
}

// Channel is the way a grant was made: what gave someone outside a case's
// scope their reading of it.
type Channel string

// The channels of a grant.
const (
	ViaReferral   Channel = "referral"    // a referral's receiver, while the referral is open
	ViaTransfer   Channel = "transfer"    // a transfer's receiving agency, before it decides
	ViaConference Channel = "conference"  // a conference's external participant, while it is open
	ViaBreakGlass Channel = "break_glass" // staff of the case's agency, for a stated reason and a limited time
)

// Grant lets someone outside a case's scope read named sections of it:
// a referral's receiver, a transfer's receiving agency before it accepts,
// a conference's external participant, or a break-glass reader. Whoever
// loads grants loads only those in force (not revoked, not expired, their
// referral or conference still open).
type Grant struct {
	Via      Channel    // how the grant was made
	UserID   string     // one user; or else
	AgencyID string     // the users of this agency
	TeamID   string     // of this team, when set
	Roles    []org.Role // with one of these roles (any role when empty)
	Sections []Section
	Until    time.Time // a time-limited grant (break-glass) ends then; zero for none
}

// Holds reports whether g is addressed to a and still in force at a.Now.
func (g Grant) Holds(a Actor) bool {
	if !g.Until.IsZero() && (a.Now.IsZero() || !a.Now.Before(g.Until)) {
		return false // a time-limited grant needs the time of asking
	}
	if g.UserID != "" {
		return g.UserID == a.UserID
	}
	if g.AgencyID == "" || g.AgencyID != a.AgencyID || (g.TeamID != "" && g.TeamID != a.TeamID) {
		return false
	}
	if len(g.Roles) == 0 {
		return true
	}
	for _, r := range g.Roles {
		if r == a.Role {
			return true
		}
	}
	return false
}

// appliesTo reports whether g still applies to case c for a reading s:
// break-glass only within the case's agency (a case transferred away is
// out of reach); referrals, transfers and conferences never on a closed
// case; the consent records of a closed case never.
func (g Grant) appliesTo(a Actor, c Case, s Section) bool {
	if c.Closed && s == Consent {
		return false
	}
	if g.Via == ViaBreakGlass {
		return a.AgencyID == c.AgencyID
	}
	return !c.Closed
}

// Covers reports whether g includes section s.
func (g Grant) Covers(s Section) bool {
	for _, x := range g.Sections {
		if x == s {
			return true
		}
	}
	return false
}

// Party is who sent and who receives a referral, a transfer or a
// conference invitation: what Decide needs to know of one.
type Party struct {
	FromAgencyID string   // the sending agency (the case's agency)
	SenderID     string   // who sent it
	ToAgencyID   string   // the receiving agency
	ToTeamID     string   // the receiving team, for an internal transfer
	ToUserID     string   // the named receiver, if any
	Users        []string // a conference's participants
	Open         bool     // the referral, transfer or conference is still open (not decided, closed or withdrawn)
}

// Resource is the record an action is on.
type Resource struct {
	Kind     Kind
	Case     Case    // KindCase
	Section  Section // KindCase
	Scope    Scope   // KindCaseList, KindTasks
	AgencyID string  // the record's agency, for agency-bound kinds
	TeamID   string  // the record's team, where it has one
	OwnerID  string  // KindOwn, KindUser: the user concerned
	Party    Party   // KindReferral, KindTransfer, KindConference

	// KindUser: the role of the user concerned, when one is.
	UserRole org.Role
	// KindAccount: who made the change that awaits approval (empty for the
	// shell operator), and the role that approves (the profile's
	// role_approval_by: manager or dp_officer).
	ChangedBy string
	Approver  org.Role
}

// Decision is Decide's answer. Reason says why, for the audit trail.
type Decision struct {
	Allow  bool
	Reason string
}

func allow(reason string) Decision { return Decision{Allow: true, Reason: reason} }
func deny(reason string) Decision  { return Decision{Reason: reason} }

// Decide says whether actor a may do act on r.
func Decide(a Actor, act Action, r Resource) Decision {
	if a.UserID == "" || !a.Role.Valid() {
		return deny("not signed in")
	}
	if a.Pending && !openToPending(act, r.Kind) {
		return deny("the role awaits a second person's approval: no case access until then")
	}
	switch r.Kind {
	case KindCase:
		return decideCase(a, act, r.Case, r.Section)
	case KindCaseList:
		return decideList(a, act, r)
	case KindTasks:
		return decideList(a, act, r)
	case KindIdentification:
		return decideIdentification(a, act, r)
	case KindUser, KindTeam:
		return decideAdmin(a, act, r)
	case KindAgency:
		if a.Role == org.SystemAdmin && (act == View || act == Manage) {
			return allow("system administrator")
		}
		if act == View && a.AgencyID == r.AgencyID {
			return allow("own agency")
		}
		return deny("agencies are managed by the system administrator")
	case KindAudit:
		if a.Role == org.DPOfficer && act == View && r.AgencyID == a.AgencyID {
			return allow("data protection officer of the agency")
		}
		return deny("only the data protection officer reads the audit trail")
	case KindProfile:
		if act == View || act == Download {
			return allow("the context profile is not confidential")
		}
		return deny("the profile is set by the deployment's file")
	case KindDirectory:
		return decideDirectory(a, act, r)
	case KindReferral:
		return decideReferral(a, act, r)
	case KindTransfer:
		return decideTransfer(a, act, r)
	case KindConference:
		return decideConference(a, act, r)
	case KindConsentRegister:
		return decideConsentRegister(a, act, r.Case)
	case KindOwn:
		if r.OwnerID == a.UserID && (act == View || act == Edit || act == Create) {
			return allow("own account")
		}
		return deny("another user's account")
	case KindAccount:
		return decideAccount(a, act, r)
	}
	return deny("unknown record")
}

// CaseWork decides whether a may do case work at all, before any record is
// named: the forms, inboxes and lists of case management staff and service
// providers. A role that awaits approval does none.
func CaseWork(a Actor) Decision {
	switch {
	case a.UserID == "" || !a.Role.Valid():
		return deny("not signed in")
	case !a.Role.ReadsCases():
		return deny(string(a.Role) + " does no case work")
	case a.Pending:
		return deny("the role awaits a second person's approval: no case access until then")
	}
	return allow(string(a.Role) + " does case work")
}

// openToPending reports whether an actor whose role awaits approval may
// still ask for act on kind: what any signed-in person may do, whatever
// their role. Everything else waits for the approval.
func openToPending(act Action, k Kind) bool {
	switch k {
	case KindOwn, KindProfile, KindDirectory:
		return true
	case KindAgency:
		return act == View
	case KindIdentification:
		return act == Create // anyone may identify a child; screening is case work
	}
	return false
}

// decideAccount decides on staff account administration: the data
// protection officer and the managers of an agency read its account events
// (a system administrator's changes there included); the role the profile
// names approves or refuses case access, never for their own account nor
// for a change they made themselves.
func decideAccount(a Actor, act Action, r Resource) Decision {
	if r.AgencyID == "" || r.AgencyID != a.AgencyID {
		return deny("account events of another agency")
	}
	switch act {
	case View:
		if a.Role == org.DPOfficer || a.Role == org.Manager {
			return allow("data protection officer or manager of the agency")
		}
		return deny("account events are for the data protection officer and the managers")
	case Approve:
		if a.Role != r.Approver || (a.Role != org.Manager && a.Role != org.DPOfficer) {
			return deny("case access is approved by the agency's " + string(r.Approver))
		}
		if r.OwnerID == a.UserID {
			return deny("nobody approves their own case access")
		}
		if r.ChangedBy != "" && r.ChangedBy == a.UserID {
			return deny("the person who made the change does not approve it")
		}
		return allow(string(a.Role) + " of the agency approves case access")
	}
	return deny("action not allowed on account administration")
}

// InScope reports whether c is in a's own caseload, team or agency (without
// any grant): such a reader never needs grants loaded.
func InScope(a Actor, c Case) bool {
	_, ok := caseScope(a, c)
	return ok
}

// caseScope returns the scope in which a works on c, if any.
func caseScope(a Actor, c Case) (Scope, bool) {
	switch a.Role {
	case org.Caseworker:
		if c.CaseworkerID == a.UserID {
			return Own, true
		}
	case org.Supervisor:
		if c.AgencyID == a.AgencyID && c.TeamID != "" && c.TeamID == a.TeamID {
			return Team, true
		}
	case org.Manager:
		if c.AgencyID == a.AgencyID {
			return Agency, true
		}
	}
	return "", false
}

func decideCase(a Actor, act Action, c Case, s Section) Decision {
	if !validSection(s) {
		return deny("unknown section")
	}
	if act == Create {
		// Registering a new case: c carries the agency and team it will belong to.
		switch a.Role {
		case org.Caseworker, org.Supervisor:
			if c.AgencyID == a.AgencyID && c.TeamID == a.TeamID {
				return allow("registers cases for own team")
			}
		case org.Manager:
			if c.AgencyID == a.AgencyID {
				return allow("registers cases for own agency")
			}
		}
		return deny("may not register cases here")
	}
	if act == Glass {
		return decideGlass(a, c)
	}
	if act == View {
		if _, in := caseScope(a, c); !in {
			for _, g := range c.Grants {
				if g.Holds(a) && g.Covers(s) && g.appliesTo(a, c, s) {
					return allow("granted by " + string(g.Via))
				}
			}
		}
	}
	if c.Closed {
		return decideClosed(a, act, c, s)
	}
	scope, ok := caseScope(a, c)
	if !ok {
		return deny("case outside the actor's caseload")
	}
	switch act {
	case View:
		return allow("case in " + string(scope) + " scope")
	case Edit:
		if a.Role == org.Caseworker || a.Role == org.Supervisor {
			return allow("works on the case (" + string(scope) + ")")
		}
		return deny("managers oversee cases; caseworkers and supervisors edit them")
	case Approve:
		if a.Role == org.Supervisor {
			return allow("supervisor of the case's team")
		}
		return deny("only the case's supervisor approves")
	case Assign:
		if a.Role == org.Supervisor || a.Role == org.Manager {
			return allow("assigns caseworkers in " + string(scope) + " scope")
		}
		return deny("only supervisors and managers reassign cases")
	case Refer:
		if a.Role == org.Caseworker || a.Role == org.Supervisor {
			return allow("works on the case (" + string(scope) + ")")
		}
		return deny("the case's caseworker or supervisor refers, transfers and calls conferences")
	case MarkVoid:
		return decideVoid(a, scope)
	}
	return deny("action not allowed on an open case")
}

// decideClosed decides on a closed case: the file is read-only; its consent
// records are kept apart: their content for the case's supervisor alone (the
// data protection officer sees only that they exist, in the consent
// register: decideConsentRegister); the post-closure follow-up belongs to the
// supervisor or a designee who is never the case's own caseworker.
func decideClosed(a Actor, act Action, c Case, s Section) Decision {
	scope, inScope := caseScope(a, c)
	designee := c.FollowUpBy != "" && a.UserID == c.FollowUpBy && a.UserID != c.CaseworkerID &&
		a.AgencyID == c.AgencyID
	supervisor := inScope && a.Role == org.Supervisor
	switch act {
	case View:
		if s == Consent {
			if supervisor {
				return allow("consent records of a closed case: the supervisor")
			}
			return deny("the consent records of a closed case are kept apart")
		}
		if inScope {
			return allow("closed case in " + string(scope) + " scope (read-only)")
		}
		if designee && (s == Identity || s == Registration || s == Closure) {
			return allow("designated for the post-closure follow-up")
		}
		return deny("case outside the actor's caseload")
	case Feedback:
		if a.UserID == c.CaseworkerID {
			return deny("the case's own caseworker never runs its post-closure follow-up")
		}
		if designee || (supervisor && (c.FollowUpBy == "" || c.FollowUpBy == a.UserID)) {
			return allow("runs the post-closure follow-up")
		}
		return deny("the post-closure follow-up is assigned to someone else")
	case Reopen:
		if supervisor || (inScope && a.Role == org.Caseworker) {
			return allow("may reopen the case")
		}
		return deny("only the case's caseworker or supervisor reopens it")
	case MarkVoid:
		if inScope {
			return decideVoid(a, scope)
		}
	}
	if !inScope && !designee {
		return deny("case outside the actor's caseload")
	}
	return deny("the case is closed: its file is read-only")
}

// decideVoid decides who closes a case in scope as a duplicate or as
// registered in error, or undoes that: the supervisor of the case's team and
// the agency's manager, as for the decisions that end a case (closure
// approval); never its caseworker, who registered it.
func decideVoid(a Actor, scope Scope) Decision {
	if (a.Role == org.Supervisor && scope == Team) || (a.Role == org.Manager && scope == Agency) {
		return allow(string(a.Role) + " marks duplicates in " + string(scope) + " scope")
	}
	return deny("only the case's supervisor or the agency's manager marks a case as a duplicate")
}

// decideConsentRegister decides on a case's consent register: that its
// consent records exist, never their content. Whoever may read the records
// themselves may read the register; besides them, the data protection
// officer of the case's agency reads the register of a closed case (whose
// records are kept apart so that they can be produced when asked). It is
// read-only.
func decideConsentRegister(a Actor, act Action, c Case) Decision {
	if act != View {
		return deny("the consent register is read-only")
	}
	if d := decideCase(a, View, c, Consent); d.Allow {
		return allow("reads the consent records themselves: " + d.Reason)
	}
	if a.Role == org.DPOfficer && a.AgencyID == c.AgencyID {
		if c.Closed {
			return allow("consent register of a closed case: the data protection officer of its agency")
		}
		return deny("the data protection officer reads the consent register of closed cases only")
	}
	return deny("consent register outside the actor's reach")
}

func validSection(s Section) bool {
	for _, x := range Sections {
		if x == s {
			return true
		}
	}
	return false
}

// ListScope returns the widest list scope a role has: own, team or agency.
func ListScope(r org.Role) (Scope, bool) {
	switch r {
	case org.Caseworker:
		return Own, true
	case org.Supervisor:
		return Team, true
	case org.Manager:
		return Agency, true
	}
	return "", false
}

func decideList(a Actor, act Action, r Resource) Decision {
	if act != View {
		return deny("lists are read-only")
	}
	widest, ok := ListScope(a.Role)
	if !ok {
		return deny(string(a.Role) + " has no caseload")
	}
	switch r.Scope {
	case Own:
		if a.Role == org.Caseworker || a.Role == org.Supervisor {
			return allow("own caseload")
		}
	case Team:
		if (widest == Team && r.TeamID == a.TeamID) || (widest == Agency && r.AgencyID == a.AgencyID) {
			return allow("team caseload")
		}
	case Agency:
		if widest == Agency && r.AgencyID == a.AgencyID {
			return allow("agency caseload")
		}
	}
	return deny("list outside the actor's scope")
}

func decideIdentification(a Actor, act Action, r Resource) Decision {
	switch act {
	case Create:
		// Any staff member or volunteer may identify a child; a system
		// administrator has no agency work to do.
		if a.Role != org.SystemAdmin {
			return allow("anyone in an agency may submit an identification")
		}
		return deny("system administrators do no case work")
	case View, Screen:
		switch a.Role {
		case org.Caseworker, org.Supervisor, org.Manager:
			if r.AgencyID == a.AgencyID {
				return allow("screens identifications for own agency")
			}
		}
		return deny("identifications are screened by the agency's case management staff")
	}
	return deny("action not allowed on an identification")
}

func decideAdmin(a Actor, act Action, r Resource) Decision {
	if r.UserRole == org.SystemAdmin && a.Role != org.SystemAdmin && act != View {
		return deny("only a system administrator administers a system administrator")
	}
	switch a.Role {
	case org.SystemAdmin:
		if act == View || act == Manage || act == Create || act == Edit {
			return allow("system administrator")
		}
	case org.AgencyAdmin:
		if r.AgencyID == a.AgencyID && (act == View || act == Manage || act == Create || act == Edit) {
			return allow("administrator of the agency")
		}
	case org.Supervisor, org.Manager:
		// Supervisors and managers see who is in their agency, to assign cases.
		if act == View && r.AgencyID == a.AgencyID {
			return allow("sees colleagues to assign cases")
		}
	}
	return deny("users and teams are managed by administrators")
}

// MayGrantRole reports whether an administrator a may give a user role r:
// only a system administrator creates system administrators.
func MayGrantRole(a Actor, r org.Role) bool {
	switch a.Role {
	case org.SystemAdmin:
		return true
	case org.AgencyAdmin:
		return r != org.SystemAdmin
	}
	return false
}

// decideGlass decides break-glass: case management staff of the case's own
// agency may ask for time-limited read access to a case outside their
// scope, stating a reason; nobody reaches another agency's cases this way,
// and administrators, officers and providers never do.
func decideGlass(a Actor, c Case) Decision {
	if _, in := caseScope(a, c); in {
		return deny("the case is already in the actor's scope")
	}
	switch a.Role {
	case org.Caseworker, org.Supervisor, org.Manager:
		if a.AgencyID == c.AgencyID {
			return allow("break-glass within the case's agency")
		}
		return deny("break-glass never crosses agencies")
	}
	return deny(string(a.Role) + " does not open case files")
}

// decideDirectory: every signed-in user of an agency reads the service
// directory (referring needs it, and it holds no case content); agency and
// system administrators keep it.
func decideDirectory(a Actor, act Action, r Resource) Decision {
	switch act {
	case View, Download:
		return allow("the service directory is shared by the deployment")
	case Create, Edit, Manage:
		switch a.Role {
		case org.SystemAdmin:
			return allow("system administrator")
		case org.AgencyAdmin:
			if r.AgencyID == "" || r.AgencyID == a.AgencyID {
				return allow("administrator of the agency")
			}
			return deny("another agency's entries are kept by that agency")
		}
		return deny("the directory is kept by administrators")
	}
	return deny("action not allowed on the directory")
}

// receives reports whether a is a receiver of p: its named user, or, with no
// named user, one of roles in the receiving agency.
func receives(a Actor, p Party, roles ...org.Role) bool {
	if p.ToUserID != "" {
		return a.UserID == p.ToUserID
	}
	if a.AgencyID != p.ToAgencyID {
		return false
	}
	for _, r := range roles {
		if a.Role == r {
			return true
		}
	}
	return false
}

// decideReferral decides on a referral. The sending side is whoever may see
// the case (r.Case); the receiving side is the named user or, when none is
// named, the receiving agency's service providers. Receivers answer and
// record the service; senders record the outcome and withdraw it.
func decideReferral(a Actor, act Action, r Resource) Decision {
	_, sender := caseScope(a, r.Case)
	if r.Case.ID == "" { // stand-alone: the sender's agency's case management staff
		sender = a.AgencyID == r.Party.FromAgencyID && (a.Role == org.Caseworker || a.Role == org.Supervisor ||
			a.Role == org.Manager)
	}
	receiver := receives(a, r.Party, org.ServiceProvider)
	switch act {
	case View:
		if sender || receiver {
			return allow("sender or receiver of the referral")
		}
	case Respond:
		if receiver {
			return allow("receiver of the referral")
		}
		if sender {
			return deny("the receiving service answers a referral")
		}
	case Edit:
		if r.Case.Closed {
			return deny("the case is closed: its file is read-only")
		}
		if sender && (a.Role == org.Caseworker || a.Role == org.Supervisor) {
			return allow("works on the referring case")
		}
		if sender || receiver {
			return deny("the referring caseworker records the outcome")
		}
	}
	return deny("referral not addressed to the actor")
}

// decideTransfer decides on a transfer. Internal transfers are approved by
// the supervisor of the case's team; external ones are accepted or declined
// by a supervisor or manager of the receiving agency (the receiving team's
// supervisor, when a team is named).
func decideTransfer(a Actor, act Action, r Resource) Decision {
	scope, sender := caseScope(a, r.Case)
	internal := r.Party.ToAgencyID == r.Party.FromAgencyID
	receiver := false
	if !internal && r.Party.Open && a.AgencyID == r.Party.ToAgencyID {
		receiver = a.Role == org.Manager || (a.Role == org.Supervisor && (r.Party.ToTeamID == "" || r.Party.ToTeamID == a.TeamID))
	}
	switch act {
	case View:
		if sender || receiver {
			return allow("sender or receiver of the transfer")
		}
	case Approve:
		if internal && sender && a.Role == org.Supervisor {
			return allow("supervisor of the case's team (" + string(scope) + ")")
		}
		if sender {
			return deny("the case's supervisor approves an internal transfer")
		}
	case Respond:
		if receiver {
			return allow("supervisor or manager of the receiving agency")
		}
		if sender {
			return deny("the receiving agency accepts or declines")
		}
	case Edit:
		if sender && (a.Role == org.Caseworker || a.Role == org.Supervisor) {
			return allow("works on the case")
		}
		if sender || receiver {
			return deny("the case's caseworker or supervisor withdraws a transfer")
		}
	}
	return deny("transfer not addressed to the actor")
}

// decideConference decides on a case conference: the case's staff see and
// run it; every participant sees it and signs off.
func decideConference(a Actor, act Action, r Resource) Decision {
	_, staff := caseScope(a, r.Case)
	participant := false
	for _, u := range r.Party.Users {
		participant = participant || u == a.UserID
	}
	// A participant outside the case's scope takes part only while the
	// conference is open (an external transfer closes the case's open
	// conferences) and the case is.
	if participant && !staff && (!r.Party.Open || r.Case.Closed) {
		participant = false
	}
	switch act {
	case View:
		if staff || participant {
			return allow("case staff or participant")
		}
	case Edit:
		if r.Case.Closed && (staff || participant) {
			return deny("the case is closed: its file is read-only")
		}
		if staff && (a.Role == org.Caseworker || a.Role == org.Supervisor) {
			return allow("works on the case")
		}
		if staff || participant {
			return deny("the case's caseworker or supervisor keeps the conference record")
		}
	case Respond:
		if participant {
			return allow("participant signs off")
		}
		if staff {
			return deny("only participants sign off")
		}
	}
	return deny("conference not open to the actor")
}

// Check decides whether a may do act on r and, when not, returns the error
// to answer with, for the audit of denials: not found when a may not even
// see the record (a record a may not see answers like a missing one),
// forbidden when a sees it but may not do act. record and id name the
// record; caseID and agencyID place it.
func Check(a Actor, act Action, r Resource, record, id, caseID, agencyID string) error {
	d := Decide(a, act, r)
	if d.Allow {
		return nil
	}
	kind := errs.NotFound
	if act != View && Decide(a, View, r).Allow {
		kind = errs.Forbidden
	}
	reason := string(act) + ": " + d.Reason
	if r.Kind == KindCase {
		reason = string(act) + " " + string(r.Section) + ": " + d.Reason
	}
	return &errs.DeniedError{Record: record, ID: id, CaseID: caseID, AgencyID: agencyID, Reason: reason, Kind: kind}
}
