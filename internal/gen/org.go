package gen

import (
	"context"
	"fmt"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

// Sizing of the synthetic organisation (DOMAIN.md, Oversight).
const (
	openShare        = 0.15 // share of cases still open; the rest are history
	casesPerWorker   = 20   // open cases per caseworker, on average (15-25)
	minLoad, maxLoad = 15, 25
	workersPerTeam   = 6 // caseworkers per supervisor
	casesPerAgency   = 250_000
	minAgencies      = 3
)

// worker is a caseworker with where they work.
type worker struct {
	id, teamID, agencyID string
}

// synthOrg is the organisation a run creates.
type synthOrg struct {
	agencies []org.Agency
	teams    []org.Team
	users    []org.User
	workers  []worker // the caseworkers, who hold the cases
	services []directory.Service
	// providers lists each agency's service providers (agency ID -> user IDs),
	// who answer the referrals addressed to their agency as a whole.
	providers map[string][]string
}

// runPrefix finds the first free run number: run k names its users gk-….
func runPrefix(ctx context.Context, db *store.DB) (int, error) {
	run := 0
	err := db.Read(ctx, func(tx *store.Tx) error {
		for k := 1; ; k++ {
			_, err := tx.UserByName(ctx, fmt.Sprintf("g%d-admin", k))
			if errs.KindOf(err) == errs.NotFound {
				run = k
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	return run, err
}

// planOrg sizes the organisation for n cases of which open are open: enough
// caseworkers for caseloads of 15-25, teams of six with a supervisor, and at
// least three agencies each with its managers, administrators and officers.
func planOrg(r *rnd, run, n, open int, now time.Time) *synthOrg {
	workers := max(1, roundInt(float64(open)/casesPerWorker))
	teams := max(minAgencies, (workers+workersPerTeam-1)/workersPerTeam)
	workers = max(workers, teams)
	agencies := min(teams, minAgencies+n/casesPerAgency)

	since := now.AddDate(-4, 0, 0) // staff were in post before the history starts
	o := &synthOrg{}
	for a := 0; a < agencies; a++ {
		name := agencyNames[a%len(agencyNames)]
		if a >= len(agencyNames) {
			name = fmt.Sprintf("%s %d", name, a/len(agencyNames)+1)
		}
		t := since.Add(time.Duration(a) * time.Minute)
		o.agencies = append(o.agencies, org.Agency{ID: r.id(t), Name: name, Code: fmt.Sprintf("G%dA%d", run, a+1), CreatedAt: t, Version: 1})
	}
	perAgency := make([]int, agencies)
	for i := 0; i < teams; i++ {
		a := i % agencies
		perAgency[a]++
		z := perAgency[a] - 1
		name := fmt.Sprintf("%s %d", zones[z%len(zones)], z/len(zones)+1)
		t := since.Add(time.Hour + time.Duration(i)*time.Second)
		o.teams = append(o.teams, org.Team{ID: r.id(t), AgencyID: o.agencies[a].ID, Name: name, CreatedAt: t, Version: 1})
	}
	seq := 0
	add := func(username string, role org.Role, agency, team string) {
		seq++
		t := since.Add(2*time.Hour + time.Duration(seq)*time.Second)
		female := r.chance(0.6)
		given := r.pick(maleNames)
		gender := "male"
		if female {
			given, gender = r.pick(femaleNames), "female"
		}
		o.users = append(o.users, org.User{
			ID: r.id(t), AgencyID: agency, TeamID: team, Username: username,
			DisplayName: given + " " + r.pick(familyNames), Role: role, Gender: gender,
			Languages: []string{"en"}, CreatedAt: t, UpdatedAt: t, Version: 1,
		})
	}
	p := fmt.Sprintf("g%d-", run)
	add(p+"admin", org.SystemAdmin, o.agencies[0].ID, "")
	for a, ag := range o.agencies {
		for m := 0; m < 1+perAgency[a]/10; m++ {
			add(fmt.Sprintf("%smgr%d-%d", p, a+1, m+1), org.Manager, ag.ID, "")
		}
		add(fmt.Sprintf("%sadm%d", p, a+1), org.AgencyAdmin, ag.ID, "")
		add(fmt.Sprintf("%sdpo%d", p, a+1), org.DPOfficer, ag.ID, "")
		add(fmt.Sprintf("%sim%d", p, a+1), org.IMOfficer, ag.ID, "")
		for s := 0; s < 2; s++ {
			add(fmt.Sprintf("%ssp%d-%d", p, a+1, s+1), org.ServiceProvider, ag.ID, "")
		}
		for v := 0; v < 3; v++ {
			add(fmt.Sprintf("%svol%d-%d", p, a+1, v+1), org.Volunteer, ag.ID, "")
		}
	}
	for i, t := range o.teams {
		add(fmt.Sprintf("%ssup%04d", p, i+1), org.Supervisor, t.AgencyID, t.ID)
	}
	for j := 0; j < workers; j++ {
		t := o.teams[j%teams]
		add(fmt.Sprintf("%scw%05d", p, j+1), org.Caseworker, t.AgencyID, t.ID)
		u := o.users[len(o.users)-1]
		o.workers = append(o.workers, worker{id: u.ID, teamID: t.ID, agencyID: t.AgencyID})
	}
	planDirectory(r, o, since)
	return o
}

// Sizing of the synthetic service directory.
const (
	servicesPerAgency = 4  // entries of each generated agency: three with a focal user, one for the agency as a whole
	externalServices  = 20 // entries of organisations outside the deployment
)

// agencySectors are the sectors of the generated agencies' own services,
// in turn; externalOrgs are fictional organisations outside the deployment
// with their sector and average days to service.
var (
	agencySectors = []string{"health_nutrition", "mhpss", "gbv", "legal", "education", "cash", "shelter_nfi", "livelihoods"}
	externalOrgs  = []struct {
		name, sector string
		days         int
	}{
		{"District Hospital", "health_nutrition", 0}, {"Women's Legal Aid Clinic", "legal", 7},
		{"Hope Counselling Centre", "mhpss", 5}, {"Bright Futures School", "education", 14},
		{"Cash Working Group Desk", "cash", 10}, {"Shelter Cluster Help Desk", "shelter_nfi", 5},
		{"Youth Skills Project", "livelihoods", 21}, {"Camp Health Post", "health_nutrition", 0},
		{"Food Distribution Point", "food_security", 3}, {"WASH Committee", "wash", 7},
		{"Registration Office", "refugee_registration", 10}, {"Legal Counsel Network", "legal", 10},
		{"Community Mental Health Team", "mhpss", 7}, {"Girls' Learning Space", "education", 7},
		{"Mobile Clinic", "health_nutrition", 2}, {"Livelihoods Cooperative", "livelihoods", 14},
		{"Safe Shelter Trust", "gbv", 1}, {"Tracing Desk", "family_tracing", 30},
		{"Nutrition Centre", "health_nutrition", 3}, {"Vocational Training Institute", "livelihoods", 30},
	}
)

// planDirectory draws the service directory: servicesPerAgency entries of
// each generated agency (the first three with one of its service providers
// as focal user, the fourth answered by all of them) and externalServices
// entries of organisations outside the deployment.
func planDirectory(r *rnd, o *synthOrg, since time.Time) {
	o.providers = map[string][]string{}
	for _, u := range o.users {
		if u.Role == org.ServiceProvider {
			o.providers[u.AgencyID] = append(o.providers[u.AgencyID], u.ID)
		}
	}
	admin := o.users[0].ID // the run's system administrator
	seq := 0
	add := func(agency, focal, organisation, sector string, days int) {
		seq++
		t := since.Add(3*time.Hour + time.Duration(seq)*time.Second)
		s := directory.Service{ID: r.id(t), AgencyID: agency, FocalUserID: focal, Organisation: organisation, Sector: sector,
			Services: "Services of " + organisation + " (" + sector + ")", Area: r.pick(zones), OpeningHours: "Mon-Fri 8:00-16:00",
			TargetGroup: "Children, adolescents and survivors", HowToRefer: "Referral form through SafeCase or by phone",
			FocalPoint: fmt.Sprintf("Focal point, +000 700 %03d %03d", r.IntN(1000), r.IntN(1000)), AvgDays: days,
			Languages: []string{"English"}, Profiles: []string{directory.Girls, directory.Boys, directory.Women},
			Quality: []string{"safe"}, LastVerified: since.AddDate(4, 0, -5-r.IntN(60)).Format(time.DateOnly), Active: true, Version: 1,
			CreatedBy: admin, CreatedAt: t, UpdatedAt: t}
		o.services = append(o.services, s)
	}
	for a, ag := range o.agencies {
		sps := o.providers[ag.ID]
		for k := 0; k < servicesPerAgency; k++ {
			focal := ""
			if k < servicesPerAgency-1 && len(sps) > 0 {
				focal = sps[k%len(sps)]
			}
			sector := agencySectors[(a*servicesPerAgency+k)%len(agencySectors)]
			days := []int{0, 2, 3, 5, 7}[r.IntN(5)]
			add(ag.ID, focal, ag.Name, sector, days)
		}
	}
	for _, x := range externalOrgs[:min(externalServices, len(externalOrgs))] {
		add("", "", x.name, x.sector, x.days)
	}
}

// insertOrg stores the organisation, every user with the one password hash
// (argon2 per user would dominate the run), each creation audited.
func insertOrg(ctx context.Context, db *store.DB, o *synthOrg, hash string, now time.Time) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		ev := func(action, typ, id, agency string) error {
			return tx.Record(ctx, audit.Event{ActorRole: "cli", Action: action, RecordType: typ, RecordID: id,
				AgencyID: agency, Detail: `{"synthetic":true}`, At: now})
		}
		for i := range o.agencies {
			a := &o.agencies[i]
			if err := tx.InsertAgency(ctx, a); err != nil {
				return fmt.Errorf("agency %s: %w", a.Code, err)
			}
			if err := ev("agency.create", "agency", a.ID, a.ID); err != nil {
				return err
			}
		}
		for i := range o.teams {
			t := &o.teams[i]
			if err := tx.InsertTeam(ctx, t); err != nil {
				return fmt.Errorf("team %s: %w", t.Name, err)
			}
			if err := ev("team.create", "team", t.ID, t.AgencyID); err != nil {
				return err
			}
		}
		for i := range o.users {
			u := &o.users[i]
			u.PasswordHash = hash
			if err := tx.InsertUser(ctx, u); err != nil {
				return fmt.Errorf("user %s: %w", u.Username, err)
			}
			if err := ev("user.create", "user", u.ID, u.AgencyID); err != nil {
				return err
			}
		}
		for i := range o.services {
			s := &o.services[i]
			if err := tx.InsertDirectoryService(ctx, s); err != nil {
				return fmt.Errorf("directory service %s: %w", s.Organisation, err)
			}
			if err := ev("directory.create", "directory_service", s.ID, s.AgencyID); err != nil {
				return err
			}
		}
		return nil
	})
}

// hashPassword hashes the synthetic users' one password.
func hashPassword() (string, error) { return hashPasswordOf(Password) }

func hashPasswordOf(pw string) (string, error) { return auth.HashPassword(pw, auth.DefaultParams) }

// loads draws each caseworker's number of open cases, 15-25, summing to
// open (outside that range only when open does not fit it).
func loads(r *rnd, workers, open int) []int {
	floor, ceil := minLoad, maxLoad
	if open < minLoad*workers {
		floor = 0
	}
	if open > maxLoad*workers {
		ceil = open
	}
	out := make([]int, workers)
	sum := 0
	for i := range out {
		out[i] = min(ceil, max(floor, minLoad+r.IntN(maxLoad-minLoad+1)))
		sum += out[i]
	}
	for sum > open {
		if i := r.IntN(workers); out[i] > floor {
			out[i]--
			sum--
		}
	}
	for sum < open {
		if i := r.IntN(workers); out[i] < ceil {
			out[i]++
			sum++
		}
	}
	return out
}
