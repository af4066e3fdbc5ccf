package web

// The coordination inbox in the API lists what its page lists — case code,
// service, state and dates — and never what a referral, transfer or
// conference says: that is read on the record's own page or answer
// (GET /api/v1/referrals/{id} and the like), whose reading is audited.

// inboxReferralJSON is a referral as the inbox lists it.
type inboxReferralJSON struct {
	ID           string  `json:"id"`
	CaseCode     string  `json:"case_code"` // empty for a stand-alone referral
	Organisation string  `json:"organisation"`
	ServiceType  string  `json:"service_type"`
	Urgent       bool    `json:"urgent"`
	Status       string  `json:"status"`
	Overdue      bool    `json:"overdue"`
	ResponseDue  *string `json:"response_due"`
	SentAt       *string `json:"sent_at"`
}

// inboxTransferJSON is a transfer waiting for the reader's decision.
type inboxTransferJSON struct {
	ID          string  `json:"id"`
	CaseCode    string  `json:"case_code"`
	Kind        string  `json:"kind"`
	Reason      string  `json:"reason"` // one of the profile's transfer reasons
	Status      string  `json:"status"`
	RequestedAt *string `json:"requested_at"`
}

// inboxConferenceJSON is a conference the reader takes part in.
type inboxConferenceJSON struct {
	ID          string  `json:"id"`
	CaseCode    string  `json:"case_code"`
	ScheduledAt *string `json:"scheduled_at"`
	Status      string  `json:"status"`
}

type inboxJSON struct {
	Referrals   []inboxReferralJSON   `json:"referrals"`
	Transfers   []inboxTransferJSON   `json:"transfers"`
	Conferences []inboxConferenceJSON `json:"conferences"`
}

func inboxToJSON(rq *request, p *inbox) inboxJSON {
	out := inboxJSON{Referrals: []inboxReferralJSON{}, Transfers: []inboxTransferJSON{}, Conferences: []inboxConferenceJSON{}}
	for _, r := range p.Referrals {
		out.Referrals = append(out.Referrals, inboxReferralJSON{ID: r.ID, CaseCode: r.CaseCode, Organisation: r.Organisation,
			ServiceType: r.ServiceType, Urgent: r.Urgent, Status: r.Status, Overdue: r.Overdue(rq.Now),
			ResponseDue: apiTime(r.ResponseDue), SentAt: apiTime(r.SentAt)})
	}
	for _, t := range p.Transfers {
		out.Transfers = append(out.Transfers, inboxTransferJSON{ID: t.ID, CaseCode: t.CaseCode, Kind: t.Kind,
			Reason: t.Reason, Status: t.Status, RequestedAt: apiTime(t.RequestedAt)})
	}
	for _, c := range p.Conferences {
		out.Conferences = append(out.Conferences, inboxConferenceJSON{ID: c.ID, CaseCode: c.CaseCode,
			ScheduledAt: apiTime(c.ScheduledAt), Status: c.Status})
	}
	return out
}
