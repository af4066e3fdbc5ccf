package web

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/store"
)

// TestTimelineCoordination: every action the timeline shows — the
// incident, link and coordination ones among them — is a change the
// timeline query (and so its partial index) finds, however many reads of
// the shares follow; share.view is a read and never shown. The case page
// renders them in words, and a reportable incident recorded through the
// pages shows on the timeline and gives the supervisor the decision task.
func TestTimelineCoordination(t *testing.T) {
	if slices.Contains(timelineActions, "share.view") {
		t.Fatal("share.view, a read, is a timeline action")
	}
	for _, a := range []string{"incident.record", "mandatory.recommend", "mandatory.decide", "caselink.add",
		"caselink.added", "caselink.remove", "referral.share", "referral.accepted", "referral.declined",
		"referral.provided", "referral.closed", "referral.withdrawn", "transfer.request", "transfer.accept",
		"transfer.decline", "transfer.withdraw", "conference.schedule", "conference.record", "conference.sign_off",
		"conference.close", "case.break_glass", "share.family_told"} {
		if !slices.Contains(timelineActions, a) {
			t.Errorf("%s is not on the timeline", a)
		}
	}
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.incidentCase(t, "caseworker", "cp")
		cw, sup := e.session("caseworker"), e.session("supervisor")
		at := e.clock.now()
		rec := func(tx *store.Tx, action string) error {
			at = at.Add(time.Second)
			return tx.Record(ctx, audit.Event{ActorID: e.users["caseworker"].ID, ActorRole: "caseworker", At: at,
				Action: action, RecordType: "case", RecordID: c.ID, CaseID: c.ID, AgencyID: c.AgencyID})
		}
		// Every timeline action once, then more reads of shared sections
		// than the timeline reads rows.
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			for _, a := range timelineActions {
				if err := rec(tx, a); err != nil {
					return err
				}
			}
			for range timelineSize + 20 {
				if err := rec(tx, "share.view"); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var changes []audit.Event
		if err := e.db.Read(ctx, func(tx *store.Tx) (err error) {
			changes, err = tx.CaseChanges(ctx, c.ID, 1000)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		found := map[string]int{}
		for _, ch := range changes {
			found[ch.Action]++
		}
		if found["share.view"] != 0 {
			t.Errorf("the timeline query returns %d share.view reads", found["share.view"])
		}
		for _, a := range timelineActions {
			if found[a] == 0 {
				t.Errorf("the timeline query (and its partial index) leaves out %s", a)
			}
		}

		// The latest timelineSize are shown, each in words.
		page := cw.get("/cases/" + c.ID)
		if page.StatusCode != 200 {
			t.Fatalf("case page: %d %s", page.StatusCode, page.Body)
		}
		tl := page.Body[strings.Index(page.Body, `id="h-timeline"`):]
		tl = tl[:strings.Index(tl, "</section>")]
		for _, want := range []string{"Referral sent", "Referred service provided", "Transfer requested",
			"Transfer withdrawn", "Case conference record signed off", "Case conference closed",
			"Emergency access opened (break-glass)", "Family told of a share without consent",
			"Mandatory-reporting decision recorded", "A link to another case was removed"} {
			if !strings.Contains(tl, want) {
				t.Errorf("the case page's timeline lacks %q", want)
			}
		}
		if strings.Contains(tl, "timeline.") {
			t.Errorf("a timeline action without its message:\n%s", tl)
		}

		// A reportable incident through the pages: on the timeline, and a
		// task for the supervisor until the decision.
		res := cw.post("/cases/"+c.ID+"/incident-reports", url.Values{"incident_type": {"sexual"},
			"occurred_on": {"2026-11-10"}})
		if res.StatusCode != 303 {
			t.Fatalf("record: %d %s", res.StatusCode, res.Body)
		}
		page = cw.get("/cases/" + c.ID)
		tl = page.Body[strings.Index(page.Body, `id="h-timeline"`):]
		if i := strings.Index(tl, "<li>"); i < 0 || !strings.Contains(tl[i:strings.Index(tl, "</li>")], "Incident recorded") {
			t.Errorf("the latest timeline item is not the incident:\n%s", tl)
		}
		if body := sup.get("/cases/" + c.ID).Body; !strings.Contains(body, "Decide on mandatory reporting") {
			t.Error("the supervisor's case page does not list the decision task")
		}
	})
}
