package profile

import "time"

// Who approves a role that reads case content (role_approval_by).
const (
	ApprovalByManager = "manager"
	ApprovalByDPO     = "dp_officer"
)

// MaxTokenDays is how many whole days a personal API token may last at
// most (api_token_max), and never less than one.
func (p *Profile) MaxTokenDays() int {
	return max(int(p.APITokenMax.D()/(24*time.Hour)), 1)
}

// validateAccounts checks the keys of staff account administration.
func (p *Profile) validateAccounts(bad func(key, format string, args ...any)) {
	switch p.RoleApprovalBy {
	case ApprovalByManager, ApprovalByDPO:
	default:
		bad("role_approval_by", "%q must be %s or %s", p.RoleApprovalBy, ApprovalByManager, ApprovalByDPO)
	}
	switch d := p.APITokenMax.D(); {
	case d < 24*time.Hour:
		bad("api_token_max", "%s is less than a day", p.APITokenMax)
	case d > 366*24*time.Hour:
		bad("api_token_max", "%s is more than a year: tokens must expire", p.APITokenMax)
	}
}
