package web

import (
	"github.com/safecase/safecase/internal/conference"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/transfer"
)

// Expectations of the coordination routes. A referral is sent afresh for
// each request (by the supervisor, under an override) to a service of the
// agency itself, whose service provider receives it; a transfer is an
// internal one to caseworker2, waiting for the supervisor; a conference
// invites the supervisor and caseworker2.
func coordinationExpectations() map[string]expect {
	editors := expect{allow: caseEditors, denyAs: caseDeny}
	with := func(x expect, body string) expect { x.body = body; return x }
	fresh := func(x expect, f func(*matrix, string) map[string]string) expect { x.fresh = f; return x }
	inboxRoles := []string{"caseworker", "supervisor", "manager", "service_provider", "caseworker2", "other_agency"}
	glassRoles := []string{"caseworker", "supervisor", "manager", "caseworker2", "other_agency"}
	referralViewers := append([]string{"service_provider"}, caseStaff...)
	respond := expect{allow: []string{"service_provider"}, fresh: (*matrix).referral,
		denyAs: map[string]int{"caseworker": 403, "supervisor": 403, "manager": 403}}
	outcome := expect{allow: caseEditors, fresh: (*matrix).referral,
		denyAs: map[string]int{"manager": 403, "service_provider": 403}}
	decide := expect{allow: []string{"supervisor"}, fresh: (*matrix).transfer, denyAs: approveDeny}
	withdraw := expect{allow: caseEditors, fresh: (*matrix).transfer, denyAs: caseDeny}
	confViewers := append([]string{"caseworker2"}, caseStaff...)
	record := expect{allow: caseEditors, fresh: (*matrix).conference,
		denyAs: map[string]int{"manager": 403, "caseworker2": 403}}
	signOff := expect{allow: []string{"caseworker", "supervisor", "caseworker2"}, fresh: (*matrix).conference,
		denyAs: map[string]int{"manager": 403}}
	bulk := expect{allow: []string{"manager"}, deny: 403}
	return map[string]expect{
		"GET /cases/{id}/coordination":           {allow: caseStaff},
		"POST /cases/{id}/referrals":             with(editors, "reason="),
		"POST /cases/{id}/transfers":             with(editors, "version=1"),
		"POST /cases/{id}/conferences":           with(editors, "reason="),
		"POST /cases/{id}/family-told":           with(editors, "told_on="),
		"GET /screenings/{id}/referrals":         {allow: agencyStaff, fresh: (*matrix).screeningID},
		"POST /screenings/{id}/referrals":        {allow: agencyStaff, fresh: (*matrix).screeningID, body: "reason="},
		"GET /coordination":                      {allow: inboxRoles, deny: 403},
		"GET /referrals/{id}":                    {allow: referralViewers, fresh: (*matrix).referral},
		"POST /referrals/{id}/respond":           with(respond, "version=1&answer=accept"),
		"POST /referrals/{id}/service":           with(respond, "version=1"),
		"POST /referrals/{id}/outcome":           with(outcome, "version=1"),
		"GET /transfers/{id}":                    {allow: caseStaff, fresh: (*matrix).transfer},
		"POST /transfers/{id}/decide":            with(decide, "version=1&answer=accept"),
		"POST /transfers/{id}/withdraw":          with(withdraw, "version=1"),
		"GET /transfers/bulk":                    bulk,
		"POST /transfers/bulk":                   with(bulk, "team_id="),
		"GET /conferences/{id}":                  {allow: confViewers, fresh: (*matrix).conference},
		"POST /conferences/{id}/record":          with(record, "version=1"),
		"POST /conferences/{id}/sign-off":        with(signOff, "version=1"),
		"POST /conferences/{id}/close":           with(record, "version=1"),
		"GET /break-glass":                       {allow: glassRoles, deny: 403},
		"POST /break-glass":                      {allow: glassRoles, deny: 403, body: "code="},
		"GET /break-glass/log":                   {allow: []string{"dp_officer"}, deny: 403},
		"GET /api/v1/cases/{id}/coordination":    {allow: caseStaff},
		"POST /api/v1/cases/{id}/referrals":      with(editors, `{"reason":""}`),
		"POST /api/v1/cases/{id}/transfers":      with(editors, `{"version":1}`),
		"POST /api/v1/cases/{id}/conferences":    with(editors, `{"reason":""}`),
		"GET /api/v1/coordination":               {allow: inboxRoles, deny: 403},
		"GET /api/v1/referrals/{id}":             {allow: referralViewers, fresh: (*matrix).referral},
		"POST /api/v1/referrals/{id}/respond":    with(respond, `{"version":1,"accept":true}`),
		"POST /api/v1/referrals/{id}/service":    with(respond, `{"version":1}`),
		"POST /api/v1/referrals/{id}/outcome":    with(outcome, `{"version":1}`),
		"GET /api/v1/transfers/{id}":             {allow: caseStaff, fresh: (*matrix).transfer},
		"POST /api/v1/transfers/{id}/decide":     with(decide, `{"version":1,"accept":true}`),
		"GET /api/v1/conferences/{id}":           fresh(expect{allow: confViewers}, (*matrix).conference),
		"POST /api/v1/conferences/{id}/record":   with(record, `{"version":1}`),
		"POST /api/v1/conferences/{id}/sign-off": with(signOff, `{"version":1}`),
		"POST /api/v1/break-glass":               {allow: glassRoles, deny: 403, body: `{"code":""}`},
		"POST /api/v1/transfers/bulk":            with(bulk, `{"team_id":""}`),
		"POST /api/v1/transfers/{id}/withdraw":   with(withdraw, `{"version":1}`),
		"POST /api/v1/conferences/{id}/close":    with(record, `{"version":1}`),
		"POST /api/v1/cases/{id}/family-told":    with(editors, `{"told_on":""}`),
		"POST /api/v1/screenings/{id}/referrals": {allow: agencyStaff, fresh: (*matrix).screeningID, body: `{"reason":""}`},
	}
}

// referral sends a referral of a new case of the caseworker to a service
// of the agency itself (the supervisor overrides the missing consent).
func (m *matrix) referral(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		c, err := m.newCase(tx)
		if err != nil {
			return err
		}
		now := m.e.clock.now()
		svc := &directory.Service{AgencyID: m.e.agency, Organisation: "Clinic", Sector: "health_nutrition",
			Services: "care", LastVerified: now.Format("2006-01-02"), Active: true, CreatedBy: m.e.users["system_admin"].ID,
			CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertDirectoryService(m.ctx(), svc); err != nil {
			return err
		}
		r, err := referral.Send(m.ctx(), tx, m.e.srv.prof, m.actor("supervisor"), c.ID, referral.Input{ServiceID: svc.ID,
			Reason: "care", Sections: []string{"registration"}, OverrideReason: "the child is hurt and alone"}, now)
		if err == nil {
			id = r.ID
		}
		return err
	})
	return map[string]string{"id": id}
}

// transfer requests the internal transfer of a new case of the caseworker
// to caseworker2, waiting for the supervisor.
func (m *matrix) transfer(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		c, err := m.newCase(tx)
		if err != nil {
			return err
		}
		t, err := transfer.Request(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), c.ID, transfer.Input{Version: c.Version,
			ToUserID: m.e.users["caseworker2"].ID, Reason: "caseworker_unavailable", FamilyToldOn: "2026-11-19",
			FamilyToldTo: "mother", FamilyToldWhy: "leave", HandoverPlan: "joint visit", NoWarmHandoverWhy: "urgent"},
			m.e.clock.now())
		if err == nil {
			id = t.ID
		}
		return err
	})
	return map[string]string{"id": id}
}

// conference schedules a conference on a new case of the caseworker with
// the supervisor and caseworker2.
func (m *matrix) conference(role string) map[string]string {
	var id string
	m.tx(func(tx *store.Tx) error {
		c, err := m.newCase(tx)
		if err != nil {
			return err
		}
		conf, err := conference.Schedule(m.ctx(), tx, m.e.srv.prof, m.actor("caseworker"), c.ID, conference.Input{
			Reason: "coordinate", ScheduledAt: "2026-11-25T10:00",
			Participants: []string{m.e.users["supervisor"].ID, m.e.users["caseworker2"].ID}}, m.e.clock.now())
		if err == nil {
			id = conf.ID
		}
		return err
	})
	return map[string]string{"id": id}
}
