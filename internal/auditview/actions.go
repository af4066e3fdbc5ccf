// Package auditview is the audit trail as people read it: a label for
// every action SafeCase records, the detail of an event as labelled pairs
// (never raw JSON), which actions are reads of records, and the filter a
// data protection officer sets on the trail, parsed from a form or a query.
// It holds no storage; package store answers the filter.
package auditview

import (
	"slices"
	"strings"
)

// kind says what an action is: a change, a read of records, or an event
// of signing in or of the trail itself.
type kind int

const (
	change kind = iota
	read
)

// actions lists every action the code records, with whether it is a read.
// Each has the message audit.act.<action> (en.audit.json); a test scans
// the Go source for action names and fails for one missing here.
var actions = map[string]kind{
	// Case
	"case.register": change, "case.update": change, "case.assign": change, "case.risk_change": change,
	"case.step": change, "case.urgent": change, "case.break_glass": change, "case.view": read,
	"case.search": read, "case.duplicate_check": read, "case.mark_duplicate": change, "case.unmark_duplicate": change,
	// Consent
	"consent.record": change, "consent.withdraw": change, "consent.override": change,
	"consent.override_revoke": change, "consent.exclusion_add": change, "consent.exclusion_remove": change,
	"consent.view": read, "consent_register.view": read,
	// Family
	"family.add": change, "family.update": change, "family.remove": change, "family.view": read,
	// Intake
	"identification.different_child": change, "identification.submit": change, "identification.view": read, "identification.list": read,
	"screening.record": change, "screening.view": read,
	// Assessment, incident, mandatory reporting
	"assessment.record": change, "assessment.incident": change, "assessment.medical_referral": change,
	"assessment.view": read, "incident.record": change, "incident.view": read,
	"mandatory.recommend": change, "mandatory.decide": change,
	// Plan and services
	"plan.save": change, "plan.submit": change, "plan.return": change, "plan.activate": change,
	"plan.revise": change, "plan.view": read,
	"service.give": change, "service.safety_plan": change, "service.fund": change, "service.view": read,
	// Follow-up, review, closure
	"followup.record": change, "followup.view": read, "review.record": change, "review.view": read,
	"closure.propose": change, "closure.return": change, "closure.approve": change, "closure.feedback": change,
	"closure.reopen": change, "closure.age_out": change, "closure.view": read,
	// Linked cases
	"caselink.add": change, "caselink.added": change, "caselink.remove": change, "caselink.request": change,
	"caselink.requested": change, "caselink.accept": change, "caselink.accepted": change,
	"caselink.decline": change, "caselink.withdraw": change, "caselink.withdrawn": change, "caselink.view": read,
	// Sharing: referrals, transfers, conferences
	"referral.share": change, "referral.accepted": change, "referral.declined": change,
	"referral.provided": change, "referral.closed": change, "referral.withdrawn": change, "referral.view": read, "referral.form_view": read,
	"transfer.request": change, "transfer.accept": change, "transfer.decline": change,
	"transfer.withdraw": change, "transfer.view": read,
	"conference.schedule": change, "conference.record": change, "conference.sign_off": change,
	"conference.close": change, "conference.view": read, "conference.form_view": read,
	"share.view": read, "share.family_told": change, "coordination.view": read,
	// Service directory
	"directory.create": change, "directory.update": change, "directory.import": change,
	// Notifications
	"notification.read": change,
	// Signing in
	"auth.login": change, "auth.login_failed": change, "auth.login_refused": change, "auth.logout": change,
	"auth.second_factor": change, "auth.second_factor_failed": change, "auth.session_end": change,
	"auth.setup_failed": change,
	// Second factors
	"mfa.totp_start": change, "mfa.totp_confirm": change, "mfa.totp_cancel": change, "mfa.totp_remove": change,
	"mfa.passkey_add": change, "mfa.passkey_rename": change, "mfa.passkey_remove": change,
	"mfa.recovery_new": change, "mfa.recovery_used": change, "mfa.reset": change,
	// Staff accounts, teams, agencies, tokens
	"user.create": change, "user.update": change, "user.role": change, "user.disable": change,
	"user.enable": change, "user.reset": change, "user.unlock": change, "user.approve": change,
	"user.refuse": change, "user.setup": change, "user.signin": change, "user.password": change,
	"user.password_set": change,
	"team.create":       change, "agency.create": change, "token.create": change, "token.revoke": change,
	// Access and the trail itself
	"access.denied": change, "audit.view": read, "audit.export": read, "audit.tampering": change,
}

// ActionExport is the action of the event recording an export of the
// audit trail.
const ActionExport = "audit.export"

// Known reports whether action is one SafeCase records.
func Known(action string) bool {
	_, ok := actions[action]
	return ok
}

// IsRead reports whether action is a read of records (a page or an
// export that showed them), as "who read this case" lists.
func IsRead(action string) bool { return actions[action] == read && Known(action) }

// Reads returns every read action, sorted.
func Reads() []string {
	var out []string
	for a, k := range actions {
		if k == read {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// Actions returns every known action, sorted.
func Actions() []string {
	out := make([]string, 0, len(actions))
	for a := range actions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Label returns the message key of action's label; an action this
// version does not know (written by an older one) has none, and "".
func Label(action string) string {
	if !Known(action) {
		return ""
	}
	return "audit.act." + action
}

// Group is one group of actions in the filter's list: a category (its
// prefix, e.g. "case.") and its actions.
type Group struct {
	Prefix  string
	Actions []string
}

// Groups returns the actions grouped by category, each sorted.
func Groups() []Group {
	var out []Group
	for _, a := range Actions() {
		p := Prefix(a)
		if len(out) == 0 || out[len(out)-1].Prefix != p {
			out = append(out, Group{Prefix: p})
		}
		out[len(out)-1].Actions = append(out[len(out)-1].Actions, a)
	}
	return out
}

// Prefix returns action's category: the text up to and including its
// first dot.
func Prefix(action string) string {
	if i := strings.IndexByte(action, '.'); i >= 0 {
		return action[:i+1]
	}
	return action
}

// knownPrefix reports whether p (ending in ".") is the category of a known action.
func knownPrefix(p string) bool {
	for a := range actions {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return false
}
