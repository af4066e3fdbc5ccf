package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

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

	// The setup page, after adding or resetting an account.
	Subject    *org.User
	Setup      *account.Issued
	SetupLink  string
	MailFailed bool
	// The user's second factors (the edit page), and whether the reset
	// removed them (the setup page).
	SecondFactor      *mfa.Status
	SecondFactorReset bool
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

// CaseAccess names u's case access: none, pending or granted.
func (p *usersPage) CaseAccess(u *org.User) string { return account.CaseAccess(u) }

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
		if teamAgency == "" {
			teamAgency = account.Scope(rq.Actor, "")
		}
		if p.TeamList, err = tx.Teams(ctx, teamAgency); err != nil {
			return err
		}
		for _, t := range p.TeamList {
			p.Teams[t.ID] = t.Name
		}
		return nil
	})
	// The agencies the administrator may choose: every one for a system
	// administrator, their own for an agency administrator.
	var shown []org.Agency
	for _, a := range p.Agencies {
		if access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindAgency, AgencyID: a.ID}).Allow {
			shown = append(shown, a)
		}
	}
	p.Agencies = shown
	return p, err
}

// getUsers lists the users an administrator manages.
func (s *Server) getUsers(w http.ResponseWriter, r *http.Request, rq *request) error {
	agency := account.Scope(rq.Actor, r.URL.Query().Get("agency"))
	if err := account.May(rq.Actor, access.Manage, access.KindUser, agency); err != nil {
		return err
	}
	p, err := s.loadUsersPage(r.Context(), rq, agency)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "saved":
		p.Flash = "flash.user_saved"
	case "unlocked":
		p.Flash = "flash.user_unlocked"
	}
	return s.render(w, http.StatusOK, "users", p)
}

// getNewUser shows the form for adding a user.
func (s *Server) getNewUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := account.May(rq.Actor, access.Create, access.KindUser, rq.User.AgencyID); err != nil {
		return err
	}
	p, err := s.loadUsersPage(r.Context(), rq, account.Scope(rq.Actor, ""))
	if err != nil {
		return err
	}
	p.Title, p.Form.AgencyID, p.Form.Role = "users.new_title", rq.User.AgencyID, org.Caseworker
	return s.render(w, http.StatusOK, "user_new", p)
}

// addUser adds a user made by administrator rq (account.Create) and, when
// e-mail is on and the person has an address, mails them the setup link.
func (s *Server) addUser(ctx context.Context, rq *request, in org.NewUser) (*account.Created, bool, error) {
	var c *account.Created
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		c, err = account.Create(ctx, tx, s.prof, account.By(rq.Actor), in,
			account.CreateOptions{MailConfigured: s.cfg.Mailer != nil}, rq.Now)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return c, s.mailSetup(ctx, c.User, c.Setup, rq.Now), nil
}

// mailSetup mails the setup link of iss to u when it is to be mailed, and
// reports whether that failed. The code is never shown to the
// administrator then: on failure, a new reset sends a new one.
func (s *Server) mailSetup(ctx context.Context, u *org.User, iss *account.Issued, now time.Time) (failed bool) {
	if iss == nil || !iss.Mail || s.cfg.Mailer == nil {
		return false
	}
	if err := s.cfg.Mailer.SendSetup(ctx, iss.To, s.setupLink(iss.Code), now); err != nil {
		// The log names the account, never the address or the code.
		s.log.Warn("setup mail not sent", "user", u.ID, "err", err)
		return true
	}
	return false
}

// setupLink is the link that opens the setup page with code filled in.
func (s *Server) setupLink(code string) string {
	return strings.TrimRight(s.cfg.BaseURL, "/") + "/setup?code=" + url.QueryEscape(code)
}

// showSetup renders the page an administrator sees after adding or
// resetting u: the setup code to hand over (shown this once), or where it
// was mailed.
func (s *Server) showSetup(w http.ResponseWriter, r *http.Request, rq *request, u *org.User, iss *account.Issued, failed bool, title string, secondFactorReset bool) error {
	p, err := s.loadUsersPage(r.Context(), rq, u.AgencyID)
	if err != nil {
		return err
	}
	p.Title, p.Subject, p.Setup, p.MailFailed, p.SecondFactorReset = title, u, iss, failed, secondFactorReset
	if iss != nil && !iss.Mail {
		p.SetupLink = s.setupLink(iss.Code)
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "user_setup", p)
}

func userForm(f *form) org.NewUser {
	return org.NewUser{Username: f.str("username"), DisplayName: f.str("display_name"), Role: org.Role(f.str("role")),
		AgencyID: f.str("agency_id"), TeamID: f.str("team_id"), Email: f.str("email"), Gender: f.str("gender")}
}

// postUser adds a user, who sets their own password with a setup code.
//
// Not a formPost: success shows the setup code this once (no redirect),
// and the setup mail goes after the commit (addUser).
func (s *Server) postUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	in := userForm(f)
	c, failed, err := s.addUser(r.Context(), rq, in)
	if fe, ok := errs.AsFields(err); ok {
		p, perr := s.loadUsersPage(r.Context(), rq, account.Scope(rq.Actor, ""))
		if perr != nil {
			return perr
		}
		p.Title, p.Errors, p.Form = "users.new_title", fe, in
		return s.render(w, http.StatusUnprocessableEntity, "user_new", p)
	}
	if err != nil {
		return err
	}
	return s.showSetup(w, r, rq, c.User, c.Setup, failed, "users.created_title", false)
}

// getUser shows one user for editing.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var u *org.User
	var st mfa.Status
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if u, err = tx.User(ctx, r.PathValue("id")); err != nil {
			return err
		}
		st, err = mfa.StatusOf(ctx, tx, u.ID)
		return err
	}); err != nil {
		return err
	}
	res := access.Resource{Kind: access.KindUser, AgencyID: u.AgencyID, UserRole: u.Role}
	if d := access.Decide(rq.Actor, access.Edit, res); !d.Allow {
		return errs.E(errs.NotFound, "user %s", u.ID)
	}
	p, err := s.loadUsersPage(ctx, rq, u.AgencyID)
	if err != nil {
		return err
	}
	p.Title, p.Edit, p.SecondFactor = "users.edit_title", u, &st
	if p.SignIns, err = s.userSignInFailures(ctx, u.ID, rq.Now, false); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "user_edit", p)
}

// editUser applies e to user id (account.Update).
func (s *Server) editUser(ctx context.Context, rq *request, id string, e account.Edit) (*org.User, error) {
	var u *org.User
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		u, err = account.Update(ctx, tx, s.prof, account.By(rq.Actor), id, e, rq.Now)
		return err
	})
	return u, err
}

// postEditUser saves an administrator's changes to user {id}.
func (s *Server) postEditUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	var name, email, team string
	var role org.Role
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			name, email, team = f.str("display_name"), f.str("email"), f.str("team_id")
			role = org.Role(f.str("role"))
			disabled := f.bool("disabled")
			e := account.Edit{DisplayName: &name, Email: &email, TeamID: &team, Role: &role, Disabled: &disabled, Version: f.version()}
			_, err := account.Update(ctx, tx, s.prof, account.By(rq.Actor), id, e, rq.Now)
			return err
		},
		Next: to("/admin/users?done=saved"),
		Again: s.userAgain(w, r, rq, id, func(u *org.User) {
			// Keep what the administrator typed.
			u.DisplayName, u.Email, u.TeamID, u.Role = name, email, team, role
		}),
	})
}

// userAgain is a formPost.Again that shows the edit page of user id again
// with the errors of one of its forms; fill puts back what was typed, on a
// copy of the user as stored (not on a version conflict: the page then
// shows the user as saved since).
func (s *Server) userAgain(w http.ResponseWriter, r *http.Request, rq *request, id string, fill func(*org.User)) func(errs.Fields, int) error {
	return func(fe errs.Fields, status int) error {
		ctx := r.Context()
		cur, err := s.readUser(ctx, id)
		if err != nil {
			return err
		}
		p, err := s.loadUsersPage(ctx, rq, cur.AgencyID)
		if err != nil {
			return err
		}
		p.Title, p.Edit, p.Errors = "users.edit_title", cur, fe
		if status != http.StatusConflict && fill != nil {
			edited := *cur
			fill(&edited)
			p.Edit = &edited
		}
		return s.render(w, status, "user_edit", p)
	}
}

// resetUser resets user id (account.Reset), and their second factor too
// when secondFactor, and mails the setup link when it goes by mail.
func (s *Server) resetUser(ctx context.Context, rq *request, id string, secondFactor bool) (*org.User, *account.Issued, bool, error) {
	var u *org.User
	var iss *account.Issued
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		iss, u, err = account.Reset(ctx, tx, s.prof, account.By(rq.Actor), id,
			account.ResetOptions{MailConfigured: s.cfg.Mailer != nil, SecondFactor: secondFactor}, rq.Now)
		return err
	})
	if err != nil {
		return nil, nil, false, err
	}
	return u, iss, s.mailSetup(ctx, u, iss, rq.Now), nil
}

// postResetUser resets an account: the person sets a new password with a
// setup code; their case access waits for approval again.
//
// Not a formPost: success shows the new setup code this once (no
// redirect), and the setup mail goes after the commit (resetUser).
func (s *Server) postResetUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	second := f.bool("second_factor")
	u, iss, failed, err := s.resetUser(r.Context(), rq, r.PathValue("id"), second)
	if err != nil {
		return s.refusedOnEdit(w, r, rq, err)
	}
	return s.showSetup(w, r, rq, u, iss, failed, "users.reset_title", second)
}

// postUnlockUser unlocks an account locked by failed sign-ins.
func (s *Server) postUnlockUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := account.Unlock(ctx, tx, s.prof, account.By(rq.Actor), id, rq.Now)
			return err
		},
		Next:  to("/admin/users?done=unlocked"),
		Again: s.userAgain(w, r, rq, id, nil),
	})
}

// unlockUser unlocks user id as rq (account.Unlock).
func (s *Server) unlockUser(ctx context.Context, rq *request, id string) (*org.User, error) {
	var u *org.User
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		u, err = account.Unlock(ctx, tx, s.prof, account.By(rq.Actor), id, rq.Now)
		return err
	})
	return u, err
}

// readUser reads user id; the caller decides whether rq may see them.
func (s *Server) readUser(ctx context.Context, id string) (u *org.User, err error) {
	err = s.db.Read(ctx, func(tx *store.Tx) (err error) {
		u, err = tx.User(ctx, id)
		return err
	})
	return u, err
}

// refusedOnEdit shows the edit page of the user of r with the field errors
// of err (a reset refused), or returns err.
func (s *Server) refusedOnEdit(w http.ResponseWriter, r *http.Request, rq *request, err error) error {
	fe, ok := errs.AsFields(err)
	if !ok {
		return err
	}
	return s.userAgain(w, r, rq, r.PathValue("id"), nil)(fe, http.StatusUnprocessableEntity)
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
	agency := account.Scope(rq.Actor, "")
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
	if err := account.May(rq.Actor, access.Manage, access.KindTeam, rq.User.AgencyID); err != nil {
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

// addTeam adds a team made by administrator rq (account.AddTeam).
func (s *Server) addTeam(ctx context.Context, rq *request, in org.NewTeam) (*org.Team, error) {
	var t *org.Team
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		t, err = account.AddTeam(ctx, tx, account.By(rq.Actor), in, rq.Now)
		return err
	})
	return t, err
}

// postTeam adds a team.
func (s *Server) postTeam(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in org.NewTeam
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = org.NewTeam{AgencyID: f.str("agency_id"), Name: f.str("name")}
			_, err := account.AddTeam(ctx, tx, account.By(rq.Actor), in, rq.Now)
			return err
		},
		Next: to("/admin/teams?done=added"),
		Again: func(fe errs.Fields, status int) error {
			p, err := s.loadTeams(r.Context(), rq)
			if err != nil {
				return err
			}
			p.Errors, p.Form = fe, in
			return s.render(w, status, "teams", p)
		},
	})
}

type agenciesPage struct {
	Page
	Agencies []org.Agency
	Form     org.NewAgency
}

func (s *Server) getAgencies(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := account.May(rq.Actor, access.Manage, access.KindAgency, ""); err != nil {
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

// addAgency adds an agency made by rq (account.AddAgency: system
// administrators only).
func (s *Server) addAgency(ctx context.Context, rq *request, in org.NewAgency) (*org.Agency, error) {
	var a *org.Agency
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		a, err = account.AddAgency(ctx, tx, account.By(rq.Actor), in, rq.Now)
		return err
	})
	return a, err
}

// postAgency adds an agency.
func (s *Server) postAgency(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in org.NewAgency
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = org.NewAgency{Name: f.str("name"), Code: f.str("code")}
			_, err := account.AddAgency(ctx, tx, account.By(rq.Actor), in, rq.Now)
			return err
		},
		Next: to("/admin/agencies?done=added"),
		Again: func(fe errs.Fields, status int) error {
			ctx := r.Context()
			p := agenciesPage{Page: s.page(rq, "agencies.title", "agencies"), Form: in}
			p.Errors = fe
			if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
				p.Agencies, err = tx.Agencies(ctx)
				return err
			}); err != nil {
				return err
			}
			return s.render(w, status, "agencies", &p)
		},
	})
}
