package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
)

// auditCategories are the action groups the audit filter offers.
var auditCategories = []string{"case.", "consent.", "family.", "identification.", "screening.",
	"assessment.", "plan.", "service.", "followup.", "review.", "closure.", "notification.",
	"auth.", "mfa.", "user.", "team.", "agency.", "token.", "access."}

type auditFilterForm struct {
	Actor    string
	Action   string
	CaseCode string
	From, To string
}

type auditRow struct {
	audit.Event
	ActorName string
	CaseCode  string
}

type auditPage struct {
	Page
	Filter     auditFilterForm
	Rows       []auditRow
	Categories []string
	Next       int64
	Query      string
}

// auditQuery turns the filter form into a store filter for agency.
func (s *Server) auditQuery(ctx context.Context, tx *store.Tx, rq *request, q map[string][]string) (store.AuditFilter, auditFilterForm, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	ff := auditFilterForm{Actor: get("actor"), Action: get("action"), CaseCode: get("case"), From: get("from"), To: get("to")}
	f := store.AuditFilter{AgencyID: rq.User.AgencyID, Action: ff.Action, Limit: 100}
	var fe errs.Fields
	if ff.Actor != "" {
		u, err := tx.UserByName(ctx, strings.ToLower(ff.Actor))
		if err != nil {
			fe.Add("actor", "err.no_such_user")
		} else {
			f.ActorID = u.ID
		}
	}
	if ff.CaseCode != "" {
		c, err := tx.CaseByCode(ctx, strings.ToUpper(ff.CaseCode))
		if err != nil || c.AgencyID != rq.User.AgencyID {
			fe.Add("case", "err.no_such_case")
		} else {
			f.CaseID = c.ID
		}
	}
	loc := s.prof.Location()
	if ff.From != "" {
		t, err := time.ParseInLocation(time.DateOnly, ff.From, loc)
		if err != nil {
			fe.Add("from", "err.date")
		}
		f.From = t
	}
	if ff.To != "" {
		t, err := time.ParseInLocation(time.DateOnly, ff.To, loc)
		if err != nil {
			fe.Add("to", "err.date")
		}
		f.To = t.Add(24 * time.Hour)
	}
	if b, err := strconv.ParseInt(get("before"), 10, 64); err == nil {
		f.Before = b
	}
	return f, ff, fe.Err()
}

// getAudit is the data protection officer's view of the audit trail.
func (s *Server) getAudit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if d := access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindAudit, AgencyID: rq.User.AgencyID}); !d.Allow {
		return errs.E(errs.Forbidden, "audit: %s", d.Reason)
	}
	ctx := r.Context()
	p := auditPage{Page: s.page(rq, "audit.title", "audit"), Categories: auditCategories}
	q := r.URL.Query()
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		f, ff, ferr := s.auditQuery(ctx, tx, rq, q)
		p.Filter = ff
		if fe, ok := errs.AsFields(ferr); ok {
			p.Errors = fe
			return nil
		}
		events, err := tx.AuditEvents(ctx, f)
		if err != nil {
			return err
		}
		names, codes := map[string]string{}, map[string]string{}
		for _, e := range events {
			row := auditRow{Event: e}
			if e.ActorID != "" {
				if _, ok := names[e.ActorID]; !ok {
					if u, err := tx.User(ctx, e.ActorID); err == nil {
						names[e.ActorID] = u.DisplayName + " (" + u.Username + ")"
					}
				}
				row.ActorName = names[e.ActorID]
			}
			if e.CaseID != "" {
				if _, ok := codes[e.CaseID]; !ok {
					if c, err := tx.Case(ctx, e.CaseID); err == nil {
						codes[e.CaseID] = c.Code
					}
				}
				row.CaseCode = codes[e.CaseID]
			}
			p.Rows = append(p.Rows, row)
		}
		if len(events) == f.Limit {
			p.Next = events[len(events)-1].Seq
		}
		return nil
	})
	if err != nil {
		return err
	}
	q.Del("before")
	p.Query = q.Encode()
	// Reading the audit trail is itself audited.
	rq.auditRead(ctx, audit.Event{Action: "audit.view", RecordType: "audit"})
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, status, "audit", &p)
}
