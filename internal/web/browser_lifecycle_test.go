package web

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// openDeadline returns the open deadline of kind k of case id.
func (e *env) openDeadline(t *testing.T, id string, k deadline.Kind) (deadline.Deadline, bool) {
	t.Helper()
	ctx := context.Background()
	var ds []deadline.Deadline
	if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
		ds, err = tx.CaseDeadlines(ctx, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Kind == k && d.Open() {
			return d, true
		}
	}
	return deadline.Deadline{}, false
}

// wantDue checks that case id has an open deadline of kind k due after
// span from now (the profile's timeline for the case's risk level).
func (e *env) wantDue(t *testing.T, id string, k deadline.Kind, span time.Duration) {
	t.Helper()
	d, ok := e.openDeadline(t, id, k)
	if !ok {
		t.Errorf("no open %s deadline", k)
		return
	}
	if want := e.clock.now().Add(span); !d.DueAt.Equal(want) {
		t.Errorf("%s due %v, want %v", k, d.DueAt, want)
	}
}

// fill types text into the form control named name.
func (b *browser) fill(name, text string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.CSS("[name='"+name+"']"), text))
}

// choose sets the select (or input) named name to value.
func (b *browser) choose(name, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS("[name='"+name+"']"), value))
}

// assess records an initial assessment of case id through its form.
func (b *browser) assess(id, risk, reason string) {
	b.t.Helper()
	b.open("/cases/" + id + "/assessments/new")
	b.fill("domain_child", "Thin, misses meals, school stopped in August")
	b.choose("threat_0_type", "neglect")
	b.fill("threat_0_location", "at home")
	b.choose("need_0_domain", "safety")
	b.fill("need_0_description", "An adult who looks after her every day")
	b.choose("need_0_met", "not")
	b.choose("need_0_priority", "high")
	b.choose("risk_level", risk)
	b.fill("risk_reason", reason)
	b.submit("form[action$='/assessments'] button[type=submit]")
	b.wantText(".flash", "Assessment recorded")
}

// writePlan writes and saves a plan for case id with one objective and one
// action, then submits it from the plan page.
func (b *browser) writePlan(id, due string) {
	b.t.Helper()
	b.open("/cases/" + id + "/plan/edit")
	b.choose("objective_0_need", b.attr("select[name=objective_0_need] option:nth-child(2)", "value"))
	b.fill("objective_0_description", "She eats three meals a day with her aunt")
	b.fill("objective_0_measure", "Aunt and child say so at each follow-up")
	b.choose("objective_0_due", due)
	b.fill("action_0_what", "Visit the aunt and agree daily care")
	b.choose("action_0_objective", "1")
	b.choose("action_0_who", "caseworker")
	b.choose("action_0_due", due)
	b.choose("action_0_horizon", "immediate")
	b.submit("form[action$='/plan'] button[type=submit]")
	b.wantText(".flash", "Draft saved")
	b.submit("form[action$='/submit'] button[type=submit]")
}

// TestBrowserLifecycle is the "done when": one high-risk and one
// low-risk case go through registration, assessment, the plan (approved by
// the supervisor for the high-risk one), direct support, follow-ups, a
// review, closure proposed, returned and approved, the supervisor's
// post-closure feedback and reopening, all in the browser; at each step the
// due dates on the case page and in the database are those of the profile.
func TestBrowserLifecycle(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		b := newBrowser(t, e)
		for _, risk := range []string{"high", "low"} {
			t.Run(risk, func(t *testing.T) {
				b.t = t
				lifecycle(t, e, b, risk)
			})
		}
	})
}

// lifecycle takes one case at risk level risk through every step.
func lifecycle(t *testing.T, e *env, b *browser, risk string) {
	p := e.srv.prof
	tl := p.Timelines
	span := func(br profile.ByRisk) time.Duration { d, _ := br.For(risk); return d }
	high := risk == "high"
	if p.NeedsPlanApproval(risk) != high {
		t.Fatalf("the test expects only high-risk plans to need approval")
	}
	// shown checks the case page lists task label as due at the date of due.
	shown := func(id, label string, due time.Time) {
		t.Helper()
		b.open("/cases/" + id)
		b.wantText("#h-due + ul", label, due.In(p.Location()).Format("2 Jan 2006"))
	}
	// dueIs checks the open deadline of kind k of case id is due after d from
	// from, and that the case page shows it.
	dueIs := func(id string, k deadline.Kind, label string, from time.Time, d time.Duration) {
		t.Helper()
		got, ok := e.openDeadline(t, id, k)
		if !ok || !got.DueAt.Equal(from.Add(d)) {
			t.Errorf("%s: %s deadline %+v, want due %v after %v", risk, k, got, d, from)
			return
		}
		shown(id, label, got.DueAt)
	}
	dayStart := func() time.Time { return p.DayStart(p.Today(e.clock.now()), e.clock.now()) }

	// Registration, with the child's assent and the caregiver's consent to
	// collect and store: the assessment falls due by risk level.
	b.signIn("caseworker")
	b.open("/cases/new")
	b.do(chromedp.Click(chromedp.CSS("input[name=type][value=cp]")))
	b.fill("given_name", "Amal")
	b.fill("age", "10")
	b.choose("sex", "female")
	b.fill("location", "Block 7, near the clinic")
	b.fill("contact", "0700 111 222")
	b.choose("care_status", "accompanied")
	b.do(chromedp.Click(chromedp.CSS("input[name=concerns][value=neglect]")))
	b.choose("risk_level", risk)
	b.fill("risk_reason", "seen at the clinic; thin and alone")
	b.submit("form[action='/cases'] button[type=submit]")
	b.wantText(".flash", "The case is registered")
	code := strings.TrimSpace(b.text("h1 .code"))
	id := strings.TrimPrefix(b.attr("a[href$='/consent']", "href"), "/cases/")
	id = strings.TrimSuffix(id, "/consent")
	dueIs(id, deadline.Assessment, "Assessment", e.clock.now(), span(tl.Assessment))
	b.open("/cases/" + id + "/consent")
	for _, g := range []struct{ giver, kind string }{{"self", "assent"}, {"caregiver", "consent"}} {
		b.do(chromedp.SetValue(chromedp.CSS("#f-scope"), "collect_store"),
			chromedp.SetValue(chromedp.CSS("#f-giver"), g.giver),
			chromedp.Click(chromedp.CSS("input[name=kind][value="+g.kind+"]")),
			chromedp.Click(chromedp.CSS("input[name=decision][value=given]")),
			chromedp.SetValue(chromedp.CSS("#f-method"), "written"))
		b.submit("form[action$='/consent'] button[type=submit]")
	}

	// Assessment: the case plan falls due by risk level.
	b.later(2 * time.Hour)
	b.assess(id, risk, "Left alone at night; the mother works away")
	b.wantText("ol.steps li.current", "Case plan")
	dueIs(id, deadline.CasePlan, "Case plan", e.clock.now(), span(tl.CasePlan))
	b.screenshot("case-assessed-" + risk)

	// The plan: a high-risk one goes to the supervisor, who returns it with
	// comments and then approves it; a low-risk one is active at once.
	b.later(24 * time.Hour)
	due := e.clock.now().AddDate(0, 1, 0).Format(time.DateOnly)
	b.writePlan(id, due)
	if high {
		b.wantText(".flash", "Sent to the supervisor")
		if b.count("form[action$='/approve']") != 0 {
			t.Errorf("the caseworker is offered the approval of their own plan")
		}
		if d, ok := e.openDeadline(t, id, deadline.PlanApproval); !ok || !d.DueAt.Equal(e.clock.now().Add(p.ApprovalWithin.D())) ||
			d.AssigneeID != e.users["supervisor"].ID {
			t.Errorf("plan approval %+v, want the supervisor's, due in %s", d, p.ApprovalWithin)
		}
		b.screenshot("plan-submitted")
		b.signOut()
		b.signIn("supervisor")
		b.open("/notifications")
		b.wantText("main", "A case plan waits for your approval", code)
		b.open("/tasks")
		b.wantText("main", code, "Approve or return the case plan")
		b.open("/cases/" + id + "/plan")
		b.fill("return_comments", "Say who checks on her at night")
		b.submit("form[action$='/return'] button[type=submit]")
		b.wantText(".flash", "Plan returned")
		b.signOut()
		b.signIn("caseworker")
		b.open("/notifications")
		b.wantText("main", "Your case plan was returned with comments", code)
		dueIs(id, deadline.CasePlan, "Case plan", e.clock.now(), span(tl.CasePlan))
		b.open("/cases/" + id + "/plan/edit")
		b.wantText(".notice", "Say who checks on her at night")
		b.fill("notes", "The neighbour checks at 9 pm")
		b.submit("form[action$='/plan'] button[type=submit]")
		b.submit("form[action$='/submit'] button[type=submit]")
		b.wantText(".flash", "Sent to the supervisor")
		b.signOut()
		b.signIn("supervisor")
		b.later(3 * time.Hour)
		b.open("/cases/" + id + "/plan")
		b.submit("form[action$='/approve'] button[type=submit]")
		b.wantText(".flash", "Plan approved")
		b.signOut()
		b.signIn("caseworker")
	} else {
		b.wantText(".flash", "The plan is active")
	}
	activated := e.clock.now()
	dueIs(id, deadline.FirstAction, "First action", activated, span(tl.FirstAction))
	dueIs(id, deadline.FollowUp, "Follow-up", activated, span(tl.FollowUp))
	dueIs(id, deadline.Review, "Review", activated, span(tl.Review))
	b.wantText("ol.steps li.current", "Implementation")
	b.wantText("main", "She eats three meals a day with her aunt")
	b.screenshot("case-plan-active-" + risk)

	// Implementation: direct support tied to the plan's action.
	b.later(2 * time.Hour)
	b.open("/cases/" + id + "/services")
	b.openDetails("form[action$='/services']")
	b.choose("service_type", "information")
	b.choose("given_on", p.Today(e.clock.now()))
	b.choose("action_id", b.attr("select[name=action_id] option:nth-child(2)", "value"))
	b.do(chromedp.Click(chromedp.CSS("input[name=completes_action]")))
	b.fill("description", "Explained to the aunt what daily care means and where to call")
	b.submit("form[action$='/services'] button[type=submit]")
	b.wantText(".flash", "Support recorded")
	if high {
		// The emergency fund within its rules, and a safety plan.
		b.openDetails("form[action$='/fund']")
		b.fill("amount", "500")
		b.choose("purpose", "transport")
		b.do(chromedp.Click(chromedp.CSS("input[name=criteria][value=urgent_need]")))
		b.submitRefused("form[action$='/fund'] button[type=submit]")
		b.wantText(".has-error", "150") // the error names the profile's maximum
		b.screenshot("fund-error")
		b.do(chromedp.SetValue(chromedp.CSS("[name=amount]"), "45.50"))
		for _, c := range p.EmergencyFund.Criteria {
			if sel := "input[name=criteria][value=" + c.Key + "]:not(:checked)"; b.count(sel) > 0 {
				b.do(chromedp.Click(chromedp.CSS(sel)))
			}
		}
		b.submit("form[action$='/fund'] button[type=submit]")
		b.wantText(".flash", "Payment recorded")
		b.wantText("main", "45.50 USD")
		b.openDetails("form[action$='/safety-plan']")
		b.fill("concern", "Alone at night when the aunt works late")
		b.fill("current_strategies", "Goes to the neighbour's")
		b.fill("unsafe", "The road by the market after dark")
		b.fill("avoidance", "Stay in the neighbour's house until the aunt comes")
		b.fill("emergency", "Neighbour, then the community focal point")
		b.submit("form[action$='/safety-plan'] button[type=submit]")
		b.wantText(".flash", "Safety plan saved")
		b.screenshot("services")
	}

	// Follow-up: the safety re-check is required; the next one runs from
	// the day of this one at the risk level's pace.
	b.later(24 * time.Hour)
	b.open("/cases/" + id + "/followups")
	b.do(chromedp.Click(chromedp.CSS("input[name=mode][value=home_visit]")),
		chromedp.Click(chromedp.CSS("input[name=contacts][value=child]")))
	b.submitRefused("form[action$='/followups'] button[type=submit]")
	b.wantText(".has-error", "safe")
	b.do(chromedp.Click(chromedp.CSS("input[name=safety][value=safe]")))
	b.choose("progress.0.status", "in_progress")
	b.fill("progress.0.note", "Eats with her aunt most days")
	b.submit("form[action$='/followups'] button[type=submit]")
	b.wantText(".flash", "Follow-up recorded")
	dueIs(id, deadline.FollowUp, "Follow-up", dayStart(), span(tl.FollowUp))
	b.wantText("ol.steps li.current", "Follow-up")
	b.wantText("main", "In progress")
	b.screenshot("case-followed-up-" + risk)

	// The family is not satisfied: the review is due at once.
	b.later(2 * time.Hour)
	b.open("/cases/" + id + "/followups")
	b.do(chromedp.Click(chromedp.CSS("input[name=mode][value=phone]")),
		chromedp.Click(chromedp.CSS("input[name=contacts][value=caregiver]")),
		chromedp.Click(chromedp.CSS("input[name=safety][value=safe]")),
		chromedp.Click(chromedp.CSS("input[name=dissatisfied]")))
	b.submit("form[action$='/followups'] button[type=submit]")
	dueIs(id, deadline.Review, "Review", e.clock.now(), 0)
	b.wantText("#h-due + ul", "Due now")

	// Review: every objective of the plan, the child's participation.
	b.open("/cases/" + id + "/reviews")
	b.choose("trigger", "dissatisfaction")
	b.choose("evaluation.0.status", "met")
	b.choose("evaluation.0.effectiveness", "effective")
	b.do(chromedp.Click(chromedp.CSS("input[name=child_participated]")))
	b.fill("participation", "She said what helps and what does not")
	b.submit("form[action$='/reviews'] button[type=submit]")
	b.wantText(".flash", "Review recorded")
	dueIs(id, deadline.Review, "Review", dayStart(), span(tl.Review))
	b.screenshot("review-" + risk)

	// Closure: proposed, returned by the supervisor with what to do first,
	// proposed again and approved.
	propose := func() {
		t.Helper()
		b.open("/cases/" + id + "/closure")
		b.do(chromedp.Click(chromedp.CSS("input[name=closure_reason][value=objectives_met]")))
		for _, k := range []string{"objectives_met", "safe_supported", "no_further_risk"} {
			if sel := "input[name=confirmations][value=" + k + "]:not(:checked)"; b.count(sel) > 0 {
				b.do(chromedp.Click(chromedp.CSS(sel)))
			}
		}
		b.submit("form[action$='/closure'] button[type=submit]")
		b.wantText(".flash", "Closure proposed")
	}
	b.later(time.Hour)
	propose()
	if d, ok := e.openDeadline(t, id, deadline.ClosureApproval); !ok || d.AssigneeID != e.users["supervisor"].ID ||
		!d.DueAt.Equal(e.clock.now().Add(p.ApprovalWithin.D())) {
		t.Errorf("closure approval %+v, want the supervisor's, due in %s", d, p.ApprovalWithin)
	}
	b.signOut()
	b.signIn("supervisor")
	b.open("/notifications")
	b.wantText("main", "A case closure waits for your approval", code)
	b.open("/cases/" + id + "/closure")
	b.fill("required_actions", "One more home visit at night first")
	b.submit("form[action$='/closure/return'] button[type=submit]")
	b.open("/cases/" + id)
	b.wantText("ol.steps li.current", "Follow-up")
	b.signOut()
	b.signIn("caseworker")
	b.open("/notifications")
	b.wantText("main", "A case closure was returned", code)
	b.open("/cases/" + id + "/closure")
	b.wantText("main", "One more home visit at night first")
	propose()
	b.signOut()
	b.signIn("supervisor")
	b.later(time.Hour)
	b.open("/cases/" + id + "/closure")
	b.submit("form[action$='/closure/approve'] button[type=submit]")
	b.wantText(".flash", "The case is closed")
	closed := e.clock.now()
	// The post-closure follow-up is the supervisor's (the designee by
	// default), within the profile's window; nothing else stays due.
	if d, ok := e.openDeadline(t, id, deadline.PostClosure); !ok || d.AssigneeID != e.users["supervisor"].ID {
		t.Errorf("post-closure task %+v, want the supervisor's", d)
	}
	dueIs(id, deadline.PostClosure, "Post-closure follow-up and feedback", closed, p.PostClosureFollowUp.D())
	for _, k := range []deadline.Kind{deadline.FollowUp, deadline.Review, deadline.FirstAction} {
		if _, ok := e.openDeadline(t, id, k); ok {
			t.Errorf("a closed case still has an open %s deadline", k)
		}
	}
	b.wantText(".notice", "This case is closed")
	if n := b.count("form[action$='/step'], form[action$='/risk'], form[action$='/urgent']"); n != 0 {
		t.Errorf("the closed case offers %d forms to change it", n)
	}
	b.open("/tasks")
	b.wantText("main", code, "Post-closure follow-up and feedback")
	b.screenshot("case-closed-" + risk)

	// The supervisor's post-closure follow-up with the feedback survey.
	b.later(30 * 24 * time.Hour)
	b.open("/cases/" + id + "/closure")
	b.do(chromedp.Click(chromedp.CSS("input[name=child_safe][value=safe]")))
	for _, q := range p.FeedbackQuestions {
		b.do(chromedp.Click(chromedp.CSS("input[name='answers." + q.Key + "'][value=yes]")))
	}
	b.fill("feedback_comments", "Back at school; eats with her aunt")
	b.submit("form[action$='/feedback'] button[type=submit]")
	b.wantText(".flash", "Follow-up recorded")
	if _, ok := e.openDeadline(t, id, deadline.PostClosure); ok {
		t.Errorf("the post-closure task is still open after the feedback")
	}

	// Reopened with a reason: a new assessment is due at the case's risk
	// level, and consent must be confirmed again.
	b.later(time.Hour)
	b.open("/cases/" + id + "/closure")
	b.fill("reopen_reason", "The aunt has left; she is alone again")
	b.submit("form[action$='/reopen'] button[type=submit]")
	b.wantText(".flash", "The case is reopened")
	c, _ := e.caseOf(t, id)
	dueIs(id, deadline.Assessment, "Assessment", e.clock.now(), func() time.Duration { d, _ := tl.Assessment.For(c.RiskLevel); return d }())
	b.wantText("ol.steps li.current", "Assessment")
	b.wantText(".alert", "Consent to collect and store information is missing")
	b.signOut()
}

// openDetails opens the <details> that holds sel.
func (b *browser) openDetails(sel string) {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(function(){var f=document.querySelector(`+strconv.Quote(sel)+`);
		if(!f){return false}; var d=f.closest("details"); if(d){d.open=true}; return true})()`))
	if err != nil || !ok {
		b.t.Fatalf("no %s on the page (%v)\npage: %s", sel, err, b.bodyText())
	}
}

// attr returns attribute name of the first element matching sel.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		b.t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return res.Value
}

// count returns how many elements match sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+strconv.Quote(sel)+`).length`))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}
