package deadline

import "net/url"

// formPaths names, for every kind, the page of a case whose form completes
// a task of that kind (the path below /cases/{id}; "" is the case page
// itself, whose urgency form ends an urgent response). Every kind in Kinds
// has one: TestEveryKindHasAForm.
var formPaths = map[Kind]string{
	Registration:      "/edit",
	Assessment:        "/assessments",
	CasePlan:          "/plan",
	FirstAction:       "/services",
	FollowUp:          "/followups",
	Review:            "/reviews",
	UrgentResponse:    "#h-urgent",
	ConsentWithdrawn:  "/consent",
	MedicalReferral:   "/assessments",
	PlanApproval:      "/plan",
	ClosureApproval:   "/closure",
	PostClosure:       "/closure",
	AgeOut:            "/closure",
	TellFamily:        "/coordination#tell-family",
	ReferralResponse:  "/coordination#referrals",
	TransferDecision:  "/coordination",
	MandatoryDecision: "/incident-reports",
}

// FormPath returns the address of the page whose form completes a task of
// kind k on case caseID, and false for a kind it does not know. The task
// lists link every task to it: one place says where each task is done.
func FormPath(k Kind, caseID string) (string, bool) {
	p, ok := formPaths[k]
	if !ok {
		return "", false
	}
	return "/cases/" + url.PathEscape(caseID) + p, true
}
