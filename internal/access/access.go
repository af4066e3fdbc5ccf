// Package access is the one place that decides who may do what to which
// record. Every page and every API route asks Decide; nothing else grants
// access. Decisions about a case are made per section of the case file,
// because referrals and case conferences will grant named sections only.
package access

import (
	"github.com/safecase/safecase/internal/org"
)

// Actor is who is asking.
type Actor struct {
	UserID   string
	AgencyID string
	TeamID   string
	Role     org.Role
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
	Manage   Action = "manage"   // administer users, teams, agencies
	Download Action = "download" // the OpenAPI document, the profile
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
	KindOwn            Kind = "own" // the actor's own account and API tokens
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
	Closed       bool   // a closed file is read-only
	FollowUpBy   string // who does the post-closure follow-up (the supervisor or a designee)
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
	case KindOwn:
		if r.OwnerID == a.UserID && (act == View || act == Edit || act == Create) {
			return allow("own account")
		}
		return deny("another user's account")
	}
	return deny("unknown record")
}

// caseRoles are the roles that work on case files.
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
	}
	return deny("action not allowed on an open case")
}

// decideClosed decides on a closed case: the file is read-only; its consent
// records are kept apart, for the supervisor and the data protection officer;
// the post-closure follow-up belongs to the supervisor or a designee who is
// never the case's own caseworker.
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
			if a.Role == org.DPOfficer && a.AgencyID == c.AgencyID {
				return allow("consent records of a closed case: the data protection officer")
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
	}
	if !inScope && !designee {
		return deny("case outside the actor's caseload")
	}
	return deny("the case is closed: its file is read-only")
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
