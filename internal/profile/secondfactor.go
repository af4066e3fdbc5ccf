package profile

import (
	"fmt"
	"strings"

	"github.com/safecase/safecase/internal/org"
)

// RequiresSecondFactor reports whether users of role must sign in with a
// second factor (the profile's second_factor_roles).
func (p *Profile) RequiresSecondFactor(role org.Role) bool {
	for _, r := range p.SecondFactorRoles {
		if r == role {
			return true
		}
	}
	return false
}

// validateSecondFactor checks second_factor_roles: known roles, each once.
// An empty list is allowed (no role must use a second factor) because the
// deployment's procedures decide, but every listed role must exist, so that
// a misspelt role never silently leaves its users with a password alone.
func (p *Profile) validateSecondFactor(bad func(key, format string, args ...any)) {
	seen := map[org.Role]bool{}
	for i, r := range p.SecondFactorRoles {
		key := fmt.Sprintf("second_factor_roles[%d]", i)
		switch {
		case !r.Valid():
			names := make([]string, len(org.Roles))
			for j, x := range org.Roles {
				names[j] = string(x)
			}
			bad(key, "%q is not a role; the roles are %s", string(r), strings.Join(names, ", "))
		case seen[r]:
			bad(key, "%q appears twice", string(r))
		}
		seen[r] = true
	}
}
