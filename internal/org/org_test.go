package org_test

import (
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

func fields(err error) []string {
	fe, _ := errs.AsFields(err)
	var out []string
	for _, f := range fe {
		out = append(out, f.Field+"="+f.Msg)
	}
	sort.Strings(out)
	return out
}

func TestRoles(t *testing.T) {
	t.Parallel()
	for _, r := range org.Roles {
		if !r.Valid() {
			t.Errorf("%s is not valid", r)
		}
		if want := r == org.Caseworker || r == org.Supervisor; r.NeedsTeam() != want {
			t.Errorf("%s.NeedsTeam() = %v, want %v", r, r.NeedsTeam(), want)
		}
	}
	for _, r := range []org.Role{"", "admin", "Caseworker", "root"} {
		if r.Valid() {
			t.Errorf("%q is valid", r)
		}
	}
}

func TestNewUserValidate(t *testing.T) {
	t.Parallel()
	teamA := &org.Team{ID: "ta", AgencyID: "a"}
	teamB := &org.Team{ID: "tb", AgencyID: "b"}
	valid := func() org.NewUser {
		return org.NewUser{Username: "amina.k", DisplayName: "Amina K", Role: org.Caseworker, AgencyID: "a",
			TeamID: "ta", Email: "amina@example.org", Gender: "female"}
	}
	tests := []struct {
		name   string
		change func(n *org.NewUser)
		team   *org.Team
		want   []string
	}{
		{"valid", func(n *org.NewUser) {}, teamA, nil},
		{"manager without a team", func(n *org.NewUser) { n.Role, n.TeamID = org.Manager, "" }, nil, nil},
		{"no email, gender left out", func(n *org.NewUser) { n.Email, n.Gender = "", "" }, teamA, nil},
		{"username too short", func(n *org.NewUser) { n.Username = "ab" }, teamA, []string{"username=err.username"}},
		{"username with capitals", func(n *org.NewUser) { n.Username = "Amina" }, teamA, []string{"username=err.username"}},
		{"username with a space", func(n *org.NewUser) { n.Username = "amina k" }, teamA, []string{"username=err.username"}},
		{"no display name", func(n *org.NewUser) { n.DisplayName = "" }, teamA, []string{"display_name=err.required"}},
		{"unknown role", func(n *org.NewUser) { n.Role = "root" }, teamA, []string{"role=err.choose"}},
		{"no agency", func(n *org.NewUser) { n.AgencyID, n.Role = "", org.Manager }, nil, []string{"agency_id=err.choose"}},
		{"caseworker without a team", func(n *org.NewUser) {}, nil, []string{"team_id=err.team_required"}},
		{"supervisor without a team", func(n *org.NewUser) { n.Role = org.Supervisor }, nil, []string{"team_id=err.team_required"}},
		{"team of another agency", func(n *org.NewUser) {}, teamB, []string{"team_id=err.team_agency"}},
		{"email without @", func(n *org.NewUser) { n.Email = "amina" }, teamA, []string{"email=err.email"}},
		{"unknown gender", func(n *org.NewUser) { n.Gender = "f" }, teamA, []string{"gender=err.choose"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := valid()
			tt.change(&n)
			if diff := cmp.Diff(tt.want, fields(n.Validate(tt.team))); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewUserNormalize(t *testing.T) {
	t.Parallel()
	n := org.NewUser{Username: "  Amina.K ", DisplayName: " Amina K ", Email: " a@b.org "}
	n.Normalize()
	if n.Username != "amina.k" || n.DisplayName != "Amina K" || n.Email != "a@b.org" {
		t.Errorf("Normalize = %+v", n)
	}
}

func TestNewTeamAndAgencyValidate(t *testing.T) {
	t.Parallel()
	team := org.NewTeam{AgencyID: "a", Name: "  North  "}
	if err := team.Validate(); err != nil || team.Name != "North" {
		t.Errorf("team: %v, name %q", err, team.Name)
	}
	empty := org.NewTeam{Name: " "}
	if diff := cmp.Diff([]string{"agency_id=err.choose", "name=err.required"}, fields(empty.Validate())); diff != "" {
		t.Errorf("empty team (-want +got):\n%s", diff)
	}
	ag := org.NewAgency{Name: " Child Aid ", Code: " ca1 "}
	if err := ag.Validate(); err != nil || ag.Code != "CA1" || ag.Name != "Child Aid" {
		t.Errorf("agency: %v, %+v", err, ag)
	}
	for _, code := range []string{"C", "CHILDAIDX", "C-A", ""} {
		a := org.NewAgency{Name: "X", Code: code}
		if diff := cmp.Diff([]string{"code=err.agency_code"}, fields(a.Validate())); diff != "" {
			t.Errorf("code %q (-want +got):\n%s", code, diff)
		}
	}
}

func TestUserActive(t *testing.T) {
	t.Parallel()
	u := org.User{}
	if !u.Active() {
		t.Error("a new user is not active")
	}
	u.DisabledAt = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	if u.Active() {
		t.Error("a disabled user is active")
	}
}
