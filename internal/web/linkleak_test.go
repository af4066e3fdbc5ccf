package web

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/store"
)

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestLinkToAnotherAgencyShowsNothing: a caseworker who types the code of
// another agency's case on the links page, and one who types a code no
// case has, get exactly the same answer — the same status, the same
// redirect, the same page (byte for byte once the case's own ID and code,
// the code typed and record IDs are set aside), the same JSON from the API
// and the same audit events on their case — and neither learns anything of
// the other case: not its type, caseworker or agency, on the links page,
// the case page or the API.
func TestLinkToAnotherAgencyShowsNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.session("caseworker")
		mother := e.incidentCase(t, "other_agency", "gbv")
		codes := []string{mother.Code, "C-ZZ9ZZ9"}
		secrets := []string{"Other Agency", e.users["other_agency"].DisplayName, ">GBV<", mother.ID}
		var pages, locations, apis []string
		var statuses, apiStatuses []int
		var trails [][]string
		for i, code := range codes {
			from := e.incidentCase(t, "caseworker", "cp")
			base := "/cases/" + from.ID + "/links"
			norm := strings.NewReplacer(from.ID, "SELF", from.Code, "SELFCODE", code, "CODE")
			res := cw.post(base, url.Values{"case_code": {strings.ToLower(code)}, "relation": {"parent_child"}})
			statuses = append(statuses, res.StatusCode)
			locations = append(locations, norm.Replace(res.Header.Get("Location")))
			page := cw.get(base)
			for _, s := range secrets {
				for what, body := range map[string]string{"links page": page.Body, "case page": cw.get("/cases/" + from.ID).Body,
					"answer": res.Body} {
					if strings.Contains(body, s) {
						t.Errorf("code %d: the %s shows %q of the other agency's case", i, what, s)
					}
				}
			}
			pages = append(pages, uuidRE.ReplaceAllString(norm.Replace(mainOf(page.Body)), "ID"))

			// The API, from a third and fourth case.
			api := e.incidentCase(t, "caseworker", "cp")
			ares := cw.json("POST", "/api/v1/cases/"+api.ID+"/links", `{"case_code":"`+code+`","relation":"parent_child"}`)
			apiStatuses = append(apiStatuses, ares.StatusCode)
			for _, s := range secrets {
				if strings.Contains(ares.Body, s) {
					t.Errorf("code %d: the API answer shows %q of the other agency's case", i, s)
				}
			}
			anorm := strings.NewReplacer(api.ID, "SELF", code, "CODE")
			apis = append(apis, uuidRE.ReplaceAllString(anorm.Replace(ares.Body), "ID"))

			// What the requester's case's trail holds (the case page's timeline reads it).
			var trail []string
			ctx := context.Background()
			if err := e.db.Read(ctx, func(tx *store.Tx) error {
				evs, err := tx.AuditEvents(ctx, store.AuditFilter{CaseID: from.ID, Limit: 100})
				for _, ev := range evs {
					if strings.HasSuffix(ev.Action, ".view") {
						continue
					}
					b, _ := json.Marshal([]string{ev.Action, ev.RecordType, ev.ActorID, norm.Replace(ev.Detail), ev.Reason})
					trail = append(trail, string(b))
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			trails = append(trails, trail)
		}
		if statuses[0] != statuses[1] || locations[0] != locations[1] {
			t.Errorf("the answers differ: %d %q / %d %q", statuses[0], locations[0], statuses[1], locations[1])
		}
		if pages[0] != pages[1] {
			t.Errorf("the links pages differ:\n%s\n---\n%s", pages[0], pages[1])
		}
		if apiStatuses[0] != apiStatuses[1] || apis[0] != apis[1] {
			t.Errorf("the API answers differ:\n%d %s\n---\n%d %s", apiStatuses[0], apis[0], apiStatuses[1], apis[1])
		}
		if strings.Join(trails[0], "\n") != strings.Join(trails[1], "\n") {
			t.Errorf("the requester's trails differ:\n%s\n---\n%s", strings.Join(trails[0], "\n"), strings.Join(trails[1], "\n"))
		}
		if !strings.Contains(pages[0], "CODE") {
			t.Errorf("the links page does not show the code typed:\n%s", pages[0])
		}
	})
}
