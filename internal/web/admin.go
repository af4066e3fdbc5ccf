package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// adminAgency is the agency whose users an administrator manages: their own,
// or for a system administrator the one chosen (all when none).
func adminAgency(rq *request, chosen string) string {
	if rq.User.Role == org.SystemAdmin {
		return chosen
	}
	return rq.User.AgencyID
}

func (s *Server) mayAdmin(rq *request, act access.Action, kind access.Kind, agency string) error {
	if agency == "" && rq.User.Role == org.SystemAdmin {
		agency = rq.User.AgencyID
	}
	if d := access.Decide(rq.Actor, act, access.Resource{Kind: kind, AgencyID: agency}); !d.Allow {
		return errs.E(errs.Forbidden, "%s %s: %s", act, kind, d.Reason)
	}
	return nil
}

type usersPage struct {
	Page
	Users    []org.User
	Teams    map[string]string
	Agencies []org.Agency
	Agency   string
	Form     org.NewUser
	Edit     *org.User
	Roles    []org.Role
	TeamList []org.Team
	Created  string // username of a user just created
	SignIns  *signInFailures
}

// AgencyName returns agency id's name.
func (p *usersPage) AgencyName(id string) string {
	for _, a := range p.Agencies {
		if a.ID == id {
			return a.Name
		}
	}
	return ""
}

func (s *Server) loadUsersPage(ctx context.Context, rq *request, agency string) (*usersPage, error) {
	p := &usersPage{Page: s.page(rq, "users.title", "users"), Teams: map[string]string{}, Agency: agency}
	for _, r := range org.Roles {
		if access.MayGrantRole(rq.Actor, r) {
			p.Roles = append(p.Roles, r)
		}
	}
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Users, err = tx.Users(ctx, agency); err != nil {
			return err
		}
		if p.Agencies, err = tx.Agencies(ctx); err != nil {
			return err
		}
		teamAgency := agency
		if teamAgency == "" && rq.User.Role != org.SystemAdmin {
			teamAgency = rq.User.AgencyID
		}
		if p.TeamList, err = tx.Teams(ctx, teamAgency); err != nil {
			return err
		}
		for _, t := range p.TeamList {
			p.Teams[t.ID] = t.Name
		}
		return nil
	})
	if rq.User.Role != org.SystemAdmin {
		var mine []org.Agency
		for _, a := range p.Agencies {
			if a.ID == rq.User.AgencyID {
				mine = append(mine, a)
			}
		}
		p.Agencies = mine
	}
	return p, err
}

// getUsers lists the users an administrator manages.
func (s *Server) getUsers(w http.ResponseWriter, r *http.Request, rq *request) error {
	agency := adminAgency(rq, r.URL.Query().Get("agency"))
	if err := s.mayAdmin(rq, access.Manage, access.KindUser, agency); err != nil {
		return err
	}
	p, err := s.loadUsersPage(r.Context(), rq, agency)
	if err != nil {
		return err
	}
	if c := r.URL.Query().Get("created"); c != "" {
		p.Flash = "flash.user_created"
	}
	if r.URL.Query().Get("done") == "saved" {
		p.Flash = "flash.user_saved"
	}
	return s.render(w, http.StatusOK, "users", p)
}

// getNewUser shows the form for adding a user.
func (s *Server) getNewUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.mayAdmin(rq, access.Create, access.KindUser, rq.User.AgencyID); err != nil {
		return err
	}
	p, err := s.loadUsersPage(r.Context(), rq, adminAgency(rq, ""))
	if err != nil {
		return err
	}
	p.Title, p.Form.AgencyID, p.Form.Role = "users.new_title", rq.User.AgencyID, org.Caseworker
	return s.render(w, http.StatusOK, "user_new", p)
}

// addUser validates and stores a new user made by administrator rq.
func (s *Server) addUser(ctx context.Context, rq *request, in org.NewUser) (*org.User, error) {
	in.Normalize()
	if rq.User.Role != org.SystemAdmin {
		in.AgencyID = rq.User.AgencyID
	}
	if err := s.mayAdmin(rq, access.Create, access.KindUser, in.AgencyID); err != nil {
		return nil, err
	}
	if in.Role.Valid() && !access.MayGrantRole(rq.Actor, in.Role) {
		return nil, errs.Field("role", "err.role_not_allowed")
	}
	var u *org.User
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var team *org.Team
		if in.TeamID != "" {
			t, err := tx.Team(ctx, in.TeamID)
			if err != nil {
				return errs.Field("team_id", "err.choose")
			}
			team = t
		}
		if in.AgencyID != "" {
			if ok, err := tx.AgencyExists(ctx, in.AgencyID); err != nil {
				return err
			} else if !ok {
				return errs.Field("agency_id", "err.choose")
			}
		}
		if err := in.Validate(team); err != nil {
			return err
		}
		hash, err := auth.HashPassword(in.Password, s.cfg.PasswordParams)
		if err != nil {
			return err
		}
		u = &org.User{AgencyID: in.AgencyID, TeamID: in.TeamID, Username: in.Username, DisplayName: in.DisplayName,
			Role: in.Role, Email: in.Email, Gender: in.Gender, PasswordHash: hash, MustChangePassword: true,
			CreatedAt: rq.Now, UpdatedAt: rq.Now}
		if err := tx.InsertUser(ctx, u); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "user.create", RecordType: "user", RecordID: u.ID,
			AgencyID: u.AgencyID, Detail: `{"role":"` + string(u.Role) + `"}`})
	})
	return u, err
}

func userForm(f *form) org.NewUser {
	return org.NewUser{Username: f.str("username"), DisplayName: f.str("display_name"), Role: org.Role(f.str("role")),
		AgencyID: f.str("agency_id"), TeamID: f.str("team_id"), Email: f.str("email"), Gender: f.str("gender"),
		Password: f.raw("password")}
}

// postUser adds a user. They must choose a new password at first sign-in.
func (s *Server) postUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	in := userForm(f)
	u, err := s.addUser(r.Context(), rq, in)
	if fe, ok := fieldErrors(err); ok {
		p, perr := s.loadUsersPage(r.Context(), rq, adminAgency(rq, ""))
		if perr != nil {
			return perr
		}
		in.Password = ""
		p.Title, p.Errors, p.Form = "users.new_title", fe, in
		return s.render(w, http.StatusUnprocessableEntity, "user_new", p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/admin/users?created="+u.ID)
}

// getUser shows one user for editing.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var u *org.User
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.User(ctx, r.PathValue("id"))
		return err
	}); err != nil {
		return err
	}
	if err := s.mayAdmin(rq, access.Edit, access.KindUser, u.AgencyID); err != nil {
		return errs.E(errs.NotFound, "user %s", u.ID)
	}
	p, err := s.loadUsersPage(ctx, rq, u.AgencyID)
	if err != nil {
		return err
	}
	p.Title, p.Edit = "users.edit_title", u
	if p.SignIns, err = s.userSignInFailures(ctx, u.ID, rq.Now, false); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "user_edit", p)
}

// UserEdit is an administrator's change to a user.
type UserEdit struct {
	DisplayName *string   `json:"display_name,omitempty"`
	Role        *org.Role `json:"role,omitempty"`
	TeamID      *string   `json:"team_id,omitempty"`
	Email       *string   `json:"email,omitempty"`
	Disabled    *bool     `json:"disabled,omitempty"`
	Password    *string   `json:"password,omitempty"`
	Unlock      bool      `json:"unlock,omitempty"`
	Version     int       `json:"version"`
}

// editUser applies e to user id.
func (s *Server) editUser(ctx context.Context, rq *request, id string, e UserEdit) (*org.User, error) {
	var u *org.User
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.User(ctx, id); err != nil {
			return err
		}
		if err := s.mayAdmin(rq, access.Edit, access.KindUser, u.AgencyID); err != nil {
			return errs.E(errs.NotFound, "user %s", id)
		}
		if e.Version != u.Version {
			return &errs.ConflictError{Record: "user", Version: u.Version, Current: userJSON(u)}
		}
		var f errs.Fields
		var changed []string
		if e.DisplayName != nil {
			name := strings.TrimSpace(*e.DisplayName)
			if name == "" || len(name) > 100 {
				f.Add("display_name", "err.required")
			}
			u.DisplayName, changed = name, append(changed, "display_name")
		}
		if e.Role != nil && *e.Role != u.Role {
			if !e.Role.Valid() || !access.MayGrantRole(rq.Actor, *e.Role) {
				f.Add("role", "err.role_not_allowed")
			}
			u.Role, changed = *e.Role, append(changed, "role")
		}
		if e.TeamID != nil && *e.TeamID != u.TeamID {
			if *e.TeamID != "" {
				t, err := tx.Team(ctx, *e.TeamID)
				if err != nil || t.AgencyID != u.AgencyID {
					f.Add("team_id", "err.team_agency")
				}
			}
			u.TeamID, changed = *e.TeamID, append(changed, "team")
		}
		if u.Role.NeedsTeam() && u.TeamID == "" {
			f.Add("team_id", "err.team_required")
		}
		if e.Email != nil {
			u.Email, changed = strings.TrimSpace(*e.Email), append(changed, "email")
		}
		if e.Disabled != nil && *e.Disabled != !u.Active() {
			if *e.Disabled && u.ID == rq.User.ID {
				f.Add("disabled", "err.disable_self")
			}
			if *e.Disabled {
				u.DisabledAt = rq.Now
			} else {
				u.DisabledAt = time0
			}
			changed = append(changed, "disabled")
		}
		if e.Password != nil && *e.Password != "" {
			if key, args := org.PasswordProblem(*e.Password, u.Username, u.DisplayName, u.Email); key != "" {
				f.Add("password", key, args...)
			} else if u.PasswordHash, err = auth.HashPassword(*e.Password, s.cfg.PasswordParams); err != nil {
				return err
			}
			u.MustChangePassword, changed = true, append(changed, "password")
		}
		if e.Unlock {
			u.LockedUntil, u.FailedLogins = time0, 0
			if err := tx.ClearSignInThrottles(ctx, u.Username); err != nil {
				return err
			}
			changed = append(changed, "unlock")
		}
		if err := f.Err(); err != nil {
			return err
		}
		u.UpdatedAt = rq.Now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		// A disabled user or a reset password ends every session at once.
		if !u.Active() || (e.Password != nil && *e.Password != "") {
			if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
				return err
			}
		}
		return tx.Record(ctx, audit.Event{Action: "user.update", RecordType: "user", RecordID: u.ID,
			AgencyID: u.AgencyID, Detail: `{"fields":"` + strings.Join(changed, ",") + `"}`})
	})
	return u, err
}

func (s *Server) postEditUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	name, email, team := f.str("display_name"), f.str("email"), f.str("team_id")
	role := org.Role(f.str("role"))
	disabled := f.bool("disabled")
	e := UserEdit{DisplayName: &name, Email: &email, TeamID: &team, Role: &role, Disabled: &disabled,
		Unlock: f.bool("unlock"), Version: f.version()}
	if pw := f.raw("password"); pw != "" {
		e.Password = &pw
	}
	u, err := s.editUser(r.Context(), rq, r.PathValue("id"), e)
	if err == nil {
		return redirect(w, r, "/admin/users?done=saved")
	}
	fe, ok := fieldErrors(err)
	conflict := errs.KindOf(err) == errs.Conflict
	if !ok && !conflict {
		return err
	}
	ctx := r.Context()
	var cur *org.User
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		cur, err = tx.User(ctx, r.PathValue("id"))
		return err
	}); err != nil {
		return err
	}
	p, perr := s.loadUsersPage(ctx, rq, cur.AgencyID)
	if perr != nil {
		return perr
	}
	p.Title, p.Edit, p.Errors = "users.edit_title", cur, fe
	status := http.StatusUnprocessableEntity
	if conflict {
		p.Errors, status = errs.Fields{{Field: "version", Msg: "err.stale"}}, http.StatusConflict
	} else if u == nil {
		// Keep what the administrator typed.
		edited := *cur
		edited.DisplayName, edited.Email, edited.TeamID, edited.Role = name, email, team, role
		p.Edit = &edited
	}
	return s.render(w, status, "user_edit", p)
}

type teamsPage struct {
	Page
	Teams    []org.Team
	Agencies []org.Agency
	Members  map[string]int
	Form     org.NewTeam
}

// AgencyName returns agency id's name.
func (p *teamsPage) AgencyName(id string) string {
	for _, a := range p.Agencies {
		if a.ID == id {
			return a.Name
		}
	}
	return ""
}

func (s *Server) loadTeams(ctx context.Context, rq *request) (*teamsPage, error) {
	agency := adminAgency(rq, "")
	p := &teamsPage{Page: s.page(rq, "teams.title", "teams"), Members: map[string]int{}}
	p.Form.AgencyID = rq.User.AgencyID
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Teams, err = tx.Teams(ctx, agency); err != nil {
			return err
		}
		if p.Agencies, err = tx.Agencies(ctx); err != nil {
			return err
		}
		users, err := tx.Users(ctx, agency)
		for _, u := range users {
			if u.TeamID != "" && u.Active() {
				p.Members[u.TeamID]++
			}
		}
		return err
	})
	return p, err
}

func (s *Server) getTeams(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.mayAdmin(rq, access.Manage, access.KindTeam, rq.User.AgencyID); err != nil {
		return err
	}
	p, err := s.loadTeams(r.Context(), rq)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("done") == "added" {
		p.Flash = "flash.team_added"
	}
	return s.render(w, http.StatusOK, "teams", p)
}

// addTeam validates and stores a team.
func (s *Server) addTeam(ctx context.Context, rq *request, in org.NewTeam) (*org.Team, error) {
	if rq.User.Role != org.SystemAdmin || in.AgencyID == "" {
		in.AgencyID = rq.User.AgencyID
	}
	if err := s.mayAdmin(rq, access.Create, access.KindTeam, in.AgencyID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	t := &org.Team{AgencyID: in.AgencyID, Name: in.Name, CreatedAt: rq.Now}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if ok, err := tx.AgencyExists(ctx, in.AgencyID); err != nil || !ok {
			return errs.Field("agency_id", "err.choose")
		}
		if err := tx.InsertTeam(ctx, t); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "team.create", RecordType: "team", RecordID: t.ID, AgencyID: t.AgencyID})
	})
	return t, err
}

func (s *Server) postTeam(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	in := org.NewTeam{AgencyID: f.str("agency_id"), Name: f.str("name")}
	_, err = s.addTeam(r.Context(), rq, in)
	if fe, ok := fieldErrors(err); ok {
		p, perr := s.loadTeams(r.Context(), rq)
		if perr != nil {
			return perr
		}
		p.Errors, p.Form = fe, in
		return s.render(w, http.StatusUnprocessableEntity, "teams", p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/admin/teams?done=added")
}

type agenciesPage struct {
	Page
	Agencies []org.Agency
	Form     org.NewAgency
}

func (s *Server) getAgencies(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.mayAdmin(rq, access.Manage, access.KindAgency, ""); err != nil {
		return err
	}
	ctx := r.Context()
	p := agenciesPage{Page: s.page(rq, "agencies.title", "agencies")}
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		p.Agencies, err = tx.Agencies(ctx)
		return err
	}); err != nil {
		return err
	}
	if r.URL.Query().Get("done") == "added" {
		p.Flash = "flash.agency_added"
	}
	return s.render(w, http.StatusOK, "agencies", &p)
}

// addAgency validates and stores an agency (system administrators only).
func (s *Server) addAgency(ctx context.Context, rq *request, in org.NewAgency) (*org.Agency, error) {
	if err := s.mayAdmin(rq, access.Manage, access.KindAgency, ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	a := &org.Agency{Name: in.Name, Code: in.Code, CreatedAt: rq.Now}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAgency(ctx, a); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "agency.create", RecordType: "agency", RecordID: a.ID, AgencyID: a.ID})
	})
	return a, err
}

func (s *Server) postAgency(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	in := org.NewAgency{Name: f.str("name"), Code: f.str("code")}
	_, err = s.addAgency(r.Context(), rq, in)
	if fe, ok := fieldErrors(err); ok {
		ctx := r.Context()
		p := agenciesPage{Page: s.page(rq, "agencies.title", "agencies"), Form: in}
		p.Errors = fe
		if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
			p.Agencies, err = tx.Agencies(ctx)
			return err
		}); err != nil {
			return err
		}
		return s.render(w, http.StatusUnprocessableEntity, "agencies", &p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/admin/agencies?done=added")
}
