package gen

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// DemoPassword is the password of every demo user. The demo data is
// fictional and the password public: a demo database is for trying SafeCase,
// never for real cases.
const DemoPassword = "demo-password"

// DemoLogin is one demo user.
type DemoLogin struct {
	Username string
	Name     string
	Role     org.Role
	Agency   string // agency code
	Team     string // team name, or ""
}

// demoAgencies are the fictional agencies of the demo, by code.
var demoAgencies = []struct{ code, name string }{
	{"HFC", "Hope for Children"},
	{"SHW", "Safe Haven Women's Centre"},
	{"CCN", "Community Care Network"},
}

// demoTeams are the demo's teams: agency code and name.
var demoTeams = []struct{ agency, name string }{
	{"HFC", "North Zone"},
	{"HFC", "South Zone"},
	{"SHW", "Women's Protection"},
}

// demoUsers: one user of every role first (in org.Roles order), then more
// caseworkers, supervisors and a manager so that teams have a real shape.
var demoUsers = []DemoLogin{
	{"amina", "Amina Yusuf", org.Caseworker, "HFC", "North Zone"},
	{"sam", "Samuel Okello", org.Supervisor, "HFC", "North Zone"},
	{"maria", "Maria Mendoza", org.Manager, "HFC", ""},
	{"peter", "Peter Mensah", org.ServiceProvider, "CCN", ""},
	{"vera", "Vera Nkosi", org.Volunteer, "HFC", ""},
	{"ian", "Ian Barzani", org.IMOfficer, "HFC", ""},
	{"dina", "Dina Haddad", org.DPOfficer, "HFC", ""},
	{"ada", "Ada Mwangi", org.AgencyAdmin, "HFC", ""},
	{"root", "Rita Osei (system administrator)", org.SystemAdmin, "CCN", ""},
	{"joseph", "Joseph Banda", org.Caseworker, "HFC", "North Zone"},
	{"fatima", "Fatima Rahman", org.Caseworker, "HFC", "North Zone"},
	{"ali", "Ali Juma", org.Caseworker, "HFC", "North Zone"},
	{"omar", "Omar Abdi", org.Supervisor, "HFC", "South Zone"},
	{"grace", "Grace Achieng", org.Caseworker, "HFC", "South Zone"},
	{"daniel", "Daniel Kamara", org.Caseworker, "HFC", "South Zone"},
	{"esther", "Esther Phiri", org.Caseworker, "HFC", "South Zone"},
	{"leila", "Leila Karimi", org.Supervisor, "SHW", "Women's Protection"},
	{"sara", "Sara Tesfaye", org.Caseworker, "SHW", "Women's Protection"},
	{"noor", "Noor Nasser", org.Caseworker, "SHW", "Women's Protection"},
	{"rose", "Rose Mutua", org.Caseworker, "SHW", "Women's Protection"},
	{"mona", "Mona Diallo", org.Manager, "SHW", ""},
}

// DemoLogins lists the demo users: one of every role first, in the order of
// org.Roles, then the other staff.
func DemoLogins() []DemoLogin { return append([]DemoLogin(nil), demoUsers...) }

// ErrNotEmpty reports that Demo was asked to seed a database that already
// holds users: demo data never mixes with a real deployment's.
var ErrNotEmpty = errors.New("demo: the database already holds users")

// DemoSummary reports what Demo seeded.
type DemoSummary struct {
	Agencies, Teams, Users         int
	Cases, Identifications, Queued int
	Screenings                     int
}

// HasDemo reports whether db holds the demo's users.
func HasDemo(ctx context.Context, db *store.DB) (bool, error) {
	found := true
	err := db.Read(ctx, func(tx *store.Tx) error {
		for _, name := range []string{"amina", "root"} {
			_, err := tx.UserByName(ctx, name)
			if errs.KindOf(err) == errs.NotFound {
				found = false
				return nil
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return found && err == nil, err
}

// demo holds the state of one seeding.
type demo struct {
	db     *store.DB
	p      *profile.Profile
	now    time.Time
	r      *rnd
	agency map[string]*org.Agency // by code
	team   map[string]*org.Team   // by name
	user   map[string]*org.User   // by username
	sum    DemoSummary
}

// Demo seeds db, which must hold no users, with the demonstration data:
// three fictional agencies, their teams, one user of every role (see
// DemoLogins; the password is DemoPassword) and some two hundred cases. Every
// case is made through the domain operations — identification, screening,
// registration, consent, family, risk and urgency changes — at times
// backdated from now, so deadlines fall due and overdue as they would, and
// the audit chain verifies.
func Demo(ctx context.Context, db *store.DB, p *profile.Profile, now time.Time) (DemoSummary, error) {
	d := &demo{db: db, p: p, now: now.Truncate(time.Millisecond), r: newRand(2024, 0),
		agency: map[string]*org.Agency{}, team: map[string]*org.Team{}, user: map[string]*org.User{}}
	var users int
	if err := db.Read(ctx, func(tx *store.Tx) error {
		us, err := tx.Users(ctx, "")
		users = len(us)
		return err
	}); err != nil {
		return d.sum, fmt.Errorf("demo: %w", err)
	}
	if users > 0 {
		return d.sum, ErrNotEmpty
	}
	if err := d.org(ctx); err != nil {
		return d.sum, fmt.Errorf("demo: %w", err)
	}
	if err := d.intake(ctx); err != nil {
		return d.sum, fmt.Errorf("demo: %w", err)
	}
	for _, s := range aminaCaseload() {
		if err := d.run(ctx, "amina", s); err != nil {
			return d.sum, fmt.Errorf("demo: amina's case %q: %w", s.label, err)
		}
	}
	for _, w := range []string{"joseph", "fatima", "ali", "grace", "daniel", "esther", "sara", "noor", "rose"} {
		u := d.user[w]
		gbv := d.agency["SHW"].ID == u.AgencyID
		for i, n := 0, 15+d.r.IntN(8); i < n; i++ {
			s := d.randomScenario(gbv)
			if err := d.run(ctx, w, s); err != nil {
				return d.sum, fmt.Errorf("demo: %s's case %d: %w", w, i+1, err)
			}
		}
	}
	return d.sum, nil
}

func (d *demo) actor(username string) access.Actor {
	u := d.user[username]
	return access.Actor{UserID: u.ID, AgencyID: u.AgencyID, TeamID: u.TeamID, Role: u.Role}
}

// as returns ctx carrying username as the audit trail's actor.
func (d *demo) as(ctx context.Context, username string) context.Context {
	u := d.user[username]
	return audit.WithMeta(ctx, audit.Meta{ActorID: u.ID, ActorRole: string(u.Role), AgencyID: u.AgencyID})
}

// org creates the agencies, teams and users.
func (d *demo) org(ctx context.Context) error {
	hash, err := hashDemoPassword()
	if err != nil {
		return err
	}
	created := d.now.AddDate(0, -6, 0)
	return d.db.Tx(ctx, func(tx *store.Tx) error {
		ev := func(action, typ, id, agency string) error {
			return tx.Record(ctx, audit.Event{ActorRole: "cli", Action: action, RecordType: typ, RecordID: id,
				AgencyID: agency, Detail: `{"demo":true}`})
		}
		for _, a := range demoAgencies {
			ag := &org.Agency{Name: a.name, Code: a.code, CreatedAt: created}
			if err := tx.InsertAgency(ctx, ag); err != nil {
				return fmt.Errorf("agency %s: %w", a.code, err)
			}
			d.agency[a.code] = ag
			d.sum.Agencies++
			if err := ev("agency.create", "agency", ag.ID, ag.ID); err != nil {
				return err
			}
		}
		for _, t := range demoTeams {
			tm := &org.Team{AgencyID: d.agency[t.agency].ID, Name: t.name, CreatedAt: created}
			if err := tx.InsertTeam(ctx, tm); err != nil {
				return fmt.Errorf("team %s: %w", t.name, err)
			}
			d.team[t.name] = tm
			d.sum.Teams++
			if err := ev("team.create", "team", tm.ID, tm.AgencyID); err != nil {
				return err
			}
		}
		for _, l := range demoUsers {
			u := &org.User{AgencyID: d.agency[l.Agency].ID, Username: l.Username, DisplayName: l.Name, Role: l.Role,
				Email: l.Username + "@example.org", Languages: []string{"en"}, PasswordHash: hash,
				CreatedAt: created, UpdatedAt: created}
			if l.Team != "" {
				u.TeamID = d.team[l.Team].ID
			}
			if _, ok := femaleFirst[l.Username]; ok {
				u.Gender = "female"
			} else {
				u.Gender = "male"
			}
			if err := tx.InsertUser(ctx, u); err != nil {
				return fmt.Errorf("user %s: %w", l.Username, err)
			}
			d.user[l.Username] = u
			d.sum.Users++
			if err := ev("user.create", "user", u.ID, u.AgencyID); err != nil {
				return err
			}
		}
		return nil
	})
}

var femaleFirst = map[string]struct{}{"amina": {}, "maria": {}, "vera": {}, "dina": {}, "ada": {}, "root": {},
	"fatima": {}, "grace": {}, "esther": {}, "leila": {}, "sara": {}, "noor": {}, "rose": {}, "mona": {}}

func hashDemoPassword() (string, error) {
	h, err := hashPasswordOf(DemoPassword)
	if err != nil {
		return "", fmt.Errorf("hash demo password: %w", err)
	}
	return h, nil
}

// ident is one identification of the demo's intake queue.
type ident struct {
	by, agency, typ, name, age, sex, location string
	concerns                                  []string
	urgent                                    bool
	ago                                       time.Duration
}

// intake submits identifications (most left in the queue, some urgent) and
// screens a few to each outcome; the eligible ones become cases.
func (d *demo) intake(ctx context.Context) error {
	queued := []ident{
		{"vera", "HFC", profile.CP, "Boy near the water point", "10", "male", "Camp A, Block 7", []string{"neglect"}, true, 5 * time.Hour},
		{"vera", "HFC", profile.CP, "Mariam (girl, about 13)", "13", "female", "Market quarter", []string{"child_marriage"}, true, 26 * time.Hour},
		{"vera", "HFC", "", "Two sisters living alone", "", "female", "Riverside settlement", []string{"separation"}, false, 2 * 24 * time.Hour},
		{"vera", "HFC", profile.CP, "Yusuf", "15", "male", "Hillside village", []string{"exploitation"}, false, 3 * 24 * time.Hour},
		{"maria", "HFC", profile.CP, "Child at the health centre", "6", "", "Health centre", []string{"physical_violence"}, false, 20 * time.Hour},
		{"vera", "HFC", profile.CP, "Samuel", "16", "male", "Transit centre", []string{"caafag"}, true, 2 * time.Hour},
		{"peter", "SHW", profile.GBV, "Woman referred by the clinic", "27", "female", "Camp B, Zone 2", []string{"sexual_violence"}, true, 4 * time.Hour},
		{"peter", "SHW", profile.GBV, "Halima", "31", "female", "East district", []string{"physical_violence"}, false, 30 * time.Hour},
	}
	for _, q := range queued {
		if _, err := d.identify(ctx, q); err != nil {
			return err
		}
		d.sum.Queued++
	}
	// Screened to each outcome.
	type screened struct {
		ident    *ident // nil: a walk-in screened directly
		by       string
		typ, age string
		no       string // the criterion answered no, or ""
	}
	for _, s := range []screened{
		{&ident{"vera", "HFC", profile.CP, "Nadia", "12", "female", "Camp A, Block 3", []string{"physical_violence"}, false, 4 * 24 * time.Hour},
			"amina", profile.CP, "12", ""},
		{&ident{"vera", "HFC", profile.CP, "Boy selling at the market", "14", "male", "Market quarter", []string{"exploitation"}, false, 6 * 24 * time.Hour},
			"sam", profile.CP, "14", "case_management_appropriate"},
		{nil, "joseph", profile.CP, "19", ""},
		{&ident{"maria", "HFC", profile.CP, "Girl reported by a teacher", "9", "female", "School outreach", []string{"other"}, false, 5 * 24 * time.Hour},
			"grace", profile.CP, "9", "harmed_or_at_risk"},
		{&ident{"peter", "SHW", profile.GBV, "Aisha", "24", "female", "Camp B, Zone 5", []string{"sexual_violence"}, false, 3 * 24 * time.Hour},
			"sara", profile.GBV, "24", ""},
		{nil, "noor", profile.GBV, "35", "case_management_appropriate"},
	} {
		var identID string
		at := d.now.Add(-2 * 24 * time.Hour)
		if s.ident != nil {
			i, err := d.identify(ctx, *s.ident)
			if err != nil {
				return err
			}
			identID = i.ID
			at = i.SubmittedAt.Add(s.ident.ago / 3)
		}
		sc, err := d.screen(ctx, s.by, identID, s.typ, s.age, s.no, at)
		if err != nil {
			return err
		}
		if sc.Outcome != profile.OutcomeFull {
			continue
		}
		// The eligible ones are registered by the caseworker who screened them.
		sex := "female"
		age, _ := strconv.Atoi(s.age)
		sc2 := scenario{label: "from screening", typ: s.typ, age: age, sex: sex, care: cases.Accompanied,
			risk: profile.Medium, dueIn: 5 * 24 * time.Hour, consent: planFull, screening: sc.ID}
		if s.typ == profile.GBV {
			sc2.care = ""
		}
		if err := d.run(ctx, s.by, sc2); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) identify(ctx context.Context, q ident) (*intake.Identification, error) {
	var out *intake.Identification
	err := d.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = intake.SubmitIdentification(d.as(ctx, q.by), tx, d.p, d.actor(q.by), intake.NewIdentification{
			AgencyID: d.agency[q.agency].ID, CaseType: q.typ, Source: "community", Name: q.name, Age: q.age,
			Sex: q.sex, Location: q.location, Concerns: q.concerns, Urgent: q.urgent,
		}, cases.NewCode("ID"), d.now.Add(-q.ago))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("identification %q: %w", q.name, err)
	}
	d.sum.Identifications++
	return out, nil
}

// screen screens an identification (or a walk-in), answering yes to every
// criterion but no.
func (d *demo) screen(ctx context.Context, by, identID, typ, age, no string, at time.Time) (*intake.Screening, error) {
	answers := map[string]string{}
	for _, c := range d.p.Eligibility[typ] {
		answers[c.Key] = "yes"
		if c.Key == no {
			answers[c.Key] = "no"
		}
	}
	var out *intake.Screening
	err := d.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = intake.Screen(d.as(ctx, by), tx, d.p, d.actor(by), intake.ScreeningInput{
			IdentificationID: identID, CaseType: typ, Age: age, Answers: answers}, at)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("screening by %s: %w", by, err)
	}
	d.sum.Screenings++
	return out, nil
}

// Consent plans.
const (
	planFull        = "full"             // every required scope, from the child and a caregiver
	planNone        = "none"             // registered; consent not yet taken
	planRefuseShare = "refuse_share"     // sharing with service providers refused
	planWithdraw    = "withdraw_share"   // sharing given, then withdrawn
	planOverride    = "override"         // no caregiver: the supervisor overrides
	planPerpOnly    = "perpetrator_only" // the only caregiver is the alleged perpetrator
	planThirdParty  = "third_party"      // a trusted adult consents for an unaccompanied child
)

// scenario is one demo case and what happens to it.
type scenario struct {
	label       string
	typ, sex    string
	age         int
	care        string
	risk        string        // at registration
	newRisk     string        // changed to, with a reason, after registration
	urgent      bool          // at registration
	raiseUrgent bool          // raised two hours ago
	lowerUrgent bool          // lowered six hours after registration
	dueIn       time.Duration // the assessment falls due this long from now (negative: overdue)
	regAgo      time.Duration // or: registered this long ago
	consent     string
	tracing     bool // consent to disclose for tracing too
	family      []family.Input
	excludeName string // a person nothing may be shared with
	excludeCCN  bool   // the family does not want Community Care Network told anything
	screening   string // registered from this screening
	referred    int    // referred this many days before registration
}

func ptr(n int) *int { return &n }

// aminaCaseload is the demo caseworker's caseload: twenty open cases that
// show every state the system knows, five of them overdue.
func aminaCaseload() []scenario {
	const day = 24 * time.Hour
	mother := family.Input{Relationship: "mother", IsCaregiver: true, LivesWithChild: true, Alive: "alive", Sex: "female", Age: ptr(34)}
	father := family.Input{Relationship: "father", IsCaregiver: true, LivesWithChild: true, Alive: "alive", Sex: "male", Age: ptr(39)}
	return []scenario{
		{label: "stepfather excluded", typ: profile.CP, age: 9, sex: "female", care: cases.Accompanied, risk: profile.High,
			dueIn: -day, consent: planFull, excludeName: "Stepfather (alleged perpetrator)",
			family: []family.Input{mother, {Relationship: "step_parent", AllegedPerpetrator: true, LivesWithChild: true,
				Alive: "alive", Sex: "male", Age: ptr(41), Name: "Stepfather (alleged perpetrator)"}}},
		{label: "unaccompanied, urgent overdue", typ: profile.CP, age: 15, sex: "male", care: cases.Unaccompanied,
			risk: profile.High, urgent: true, regAgo: 30 * time.Hour, consent: planOverride, tracing: true,
			family: []family.Input{{Relationship: "mother", Alive: "unknown", Sex: "female"}, {Relationship: "father", Alive: "dead", Sex: "male"}}},
		{label: "separated, tracing", typ: profile.CP, age: 12, sex: "female", care: cases.Separated, risk: profile.Medium,
			dueIn: 2 * day, consent: planFull, tracing: true,
			family: []family.Input{{Relationship: "aunt_uncle", IsCaregiver: true, LivesWithChild: true, Alive: "alive", Sex: "female", Age: ptr(45)},
				{Relationship: "mother", Alive: "unknown", Sex: "female"}}},
		{label: "risk raised to high", typ: profile.CP, age: 7, sex: "male", care: cases.Accompanied, risk: profile.Medium,
			newRisk: profile.High, regAgo: 3 * day, consent: planFull, family: []family.Input{mother, father}},
		{label: "adolescent GBV, urgent due soon", typ: profile.GBV, age: 16, sex: "female", care: cases.Accompanied,
			risk: profile.High, urgent: true, regAgo: 3 * time.Hour, consent: planFull, excludeName: "Neighbour (alleged perpetrator)",
			family: []family.Input{mother, {Relationship: "other", AllegedPerpetrator: true, Alive: "alive", Sex: "male", Name: "Neighbour (alleged perpetrator)"}}},
		{label: "toddler, caregiver consent", typ: profile.CP, age: 4, sex: "female", care: cases.Accompanied, risk: profile.Low,
			dueIn: 10 * day, consent: planFull, family: []family.Input{mother, father}},
		{label: "consent not yet taken", typ: profile.CP, age: 13, sex: "male", care: cases.Accompanied, risk: profile.Low,
			regAgo: 2 * time.Hour, consent: planNone},
		{label: "sharing refused", typ: profile.CP, age: 14, sex: "female", care: cases.Accompanied, risk: profile.Medium,
			dueIn: day, consent: planRefuseShare, family: []family.Input{mother}},
		{label: "sharing withdrawn", typ: profile.CP, age: 11, sex: "male", care: cases.Accompanied, risk: profile.Medium,
			dueIn: 3 * day, consent: planWithdraw, family: []family.Input{mother, father}},
		{label: "only caregiver is the alleged perpetrator", typ: profile.CP, age: 10, sex: "female", care: cases.Accompanied,
			risk: profile.High, dueIn: -4 * time.Hour, consent: planPerpOnly, excludeName: "Stepfather (alleged perpetrator)",
			family: []family.Input{{Relationship: "step_parent", IsCaregiver: true, AllegedPerpetrator: true, LivesWithChild: true,
				Alive: "alive", Sex: "male", Age: ptr(44), Name: "Stepfather (alleged perpetrator)"},
				{Relationship: "mother", Alive: "dead", Sex: "female"}}},
		{label: "urgent raised", typ: profile.CP, age: 16, sex: "male", care: cases.Accompanied, risk: profile.Medium,
			raiseUrgent: true, regAgo: 3 * day, consent: planFull, family: []family.Input{father}},
		{label: "urgent answered", typ: profile.CP, age: 8, sex: "female", care: cases.Accompanied, risk: profile.Medium,
			urgent: true, lowerUrgent: true, dueIn: 3 * day, consent: planFull, family: []family.Input{mother}},
		{label: "risk lowered", typ: profile.CP, age: 17, sex: "male", care: cases.Separated, risk: profile.Medium,
			newRisk: profile.Low, dueIn: 8 * day, consent: planFull, tracing: true,
			family: []family.Input{{Relationship: "grandparent", IsCaregiver: true, LivesWithChild: true, Alive: "alive", Sex: "female", Age: ptr(66)}}},
		{label: "low risk, overdue", typ: profile.CP, age: 6, sex: "female", care: cases.Accompanied, risk: profile.Low,
			dueIn: -4 * day, consent: planFull, family: []family.Input{mother}},
		{label: "agency excluded", typ: profile.GBV, age: 17, sex: "female", care: cases.Accompanied, risk: profile.Medium,
			dueIn: 5 * day, consent: planFull, excludeCCN: true, family: []family.Input{mother}},
		{label: "infant", typ: profile.CP, age: 3, sex: "male", care: cases.Accompanied, risk: profile.Medium,
			dueIn: 6 * day, consent: planFull, family: []family.Input{mother}},
		{label: "high risk, registered this morning", typ: profile.CP, age: 15, sex: "female", care: cases.Accompanied,
			risk: profile.High, regAgo: 10 * time.Hour, consent: planFull, family: []family.Input{mother, father}},
		{label: "unaccompanied, trusted adult", typ: profile.CP, age: 9, sex: "male", care: cases.Unaccompanied,
			risk: profile.Medium, dueIn: 4 * day, consent: planThirdParty, tracing: true,
			family: []family.Input{{Relationship: "mother", Alive: "unknown", Sex: "female"}, {Relationship: "father", Alive: "unknown", Sex: "male"}}},
		{label: "referred by another agency", typ: profile.CP, age: 12, sex: "female", care: cases.Accompanied,
			risk: profile.Medium, dueIn: 6 * day, referred: 2, consent: planFull, family: []family.Input{mother}},
		{label: "no risk any more", typ: profile.CP, age: 14, sex: "male", care: cases.Accompanied, risk: profile.Low,
			newRisk: profile.NoRisk, regAgo: 5 * day, consent: planFull, family: []family.Input{mother, father}},
	}
}

// randomScenario draws a case for one of the other caseworkers.
func (d *demo) randomScenario(gbvAgency bool) scenario {
	r := d.r
	const day = 24 * time.Hour
	s := scenario{typ: profile.CP, sex: "female", consent: planFull}
	if gbvAgency || r.chance(0.1) {
		s.typ = profile.GBV
	}
	if s.typ == profile.CP {
		s.age = 1 + r.IntN(17)
		if r.chance(0.48) {
			s.sex = "male"
		}
	} else if gbvAgency && r.chance(0.85) {
		s.age = 18 + r.IntN(30)
	} else {
		s.age = 13 + r.IntN(5)
	}
	if s.age < d.p.AdultAge {
		s.care = cases.Accompanied
		if s.typ == profile.CP {
			switch x := r.Float64(); {
			case x < 0.1:
				s.care = cases.Unaccompanied
			case x < 0.25:
				s.care = cases.Separated
			}
		}
	}
	s.risk = riskOrder[r.weighted([]float64{0.2, 0.45, 0.35})]
	if r.chance(0.15) {
		s.newRisk = riskOrder[(indexOf(riskOrder, s.risk)+1+r.IntN(2))%3]
	}
	final := s.risk
	if s.newRisk != "" {
		final = s.newRisk
	}
	window := d.window(final)
	switch x := r.Float64(); {
	case x < 0.2:
		s.dueIn = -r.between(time.Hour, 5*day)
	case x < 0.45:
		s.dueIn = r.between(time.Hour, min(2*day, window-time.Hour))
	default:
		s.dueIn = r.between(min(2*day, window/2), window-time.Hour)
	}
	if s.newRisk != "" && window-s.dueIn < 4*time.Hour {
		s.dueIn = window - 4*time.Hour // leave time for the change of risk
	}
	if window-s.dueIn < 40*time.Hour && r.chance(0.12) {
		s.urgent = true
	}
	switch x := r.Float64(); {
	case s.care == cases.Unaccompanied:
		s.consent = []string{planOverride, planThirdParty}[r.IntN(2)]
		s.tracing = true
	case x < 0.05:
		s.consent = planNone
	case x < 0.10:
		s.consent = planRefuseShare
	case x < 0.14 && window-s.dueIn > 48*time.Hour:
		s.consent = planWithdraw
	}
	s.tracing = s.tracing || s.care == cases.Separated
	for _, x := range familyOf(r, d.p, s.typ, s.age, s.care) {
		in := family.Input{Relationship: x.rel, IsCaregiver: x.caregiver, AllegedPerpetrator: x.perp, Alive: x.alive,
			LivesWithChild: x.livesWith, Sex: x.sex}
		if x.age > 0 {
			in.Age = ptr(x.age)
		}
		if x.perp {
			in.Name = r.pick(maleNames) + " " + r.pick(familyNames)
			if r.chance(0.5) {
				s.excludeName = in.Name
			}
			if x.caregiver && s.consent != planNone {
				s.consent = planPerpOnly
			}
		}
		s.family = append(s.family, in)
	}
	if r.chance(0.05) {
		s.excludeCCN = true
	}
	return s
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}

func (d *demo) window(risk string) time.Duration {
	t0 := time.Unix(0, 0)
	if due, ok := deadline.Due(d.p, deadline.Assessment, risk, t0); ok {
		return due.Sub(t0)
	}
	return 0
}

// run makes case s for caseworker w through the domain operations, each at
// its own backdated time.
func (d *demo) run(ctx context.Context, w string, s scenario) error {
	r := d.r
	final := s.risk
	if s.newRisk != "" {
		final = s.newRisk
	}
	ago := s.regAgo
	if ago == 0 {
		ago = d.window(final) - s.dueIn
	}
	if ago < time.Hour {
		ago = time.Hour
	}
	t0 := d.now.Add(-ago)
	at := func(after time.Duration) time.Time {
		// Steps follow registration but never reach the present.
		return t0.Add(min(after, ago*9/10))
	}
	a := d.actor(w)
	sup := d.supervisorOf(w)
	wctx := d.as(ctx, w)

	given, familyName := r.pick(femaleNames), r.pick(familyNames)
	if s.sex == "male" {
		given = r.pick(maleNames)
	}
	concerns := d.concerns(s)
	reg := cases.Registration{
		Type: s.typ, ScreeningID: s.screening, GivenName: given, FamilyName: familyName, Age: ptr(s.age),
		AgeEstimated: r.chance(0.3), Sex: s.sex, RegistrationPlace: r.pick(offices), Location: r.pick(places),
		Contact:    fmt.Sprintf("07%02d %03d %03d", r.IntN(100), r.IntN(1000), r.IntN(1000)),
		CareStatus: s.care, CareArrangement: demoArrangement(s.care), Source: "community", Concerns: concerns,
		Needs: r.pick(cpNeeds), Urgent: s.urgent, RiskLevel: s.risk, RiskReason: r.pick(initialRiskReason[s.risk]),
	}
	if s.typ == profile.GBV {
		reg.Needs = r.pick(gbvNeeds)
	}
	if s.urgent {
		reg.UrgentNeeds = r.pick(urgentNeeds)
	}
	if s.referred > 0 {
		reg.ReferredOn = t0.In(d.p.Location()).AddDate(0, 0, -s.referred).Format(time.DateOnly)
		reg.Source = "agency"
	}
	if !profile.Has(d.p.CareStatuses, reg.CareStatus) {
		reg.CareStatus = ""
	}
	return d.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := cases.Register(wctx, tx, d.p, a, reg, func() string { return cases.NewCode("C") }, t0)
		if err != nil {
			return fmt.Errorf("register: %w", err)
		}
		d.sum.Cases++
		if err := d.consents(wctx, tx, c, w, sup, s, at(15*time.Minute)); err != nil {
			return err
		}
		if s.consent != planNone {
			for _, in := range s.family {
				if in.Name == "" {
					in.Name = r.pick(femaleNames) + " " + familyName
					if in.Sex == "male" {
						in.Name = r.pick(maleNames) + " " + familyName
					}
				}
				if _, err := family.Add(wctx, tx, d.p, a, c.ID, in, at(30*time.Minute)); err != nil {
					return fmt.Errorf("family: %w", err)
				}
			}
			if s.excludeName != "" {
				if _, err := consent.AddExclusion(wctx, tx, a, c.ID, consent.ExclusionInput{Kind: "person",
					Name: s.excludeName, Reason: "Alleged perpetrator"}, at(35*time.Minute)); err != nil {
					return fmt.Errorf("exclusion: %w", err)
				}
			}
			if s.excludeCCN {
				if _, err := consent.AddExclusion(wctx, tx, a, c.ID, consent.ExclusionInput{Kind: "agency",
					AgencyID: d.agency["CCN"].ID, Reason: "A relative works there"}, at(36*time.Minute)); err != nil {
					return fmt.Errorf("exclusion: %w", err)
				}
			}
		}
		if s.lowerUrgent {
			if c, err = cases.SetUrgent(wctx, tx, d.p, a, c.ID, c.Version, false, "", at(6*time.Hour)); err != nil {
				return fmt.Errorf("lower urgent: %w", err)
			}
		}
		if s.newRisk != "" {
			reason := r.pick(riskDown)
			if severity(s.newRisk) > severity(s.risk) {
				reason = r.pick(riskUp)
			}
			if c, err = cases.ChangeRisk(wctx, tx, d.p, a, c.ID, c.Version, s.newRisk, reason, at(ago/3)); err != nil {
				return fmt.Errorf("change risk: %w", err)
			}
		}
		if s.raiseUrgent {
			if _, err = cases.SetUrgent(wctx, tx, d.p, a, c.ID, c.Version, true, r.pick(urgentNeeds), d.now.Add(-2*time.Hour)); err != nil {
				return fmt.Errorf("raise urgent: %w", err)
			}
		}
		return nil
	})
}

func (d *demo) supervisorOf(w string) string {
	team := d.user[w].TeamID
	for _, l := range demoUsers {
		if l.Role == org.Supervisor && d.user[l.Username].TeamID == team {
			return l.Username
		}
	}
	return ""
}

func (d *demo) concerns(s scenario) []string {
	var out []string
	add := func(k string) {
		if profile.Has(d.p.ProtectionConcerns, k) && !contains(out, k) {
			out = append(out, k)
		}
	}
	if s.care == cases.Separated || s.care == cases.Unaccompanied {
		add("separation")
	}
	if s.typ == profile.GBV {
		add(d.r.pick([]string{"sexual_violence", "physical_violence", "emotional_abuse"}))
	} else {
		add(d.r.pick([]string{"neglect", "physical_violence", "emotional_abuse", "exploitation", "sexual_violence"}))
	}
	if len(out) == 0 && len(d.p.ProtectionConcerns) > 0 {
		out = append(out, d.p.ProtectionConcerns[0].Key)
	}
	return out
}

func demoArrangement(care string) string {
	switch care {
	case cases.Accompanied:
		return "parents"
	case cases.Separated:
		return "kinship"
	case cases.Unaccompanied:
		return "child_headed"
	}
	return ""
}

// consents records consent and assent for case c by plan s.consent.
func (d *demo) consents(ctx context.Context, tx *store.Tx, c *cases.Case, w, sup string, s scenario, t time.Time) error {
	if s.consent == planNone {
		return nil
	}
	a := d.actor(w)
	band, _ := d.p.Band(s.age)
	selfKind := consent.KindConsent
	switch band.Child {
	case profile.ChildAssent:
		selfKind = consent.KindAssent
	case profile.ChildMaturity:
		selfKind = ""
		if s.age >= 3 {
			selfKind = consent.KindAssent
		}
	case profile.ChildNone:
		selfKind = ""
	}
	caregiver := band.Caregiver == consent.KindConsent
	var scopes []string
	for _, sc := range d.p.Consent.Scopes {
		if sc.Required || s.tracing {
			scopes = append(scopes, sc.Key)
		}
	}
	share := ""
	for _, sc := range d.p.Consent.Scopes {
		if sc.Required && !sc.Gate {
			share = sc.Key
		}
	}
	add := func(scope, giver, kind, decision string) (*consent.Record, error) {
		return consent.Add(ctx, tx, d.p, a, c.ID, consent.Input{Scope: scope, Giver: giver, Kind: kind,
			Decision: decision, Method: "written", ToldMandatoryReporting: true}, t)
	}
	var withdraw *consent.Record
	for _, sc := range scopes {
		if selfKind != "" {
			dec := consent.Given
			if s.consent == planRefuseShare && sc == share && !caregiver {
				dec = consent.Refused
			}
			rec, err := add(sc, consent.Self, selfKind, dec)
			if err != nil {
				return fmt.Errorf("consent: %w", err)
			}
			if s.consent == planWithdraw && sc == share && !caregiver {
				withdraw = rec
			}
		}
		if !caregiver {
			continue
		}
		switch s.consent {
		case planOverride, planPerpOnly:
			basis := "caregiver_unavailable"
			if s.consent == planPerpOnly {
				basis = "caregiver_perpetrator"
			}
			if !contains(d.requiredScopes(), sc) {
				continue
			}
			if _, err := consent.AddOverride(d.as(ctx, sup), tx, d.p, d.actor(sup), c.ID, consent.OverrideInput{
				Scope: sc, Basis: basis, Reason: "No caregiver can safely give consent; proceeding in the child's best interests",
			}, t); err != nil {
				return fmt.Errorf("override: %w", err)
			}
		case planThirdParty:
			if _, err := add(sc, consent.ThirdParty, consent.KindConsent, consent.Given); err != nil {
				return fmt.Errorf("consent: %w", err)
			}
		default:
			dec := consent.Given
			if s.consent == planRefuseShare && sc == share {
				dec = consent.Refused
			}
			rec, err := add(sc, consent.Caregiver, consent.KindConsent, dec)
			if err != nil {
				return fmt.Errorf("consent: %w", err)
			}
			if s.consent == planWithdraw && sc == share {
				withdraw = rec
			}
		}
	}
	if withdraw != nil {
		when := d.now.Add(-20 * time.Hour)
		if when.Before(t) {
			when = t.Add(time.Minute)
		}
		if _, err := consent.Withdraw(ctx, tx, a, c.ID, withdraw.ID, withdraw.Version,
			"The family no longer wants information shared with service providers", when); err != nil {
			return fmt.Errorf("withdraw: %w", err)
		}
	}
	return nil
}

func (d *demo) requiredScopes() []string {
	var out []string
	for _, sc := range d.p.Consent.Scopes {
		if sc.Required {
			out = append(out, sc.Key)
		}
	}
	return out
}
