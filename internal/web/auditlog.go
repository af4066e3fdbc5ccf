package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auditview"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/sheet"
	"github.com/safecase/safecase/internal/store"
)

// The data protection officer's view of the audit trail: 50 events a page
// (keyset by sequence number), filtered by person, case code, action,
// dates and address; "who read this case" and "what this person read" are
// the same view with only the reads; the CSV export of a filter asks for
// the officer's password and a reason and is itself audited. It shows case
// codes, never names.

// auditRow is one event as the page shows it.
type auditRow struct {
	audit.Event
	Label     string // message key of the action's label, or "" (Action shown as it is)
	Pairs     []auditview.Pair
	ActorName string
	CaseCode  string
	Channel   string // message key
}

// auditActor is one person the filter offers.
type auditActor struct{ ID, Name string }

type auditPage struct {
	Page
	Filter  auditview.Filter
	Actors  []auditActor
	Groups  []auditview.Group
	Rows    []auditRow
	Heading string // message key
	Who     string // the person of "what this person read"
	Query   string // the filter, for the paging links
	Newer   int64  // the first event shown, when newer ones exist
	Older   int64  // the last event shown, when older ones exist
	Reason  string // the export's reason, typed
	Export  bool   // the export form is open (it had errors)
}

// resolvedFilter is a parsed filter with its person and case found.
type resolvedFilter struct {
	auditview.Filter
	store.AuditFilter
	ActorName string
}

// auditFilter parses and resolves the filter in get for rq's agency.
func (s *Server) auditFilter(ctx context.Context, tx *store.Tx, rq *request, get func(string) string) (resolvedFilter, errs.Fields) {
	f, fe := auditview.Parse(get, s.prof.Location())
	rf := resolvedFilter{Filter: f, AuditFilter: store.AuditFilter{AgencyID: rq.User.AgencyID, Action: f.Action,
		IP: f.IP, From: f.FromTime, To: f.ToTime, Before: f.Before, After: f.After, Limit: auditview.PageSize}}
	if f.Reads {
		rf.Actions = auditview.Reads()
	}
	if f.Actor != "" && !fe.Has("actor") {
		// The page's list posts the person's ID; the API may name a username.
		u, err := tx.User(ctx, f.Actor)
		if err != nil {
			u, err = tx.UserByName(ctx, strings.ToLower(f.Actor))
		}
		if err != nil {
			fe.Add("actor", "err.audit_no_user")
		} else {
			rf.ActorID, rf.ActorName = u.ID, u.DisplayName
		}
	}
	if f.CaseCode != "" && !fe.Has("case") {
		c, err := tx.CaseByCode(ctx, f.CaseCode)
		if err != nil || c.AgencyID != rq.User.AgencyID {
			fe.Add("case", "err.no_such_case")
		} else {
			rf.CaseID = c.ID
		}
	}
	return rf, fe
}

// auditQuery turns the query q into a store filter for rq's agency: the
// JSON API's filter, 100 events a page.
func (s *Server) auditQuery(ctx context.Context, tx *store.Tx, rq *request, q url.Values) (store.AuditFilter, auditview.Filter, error) {
	rf, fe := s.auditFilter(ctx, tx, rq, q.Get)
	rf.AuditFilter.Limit = 100
	return rf.AuditFilter, rf.Filter, fe.Err()
}

// auditRows labels events and finds their people's names and case codes.
func auditRows(ctx context.Context, tx *store.Tx, events []audit.Event) ([]auditRow, error) {
	var actors, caseIDs []string
	for _, e := range events {
		actors, caseIDs = append(actors, e.ActorID), append(caseIDs, e.CaseID)
	}
	names, err := tx.UserNames(ctx, actors)
	if err != nil {
		return nil, err
	}
	codes, err := tx.CaseCodes(ctx, nonEmpty(caseIDs))
	if err != nil {
		return nil, err
	}
	rows := make([]auditRow, len(events))
	for i, e := range events {
		rows[i] = auditRow{Event: e, Label: auditview.Label(e.Action), Pairs: auditview.Pairs(e.Detail),
			ActorName: names[e.ActorID], CaseCode: codes[e.CaseID], Channel: auditChannel(&e)}
	}
	return rows, nil
}

func nonEmpty(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}

// auditChannel says how an event came: the command line, the system
// itself, the JSON API when its detail says so, else the web or the API.
func auditChannel(e *audit.Event) string {
	switch {
	case e.ActorRole == "cli":
		return "audit.channel.cli"
	case e.ActorID == "":
		return "audit.channel.system"
	case strings.Contains(e.Detail, `"api":`):
		return "audit.channel.api"
	}
	return "audit.channel.web"
}

// loadAuditPage fills p with the page of events filter get selects.
func (s *Server) loadAuditPage(ctx context.Context, rq *request, p *auditPage, get func(string) string) error {
	p.Groups = auditview.Groups()
	return s.db.Read(ctx, func(tx *store.Tx) error {
		users, err := tx.Users(ctx, rq.User.AgencyID)
		if err != nil {
			return err
		}
		for _, u := range users {
			p.Actors = append(p.Actors, auditActor{ID: u.ID, Name: u.DisplayName + " (" + u.Username + ")"})
		}
		rf, fe := s.auditFilter(ctx, tx, rq, get)
		p.Filter = rf.Filter
		if rf.ActorID != "" {
			p.Filter.Actor = rf.ActorID // a username from a link selects the person
		}
		switch {
		case rf.Reads && rf.CaseID != "" && rf.ActorID == "":
			p.Heading = "audit.heading.case_reads"
		case rf.Reads && rf.ActorID != "" && rf.CaseID == "":
			p.Heading, p.Who = "audit.heading.person_reads", rf.ActorName
		}
		if len(fe) > 0 {
			p.Errors = fe
			return nil
		}
		f := rf.AuditFilter
		f.Limit++ // one more tells whether there is a further page
		events, err := tx.AuditEvents(ctx, f)
		if err != nil {
			return err
		}
		more := len(events) > auditview.PageSize
		if more {
			if f.After > 0 && f.Before == 0 {
				events = events[1:] // the newest is on the next page up
			} else {
				events = events[:auditview.PageSize]
			}
		}
		if p.Rows, err = auditRows(ctx, tx, events); err != nil {
			return err
		}
		if len(events) > 0 {
			first, last := events[0].Seq, events[len(events)-1].Seq
			switch {
			case f.After > 0 && f.Before == 0:
				p.Older = last
				if more {
					p.Newer = first
				}
			case f.Before > 0:
				p.Newer = first
				if more {
					p.Older = last
				}
			case more:
				p.Older = last
			}
		}
		return nil
	})
}

// auditQueryString is filter f as a query string, for links.
func auditQueryString(f auditview.Filter) string {
	q := url.Values{}
	for k, v := range f.Values() {
		q.Set(k, v)
	}
	return q.Encode()
}

// getAudit is the data protection officer's view of the audit trail.
func (s *Server) getAudit(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := auditAllowed(rq); err != nil {
		return err
	}
	ctx := r.Context()
	p := auditPage{Page: s.page(rq, "audit.title", "audit")}
	q := r.URL.Query()
	if err := s.loadAuditPage(ctx, rq, &p, q.Get); err != nil {
		return err
	}
	p.Query = auditQueryString(p.Filter)
	s.auditTrailRead(ctx, rq, &p)
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, status, "audit", &p)
}

// auditTrailRead audits the page p of the trail shown to rq: with the
// filter (IDs, codes, dates, an address) when it was valid; a refused
// filter is not written down, as what was typed may be anything (a name
// typed where a case code goes).
func (s *Server) auditTrailRead(ctx context.Context, rq *request, p *auditPage) {
	detail := `{"filter":"refused"}`
	if len(p.Errors) == 0 {
		detail = auditDetail(p.Filter.Describe(), 0)
	}
	rq.auditRead(ctx, audit.Event{Action: "audit.view", RecordType: "audit", Detail: detail})
}

// auditAllowed decides whether rq may read its agency's audit trail.
func auditAllowed(rq *request) error {
	if d := access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindAudit, AgencyID: rq.User.AgencyID}); !d.Allow {
		return errs.E(errs.Forbidden, "audit: %s", d.Reason)
	}
	return nil
}

// auditDetail is the detail of an event recording a view or an export of
// the trail: the filter (IDs, codes, dates, an address) and the export's cap.
func auditDetail(filter string, limit int) string {
	var b strings.Builder
	b.WriteString(`{"filter":`)
	b.WriteString(strconv.Quote(filter))
	if limit > 0 {
		b.WriteString(`,"limit":` + strconv.Itoa(limit))
	}
	b.WriteString("}")
	return b.String()
}

// maxExportReason bounds the reason typed for an export.
const maxExportReason = 300

// exportChunk is how many events the export reads per transaction, so
// that a slow download never holds one open.
const exportChunk = 2000

// postAuditExport sends the events of a filter as a CSV file, newest
// first, at most auditview.ExportCap: after the officer's password and a
// reason, and audited (audit.export) before the first byte is sent.
func (s *Server) postAuditExport(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := auditAllowed(rq); err != nil {
		return err
	}
	ctx := r.Context()
	fm, err := parseForm(w, r)
	if err != nil {
		return err
	}
	reason := fm.str("reason")
	var rf resolvedFilter
	var fe errs.Fields
	if err := s.db.Read(ctx, func(tx *store.Tx) error {
		rf, fe = s.auditFilter(ctx, tx, rq, fm.str)
		return nil
	}); err != nil {
		return err
	}
	switch {
	case reason == "":
		fe.Add("reason", "err.audit_reason")
	case utf8.RuneCountInString(reason) > maxExportReason:
		fe.Add("reason", "err.audit_reason_long", maxExportReason)
	}
	if len(fe) == 0 {
		if err := s.ownPassword(r, rq, "password", fm.raw("password")); err != nil {
			pe, ok := errs.AsFields(err)
			if !ok {
				return err
			}
			fe = append(fe, pe...)
		}
	}
	if len(fe) > 0 {
		p := auditPage{Page: s.page(rq, "audit.title", "audit"), Reason: reason, Export: true}
		if err := s.loadAuditPage(ctx, rq, &p, fm.str); err != nil {
			return err
		}
		p.Errors = fe // the filter's errors and the export's
		p.Query = auditQueryString(p.Filter)
		s.auditTrailRead(ctx, rq, &p)
		return s.render(w, http.StatusUnprocessableEntity, "audit", &p)
	}
	// The export is recorded, durably, before its first byte goes out.
	rq.auditRead(ctx, audit.Event{Action: auditview.ActionExport, RecordType: "audit", Reason: reason,
		Detail: auditDetail(rf.Filter.Describe(), auditview.ExportCap)})
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit-trail-`+s.prof.Today(rq.Now)+`.csv"`)
	h.Set("Cache-Control", "no-store")
	return s.writeAuditCSV(ctx, w, rq, rf.AuditFilter)
}

// writeAuditCSV writes the events of f as CSV through sheet.Writer, in
// chunks read by keyset, each in its own read transaction.
func (s *Server) writeAuditCSV(ctx context.Context, w http.ResponseWriter, rq *request, f store.AuditFilter) error {
	l := rq.L
	cw := sheet.NewWriter(w)
	if err := cw.Write([]string{l.T("audit.csv.seq"), l.T("audit.when"), l.T("audit.who"), l.T("audit.csv.role"),
		l.T("audit.what"), l.T("audit.csv.case"), l.T("audit.record"), l.T("audit.from"), l.T("audit.channel"),
		l.T("audit.csv.reason"), l.T("audit.csv.detail")}); err != nil {
		return err
	}
	f.After, f.Before = 0, 0
	left := auditview.ExportCap
	for left > 0 {
		f.Limit = min(exportChunk, left)
		var rows []auditRow
		err := s.db.Read(ctx, func(tx *store.Tx) error {
			var events []audit.Event
			if err := tx.EachAuditEvent(ctx, f, func(e audit.Event) error {
				events = append(events, e)
				return nil
			}); err != nil {
				return err
			}
			var err error
			rows, err = auditRows(ctx, tx, events)
			return err
		})
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(auditCSVRow(l, s.prof.Location(), &r)); err != nil {
				return err
			}
		}
		if err := cw.Flush(); err != nil {
			return err
		}
		if len(rows) < f.Limit {
			break
		}
		left -= len(rows)
		f.Before = rows[len(rows)-1].Seq
	}
	return nil
}

// auditCSVRow is one event as a row of the export.
func auditCSVRow(l *i18n.Locale, loc *time.Location, r *auditRow) []string {
	action := r.Action
	if r.Label != "" {
		action = l.T(r.Label)
	}
	role := r.ActorRole
	if l.Has("role." + role) {
		role = l.T("role." + role)
	}
	var detail []string
	for _, p := range r.Pairs {
		detail = append(detail, pairText(l, p))
	}
	return []string{strconv.FormatInt(r.Seq, 10), r.At.In(loc).Format("2006-01-02 15:04:05"), r.ActorName, role,
		action, r.CaseCode, recordLabel(l, r.RecordType), r.IP, l.T(r.Channel), r.Reason, strings.Join(detail, "; ")}
}

// pairText is one detail pair as text: "Label: value", or "Other: key = value".
func pairText(l *i18n.Locale, p auditview.Pair) string {
	v := p.Value
	if p.ValueKey != "" {
		v = l.T(p.ValueKey)
	}
	if p.Key == "" {
		return l.T("audit.other", p.Name, v)
	}
	return l.T(p.Key) + ": " + v
}

// Link is the address of the page of the same filter at position k=seq
// ("before" or "after").
func (p *auditPage) Link(k string, seq int64) string {
	q := "/audit?"
	if p.Query != "" {
		q += p.Query + "&"
	}
	return q + k + "=" + strconv.FormatInt(seq, 10)
}

// RecordLabel is the plain name of a record type, or the type itself for
// one without a label.
func (p *auditPage) RecordLabel(t string) string { return recordLabel(p.L, t) }

func recordLabel(l *i18n.Locale, t string) string {
	if t != "" && l.Has("audit.rec."+t) {
		return l.T("audit.rec." + t)
	}
	return t
}

// PairText is a detail pair as the page shows it.
func (p *auditPage) PairText(x auditview.Pair) string { return pairText(p.L, x) }

// auditCategories are the categories of actions (e.g. "case."), each with
// its message audit.cat.<category>, as the filter's list groups them.
var auditCategories = func() []string {
	var out []string
	for _, g := range auditview.Groups() {
		out = append(out, g.Prefix)
	}
	return out
}()
