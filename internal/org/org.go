// Package org holds agencies, teams, users and their roles: who works where,
// and what each role is for. Authentication lives in auth and permissions in
// access; this package only validates and describes the people.
package org

import (
	"regexp"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/errs"
)

// Role is what a user does in SafeCase. DESIGN.md says what each one sees.
type Role string

// The roles.
const (
	Caseworker      Role = "caseworker"
	Supervisor      Role = "supervisor"
	Manager         Role = "manager"
	ServiceProvider Role = "service_provider"
	Volunteer       Role = "community_volunteer"
	IMOfficer       Role = "im_officer"
	DPOfficer       Role = "dp_officer"
	AgencyAdmin     Role = "agency_admin"
	SystemAdmin     Role = "system_admin"
)

// Roles lists every role, in the order screens show them.
var Roles = []Role{Caseworker, Supervisor, Manager, ServiceProvider, Volunteer, IMOfficer, DPOfficer, AgencyAdmin, SystemAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// NeedsTeam reports whether users of role r must belong to a team.
func (r Role) NeedsTeam() bool { return r == Caseworker || r == Supervisor }

// ReadsCases reports whether role r reads case content: such a role, given
// or kept through an administrator's act, takes effect only once a second
// person approves it.
func (r Role) ReadsCases() bool {
	return r == Caseworker || r == Supervisor || r == Manager || r == ServiceProvider
}

// Agency is an organisation in the deployment.
type Agency struct {
	ID        string
	Name      string
	Code      string
	CreatedAt time.Time
	Version   int
}

// Team is a group of caseworkers and their supervisors inside one agency.
type Team struct {
	ID        string
	AgencyID  string
	Name      string
	CreatedAt time.Time
	Version   int
}

// User is a person who signs in.
type User struct {
	ID                 string
	AgencyID           string
	TeamID             string
	Username           string
	DisplayName        string
	Role               Role
	Email              string
	Gender             string
	Languages          []string
	PasswordHash       string // empty until the person sets a password with a setup code
	MustChangePassword bool
	DisabledAt         time.Time
	FailedLogins       int
	LockedUntil        time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Version            int

	// CaseAccessPending: the role reads case content (or approves case
	// access: account.NeedsApproval) but awaits a second person's approval;
	// until then the user has no case access at all, nor approves any.
	CaseAccessPending bool
}

// Active reports whether u may sign in (ignoring sign-in delays).
func (u *User) Active() bool { return u.DisabledAt.IsZero() }

// SetupPending reports whether u has no password yet: a new account or a
// reset one, waiting for its owner to use the setup code. Such an account
// cannot sign in.
func (u *User) SetupPending() bool { return u.PasswordHash == "" }

var (
	usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,39}$`)
	codeRE     = regexp.MustCompile(`^[A-Z0-9]{2,8}$`)
)

// NewUser is the input for adding a user. It has no password: the person
// chooses their own with a single-use setup code.
type NewUser struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	AgencyID    string `json:"agency_id"`
	TeamID      string `json:"team_id"`
	Email       string `json:"email"`
	Gender      string `json:"gender"`
}

// Genders offered for staff (used to honour a survivor's preference).
var Genders = []string{"female", "male", "other", ""}

// Normalize trims and lower-cases what should be.
func (n *NewUser) Normalize() {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	n.Email = strings.TrimSpace(n.Email)
}

// Validate checks n, team membership against team (nil when none chosen).
func (n *NewUser) Validate(team *Team) error {
	var f errs.Fields
	if !usernameRE.MatchString(n.Username) {
		f.Add("username", "err.username")
	}
	if n.DisplayName == "" || len(n.DisplayName) > 100 {
		f.Add("display_name", "err.required")
	}
	if !n.Role.Valid() {
		f.Add("role", "err.choose")
	}
	if n.AgencyID == "" {
		f.Add("agency_id", "err.choose")
	}
	switch {
	case n.Role.NeedsTeam() && team == nil:
		f.Add("team_id", "err.team_required")
	case team != nil && team.AgencyID != n.AgencyID:
		f.Add("team_id", "err.team_agency")
	}
	if n.Email != "" && (len(n.Email) > 200 || !strings.Contains(n.Email, "@")) {
		f.Add("email", "err.email")
	}
	if !validGender(n.Gender) {
		f.Add("gender", "err.choose")
	}
	return f.Err()
}

func validGender(g string) bool {
	for _, x := range Genders {
		if g == x {
			return true
		}
	}
	return false
}

// NewTeam is the input for adding a team.
type NewTeam struct {
	AgencyID string `json:"agency_id"`
	Name     string `json:"name"`
}

// Validate checks n.
func (n *NewTeam) Validate() error {
	var f errs.Fields
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" || len(n.Name) > 100 {
		f.Add("name", "err.required")
	}
	if n.AgencyID == "" {
		f.Add("agency_id", "err.choose")
	}
	return f.Err()
}

// NewAgency is the input for adding an agency.
type NewAgency struct {
	Name string `json:"name"`
	Code string `json:"code"`
}

// Validate checks n.
func (n *NewAgency) Validate() error {
	var f errs.Fields
	n.Name = strings.TrimSpace(n.Name)
	n.Code = strings.ToUpper(strings.TrimSpace(n.Code))
	if n.Name == "" || len(n.Name) > 100 {
		f.Add("name", "err.required")
	}
	if !codeRE.MatchString(n.Code) {
		f.Add("code", "err.agency_code")
	}
	return f.Err()
}
