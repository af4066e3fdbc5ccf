package web

import (
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/deadline"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/plan"
	"github.com/safecase/safecase/internal/store"
)

// Lists render many rows, so their text is prepared here once per row
// rather than looked up through template calls per cell: the lists are the
// pages that must stay fast at a million cases.

// dueView is a due date as lists and the "due" template show it.
type dueView struct {
	Text  string // "Due in 3 days", "2 days overdue"
	Date  string
	Class string // overdue, soon or ""
	None  bool
}

// DueView returns due date t as lists and the "due" template show it:
// the one place that decides the words and the class of a due date.
func (p *Page) DueView(t time.Time) dueView {
	if t.IsZero() {
		return dueView{Text: p.T("due.none"), None: true}
	}
	d := dueView{Text: p.Due(t), Date: p.Date(t)}
	switch {
	case deadline.PastDue(t, p.Now):
		d.Class = "overdue"
	case deadline.DueSoon(t, p.Now):
		d.Class = "soon"
	}
	return d
}

// caseRowView is one line of a caseload table.
type caseRowView struct {
	ID, Code, Type  string
	Name            string // the child's name, when the list shows it (cases.ListNames)
	Risk, RiskLabel string
	Urgent          bool
	Priority        string // the care status label, when a priority case
	Step            string
	NextKind        string
	Due             dueView
	Waiting         bool // the next step is the supervisor's, not the reader's deadline
	AgeSex          string
	Worker          string
	Over            bool
}

// riskView is a risk level as the "risk" template shows it.
type riskView struct{ Level, Label string }

// RiskOf returns risk level level for the "risk" template.
func (p *Page) RiskOf(level string) riskView {
	return riskView{Level: level, Label: p.Opt("risk", level)}
}

// caseTable is what the "casetable" template shows: the rows of a caseload,
// their column labels, whether to show whose case each is, and what to say
// when there is none.
type caseTable struct {
	Labels listLabels
	Rows   []caseRowView
	Who    bool
	Empty  string
}

// taskTable is what the "tasktable" template shows.
type taskTable struct {
	Labels listLabels
	Tasks  []taskRowView
	Who    bool
	Empty  string
}

// pager is what the "pager" template shows: page No of a list whose pages
// are at Base + "page=N", with a next page or not.
type pager struct {
	P    *Page
	No   int
	Next bool
	Base string
}

// listLabels are the column labels of the list tables, translated once.
type listLabels struct {
	Case, Risk, Flags, Step, NextDue, AgeSex, Caseworker, Urgent, Priority string
	Due, Task, Assignee                                                    string
	Waiting                                                                string
}

func (p *Page) listLabels() listLabels {
	return listLabels{Case: p.T("list.case"), Risk: p.T("list.risk"), Flags: p.T("list.flags"), Step: p.T("list.step"),
		NextDue: p.T("list.next_due"), AgeSex: p.T("list.age_sex"), Caseworker: p.T("list.caseworker"),
		Urgent: p.T("case.urgent"), Priority: p.T("case.priority"), Due: p.T("tasks.due"), Task: p.T("tasks.task"),
		Assignee: p.T("tasks.assignee"), Waiting: p.T("lists.waiting_supervisor")}
}

// waitsForSupervisor reports whether a deadline of kind k, on a list or
// page the signed-in user reads, is the supervisor's step and not the
// user's own deadline: shown as waiting for the supervisor, never as the
// reader's overdue task. A supervisor reads it as their own.
func (p *Page) waitsForSupervisor(k deadline.Kind) bool {
	return deadline.ForSupervisor(k) && (p.User == nil || p.User.Role != org.Supervisor)
}

// WaitsForSupervisor reports whether open deadline d is the supervisor's
// step rather than the reader's (the case page's list of what is due):
// assigned to a supervisor other than the reader.
func (p *Page) WaitsForSupervisor(d deadline.Deadline) bool {
	return deadline.ForSupervisor(d.Kind) && (p.User == nil || d.AssigneeID != p.User.ID)
}

// PlanAwaitsApproval reports whether done deadline d is the case plan that
// draft delivered and that waits for the supervisor's approval: not yet
// "on time", since the plan is not in force.
func (p *Page) PlanAwaitsApproval(d deadline.Deadline, draft *plan.Plan) bool {
	return d.Kind == deadline.CasePlan && draft != nil && draft.AwaitsApproval() && !d.DoneAt.Before(draft.SubmittedAt)
}

// caseRows prepares the rows of a caseload table; names holds the names
// the reader may see, by case ID (cases.ListNames).
func (p *Page) caseRows(rows []store.CaseRow, names map[string]string) []caseRowView {
	out := make([]caseRowView, len(rows))
	for i, r := range rows {
		v := caseRowView{ID: r.ID, Code: r.Code, Name: names[r.ID], Type: p.T("type_short." + r.Type), Risk: r.RiskLevel,
			RiskLabel: p.Opt("risk", r.RiskLevel), Urgent: r.Urgent, Step: p.T("step." + r.Step),
			Due: p.DueView(r.NextDueAt), Worker: r.CaseworkerName, Over: deadline.PastDue(r.NextDueAt, p.Now)}
		if r.Priority {
			v.Priority = p.T("care." + r.CareStatus)
		}
		if r.NextDueKind != "" {
			v.NextKind = p.T("task." + string(r.NextDueKind))
		}
		if p.waitsForSupervisor(r.NextDueKind) {
			v.Waiting, v.Over = true, false
		}
		age, sex := "–", "–"
		if r.AgeYears != nil {
			age = strconv.Itoa(*r.AgeYears)
		}
		if r.Sex != "" {
			sex = p.T("sex." + r.Sex)
		}
		v.AgeSex = age + " · " + sex
		out[i] = v
	}
	return out
}

// taskRowView is one line of a task table.
type taskRowView struct {
	CaseID, CaseCode string
	Name             string // the child's name, when the list shows it (cases.ListNames)
	Task             string
	Href             string // the page whose form completes the task (deadline.FormPath)
	Risk, RiskLabel  string
	Urgent, Priority bool
	Due              dueView
	Assignee         string
	Over             bool
}

// taskRows prepares the rows of a task table; names holds the names the
// reader may see, by case ID (cases.ListNames).
func (p *Page) taskRows(tasks []store.TaskRow, names map[string]string) []taskRowView {
	out := make([]taskRowView, len(tasks))
	for i, t := range tasks {
		href, _ := deadline.FormPath(t.Kind, t.CaseID)
		out[i] = taskRowView{CaseID: t.CaseID, CaseCode: t.CaseCode, Name: names[t.CaseID], Href: href,
			Task: p.T("task." + string(t.Kind)),
			Risk: t.RiskLevel, RiskLabel: p.Opt("risk", t.RiskLevel), Urgent: t.Urgent, Priority: t.Priority,
			Due: p.DueView(t.DueAt), Assignee: t.AssigneeName, Over: deadline.PastDue(t.DueAt, p.Now)}
	}
	return out
}

// The rows of the long lists are written here, escaping every value with
// html.EscapeString, instead of through html/template: its escaping calls a
// function by reflection for every value printed, which dominated the time
// of the team view. Everything dynamic below passes through esc.

var esc = html.EscapeString

func (d dueView) html(b *strings.Builder) {
	if d.None {
		b.WriteString(`<span class="muted">` + esc(d.Text) + `</span>`)
		return
	}
	b.WriteString(`<span class="due-when"><span class="` + d.Class + `">` + esc(d.Text) +
		`</span> <span class="muted small">` + esc(d.Date) + `</span></span>`)
}

// casesHTML writes the body rows of a caseload table.
func casesHTML(rows []caseRowView, l listLabels, who bool) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 900)
	for _, r := range rows {
		if r.Over {
			b.WriteString(`<tr class="over">`)
		} else {
			b.WriteString(`<tr>`)
		}
		b.WriteString(`<td data-label="` + esc(l.Case) + `"><a class="code" href="/cases/` + url.PathEscape(r.ID) + `">` +
			esc(r.Code) + `</a> `)
		if r.Name != "" {
			b.WriteString(`<span class="pii list-name">` + esc(r.Name) + `</span> `)
		}
		b.WriteString(`<span class="muted small">` + esc(r.Type) + `</span></td>`)
		b.WriteString(`<td data-label="` + esc(l.Risk) + `"><span class="risk risk-` + esc(r.Risk) + `">` + esc(r.RiskLabel) + `</span></td>`)
		b.WriteString(`<td data-label="` + esc(l.Flags) + `">`)
		if r.Urgent {
			b.WriteString(`<span class="tag tag-urgent">` + esc(l.Urgent) + `</span> `)
		}
		if r.Priority != "" {
			b.WriteString(`<span class="tag tag-priority">` + esc(r.Priority) + `</span>`)
		}
		b.WriteString(`</td><td data-label="` + esc(l.Step) + `">` + esc(r.Step) + `</td>`)
		b.WriteString(`<td data-label="` + esc(l.NextDue) + `">`)
		switch {
		case r.Waiting:
			b.WriteString(`<span class="muted">` + esc(l.Waiting) + `: ` + esc(r.NextKind) + `</span>`)
		case r.NextKind != "":
			b.WriteString(esc(r.NextKind) + ": ")
			r.Due.html(&b)
		default:
			r.Due.html(&b)
		}
		b.WriteString(`</td><td data-label="` + esc(l.AgeSex) + `">` + esc(r.AgeSex) + `</td>`)
		if who {
			b.WriteString(`<td data-label="` + esc(l.Caseworker) + `">` + esc(r.Worker) + `</td>`)
		}
		b.WriteString("</tr>\n")
	}
	return template.HTML(b.String())
}

// tasksHTML writes the body rows of a task table.
func tasksHTML(rows []taskRowView, l listLabels, who bool) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 700)
	for _, t := range rows {
		if t.Over {
			b.WriteString(`<tr class="over">`)
		} else {
			b.WriteString(`<tr>`)
		}
		b.WriteString(`<td data-label="` + esc(l.Due) + `">`)
		t.Due.html(&b)
		b.WriteString(`</td><td data-label="` + esc(l.Task) + `">`)
		if t.Href != "" {
			b.WriteString(`<a class="task-form" href="` + esc(t.Href) + `">` + esc(t.Task) + `</a></td>`)
		} else {
			b.WriteString(esc(t.Task) + `</td>`)
		}
		b.WriteString(`<td data-label="` + esc(l.Case) + `"><a class="code" href="/cases/` + url.PathEscape(t.CaseID) + `">` +
			esc(t.CaseCode) + `</a>`)
		if t.Name != "" {
			b.WriteString(` <span class="pii list-name">` + esc(t.Name) + `</span>`)
		}
		if t.Urgent {
			b.WriteString(` <span class="tag tag-urgent">` + esc(l.Urgent) + `</span>`)
		}
		if t.Priority {
			b.WriteString(` <span class="tag tag-priority">` + esc(l.Priority) + `</span>`)
		}
		b.WriteString(`</td><td data-label="` + esc(l.Risk) + `"><span class="risk risk-` + esc(t.Risk) + `">` +
			esc(t.RiskLabel) + `</span></td>`)
		if who {
			b.WriteString(`<td data-label="` + esc(l.Assignee) + `">` + esc(t.Assignee) + `</td>`)
		}
		b.WriteString("</tr>\n")
	}
	return template.HTML(b.String())
}
