package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTasksPageAndAPIAgree: /tasks and /api/v1/tasks give the same tasks
// for the same user (those due before the task horizon, in the same order)
// and the same count of later ones (deadline.Tasks). A child's registration
// opens tasks within the horizon and one years away (planning for turning
// 18), so a list that ignored the horizon would differ.
func TestTasksPageAndAPIAgree(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for _, key := range []string{"caseworker", "supervisor"} {
			c := e.as(key)
			for i := 0; i < 2; i++ {
				v := registrationValues()
				if key == "supervisor" {
					v.Set("caseworker_id", e.users["supervisor"].ID)
				}
				v.Set("age", strconv.Itoa(10+i))
				v.Set("different_child", "1") // two children of the same name (the duplicate check)
				if res := c.post("/cases", v); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("register as %s: %d\n%s", key, res.StatusCode, res.Body)
				}
			}
		}
		horizon := e.clock.now().Add(e.srv.prof.TaskHorizon.D())
		rowCase := regexp.MustCompile(`<tr[^>]*>.*?href="/cases/([^"/#]+)`)
		laterRE := regexp.MustCompile(`(\d+) more tasks fall due later`)
		type apiTasks struct {
			Tasks []struct {
				CaseID string    `json:"case_id"`
				Kind   string    `json:"kind"`
				DueAt  time.Time `json:"due_at"`
			} `json:"tasks"`
			Later *int `json:"later"`
		}
		for _, key := range []string{"caseworker", "supervisor"} {
			c := e.as(key)
			page := c.get("/tasks")
			if page.StatusCode != http.StatusOK {
				t.Fatalf("%s: /tasks: %d", key, page.StatusCode)
			}
			var pageCases []string
			for _, m := range rowCase.FindAllStringSubmatch(page.Body, -1) {
				pageCases = append(pageCases, m[1])
			}
			pageLater := 0
			if m := laterRE.FindStringSubmatch(page.Body); m != nil {
				pageLater, _ = strconv.Atoi(m[1])
			}
			res := c.json("GET", "/api/v1/tasks", "")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: /api/v1/tasks: %d\n%s", key, res.StatusCode, res.Body)
			}
			var api apiTasks
			if err := json.Unmarshal([]byte(res.Body), &api); err != nil {
				t.Fatal(err)
			}
			var apiCases []string
			for _, tk := range api.Tasks {
				apiCases = append(apiCases, tk.CaseID)
				if !tk.DueAt.Before(horizon) {
					t.Errorf("%s: the API lists a %s task due %s, beyond the horizon %s", key, tk.Kind, tk.DueAt, horizon)
				}
			}
			if len(apiCases) == 0 {
				t.Fatalf("%s: no tasks to compare", key)
			}
			if diff := cmp.Diff(pageCases, apiCases); diff != "" {
				t.Errorf("%s: the page and the API list different tasks (-page +api):\n%s", key, diff)
			}
			if api.Later == nil {
				t.Fatalf("%s: the API does not say how many tasks are later:\n%s", key, res.Body)
			}
			if *api.Later != pageLater || pageLater < 2 {
				t.Errorf("%s: later: page %d, API %d; want the same, at least 2 (the age-out tasks)", key, pageLater, *api.Later)
			}
		}
		// A team's list follows the same horizon.
		res := e.as("supervisor").json("GET", "/api/v1/tasks?scope=team", "")
		var team apiTasks
		if err := json.Unmarshal([]byte(res.Body), &team); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("team tasks: %d %v\n%s", res.StatusCode, err, res.Body)
		}
		if team.Later == nil {
			t.Errorf("team tasks: the API does not say how many are later:\n%s", res.Body)
		} else if *team.Later < 4 || len(team.Tasks) == 0 {
			t.Errorf("team tasks: %d listed, %d later; want some listed and at least 4 later", len(team.Tasks), *team.Later)
		}
		for _, tk := range team.Tasks {
			if !tk.DueAt.Before(horizon) {
				t.Errorf("team: a %s task due %s, beyond the horizon", tk.Kind, tk.DueAt)
			}
		}
	})
}

// TestDeclineBoxes: the registration form's "declined to answer" boxes
// (typed argument of the "declined" template) come back ticked for the
// fields the person declined, and only those.
func TestDeclineBoxes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as("caseworker")
		v := registrationValues()
		v.Del("contact")
		v.Add("declined", "contact")
		res := c.post("/cases", v)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("register: %d\n%s", res.StatusCode, res.Body)
		}
		page := c.get(res.location() + "/edit")
		if page.StatusCode != http.StatusOK {
			t.Fatalf("edit form: %d", page.StatusCode)
		}
		box := regexp.MustCompile(`<input type="checkbox" name="declined" value="([a-z_]+)" data-declines="f-[a-z_]+"( checked)?>`)
		ticked := map[string]bool{}
		for _, m := range box.FindAllStringSubmatch(page.Body, -1) {
			ticked[m[1]] = m[2] != ""
		}
		want := map[string]bool{"name": false, "age": false, "sex": false, "location": false, "contact": true, "care_status": false}
		if diff := cmp.Diff(want, ticked); diff != "" {
			t.Errorf("declined boxes (-want +got):\n%s", diff)
		}
	})
}
