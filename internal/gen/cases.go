package gen

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// caseGen makes one synthetic case after another, in registration order.
type caseGen struct {
	r     *rnd
	p     *profile.Profile
	org   *synthOrg
	now   time.Time
	loc   *time.Location
	codes map[string]struct{}

	supervisor map[string]string // team ID -> its supervisor's ID

	concernsCP, concernsGBV choice
	sources                 choice
	required                []string // required consent scopes, in profile order
	tracing                 []string // scopes not required (disclosure for tracing)
	gate                    string   // the scope without which nothing beyond registration is recorded
	share                   string   // a required scope other than the gate: some cases lack it
	noRisk                  bool     // the profile knows the no_risk level
	statuses                []string // care statuses the profile knows, of accompanied, separated, unaccompanied
	arrangement             func(status string) string
}

func newCaseGen(r *rnd, p *profile.Profile, o *synthOrg, now time.Time, existing []string) *caseGen {
	g := &caseGen{r: r, p: p, org: o, now: now, loc: p.Location(), codes: make(map[string]struct{}, len(existing)),
		supervisor: map[string]string{}}
	for _, c := range existing {
		g.codes[c] = struct{}{}
	}
	for _, u := range o.users {
		if u.Role == org.Supervisor {
			g.supervisor[u.TeamID] = u.ID
		}
	}
	g.concernsCP = profileChoice(p.ProtectionConcerns, map[string]float64{
		"neglect": 5, "physical_violence": 5, "emotional_abuse": 4, "separation": 3, "exploitation": 2,
		"sexual_violence": 2, "child_marriage": 1.5, "mental_distress": 1.5, "disability": 1, "caafag": 0.5,
		"trafficking": 0.5, "detention": 0.5, "other": 0.5})
	g.concernsGBV = profileChoice(p.ProtectionConcerns, map[string]float64{
		"sexual_violence": 5, "physical_violence": 5, "emotional_abuse": 4, "mental_distress": 2,
		"child_marriage": 1, "exploitation": 1, "trafficking": 0.3, "other": 0.5})
	g.sources = profileChoice(p.IdentificationSources, map[string]float64{
		"community": 30, "family": 20, "self": 15, "professional": 15, "agency": 10, "outreach": 10, "other": 1})
	for _, s := range p.Consent.Scopes {
		if s.Required {
			g.required = append(g.required, s.Key)
			if !s.Gate && g.share == "" {
				g.share = s.Key
			}
		} else {
			g.tracing = append(g.tracing, s.Key)
		}
	}
	// The last required scope that is not the gate is the one families most
	// often hold back (sharing with service providers in the default profile).
	for _, k := range g.required {
		if k != p.GateScope() {
			g.share = k
		}
	}
	g.gate = p.GateScope()
	g.noRisk = profile.Has(p.RiskLevels, profile.NoRisk)
	for _, s := range []string{cases.Accompanied, cases.Separated, cases.Unaccompanied} {
		if profile.Has(p.CareStatuses, s) {
			g.statuses = append(g.statuses, s)
		}
	}
	has := func(k string) bool { return profile.Has(p.CareArrangements, k) }
	g.arrangement = func(status string) string {
		var opts []string
		switch status {
		case cases.Accompanied:
			opts = []string{"parents", "parents", "parents", "kinship"}
		case cases.Separated:
			opts = []string{"kinship", "kinship", "kinship", "foster", "unrelated_adult", "residential"}
		case cases.Unaccompanied:
			opts = []string{"child_headed", "independent", "none", "residential"}
		}
		k := ""
		if len(opts) > 0 {
			k = g.r.pick(opts)
		}
		if !has(k) {
			return ""
		}
		return k
	}
	return g
}

// profileChoice keeps the weighted keys the profile knows; when it knows none
// of them, every profile option counts the same.
func profileChoice(opts []profile.Option, weights map[string]float64) choice {
	var c choice
	for _, o := range opts {
		if w, ok := weights[o.Key]; ok {
			c.keys, c.weights = append(c.keys, o.Key), append(c.weights, w)
		}
	}
	if len(c.keys) == 0 {
		for _, o := range opts {
			c.keys, c.weights = append(c.keys, o.Key), append(c.weights, 1)
		}
	}
	return c
}

// window returns the assessment timeline for risk level risk.
func (g *caseGen) window(risk string) time.Duration {
	t0 := time.Unix(0, 0)
	if due, ok := deadline.Due(g.p, deadline.Assessment, risk, t0); ok {
		return due.Sub(t0)
	}
	return 14 * 24 * time.Hour
}

// newCode draws a case code not yet used.
func (g *caseGen) newCode() string {
	for {
		c := g.r.code("C")
		if _, taken := g.codes[c]; !taken {
			g.codes[c] = struct{}{}
			return c
		}
	}
}

// person is a family member in the making.
type person struct {
	rel                        string
	caregiver, perp, livesWith bool
	alive, sex                 string
	age                        int
}

// write generates case s and buffers all its rows in b.
func (g *caseGen) write(ctx context.Context, b *store.Bulk, s spec, sum *Summary) error {
	r, p := g.r, g.p
	w := g.org.workers[s.worker]
	created := s.created
	later := func(d time.Duration) time.Time {
		t := created.Add(d)
		if t.After(g.now) {
			return g.now
		}
		return t
	}

	typ := profile.CP
	if r.chance(0.4) {
		typ = profile.GBV
	}
	var age int
	sex := "female"
	if typ == profile.CP {
		age = []int{0, 2, 4, 6, 8, 10, 12, 13, 14, 15, 16, 17}[r.weighted([]float64{2, 3, 4, 6, 7, 8, 9, 9, 10, 10, 10, 9})]
		if age < 17 && r.chance(0.5) {
			age++
		}
		if r.chance(0.48) {
			sex = "male"
		}
	} else {
		if r.chance(0.85) {
			age = min(70, 18+int(r.ExpFloat64()*9))
		} else {
			age = 12 + r.IntN(6)
		}
		if r.chance(0.05) {
			sex = "male"
		}
	}
	adult := age >= p.AdultAge

	careStatus := ""
	if !adult && len(g.statuses) > 0 {
		switch x := r.Float64(); {
		case typ == profile.CP && x < 0.10:
			careStatus = cases.Unaccompanied
		case typ == profile.CP && x < 0.25, typ == profile.GBV && x < 0.08:
			careStatus = cases.Separated
		default:
			careStatus = cases.Accompanied
		}
		if !profile.Has(p.CareStatuses, careStatus) {
			careStatus = g.statuses[0]
		}
	}
	priority := careStatus == cases.Separated || careStatus == cases.Unaccompanied

	// Registration: most cases are entered as they are registered; some come
	// from paper days later and run their deadlines from the day itself.
	registeredAt := created
	if r.chance(0.1) {
		day := created.In(g.loc).AddDate(0, 0, -1-r.IntN(5)).Format(time.DateOnly)
		registeredAt = p.DayStart(day, created)
	}
	registeredOn := registeredAt.In(g.loc).Format(time.DateOnly)
	// For an open case s.risk is the level now; a few were registered at
	// another level and changed since. For a closed case it is the level at
	// registration.
	initial := riskOrder[s.risk]
	var riskChangedAt time.Time
	if s.open && g.now.Sub(created) > 2*time.Hour && r.chance(0.15) {
		initial = riskOrder[(int(s.risk)+1+r.IntN(2))%3]
		riskChangedAt = created.Add(r.between(time.Hour, g.now.Sub(created)))
	}
	referredAt := registeredAt
	if r.chance(0.6) {
		back := 8
		switch initial {
		case profile.High:
			back = 1
		case profile.Medium:
			back = 4
		}
		day := registeredAt.In(g.loc).AddDate(0, 0, -r.IntN(back+1)).Format(time.DateOnly)
		if t := p.DayStart(day, created); t.Before(referredAt) {
			referredAt = t
		}
	}

	c := &cases.Case{
		ID: r.id(created), Code: g.newCode(), Type: typ, AgencyID: w.agencyID, TeamID: w.teamID, CaseworkerID: w.id,
		Status: cases.Open, Step: cases.StepAssessment, RiskLevel: initial, Priority: priority,
		CareStatus: careStatus, CareArrangement: g.arrangement(careStatus), Sex: sex, AgeYears: &age,
		RegisteredOn: registeredOn, RegistrationPlace: r.pick(offices), ReferredAt: referredAt, RegisteredAt: registeredAt,
		Source: g.sources.keys[r.weighted(g.sources.weights)], CreatedBy: w.id, CreatedAt: created,
		UpdatedBy: w.id, UpdatedAt: created, Version: 1,
	}
	touch := func(t time.Time) {
		c.Version++
		if t.After(c.UpdatedAt) {
			c.UpdatedAt = t
		}
	}
	concerns := g.concernsCP
	needs := cpNeeds
	if typ == profile.GBV {
		concerns, needs = g.concernsGBV, gbvNeeds
	}
	seen := map[string]bool{}
	if priority && profile.Has(p.ProtectionConcerns, "separation") {
		c.Concerns, seen["separation"] = append(c.Concerns, "separation"), true
	}
	want := len(c.Concerns) + 1 + r.IntN(2)
	for tries := 0; len(c.Concerns) < want && tries < 20; tries++ {
		if k := concerns.keys[r.weighted(concerns.weights)]; !seen[k] {
			seen[k] = true
			c.Concerns = append(c.Concerns, k)
		}
	}
	c.Details.Needs = r.pick(needs)
	if r.chance(0.4) {
		c.Details.Needs += "; " + r.pick(needs)
	}

	// Identity, with a few people declining to give a contact or a name.
	female := sex == "female"
	id := &cases.Identity{FamilyName: r.pick(familyNames), Location: r.pick(places)}
	if female {
		id.GivenName = r.pick(femaleNames)
	} else {
		id.GivenName = r.pick(maleNames)
	}
	if r.chance(0.55) {
		regDay, _ := time.Parse(time.DateOnly, registeredOn)
		dob := regDay.AddDate(-age, 0, -r.IntN(365))
		if cases.YearsBetween(dob, regDay) == age {
			id.DateOfBirth = dob.Format(time.DateOnly)
		}
	} else {
		c.AgeEstimated = r.chance(0.5)
	}
	switch x := r.Float64(); {
	case x < 0.01:
		c.Declined = []string{"name"}
		id.GivenName, id.FamilyName = "", ""
	case x < 0.04:
		c.Declined = []string{"contact"}
	}
	if !c.Declines("contact") {
		id.Contact = fmt.Sprintf("07%02d %03d %03d", r.IntN(100), r.IntN(1000), r.IntN(1000))
	}

	var closedAt time.Time
	if !s.open {
		closedAt = created.Add(r.between(30*24*time.Hour, 270*24*time.Hour))
		if lim := g.now.Add(-24 * time.Hour); closedAt.After(lim) {
			closedAt = lim
		}
	}

	// Urgent needs: a response within the profile's window, then the flag is lowered.
	urgentAtReg := r.chance(0.08) || (s.open && r.chance(0.05))
	var urgentDone time.Time
	if urgentAtReg {
		c.Urgent = true
		c.Details.UrgentNeeds = r.pick(urgentNeeds)
		if !s.open || (g.now.Sub(created) > 36*time.Hour && r.chance(0.85)) {
			urgentDone = later(r.between(2*time.Hour, 30*time.Hour))
		}
	}
	regDetail, err := json.Marshal(map[string]any{"risk": initial, "urgent": c.Urgent, "declined": c.Declined})
	if err != nil {
		return err
	}

	// Risk history: the level at registration, then perhaps a change.
	risks := []cases.RiskChange{{ID: r.id(created), CaseID: c.ID, To: initial,
		Reason: r.pick(initialRiskReason[initial]), ChangedBy: w.id, ChangedAt: created}}
	var assessmentDone time.Time
	assessRisk := initial
	if s.open {
		if !riskChangedAt.IsZero() {
			to := riskOrder[s.risk]
			risks = append(risks, g.riskChange(c.ID, w.id, initial, to, riskChangedAt))
			c.RiskLevel, assessRisk = to, to // the open assessment moved with it
			touch(riskChangedAt)
		}
	} else {
		win := g.window(initial)
		assessmentDone = created.Add(r.exp(win / 2))
		if lim := closedAt.Add(-time.Hour); assessmentDone.After(lim) {
			assessmentDone = lim
		}
		to := ""
		switch x := r.Float64(); {
		case x < 0.45:
			to = profile.Low
			if initial == profile.Low || (g.noRisk && r.chance(0.5)) {
				to = profile.NoRisk
			}
		case x < 0.55 && initial != profile.High:
			to = profile.High
		}
		if to != "" && to != initial && (to != profile.NoRisk || g.noRisk) {
			at := assessmentDone.Add(r.between(0, closedAt.Sub(assessmentDone)))
			risks = append(risks, g.riskChange(c.ID, w.id, initial, to, at))
			c.RiskLevel = to
			touch(at)
		}
	}

	// Deadlines, as Register, ChangeRisk, SetUrgent and Withdraw leave them.
	var ds []deadline.Deadline
	addDeadline := func(k deadline.Kind, risk string, anchor, done, at time.Time) {
		due, ok := deadline.Due(p, k, risk, anchor)
		if !ok {
			return
		}
		d := deadline.Deadline{ID: r.id(at), CaseID: c.ID, Kind: k, AnchorAt: anchor, DueAt: due, AssigneeID: w.id,
			TeamID: w.teamID, AgencyID: w.agencyID, DoneAt: done, CreatedAt: at}
		if !done.IsZero() {
			d.DoneBy = w.id
		}
		ds = append(ds, d)
	}
	addDeadline(deadline.Registration, initial, referredAt, registeredAt, created)
	addDeadline(deadline.Assessment, assessRisk, registeredAt, assessmentDone, created)
	if urgentAtReg {
		addDeadline(deadline.UrgentResponse, initial, created, urgentDone, created)
		if !urgentDone.IsZero() {
			c.Urgent = false
			touch(urgentDone)
		}
	}

	// Family and consent.
	people := g.family(typ, age, careStatus)
	recs, overrides := g.consents(c, w, people, age, later)
	if s.open && g.share != "" && g.now.Sub(created) > 48*time.Hour && r.chance(0.015) {
		for i := range recs {
			if rec := &recs[i]; rec.Scope == g.share && rec.Giver == consent.Self && rec.Active() {
				at := created.Add(r.between(24*time.Hour, g.now.Sub(created)))
				rec.WithdrawnAt, rec.WithdrawnBy, rec.Version = at, w.id, 2
				rec.WithdrawalReason = "Asked that nothing more be shared with other agencies"
				addDeadline(deadline.ConsentWithdrawn, c.RiskLevel, at, time.Time{}, at)
				break
			}
		}
	}
	if !s.open {
		c.Status, c.Step = cases.Closed, cases.StepClosure
		touch(closedAt)
	}
	for _, d := range ds {
		if d.Open() && (c.NextDueAt.IsZero() || d.DueAt.Before(c.NextDueAt)) {
			c.NextDueAt = d.DueAt
		}
	}

	if err := b.Case(ctx, c, id); err != nil {
		return err
	}
	for i := range risks {
		b.RiskChange(&risks[i])
	}
	familyAt := later(20 * time.Minute)
	var perpName string
	for _, x := range people {
		name := r.pick(familyNames)
		if x.rel != "partner" && x.rel != "other" && r.chance(0.7) {
			name = id.FamilyName
		}
		if x.sex == "female" {
			name = r.pick(femaleNames) + " " + name
		} else {
			name = r.pick(maleNames) + " " + name
		}
		pa := x.age
		pp := &cases.Person{ID: r.id(familyAt), CaseID: c.ID, Relationship: x.rel, IsCaregiver: x.caregiver,
			AllegedPerpetrator: x.perp, Alive: x.alive, LivesWithChild: x.livesWith, Sex: x.sex,
			CreatedBy: w.id, CreatedAt: familyAt, UpdatedAt: familyAt, Version: 1, Name: name}
		if x.age > 0 {
			pp.AgeYears = &pa
		}
		if x.perp {
			perpName = name
		} else if x.alive != "dead" && r.chance(0.5) {
			pp.Contact = fmt.Sprintf("07%02d %03d %03d", r.IntN(100), r.IntN(1000), r.IntN(1000))
		}
		b.Person(pp)
	}
	for i := range recs {
		b.Consent(&recs[i])
	}
	for i := range overrides {
		b.Override(&overrides[i])
	}
	if perpName != "" && r.chance(0.3) {
		at := later(25 * time.Minute)
		b.Exclusion(&consent.Exclusion{ID: r.id(at), CaseID: c.ID, Kind: "person", Name: perpName,
			Reason: "Alleged perpetrator", AddedBy: w.id, AddedAt: at})
	} else if len(g.org.agencies) > 1 && r.chance(0.01) {
		at := later(25 * time.Minute)
		other := g.org.agencies[r.IntN(len(g.org.agencies))]
		if other.ID != c.AgencyID {
			b.Exclusion(&consent.Exclusion{ID: r.id(at), CaseID: c.ID, Kind: "agency", AgencyID: other.ID,
				Reason: "A relative works there", AddedBy: w.id, AddedAt: at})
		}
	}
	for i := range ds {
		b.Deadline(&ds[i])
	}
	if err := b.Audit(audit.Event{ID: r.id(created), At: created, ActorID: w.id, ActorRole: string(org.Caseworker),
		Action: "case.register", RecordType: "case", RecordID: c.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(regDetail)}); err != nil {
		return err
	}

	sum.Cases++
	sum.Events++
	if s.open {
		sum.Open++
		if c.Urgent {
			sum.Urgent++
		}
		if c.Priority {
			sum.Priority++
		}
		if !c.NextDueAt.IsZero() && c.NextDueAt.Before(g.now) {
			sum.Overdue++
		}
	}
	return nil
}

func (g *caseGen) riskChange(caseID, by, from, to string, at time.Time) cases.RiskChange {
	reason := g.r.pick(riskDown)
	if severity(to) > severity(from) {
		reason = g.r.pick(riskUp)
	}
	return cases.RiskChange{ID: g.r.id(at), CaseID: caseID, From: from, To: to, Reason: reason, ChangedBy: by, ChangedAt: at}
}

func severity(level string) int {
	switch level {
	case profile.High:
		return 3
	case profile.Medium:
		return 2
	case profile.Low:
		return 1
	}
	return 0
}

// family returns the family members recorded for a case.
func (g *caseGen) family(typ string, age int, careStatus string) []person {
	return familyOf(g.r, g.p, typ, age, careStatus)
}

// familyOf draws the family members of a child or survivor: parents and
// siblings, the carers of a separated child, an alleged perpetrator in some
// cases (for a few children, their only caregiver).
func familyOf(r *rnd, p *profile.Profile, typ string, age int, careStatus string) []person {
	var out []person
	add := func(x person) {
		if profile.Has(p.Relationships, x.rel) {
			out = append(out, x)
		}
	}
	parentAge := func() int { return age + 18 + r.IntN(22) }
	if age >= p.AdultAge {
		if r.chance(0.55) {
			add(person{rel: "partner", perp: true, alive: "alive", livesWith: r.chance(0.4), sex: "male", age: age + r.IntN(12)})
		}
		if r.chance(0.3) {
			add(person{rel: "mother", alive: "alive", sex: "female", age: age + 20 + r.IntN(15)})
		}
		return out
	}
	switch careStatus {
	case cases.Unaccompanied:
		add(person{rel: "mother", alive: r.pick([]string{"unknown", "unknown", "dead", "alive"}), sex: "female", age: parentAge()})
		if r.chance(0.6) {
			add(person{rel: "father", alive: r.pick([]string{"unknown", "dead", "alive"}), sex: "male", age: parentAge() + 3})
		}
	case cases.Separated:
		add(person{rel: r.pick([]string{"aunt_uncle", "grandparent", "other_relative"}), caregiver: true, alive: "alive",
			livesWith: true, sex: r.pick([]string{"female", "female", "male"}), age: parentAge() + 10})
		add(person{rel: "mother", alive: r.pick([]string{"unknown", "alive", "dead"}), sex: "female", age: parentAge()})
	default:
		switch x := r.Float64(); {
		case typ == profile.CP && x < 0.06:
			// The only caregiver is the alleged perpetrator: caregiver consent is not sought.
			add(person{rel: "step_parent", caregiver: true, perp: true, alive: "alive", livesWith: true, sex: "male", age: parentAge()})
			add(person{rel: "mother", alive: r.pick([]string{"dead", "unknown"}), sex: "female", age: parentAge()})
		case typ == profile.CP && x < 0.12:
			add(person{rel: "mother", caregiver: true, alive: "alive", livesWith: true, sex: "female", age: parentAge()})
			add(person{rel: "father", perp: true, alive: "alive", sex: "male", age: parentAge() + 4})
		default:
			add(person{rel: "mother", caregiver: true, alive: "alive", livesWith: true, sex: "female", age: parentAge()})
			if r.chance(0.55) {
				add(person{rel: "father", caregiver: r.chance(0.7), alive: "alive", livesWith: r.chance(0.8), sex: "male", age: parentAge() + 4})
			}
			if typ == profile.GBV && r.chance(0.3) {
				add(person{rel: "other", perp: true, alive: "alive", sex: "male", age: age + 5 + r.IntN(20)})
			}
		}
		if r.chance(0.4) {
			add(person{rel: "sibling", alive: "alive", livesWith: true, sex: r.pick([]string{"female", "male"}), age: max(1, age+r.IntN(9)-4)})
		}
	}
	return out
}

// consents returns the consent and assent records (and any supervisor
// overrides) taken at registration, by the profile's age bands: the child's
// assent or consent, a caregiver's consent while the child is a minor.
func (g *caseGen) consents(c *cases.Case, w worker, people []person, age int, later func(time.Duration) time.Time) ([]consent.Record, []consent.Override) {
	r, p := g.r, g.p
	at := later(10 * time.Minute)
	band, ok := p.Band(age)
	if !ok {
		return nil, nil
	}
	selfKind := ""
	switch band.Child {
	case profile.ChildConsent:
		selfKind = consent.KindConsent
	case profile.ChildAssent:
		selfKind = consent.KindAssent
	case profile.ChildAssentOrConsent:
		selfKind = consent.KindAssent
		if r.chance(0.5) {
			selfKind = consent.KindConsent
		}
	case profile.ChildMaturity:
		if age >= 3 && r.chance(0.6) {
			selfKind = consent.KindAssent
		}
	}
	// Who speaks for a minor: a caregiver who is not the alleged perpetrator,
	// else a trusted third party, else the supervisor overrides.
	careGiver, overrideBasis := "", ""
	if band.Caregiver == consent.KindConsent {
		careGiver = consent.ThirdParty
		for _, x := range people {
			if x.caregiver && !x.perp {
				careGiver = consent.Caregiver
				if x.rel == "guardian" {
					careGiver = consent.Guardian
				}
				break
			}
		}
		if careGiver == consent.ThirdParty && r.chance(0.5) {
			careGiver, overrideBasis = "", "caregiver_unavailable"
			for _, x := range people {
				if x.caregiver && x.perp {
					overrideBasis = "caregiver_perpetrator"
				}
			}
		}
	}
	scopes := g.required
	if c.Priority {
		scopes = append(append([]string(nil), g.required...), g.tracing...)
	}
	// Some families hold one scope back: not asked yet, or refused.
	held, refused := "", false
	if x := r.Float64(); x < 0.06 && g.share != "" {
		held, refused = g.share, x < 0.03
	}
	method := g.r.pick([]string{"written", "written", "written", "written", "written", "written", "written",
		"thumbprint", "verbal_witnessed", "recorded"})
	told := c.Type == profile.CP || r.chance(0.8)
	var recs []consent.Record
	var ovs []consent.Override
	rec := func(scope, giver, kind, decision string) {
		recs = append(recs, consent.Record{ID: r.id(at), CaseID: c.ID, Scope: scope, Giver: giver, Kind: kind,
			Decision: decision, Method: method, ObtainedOn: p.Today(at), ObtainedBy: w.id,
			ToldMandatoryReporting: told, CreatedAt: at, Version: 1})
	}
	for _, sc := range scopes {
		if sc == held {
			if refused && selfKind != "" {
				rec(sc, consent.Self, selfKind, consent.Refused)
			}
			continue
		}
		if selfKind != "" {
			rec(sc, consent.Self, selfKind, consent.Given)
		}
		if careGiver != "" {
			rec(sc, careGiver, consent.KindConsent, consent.Given)
		}
		if overrideBasis != "" && contains(g.required, sc) {
			if sup := g.supervisor[w.teamID]; sup != "" {
				ovs = append(ovs, consent.Override{ID: r.id(at), CaseID: c.ID, Scope: sc, Basis: overrideBasis,
					Reason:     "No caregiver can safely give consent; proceeding in the child's best interests",
					ApprovedBy: sup, ApprovedAt: at})
			}
		}
	}
	return recs, ovs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
