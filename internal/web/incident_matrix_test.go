package web

import (
	"time"

	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/incident"
	"github.com/safecase/safecase/internal/store"
)

// Expectations of the incident and link routes. Everyone who may see the
// case reads its incidents and links; its caseworker and supervisor record
// incidents, recommendations and links; only the supervisor decides on a
// mandatory report; a manager is refused (403), anyone else gets 404. A
// recommendation, a decision and a removal each run on a record made afresh
// for the request, so that one role's success does not change what the
// next one finds.
func incidentExpectations() map[string]expect {
	editors := expect{allow: caseEditors, denyAs: caseDeny}
	with := func(x expect, body string, fresh func(*matrix, string) map[string]string) expect {
		x.body, x.fresh = body, fresh
		return x
	}
	decide := expect{allow: []string{"supervisor"}, denyAs: approveDeny}
	const decideForm = "version=2&decision=report&reasoning=her+safety&authority=Police&shared_what=the+incident" +
		"&shared_how=in+person&reported_on=2026-11-19&family_told=yes&family_told_on=2026-11-19"
	const decideJSON = `{"version":2,"decision":"report","reasoning":"her safety","authority":"Police",` +
		`"shared_what":"the incident","shared_how":"in person","reported_on":"2026-11-19","family_told":true,` +
		`"family_told_on":"2026-11-19"}`
	return map[string]expect{
		"GET /cases/{id}/incident-reports":                         {allow: caseStaff},
		"POST /cases/{id}/incident-reports":                        with(editors, "incident_type=", nil),
		"POST /cases/{id}/incident-reports/{iid}/recommend":        with(editors, "version=1&recommendation=report&reasoning=the+law", (*matrix).pendingReport),
		"POST /cases/{id}/incident-reports/{iid}/decide":           with(decide, decideForm, (*matrix).recommendedReport),
		"GET /cases/{id}/links":                                    {allow: caseStaff},
		"POST /cases/{id}/links":                                   with(editors, "case_code=", nil),
		"POST /cases/{id}/links/{lid}/remove":                      with(editors, "", (*matrix).caseLink),
		"GET /api/v1/cases/{id}/incident-reports":                  {allow: caseStaff},
		"POST /api/v1/cases/{id}/incident-reports":                 with(editors, "{}", nil),
		"POST /api/v1/cases/{id}/incident-reports/{iid}/recommend": with(editors, `{"version":1,"recommendation":"report","reasoning":"the law"}`, (*matrix).pendingReport),
		"POST /api/v1/cases/{id}/incident-reports/{iid}/decide":    with(decide, decideJSON, (*matrix).recommendedReport),
		"GET /api/v1/cases/{id}/links":                             {allow: caseStaff},
		"POST /api/v1/cases/{id}/links":                            with(editors, "{}", nil),
		"DELETE /api/v1/cases/{id}/links/{lid}":                    with(editors, "", (*matrix).caseLink),
	}
}

// pendingReport records a reportable incident on the matrix case: its
// mandatory report waits (at version 1) for the recommendation.
func (m *matrix) pendingReport(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		in, err := incident.Record(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), m.caseID, incident.Input{
			Type: "exploitation", HappenedOn: m.e.clock.now().AddDate(0, 0, -2).Format(time.DateOnly)}, m.e.clock.now())
		if err == nil {
			id = in.ID
		}
		return err
	})
	return map[string]string{"id": m.caseID, "iid": id}
}

// recommendedReport is a pending report with the caseworker's
// recommendation (at version 2), waiting for the supervisor.
func (m *matrix) recommendedReport(role string) map[string]string {
	vals := m.pendingReport(role)
	m.tx(func(tx *store.Tx) error {
		_, err := incident.Recommend(m.ctx(), tx, m.actor("caseworker"), m.caseID, vals["iid"], incident.RecommendInput{
			Recommendation: incident.DoReport, Reasoning: "the law asks for it", Version: 1}, m.e.clock.now())
		return err
	})
	return vals
}

// caseLink links the matrix case to a new case of caseworker2 (another team).
func (m *matrix) caseLink(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		age := 8
		other, err := cases.Register(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker2"), cases.Registration{Type: "cp",
			GivenName: "Sibling", Age: &age, Sex: "male", Location: "x", Contact: "y", CareStatus: "accompanied",
			Concerns: []string{"neglect"}, RiskLevel: "low", RiskReason: "test"}, func() string { return cases.NewCode("C") },
			m.e.clock.now())
		if err != nil {
			return err
		}
		l, _, err := caselink.Add(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), m.caseID,
			caselink.Input{Code: other.Code, Relation: "siblings"}, m.e.clock.now())
		if err == nil {
			id = l.ID
		}
		return err
	})
	return map[string]string{"id": m.caseID, "lid": id}
}
