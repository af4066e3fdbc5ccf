package web

import (
	"context"
	"net/http"

	"github.com/safecase/safecase/internal/caselink"
	"github.com/safecase/safecase/internal/store"
)

// Requests to link a case to a case of another agency: the other case's
// caseworker or supervisor accepts or declines them on their case's links
// page; the requester withdraws them on theirs. Until a request is
// accepted the requester sees only the code they typed.

// linkAnswer is an answer to a link request: accept, decline or withdraw
// request rid of case id by a at version.
type linkAnswer func(ctx context.Context, tx *store.Tx, rq *request, id, rid string, version int) error

var (
	acceptLink linkAnswer = func(ctx context.Context, tx *store.Tx, rq *request, id, rid string, version int) error {
		_, err := caselink.Accept(ctx, tx, rq.Actor, id, rid, version, rq.Now)
		return err
	}
	declineLink linkAnswer = func(ctx context.Context, tx *store.Tx, rq *request, id, rid string, version int) error {
		_, err := caselink.Decline(ctx, tx, rq.Actor, id, rid, version, rq.Now)
		return err
	}
	withdrawLink linkAnswer = func(ctx context.Context, tx *store.Tx, rq *request, id, rid string, version int) error {
		_, err := caselink.Withdraw(ctx, tx, rq.Actor, id, rid, version, rq.Now)
		return err
	}
)

// postLinkAnswer runs answer from the links page, then shows it again
// with done, or with the errors.
func (s *Server) postLinkAnswer(w http.ResponseWriter, r *http.Request, rq *request, answer linkAnswer, done string) error {
	id := r.PathValue("id")
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			return answer(ctx, tx, rq, id, r.PathValue("rid"), f.version())
		},
		Next:  to("/cases/" + id + "/links?done=" + done),
		Again: s.caseLinksAgain(w, r, rq, id, &caselink.Input{}),
	})
}

func (s *Server) postLinkAccept(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.postLinkAnswer(w, r, rq, acceptLink, "accepted")
}

func (s *Server) postLinkDecline(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.postLinkAnswer(w, r, rq, declineLink, "declined")
}

func (s *Server) postLinkWithdraw(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.postLinkAnswer(w, r, rq, withdrawLink, "withdrawn")
}

// linkAnswerInput is the body of an answer to a link request.
type linkAnswerInput struct {
	Version int `json:"version"` // the request's version, as listed
}

// apiLinkAnswer runs answer from the API (the body names the request's
// version) and replies with the case's links and requests as they are now.
func (s *Server) apiLinkAnswer(w http.ResponseWriter, r *http.Request, rq *request, answer linkAnswer) error {
	var in linkAnswerInput
	return s.apiCaseOp(w, r, &in, &in.Version, func(ctx context.Context, tx *store.Tx, id string) error {
		return answer(ctx, tx, rq, id, r.PathValue("rid"), in.Version)
	}, func(id string) error { return s.apiCaseLinkReply(w, r, rq, id, http.StatusOK) })
}

func (s *Server) apiLinkAccept(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiLinkAnswer(w, r, rq, acceptLink)
}

func (s *Server) apiLinkDecline(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiLinkAnswer(w, r, rq, declineLink)
}

func (s *Server) apiLinkWithdraw(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiLinkAnswer(w, r, rq, withdrawLink)
}

// linkRequestSentJSON is a waiting request of the case, as its requester
// sees it: the code typed, never anything of a case that has it.
type linkRequestSentJSON struct {
	ID          string  `json:"id"`
	Code        string  `json:"code"`
	Relation    string  `json:"relation"`
	RequestedAt *string `json:"requested_at"`
	Version     int     `json:"version"`
}

// linkRequestReceivedJSON is a waiting request to link the case, as its
// caseworker or supervisor sees it: who asks, from which agency, about
// which type of case.
type linkRequestReceivedJSON struct {
	ID          string  `json:"id"`
	Relation    string  `json:"relation"`
	Agency      string  `json:"agency"`
	Requester   string  `json:"requester"`
	Type        string  `json:"type"`
	RequestedAt *string `json:"requested_at"`
	Version     int     `json:"version"`
}

func linkRequestsSentToJSON(rs []caselink.Request) []linkRequestSentJSON {
	out := []linkRequestSentJSON{}
	for _, r := range rs {
		out = append(out, linkRequestSentJSON{ID: r.ID, Code: r.Code, Relation: r.Relation,
			RequestedAt: apiTime(r.RequestedAt), Version: r.Version})
	}
	return out
}

func linkRequestsReceivedToJSON(rs []caselink.Incoming) []linkRequestReceivedJSON {
	out := []linkRequestReceivedJSON{}
	for _, r := range rs {
		out = append(out, linkRequestReceivedJSON{ID: r.ID, Relation: r.Relation, Agency: r.Agency, Requester: r.Requester,
			Type: r.Type, RequestedAt: apiTime(r.RequestedAt), Version: r.Version})
	}
	return out
}
