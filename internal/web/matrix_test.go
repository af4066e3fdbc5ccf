package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/consent"
	"github.com/safecase/safecase/internal/family"
	"github.com/safecase/safecase/internal/intake"
	"github.com/safecase/safecase/internal/store"
)

// Role sets used by the expectations below.
var (
	everyone     = testRoles
	caseStaff    = []string{"caseworker", "supervisor", "manager"}                                // may see the fixture case
	caseEditors  = []string{"caseworker", "supervisor"}                                           // may edit it
	cmStaff      = []string{"caseworker", "supervisor", "manager", "caseworker2", "other_agency"} // work on cases in their agency
	agencyStaff  = []string{"caseworker", "supervisor", "manager", "caseworker2"}                 // case management staff of agency A
	admins       = []string{"agency_admin", "system_admin"}
	notSysAdmin  = without(testRoles, "system_admin")
	ownTaskRoles = []string{"caseworker", "supervisor", "caseworker2", "other_agency"}
	teamViewers  = []string{"supervisor", "manager"}
	colleagues   = []string{"agency_admin", "system_admin", "supervisor", "manager"}
)

func without(list []string, drop ...string) []string {
	var out []string
	for _, x := range list {
		keep := true
		for _, d := range drop {
			keep = keep && x != d
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

// expect is what each role gets from one route. Roles in allow get through
// (any answer but 401, 403, 404 or a redirect to sign-in); every other role
// gets deny (404 unless said otherwise), or the status in denyAs.
type expect struct {
	allow  []string
	deny   int
	denyAs map[string]int
	body   string                                         // form (pages) or JSON (API)
	fresh  func(m *matrix, role string) map[string]string // path values made anew for each request
	status int                                            // public routes: the exact status for everyone
}

// matrix holds the fixture the route x role test runs against.
type matrix struct {
	e         *env
	caseID    string
	screening string
	target    string // a user of agency A for the admin routes
}

func (m *matrix) values(role string) map[string]string {
	return map[string]string{"id": m.caseID}
}

// routeExpectations lists every route of the server with what each role
// gets, in the order of the route table (routes.go). A route missing from
// here fails TestRouteRoleMatrix.
func routeExpectations() map[string]expect {
	all := baseExpectations()
	for _, area := range []func() map[string]expect{
		accountsExpectations,
		mfaExpectations,
		caseholesExpectations, // the consent register and link requests
		lifecycleExpectations, // notifications, assessment, plan, services
		coordinationExpectations,
		incidentExpectations,
		followupExpectations,
		closureExpectations,
		duplicateExpectations,
		directoryExpectations,
		searchExpectations,
		consentRefExpectations, // the consent form for everyone at once
		auditExpectations,      // the audit trail's export
	} {
		for k, v := range area() {
			all[k] = v
		}
	}
	return all
}

// Denials shared by the case areas: a manager may read but not edit; only
// the supervisor approves.
var (
	caseDeny    = map[string]int{"manager": 403}
	approveDeny = map[string]int{"caseworker": 403, "manager": 403}
)

func baseExpectations() map[string]expect {
	assignDeny := map[string]int{"caseworker": 403}
	return map[string]expect{
		"GET /login":                               {status: 200},
		"POST /login":                              {status: 401},
		"GET /healthz":                             {status: 200},
		"GET /readyz":                              {status: 200},
		"GET /api/v1/openapi.json":                 {status: 200},
		"GET /{$}":                                 {allow: everyone},
		"POST /logout":                             {allow: everyone, status: 303},
		"GET /account":                             {allow: everyone},
		"POST /account/password":                   {allow: everyone},
		"POST /account/tokens":                     {allow: everyone},
		"POST /account/tokens/{id}/revoke":         {allow: everyone, fresh: (*matrix).token},
		"GET /caseload":                            {allow: cmStaff, deny: 403},
		"GET /tasks":                               {allow: ownTaskRoles, deny: 403},
		"GET /team":                                {allow: teamViewers, deny: 403},
		"GET /identify":                            {allow: notSysAdmin, deny: 403},
		"POST /identify":                           {allow: notSysAdmin, deny: 403},
		"GET /identifications":                     {allow: cmStaff, deny: 403},
		"GET /screen":                              {allow: cmStaff, deny: 403},
		"POST /screen":                             {allow: cmStaff, deny: 403},
		"GET /screenings/{id}":                     {allow: agencyStaff, fresh: (*matrix).screeningID},
		"GET /cases/new":                           {allow: cmStaff, deny: 403},
		"POST /cases":                              {allow: cmStaff, deny: 403},
		"GET /cases/{id}":                          {allow: caseStaff},
		"GET /cases/{id}/edit":                     {allow: caseEditors, denyAs: caseDeny},
		"POST /cases/{id}/edit":                    {allow: caseEditors, denyAs: caseDeny, body: "version=1"},
		"POST /cases/{id}/risk":                    {allow: caseEditors, denyAs: caseDeny, body: "version=1"},
		"POST /cases/{id}/urgent":                  {allow: caseEditors, denyAs: caseDeny, body: "version=1"},
		"POST /cases/{id}/assign":                  {allow: teamViewers, denyAs: assignDeny, body: "version=1"},
		"GET /cases/{id}/consent":                  {allow: caseStaff},
		"POST /cases/{id}/consent":                 {allow: caseEditors, denyAs: caseDeny},
		"POST /cases/{id}/consent/{cid}/withdraw":  {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).consent, body: "version=1&withdrawal_reason=asked"},
		"POST /cases/{id}/overrides":               {allow: []string{"supervisor"}, denyAs: approveDeny},
		"POST /cases/{id}/overrides/{oid}/revoke":  {allow: []string{"supervisor"}, denyAs: approveDeny, fresh: (*matrix).override},
		"POST /cases/{id}/exclusions":              {allow: caseEditors, denyAs: caseDeny},
		"POST /cases/{id}/exclusions/{eid}/remove": {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).exclusion},
		"GET /cases/{id}/family":                   {allow: caseStaff},
		"POST /cases/{id}/family":                  {allow: caseEditors, denyAs: caseDeny},
		"GET /cases/{id}/family/{pid}":             {allow: caseStaff, fresh: (*matrix).person},
		"POST /cases/{id}/family/{pid}":            {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).person},
		"POST /cases/{id}/family/{pid}/remove":     {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).person},
		"GET /admin/users":                         {allow: admins, deny: 403},
		"GET /admin/users/new":                     {allow: admins, deny: 403},
		"POST /admin/users":                        {allow: admins, deny: 403},
		"GET /admin/users/{id}":                    {allow: admins, fresh: (*matrix).user},
		"POST /admin/users/{id}":                   {allow: admins, fresh: (*matrix).user, body: "version=0", denyAs: seeColleagues},
		"GET /admin/teams":                         {allow: admins, deny: 403},
		"POST /admin/teams":                        {allow: admins, deny: 403},
		"GET /admin/agencies":                      {allow: []string{"system_admin"}, deny: 403},
		"POST /admin/agencies":                     {allow: []string{"system_admin"}, deny: 403},
		"GET /audit":                               {allow: []string{"dp_officer"}, deny: 403},

		"GET /api/v1/me":                                  {allow: everyone},
		"GET /api/v1/profile":                             {allow: everyone},
		"GET /api/v1/cases":                               {allow: cmStaff, deny: 403},
		"POST /api/v1/cases":                              {allow: cmStaff, deny: 403, body: "{}"},
		"GET /api/v1/cases/{id}":                          {allow: caseStaff},
		"PUT /api/v1/cases/{id}/registration":             {allow: caseEditors, denyAs: caseDeny, body: `{"version":1}`},
		"POST /api/v1/cases/{id}/risk":                    {allow: caseEditors, denyAs: caseDeny, body: `{"version":1}`},
		"POST /api/v1/cases/{id}/urgent":                  {allow: caseEditors, denyAs: caseDeny, body: `{"version":1}`},
		"POST /api/v1/cases/{id}/assign":                  {allow: teamViewers, denyAs: assignDeny, body: `{"version":1}`},
		"GET /api/v1/cases/{id}/consent":                  {allow: caseStaff},
		"POST /api/v1/cases/{id}/consents":                {allow: caseEditors, denyAs: caseDeny, body: "{}"},
		"POST /api/v1/cases/{id}/consents/{cid}/withdraw": {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).consent, body: `{"reason":"asked","version":1}`},
		"POST /api/v1/cases/{id}/overrides":               {allow: []string{"supervisor"}, denyAs: approveDeny, body: "{}"},
		"POST /api/v1/cases/{id}/overrides/{oid}/revoke":  {allow: []string{"supervisor"}, denyAs: approveDeny, fresh: (*matrix).override},
		"POST /api/v1/cases/{id}/exclusions":              {allow: caseEditors, denyAs: caseDeny, body: "{}"},
		"DELETE /api/v1/cases/{id}/exclusions/{eid}":      {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).exclusion},
		"GET /api/v1/cases/{id}/family":                   {allow: caseStaff},
		"POST /api/v1/cases/{id}/family":                  {allow: caseEditors, denyAs: caseDeny, body: "{}"},
		"PUT /api/v1/cases/{id}/family/{pid}":             {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).person, body: `{"version":1}`},
		"DELETE /api/v1/cases/{id}/family/{pid}":          {allow: caseEditors, denyAs: caseDeny, fresh: (*matrix).person},
		"GET /api/v1/identifications":                     {allow: cmStaff, deny: 403},
		"POST /api/v1/identifications":                    {allow: notSysAdmin, deny: 403, body: "{}"},
		"POST /api/v1/screenings":                         {allow: cmStaff, deny: 403, body: "{}"},
		"GET /api/v1/screenings/{id}":                     {allow: agencyStaff, fresh: (*matrix).screeningID},
		"GET /api/v1/tasks":                               {allow: ownTaskRoles, deny: 403},
		"GET /api/v1/team":                                {allow: teamViewers, deny: 403},
		"GET /api/v1/users":                               {allow: colleagues, deny: 403},
		"POST /api/v1/users":                              {allow: admins, deny: 403, body: "{}"},
		"GET /api/v1/users/{id}":                          {allow: colleagues, fresh: (*matrix).user},
		"PATCH /api/v1/users/{id}":                        {allow: admins, fresh: (*matrix).user, body: `{"version":1}`, denyAs: seeColleagues},
		"GET /api/v1/teams":                               {allow: colleagues, deny: 403},
		"POST /api/v1/teams":                              {allow: admins, deny: 403, body: "{}"},
		"GET /api/v1/agencies":                            {allow: everyone},
		"POST /api/v1/agencies":                           {allow: []string{"system_admin"}, deny: 403, body: "{}"},
		"GET /api/v1/audit":                               {allow: []string{"dp_officer"}, deny: 403},
		"GET /api/v1/tokens":                              {allow: everyone},
		"POST /api/v1/tokens":                             {allow: everyone, body: "{}"},
		"DELETE /api/v1/tokens/{id}":                      {allow: everyone, fresh: (*matrix).token},
	}
}

// Fixture makers: each returns path values for one request.

func (m *matrix) ctx() context.Context { return context.Background() }

func (m *matrix) actor(key string) access.Actor {
	u := m.e.users[key]
	return access.Actor{UserID: u.ID, AgencyID: u.AgencyID, TeamID: u.TeamID, Role: u.Role}
}

func (m *matrix) tx(fn func(tx *store.Tx) error) {
	if err := m.e.db.Tx(m.ctx(), fn); err != nil {
		m.e.t.Fatal(err)
	}
}

func (m *matrix) consent(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		r, err := consent.Add(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), m.caseID, consent.Input{Scope: "participation",
			Giver: "self", Kind: "assent", Decision: "given", Method: "written"}, m.e.clock.now())
		if err == nil {
			id = r.ID
		}
		return err
	})
	return map[string]string{"id": m.caseID, "cid": id}
}

func (m *matrix) override(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		ovs, err := tx.Overrides(m.ctx(), m.caseID)
		if err != nil {
			return err
		}
		for _, o := range ovs {
			if o.Active() && o.Scope == "share_services" {
				id = o.ID
				return nil
			}
		}
		o, err := consent.AddOverride(m.ctx(), tx, m.e.srv.prof, m.actor("supervisor"), m.caseID, consent.OverrideInput{
			Scope: "share_services", Basis: "best_interests", Reason: "needed for the child's safety now"}, m.e.clock.now())
		if err == nil {
			id = o.ID
		}
		return err
	})
	return map[string]string{"id": m.caseID, "oid": id}
}

func (m *matrix) exclusion(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		x, err := consent.AddExclusion(m.ctx(), tx, m.actor("caseworker"), m.caseID, consent.ExclusionInput{Kind: "person", Name: "neighbour"}, m.e.clock.now())
		if err == nil {
			id = x.ID
		}
		return err
	})
	return map[string]string{"id": m.caseID, "eid": id}
}

func (m *matrix) person(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		x, err := family.Add(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), m.caseID, family.Input{Relationship: "mother", Name: "M"}, m.e.clock.now())
		if err == nil {
			id = x.ID
		}
		return err
	})
	return map[string]string{"id": m.caseID, "pid": id}
}

func (m *matrix) screeningID(role string) map[string]string {
	return map[string]string{"id": m.screening}
}

func (m *matrix) user(role string) map[string]string {
	return map[string]string{"id": m.target}
}

// token makes an API token of role's own user.
func (m *matrix) token(role string) map[string]string {
	c := m.e.session(role)
	res := c.json("POST", "/api/v1/tokens", `{"name":"matrix","days":30}`)
	var t struct{ ID string }
	json.Unmarshal([]byte(res.Body), &t)
	if t.ID == "" {
		m.e.t.Fatalf("token for %s: %d %s", role, res.StatusCode, res.Body)
	}
	return map[string]string{"id": t.ID}
}

func newMatrix(t *testing.T, e *env) *matrix {
	m := &matrix{e: e, target: e.users["caseworker2"].ID}
	now := e.clock.now()
	m.tx(func(tx *store.Tx) error {
		sc, err := intake.Screen(m.ctx(), tx, e.srv.prof, m.actor("caseworker"), intake.ScreeningInput{CaseType: "cp", Age: "10",
			Answers: map[string]string{"harmed_or_at_risk": "yes", "case_management_appropriate": "yes"}}, now)
		if err != nil {
			return err
		}
		m.screening = sc.ID
		age := 10
		c, err := cases.Register(m.ctx(), tx, e.srv.prof, m.actor("caseworker"), cases.Registration{Type: "cp", GivenName: "Matrix",
			Age: &age, Sex: "female", Location: "x", Contact: "y", CareStatus: "accompanied", Concerns: []string{"neglect"},
			RiskLevel: "medium", RiskReason: "test"}, func() string { return cases.NewCode("C") }, now)
		if err != nil {
			return err
		}
		m.caseID = c.ID
		// Collect-and-store is overridden so that family routes get past the consent gate.
		_, err = consent.AddOverride(m.ctx(), tx, e.srv.prof, m.actor("supervisor"), c.ID, consent.OverrideInput{
			Scope: "collect_store", Basis: "best_interests", Reason: "fixture for the route matrix"}, now)
		return err
	})
	return m
}

// TestRouteRoleMatrix sends every route as every role (and anonymously) and
// checks the answer against routeExpectations. A route with no expectation,
// or an expectation with no route, fails the test.
func TestRouteRoleMatrix(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		exps := routeExpectations()
		routes := e.srv.routeTable()
		seen := map[string]bool{}
		for _, rt := range routes {
			seen[rt.method+" "+rt.path] = true
		}
		for k := range exps {
			if !seen[k] {
				t.Errorf("expectation for %q, which is not a route", k)
			}
		}
		m := newMatrix(t, e)
		for _, rt := range routes {
			key := rt.method + " " + rt.path
			x, ok := exps[key]
			if !ok {
				t.Errorf("route %q has no expectation in routeExpectations: add one", key)
				continue
			}
			api := strings.HasPrefix(rt.path, "/api/")
			for _, role := range append([]string{"anonymous"}, testRoles...) {
				vals := m.values(role)
				if x.fresh != nil && role != "anonymous" {
					vals = x.fresh(m, role)
				}
				path := strings.TrimSuffix(rt.path, "{$}")
				for k, v := range vals {
					path = strings.ReplaceAll(path, "{"+k+"}", v)
				}
				if strings.Contains(path, "{") {
					path = regexpBraces.ReplaceAllString(path, "none")
				}
				var c *client
				if role == "anonymous" {
					c = e.anon()
				} else {
					c = e.session(role)
				}
				var res *response
				switch {
				case api:
					res = c.json(rt.method, path, x.body)
				case rt.method == "GET":
					res = c.get(path)
				default:
					v, _ := url.ParseQuery(x.body)
					res = c.post(path, v)
				}
				got := res.StatusCode
				toLogin := got == http.StatusSeeOther && res.location() == "/login"
				switch {
				case x.status != 0 && (role != "anonymous" || !strings.HasPrefix(key, "POST /logout")):
					if got != x.status {
						t.Errorf("%s as %s: status %d, want %d", key, role, got, x.status)
					}
				case role == "anonymous":
					if api && got != 401 || !api && !toLogin {
						t.Errorf("%s anonymously: status %d (to %q), want the sign-in", key, got, res.location())
					}
				case contains(x.allow, role):
					if got == 401 || got == 403 || got == 404 || got == 405 || got >= 500 || toLogin {
						t.Errorf("%s as %s: status %d, want it allowed\n%.300s", key, role, got, res.Body)
					}
				default:
					want := x.deny
					if want == 0 {
						want = 404
					}
					if s, ok := x.denyAs[role]; ok {
						want = s
					}
					if got != want {
						t.Errorf("%s as %s: status %d, want %d (denied)\n%.300s", key, role, got, want, res.Body)
					}
				}
			}
		}
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

var regexpBraces = regexp.MustCompile(`\{[a-z]+\}`)
