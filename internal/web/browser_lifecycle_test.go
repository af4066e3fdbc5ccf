package web

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// consentedCase registers a child of age at risk level risk for the
// caseworker, with the child's assent and the caregiver's consent to every
// required scope, as the first browser test does through the pages.
func (e *env) consentedCase(t *testing.T, risk string, age int) (id, code string) {
	t.Helper()
	ctx := context.Background()
	now := e.clock.now()
	cw := e.actor("caseworker")
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		c, err := cases.Register(ctx, tx, e.srv.prof, cw, cases.Registration{Type: "cp", GivenName: "Lifecycle",
			Age: &age, Sex: "female", Location: "Block 3", Contact: "0700 000 000", CareStatus: "accompanied",
			Concerns: []string{"neglect"}, RiskLevel: risk, RiskReason: "seen at the clinic"},
			func() string { return cases.NewCode("C") }, now)
		if err != nil {
			return err
		}
		id, code = c.ID, c.Code
		for _, sc := range []string{"participation", "collect_store", "share_services"} {
			for _, g := range []struct{ giver, kind string }{{"self", "assent"}, {"caregiver", "consent"}} {
				if _, err := consent.Add(ctx, tx, e.srv.prof, cw, c.ID, consent.Input{Scope: sc, Giver: g.giver,
					Kind: g.kind, Decision: "given", Method: "written"}, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, code
}

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

// TestBrowserLifecycle takes a high-risk and a low-risk case through the
// steps after registration in the browser, checking the due dates the
// profile sets at each step and who may do what.
func TestBrowserLifecycle(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		p := e.srv.prof
		span := func(b profile.ByRisk, risk string) time.Duration { d, _ := b.For(risk); return d }
		tl := p.Timelines
		high, highCode := e.consentedCase(t, "high", 10)
		low, _ := e.consentedCase(t, "low", 12)
		b := newBrowser(t, e)
		b.signIn("caseworker")

		// Assessment: the case plan falls due by risk level.
		b.later(2 * time.Hour)
		b.assess(high, "high", "Left alone at night; the mother works away")
		b.wantText("main", "Case plan", "Due in 3 days")
		b.wantText("ol.steps li.current", "Case plan")
		e.wantDue(t, high, deadline.CasePlan, span(tl.CasePlan, "high"))
		b.screenshot("case-assessed")
		b.assess(low, "low", "Aunt nearby and willing; no harm seen")
		e.wantDue(t, low, deadline.CasePlan, span(tl.CasePlan, "low"))

		// A high-risk plan goes to the supervisor; the caseworker cannot approve it.
		b.later(24 * time.Hour)
		due := e.clock.now().AddDate(0, 1, 0).Format(time.DateOnly)
		b.writePlan(high, due)
		b.wantText(".flash", "Sent to the supervisor")
		b.wantText("main", "waiting for the supervisor")
		if b.count("form[action$='/approve']") != 0 {
			t.Errorf("the caseworker is offered the approval of their own plan")
		}
		e.wantDue(t, high, deadline.PlanApproval, p.ApprovalWithin.D())
		b.screenshot("plan-submitted")

		// A low-risk plan is active at once: first action, follow-up and review run from now.
		b.writePlan(low, due)
		b.wantText(".flash", "The plan is active")
		e.wantDue(t, low, deadline.FollowUp, span(tl.FollowUp, "low"))
		e.wantDue(t, low, deadline.Review, span(tl.Review, "low"))
		e.wantDue(t, low, deadline.FirstAction, span(tl.FirstAction, "low"))

		// The supervisor is told, returns the plan with comments, then approves the fix.
		b.signOut()
		b.signIn("supervisor")
		b.wantText(".bell", "1 unread")
		b.open("/notifications")
		b.wantText("main", "A case plan waits for your approval", highCode)
		b.open("/tasks")
		b.wantText("main", highCode, "Approve or return the case plan")
		b.open("/cases/" + high + "/plan")
		b.fill("return_comments", "Say who checks on her at night")
		b.submit("form[action$='/return'] button[type=submit]")
		b.wantText(".flash", "Plan returned")
		b.signOut()
		b.signIn("caseworker")
		b.open("/notifications")
		b.wantText("main", "Your case plan was returned with comments", highCode)
		b.open("/cases/" + high + "/plan/edit")
		b.wantText(".notice", "Say who checks on her at night")
		b.fill("notes", "Neighbour checks at 9 pm")
		b.submit("form[action$='/plan'] button[type=submit]")
		b.submit("form[action$='/submit'] button[type=submit]")
		b.wantText(".flash", "Sent to the supervisor")
		b.signOut()
		b.signIn("supervisor")
		b.later(3 * time.Hour)
		b.open("/cases/" + high + "/plan")
		b.submit("form[action$='/approve'] button[type=submit]")
		b.wantText(".flash", "Plan approved")
		e.wantDue(t, high, deadline.FollowUp, span(tl.FollowUp, "high"))
		e.wantDue(t, high, deadline.Review, span(tl.Review, "high"))
		e.wantDue(t, high, deadline.FirstAction, span(tl.FirstAction, "high"))
		b.open("/cases/" + high)
		b.wantText("ol.steps li.current", "Implementation")
		b.wantText("#h-plan + *, main", "She eats three meals a day with her aunt")
		b.screenshot("case-plan-active")

		// Implementation: direct support tied to the plan's action, a safety
		// plan, and a payment from the emergency fund within its rules.
		b.signOut()
		b.signIn("caseworker")
		b.later(2 * time.Hour)
		b.open("/cases/" + high + "/services")
		b.openDetails("form[action$='/services']")
		b.choose("service_type", "information")
		b.choose("given_on", e.clock.now().Format(time.DateOnly))
		b.choose("action_id", b.attr("select[name=action_id] option:nth-child(2)", "value"))
		b.do(chromedp.Click(chromedp.CSS("input[name=completes_action]")))
		b.fill("description", "Explained to the aunt what daily care means and where to call")
		b.submit("form[action$='/services'] button[type=submit]")
		b.wantText(".flash", "Support recorded")
		b.openDetails("form[action$='/fund']")
		b.fill("amount", "500")
		b.choose("purpose", "transport")
		b.do(chromedp.Click(chromedp.CSS("input[name=criteria][value=urgent_need]")))
		b.submitRefused("form[action$='/fund'] button[type=submit]")
		b.wantText(".has-error", "150") // the error names the profile's maximum
		b.wantText(".error-summary, main", "criteria")
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

		// The supervisor sees the payment in the team's monthly fund view.
		b.signOut()
		b.signIn("supervisor")
		b.open("/team/fund")
		b.wantText("main", highCode, "45.50")
		b.signOut()

		// Follow-up: the safety re-check is required; the next one runs from
		// the day of this one, at the high-risk pace.
		b.signIn("caseworker")
		b.later(24 * time.Hour)
		b.open("/cases/" + high + "/followups")
		b.do(chromedp.Click(chromedp.CSS("input[name=mode][value=home_visit]")),
			chromedp.Click(chromedp.CSS("input[name=contacts][value=child]")))
		b.submitRefused("form[action$='/followups'] button[type=submit]")
		b.wantText(".has-error", "safe")
		b.do(chromedp.Click(chromedp.CSS("input[name=safety][value=safe]")))
		b.choose("progress.0.status", "in_progress")
		b.fill("progress.0.note", "Eats with her aunt most days")
		b.submit("form[action$='/followups'] button[type=submit]")
		b.wantText(".flash", "Follow-up recorded")
		dayStart := func() time.Time { return p.DayStart(p.Today(e.clock.now()), e.clock.now()) }
		if d, ok := e.openDeadline(t, high, deadline.FollowUp); !ok || !d.DueAt.Equal(dayStart().Add(span(tl.FollowUp, "high"))) {
			t.Errorf("next follow-up %+v, want %v after the start of today", d, span(tl.FollowUp, "high"))
		}
		b.open("/cases/" + high)
		b.wantText("ol.steps li.current", "Follow-up")
		b.wantText("#h-plan ~ ul, main", "In progress")
		b.screenshot("case-followed-up")

		// The family is not satisfied: the review is due at once.
		b.later(2 * time.Hour)
		b.open("/cases/" + high + "/followups")
		b.do(chromedp.Click(chromedp.CSS("input[name=mode][value=phone]")),
			chromedp.Click(chromedp.CSS("input[name=contacts][value=caregiver]")),
			chromedp.Click(chromedp.CSS("input[name=safety][value=safe]")),
			chromedp.Click(chromedp.CSS("input[name=dissatisfied]")))
		b.submit("form[action$='/followups'] button[type=submit]")
		b.open("/cases/" + high)
		b.wantText("main", "Review", "Due now")

		// Review: every objective of the plan, the child's participation.
		b.open("/cases/" + high + "/reviews")
		b.choose("trigger", "dissatisfaction")
		b.choose("evaluation.0.status", "met")
		b.choose("evaluation.0.effectiveness", "effective")
		b.do(chromedp.Click(chromedp.CSS("input[name=child_participated]")))
		b.fill("participation", "She said what helps and what does not")
		b.submit("form[action$='/reviews'] button[type=submit]")
		b.wantText(".flash", "Review recorded")
		if d, ok := e.openDeadline(t, high, deadline.Review); !ok || !d.DueAt.Equal(dayStart().Add(span(tl.Review, "high"))) {
			t.Errorf("next review %+v, want %v after the start of today", d, span(tl.Review, "high"))
		}
		b.screenshot("review")

		// Closure: proposed, returned by the supervisor with what to do, then approved.
		b.later(time.Hour)
		b.open("/cases/" + high + "/closure")
		b.do(chromedp.Click(chromedp.CSS("input[name=closure_reason][value=objectives_met]")))
		for _, k := range []string{"objectives_met", "safe_supported", "no_further_risk"} {
			b.do(chromedp.Click(chromedp.CSS("input[name=confirmations][value=" + k + "]")))
		}
		b.fill("explanation", "Fed and safe for six weeks; the aunt is steady")
		b.submit("form[action$='/closure'] button[type=submit]")
		b.wantText(".flash", "Closure proposed")
		e.wantDue(t, high, deadline.ClosureApproval, p.ApprovalWithin.D())
		b.signOut()
		b.signIn("supervisor")
		b.open("/notifications")
		b.wantText("main", "A case closure waits for your approval", highCode)
		b.open("/cases/" + high + "/closure")
		b.fill("required_actions", "One more home visit at night first")
		b.submit("form[action$='/closure/return'] button[type=submit]")
		b.open("/cases/" + high)
		b.wantText("ol.steps li.current", "Follow-up")
		b.signOut()
		b.signIn("caseworker")
		b.open("/notifications")
		b.wantText("main", "A case closure was returned", highCode)
		b.open("/cases/" + high + "/closure")
		b.wantText("main", "One more home visit at night first")
		b.do(chromedp.Click(chromedp.CSS("input[name=closure_reason][value=objectives_met]")))
		for _, k := range []string{"objectives_met", "safe_supported", "no_further_risk"} {
			if sel := "input[name=confirmations][value=" + k + "]:not(:checked)"; b.count(sel) > 0 {
				b.do(chromedp.Click(chromedp.CSS(sel)))
			}
		}
		if b.count("#f-explanation") > 0 && strings.TrimSpace(b.text("#f-explanation")) == "" {
			b.fill("explanation", "Night visit done: the neighbour checks on her")
		}
		b.submit("form[action$='/closure'] button[type=submit]")
		b.wantText(".flash", "Closure proposed")
		b.signOut()
		b.signIn("supervisor")
		b.later(time.Hour)
		b.open("/cases/" + high + "/closure")
		b.submit("form[action$='/closure/approve'] button[type=submit]")
		b.wantText(".flash", "The case is closed")
		// The post-closure follow-up is the supervisor's, within the profile's window.
		d, ok := e.openDeadline(t, high, deadline.PostClosure)
		if !ok || !d.DueAt.Equal(e.clock.now().Add(p.PostClosureFollowUp.D())) || d.AssigneeID != e.users["supervisor"].ID {
			t.Errorf("post-closure task %+v, want the supervisor's, due in %s", d, p.PostClosureFollowUp)
		}
		for _, k := range []deadline.Kind{deadline.FollowUp, deadline.Review} {
			if _, ok := e.openDeadline(t, high, k); ok {
				t.Errorf("a closed case still has an open %s deadline", k)
			}
		}
		b.open("/tasks")
		b.wantText("main", highCode, "Post-closure follow-up and feedback")
		b.open("/cases/" + high)
		b.wantText(".notice", "This case is closed")
		if n := b.count("form[action$='/step'], form[action$='/risk']"); n != 0 {
			t.Errorf("the closed case offers %d forms to change it", n)
		}
		b.screenshot("case-closed")

		// Reopened: a new assessment is due at the case's risk level.
		b.open("/cases/" + high + "/closure")
		b.fill("reopen_reason", "The aunt has left; she is alone again")
		b.submit("form[action$='/reopen'] button[type=submit]")
		b.wantText(".flash", "The case is reopened")
		c, _ := e.caseOf(t, high)
		e.wantDue(t, high, deadline.Assessment, span(tl.Assessment, c.RiskLevel))
		b.open("/cases/" + high)
		b.wantText("ol.steps li.current", "Assessment")
	})
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
