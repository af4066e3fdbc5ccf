package gen

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/service"
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
	Closed                         int // cases closed (and not reopened)
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
	if err := DemoDirectory(ctx, db, p, d.now); err != nil {
		return d.sum, fmt.Errorf("demo: %w", err)
	}
	if err := d.intake(ctx); err != nil {
		return d.sum, fmt.Errorf("demo: %w", err)
	}
	// Each caseworker's cases go in one transaction (a commit per case is
	// most of the time on PostgreSQL).
	if err := d.db.Tx(ctx, func(tx *store.Tx) error {
		for _, s := range aminaCaseload() {
			if err := d.run(ctx, tx, "amina", s); err != nil {
				return fmt.Errorf("amina's case %q: %w", s.label, err)
			}
		}
		return nil
	}); err != nil {
		return d.sum, fmt.Errorf("demo: %w", err)
	}
	for _, w := range []string{"joseph", "fatima", "ali", "grace", "daniel", "esther", "sara", "noor", "rose"} {
		u := d.user[w]
		gbv := d.agency["SHW"].ID == u.AgencyID
		if err := d.db.Tx(ctx, func(tx *store.Tx) error {
			for i, n := 0, 15+d.r.IntN(8); i < n; i++ {
				s := d.randomScenario(gbv)
				if err := d.run(ctx, tx, w, s); err != nil {
					return fmt.Errorf("%s's case %d: %w", w, i+1, err)
				}
			}
			for i, n := 0, 1+d.r.IntN(2); i < n; i++ {
				if err := d.run(ctx, tx, w, d.closedScenario(gbv)); err != nil {
					return fmt.Errorf("%s's closed case %d: %w", w, i+1, err)
				}
			}
			return nil
		}); err != nil {
			return d.sum, fmt.Errorf("demo: %w", err)
		}
	}
	if err := DemoIncidents(ctx, db, p, d.now); err != nil {
		return d.sum, fmt.Errorf("demo: %w", err)
	}
	if err := DemoCoordination(ctx, db, p, d.now); err != nil {
		return d.sum, fmt.Errorf("demo: %w", err)
	}
	if err := d.readOld(ctx); err != nil {
		return d.sum, fmt.Errorf("demo: %w", err)
	}
	return d.sum, nil
}

// readOld marks the notifications of more than a week ago read, as their
// users would have: the bell shows what is recent.
func (d *demo) readOld(ctx context.Context) error {
	week := d.now.AddDate(0, 0, -7)
	return d.db.Tx(ctx, func(tx *store.Tx) error {
		for _, l := range demoUsers {
			u := d.user[l.Username]
			ns, err := tx.Notifications(ctx, u.ID, 500)
			if err != nil {
				return err
			}
			var old []string
			for _, n := range ns {
				if n.CreatedAt.Before(week) {
					old = append(old, n.ID)
				}
			}
			if len(old) > 0 {
				if err := tx.MarkNotificationsRead(ctx, u.ID, old, week); err != nil {
					return err
				}
			}
		}
		return nil
	})
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
		if err := d.db.Tx(ctx, func(tx *store.Tx) error { return d.run(ctx, tx, s.by, sc2) }); err != nil {
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
	excludeName string        // a person nothing may be shared with
	excludeCCN  bool          // the family does not want Community Care Network told anything
	screening   string        // registered from this screening
	referred    int           // referred this many days before registration
	turns18In   time.Duration // the date of birth is known: the person turns 18 this long from now

	// What happened after registration: how far the case went (a stage),
	// each step at its own backdated time, pace apart, the last of them
	// lastAgo before now (registration comes pace before the first).
	stage        int
	pace         time.Duration
	lastAgo      time.Duration
	incident     bool   // a sexual-violence incident the day before the assessment: the medical-referral alert
	followUps    int    // how many follow-ups (from stageFollowed; one when zero)
	review       bool   // a review after the first follow-up
	dissatisfied bool   // the family was dissatisfied at the last follow-up: the review falls due at once
	safetyPlan   bool   // a safety plan made with the first support
	fund         bool   // an emergency fund payment with the first support
	reason       string // the closure reason (objectives met when empty)
	feedback     bool   // the supervisor has done the post-closure follow-up
}

// How far a demo case went after registration.
const (
	stageRegistered = iota
	stageAssessed   // assessed: the case plan is due
	stageSubmitted  // a high-risk plan waits for the supervisor's approval
	stageReturned   // the supervisor returned the plan with comments
	stageActive     // the plan is active and the first support given
	stageFollowed   // followed up (and perhaps reviewed)
	stageProposed   // closure proposed, waiting for the supervisor
	stageClosed     // closed, the post-closure follow-up assigned to the supervisor
	stageReopened   // closed, then reopened
)

// The operations of the lifecycle, in the order a case goes through them.
const (
	opAssess   = "assess"
	opPlan     = "plan"   // save and submit the plan
	opDecide   = "decide" // the supervisor approves or returns it
	opSupport  = "support"
	opFollowUp = "follow-up"
	opReview   = "review"
	opPropose  = "propose"
	opClose    = "close"
	opFeedback = "feedback"
	opReopen   = "reopen"
)

// ops lists the operations that take case s to its stage; final is its
// risk level at the plan's submission.
func (d *demo) ops(s scenario, final string) []string {
	if s.stage == stageRegistered {
		return nil
	}
	out := []string{opAssess}
	if s.stage == stageAssessed {
		return out
	}
	out = append(out, opPlan)
	if d.p.NeedsPlanApproval(final) && s.stage != stageSubmitted {
		out = append(out, opDecide)
	}
	if s.stage <= stageReturned {
		return out
	}
	out = append(out, opSupport)
	if s.stage >= stageFollowed {
		for i := 0; i < max(1, s.followUps); i++ {
			out = append(out, opFollowUp)
			if i == 0 && s.review {
				out = append(out, opReview)
			}
		}
	}
	if s.stage >= stageProposed {
		out = append(out, opPropose)
	}
	if s.stage >= stageClosed {
		out = append(out, opClose)
		if s.feedback {
			out = append(out, opFeedback)
		}
	}
	if s.stage == stageReopened {
		out = append(out, opReopen)
	}
	return out
}

func ptr(n int) *int { return &n }

// aminaCaseload is the demo caseworker's caseload: open cases that show
// every state the system knows, some overdue, at every step from waiting
// for the assessment to a closure waiting for the supervisor, and three
// closed cases (one reopened since).
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
		{label: "separated, tracing; plan active, fund payment", stage: stageActive, pace: 2 * day, lastAgo: 2 * day, fund: true,
			typ: profile.CP, age: 12, sex: "female", care: cases.Separated, risk: profile.Medium,
			dueIn: 2 * day, consent: planFull, tracing: true,
			family: []family.Input{{Relationship: "aunt_uncle", IsCaregiver: true, LivesWithChild: true, Alive: "alive", Sex: "female", Age: ptr(45)},
				{Relationship: "mother", Alive: "unknown", Sex: "female"}}},
		{label: "risk raised to high; plan waiting for approval", stage: stageSubmitted, pace: day, lastAgo: 5 * time.Hour,
			typ: profile.CP, age: 7, sex: "male", care: cases.Accompanied, risk: profile.Medium,
			newRisk: profile.High, regAgo: 3 * day, consent: planFull, family: []family.Input{mother, father}},
		{label: "adolescent GBV, urgent due soon", typ: profile.GBV, age: 16, sex: "female", care: cases.Accompanied,
			risk: profile.High, urgent: true, regAgo: 3 * time.Hour, consent: planFull, excludeName: "Neighbour (alleged perpetrator)",
			family: []family.Input{mother, {Relationship: "other", AllegedPerpetrator: true, Alive: "alive", Sex: "male", Name: "Neighbour (alleged perpetrator)"}}},
		{label: "toddler; followed up and reviewed", stage: stageFollowed, followUps: 2, review: true, pace: 20 * day,
			lastAgo: 6 * day, typ: profile.CP, age: 4, sex: "female", care: cases.Accompanied, risk: profile.Low,
			dueIn: 10 * day, consent: planFull, family: []family.Input{mother, father}},
		{label: "consent not yet taken", typ: profile.CP, age: 13, sex: "male", care: cases.Accompanied, risk: profile.Low,
			regAgo: 2 * time.Hour, consent: planNone},
		{label: "sharing refused", typ: profile.CP, age: 14, sex: "female", care: cases.Accompanied, risk: profile.Medium,
			dueIn: day, consent: planRefuseShare, family: []family.Input{mother}},
		{label: "sharing withdrawn", typ: profile.CP, age: 11, sex: "male", care: cases.Accompanied, risk: profile.Medium,
			dueIn: 3 * day, consent: planWithdraw, family: []family.Input{mother, father}},
		{label: "only caregiver is the alleged perpetrator; high-risk plan approved, safety plan, follow-up overdue",
			stage: stageFollowed, safetyPlan: true, pace: day, lastAgo: 4 * day, typ: profile.CP, age: 10, sex: "female", care: cases.Accompanied,
			risk: profile.High, dueIn: -4 * time.Hour, consent: planPerpOnly, excludeName: "Stepfather (alleged perpetrator)",
			family: []family.Input{{Relationship: "step_parent", IsCaregiver: true, AllegedPerpetrator: true, LivesWithChild: true,
				Alive: "alive", Sex: "male", Age: ptr(44), Name: "Stepfather (alleged perpetrator)"},
				{Relationship: "mother", Alive: "dead", Sex: "female"}}},
		{label: "urgent raised", typ: profile.CP, age: 16, sex: "male", care: cases.Accompanied, risk: profile.Medium,
			raiseUrgent: true, regAgo: 3 * day, consent: planFull, family: []family.Input{father}},
		{label: "urgent answered", typ: profile.CP, age: 8, sex: "female", care: cases.Accompanied, risk: profile.Medium,
			urgent: true, lowerUrgent: true, dueIn: 3 * day, consent: planFull, family: []family.Input{mother}},
		{label: "risk lowered; turning 18, plan active", stage: stageActive, pace: 3 * day, lastAgo: 2 * day,
			turns18In: 10 * 7 * day, typ: profile.CP, age: 17, sex: "male", care: cases.Separated, risk: profile.Medium,
			newRisk: profile.Low, dueIn: 8 * day, consent: planFull, tracing: true,
			family: []family.Input{{Relationship: "grandparent", IsCaregiver: true, LivesWithChild: true, Alive: "alive", Sex: "female", Age: ptr(66)}}},
		{label: "low risk, overdue", typ: profile.CP, age: 6, sex: "female", care: cases.Accompanied, risk: profile.Low,
			dueIn: -4 * day, consent: planFull, family: []family.Input{mother}},
		{label: "agency excluded; recent sexual violence, medical referral", stage: stageAssessed, incident: true,
			pace: day, lastAgo: 20 * time.Hour, typ: profile.GBV, age: 17, sex: "female", care: cases.Accompanied, risk: profile.Medium,
			dueIn: 5 * day, consent: planFull, excludeCCN: true, family: []family.Input{mother}},
		{label: "infant; dissatisfied at the follow-up, review due now", stage: stageFollowed, dissatisfied: true,
			pace: 4 * day, lastAgo: 20 * time.Hour, typ: profile.CP, age: 3, sex: "male", care: cases.Accompanied, risk: profile.Medium,
			dueIn: 6 * day, consent: planFull, family: []family.Input{mother}},
		{label: "high risk, registered this morning", typ: profile.CP, age: 15, sex: "female", care: cases.Accompanied,
			risk: profile.High, regAgo: 10 * time.Hour, consent: planFull, family: []family.Input{mother, father}},
		{label: "unaccompanied, trusted adult", typ: profile.CP, age: 9, sex: "male", care: cases.Unaccompanied,
			risk: profile.Medium, dueIn: 4 * day, consent: planThirdParty, tracing: true,
			family: []family.Input{{Relationship: "mother", Alive: "unknown", Sex: "female"}, {Relationship: "father", Alive: "unknown", Sex: "male"}}},
		{label: "referred by another agency; closure proposed", stage: stageProposed, followUps: 2, pace: 10 * day,
			lastAgo: day, typ: profile.CP, age: 12, sex: "female", care: cases.Accompanied,
			risk: profile.Medium, dueIn: 6 * day, referred: 2, consent: planFull, family: []family.Input{mother}},
		{label: "no risk any more", typ: profile.CP, age: 14, sex: "male", care: cases.Accompanied, risk: profile.Low,
			newRisk: profile.NoRisk, regAgo: 5 * day, consent: planFull, family: []family.Input{mother, father}},
		{label: "high-risk plan returned with comments", typ: profile.CP, age: 13, sex: "female", care: cases.Accompanied,
			risk: profile.High, consent: planFull, stage: stageReturned, pace: day, lastAgo: 10 * time.Hour,
			family: []family.Input{mother}},
		{label: "closed; post-closure follow-up due", typ: profile.CP, age: 10, sex: "male", care: cases.Accompanied,
			risk: profile.Medium, consent: planFull, stage: stageClosed, followUps: 2, pace: 12 * day, lastAgo: 40 * day,
			family: []family.Input{mother, father}},
		{label: "closed; post-closure follow-up overdue", typ: profile.CP, age: 8, sex: "female", care: cases.Accompanied,
			risk: profile.Low, consent: planFull, stage: stageClosed, pace: 10 * day, lastAgo: 95 * day,
			family: []family.Input{mother}},
		{label: "closed; feedback recorded", typ: profile.CP, age: 15, sex: "female", care: cases.Accompanied,
			risk: profile.Medium, consent: planFull, stage: stageClosed, feedback: true, pace: 8 * day, lastAgo: 3 * day,
			family: []family.Input{mother}},
		{label: "closed, then reopened", typ: profile.CP, age: 11, sex: "male", care: cases.Accompanied,
			risk: profile.Medium, consent: planFull, stage: stageReopened, pace: 10 * day, lastAgo: 2 * day,
			family: []family.Input{mother, father}},
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
	// How far the case went after registration.
	if s.consent != planNone && s.consent != planWithdraw {
		switch x := r.Float64(); {
		case x < 0.5:
		case x < 0.64:
			s.stage = stageAssessed
		case x < 0.68 && d.p.NeedsPlanApproval(final):
			s.stage = stageSubmitted
		case x < 0.81:
			s.stage = stageActive
		case x < 0.97:
			s.stage = stageFollowed
		default:
			s.stage = stageProposed
		}
	}
	if s.stage > stageRegistered {
		every := d.followUpEvery(final)
		s.pace = max(day, r.between(every/4, every*3/4))
		s.lastAgo = r.between(2*time.Hour, max(3*time.Hour, every*11/10))
		s.followUps = 1 + r.IntN(2)
		s.review = r.chance(0.25)
		s.dissatisfied = r.chance(0.04)
		s.safetyPlan = s.typ == profile.GBV && r.chance(0.3)
		s.fund = r.chance(0.08)
		s.lowerUrgent = s.urgent // answered since
	}
	return s
}

// closedScenario draws a closed case for one of the other caseworkers: it
// went through every step within the last six months.
func (d *demo) closedScenario(gbvAgency bool) scenario {
	r := d.r
	const day = 24 * time.Hour
	s := d.randomScenario(gbvAgency)
	s.newRisk, s.consent, s.tracing = "", planFull, s.care == cases.Separated || s.care == cases.Unaccompanied
	for i := range s.family {
		if s.family[i].AllegedPerpetrator && s.family[i].IsCaregiver {
			s.consent = planPerpOnly
		}
	}
	if s.care == cases.Unaccompanied {
		s.consent = planThirdParty
	}
	s.stage, s.pace, s.lastAgo = stageClosed, r.between(4*day, 10*day), r.between(2*day, 70*day)
	s.followUps, s.review, s.dissatisfied = 1+r.IntN(2), r.chance(0.2), false
	s.feedback = r.chance(0.6)
	s.urgent, s.lowerUrgent, s.raiseUrgent = false, false, false
	if x := r.Float64(); x < 0.12 {
		s.reason = closure.Declined
	} else if x < 0.2 {
		s.reason = closure.LeftArea
	}
	return s
}

// followUpEvery returns the follow-up timeline at risk level risk.
func (d *demo) followUpEvery(risk string) time.Duration {
	t0 := time.Unix(0, 0)
	if due, ok := deadline.Due(d.p, deadline.FollowUp, risk, t0); ok {
		return due.Sub(t0)
	}
	return 14 * 24 * time.Hour
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

// run makes case s for caseworker w in tx through the domain operations,
// each at its own backdated time.
func (d *demo) run(ctx context.Context, tx *store.Tx, w string, s scenario) error {
	r := d.r
	final := s.risk
	if s.newRisk != "" {
		final = s.newRisk
	}
	ago := s.regAgo
	if ago == 0 {
		ago = d.window(final) - s.dueIn
	}
	ops := d.ops(s, final)
	var times []time.Time
	if len(ops) > 0 {
		// The steps after registration, pace apart, the last lastAgo before now.
		pace := max(s.pace, 24*time.Hour)
		last := d.now.Add(-max(s.lastAgo, time.Hour))
		for i := range ops {
			times = append(times, last.Add(-time.Duration(len(ops)-1-i)*pace))
		}
		ago = d.now.Sub(times[0].Add(-pace))
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
	if s.turns18In != 0 {
		reg.DateOfBirth = d.now.Add(s.turns18In).In(d.p.Location()).AddDate(-d.p.AdultAge, 0, 0).Format(time.DateOnly)
		reg.AgeEstimated = false
	}
	riskAt := at(ago / 3)
	if len(times) > 0 {
		riskAt = times[0].Add(-time.Hour) // before the assessment
	}
	{
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
			if c, err = cases.ChangeRisk(wctx, tx, d.p, a, c.ID, c.Version, s.newRisk, reason, riskAt); err != nil {
				return fmt.Errorf("change risk: %w", err)
			}
		}
		if err := d.lifecycle(ctx, tx, w, sup, c.ID, s, ops, times); err != nil {
			return err
		}
		if s.raiseUrgent {
			if c, err = tx.Case(ctx, c.ID); err != nil {
				return err
			}
			if _, err = cases.SetUrgent(wctx, tx, d.p, a, c.ID, c.Version, true, r.pick(urgentNeeds), d.now.Add(-2*time.Hour)); err != nil {
				return fmt.Errorf("raise urgent: %w", err)
			}
		}
		return nil
	}
}

// lifecycle takes case caseID of caseworker w (supervisor sup) through ops,
// each at its time, by the domain operations: the assessment, the case plan
// and the supervisor's decision on it, the first support, follow-ups and a
// review, the closure proposal, its approval, the post-closure follow-up and
// a reopening.
func (d *demo) lifecycle(ctx context.Context, tx *store.Tx, w, sup, caseID string, s scenario, ops []string, times []time.Time) error {
	p, r := d.p, d.r
	a, sa := d.actor(w), d.actor(sup)
	wctx, sctx := d.as(ctx, w), d.as(ctx, sup)
	var items []needItem
	var pl *plan.Plan
	active := func() (*plan.Plan, error) {
		ps, err := tx.Plans(ctx, caseID)
		if err != nil {
			return nil, err
		}
		if x := plan.ActiveOf(ps); x != nil {
			return x, nil
		}
		return nil, errors.New("no active plan")
	}
	followUps := 0
	for i, op := range ops {
		t := times[i]
		today := p.Today(t)
		c, err := tx.Case(ctx, caseID)
		if err != nil {
			return err
		}
		switch op {
		case opAssess:
			pool := cpNeedItems
			if c.Type == profile.GBV {
				pool = gbvNeedItems
			}
			first := r.IntN(len(pool))
			items = []needItem{pool[first]}
			if r.chance(0.5) {
				items = append(items, pool[(first+1+r.IntN(len(pool)-1))%len(pool)])
			}
			in := assessment.Input{Kind: assessment.Initial, AssessedOn: today, InterviewedChild: true,
				Domains:           assessment.Domains{Situation: "Seen at home with the caregiver; " + strings.ToLower(items[0].need) + " is the first concern"},
				ProtectiveFactors: "A caring relative nearby; attends the child-friendly space",
				RiskLevel:         c.RiskLevel, RiskReason: r.pick(initialRiskReason[c.RiskLevel]), Version: c.Version}
			if c.AgeYears != nil && *c.AgeYears < 4 {
				in.InterviewedChild, in.NotInterviewedWhy = false, "Too young to be interviewed; observed with the caregiver"
			}
			if in.RiskReason == "" {
				in.RiskReason = "No protection risk found"
			}
			for j, it := range items {
				n := assessment.NeedInput{Domain: it.domain, Description: it.need, Met: assessment.MetNot, Priority: "high", Essential: j == 0}
				if j > 0 {
					n.Met, n.Priority = assessment.MetPartly, "medium"
				}
				in.Needs = append(in.Needs, n)
			}
			if s.incident {
				kind := ""
				for _, o := range p.IncidentTypes[c.Type] {
					if kind == "" && p.IsSexualIncident(o.Key) {
						kind = o.Key
					}
				}
				occurred := t.Add(-30 * time.Hour).In(p.Location())
				in.Threats = append(in.Threats, assessment.ThreatInput{IncidentType: kind, Location: "On the way back from the market",
					Frequency: "Once", Perpetrator: "stranger", OccurredOn: occurred.Format(time.DateOnly),
					OccurredTime: occurred.Format("15:04"), Notes: "Disclosed at the assessment"})
			}
			if _, err := assessment.Record(wctx, tx, p, a, caseID, in, t); err != nil {
				return fmt.Errorf("assessment: %w", err)
			}
		case opPlan:
			needs, err := tx.Needs(ctx, caseID)
			if err != nil {
				return err
			}
			in := plan.Input{MeetingOn: p.Today(t.Add(-time.Hour)), ChildViews: "Wants to feel safe and go back to school",
				Participants: []plan.Participant{{Role: "child"}, {Role: "caseworker", Name: d.user[w].DisplayName}}}
			if c.AgeYears != nil && *c.AgeYears < p.AdultAge {
				in.Participants = append(in.Participants, plan.Participant{Role: "caregiver"})
			}
			for j, n := range needs {
				it := items[min(j, len(items)-1)]
				kind, who := "direct", "caseworker"
				if it.referral {
					kind, who = "referral", "provider"
				}
				in.Objectives = append(in.Objectives, plan.ObjectiveInput{NeedID: n.ID, Description: it.objective,
					Measure: it.measure, DueOn: p.Today(t.AddDate(0, 0, 60))})
				in.Actions = append(in.Actions, plan.ActionInput{Objective: j + 1, What: it.action, Kind: kind, Who: who,
					DueOn: p.Today(t.AddDate(0, 0, 14)), Horizon: "short"})
			}
			if pl, err = plan.Save(wctx, tx, p, a, caseID, in, t.Add(-time.Hour)); err != nil {
				return fmt.Errorf("plan: %w", err)
			}
			if pl, err = plan.Submit(wctx, tx, p, a, caseID, pl.ID, pl.Version, t); err != nil {
				return fmt.Errorf("submit plan: %w", err)
			}
		case opDecide:
			if s.stage == stageReturned {
				pl, err = plan.Return(sctx, tx, p, sa, caseID, pl.ID, pl.Version,
					"Please add an action for the caregiver's safety and a date for the case conference", t)
			} else {
				pl, err = plan.Approve(sctx, tx, p, sa, caseID, pl.ID, pl.Version, t)
			}
			if err != nil {
				return fmt.Errorf("plan decision: %w", err)
			}
		case opSupport:
			act, err := active()
			if err != nil {
				return err
			}
			first := act.Actions[0]
			typ := "information"
			for _, it := range items {
				if it.action == first.What && profile.Has(p.DirectServiceTypes, it.service) {
					typ = it.service
				}
			}
			if _, err := service.Give(wctx, tx, p, a, caseID, service.ServiceInput{ServiceType: typ, GivenOn: today,
				Description: first.What, ActionID: first.ID}, t); err != nil {
				return fmt.Errorf("service: %w", err)
			}
			if s.safetyPlan {
				if _, err := service.SaveSafetyPlan(wctx, tx, p, a, caseID, service.SafetyInput{
					Concern: r.pick(safetyConcerns), CurrentStrategies: "Stays with her sister when he drinks; it has helped",
					Unsafe: "The road to the market after dark", Avoidance: "Goes with neighbours in daylight",
					Emergency: "Her sister; the women's centre; the health post", Resources: "Savings group",
					ReviewOn: p.Today(t.AddDate(0, 0, 30))}, t.Add(time.Hour)); err != nil {
					return fmt.Errorf("safety plan: %w", err)
				}
			}
			if s.fund {
				var crit []string
				for _, k := range p.EmergencyFund.Criteria {
					crit = append(crit, k.Key)
				}
				purpose := "transport"
				if !profile.Has(p.EmergencyFund.Purposes, purpose) && len(p.EmergencyFund.Purposes) > 0 {
					purpose = p.EmergencyFund.Purposes[0].Key
				}
				if _, err := service.Disburse(wctx, tx, p, a, caseID, service.FundInput{Amount: 45, Purpose: purpose,
					Criteria: crit, PaidOn: today, Notes: "Transport to the health centre for the child and the caregiver"},
					t.Add(2*time.Hour)); err != nil {
					return fmt.Errorf("fund: %w", err)
				}
			}
		case opFollowUp:
			act, err := active()
			if err != nil {
				return err
			}
			followUps++
			last := followUps == max(1, s.followUps)
			in := followup.Input{Mode: followup.HomeVisit, Contacts: []string{"child", "caregiver"}, HappenedOn: today,
				Seen: true, Safety: followup.Safe, RiskLevel: c.RiskLevel, Notes: r.pick(followUpNotes), Version: c.Version}
			for _, o := range act.Objectives {
				status := plan.InProgress
				if last && s.stage >= stageProposed {
					status = plan.Met
				}
				in.Progress = append(in.Progress, followup.Progress{ObjectiveID: o.ID, Status: status, Note: "Going as planned"})
			}
			if last && s.dissatisfied {
				in.Dissatisfied = true
				in.Notes = "The caregiver is unhappy that the referral has not been taken up"
			}
			if _, err := followup.Record(wctx, tx, p, a, caseID, in, t); err != nil {
				return fmt.Errorf("follow-up: %w", err)
			}
		case opReview:
			act, err := active()
			if err != nil {
				return err
			}
			in := followup.ReviewInput{ReviewedOn: today, Trigger: "scheduled", ChildParticipated: true,
				Participation: "Took part in the review meeting with the caregiver", RiskLevel: c.RiskLevel, Version: c.Version}
			for _, o := range act.Objectives {
				in.Evaluation = append(in.Evaluation, followup.Evaluation{ObjectiveID: o.ID, Status: plan.InProgress,
					Effectiveness: followup.Effective})
			}
			if _, err := followup.RecordReview(wctx, tx, p, a, caseID, in, t); err != nil {
				return fmt.Errorf("review: %w", err)
			}
		case opPropose:
			in := closure.ProposeInput{Reason: s.reason}
			switch s.reason {
			case "", closure.ObjectivesMet:
				in.Reason, in.Confirmations = closure.ObjectivesMet, closure.Confirmations
			default:
				in.Explanation = r.pick(closureExplanations[s.reason])
			}
			if _, err := closure.Propose(wctx, tx, p, a, caseID, c.Version, in, t); err != nil {
				return fmt.Errorf("propose closure: %w", err)
			}
		case opClose:
			if _, err := closure.Approve(sctx, tx, p, sa, caseID, c.Version, "", t); err != nil {
				return fmt.Errorf("approve closure: %w", err)
			}
			d.sum.Closed++
		case opFeedback:
			answers := map[string]string{}
			for _, q := range p.FeedbackQuestions {
				answers[q.Key] = closure.Yes
			}
			if _, err := closure.RecordFeedback(sctx, tx, p, sa, caseID, closure.FeedbackInput{Answers: answers,
				ChildSafe: closure.Safe, FollowedUpOn: today}, t); err != nil {
				return fmt.Errorf("feedback: %w", err)
			}
		case opReopen:
			if _, err := closure.Reopen(wctx, tx, p, a, caseID, c.Version,
				"The caregiver came back: the child is out of school again and there are new concerns at home", t); err != nil {
				return fmt.Errorf("reopen: %w", err)
			}
			d.sum.Closed--
		}
	}
	return nil
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
