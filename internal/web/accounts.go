package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/account"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/signin"
	"github.com/safecase/safecase/internal/store"
)

// landing is where u goes after signing in: the account page while a
// notice waits (who reset or unlocked the account), else next when asked
// for, else the account page while case access awaits approval, else the
// role's home.
func (s *Server) landing(ctx context.Context, u *org.User, next string) string {
	has := false
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		has, err = tx.HasNotices(ctx, u.ID)
		return err
	}); err == nil && has {
		return "/account"
	}
	switch {
	case next != "":
		return next
	case u.CaseAccessPending:
		return "/account"
	}
	return home(u.Role)
}

// The setup page.

type setupPage struct {
	Page
	Code string
}

// getSetup shows the form where a person sets their password with the
// setup code they were given (filled in from the link's code, if any).
func (s *Server) getSetup(w http.ResponseWriter, r *http.Request, rq *request) error {
	p := &setupPage{Page: s.page(rq, "setup.title", ""), Code: account.FormatCode(r.URL.Query().Get("code"))}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "setup", p)
}

// setupThrottleName is the name wrong setup codes are counted under, per
// address, by the sign-in throttle: no username is ever shaped like it.
const setupThrottleName = "#setup-code"

// postSetup sets the password of the account the code is for. Wrong codes
// count against the address like failed sign-ins, and lock it out for a while.
//
// Not a formPost: like the sign-in steps, a wrong code is counted in a
// transaction that commits although the form is refused, and the password
// is hashed between transactions (completeSetup).
func (s *Server) postSetup(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	code, next, confirm := f.raw("setup_code"), f.raw("new_password"), f.raw("confirm_password")
	err = s.completeSetup(r, rq, code, next, confirm)
	if err == nil {
		return redirect(w, r, "/login?setup=1")
	}
	k := errs.KindOf(err)
	if k != errs.Invalid && k != errs.TooManyRequests {
		return err
	}
	p := &setupPage{Page: s.page(rq, "setup.title", ""), Code: account.FormatCode(code)}
	if fe, ok := errs.AsFields(err); ok {
		p.Errors = fe
		if fe.Has("setup_code") {
			p.Code = ""
		}
	} else {
		p.Errors = errs.Fields{{Field: "setup_code", Msg: "err.setup_locked"}}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, errs.Status(err), "setup", p)
}

// completeSetup checks the code (throttled by address like a sign-in)
// before the slow hashing of the password, then completes the setup in one
// transaction. A code that is not shaped like one is refused uncounted.
func (s *Server) completeSetup(r *http.Request, rq *request, code, next, confirm string) error {
	ctx := r.Context()
	h := account.HashCode(code)
	if h == "" {
		return errs.Field("setup_code", "err.setup_code")
	}
	ip, pol := s.clientIP(r), s.cfg.SignIn
	if err := s.db.Read(ctx, func(tx *store.Tx) error {
		return signin.Check(ctx, tx, pol, setupThrottleName, ip, rq.Now)
	}); err != nil {
		return err
	}
	var a *signin.Attempt
	if err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		a, err = signin.Begin(ctx, tx, pol, setupThrottleName, ip, rq.Now)
		return err
	}); err != nil {
		return err
	}
	var owner *org.User
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		sc, err := tx.SetupCodeByHash(ctx, h)
		if errs.KindOf(err) == errs.NotFound {
			return nil
		}
		if err != nil || !sc.Usable(rq.Now) {
			return err
		}
		owner, err = tx.User(ctx, sc.UserID)
		return err
	})
	if err != nil {
		return err
	}
	if owner == nil {
		if err := s.db.Tx(ctx, func(tx *store.Tx) error {
			if err := signin.Fail(ctx, tx, a); err != nil {
				return err
			}
			return account.SetupFailed(ctx, tx)
		}); err != nil {
			return err
		}
		return errs.Field("setup_code", "err.setup_code")
	}
	// The code is right: its count is given back whatever the password.
	if err := s.db.Tx(ctx, func(tx *store.Tx) error { return signin.Release(ctx, tx, pol, a) }); err != nil {
		return err
	}
	pw, err := account.NewPassword(next, confirm, owner, s.hashPassword)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := account.CompleteSetup(ctx, tx, code, pw, rq.Now)
		return err
	})
}

// The account events and approvals page.

type approvalRow struct {
	account.Approval
	MayDecide bool
}

type changeRow struct {
	Key, Old, New string
}

type accountEventRow struct {
	audit.Event
	ActorName string
	UserName  string
	Changes   []changeRow
}

type accountsPage struct {
	Page
	Approvals []approvalRow
	Events    []accountEventRow
	Next      int64
	Approver  org.Role
	Teams     map[string]string
}

// ActionLabel is the words for an account event's action.
func (p *accountsPage) ActionLabel(action string) string { return actionLabel(p.L, action) }

// mayAccounts checks that rq may read the account events of their agency.
func (s *Server) mayAccounts(rq *request) error {
	if d := access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindAccount, AgencyID: rq.User.AgencyID}); !d.Allow {
		return errs.E(errs.Forbidden, "account events: %s", d.Reason)
	}
	return nil
}

// loadAccounts reads the waiting approvals and a page of account events of
// rq's agency, newest first (before seq, when given), once mayAccounts
// allows.
func (s *Server) loadAccounts(ctx context.Context, rq *request, before int64) (*accountsPage, error) {
	if err := s.mayAccounts(rq); err != nil {
		return nil, err
	}
	p := &accountsPage{Page: s.page(rq, "accounts.title", "accounts"), Approver: account.ApproverRole(s.prof),
		Teams: map[string]string{}}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		open, err := tx.OpenApprovals(ctx, rq.User.AgencyID)
		if err != nil {
			return err
		}
		for _, a := range open {
			d := access.Decide(rq.Actor, access.Approve, a.Resource(s.prof))
			p.Approvals = append(p.Approvals, approvalRow{Approval: a, MayDecide: d.Allow})
		}
		events, err := tx.AuditEvents(ctx, store.AuditFilter{AgencyID: rq.User.AgencyID, Action: "user.", Before: before, Limit: 50})
		if err != nil {
			return err
		}
		var ids []string
		for _, e := range events {
			ids = append(ids, e.ActorID, e.RecordID)
		}
		names, err := tx.UserNames(ctx, ids)
		if err != nil {
			return err
		}
		teams, err := tx.Teams(ctx, rq.User.AgencyID)
		if err != nil {
			return err
		}
		for _, t := range teams {
			p.Teams[t.ID] = t.Name
		}
		for _, e := range events {
			row := accountEventRow{Event: e, ActorName: names[e.ActorID], UserName: names[e.RecordID]}
			if e.ActorRole == account.ShellRole {
				row.ActorName = rq.L.T("accounts.operator")
			}
			d := account.ParseDetail(e.Detail)
			keys := make([]string, 0, len(d))
			for k := range d {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				row.Changes = append(row.Changes, changeRow{Key: k, Old: p.value(k, d[k].Old), New: p.value(k, d[k].New)})
			}
			p.Events = append(p.Events, row)
		}
		if len(events) == 50 {
			p.Next = events[len(events)-1].Seq
		}
		return nil
	})
	return p, err
}

// value is how an account event's value of key reads: roles and case
// access in words, teams by name, the rest as recorded.
func (p *accountsPage) value(key, v string) string {
	if v == "" {
		return ""
	}
	switch key {
	case "role":
		return p.Role(v)
	case "team":
		if n, ok := p.Teams[v]; ok {
			return n
		}
	case "case_access", "setup", "decision", "purpose":
		if k := "accounts.value." + v; p.L.Has(k) {
			return p.T(k)
		}
	}
	return v
}

// ChangeLabel is the words for what changed.
func (p *accountsPage) ChangeLabel(key string) string {
	if k := "accounts.change." + key; p.L.Has(k) {
		return p.T(k)
	}
	return key
}

// ApprovalReason is the words for why case access waits.
func (p *accountsPage) ApprovalReason(r string) string { return p.T("accounts.reason." + r) }

// getAccounts shows the approvals that wait and the account events of the
// agency, to its data protection officer and managers.
func (s *Server) getAccounts(w http.ResponseWriter, r *http.Request, rq *request) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	p, err := s.loadAccounts(r.Context(), rq, before)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "approved":
		p.Flash = "flash.access_approved"
	case "refused":
		p.Flash = "flash.access_refused"
	}
	return s.render(w, http.StatusOK, "accounts", p)
}

// decideApproval approves or refuses approval id as rq.
func (s *Server) decideApproval(ctx context.Context, rq *request, id string, approve bool) (*account.Approval, error) {
	var a *account.Approval
	err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		a, err = account.Decide(ctx, tx, s.prof, rq.Actor, id, approve, rq.Now)
		return err
	})
	return a, err
}

// postDecide approves or refuses approval {id}. Its form has no fields and
// no page to show again: a refusal is answered as it is.
func (s *Server) postDecide(w http.ResponseWriter, r *http.Request, rq *request, approve bool) error {
	id := r.PathValue("id")
	next := "/accounts?done=refused"
	if approve {
		next = "/accounts?done=approved"
	}
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			_, err := account.Decide(ctx, tx, s.prof, rq.Actor, id, approve, rq.Now)
			return err
		},
		Next: to(next),
	})
}

func (s *Server) postApprove(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.postDecide(w, r, rq, true)
}

func (s *Server) postRefuse(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.postDecide(w, r, rq, false)
}

// actionLabel is the words for account event action.
func actionLabel(l interface {
	Has(string) bool
	T(string, ...any) string
}, action string) string {
	k := "accounts.action." + action
	if l.Has(k) {
		return l.T(k)
	}
	return action
}

// The JSON API.

type setupJSON struct {
	Mailed     bool    `json:"mailed"`
	MailFailed bool    `json:"mail_failed"`
	Code       string  `json:"code,omitempty"`
	Link       string  `json:"link,omitempty"`
	ExpiresAt  *string `json:"expires_at"`
}

// withSetup is u's JSON with the setup code just issued: the code and link
// only when they are not mailed.
func (s *Server) withSetup(u *org.User, iss *account.Issued, failed bool) userOut {
	j := userJSON(u)
	if iss == nil {
		return j
	}
	j.Setup = &setupJSON{Mailed: iss.Mail, MailFailed: failed, ExpiresAt: apiTime(iss.ExpiresAt)}
	if !iss.Mail {
		j.Setup.Code, j.Setup.Link = iss.Code, s.setupLink(iss.Code)
	}
	return j
}

// resetBody is the optional body of an API reset.
type resetBody struct {
	// SecondFactor also removes the person's second factors (a lost phone).
	SecondFactor bool `json:"second_factor"`
}

func (s *Server) apiResetUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in resetBody
	// The body is optional: an empty one resets the password alone.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSON))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errs.Field("body", "err.json_too_large")
	case err != nil:
		return fmt.Errorf("read body: %w", err)
	case len(bytes.TrimSpace(body)) > 0:
		if err := DecodeJSON(body, &in); err != nil {
			return err
		}
	}
	u, iss, failed, err := s.resetUser(r.Context(), rq, r.PathValue("id"), in.SecondFactor)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return jsonOK(w, s.withSetup(u, iss, failed))
}

func (s *Server) apiUnlockUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	u, err := s.unlockUser(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	return jsonOK(w, userJSON(u))
}

type approvalJSON struct {
	ID              string  `json:"id"`
	UserID          string  `json:"user_id"`
	UserName        string  `json:"user_name"`
	Username        string  `json:"username"`
	Role            string  `json:"role"`
	Reason          string  `json:"reason"`
	RequestedBy     string  `json:"requested_by"`
	RequestedByName string  `json:"requested_by_name"`
	RequestedAt     *string `json:"requested_at"`
	Decision        string  `json:"decision"`
	DecidedBy       string  `json:"decided_by"`
	DecidedAt       *string `json:"decided_at"`
	MayDecide       bool    `json:"may_decide"`
}

func approvalToJSON(a *account.Approval, may bool) approvalJSON {
	return approvalJSON{ID: a.ID, UserID: a.UserID, UserName: a.UserName, Username: a.Username, Role: string(a.Role),
		Reason: a.Reason, RequestedBy: a.RequestedBy, RequestedByName: a.RequesterName, RequestedAt: apiTime(a.RequestedAt),
		Decision: a.Decision, DecidedBy: a.DecidedBy, DecidedAt: apiTime(a.DecidedAt), MayDecide: may}
}

func (s *Server) apiApprovals(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadAccounts(r.Context(), rq, 0)
	if err != nil {
		return err
	}
	out := struct {
		Approvals []approvalJSON `json:"approvals"`
	}{Approvals: []approvalJSON{}}
	for i := range p.Approvals {
		out.Approvals = append(out.Approvals, approvalToJSON(&p.Approvals[i].Approval, p.Approvals[i].MayDecide))
	}
	return jsonOK(w, out)
}

func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request, rq *request, approve bool) error {
	a, err := s.decideApproval(r.Context(), rq, r.PathValue("id"), approve)
	if err != nil {
		return err
	}
	return jsonOK(w, approvalToJSON(a, false))
}

func (s *Server) apiApprove(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiDecide(w, r, rq, true)
}

func (s *Server) apiRefuse(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.apiDecide(w, r, rq, false)
}

type accountEventJSON struct {
	Seq       int64                     `json:"seq"`
	At        *string                   `json:"at"`
	ActorID   string                    `json:"actor_id"`
	ActorName string                    `json:"actor_name"`
	ActorRole string                    `json:"actor_role"`
	Action    string                    `json:"action"`
	UserID    string                    `json:"user_id"`
	UserName  string                    `json:"user_name"`
	Changes   map[string]account.Change `json:"changes"`
}

func (s *Server) apiAccountEvents(w http.ResponseWriter, r *http.Request, rq *request) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	p, err := s.loadAccounts(r.Context(), rq, before)
	if err != nil {
		return err
	}
	out := struct {
		Events []accountEventJSON `json:"events"`
		Next   int64              `json:"next"`
	}{Events: []accountEventJSON{}, Next: p.Next}
	for _, e := range p.Events {
		ch := account.ParseDetail(e.Detail)
		if ch == nil {
			ch = account.Detail{}
		}
		out.Events = append(out.Events, accountEventJSON{Seq: e.Seq, At: apiTime(e.At), ActorID: e.ActorID,
			ActorName: e.ActorName, ActorRole: e.ActorRole, Action: e.Action, UserID: e.RecordID, UserName: e.UserName,
			Changes: ch})
	}
	return jsonOK(w, out)
}

type sessionJSON struct {
	ID         string  `json:"id"`
	Device     string  `json:"device"`
	IP         string  `json:"ip"`
	CreatedAt  *string `json:"created_at"`
	LastSeenAt *string `json:"last_seen_at"`
	ExpiresAt  *string `json:"expires_at"`
	Current    bool    `json:"current"`
}

func (s *Server) apiSessions(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var rows []sessionRow
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		rows, err = s.sessionRows(ctx, tx, rq)
		return err
	}); err != nil {
		return err
	}
	out := struct {
		Sessions []sessionJSON `json:"sessions"`
	}{Sessions: []sessionJSON{}}
	for _, x := range rows {
		out.Sessions = append(out.Sessions, sessionJSON{ID: x.PublicID, Device: x.Device, IP: x.IP,
			CreatedAt: apiTime(x.CreatedAt), LastSeenAt: apiTime(x.LastSeenAt), ExpiresAt: apiTime(x.ExpiresAt),
			Current: x.Current})
	}
	return jsonOK(w, out)
}

func (s *Server) apiEndSession(w http.ResponseWriter, r *http.Request, rq *request) error {
	current, err := s.endSession(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		return err
	}
	if current {
		s.clearCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiChangePassword changes the caller's own password: every session ends
// and every API token is revoked, the one used for this request included.
func (s *Server) apiChangePassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
		Confirm string `json:"confirm_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.changePassword(r, rq, in.Current, in.New, in.Confirm); err != nil {
		return err
	}
	s.clearCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
