package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// registrationValues is a complete, valid registration form.
func registrationValues() url.Values {
	return url.Values{
		"type": {"cp"}, "given_name": {"Amal"}, "family_name": {"Testcase"}, "age": {"12"}, "sex": {"female"},
		"location": {"Block 4"}, "contact": {"through her aunt"}, "care_status": {"separated"},
		"concerns": {"neglect", "separation"}, "risk_level": {"high"}, "risk_reason": {"alone at night"},
		"source": {"community"},
	}
}

func TestSmokeRegisterAndView(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		c := e.as("caseworker")
		for _, p := range []string{"/caseload", "/tasks", "/identifications", "/screen", "/cases/new", "/identify", "/account"} {
			if res := c.get(p); res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d\n%s", p, res.StatusCode, res.Body)
			}
		}
		res := c.post("/cases", registrationValues())
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("register: %d\n%s", res.StatusCode, res.Body)
		}
		casePath := res.location()
		page := c.get(casePath)
		if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "Amal") {
			t.Fatalf("case page: %d\n%s", page.StatusCode, page.Body)
		}
		if strings.Contains(page.Body, "[") && strings.Contains(page.Body, "[field.") {
			t.Errorf("missing catalog key on case page")
		}
		// A CP case's name is listed beside its code, marked for "Hide names".
		list := c.get("/caseload")
		if strings.Count(list.Body, "Amal") != strings.Count(list.Body, `<span class="pii list-name">Amal Testcase</span>`) {
			t.Errorf("caseload shows a name outside its pii mark")
		}
		sup := e.as("supervisor")
		if res := sup.get("/team"); res.StatusCode != http.StatusOK {
			t.Fatalf("team: %d\n%s", res.StatusCode, res.Body)
		}
		for _, p := range []string{casePath + "/consent", casePath + "/family", casePath + "/edit"} {
			if res := c.get(p); res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d\n%s", p, res.StatusCode, res.Body)
			}
		}
	})
}
