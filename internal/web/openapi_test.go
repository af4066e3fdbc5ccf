package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// openAPIDocT is the parsed OpenAPI document.
type openAPIDocT struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas   map[string]schema `json:"schemas"`
		Responses map[string]struct {
			Content map[string]struct {
				Schema schema `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"components"`
}

type schema struct {
	Ref                  string            `json:"$ref"`
	Type                 any               `json:"type"`
	Properties           map[string]schema `json:"properties"`
	Required             []string          `json:"required"`
	Items                *schema           `json:"items"`
	AllOf                []schema          `json:"allOf"`
	Enum                 []any             `json:"enum"`
	AdditionalProperties any               `json:"additionalProperties"`
}

type operation struct {
	Responses map[string]struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Schema schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

func loadOpenAPI(t *testing.T) *openAPIDocT {
	t.Helper()
	var doc openAPIDocT
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return &doc
}

// TestOpenAPIMatchesRoutes checks that every documented route exists and
// every API route is documented.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	s := &Server{}
	routes := map[string]bool{}
	for _, rt := range s.routeTable() {
		if strings.HasPrefix(rt.path, "/api/") {
			routes[rt.method+" "+rt.path] = true
		}
	}
	var missing, extra []string
	for r := range routes {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("API routes not in openapi.json: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("openapi.json documents routes that do not exist: %v", extra)
	}
	// Every $ref resolves.
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if k == "$ref" {
					refs = append(refs, y.(string))
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var raw any
	json.Unmarshal(openAPIDoc, &raw)
	walk(raw)
	for _, r := range refs {
		name := r[strings.LastIndex(r, "/")+1:]
		switch {
		case strings.HasPrefix(r, "#/components/schemas/"):
			if _, ok := doc.Components.Schemas[name]; !ok {
				t.Errorf("unresolved $ref %s", r)
			}
		case strings.HasPrefix(r, "#/components/responses/"):
			if _, ok := doc.Components.Responses[name]; !ok {
				t.Errorf("unresolved $ref %s", r)
			}
		default:
			t.Errorf("unexpected $ref %s", r)
		}
	}
}

// conform checks v against schema s: types, required and documented
// properties (a subset of JSON Schema, enough to catch drift between the
// API and its description).
func (d *openAPIDocT) conform(path string, s schema, v any) []string {
	if s.Ref != "" {
		return d.conform(path, d.Components.Schemas[s.Ref[strings.LastIndex(s.Ref, "/")+1:]], v)
	}
	var probs []string
	for _, a := range s.AllOf {
		probs = append(probs, d.conform(path, a, v)...)
	}
	if s.Type != nil && !typeOK(s.Type, v) {
		return append(probs, fmt.Sprintf("%s: %T does not match type %v", path, v, s.Type))
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := x[r]; !ok {
				probs = append(probs, fmt.Sprintf("%s: required property %q missing", path, r))
			}
		}
		if s.Properties != nil {
			for k, y := range x {
				ps, ok := s.Properties[k]
				if !ok {
					if s.AdditionalProperties == false {
						probs = append(probs, fmt.Sprintf("%s: property %q is not documented", path, k))
					}
					continue
				}
				probs = append(probs, d.conform(path+"."+k, ps, y)...)
			}
		}
	case []any:
		if s.Items != nil {
			for i, y := range x {
				probs = append(probs, d.conform(fmt.Sprintf("%s[%d]", path, i), *s.Items, y)...)
			}
		}
	}
	if len(s.Enum) > 0 && v != nil {
		found := false
		for _, e := range s.Enum {
			found = found || fmt.Sprint(e) == fmt.Sprint(v)
		}
		if !found {
			probs = append(probs, fmt.Sprintf("%s: %v not in enum %v", path, v, s.Enum))
		}
	}
	return probs
}

func typeOK(t any, v any) bool {
	var types []string
	switch x := t.(type) {
	case string:
		types = []string{x}
	case []any:
		for _, y := range x {
			types = append(types, y.(string))
		}
	}
	for _, ty := range types {
		switch ty {
		case "null":
			if v == nil {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "integer", "number":
			if _, ok := v.(float64); ok {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		}
	}
	return false
}

// checkResponse validates an API response against the documented schema of
// its route and status.
func (d *openAPIDocT) checkResponse(t *testing.T, method, route string, res *response) {
	t.Helper()
	raw, ok := d.Paths[route][strings.ToLower(method)]
	if !ok {
		t.Errorf("%s %s is not documented", method, route)
		return
	}
	var op operation
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatal(err)
	}
	code := fmt.Sprint(res.StatusCode)
	r, ok := op.Responses[code]
	if !ok {
		t.Errorf("%s %s answered %s, which is not documented", method, route, code)
		return
	}
	var sch *schema
	if r.Ref != "" {
		c := d.Components.Responses[r.Ref[strings.LastIndex(r.Ref, "/")+1:]]
		s := c.Content["application/json"].Schema
		sch = &s
	} else if c, ok := r.Content["application/json"]; ok {
		sch = &c.Schema
	}
	if sch == nil {
		if strings.TrimSpace(res.Body) != "" {
			t.Errorf("%s %s %s: body %q where none is documented", method, route, code, res.Body)
		}
		return
	}
	var v any
	if err := json.Unmarshal([]byte(res.Body), &v); err != nil {
		t.Errorf("%s %s %s: not JSON: %v", method, route, code, err)
		return
	}
	for _, p := range d.conform("body", *sch, v) {
		t.Errorf("%s %s %s: %s", method, route, code, p)
	}
}

// TestAPIResponsesMatchOpenAPI drives the API through a whole flow and checks
// every response against the document.
func TestAPIResponsesMatchOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	forEachEngine(t, func(t *testing.T, e *env) {
		cw := e.apiClient("caseworker")
		sup := e.apiClient("supervisor")
		admin := e.apiClient("agency_admin")
		dpo := e.apiClient("dp_officer")
		vol := e.apiClient("community_volunteer")
		check := func(c *client, method, route, path, body string, want int) map[string]any {
			t.Helper()
			res := c.json(method, path, body)
			if res.StatusCode != want {
				t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, res.Body)
			}
			doc.checkResponse(t, method, route, res)
			var m map[string]any
			json.Unmarshal([]byte(res.Body), &m)
			return m
		}
		check(cw, "GET", "/api/v1/me", "/api/v1/me", "", 200)
		check(cw, "GET", "/api/v1/profile", "/api/v1/profile", "", 200)
		ident := check(vol, "POST", "/api/v1/identifications", "/api/v1/identifications",
			`{"source":"community","age":"9","sex":"female","location":"near the water point","concerns":["neglect"],"urgent":true}`, 201)
		if _, leaked := ident["location"]; leaked {
			t.Errorf("the submitter got back what they typed: %v", ident)
		}
		check(cw, "GET", "/api/v1/identifications", "/api/v1/identifications", "", 200)
		sc := check(cw, "POST", "/api/v1/screenings", "/api/v1/screenings",
			fmt.Sprintf(`{"identification_id":%q,"case_type":"cp","age":"9","answers":{"harmed_or_at_risk":"yes","case_management_appropriate":"yes"}}`, ident["id"]), 201)
		check(cw, "GET", "/api/v1/screenings/{id}", "/api/v1/screenings/"+sc["id"].(string), "", 200)
		check(cw, "POST", "/api/v1/screenings", "/api/v1/screenings", `{"case_type":"cp","answers":{}}`, 422)
		c := check(cw, "POST", "/api/v1/cases", "/api/v1/cases", fmt.Sprintf(`{"type":"cp","screening_id":%q,"given_name":"Nadia",
			"age":9,"sex":"female","location":"Block 2","contact":"via aunt","care_status":"unaccompanied","concerns":["neglect"],
			"risk_level":"high","risk_reason":"alone","urgent":true,"urgent_needs":"no shelter tonight"}`, sc["id"]), 201)
		id := c["id"].(string)
		check(cw, "POST", "/api/v1/cases", "/api/v1/cases", `{"type":"cp"}`, 422)
		check(cw, "POST", "/api/v1/cases", "/api/v1/cases", `{"type":"cp","bogus":1}`, 422)
		check(cw, "GET", "/api/v1/cases", "/api/v1/cases", "", 200)
		c = check(cw, "GET", "/api/v1/cases/{id}", "/api/v1/cases/"+id, "", 200)
		v := int(c["version"].(float64))
		c = check(cw, "PUT", "/api/v1/cases/{id}/registration", "/api/v1/cases/"+id+"/registration",
			fmt.Sprintf(`{"version":%d,"type":"cp","given_name":"Nadia","age":9,"sex":"female","location":"Block 3","contact":"via aunt","care_status":"unaccompanied","concerns":["neglect"],"urgent_needs":"no shelter tonight"}`, v), 200)
		check(cw, "PUT", "/api/v1/cases/{id}/registration", "/api/v1/cases/"+id+"/registration",
			fmt.Sprintf(`{"version":%d,"type":"cp","given_name":"Nadia","age":9,"sex":"female","location":"Block 9","contact":"x","care_status":"unaccompanied","concerns":["neglect"]}`, v), 409)
		v = int(c["version"].(float64))
		bad := check(cw, "POST", "/api/v1/cases/{id}/risk", "/api/v1/cases/"+id+"/risk", fmt.Sprintf(`{"risk_level":"medium","version":%d}`, v), 422)
		if !strings.Contains(fmt.Sprint(bad), "field:reason") {
			t.Errorf("a risk change without a reason: %v, want the error on the body's field reason", bad)
		}
		c = check(cw, "POST", "/api/v1/cases/{id}/risk", "/api/v1/cases/"+id+"/risk", fmt.Sprintf(`{"risk_level":"medium","reason":"aunt found","version":%d}`, v), 200)
		v = int(c["version"].(float64))
		c = check(cw, "POST", "/api/v1/cases/{id}/urgent", "/api/v1/cases/"+id+"/urgent", fmt.Sprintf(`{"urgent":false,"version":%d}`, v), 200)
		v = int(c["version"].(float64))
		check(sup, "POST", "/api/v1/cases/{id}/assign", "/api/v1/cases/"+id+"/assign",
			fmt.Sprintf(`{"caseworker_id":%q,"version":%d}`, e.users["caseworker"].ID, v), 200)
		check(cw, "GET", "/api/v1/cases/{id}/consent", "/api/v1/cases/"+id+"/consent", "", 200)
		check(cw, "POST", "/api/v1/cases/{id}/family", "/api/v1/cases/"+id+"/family", `{"relationship":"aunt_uncle","name":"Aunt"}`, 422)
		st := check(cw, "POST", "/api/v1/cases/{id}/consents", "/api/v1/cases/"+id+"/consents",
			`{"scope":"collect_store","giver":"self","kind":"assent","decision":"given","method":"written"}`, 201)
		check(sup, "POST", "/api/v1/cases/{id}/overrides", "/api/v1/cases/"+id+"/overrides",
			`{"scope":"collect_store","basis":"caregiver_unavailable","reason":"unaccompanied child, no caregiver to ask"}`, 201)
		st = check(cw, "GET", "/api/v1/cases/{id}/consent", "/api/v1/cases/"+id+"/consent", "", 200)
		rec := st["records"].([]any)[0].(map[string]any)
		ov := st["overrides"].([]any)[0].(map[string]any)
		p := check(cw, "POST", "/api/v1/cases/{id}/family", "/api/v1/cases/"+id+"/family", `{"relationship":"aunt_uncle","name":"Aunt","is_caregiver":true}`, 201)
		check(cw, "GET", "/api/v1/cases/{id}/family", "/api/v1/cases/"+id+"/family", "", 200)
		check(cw, "PUT", "/api/v1/cases/{id}/family/{pid}", "/api/v1/cases/"+id+"/family/"+p["id"].(string),
			`{"relationship":"aunt_uncle","name":"Aunt R.","is_caregiver":true,"version":1}`, 200)
		ex := check(cw, "POST", "/api/v1/cases/{id}/exclusions", "/api/v1/cases/"+id+"/exclusions", `{"kind":"person","name":"the neighbour"}`, 201)
		exID := ex["exclusions"].([]any)[0].(map[string]any)["id"].(string)
		check(cw, "DELETE", "/api/v1/cases/{id}/exclusions/{eid}", "/api/v1/cases/"+id+"/exclusions/"+exID, "", 200)
		check(cw, "POST", "/api/v1/cases/{id}/consents/{cid}/withdraw", "/api/v1/cases/"+id+"/consents/"+rec["id"].(string)+"/withdraw",
			`{"reason":"changed her mind","version":1}`, 200)
		check(sup, "POST", "/api/v1/cases/{id}/overrides/{oid}/revoke", "/api/v1/cases/"+id+"/overrides/"+ov["id"].(string)+"/revoke", "", 200)
		check(cw, "DELETE", "/api/v1/cases/{id}/family/{pid}", "/api/v1/cases/"+id+"/family/"+p["id"].(string), "", 204)
		check(cw, "GET", "/api/v1/tasks", "/api/v1/tasks", "", 200)
		check(sup, "GET", "/api/v1/team", "/api/v1/team", "", 200)
		check(admin, "GET", "/api/v1/users", "/api/v1/users", "", 200)
		u := check(admin, "POST", "/api/v1/users", "/api/v1/users",
			fmt.Sprintf(`{"username":"newbie","display_name":"New Bie","role":"caseworker","team_id":%q}`, e.team), 201)
		check(admin, "POST", "/api/v1/users", "/api/v1/users", `{"username":"x","display_name":"","role":"nobody"}`, 422)
		check(admin, "GET", "/api/v1/users/{id}", "/api/v1/users/"+u["id"].(string), "", 200)
		check(admin, "PATCH", "/api/v1/users/{id}", "/api/v1/users/"+u["id"].(string), `{"display_name":"New B.","version":1}`, 200)
		check(admin, "GET", "/api/v1/teams", "/api/v1/teams", "", 200)
		check(admin, "POST", "/api/v1/teams", "/api/v1/teams", `{"name":"East"}`, 201)
		check(cw, "GET", "/api/v1/agencies", "/api/v1/agencies", "", 200)
		check(e.apiClient("system_admin"), "POST", "/api/v1/agencies", "/api/v1/agencies", `{"name":"New Org","code":"NEW"}`, 201)
		check(dpo, "GET", "/api/v1/audit", "/api/v1/audit", "", 200)
		// A token is made from a signed-in session, never by another token.
		check(cw, "POST", "/api/v1/tokens", "/api/v1/tokens", `{"name":"phone","days":30}`, 403)
		tok := check(e.session("caseworker"), "POST", "/api/v1/tokens", "/api/v1/tokens", `{"name":"phone","days":30}`, 201)
		check(cw, "GET", "/api/v1/tokens", "/api/v1/tokens", "", 200)
		check(cw, "DELETE", "/api/v1/tokens/{id}", "/api/v1/tokens/"+tok["id"].(string), "", 204)
		check(e.anon(), "GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", 200)
		check(e.anon(), "GET", "/api/v1/me", "/api/v1/me", "", 401)
		check(cw, "GET", "/api/v1/cases/{id}", "/api/v1/cases/"+e.users["caseworker"].ID, "", 404)
	})
}

// apiClient returns a client authenticated with a personal API token of the
// user with key.
func (e *env) apiClient(key string) *client {
	e.t.Helper()
	c := e.session(key)
	res := c.json("POST", "/api/v1/tokens", `{"name":"test","days":30}`)
	if res.StatusCode != http.StatusCreated {
		e.t.Fatalf("token for %s: %d %s", key, res.StatusCode, res.Body)
	}
	var tok struct{ Token string }
	json.Unmarshal([]byte(res.Body), &tok)
	api := e.anon()
	api.token = tok.Token
	return api
}
