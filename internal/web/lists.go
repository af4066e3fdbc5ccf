package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

const pageSize = 25

type caseloadPage struct {
	Page
	Scope    access.Scope
	Labels   listLabels
	Views    []caseRowView
	Rows     []store.CaseRow
	Names    map[string]string // the children's names the list shows, by case ID
	Count    int
	CountMax int
	PageNo   int
	HasNext  bool
	ShowWho  bool
}

// countCap bounds the count shown above a long caseload.
const countCap = 1000

// getCaseload shows the caseworker's own cases, or a manager's agency.
func (s *Server) getCaseload(w http.ResponseWriter, r *http.Request, rq *request) error {
	scope, id := cases.Caseload(rq.Actor)
	res := access.Resource{Kind: access.KindCaseList, Scope: scope, AgencyID: rq.User.AgencyID, TeamID: rq.User.TeamID}
	if d := access.Decide(rq.Actor, access.View, res); !d.Allow {
		return errs.E(errs.Forbidden, "caseload: %s", d.Reason)
	}
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if pg < 1 {
		pg = 1
	}
	p := caseloadPage{Page: s.page(rq, "caseload.title", "caseload"), Scope: scope, PageNo: pg,
		CountMax: countCap, ShowWho: scope != access.Own}
	if scope == access.Agency {
		p.Title = "caseload.agency_title"
	}
	ctx := r.Context()
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		f := store.CaseFilter{Scope: scope, ID: id, Offset: (pg - 1) * pageSize, Limit: pageSize + 1}
		rows, err := tx.Caseload(ctx, f)
		if err != nil {
			return err
		}
		if len(rows) > pageSize {
			rows, p.HasNext = rows[:pageSize], true
		}
		p.Rows = rows
		if p.Names, err = s.listNames(ctx, tx, rq, "caseload", caseListed(rows)); err != nil {
			return err
		}
		p.Count, err = tx.CountCases(ctx, f, countCap)
		return err
	})
	if err != nil {
		return err
	}
	p.Labels, p.Views = p.listLabels(), p.caseRows(p.Rows, p.Names)
	return s.render(w, http.StatusOK, "caseload", &p)
}

// CaseTable is the caseload's table.
func (p *caseloadPage) CaseTable() caseTable {
	return caseTable{Labels: p.Labels, Rows: p.Views, Who: p.ShowWho, Empty: p.T("list.empty")}
}

// Pager is the caseload's pager.
func (p *caseloadPage) Pager() pager {
	return pager{P: &p.Page, No: p.PageNo, Next: p.HasNext, Base: "/caseload?"}
}

type tasksPage struct {
	Page
	Tasks  []store.TaskRow
	Names  map[string]string // the children's names the list shows, by case ID
	Labels listLabels
	Views  []taskRowView
	Later  int // open tasks due beyond the profile's task horizon (deadline.Tasks)
}

// TaskTable is the tasks page's table.
func (p *tasksPage) TaskTable() taskTable {
	return taskTable{Labels: p.Labels, Tasks: p.Views, Empty: p.T("tasks.none")}
}

// getTasks shows the signed-in user's open deadlines.
func (s *Server) getTasks(w http.ResponseWriter, r *http.Request, rq *request) error {
	res := access.Resource{Kind: access.KindTasks, Scope: access.Own, AgencyID: rq.User.AgencyID, TeamID: rq.User.TeamID}
	if d := access.Decide(rq.Actor, access.View, res); !d.Allow {
		return errs.E(errs.Forbidden, "tasks: %s", d.Reason)
	}
	p := tasksPage{Page: s.page(rq, "tasks.title", "tasks")}
	ctx := r.Context()
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Tasks, p.Later, err = deadline.Tasks[store.TaskRow](ctx, tx, s.prof, access.Own, rq.User.ID, rq.Now); err != nil {
			return err
		}
		p.Names, err = s.listNames(ctx, tx, rq, "tasks", taskListed(p.Tasks))
		return err
	})
	if err != nil {
		return err
	}
	deadline.SortTasks(p.Tasks, rq.Now, s.prof.Location())
	p.Labels, p.Views = p.listLabels(), p.taskRows(p.Tasks, p.Names)
	return s.render(w, http.StatusOK, "tasks", &p)
}

type teamPage struct {
	Page
	Team         *org.Team
	Teams        []org.Team
	Load         []store.WorkerLoad
	Tasks        []store.TaskRow
	Rows         []store.CaseRow
	Labels       listLabels
	Views        []caseRowView
	TaskViews    []taskRowView
	Count        int
	CountMax     int
	PageNo       int
	HasNext      bool
	OverdueCount int
	OpenCount    int
	Names        map[string]string // the children's names the lists show, by case ID
}

// TaskTable is the team view's table of what needs attention now.
func (p *teamPage) TaskTable() taskTable {
	return taskTable{Labels: p.Labels, Tasks: p.TaskViews, Who: true, Empty: p.T("tasks.none")}
}

// CaseTable is the team view's table of the team's cases.
func (p *teamPage) CaseTable() caseTable {
	return caseTable{Labels: p.Labels, Rows: p.Views, Who: true, Empty: p.T("list.empty")}
}

// Pager is the team view's pager.
func (p *teamPage) Pager() pager {
	return pager{P: &p.Page, No: p.PageNo, Next: p.HasNext, Base: "/team?team=" + url.QueryEscape(p.Team.ID) + "&"}
}

// hasTeamView refuses the roles that have no team view (cases.TeamView).
func hasTeamView(rq *request) error {
	_, _, err := cases.TeamView(rq.Actor)
	return err
}

// teamOf returns the team whose view rq asks for — the supervisor's own, or
// the one a manager picks (by default the agency's first) — once access
// allows it, with the teams a manager may pick from.
func teamOf(ctx context.Context, tx *store.Tx, r *http.Request, rq *request) (*org.Team, []org.Team, error) {
	teamID, picks, err := cases.TeamView(rq.Actor)
	if err != nil {
		return nil, nil, err
	}
	var teams []org.Team
	if picks {
		if teams, err = tx.Teams(ctx, rq.User.AgencyID); err != nil {
			return nil, nil, err
		}
		if teamID = r.URL.Query().Get("team"); teamID == "" && len(teams) > 0 {
			teamID = teams[0].ID
		}
	}
	if teamID == "" {
		return nil, nil, errs.E(errs.Forbidden, "team view: no team")
	}
	t, err := tx.Team(ctx, teamID)
	if err != nil {
		return nil, nil, err
	}
	res := access.Resource{Kind: access.KindCaseList, Scope: access.Team, AgencyID: t.AgencyID, TeamID: t.ID}
	if d := access.Decide(rq.Actor, access.View, res); !d.Allow {
		return nil, nil, errs.E(errs.NotFound, "team %s", teamID)
	}
	return t, teams, nil
}

// getTeam is the supervisor's team view (a manager picks the team): the
// caseload of every caseworker against the profile's thresholds, the team's
// overdue and due-soon tasks, and the team's cases.
func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := hasTeamView(rq); err != nil {
		return err
	}
	ctx := r.Context()
	p := teamPage{Page: s.page(rq, "team.title", "team"), CountMax: countCap}
	pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if pg < 1 {
		pg = 1
	}
	p.PageNo = pg
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		var t *org.Team
		if t, p.Teams, err = teamOf(ctx, tx, r, rq); err != nil {
			return err
		}
		p.Team = t
		if p.Load, err = tx.TeamLoad(ctx, t.ID, rq.Now, deadline.SoonUntil(rq.Now)); err != nil {
			return err
		}
		// The team view lists what needs attention now: overdue and due soon.
		if p.Tasks, err = tx.TasksDueBefore(ctx, access.Team, t.ID, deadline.SoonUntil(rq.Now), 1000); err != nil {
			return err
		}
		for _, l := range p.Load {
			p.OverdueCount += l.Overdue
			p.OpenCount += l.Open
		}
		deadline.SortTasks(p.Tasks, rq.Now, s.prof.Location())
		f := store.CaseFilter{Scope: access.Team, ID: t.ID, Offset: (pg - 1) * pageSize, Limit: pageSize + 1}
		rows, err := tx.Caseload(ctx, f)
		if err != nil {
			return err
		}
		if len(rows) > pageSize {
			rows, p.HasNext = rows[:pageSize], true
		}
		p.Rows = rows
		if p.Names, err = s.listNames(ctx, tx, rq, "team", append(caseListed(rows), taskListed(p.Tasks)...)); err != nil {
			return err
		}
		p.Count, err = tx.CountCases(ctx, f, countCap)
		return err
	})
	if err != nil {
		return err
	}
	p.Labels, p.Views, p.TaskViews = p.listLabels(), p.caseRows(p.Rows, p.Names), p.taskRows(p.Tasks, p.Names)
	return s.render(w, http.StatusOK, "team", &p)
}

// listNames returns the children's names that list (caseload, tasks, team)
// shows beside the codes of the cases ls, by case ID — those the profile
// shows for their case type and rq's actor may read (cases.ListNames) — and
// records the read of identity it is.
func (s *Server) listNames(ctx context.Context, tx *store.Tx, rq *request, list string, ls []cases.Listed) (map[string]string, error) {
	names, evs, err := cases.ListNames(ctx, tx, s.prof, rq.Actor, list, ls)
	if err != nil {
		return nil, err
	}
	for _, ev := range evs {
		rq.auditRead(ctx, ev)
	}
	return names, nil
}

func caseListed(rows []store.CaseRow) []cases.Listed {
	out := make([]cases.Listed, len(rows))
	for i := range rows {
		out[i] = rows[i].Listed()
	}
	return out
}

func taskListed(rows []store.TaskRow) []cases.Listed {
	out := make([]cases.Listed, len(rows))
	for i := range rows {
		out[i] = rows[i].Listed()
	}
	return out
}
