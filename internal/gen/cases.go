package gen

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/closure"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/followup"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/service"
	"github.com/safecase/safecase/internal/share"
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
	reasonsCP, reasonsGBV   choice // closure reasons by case type

	inDeployment, external []*directory.Service // the directory's entries a case may be referred to

	events   eventHeap // audit events of later steps, waiting for their time
	eventSeq uint64
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
	for i := range o.services {
		switch svc := &o.services[i]; {
		case svc.Sector == referral.TracingType || !profile.Has(p.ReferralServiceTypes, svc.Sector):
			// Tracing needs its own consent; the profile may not know the sector.
		case svc.AgencyID != "":
			g.inDeployment = append(g.inDeployment, svc)
		default:
			g.external = append(g.external, svc)
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
	g.reasonsCP, g.reasonsGBV = reasonChoice(p, profile.CP), reasonChoice(p, profile.GBV)
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
	sup := g.supervisor[w.teamID]
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

	// The risk level: for an open case s.risk is the level now, for a closed
	// one the level at registration. Open cases past assessment were assessed
	// at the level they hold now; a few were registered at another level (an
	// open case still waiting for its assessment changed it by hand since).
	// Closed cases were often assessed at a lower level than they came in at.
	tl := s.life
	initial, assessed := riskOrder[s.risk], riskOrder[s.risk]
	var riskChangedAt time.Time
	reason := ""
	if s.open {
		if g.now.Sub(created) > 2*time.Hour && r.chance(0.15) {
			initial = riskOrder[(int(s.risk)+1+r.IntN(2))%3]
			if tl.stop == cases.StepAssessment {
				riskChangedAt = created.Add(r.between(time.Hour, g.now.Sub(created)))
			}
		}
	} else {
		switch x := r.Float64(); {
		case x < 0.45:
			assessed = profile.Low
			if initial == profile.Low || (g.noRisk && r.chance(0.5)) {
				assessed = profile.NoRisk
			}
		case x < 0.55 && initial != profile.High:
			assessed = profile.High
		}
		if assessed == profile.NoRisk && !g.noRisk {
			assessed = initial
		}
		tl, reason = g.closedLife(typ, assessed, created)
		if tl.stop == cases.StepAssessment {
			assessed = initial // never assessed
		}
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
	touch := func(t time.Time, by string) {
		c.Version++
		if t.After(c.UpdatedAt) {
			c.UpdatedAt, c.UpdatedBy = t, by
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
	id := &cases.Identity{FamilyName: r.familyName(), GivenName: r.givenName(sex), Location: r.pick(places)}
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
	if !c.Declines("contact") && r.chance(0.6) {
		id.Contact = r.phone()
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

	// Risk history: the level at registration, a change by hand for a few
	// cases waiting for their assessment, and the assessment's level.
	lc := &lifeCase{g: g, c: c, w: w, sup: sup, tl: tl, open: s.open, reason: reason}
	lc.times(created)
	lc.risks = []cases.RiskChange{{ID: r.id(created), CaseID: c.ID, To: initial,
		Reason: r.pick(initialRiskReason[initial]), ChangedBy: w.id, ChangedAt: created}}
	if !riskChangedAt.IsZero() {
		to := riskOrder[s.risk]
		lc.risks = append(lc.risks, g.riskChange(c.ID, w.id, initial, to, riskChangedAt))
		c.RiskLevel = to
		touch(riskChangedAt, w.id)
	}
	if !lc.assessedAt.IsZero() {
		why := "No protection risk found; the family is supported"
		if rs := initialRiskReason[assessed]; len(rs) > 0 {
			why = r.pick(rs)
		}
		lc.riskWhy = why
		lc.risks = append(lc.risks, cases.RiskChange{ID: r.id(lc.assessedAt), CaseID: c.ID, From: initial, To: assessed,
			Reason: "assessment: " + why, ChangedBy: w.id, ChangedAt: lc.assessedAt})
		c.RiskLevel = assessed
	}

	// Deadlines, as Register, ChangeRisk, SetUrgent and Withdraw leave them;
	// the rest of the lifecycle adds its own (lc.deadlines).
	lc.add(deadline.Registration, referredAt, created, registeredAt, w.id)
	lc.add(deadline.Assessment, registeredAt, created, lc.assessedAt, w.id)
	if urgentAtReg {
		lc.add(deadline.UrgentResponse, created, created, urgentDone, w.id)
		lc.notice(sup, notify.Urgent, created, w.id)
		if !urgentDone.IsZero() {
			c.Urgent = false
			touch(urgentDone, w.id)
		}
	}
	if adultOn, ok := cases.AdultOn(p, c, id); ok && adultOn.After(created) {
		lc.ageOut(adultOn, created)
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
				lc.add(deadline.ConsentWithdrawn, at, at, time.Time{}, w.id)
				lc.notice(sup, notify.ConsentWithdrawn, at, w.id)
				break
			}
		}
	}

	lc.shareConsent = g.shareConsent(recs, overrides)

	// Assessment, case plan, implementation, follow-up and closure.
	lc.lifecycle(id.GivenName, touch)

	if err := b.Case(ctx, c, id); err != nil {
		return err
	}
	for i := range lc.risks {
		b.RiskChange(&lc.risks[i])
	}
	familyAt := later(20 * time.Minute)
	var perpName string
	for _, x := range people {
		name := r.familyName()
		if x.rel != "partner" && x.rel != "other" && r.chance(0.7) {
			name = id.FamilyName
		}
		name = r.givenName(x.sex) + " " + name
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
			pp.Contact = r.phone()
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
		if other.ID != c.AgencyID && !lc.refersTo(other.ID) {
			b.Exclusion(&consent.Exclusion{ID: r.id(at), CaseID: c.ID, Kind: "agency", AgencyID: other.ID,
				Reason: "A relative works there", AddedBy: w.id, AddedAt: at})
		}
	}
	for i := range lc.ds {
		b.Deadline(&lc.ds[i])
	}
	lc.write(b)
	sum.Referrals += len(lc.refs)
	// The audit trail stays in time order: events of earlier cases' later
	// steps that happened before this registration come first.
	if err := g.flushEvents(b, created, sum); err != nil {
		return err
	}
	if err := b.Audit(audit.Event{ID: r.id(created), At: created, ActorID: w.id, ActorRole: string(org.Caseworker),
		Action: "case.register", RecordType: "case", RecordID: c.ID, CaseID: c.ID, AgencyID: c.AgencyID,
		Detail: string(regDetail)}); err != nil {
		return err
	}
	sum.Events++
	for _, e := range lc.events {
		g.pushEvent(e)
	}

	sum.Cases++
	if s.open {
		sum.Open++
		if sum.Steps == nil {
			sum.Steps = map[string]int{}
		}
		sum.Steps[c.Step]++
		if c.Urgent {
			sum.Urgent++
		}
		if c.Priority {
			sum.Priority++
		}
		if !c.NextDueAt.IsZero() && c.NextDueAt.Before(g.now) {
			sum.Overdue++
		}
	} else if !c.NextDueAt.IsZero() {
		sum.PostClosure++
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

// openSteps are the steps an open case can be at, with their shares: about
// 40% waiting for or in assessment, 15% at case planning, 20% in
// implementation, 20% in follow-up, 5% with a closure proposed and waiting
// for the supervisor.
var (
	openSteps      = []string{cases.StepAssessment, cases.StepCasePlan, cases.StepImplementation, cases.StepFollowUp, cases.StepClosure}
	openStepShares = []float64{40, 15, 20, 20, 5}
)

// stepRank orders the steps.
func stepRank(step string) int {
	for i, s := range cases.Steps {
		if s == step {
			return i
		}
	}
	return 0
}

// timeline is how long each step of a case took. It stops at the last
// step the case reached before closure was proposed (or before now).
type timeline struct {
	stop     string          // the last step reached: assessment, case_plan, implementation or follow_up
	waiting  bool            // at case_plan: a plan was submitted and waits for the supervisor
	draft    bool            // at case_plan: a draft plan is saved
	proposed bool            // closure was proposed
	assess   time.Duration   // registration to assessment
	plan     time.Duration   // assessment to the plan submitted
	approve  time.Duration   // submitted to active (zero when no approval is needed)
	gaps     []time.Duration // activation to the first follow-up, then between follow-ups
	tail     time.Duration   // the last of these to the closure proposal, or to now
	decide   time.Duration   // proposal to the supervisor's approval, or to now
}

func (tl *timeline) total() time.Duration {
	t := tl.assess + tl.plan + tl.approve + tl.tail + tl.decide
	for _, x := range tl.gaps {
		t += x
	}
	return t
}

func (tl *timeline) scale(f float64) {
	sc := func(d *time.Duration) { *d = time.Duration(float64(*d) * f) }
	sc(&tl.assess)
	sc(&tl.plan)
	sc(&tl.approve)
	sc(&tl.tail)
	sc(&tl.decide)
	for i := range tl.gaps {
		sc(&tl.gaps[i])
	}
}

// win returns the profile's timeline for deadlines of kind k at risk level
// risk, or fallback when the level has none.
func (g *caseGen) win(k deadline.Kind, risk string, fallback time.Duration) time.Duration {
	t0 := time.Unix(0, 0)
	if due, ok := deadline.Due(g.p, k, risk, t0); ok {
		return due.Sub(t0)
	}
	return fallback
}

// steps draws how long the steps up to tl.stop took at risk level risk:
// mostly within the profile's timelines, some late. Cases in follow-up had
// up to maxFollowUps follow-ups.
func (g *caseGen) steps(tl *timeline, risk string, maxFollowUps int) {
	r := g.r
	const day = 24 * time.Hour
	rank := stepRank(tl.stop)
	tl.assess = max(10*time.Minute, r.exp(g.win(deadline.Assessment, risk, 2*7*day)/2))
	if rank >= stepRank(cases.StepImplementation) || tl.waiting {
		tl.plan = max(30*time.Minute, r.exp(g.win(deadline.CasePlan, risk, 2*7*day)/2))
	}
	if rank >= stepRank(cases.StepImplementation) && g.p.NeedsPlanApproval(risk) {
		tl.approve = min(6*day, max(20*time.Minute, r.exp(g.p.ApprovalWithin.D()/2)))
	}
	if tl.stop == cases.StepFollowUp {
		every := g.win(deadline.FollowUp, risk, 4*7*day)
		for k := 1 + r.IntN(maxFollowUps); k > 0; k-- {
			tl.gaps = append(tl.gaps, time.Duration(float64(every)*(0.5+0.65*r.Float64())))
		}
	}
}

// openLife draws the timeline of an open case now at step, at risk level
// risk: how long ago it was registered follows from it.
func (g *caseGen) openLife(step, risk string) *timeline {
	r := g.r
	const day = 24 * time.Hour
	tl := &timeline{stop: step}
	if step == cases.StepClosure {
		tl.stop, tl.proposed = cases.StepFollowUp, true
	}
	if step == cases.StepAssessment {
		// Registered recently enough that most assessments are still within
		// their deadline; a few stragglers have waited weeks.
		window := g.window(risk)
		age := r.exp(window * 45 / 100)
		if r.chance(0.03) {
			age = r.between(window, 120*day)
		}
		tl.tail = max(age, 5*time.Minute)
		return tl
	}
	if step == cases.StepCasePlan {
		switch {
		case g.p.NeedsPlanApproval(risk) && r.chance(0.5):
			tl.waiting = true
		case r.chance(0.35):
			tl.draft = true
		}
	}
	g.steps(tl, risk, 3)
	every := g.win(deadline.FollowUp, risk, 4*7*day)
	switch {
	case tl.proposed:
		tl.tail = time.Duration(float64(every) * (0.1 + 0.8*r.Float64()))
		tl.decide = max(10*time.Minute, r.exp(g.p.ApprovalWithin.D()/2))
	case tl.waiting:
		tl.tail = max(10*time.Minute, r.exp(g.p.ApprovalWithin.D()/2))
	case step == cases.StepCasePlan:
		cp := g.win(deadline.CasePlan, risk, 2*7*day)
		tl.tail = max(10*time.Minute, r.exp(cp/2))
		if r.chance(0.05) {
			tl.tail = r.between(cp, 45*day)
		}
	case step == cases.StepImplementation:
		tl.tail = max(10*time.Minute, r.between(0, every*11/10))
		if r.chance(0.05) {
			tl.tail = r.between(every, 3*every)
		}
	default: // follow-up: the next one due, or overdue for some
		tl.tail = max(10*time.Minute, time.Duration(float64(every)*1.25*r.Float64()))
	}
	return tl
}

// closedLife draws the timeline and the closure reason of a case closed
// after registration at created and assessment at level assessed. Cases
// closed with their objectives met went through every step; the others
// (the family declined, left the area, could not be reached) closed at any
// step. The closure falls at least a day before now.
func (g *caseGen) closedLife(typ, assessed string, created time.Time) (*timeline, string) {
	r := g.r
	const day = 24 * time.Hour
	reasons := g.reasonsCP
	if typ == profile.GBV {
		reasons = g.reasonsGBV
	}
	reason := reasons.keys[r.weighted(reasons.weights)]
	tl := &timeline{stop: cases.StepFollowUp, proposed: true}
	switch {
	case assessed == profile.NoRisk:
		// No risk found: closed after the assessment, with no plan to make.
		tl.stop = cases.StepCasePlan
	case reason != closure.ObjectivesMet:
		tl.stop = []string{cases.StepAssessment, cases.StepCasePlan, cases.StepImplementation,
			cases.StepFollowUp}[r.weighted([]float64{25, 15, 15, 45})]
	}
	if tl.stop != cases.StepAssessment {
		g.steps(tl, assessed, 2)
	}
	if tl.stop == cases.StepFollowUp {
		tl.tail = time.Duration(float64(g.win(deadline.FollowUp, assessed, 4*7*day)) * (0.2 + 0.8*r.Float64()))
	} else {
		tl.tail = day + r.exp(14*day)
	}
	if reason == closure.NoContact {
		tl.tail += g.p.NoContactClosure.D() + r.exp(7*day)
	}
	tl.decide = min(6*day, max(10*time.Minute, r.exp(g.p.ApprovalWithin.D()/2)))
	tl.tail = max(tl.tail, 3*day-tl.total()+tl.tail) // at least three days from registration to closure
	if avail := g.now.Add(-day).Sub(created); tl.total() > avail {
		tl.scale(float64(avail) * (0.6 + 0.4*r.Float64()) / float64(tl.total()))
		if reason == closure.NoContact && tl.tail < g.p.NoContactClosure.D() {
			reason = closure.Declined
		}
	}
	return tl, reason
}

// reasonChoice weighs the profile's closure reasons for a case type; reasons
// the profile adds count a little.
func reasonChoice(p *profile.Profile, typ string) choice {
	weights := map[string]float64{closure.ObjectivesMet: 55, closure.Declined: 15, closure.LeftArea: 12,
		closure.NoContact: 12, closure.Death: 0.3}
	var c choice
	opts := closure.ReasonsFor(p, typ)
	if len(opts) == 0 { // a profile whose reasons all belong to the other type
		opts = p.ClosureReasons
	}
	for _, o := range opts {
		w, ok := weights[o.Key]
		if !ok {
			w = 2
		}
		c.keys, c.weights = append(c.keys, o.Key), append(c.weights, w)
	}
	return c
}

// dl is a deadline in the making: its due date is decided once the case's
// risk history is known (lifeCase.finish).
type dl struct {
	d        deadline.Deadline
	dueNowAt time.Time // made due at once (DueNow) at this time, if set
}

// lifeCase is one case's way through the steps after registration, as the
// domain operations would have recorded it.
type lifeCase struct {
	g      *caseGen
	c      *cases.Case
	w      worker
	sup    string
	tl     *timeline
	open   bool
	reason string // the closure reason

	// When things happened; zero when they did not (yet).
	assessedAt, planAt, submittedAt, activeAt, serviceAt, reviewAt, proposedAt, closedAt, feedbackAt time.Time
	followUps                                                                                        []time.Time
	end                                                                                              time.Time // now, or the closure

	riskWhy string // the assessment's risk reasoning
	risks   []cases.RiskChange
	entries []dl
	ds      []deadline.Deadline

	steps  []cases.StepChange
	as     *assessment.Assessment
	pl     *plan.Plan
	svc    *service.Given
	fund   *service.Disbursement
	safety *service.SafetyPlan
	fus    []followup.FollowUp
	rv     *followup.Review
	cl     *closure.Closure
	fb     *closure.Feedback
	ao     *closure.AgeOut
	notes  []notify.Notification
	events []audit.Event

	shareConsent string // the consent to share with service providers a referral rests on; "" when there is none
	refs         []referral.Referral
	grants       []share.Record
	about        []notify.Notification // notifications that name a referral
}

// times places the steps of the timeline after registration at created.
func (lc *lifeCase) times(created time.Time) {
	tl, t := lc.tl, created
	next := func(d time.Duration) time.Time {
		t = t.Add(max(d, time.Minute)).Truncate(time.Millisecond)
		return t
	}
	rank := stepRank(tl.stop)
	if rank >= stepRank(cases.StepCasePlan) {
		lc.assessedAt = next(tl.assess)
		if rank >= stepRank(cases.StepImplementation) || tl.waiting {
			lc.submittedAt = next(tl.plan)
		}
		if rank >= stepRank(cases.StepImplementation) {
			lc.activeAt = lc.submittedAt
			if tl.approve > 0 {
				lc.activeAt = next(tl.approve)
			}
			for _, gap := range tl.gaps {
				lc.followUps = append(lc.followUps, next(gap))
			}
		}
	}
	lc.end = lc.g.now
	if tl.proposed {
		lc.proposedAt = next(tl.tail)
		if !lc.open {
			lc.closedAt = next(tl.decide)
			lc.end = lc.closedAt
		}
	}
}

// riskAt returns the case's risk level at t (after a change at t).
func (lc *lifeCase) riskAt(t time.Time) string {
	level := lc.risks[0].To
	for _, x := range lc.risks[1:] {
		if !x.ChangedAt.After(t) {
			level = x.To
		}
	}
	return level
}

// riskBefore returns the case's risk level just before t: a deadline done
// at t was met under it (the assessment completes its deadline before the
// level it finds moves the others).
func (lc *lifeCase) riskBefore(t time.Time) string {
	level := lc.risks[0].To
	for _, x := range lc.risks[1:] {
		if x.ChangedAt.Before(t) {
			level = x.To
		}
	}
	return level
}

// add opens a deadline of kind k anchored at anchor, created at at, done at
// done (zero: still open), assigned to assignee. It returns its index.
func (lc *lifeCase) add(k deadline.Kind, anchor, at, done time.Time, assignee string) int {
	lc.entries = append(lc.entries, dl{d: deadline.Deadline{CaseID: lc.c.ID, Kind: k, AnchorAt: anchor,
		AssigneeID: assignee, TeamID: lc.c.TeamID, AgencyID: lc.c.AgencyID, DoneAt: done, CreatedAt: at}})
	return len(lc.entries) - 1
}

// dueAt returns when entry e is due, judged at t (its risk level then; a
// deadline done at t by the level before), and false when the level has no
// such deadline (a change of level removed it, or it was never opened).
func (lc *lifeCase) dueAt(e *dl, t time.Time) (time.Time, bool) {
	risk := lc.riskAt(t)
	if !e.d.DoneAt.IsZero() && !e.d.DoneAt.After(t) {
		risk = lc.riskBefore(e.d.DoneAt)
	}
	due, ok := deadline.Due(lc.g.p, e.d.Kind, risk, e.d.AnchorAt)
	if ok && !e.dueNowAt.IsZero() && !e.dueNowAt.After(t) && e.dueNowAt.Before(due) {
		due = e.dueNowAt
	}
	return due, ok
}

// openAt reports whether entry e is open at t.
func (e *dl) openAt(t time.Time) bool {
	return !e.d.CreatedAt.After(t) && (e.d.DoneAt.IsZero() || e.d.DoneAt.After(t))
}

// notice notifies user of kind on the case at at by actor, as notify.Send
// does (never the actor). Only the last twelve weeks' notifications are
// written; most are read within a day or two.
func (lc *lifeCase) notice(user string, k notify.Kind, at time.Time, actor string) {
	g := lc.g
	if user == "" || user == actor || at.Before(g.now.Add(-noticeWindow)) {
		return
	}
	n := notify.Notification{ID: g.r.id(at), UserID: user, Kind: k, CaseID: lc.c.ID, ActorID: actor, CreatedAt: at}
	if read := at.Add(g.r.exp(30 * time.Hour)).Truncate(time.Millisecond); read.Before(g.now) && g.r.chance(0.85) {
		n.ReadAt = read
	}
	lc.notes = append(lc.notes, n)
}

// noticeWindow is how far back generated notifications go.
const noticeWindow = 12 * 7 * 24 * time.Hour

// event records an audit event of the case at at. To keep a large load
// modest, only the recent past is audited step by step: open cases and
// cases closed within the last twelve weeks; older history keeps its
// registration event alone.
func (lc *lifeCase) event(at time.Time, actor string, role org.Role, action, recordType, recordID, detail string) {
	if !lc.open && lc.closedAt.Before(lc.g.now.Add(-noticeWindow)) {
		return
	}
	lc.events = append(lc.events, audit.Event{ID: lc.g.r.id(at), At: at, ActorID: actor, ActorRole: string(role),
		Action: action, RecordType: recordType, RecordID: recordID, CaseID: lc.c.ID, AgencyID: lc.c.AgencyID,
		Detail: detail})
}

// ageOut opens the age-out task registration opens for a child (due the
// profile's alert before the day they turn adult); for an open case whose
// task fell due weeks ago the caseworker has mostly recorded the pathway.
func (lc *lifeCase) ageOut(adultOn, created time.Time) {
	g, r := lc.g, lc.g.r
	var done time.Time
	if lc.open {
		base := adultOn.Add(-g.p.AgeOutAlert.D())
		if base.Before(created) {
			base = created
		}
		if since := g.now.Sub(base); since > 14*24*time.Hour && r.chance(0.7) {
			done = base.Add(r.between(time.Hour, min(since, 30*24*time.Hour))).Truncate(time.Millisecond)
			pathway := r.pick(closure.Pathways)
			lc.ao = &closure.AgeOut{ID: r.id(done), CaseID: lc.c.ID, Pathway: pathway, RecordedBy: lc.w.id, RecordedAt: done,
				Note: "Discussed with the young person and the caregiver"}
			lc.c.AgeOutPathway = pathway
			lc.event(done, lc.w.id, org.Caseworker, "closure.age_out", "closure", lc.ao.ID, `{"pathway":"`+pathway+`"}`)
		}
	}
	lc.add(deadline.AgeOut, adultOn, created, done, lc.w.id)
}

// lifecycle makes the case's assessment, plan, implementation, follow-ups,
// review and closure, with the deadlines, step history, notifications and
// audit events each operation leaves, and sets the case's step, status and
// next due date.
func (lc *lifeCase) lifecycle(given string, touch func(time.Time, string)) {
	r, c, w := lc.g.r, lc.c, lc.w
	step := func(to, reason, by string, at time.Time) {
		lc.steps = append(lc.steps, cases.StepChange{ID: r.id(at), CaseID: c.ID, From: c.Step, To: to, Reason: reason,
			ChangedBy: by, ChangedAt: at})
		c.Step = to
		touch(at, by)
	}
	lc.steps = append(lc.steps, cases.StepChange{ID: r.id(c.CreatedAt), CaseID: c.ID, To: cases.StepAssessment,
		Reason: "registered", ChangedBy: w.id, ChangedAt: c.CreatedAt})

	var items []needItem
	if !lc.assessedAt.IsZero() {
		items = lc.assess()
		touch(lc.assessedAt, w.id)
		step(cases.StepCasePlan, "assessed", w.id, lc.assessedAt)
		lc.add(deadline.CasePlan, lc.assessedAt, lc.assessedAt, lc.submittedAt, w.id)
	}
	if !lc.submittedAt.IsZero() || lc.tl.draft {
		lc.makePlan(items, given)
	}
	if !lc.activeAt.IsZero() {
		by, role := w.id, org.Caseworker
		if lc.pl.DecidedBy != "" {
			by, role = lc.sup, org.Supervisor
		}
		step(cases.StepImplementation, "plan active", by, lc.activeAt)
		lc.event(lc.activeAt, by, role, "plan.activate", "plan", lc.pl.ID, planDetail(lc.pl))
		lc.implement()
		lc.followUp(touch)
		if len(lc.followUps) > 0 {
			step(cases.StepFollowUp, "first follow-up", w.id, lc.followUps[0])
		}
		lc.refer()
	}
	if !lc.proposedAt.IsZero() {
		step(cases.StepClosure, "closure proposed", w.id, lc.proposedAt)
		lc.close(touch)
	}
	lc.finish()
}

// assess records the assessment: a need or two, perhaps a safety threat
// (a recent sexual-violence incident raises the medical-referral alert).
func (lc *lifeCase) assess() []needItem {
	r, p, c, w := lc.g.r, lc.g.p, lc.c, lc.w
	at := lc.assessedAt
	as := &assessment.Assessment{ID: r.id(at), CaseID: c.ID, Kind: assessment.Initial, AssessedOn: p.Today(at),
		InterviewedChild: true, RiskLevel: c.RiskLevel, RiskReason: lc.riskWhy, CreatedBy: w.id, CreatedAt: at, Version: 1}
	if r.chance(0.25) {
		as.Kind = assessment.Comprehensive
	}
	if c.AgeYears != nil && *c.AgeYears < 4 {
		as.InterviewedChild, as.NotInterviewedWhy = false, "Too young to be interviewed; observed with the caregiver"
	}
	pool := cpNeedItems
	if c.Type == profile.GBV {
		pool = gbvNeedItems
	}
	first := r.IntN(len(pool))
	items := []needItem{pool[first]}
	if r.chance(0.5) {
		items = append(items, pool[(first+1+r.IntN(len(pool)-1))%len(pool)])
	}
	for i, it := range items {
		domain := it.domain
		if !profile.Has(p.NeedDomains, domain) && len(p.NeedDomains) > 0 {
			domain = p.NeedDomains[0].Key
		}
		met, prio := assessment.MetNot, "high"
		if i > 0 {
			met, prio = assessment.MetPartly, "medium"
		}
		as.Needs = append(as.Needs, assessment.Need{ID: r.id(at), CaseID: c.ID, AssessmentID: as.ID, Domain: domain,
			Description: it.need, Met: met, Priority: prio, Essential: i == 0 && it.domain != "education", CreatedAt: at})
	}
	if types := p.IncidentTypes[c.Type]; len(types) > 0 && r.chance(0.5) {
		kind := types[r.IntN(len(types))].Key
		sexual := ""
		for _, t := range types {
			if p.IsSexualIncident(t.Key) {
				sexual = t.Key
				break
			}
		}
		if sexual != "" && contains(c.Concerns, "sexual_violence") {
			kind = sexual
		}
		occurred := c.ReferredAt.Add(-r.between(time.Hour, 10*24*time.Hour)).Truncate(time.Millisecond)
		th := assessment.Threat{ID: r.id(at), CaseID: c.ID, AssessmentID: as.ID, IncidentType: kind,
			Location: r.pick(places), Frequency: r.pick([]string{"Once", "Several times", "Every week"}),
			Ongoing: r.chance(0.4), OccurredAt: occurred, CreatedAt: at}
		if len(p.PerpetratorRelations) > 0 {
			th.Perpetrator = p.PerpetratorRelations[r.IntN(len(p.PerpetratorRelations))].Key
		}
		as.Threats = append(as.Threats, th)
		if p.IsSexualIncident(kind) && at.Sub(occurred) <= p.SexualViolenceWindow.D() {
			var done time.Time
			if r.chance(0.9) {
				done = at.Add(r.between(time.Hour, 24*time.Hour)).Truncate(time.Millisecond)
				if done.Before(lc.end) {
					lc.event(done, w.id, org.Caseworker, "assessment.medical_referral", "case", c.ID, "")
				}
			}
			lc.add(deadline.MedicalReferral, occurred, at, done, w.id)
			lc.notice(lc.sup, notify.MedicalReferral, at, w.id)
		}
	}
	lc.as = as
	lc.event(at, w.id, org.Caseworker, "assessment.record", "assessment", as.ID,
		fmt.Sprintf(`{"kind":%q,"needs":%d,"risk":%q,"threats":%d}`, as.Kind, len(as.Needs), as.RiskLevel, len(as.Threats)))
	return items
}

// makePlan makes the case plan: an objective and an action per need. It is
// a draft, submitted for approval, or active.
func (lc *lifeCase) makePlan(items []needItem, given string) {
	r, p, c, w := lc.g.r, lc.g.p, lc.c, lc.w
	until := lc.submittedAt
	if until.IsZero() {
		until = lc.end
	}
	at := lc.assessedAt.Add(time.Duration(float64(until.Sub(lc.assessedAt)) * (0.2 + 0.6*r.Float64()))).Truncate(time.Millisecond)
	lc.planAt = at
	pl := &plan.Plan{ID: r.id(at), CaseID: c.ID, Number: 1, Status: plan.Draft, MeetingOn: p.Today(at),
		Participants: []plan.Participant{{Role: "child", Name: given}, {Role: "caseworker"}},
		CreatedBy:    w.id, CreatedAt: at, Version: 1}
	if c.AgeYears != nil && *c.AgeYears < p.AdultAge {
		pl.Participants = append(pl.Participants, plan.Participant{Role: "caregiver"})
	}
	for i, it := range items {
		o := plan.Objective{ID: r.id(at), PlanID: pl.ID, CaseID: c.ID, NeedID: lc.as.Needs[i].ID, Description: it.objective,
			Measure: it.measure, DueOn: p.Today(at.Add(time.Duration(30+r.IntN(60)) * 24 * time.Hour)), Status: plan.NotStarted,
			Position: i + 1}
		kind, who := "direct", "caseworker"
		if it.referral {
			kind, who = "referral", "provider"
		}
		a := plan.Action{ID: r.id(at), PlanID: pl.ID, CaseID: c.ID, ObjectiveID: o.ID, What: it.action, Kind: kind, Who: who,
			DueOn: p.Today(at.Add(time.Duration(3+r.IntN(18)) * 24 * time.Hour)), Horizon: r.pick([]string{"immediate", "short", "short", "medium"}),
			Status: plan.Planned, Position: i + 1}
		pl.Objectives, pl.Actions = append(pl.Objectives, o), append(pl.Actions, a)
	}
	lc.pl = pl
	if lc.submittedAt.IsZero() {
		lc.event(at, w.id, org.Caseworker, "plan.save", "plan", pl.ID, planDetail(pl))
		return
	}
	if p.NeedsPlanApproval(lc.riskAt(lc.submittedAt)) {
		pl.Status, pl.SubmittedAt = plan.Submitted, lc.submittedAt
		pl.Version++
		var decided time.Time
		if !lc.activeAt.IsZero() {
			decided = lc.activeAt
			pl.DecidedBy, pl.DecidedAt = lc.sup, decided
			lc.notice(w.id, notify.PlanApproved, decided, lc.sup)
		}
		lc.add(deadline.PlanApproval, lc.submittedAt, lc.submittedAt, decided, lc.sup)
		lc.notice(lc.sup, notify.PlanSubmitted, lc.submittedAt, w.id)
		lc.event(lc.submittedAt, w.id, org.Caseworker, "plan.submit", "plan", pl.ID, planDetail(pl))
	}
	if !lc.activeAt.IsZero() {
		pl.Status, pl.ActivatedAt = plan.Active, lc.activeAt
		pl.Version++
	}
}

func planDetail(pl *plan.Plan) string {
	return fmt.Sprintf(`{"actions":%d,"gaps":%d,"number":%d,"objectives":%d,"status":%q}`, len(pl.Actions), len(pl.Gaps),
		pl.Number, len(pl.Objectives), pl.Status)
}

// implement opens the deadlines activation leaves and gives the first
// direct support (a service, or for a few an emergency fund payment; for
// some survivors a safety plan), which meets the first-action deadline.
func (lc *lifeCase) implement() {
	g, r, p, c, w := lc.g, lc.g.r, lc.g.p, lc.c, lc.w
	act := lc.activeAt
	horizon := lc.end
	switch {
	case len(lc.followUps) > 0:
		horizon = lc.followUps[0]
	case !lc.proposedAt.IsZero():
		horizon = lc.proposedAt
	}
	at := act.Add(max(10*time.Minute, r.exp(g.win(deadline.FirstAction, c.RiskLevel, 14*24*time.Hour)/2)))
	if !at.Before(horizon) {
		at = time.Time{}
		if len(lc.followUps) > 0 {
			at = act.Add(horizon.Sub(act) / 2)
		}
	}
	if !at.IsZero() {
		at = at.Truncate(time.Millisecond)
		lc.serviceAt = at
		first := &lc.pl.Actions[0]
		if len(p.EmergencyFund.Purposes) > 0 && len(p.EmergencyFund.Criteria) > 0 && r.chance(0.06) {
			var crit []string
			for _, k := range p.EmergencyFund.Criteria {
				crit = append(crit, k.Key)
			}
			amount := int64(20+r.IntN(max(1, int(p.EmergencyFund.MaxAmount)-19))) * 100
			lc.fund = &service.Disbursement{ID: r.id(at), CaseID: c.ID, AgencyID: c.AgencyID, TeamID: c.TeamID,
				AmountCents: amount, Currency: p.EmergencyFund.Currency, Purpose: p.EmergencyFund.Purposes[r.IntN(len(p.EmergencyFund.Purposes))].Key,
				Criteria: crit, PaidOn: p.Today(at), RecordedBy: w.id, CreatedAt: at}
			lc.event(at, w.id, org.Caseworker, "service.fund", "fund_disbursement", lc.fund.ID,
				fmt.Sprintf(`{"cents":%d,"currency":%q,"purpose":%q}`, amount, lc.fund.Currency, lc.fund.Purpose))
		} else {
			typ := ""
			for _, it := range append(cpNeedItems, gbvNeedItems...) {
				if it.action == first.What {
					typ = it.service
				}
			}
			if !profile.Has(p.DirectServiceTypes, typ) && len(p.DirectServiceTypes) > 0 {
				typ = p.DirectServiceTypes[0].Key
			}
			lc.svc = &service.Given{ID: r.id(at), CaseID: c.ID, ActionID: first.ID, ServiceType: typ, GivenOn: p.Today(at),
				Description: first.What, GivenBy: w.id, CreatedAt: at}
			first.Status = plan.Doing
			if r.chance(0.4) {
				first.Status = plan.Done
			}
			lc.event(at, w.id, org.Caseworker, "service.give", "service", lc.svc.ID, fmt.Sprintf(`{"action":true,"type":%q}`, typ))
		}
		if c.Type == profile.GBV && r.chance(0.25) {
			lc.safety = &service.SafetyPlan{ID: r.id(at), CaseID: c.ID, Number: 1, Concern: r.pick(safetyConcerns),
				CurrentStrategies: "Stays with her sister when he drinks; it has helped", Unsafe: "The road to the market after dark",
				Avoidance: "Goes with neighbours in daylight", Emergency: "Her sister; the women's centre; the health post",
				CreatedBy: w.id, CreatedAt: at}
			lc.event(at, w.id, org.Caseworker, "service.safety_plan", "safety_plan", lc.safety.ID, `{"number":1}`)
		}
	}
	lc.add(deadline.FirstAction, act, act, lc.serviceAt, w.id)
}

// followUp records the follow-ups and any review, with the follow-up and
// review deadlines activation opened and each of them moved on.
func (lc *lifeCase) followUp(touch func(time.Time, string)) {
	g, r, p, c, w := lc.g, lc.g.r, lc.g.p, lc.c, lc.w
	act := lc.activeAt
	horizon := lc.end
	if !lc.proposedAt.IsZero() {
		horizon = lc.proposedAt
	}
	// The review: due from activation; done when its time came, for most.
	every := g.win(deadline.Review, c.RiskLevel, 12*7*24*time.Hour)
	if act.Add(every*85/100).Before(horizon) && r.chance(0.85) {
		at := act.Add(time.Duration(float64(every) * (0.8 + 0.2*r.Float64())))
		if !at.Before(horizon) {
			at = horizon.Add(-time.Hour)
		}
		if at.After(act) {
			lc.reviewAt = at.Truncate(time.Millisecond)
		}
	}
	reviews := []int{lc.add(deadline.Review, act, act, lc.reviewAt, w.id)}
	if !lc.reviewAt.IsZero() {
		reviews = append(reviews, lc.add(deadline.Review, lc.reviewAt, lc.reviewAt, time.Time{}, w.id))
	}
	closing := !lc.open && lc.reason == closure.ObjectivesMet
	var atReview []string // the objectives' statuses when the review took place
	snapshot := func() {
		for _, o := range lc.pl.Objectives {
			atReview = append(atReview, o.Status)
		}
	}
	anchor := act
	for i, at := range lc.followUps {
		if !lc.reviewAt.IsZero() && atReview == nil && lc.reviewAt.Before(at) {
			snapshot()
		}
		lc.add(deadline.FollowUp, anchor, anchor, at, w.id)
		anchor = at
		fu := followup.FollowUp{ID: r.id(at), CaseID: c.ID, PlanID: lc.pl.ID, Mode: r.pick(followup.Modes[:4]),
			Contacts: []string{"child", "caregiver"}, HappenedOn: p.Today(at), Seen: true, Safety: followup.Safe,
			Notes: r.pick(followUpNotes), RecordedBy: w.id, CreatedAt: at}
		if c.AgeYears != nil && *c.AgeYears >= p.AdultAge {
			fu.Contacts = []string{"child"}
		}
		if r.chance(0.1) {
			fu.Safety, fu.SafetyNotes = followup.Concerns, r.pick(safetyConcerns)
		}
		last := i == len(lc.followUps)-1
		for j := range lc.pl.Objectives {
			o := &lc.pl.Objectives[j]
			status := plan.InProgress
			if last && (closing || (j == 0 && r.chance(0.2))) {
				status = plan.Met
			}
			if j == 0 || last {
				fu.Progress = append(fu.Progress, followup.Progress{ObjectiveID: o.ID, Status: status})
				o.Status = status
			}
		}
		if lc.open && r.chance(0.03) {
			// The family is not satisfied: the review falls due at once.
			fu.Dissatisfied = true
			for _, k := range reviews {
				if e := &lc.entries[k]; e.openAt(at) && e.dueNowAt.IsZero() {
					e.dueNowAt = at
				}
			}
		}
		lc.fus = append(lc.fus, fu)
		touch(at, w.id)
		lc.event(at, w.id, org.Caseworker, "followup.record", "followup", fu.ID,
			fmt.Sprintf(`{"dissatisfied":%t,"mode":%q,"objectives":%d,"risk_changed":false,"safety":%q,"seen":true}`,
				fu.Dissatisfied, fu.Mode, len(fu.Progress), fu.Safety))
	}
	lc.add(deadline.FollowUp, anchor, anchor, time.Time{}, w.id)
	if at := lc.reviewAt; !at.IsZero() {
		trigger := "scheduled"
		for _, fu := range lc.fus {
			if fu.Dissatisfied && fu.CreatedAt.Before(at) {
				trigger = "dissatisfaction"
			}
		}
		rv := &followup.Review{ID: r.id(at), CaseID: c.ID, PlanID: lc.pl.ID, ReviewedOn: p.Today(at), Trigger: trigger,
			ChildParticipated: true, Participation: "Took part in the review meeting with the caregiver",
			RiskLevel: lc.riskAt(at), RecordedBy: w.id, CreatedAt: at}
		if atReview == nil {
			snapshot()
		}
		for i, o := range lc.pl.Objectives {
			ev := followup.Evaluation{ObjectiveID: o.ID, Status: atReview[i]}
			if followup.NeedsEffectiveness(ev.Status) {
				ev.Effectiveness = followup.Effective
			}
			rv.Evaluation = append(rv.Evaluation, ev)
		}
		lc.rv = rv
		touch(at, w.id)
		lc.event(at, w.id, org.Caseworker, "review.record", "review", rv.ID,
			fmt.Sprintf(`{"child_participated":true,"objectives":%d,"revised":false,"risk_changed":false,"trigger":%q}`,
				len(rv.Evaluation), trigger))
	}
	if closing {
		for i := range lc.pl.Actions {
			lc.pl.Actions[i].Status = plan.Done
		}
	}
}

// close proposes closure (with the completeness check of the file then)
// and, for a closed case, the supervisor's approval and the post-closure
// follow-up with its feedback survey, due within the profile's window.
func (lc *lifeCase) close(touch func(time.Time, string)) {
	g, r, p, c, w := lc.g, lc.g.r, lc.g.p, lc.c, lc.w
	at := lc.proposedAt
	if lc.reason == "" {
		// A proposal waiting now: mostly objectives met, some declined or
		// left the area (the reasons that need no weeks without contact).
		want := r.pick([]string{closure.ObjectivesMet, closure.ObjectivesMet, closure.ObjectivesMet, closure.ObjectivesMet,
			closure.ObjectivesMet, closure.ObjectivesMet, closure.Declined, closure.LeftArea})
		opts := closure.ReasonsFor(p, c.Type)
		if len(opts) == 0 {
			opts = p.ClosureReasons
		}
		lc.reason = opts[0].Key
		for _, o := range opts {
			if o.Key == want {
				lc.reason = want
			}
		}
	}
	cl := &closure.Closure{ID: r.id(at), CaseID: c.ID, Status: closure.Proposed, Reason: lc.reason, Gaps: lc.gaps(at),
		ProposedBy: w.id, ProposedAt: at, Version: 1}
	switch lc.reason {
	case closure.ObjectivesMet:
		cl.Confirmations = append([]string(nil), closure.Confirmations...)
	case closure.Declined, closure.LeftArea:
		cl.Explanation = r.pick(closureExplanations[lc.reason])
	}
	lc.cl = cl
	keys := make([]string, len(cl.Gaps))
	for i, gp := range cl.Gaps {
		keys[i] = fmt.Sprintf("%q", gp.Key)
	}
	lc.event(at, w.id, org.Caseworker, "closure.propose", "closure", cl.ID,
		fmt.Sprintf(`{"gaps":[%s],"reason":%q}`, strings.Join(keys, ","), cl.Reason))
	lc.notice(lc.sup, notify.ClosureProposed, at, w.id)
	if lc.open {
		lc.add(deadline.ClosureApproval, at, at, time.Time{}, lc.sup)
		return
	}
	closed := lc.closedAt
	lc.add(deadline.ClosureApproval, at, at, closed, lc.sup)
	cl.Status, cl.DecidedBy, cl.DecidedAt, cl.FollowUpBy, cl.Version = closure.Approved, lc.sup, closed, lc.sup, 2
	c.Status, c.ClosedAt, c.ClosureReason, c.FollowUpBy = cases.Closed, closed, cl.Reason, lc.sup
	touch(closed, lc.sup)
	lc.event(closed, lc.sup, org.Supervisor, "closure.approve", "closure", cl.ID,
		fmt.Sprintf(`{"follow_up_by":%q,"reason":%q}`, lc.sup, cl.Reason))
	lc.notice(w.id, notify.ClosureApproved, closed, lc.sup)
	// The post-closure follow-up: mostly within the window, some late (up
	// to six weeks).
	week := 7 * 24 * time.Hour
	delay := r.between(week, 11*week)
	if r.chance(0.2) {
		delay = r.between(11*week, 18*week)
	}
	if fb := closed.Add(delay).Truncate(time.Millisecond); fb.Before(g.now) {
		lc.feedbackAt = fb
		answers := map[string]string{}
		for _, q := range p.FeedbackQuestions {
			answers[q.Key] = closure.Yes
			if r.chance(0.08) {
				answers[q.Key] = r.pick([]string{closure.No, closure.NotApplicable})
			}
		}
		lc.fb = &closure.Feedback{ID: r.id(fb), CaseID: c.ID, ClosureID: cl.ID, Answers: answers, ChildSafe: closure.Safe,
			RecordedBy: lc.sup, RecordedOn: p.Today(fb), CreatedAt: fb}
		if r.chance(0.05) {
			lc.fb.ChildSafe, lc.fb.Comments = closure.Concerns, "Worried about the household; referred back to the team"
		}
		lc.event(fb, lc.sup, org.Supervisor, "closure.feedback", "closure", lc.fb.ID, fmt.Sprintf(`{"answers":%d}`, len(answers)))
	}
	lc.add(deadline.PostClosure, closed, closed, lc.feedbackAt, lc.sup)
}

// gaps is the completeness check of the file at t, as closure.Check finds
// it (the consent records are not judged here).
func (lc *lifeCase) gaps(t time.Time) []closure.Gap {
	var out []closure.Gap
	add := func(k string, n int) {
		if n > 0 {
			out = append(out, closure.Gap{Key: k, Count: n})
		}
	}
	if lc.assessedAt.IsZero() {
		add(closure.GapNoAssessment, 1)
	}
	if lc.activeAt.IsZero() {
		add(closure.GapNoPlan, 1)
	} else {
		objectives, actions, referrals := 0, 0, 0
		for _, o := range lc.pl.Objectives {
			if o.Status != plan.Met && o.Status != plan.Dropped {
				objectives++
			}
		}
		for _, a := range lc.pl.Actions {
			switch {
			case a.Status != plan.Planned && a.Status != plan.Doing:
			case a.Kind == "referral":
				referrals++
			default:
				actions++
			}
		}
		add(closure.GapObjectives, objectives)
		add(closure.GapActions, actions)
		add(closure.GapReferrals, referrals)
	}
	tasks := 0
	for i := range lc.entries {
		e := &lc.entries[i]
		if !e.openAt(t) {
			continue
		}
		due, ok := lc.dueAt(e, t)
		switch {
		case !ok, e.d.Kind == deadline.ClosureApproval, e.d.Kind == deadline.PostClosure:
		case (e.d.Kind == deadline.FollowUp || e.d.Kind == deadline.Review) && !t.After(due):
		default:
			tasks++
		}
	}
	add(closure.GapTasks, tasks)
	return out
}

// finish decides the deadlines' due dates from the risk history (a
// deadline open when the level changed moved with it), drops those a
// closure deleted (every deadline still open then, but the post-closure
// follow-up) and sets the case's next due date.
func (lc *lifeCase) finish() {
	r, c := lc.g.r, lc.c
	for i := range lc.entries {
		e := &lc.entries[i]
		d := e.d
		end := lc.end
		if d.Kind == deadline.PostClosure {
			end = lc.g.now // it runs after the closure
		}
		if !d.DoneAt.IsZero() && d.DoneAt.After(end) {
			d.DoneAt = time.Time{}
		}
		if !lc.open && d.Open() && d.Kind != deadline.PostClosure {
			continue
		}
		at := end
		if !d.Open() {
			at = d.DoneAt
		}
		due, ok := lc.dueAt(e, at)
		if !ok {
			continue
		}
		d.ID, d.DueAt = r.id(d.CreatedAt), due
		if !d.Open() {
			d.DoneBy = d.AssigneeID
		}
		lc.ds = append(lc.ds, d)
	}
	c.NextDueAt = deadline.NextDue(lc.ds)
}

// write buffers the case's lifecycle rows in b.
func (lc *lifeCase) write(b *store.Bulk) {
	for i := range lc.steps {
		b.StepChange(&lc.steps[i])
	}
	if lc.as != nil {
		b.Assessment(lc.as)
	}
	if lc.pl != nil {
		b.Plan(lc.pl)
	}
	if lc.svc != nil {
		b.Service(lc.svc)
	}
	if lc.fund != nil {
		b.Disbursement(lc.fund)
	}
	if lc.safety != nil {
		b.SafetyPlan(lc.safety)
	}
	for i := range lc.fus {
		b.FollowUp(&lc.fus[i])
	}
	if lc.rv != nil {
		b.Review(lc.rv)
	}
	if lc.cl != nil {
		b.Closure(lc.cl)
	}
	if lc.fb != nil {
		b.Feedback(lc.fb)
	}
	if lc.ao != nil {
		b.AgeOut(lc.ao)
	}
	for i := range lc.notes {
		b.Notification(&lc.notes[i])
	}
	for i := range lc.refs {
		b.Referral(&lc.refs[i])
	}
	for i := range lc.grants {
		b.Grant(&lc.grants[i])
	}
	for i := range lc.about {
		b.NotificationAbout(&lc.about[i])
	}
}

// pending is an audit event waiting for its turn in the trail.
type pending struct {
	e   audit.Event
	seq uint64
}

// eventHeap orders pending events by time (then by when they were made).
type eventHeap []pending

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].e.At.Equal(h[j].e.At) {
		return h[i].e.At.Before(h[j].e.At)
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(pending)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = pending{}
	*h = old[:len(old)-1]
	return x
}

// pushEvent holds e until the trail reaches its time.
func (g *caseGen) pushEvent(e audit.Event) {
	g.eventSeq++
	heap.Push(&g.events, pending{e: e, seq: g.eventSeq})
}

// flushEvents appends to the trail every held event that happened before t.
func (g *caseGen) flushEvents(b *store.Bulk, t time.Time, sum *Summary) error {
	for len(g.events) > 0 && g.events[0].e.At.Before(t) {
		p := heap.Pop(&g.events).(pending)
		if err := b.Audit(p.e); err != nil {
			return err
		}
		sum.Events++
	}
	return nil
}

// referralShare is the share of cases with an active plan that are
// referred to other services (once or twice).
const referralShare = 0.3

// referralReasons are the reasons a caseworker gives, by sector.
var referralReasons = map[string]string{
	"health_nutrition": "Needs a medical check and treatment; the family cannot pay the clinic.",
	"mhpss":            "Persistent distress and trouble sleeping since the incident; needs counselling.",
	"gbv":              "Survivor needs specialised GBV services and a safe space.",
	"legal":            "The family asks for legal counselling and help with documents.",
	"education":        "Out of school for a year; needs enrolment support.",
	"cash":             "The household cannot meet basic needs; referred for cash assistance.",
	"shelter_nfi":      "The shelter is damaged and unsafe; needs repair materials.",
	"livelihoods":      "The caregiver needs an income to keep the child at home.",
}

// shareConsent returns the consent record a referral under consent names:
// the case's last record of the sharing scope, when every record of that
// scope was given and none withdrawn and no override stands in for it;
// otherwise "" (the case is not referred: a referral without consent needs
// the supervisor's override).
func (g *caseGen) shareConsent(recs []consent.Record, ovs []consent.Override) string {
	if g.share == "" {
		return ""
	}
	for _, o := range ovs {
		if o.Scope == g.share {
			return ""
		}
	}
	id := ""
	for _, rec := range recs {
		if rec.Scope != g.share {
			continue
		}
		if rec.Decision != consent.Given || !rec.WithdrawnAt.IsZero() {
			return ""
		}
		id = rec.ID
	}
	return id
}

// refersTo reports whether the case was referred to a service of agency.
func (lc *lifeCase) refersTo(agency string) bool {
	for _, x := range lc.refs {
		if x.ToAgencyID == agency {
			return true
		}
	}
	return false
}

// refer refers some cases with an active plan to services of the directory,
// once or twice, as referral.Send and the answers after it leave them: the
// referral, the grant of its sections to the receiving service (ended once
// the referral is no longer open), the response deadline when the service
// gives an average time, the notifications and the audit events. A second
// referral is sent only after the first was answered, so that at most one
// waits for an answer at a time. A closed case's referrals were closed (or
// withdrawn) before its closure was proposed; an open case's are in every
// state.
func (lc *lifeCase) refer() {
	g, r, c, w := lc.g, lc.g.r, lc.c, lc.w
	if lc.shareConsent == "" || len(g.inDeployment)+len(g.external) == 0 || !r.chance(referralShare) {
		return
	}
	const day = 24 * time.Hour
	horizon := lc.end
	if !lc.proposedAt.IsZero() {
		horizon = lc.proposedAt
	}
	settled := !lc.open || !lc.proposedAt.IsZero() // every referral ended before the closure proposal
	from := lc.activeAt
	n := 1 + r.IntN(2)
	for i := 0; i < n; i++ {
		svc := lc.pickService()
		if svc == nil {
			return
		}
		inside := svc.AgencyID != ""
		// The state the referral reached, then the times of its steps.
		status := referral.Closed
		switch {
		case !inside && settled:
			status = referral.Withdrawn
		case !inside:
			status = []string{referral.Sent, referral.Sent, referral.Sent, referral.Withdrawn}[r.IntN(4)]
		case settled:
			status = []string{referral.Closed, referral.Closed, referral.Closed, referral.Closed, referral.Closed,
				referral.Closed, referral.Closed, referral.Declined, referral.Declined, referral.Withdrawn}[r.IntN(10)]
		default:
			status = []string{referral.Sent, referral.Accepted, referral.Declined, referral.Provided,
				referral.Closed}[r.weighted([]float64{25, 25, 10, 20, 20})]
		}
		declined := status == referral.Declined
		if settled && declined {
			status = referral.Closed // the sender closed it with the outcome
		}
		answer := time.Duration(svc.AvgDays) * day
		if answer == 0 {
			answer = day
		}
		sent := from.Add(max(time.Hour, r.exp(3*day)))
		if status == referral.Sent {
			// Still waiting: sent lately, most within the service's time.
			if t := horizon.Add(-max(time.Hour, r.exp(answer*6/10))); t.After(from) {
				sent = t
			} else {
				sent = from
			}
		}
		step := func(t time.Time, mean time.Duration) time.Time {
			return t.Add(max(time.Hour, r.exp(mean))).Truncate(time.Millisecond)
		}
		sent = sent.Truncate(time.Millisecond)
		var responded, provided, outcome time.Time
		switch status {
		case referral.Accepted, referral.Provided, referral.Closed, referral.Declined:
			if inside {
				responded = step(sent, answer/2)
			}
		}
		if (status == referral.Provided || status == referral.Closed) && !declined {
			provided = step(responded, 5*day)
		}
		if status == referral.Closed || status == referral.Withdrawn {
			last := sent
			for _, t := range []time.Time{responded, provided} {
				if t.After(last) {
					last = t
				}
			}
			outcome = step(last, 5*day)
		}
		end := sent
		for _, t := range []time.Time{responded, provided, outcome} {
			if t.After(end) {
				end = t
			}
		}
		if !sent.After(lc.activeAt) || !end.Before(horizon) {
			return // no time left for it before now or the closure proposal
		}
		ref := referral.Referral{ID: r.id(sent), CaseID: c.ID, ServiceID: svc.ID, FromAgencyID: c.AgencyID,
			ToAgencyID: svc.AgencyID, ToUserID: svc.FocalUserID, ServiceType: svc.Sector,
			Reason: referralReasons[svc.Sector], Urgent: r.chance(0.1), Sections: []access.Section{access.Registration},
			Basis: referral.BasisConsent, ConsentID: lc.shareConsent, Status: status, SentBy: w.id, SentAt: sent,
			Version: 1}
		if ref.Reason == "" {
			ref.Reason = "Needs a service this agency does not provide."
		}
		if r.chance(0.5) {
			ref.Sections = append(ref.Sections, access.Assessment)
		}
		if r.chance(0.3) {
			ref.Sections = append(ref.Sections, access.Plan)
		}
		if i == 0 {
			for _, a := range lc.pl.Actions {
				if a.Kind == "referral" {
					ref.ActionID = a.ID
					break
				}
			}
		}
		if svc.AvgDays > 0 {
			ref.ResponseDue = sent.Add(time.Duration(svc.AvgDays) * day)
		}
		responder := ref.ToUserID
		if inside && responder == "" {
			if sps := g.org.providers[svc.AgencyID]; len(sps) > 0 {
				responder = sps[r.IntN(len(sps))]
			}
		}
		lc.sendReferral(&ref, responder, responded, provided, outcome, declined)
		from = end
		if ref.Status == referral.Sent {
			return // a second one waits until this one is answered
		}
	}
}

// pickService draws a service to refer the case to: mostly one of another
// agency of the deployment, sometimes an organisation outside it.
func (lc *lifeCase) pickService() *directory.Service {
	g, r := lc.g, lc.g.r
	if len(g.external) > 0 && (len(g.inDeployment) == 0 || r.chance(0.25)) {
		return g.external[r.IntN(len(g.external))]
	}
	for tries := 0; tries < 8; tries++ {
		if svc := g.inDeployment[r.IntN(len(g.inDeployment))]; svc.AgencyID != lc.c.AgencyID {
			return svc
		}
	}
	if len(g.external) > 0 {
		return g.external[r.IntN(len(g.external))]
	}
	return nil
}

// sendReferral records referral ref (its final state set) with what each
// of its steps left: responded, provided and outcome are when it was
// answered, when the service was given and when its outcome was recorded
// (zero when they did not happen); declined says the answer was a refusal.
func (lc *lifeCase) sendReferral(ref *referral.Referral, responder string, responded, provided, outcome time.Time, declined bool) {
	r, w := lc.g.r, lc.w
	sent := ref.SentAt
	if !responded.IsZero() {
		ref.RespondedBy, ref.RespondedAt = responder, responded
		if declined {
			ref.DeclineReason = "The service is full this month; please refer again later."
		}
		ref.Version++
	}
	if !provided.IsZero() {
		ref.ProvidedAt, ref.ServiceNote = provided, "Seen at the service; follow-up visit booked."
		ref.Version++
	}
	if !outcome.IsZero() {
		ref.OutcomeAt = outcome
		ref.Outcome = "The service was given; the need is met."
		switch {
		case ref.Status == referral.Withdrawn:
			ref.Outcome = "Withdrawn: the family chose another provider."
		case declined:
			ref.Outcome = "Declined by the service; the need is followed up in the plan."
		}
		ref.Version++
	}
	lc.refs = append(lc.refs, *ref)

	// The share: sections to the receiving service while the referral is open.
	detail, _ := json.Marshal(map[string]any{"sections": share.Names(ref.Sections), "basis": ref.Basis,
		"to_agency": ref.ToAgencyID, "to_user": ref.ToUserID, "service": ref.ServiceID, "service_type": ref.ServiceType})
	lc.event(sent, w.id, org.Caseworker, "referral.share", "referral", ref.ID, string(detail))
	if ref.ToAgencyID != "" {
		gr := share.Record{ID: r.id(sent), CaseID: lc.c.ID, SourceID: ref.ID, CreatedBy: w.id, CreatedAt: sent,
			Grant: access.Grant{Via: access.ViaReferral, UserID: ref.ToUserID, Sections: ref.Sections}}
		if gr.Grant.UserID == "" {
			gr.Grant.AgencyID, gr.Grant.Roles = ref.ToAgencyID, []org.Role{org.ServiceProvider}
		}
		switch {
		case declined:
			gr.RevokedAt = responded
		case !ref.Open():
			gr.RevokedAt = outcome
		}
		lc.grants = append(lc.grants, gr)
		to := []string{ref.ToUserID}
		if ref.ToUserID == "" {
			to = lc.g.org.providers[ref.ToAgencyID]
		}
		for _, u := range to {
			lc.noticeAbout(u, notify.ReferralReceived, ref.ID, sent, w.id)
		}
	}
	// The response deadline, done once the referral is answered (the
	// second referral is sent after the first is answered).
	if !ref.ResponseDue.IsZero() {
		done := responded
		if done.IsZero() {
			done = outcome // withdrawn before any answer
		}
		lc.add(deadline.ReferralResponse, ref.ResponseDue, sent, done, w.id)
	}
	status := func(s string) string { return `{"status":"` + s + `"}` }
	if !responded.IsZero() {
		kind, action := notify.ReferralAccepted, referral.Accepted
		if declined {
			kind, action = notify.ReferralDeclined, referral.Declined
		}
		lc.noticeAbout(w.id, kind, ref.ID, responded, responder)
		lc.event(responded, responder, org.ServiceProvider, "referral."+action, "referral", ref.ID, status(action))
	}
	if !provided.IsZero() {
		lc.noticeAbout(w.id, notify.ReferralProvided, ref.ID, provided, responder)
		lc.event(provided, responder, org.ServiceProvider, "referral.provided", "referral", ref.ID, status(referral.Provided))
	}
	if !outcome.IsZero() {
		lc.event(outcome, w.id, org.Caseworker, "referral."+ref.Status, "referral", ref.ID, status(ref.Status))
	}
}

// noticeAbout notifies user of kind about referral subject, as notify.About
// does: like notice, only the recent ones are written, most of them read.
func (lc *lifeCase) noticeAbout(user string, k notify.Kind, subject string, at time.Time, actor string) {
	g := lc.g
	if user == "" || user == actor || at.Before(g.now.Add(-noticeWindow)) {
		return
	}
	n := notify.Notification{ID: g.r.id(at), UserID: user, Kind: k, CaseID: lc.c.ID, ActorID: actor, CreatedAt: at,
		SubjectID: subject}
	if read := at.Add(g.r.exp(30 * time.Hour)).Truncate(time.Millisecond); read.Before(g.now) && g.r.chance(0.85) {
		n.ReadAt = read
	}
	lc.about = append(lc.about, n)
}
