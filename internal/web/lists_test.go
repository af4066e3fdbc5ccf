package web

import (
	"context"
	"github.com/safecase/safecase/internal/audit"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/assessment"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/store"
)

// listCase registers a case of type typ named given family for the user
// with key, at risk level risk, with consent to collect and store
// overridden by the supervisor.
func (e *env) listCase(t *testing.T, key, typ, given, family, risk string) *cases.Case {
	t.Helper()
	var c *cases.Case
	ctx := context.Background()
	if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
		age := 12
		if typ == profile.GBV {
			age = 30
		}
		c, err = cases.Register(ctx, tx, e.srv.prof, e.actor(key), cases.Registration{Type: typ, GivenName: given,
			FamilyName: family, Age: &age, Sex: "female", Location: "Block 7", Contact: "neighbour", CareStatus: "accompanied",
			Concerns: []string{"neglect"}, RiskLevel: risk, RiskReason: "test"}, func() string { return cases.NewCode("C") },
			e.clock.now())
		if err != nil {
			return err
		}
		_, err = consent.AddOverride(ctx, tx, e.srv.prof, e.actor("supervisor"), c.ID, consent.OverrideInput{
			Scope: "collect_store", Basis: "best_interests", Reason: "fixture for the list tests"}, e.clock.now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestListNames: the caseworker's caseload and tasks and the supervisor's
// team view show the child's name beside the code of a child protection
// case, marked for "Hide names", and only the code of a GBV case (the
// profile's default); each list that shows names records one audit event
// naming the codes, never the names. Someone who may not read the
// identity (another team's caseworker, the service provider) sees none.
func TestListNames(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cp := e.listCase(t, "caseworker", profile.CP, "Amira", "Listed", "medium")
		gbv := e.listCase(t, "caseworker", profile.GBV, "Hawa", "Hidden", "medium")
		shown := `<span class="pii list-name">Amira Listed</span>`
		cw := e.as("caseworker")
		sup := e.as("supervisor")
		for _, tc := range []struct {
			c          *client
			path, list string
		}{{cw, "/caseload", "caseload"}, {cw, "/tasks", "tasks"}, {sup, "/team", "team"}} {
			listed := func() []audit.Event { // reads of identity through this list
				var out []audit.Event
				for _, ev := range e.eventsOf("case.view", "") {
					if strings.Contains(ev.Detail, `"list":"`+tc.list+`"`) {
						out = append(out, ev)
					}
				}
				return out
			}
			before := len(listed())
			page := tc.c.get(tc.path)
			if page.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", tc.path, page.StatusCode)
			}
			if !strings.Contains(page.Body, shown) {
				t.Errorf("%s does not show the CP child's name, marked pii", tc.path)
			}
			if !strings.Contains(page.Body, gbv.Code) || strings.Contains(page.Body, "Hawa") || strings.Contains(page.Body, "Hidden") {
				t.Errorf("%s: the GBV case is not listed by its code alone", tc.path)
			}
			evs := listed()
			if len(evs) != before+1 {
				t.Fatalf("%s: %d reads of identity through the list, want %d", tc.path, len(evs), before+1)
			}
			ev := evs[len(evs)-1]
			if ev.CaseID != cp.ID || strings.Contains(ev.Detail, "Amira") || ev.ActorID == "" {
				t.Errorf("%s: audit event %+v: want a read of the CP case (not the GBV one), no name", tc.path, ev)
			}
		}
		for _, key := range []string{"caseworker2", "service_provider", "manager"} {
			c := e.as(key)
			for _, path := range []string{"/caseload", "/tasks", "/team"} {
				page := c.get(path)
				if key != "manager" && strings.Contains(page.Body, "Amira") {
					t.Errorf("%s: %s shows the name of a case they may not read", key, path)
				}
			}
		}
	})
}

// TestListNamesTurnedOff: a profile with names off for CP lists codes only
// and records no read of identity.
func TestListNamesTurnedOff(t *testing.T) {
	off := *profile.Default()
	off.SecondFactorRoles = nil
	off.Lists.Names.CP = false
	forEachEngine(t, func(t *testing.T, e *env) {
		e.listCase(t, "caseworker", profile.CP, "Amira", "Listed", "medium")
		page := e.as("caseworker").get("/caseload")
		if page.StatusCode != http.StatusOK || strings.Contains(page.Body, "Amira") {
			t.Errorf("names off: %d, shows the name %v", page.StatusCode, strings.Contains(page.Body, "Amira"))
		}
		for _, ev := range e.eventsOf("case.view", "") {
			if strings.Contains(ev.Detail, `"via":"list"`) {
				t.Errorf("names off: a read of identity through a list was recorded: %+v", ev)
			}
		}
	}, func(s *envSetup) { s.prof = &off })
}

// TestTaskOrderAndLinks: "My tasks" and the team view say the order they
// follow, follow it (a separated child's task due in weeks never comes
// before another's due within a day), and link every task to the page
// whose form completes it.
func TestTaskOrderAndLinks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		const order = "Urgent cases first, then overdue, then by due date; a separated or unaccompanied child comes first among tasks due the same day."
		near := e.listCase(t, "caseworker", profile.CP, "Near", "Task", "high")
		var far *cases.Case
		ctx := context.Background()
		if err := e.db.Tx(ctx, func(tx *store.Tx) (err error) {
			age := 9
			far, err = cases.Register(ctx, tx, e.srv.prof, e.actor("caseworker"), cases.Registration{Type: "cp",
				GivenName: "Far", Age: &age, Sex: "male", Location: "x", Contact: "y", CareStatus: "separated",
				Concerns: []string{"separation"}, RiskLevel: "low", RiskReason: "test"}, func() string { return cases.NewCode("C") },
				e.clock.now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		taskRow := regexp.MustCompile(`<tr[^>]*><td[^>]*>.*?</td><td[^>]*><a class="task-form" href="([^"]+)">[^<]*</a></td><td[^>]*><a class="code" href="/cases/([^"]+)"`)
		for _, tc := range []struct{ key, path string }{{"caseworker", "/tasks"}, {"supervisor", "/team"}} {
			page := e.as(tc.key).get(tc.path)
			if !strings.Contains(page.Body, order) {
				t.Errorf("%s does not say its order", tc.path)
			}
			rows := taskRow.FindAllStringSubmatch(page.Body, -1)
			if len(rows) == 0 {
				t.Fatalf("%s: no task rows with links:\n%s", tc.path, page.Body)
			}
			first := map[string]int{}
			for i, m := range rows {
				if !strings.HasPrefix(m[1], "/cases/"+m[2]) {
					t.Errorf("%s: a task of case %s links to %s", tc.path, m[2], m[1])
				}
				if _, ok := first[m[2]]; !ok {
					first[m[2]] = i
				}
			}
			if n, ok := first[near.ID]; ok {
				if f, ok := first[far.ID]; ok && f < n {
					t.Errorf("%s: the separated child's later task comes before the high-risk case's task due sooner", tc.path)
				}
			}
		}
		// Every kind's form page answers for the case's caseworker or supervisor.
		for _, k := range deadline.Kinds {
			p, _ := deadline.FormPath(k, near.ID)
			p, _, _ = strings.Cut(p, "#")
			key := "caseworker"
			if deadline.ForSupervisor(k) {
				key = "supervisor"
			}
			if res := e.as(key).get(p); res.StatusCode != http.StatusOK {
				t.Errorf("kind %s: GET %s as %s: %d", k, p, key, res.StatusCode)
			}
		}
	})
}

// TestSupervisorStepsWait: a plan waiting for approval is the supervisor's
// task, not the caseworker's: the caseworker's case page and caseload say
// "Waiting for the supervisor" (not a deadline of theirs) and do not say the
// case plan was delivered on time; "My tasks" of the caseworker does not
// list it; the supervisor's does, linked to the plan.
func TestSupervisorStepsWait(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.listCase(t, "caseworker", profile.CP, "Plan", "Waits", "high")
		ctx := context.Background()
		now := e.clock.now()
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			cur, err := tx.Case(ctx, c.ID)
			if err != nil {
				return err
			}
			cw := e.actor("caseworker")
			if _, err := assessment.Record(ctx, tx, e.srv.prof, cw, c.ID, assessment.Input{Kind: assessment.Initial,
				InterviewedChild: true, RiskLevel: "high", RiskReason: "as registered", Version: cur.Version,
				Needs: []assessment.NeedInput{{Domain: "safety", Description: "alone at night", Met: "not", Priority: "high"}}}, now); err != nil {
				return err
			}
			needs, err := tx.Needs(ctx, c.ID)
			if err != nil {
				return err
			}
			pl, err := plan.Save(ctx, tx, e.srv.prof, cw, c.ID, plan.Input{Objectives: []plan.ObjectiveInput{{NeedID: needs[0].ID,
				Description: "A safe adult at night", Measure: "aunt stays over", DueOn: now.AddDate(0, 2, 0).Format(time.DateOnly)}}}, now)
			if err != nil {
				return err
			}
			pl, err = plan.Submit(ctx, tx, e.srv.prof, cw, c.ID, pl.ID, pl.Version, now)
			if err == nil && !pl.AwaitsApproval() {
				t.Fatalf("the plan of a high-risk case does not wait for approval")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.clock.add(3 * 24 * time.Hour) // the approval is overdue
		cw := e.as("caseworker")
		page := cw.get("/cases/" + c.ID)
		approval := regexp.MustCompile(`Approve or return the case plan</span><span class="muted waiting">Waiting for the supervisor</span>`)
		if !approval.MatchString(page.Body) {
			t.Errorf("the case page does not show the approval as waiting for the supervisor")
		}
		done := regexp.MustCompile(`(?s)<span>Case plan</span>\s*<span>[^<]*· (.*?)</span></li>`)
		if m := done.FindStringSubmatch(page.Body); m == nil {
			t.Errorf("the case page does not list the delivered case plan")
		} else if strings.Contains(m[1], "on time") || !strings.Contains(m[1], "waiting for the supervisor") {
			t.Errorf("the delivered plan, awaiting approval, says %q", m[1])
		}
		list := cw.get("/caseload")
		if !strings.Contains(list.Body, "Waiting for the supervisor: Approve or return the case plan") {
			t.Errorf("the caseload does not show the approval as waiting for the supervisor")
		}
		if strings.Contains(cw.get("/tasks").Body, "Approve or return the case plan") {
			t.Errorf("the caseworker's tasks list the supervisor's approval")
		}
		supTasks := e.as("supervisor").get("/tasks")
		if !strings.Contains(supTasks.Body, `href="/cases/`+c.ID+`/plan">Approve or return the case plan</a>`) {
			t.Errorf("the supervisor's tasks do not list the approval, linked to the plan")
		}
		if sp := e.as("supervisor").get("/cases/" + c.ID); approval.MatchString(sp.Body) {
			t.Errorf("the supervisor's case page shows their own task as waiting for the supervisor")
		}
	})
}

// TestReferralsYouSent: the coordination page lists the referrals its
// reader sent for their cases, open ones first, then the newest, and says
// in words when an answer is overdue.
func TestReferralsYouSent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		now := e.clock.now()
		var open1, open2, closed string
		var code string
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			age := 10
			c, err := cases.Register(ctx, tx, e.srv.prof, e.actor("supervisor"), cases.Registration{Type: "cp",
				GivenName: "Sent", Age: &age, Sex: "female", Location: "x", Contact: "y", CareStatus: "accompanied",
				CaseworkerID: e.users["supervisor"].ID,
				Concerns:     []string{"neglect"}, RiskLevel: "medium", RiskReason: "test"}, func() string { return cases.NewCode("C") }, now)
			if err != nil {
				return err
			}
			code = c.Code
			svc := &directory.Service{AgencyID: e.agency, Organisation: "Clinic", Sector: "health_nutrition", AvgDays: 2,
				Services: "care", LastVerified: now.Format("2006-01-02"), Active: true, CreatedBy: e.users["system_admin"].ID,
				CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertDirectoryService(ctx, svc); err != nil {
				return err
			}
			send := func(at time.Time) (*referral.Referral, error) {
				return referral.Send(ctx, tx, e.srv.prof, e.actor("supervisor"), c.ID, referral.Input{ServiceID: svc.ID,
					Reason: "care", Sections: []string{"registration"}, OverrideReason: "the child is hurt and alone"}, at)
			}
			r, err := send(now)
			if err != nil {
				return err
			}
			open1 = r.ID
			r, err = send(now.Add(4 * 24 * time.Hour))
			if err != nil {
				return err
			}
			open2 = r.ID
			r, err = send(now.Add(5 * 24 * time.Hour))
			if err != nil {
				return err
			}
			closed = r.ID
			_, err = referral.RecordOutcome(ctx, tx, e.srv.prof, e.actor("supervisor"), closed,
				referral.OutcomeInput{Version: r.Version, Withdraw: true, Outcome: "no longer needed"}, now.Add(5*24*time.Hour))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		e.clock.add(5 * 24 * time.Hour) // the first answer is 3 days late, the second not yet due
		page := e.as("supervisor").get("/coordination")
		sec := regexp.MustCompile(`(?s)<section class="card" id="you-sent">.*?</section>`).FindString(page.Body)
		if sec == "" || !strings.Contains(sec, "Referrals you sent") {
			t.Fatalf("no section of the referrals sent:\n%s", page.Body)
		}
		rows := regexp.MustCompile(`(?s)<tr( class="over")?><td.*?href="/referrals/([^"]+)">`+regexp.QuoteMeta(code)+`.*?</tr>`).FindAllStringSubmatch(sec, -1)
		var got []string
		for _, m := range rows {
			got = append(got, m[2])
			late := m[1] != ""
			if says := strings.Contains(m[0], "Answer overdue"); late != says || late != (m[2] == open1) {
				t.Errorf("referral %s: marked late %v, says overdue %v; want both only for the first", m[2], late, says)
			}
		}
		if want := []string{open2, open1, closed}; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("order %v, want %v (open ones first, then the newest)", got, want)
		}
		if other := e.as("caseworker").get("/coordination"); strings.Contains(other.Body, code) {
			t.Errorf("another caseworker sees the supervisor's sent referrals")
		}
	})
}
