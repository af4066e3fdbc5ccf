package cli

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

var userCmd = &command{
	name: "user", args: "<add|reset|set-password|unlock|approve|disable|enable|list> [flags]",
	summary: "add, reset, change, disable, enable and list users",
	detail: `Subcommands:
  add            add a user: the first system administrator of a new deployment
                 with a password typed here; anyone else gets a setup code
  reset          clear a user's password (--second-factor: and their second
                 factor) and print a new setup code
  set-password   set a user's password, which they must change at next sign-in
  unlock         let a user locked out by failed sign-ins sign in again
  approve        approve case access when nobody in the agency can yet
  disable        stop a user signing in and end their sessions
  enable         let a disabled user sign in again
  list           list users

Run 'safecase user <subcommand> --help' for its flags. Passwords are read
from the terminal without echo, or from the first line of standard input.

Nobody but the person chooses their password: a setup code works once,
within 24 hours, on the /setup page. A role that reads case content
(caseworker, supervisor, manager, service provider) takes effect only once
a second person approves it (the profile's role_approval_by).`,
	run: runUser,
}

var userSubs = []*command{
	{name: "user add", summary: "add a user", run: runUserAdd, detail: `Adds a user to an agency (by its code) and, for caseworkers and supervisors,
a team. With --agency-name the agency is created when it does not exist yet,
which is how the first system administrator of a new deployment is made,
with a password typed here:

  safecase user add --username admin --name "Site Admin" --role system_admin \
      --agency HQ --agency-name "Head office"

Anyone else gets a setup code, printed here once, with which they set their
own password on the /setup page within 24 hours.

Roles: ` + roleList() + `.`},
	{name: "user reset", summary: "print a new setup code for a user", run: runUserReset,
		detail: "Clears the password, ends every session, revokes every API token and prints a\nsetup code. Case access waits for approval again.\n\nWith --second-factor it also removes the person's authenticator app, passkeys\nand recovery codes: for someone who lost them all, such as the only system\nadministrator (nobody else may reset them). They set a password with the setup\ncode, then set up a new second factor at their next sign-in."},
	{name: "user set-password", summary: "set a user's password", run: runUserSetPassword,
		detail: "Sets the password, which the user must change at next sign-in, clears any\nlockout, ends the user's sessions and revokes their API tokens. Case access\nwaits for approval again: you know the password."},
	{name: "user unlock", summary: "let a locked-out user sign in again", run: runUserUnlock,
		detail: "Clears the lockout after failed sign-ins. Case access waits for approval again."},
	{name: "user approve", summary: "approve case access when nobody in the agency can", run: runUserApprove,
		detail: "Approves the case access a user waits for, only when their agency has nobody\nwho may approve it (an agency's first manager)."},
	{name: "user disable", summary: "stop a user signing in", run: runUserDisable,
		detail: "Disables the account, ends its sessions and revokes its API tokens. Nothing\nthe user recorded is removed."},
	{name: "user enable", summary: "let a user sign in again", run: runUserEnable,
		detail: "Re-enables a disabled account and clears the delays after failed sign-ins."},
	{name: "user list", summary: "list users", run: runUserList},
}

func roleList() string {
	var s []string
	for _, r := range org.Roles {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

func runUser(ctx context.Context, a *app, c *command, args []string) error {
	if len(args) == 0 {
		return usagef("name a subcommand: add, reset, set-password, unlock, approve, disable, enable or list")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(a.stdout, c, flagSet(c))
		return errHelp
	}
	for _, sub := range userSubs {
		if sub.name == "user "+args[0] {
			return inSub(sub.name, sub.run(ctx, a, sub, args[1:]))
		}
	}
	return usagef("unknown subcommand %q: use add, reset, set-password, unlock, approve, disable, enable or list", args[0])
}

// addPlan is what user add will write once the input checks out.
type addPlan struct {
	agency    *org.Agency
	team      *org.Team
	newAgency bool
	newTeam   bool
	user      org.NewUser
}

// newRecord is the ID of an agency or team that user add is to create:
// account.AddAgency and account.AddTeam give the real one.
const newRecord = "(new)"

// addInput is user add's flags.
type addInput struct {
	username, name, role, agency, agencyName, team, email, gender string
	createTeam                                                    bool
}

// planAdd checks in for user add against the database: every problem is
// returned at once, as field errors naming the flag.
func planAdd(ctx context.Context, tx *store.Tx, in addInput) (*addPlan, error) {
	var f errs.Fields
	p := &addPlan{}
	code := strings.ToUpper(strings.TrimSpace(in.agency))
	agencies, err := tx.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	var codes []string
	for i := range agencies {
		codes = append(codes, agencies[i].Code)
		if agencies[i].Code == code {
			p.agency = &agencies[i]
		}
	}
	sort.Strings(codes)
	switch {
	case code == "":
		// Validate reports the missing agency.
	case p.agency == nil && strings.TrimSpace(in.agencyName) != "":
		na := org.NewAgency{Name: in.agencyName, Code: code}
		if err := na.Validate(); err != nil {
			fe, _ := errs.AsFields(err)
			for _, e := range fe {
				e.Field = "agency_" + e.Field
				f = append(f, e)
			}
		}
		p.agency = &org.Agency{ID: newRecord, Name: na.Name, Code: na.Code}
		p.newAgency = true
	case p.agency == nil:
		list := strings.Join(codes, ", ")
		if list == "" {
			list = "none yet"
		}
		f.Add("agency_id", "cli.agency_missing", code, list)
	}
	if name := strings.TrimSpace(in.team); name != "" && p.agency != nil {
		if !p.newAgency {
			teams, err := tx.Teams(ctx, p.agency.ID)
			if err != nil {
				return nil, err
			}
			var names []string
			for i := range teams {
				names = append(names, teams[i].Name)
				if strings.EqualFold(teams[i].Name, name) {
					p.team = &teams[i]
				}
			}
			if p.team == nil && !in.createTeam {
				list := strings.Join(names, ", ")
				if list == "" {
					list = "none yet"
				}
				f.Add("team_id", "cli.team_missing", name, p.agency.Code, list)
			}
		}
		if p.team == nil && (p.newAgency || in.createTeam) {
			nt := org.NewTeam{AgencyID: p.agency.ID, Name: name}
			if err := nt.Validate(); err != nil {
				fe, _ := errs.AsFields(err)
				for _, e := range fe {
					e.Field = "team_" + e.Field
					f = append(f, e)
				}
			}
			p.team = &org.Team{ID: newRecord, AgencyID: p.agency.ID, Name: nt.Name}
			p.newTeam = true
		}
	}
	nu := org.NewUser{Username: in.username, DisplayName: in.name, Role: org.Role(in.role), Email: in.email,
		Gender: in.gender}
	if p.agency != nil {
		nu.AgencyID = p.agency.ID
	} else if code != "" {
		nu.AgencyID = "(missing)" // already reported
	}
	nu.Normalize()
	var team *org.Team
	if p.team != nil {
		team = p.team
	} else if strings.TrimSpace(in.team) != "" {
		team = &org.Team{AgencyID: nu.AgencyID} // reported above; do not report it twice
	}
	if err := nu.Validate(team); err != nil {
		fe, _ := errs.AsFields(err)
		f = append(f, fe...)
	}
	if !f.Has("username") {
		_, err := tx.UserByName(ctx, nu.Username)
		switch {
		case err == nil:
			f.Add("username", "err.taken")
		case errs.KindOf(err) != errs.NotFound:
			return nil, err
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	p.user = nu
	return p, nil
}

// userDB opens the database and loads the profile of a user command.
func (a *app) userDB(ctx context.Context, fs *flag.FlagSet, cf *configFlags, migrate bool) (*store.DB, *profile.Profile, error) {
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return nil, nil, err
	}
	prof, err := profile.Load(cfg.Profile)
	if err != nil {
		return nil, nil, err
	}
	db, err := a.openDB(ctx, cfg, migrate, store.Options{})
	if err != nil {
		return nil, nil, err
	}
	return db, prof, nil
}

// hashPassword hashes a password typed at the shell.
func hashPassword(p string) (string, error) { return auth.HashPassword(p, auth.DefaultParams) }

// printSetup prints a setup code to hand over.
func (a *app) printSetup(u *org.User, iss *account.Issued) {
	fmt.Fprintf(a.stdout, "setup code for %s: %s\n", u.Username, iss.Code)
	fmt.Fprintf(a.stdout, "give it to them in person; they open /setup, type it and choose their password\n")
	fmt.Fprintf(a.stdout, "it works once, until %s\n", iss.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"))
	a.notePending(u)
}

// notePending says, when u's role awaits a second person's approval, that
// it takes effect only then.
func (a *app) notePending(u *org.User) {
	if u.CaseAccessPending {
		fmt.Fprintf(a.stdout, "their role (%s) takes effect once approved by a second person\n", u.Role)
	}
}

func runUserAdd(ctx context.Context, a *app, c *command, args []string) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB|optProfile)
	var in addInput
	fs.StringVar(&in.username, "username", "", "sign-in name: 3-40 lower-case letters, digits, '.', '_' or '-'")
	fs.StringVar(&in.name, "name", "", "the person's name, as others see it")
	fs.StringVar(&in.role, "role", "", "role: "+roleList())
	fs.StringVar(&in.agency, "agency", "", "code of the user's agency, e.g. HFC")
	fs.StringVar(&in.agencyName, "agency-name", "", "create the agency --agency with this name if it does not exist")
	fs.StringVar(&in.team, "team", "", "name of the user's team (required for caseworkers and supervisors)")
	fs.BoolVar(&in.createTeam, "create-team", false, "create the team --team if the agency has none of that name")
	fs.StringVar(&in.email, "email", "", "email address (optional)")
	fs.StringVar(&in.gender, "gender", "", "female, male or other (optional; used to honour a survivor's preference)")
	password := fs.String("password", "", "the first system administrator's password (visible to other users of this machine: prefer the prompt or standard input)")
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	db, prof, err := a.userDB(ctx, fs, cf, true)
	if err != nil {
		return err
	}
	defer db.Close()

	// Check everything before asking for a password.
	if err := db.Read(ctx, func(tx *store.Tx) error {
		_, err := planAdd(ctx, tx, in)
		return err
	}); err != nil {
		return err
	}
	var first bool
	if err := db.Read(ctx, func(tx *store.Tx) (err error) {
		first, err = account.MayTypePassword(ctx, tx, account.Shell, org.Role(in.role))
		return err
	}); err != nil {
		return err
	}
	var opt account.CreateOptions
	switch {
	case first:
		pw := *password
		if pw == "" {
			if pw, err = a.readPassword("Password for " + strings.ToLower(strings.TrimSpace(in.username))); err != nil {
				return err
			}
		}
		p, err := account.NewPassword(pw, pw, &org.User{Username: strings.ToLower(strings.TrimSpace(in.username)), DisplayName: in.name, Email: in.email}, hashPassword)
		if err != nil {
			return err
		}
		opt.Password = &p
	case *password != "":
		return errs.Field("password", "err.password_not_yours")
	}
	var p *addPlan
	var created *account.Created
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if p, err = planAdd(ctx, tx, in); err != nil {
			return err
		}
		now := a.now()
		if p.newAgency {
			if p.agency, err = account.AddAgency(ctx, tx, account.Shell, org.NewAgency{Name: p.agency.Name, Code: p.agency.Code}, now); err != nil {
				return err
			}
		}
		if p.newTeam {
			if p.team, err = account.AddTeam(ctx, tx, account.Shell, org.NewTeam{AgencyID: p.agency.ID, Name: p.team.Name}, now); err != nil {
				return err
			}
		}
		in := p.user
		in.AgencyID = p.agency.ID
		if p.team != nil {
			in.TeamID = p.team.ID
		}
		created, err = account.Create(ctx, tx, prof, account.Shell, in, opt, now)
		return err
	})
	if err != nil {
		return err
	}
	if p.newAgency {
		fmt.Fprintf(a.stdout, "created agency %s (%s)\n", p.agency.Code, p.agency.Name)
	}
	if p.newTeam {
		fmt.Fprintf(a.stdout, "created team %q in agency %s\n", p.team.Name, p.agency.Code)
	}
	u := created.User
	where := "agency " + p.agency.Code
	if p.team != nil {
		where += ", team " + p.team.Name
	}
	fmt.Fprintf(a.stdout, "added user %s (%s) to %s\n", u.Username, u.Role, where)
	if created.Setup != nil {
		a.printSetup(u, created.Setup)
	}
	return nil
}

// userByName loads a user for the commands that change one.
func userByName(ctx context.Context, tx *store.Tx, username string) (*org.User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if username == "" {
		return nil, errs.Field("username", "err.required")
	}
	u, err := tx.UserByName(ctx, username)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.Field("username", "cli.user_missing", username)
	}
	return u, err
}

// userCommand parses a command about one user named by --username and
// runs fn on it in one transaction.
func userCommand(ctx context.Context, a *app, c *command, args []string,
	fn func(tx *store.Tx, prof *profile.Profile, u *org.User, now time.Time) error, more ...func(*flag.FlagSet)) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB|optProfile)
	username := fs.String("username", "", "the user")
	for _, m := range more {
		m(fs)
	}
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	db, prof, err := a.userDB(ctx, fs, cf, true)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Tx(ctx, func(tx *store.Tx) error {
		u, err := userByName(ctx, tx, *username)
		if err != nil {
			return err
		}
		return fn(tx, prof, u, a.now())
	})
}

func runUserReset(ctx context.Context, a *app, c *command, args []string) error {
	var u *org.User
	var iss *account.Issued
	var secondFactor bool
	err := userCommand(ctx, a, c, args, func(tx *store.Tx, prof *profile.Profile, x *org.User, now time.Time) (err error) {
		iss, u, err = account.Reset(ctx, tx, prof, account.Shell, x.ID, account.ResetOptions{SecondFactor: secondFactor}, now)
		return err
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&secondFactor, "second-factor", false, "also remove their second factor (authenticator app, passkeys, recovery codes): a lost phone")
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "reset %s: their sessions have ended and their API tokens are revoked\n", u.Username)
	if secondFactor {
		fmt.Fprintf(a.stdout, "their second factor is removed: after setting their password they set up a new one\n")
	}
	a.printSetup(u, iss)
	return nil
}

func runUserSetPassword(ctx context.Context, a *app, c *command, args []string) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB|optProfile)
	username := fs.String("username", "", "whose password to set")
	password := fs.String("password", "", "the password (visible to other users of this machine: prefer the prompt or standard input)")
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	db, prof, err := a.userDB(ctx, fs, cf, true)
	if err != nil {
		return err
	}
	defer db.Close()
	var target *org.User
	if err := db.Read(ctx, func(tx *store.Tx) (err error) {
		target, err = userByName(ctx, tx, *username)
		return err
	}); err != nil {
		return err
	}
	pw := *password
	if pw == "" {
		if pw, err = a.readPassword("New password for " + strings.ToLower(strings.TrimSpace(*username))); err != nil {
			return err
		}
	}
	p, err := account.NewPassword(pw, pw, target, hashPassword)
	if err != nil {
		return err
	}
	var u *org.User
	if err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		u, err = account.SetPassword(ctx, tx, prof, *username, p, a.now())
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "set the password of %s, who must change it at next sign-in; their sessions have ended\n", u.Username)
	a.notePending(u)
	return nil
}

func runUserUnlock(ctx context.Context, a *app, c *command, args []string) error {
	var u *org.User
	err := userCommand(ctx, a, c, args, func(tx *store.Tx, prof *profile.Profile, x *org.User, now time.Time) (err error) {
		u, err = account.Unlock(ctx, tx, prof, account.Shell, x.ID, now)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "unlocked %s\n", u.Username)
	a.notePending(u)
	return nil
}

func runUserApprove(ctx context.Context, a *app, c *command, args []string) error {
	var u *org.User
	err := userCommand(ctx, a, c, args, func(tx *store.Tx, prof *profile.Profile, x *org.User, now time.Time) (err error) {
		u, err = account.ApproveAtShell(ctx, tx, prof, x.ID, now)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "approved the case access of %s (%s)\n", u.Username, u.Role)
	return nil
}

func runUserDisable(ctx context.Context, a *app, c *command, args []string) error {
	return setDisabled(ctx, a, c, args, true)
}

func runUserEnable(ctx context.Context, a *app, c *command, args []string) error {
	return setDisabled(ctx, a, c, args, false)
}

// setDisabled disables or re-enables a user.
func setDisabled(ctx context.Context, a *app, c *command, args []string, disable bool) error {
	var u *org.User
	changed := false
	err := userCommand(ctx, a, c, args, func(tx *store.Tx, prof *profile.Profile, x *org.User, now time.Time) (err error) {
		u, changed = x, x.Active() == disable
		if !changed {
			return nil
		}
		u, err = account.Update(ctx, tx, prof, account.Shell, x.ID, account.Edit{Disabled: &disable, Version: x.Version}, now)
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case !changed && disable:
		fmt.Fprintf(a.stdout, "%s is already disabled\n", u.Username)
	case !changed:
		fmt.Fprintf(a.stdout, "%s may already sign in\n", u.Username)
	case disable:
		fmt.Fprintf(a.stdout, "disabled %s; their sessions have ended\n", u.Username)
	default:
		fmt.Fprintf(a.stdout, "enabled %s\n", u.Username)
	}
	return nil
}

func runUserList(ctx context.Context, a *app, c *command, args []string) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB)
	agency := fs.String("agency", "", "only users of the agency with this code")
	role := fs.String("role", "", "only users with this role")
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return err
	}
	if *role != "" && !org.Role(*role).Valid() {
		return errs.Field("role", "err.choose")
	}
	db, err := a.openDB(ctx, cfg, false, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Read(ctx, func(tx *store.Tx) error {
		agencies, err := tx.Agencies(ctx)
		if err != nil {
			return err
		}
		code := map[string]string{}
		agencyID := ""
		for _, ag := range agencies {
			code[ag.ID] = ag.Code
			if strings.EqualFold(ag.Code, *agency) {
				agencyID = ag.ID
			}
		}
		if *agency != "" && agencyID == "" {
			return errs.Field("agency_id", "cli.agency_missing", strings.ToUpper(*agency), strings.Join(sortedValues(code), ", "))
		}
		teams, err := tx.Teams(ctx, "")
		if err != nil {
			return err
		}
		team := map[string]string{}
		for _, t := range teams {
			team[t.ID] = t.Name
		}
		users, err := tx.Users(ctx, agencyID)
		if err != nil {
			return err
		}
		sort.Slice(users, func(i, j int) bool {
			if ci, cj := code[users[i].AgencyID], code[users[j].AgencyID]; ci != cj {
				return ci < cj
			}
			return users[i].Username < users[j].Username
		})
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tNAME\tROLE\tAGENCY\tTEAM\tSTATUS")
		now := a.now()
		n := 0
		for _, u := range users {
			if *role != "" && string(u.Role) != *role {
				continue
			}
			status := "active"
			switch {
			case !u.Active():
				status = "disabled"
			case now.Before(u.LockedUntil):
				status = "locked"
			case u.SetupPending():
				status = "setup code not used"
			case u.MustChangePassword:
				status = "must change password"
			case u.CaseAccessPending:
				status = "case access awaits approval"
			}
			t := team[u.TeamID]
			if t == "" {
				t = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.DisplayName, u.Role, code[u.AgencyID], t, status)
			n++
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%d users\n", n)
		return nil
	})
}

func sortedValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
