package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

var userCmd = &command{
	name: "user", args: "<add|set-password|disable|enable|list> [flags]",
	summary: "add, change, disable, enable and list users",
	detail: `Subcommands:
  add            add a user (the first system administrator of a new deployment too)
  set-password   set a user's password, unlock them and end their sessions
  disable        stop a user signing in and end their sessions
  enable         let a disabled or locked-out user sign in again
  list           list users

Run 'safecase user <subcommand> --help' for its flags. Passwords are read
from the terminal without echo, or from the first line of standard input.`,
	run: runUser,
}

var userSubs = []*command{
	{name: "user add", summary: "add a user", run: runUserAdd, detail: `Adds a user to an agency (by its code) and, for caseworkers and supervisors,
a team. With --agency-name the agency is created when it does not exist yet,
which is how the first system administrator of a new deployment is made:

  safecase user add --username admin --name "Site Admin" --role system_admin \
      --agency HQ --agency-name "Head office"

Roles: ` + roleList() + `.`},
	{name: "user set-password", summary: "set a user's password", run: runUserSetPassword,
		detail: "Sets the password, clears the delays after failed sign-ins and ends the user's sessions."},
	{name: "user disable", summary: "stop a user signing in", run: runUserDisable,
		detail: "Disables the account and ends its sessions. Nothing the user recorded is removed."},
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
		return usagef("name a subcommand: add, set-password, disable, enable or list")
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
	return usagef("unknown subcommand %q: use add, set-password, disable, enable or list", args[0])
}

// timeZero clears a time field.
var timeZero time.Time

// cliEvent is an audit event of an administrative change made at the command line.
func cliEvent(action, recordType, id, agency string, detail map[string]any) audit.Event {
	d := ""
	if detail != nil {
		b, _ := json.Marshal(detail)
		d = string(b)
	}
	return audit.Event{ActorRole: "cli", Action: action, RecordType: recordType, RecordID: id, AgencyID: agency, Detail: d}
}

// addPlan is what user add will write once the input checks out.
type addPlan struct {
	agency    *org.Agency
	team      *org.Team
	newAgency bool
	newTeam   bool
	user      org.NewUser
}

// addInput is user add's flags.
type addInput struct {
	username, name, role, agency, agencyName, team, email, gender string
	createTeam                                                    bool
}

// planAdd checks in for user add against the database: every problem is
// returned at once, as field errors naming the flag.
func planAdd(ctx context.Context, tx *store.Tx, in addInput, password string) (*addPlan, error) {
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
		p.agency = &org.Agency{ID: store.NewID(), Name: na.Name, Code: na.Code}
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
			p.team = &org.Team{ID: store.NewID(), AgencyID: p.agency.ID, Name: nt.Name}
			p.newTeam = true
		}
	}
	nu := org.NewUser{Username: in.username, DisplayName: in.name, Role: org.Role(in.role), Email: in.email,
		Gender: in.gender, Password: password}
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

// placeholderPassword stands in for a password not yet typed, so that the
// other fields are checked before anyone is asked for one.
const placeholderPassword = "Unused placeholder: qT7#vR2m!pL9"

func runUserAdd(ctx context.Context, a *app, c *command, args []string) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB)
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
	password := fs.String("password", "", "the password (visible to other users of this machine: prefer the prompt or standard input)")
	mustChange := fs.Bool("must-change-password", false, "make the user choose a new password at first sign-in")
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return err
	}
	db, err := a.openDB(ctx, cfg, true, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()

	// Check everything but the password before asking for one.
	pw := *password
	check := pw
	if check == "" {
		check = placeholderPassword
	}
	if err := db.Read(ctx, func(tx *store.Tx) error {
		_, err := planAdd(ctx, tx, in, check)
		return err
	}); err != nil {
		return err
	}
	if pw == "" {
		if pw, err = a.readPassword("Password for " + strings.ToLower(strings.TrimSpace(in.username))); err != nil {
			return err
		}
	}
	if key, args := org.PasswordProblem(pw, in.username, in.name, in.email); key != "" {
		return errs.Field("password", key, args...)
	}
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return err
	}
	var p *addPlan
	var u *org.User
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if p, err = planAdd(ctx, tx, in, pw); err != nil {
			return err
		}
		now := a.now()
		if p.newAgency {
			p.agency.CreatedAt = now
			if err := tx.InsertAgency(ctx, p.agency); err != nil {
				return err
			}
			if err := tx.Record(ctx, cliEvent("agency.create", "agency", p.agency.ID, p.agency.ID, nil)); err != nil {
				return err
			}
		}
		if p.newTeam {
			p.team.CreatedAt = now
			if err := tx.InsertTeam(ctx, p.team); err != nil {
				return err
			}
			if err := tx.Record(ctx, cliEvent("team.create", "team", p.team.ID, p.team.AgencyID, nil)); err != nil {
				return err
			}
		}
		u = &org.User{AgencyID: p.user.AgencyID, Username: p.user.Username, DisplayName: p.user.DisplayName,
			Role: p.user.Role, Email: p.user.Email, Gender: p.user.Gender, Languages: []string{},
			PasswordHash: hash, MustChangePassword: *mustChange, CreatedAt: now, UpdatedAt: now}
		if p.team != nil {
			u.TeamID = p.team.ID
		}
		if err := tx.InsertUser(ctx, u); err != nil {
			return err
		}
		return tx.Record(ctx, cliEvent("user.create", "user", u.ID, u.AgencyID, map[string]any{"role": u.Role}))
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
	where := "agency " + p.agency.Code
	if p.team != nil {
		where += ", team " + p.team.Name
	}
	fmt.Fprintf(a.stdout, "added user %s (%s) to %s\n", u.Username, u.Role, where)
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

func runUserSetPassword(ctx context.Context, a *app, c *command, args []string) error {
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB)
	username := fs.String("username", "", "whose password to set")
	password := fs.String("password", "", "the password (visible to other users of this machine: prefer the prompt or standard input)")
	mustChange := fs.Bool("must-change-password", false, "make the user choose a new password at next sign-in")
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return err
	}
	db, err := a.openDB(ctx, cfg, true, store.Options{})
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
	if key, args := org.PasswordProblem(pw, target.Username, target.DisplayName, target.Email); key != "" {
		return errs.Field("password", key, args...)
	}
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return err
	}
	var u *org.User
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if u, err = userByName(ctx, tx, *username); err != nil {
			return err
		}
		u.PasswordHash, u.MustChangePassword = hash, *mustChange
		u.FailedLogins, u.LockedUntil = 0, timeZero
		if err := tx.ClearSignInThrottles(ctx, u.Username); err != nil {
			return err
		}
		u.UpdatedAt = a.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		return tx.Record(ctx, cliEvent("user.password", "user", u.ID, u.AgencyID, map[string]any{"must_change": *mustChange}))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "set the password of %s; their sessions have ended\n", u.Username)
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
	fs := flagSet(c)
	cf := addConfigFlags(fs, optDB)
	username := fs.String("username", "", "the user")
	if err := a.parse(c, fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return err
	}
	db, err := a.openDB(ctx, cfg, true, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	var u *org.User
	changed := false
	err = db.Tx(ctx, func(tx *store.Tx) error {
		if u, err = userByName(ctx, tx, *username); err != nil {
			return err
		}
		if !disable {
			if err := tx.ClearSignInThrottles(ctx, u.Username); err != nil {
				return err
			}
		}
		now := a.now()
		action := "user.enable"
		switch {
		case disable && u.Active():
			u.DisabledAt = now
			action = "user.disable"
		case !disable && (!u.Active() || u.FailedLogins > 0 || !u.LockedUntil.IsZero()):
			u.DisabledAt, u.FailedLogins, u.LockedUntil = timeZero, 0, timeZero
		default:
			return nil
		}
		changed = true
		u.UpdatedAt = now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if disable {
			if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
				return err
			}
		}
		return tx.Record(ctx, cliEvent(action, "user", u.ID, u.AgencyID, nil))
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
			case u.MustChangePassword:
				status = "must change password"
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
