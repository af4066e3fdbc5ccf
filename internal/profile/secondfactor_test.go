package profile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// TestSecondFactorRolesDefault: by default every role that reads case
// content or administers accounts must use a second factor, and the two
// roles that read no case content need not.
func TestSecondFactorRolesDefault(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	want := map[org.Role]bool{
		org.Caseworker: true, org.Supervisor: true, org.Manager: true, org.ServiceProvider: true,
		org.DPOfficer: true, org.AgencyAdmin: true, org.SystemAdmin: true,
		org.Volunteer: false, org.IMOfficer: false,
	}
	if len(want) != len(org.Roles) {
		t.Fatalf("the test names %d roles, org has %d: decide the new role's default", len(want), len(org.Roles))
	}
	for _, r := range org.Roles {
		if got := p.RequiresSecondFactor(r); got != want[r] {
			t.Errorf("RequiresSecondFactor(%s) = %v, want %v", r, got, want[r])
		}
	}
	if p.RequiresSecondFactor("nobody") {
		t.Error("an unknown role requires a second factor")
	}
}

// TestSecondFactorRolesOverride: a deployment's list replaces the default
// one whole, and may be empty.
func TestSecondFactorRolesOverride(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("sop.yaml", []byte("second_factor_roles: [system_admin, agency_admin]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.RequiresSecondFactor(org.SystemAdmin) || !p.RequiresSecondFactor(org.AgencyAdmin) || p.RequiresSecondFactor(org.Caseworker) {
		t.Errorf("override: %v", p.SecondFactorRoles)
	}
	p, err = profile.Parse("sop.yaml", []byte("second_factor_roles: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range org.Roles {
		if p.RequiresSecondFactor(r) {
			t.Errorf("empty list: %s still requires a second factor", r)
		}
	}
}

// TestSecondFactorRolesBroken: a misspelt or repeated role stops start-up
// with the file, the line and the key.
func TestSecondFactorRolesBroken(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"unknown role", "name: x\nsecond_factor_roles:\n  - caseworker\n  - case_worker\n",
			`profile sop.yaml:4: second_factor_roles[1]: "case_worker" is not a role; the roles are caseworker, supervisor,`},
		{"twice", "second_factor_roles: [manager, manager]\n",
			`profile sop.yaml:1: second_factor_roles[1]: "manager" appears twice`},
		{"not a list", "name: x\nsecond_factor_roles: manager\n",
			`profile sop.yaml:2: second_factor_roles: "manager" is not a list`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := profile.Parse("sop.yaml", []byte(tt.yaml))
			var perr *profile.Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse = %v, want a *profile.Error", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to start %q", err, tt.want)
			}
		})
	}
}
