package web

import (
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// value returns the current value of the control named name.
func (b *browser) value(name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector("[name='`+name+`']")||{value:"<none>"}).value`))
	if err != nil {
		b.t.Fatalf("value of %s: %v", name, err)
	}
	return v
}

// sharedIDs counts the ids more than one element of the page carries.
func (b *browser) sharedIDs() int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`(function(){var s={},n=0;
		document.querySelectorAll("[id]").forEach(function(e){if(s[e.id]===1){n++};s[e.id]=(s[e.id]||0)+1});return n})()`))
	if err != nil {
		b.t.Fatalf("ids: %v", err)
	}
	return n
}

// TestBrowserPlanRows: with the script, a caseworker types three
// objectives, adds rows in place (nothing is sent, nothing typed is lost),
// types more, links an action to a new objective and saves: every row is
// stored. Then the screening form shows only the chosen type's questions.
func TestBrowserPlanRows(t *testing.T) {
	chromiumPath(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		c, needs := e.rowsCase(t)
		b := newBrowser(t, e)
		b.signIn("caseworker")
		b.open("/cases/" + c.ID + "/plan/edit")
		due := e.srv.prof.Today(e.clock.now().AddDate(0, 1, 0))
		if n := b.count("[data-rows=objectives] [data-row]"); n != 3 {
			t.Fatalf("the plan form shows %d objective rows, want 3", n)
		}
		objective := func(i int, text string) {
			k := "objective_" + strconv.Itoa(i) + "_"
			b.choose(k+"need", needs[i%2])
			b.fill(k+"description", text)
			b.fill(k+"measure", "checked at follow-up "+strconv.Itoa(i+1))
			b.choose(k+"due", due)
		}
		want := []string{"A safe adult at night", "Back in school", "Eats three meals a day", "Sleeps at her aunt's", "Has a birth certificate"}
		for i := 0; i < 3; i++ {
			objective(i, want[i])
		}
		// A mark on the page tells whether it stayed: the script adds rows in place.
		b.do(chromedp.Evaluate[chromedp.Void](`window.stayed = true`))
		// Enter in a field neither adds a row nor sends the form.
		// (Checked with the count below: the key is handled after SendKeys returns.)
		b.do(chromedp.SendKeys(chromedp.CSS("[name='objective_2_measure']"), "\r"))
		b.click("button[data-add-row=objectives]")
		b.click("button[data-add-row=objectives]")
		if stayed, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.stayed === true`)); !stayed {
			t.Errorf("adding rows sent the form: the script did not add them in place")
		}
		if n := b.count("[data-rows=objectives] [data-row]"); n != 5 {
			t.Fatalf("after Enter in a field and two rows added the form shows %d objective rows, want 5", n)
		}
		for i := 0; i < 3; i++ {
			if got := b.value("objective_" + strconv.Itoa(i) + "_description"); got != want[i] {
				t.Errorf("objective %d reads %q after adding rows, want %q", i+1, got, want[i])
			}
		}
		if got := b.value("objective_4_description"); got != "" {
			t.Errorf("the added row is not blank: %q", got)
		}
		if b.value("objective_rows") != "5" || b.count("label[for='f-objectives.4.description']") != 1 {
			t.Errorf("the added row is not counted (%s) or its label does not point at it", b.value("objective_rows"))
		}
		if n := b.sharedIDs(); n != 0 {
			t.Errorf("%d ids are shared after adding rows", n)
		}
		b.wantText("[data-rows=objectives] [data-row='4']", "5")
		objective(3, want[3])
		objective(4, want[4])

		// An action for the fifth objective, on a row added in place.
		b.click("button[data-add-row=actions]")
		b.fill("action_4_what", "Take her to the civil registry")
		b.choose("action_4_objective", "5")
		b.choose("action_4_who", "caseworker")
		b.choose("action_4_horizon", "medium")
		b.choose("action_4_due", due)
		b.choose("participant_0_role", "child")
		b.fill("participant_0_name", "Child herself")
		b.click("button[data-add-row=participants]")
		b.choose("participant_4_role", "caregiver")
		b.fill("participant_4_name", "Aunt Mariam")
		b.screenshot("plan-rows")
		b.submit("form[action$='/plan'] button[type=submit]")
		b.wantText(".flash", "Draft saved")

		pl := e.openPlan(t, c.ID)
		var got []string
		for _, o := range pl.Objectives {
			got = append(got, o.Description)
		}
		if !slices.Equal(got, want) {
			t.Errorf("objectives saved %q, want %q", got, want)
		}
		if len(pl.Actions) != 1 || pl.Actions[0].What != "Take her to the civil registry" || pl.Objective(pl.Actions[0].ObjectiveID) == nil ||
			pl.Objective(pl.Actions[0].ObjectiveID).Position != 5 {
			t.Errorf("actions saved %+v, want one for objective 5", pl.Actions)
		}
		var names []string
		for _, p := range pl.Participants {
			names = append(names, p.Name)
		}
		if !slices.Equal(names, []string{"Child herself", "Aunt Mariam"}) {
			t.Errorf("participants saved %q", names)
		}

		// Screening: only the chosen type's questions show.
		b.open("/screen")
		if b.count("fieldset[data-show-if='case_type=cp']:not([hidden])") != 1 || b.count("fieldset[data-show-if='case_type=gbv'][hidden]") != 1 {
			t.Errorf("the screening form does not show only the child protection questions")
		}
		if b.count("[data-no-script]") != 0 {
			t.Errorf("the button for the page without script is still there")
		}
		b.click("input[name=case_type][value=gbv]")
		if b.count("fieldset[data-show-if='case_type=cp'][hidden]") != 1 || b.count("fieldset[data-show-if='case_type=gbv']:not([hidden])") != 1 {
			t.Errorf("choosing gender-based violence does not switch the questions")
		}
		b.fill("age", "30")
		for _, k := range []string{"gbv_disclosed", "wants_support", "case_management_appropriate"} {
			b.click("fieldset:not([hidden]) input[name=answer_" + k + "][value=yes]")
		}
		b.screenshot("screen-gbv")
		// Enter in a field sends the screening (the form's own button).
		if _, err := chromedp.RunResponse(b.ctx, chromedp.SendKeys(chromedp.CSS("#f-age"), "\r")); err != nil {
			t.Fatalf("Enter in the age: %v", err)
		}
		b.wantText("main", "Eligible for full case management")
	})
}
