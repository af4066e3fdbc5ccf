package web

import (
	"html"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/deadline"
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
	Risk, RiskLabel string
	Urgent          bool
	Priority        string // the care status label, when a priority case
	Step            string
	NextKind        string
	Due             dueView
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
}

func (p *Page) listLabels() listLabels {
	return listLabels{Case: p.T("list.case"), Risk: p.T("list.risk"), Flags: p.T("list.flags"), Step: p.T("list.step"),
		NextDue: p.T("list.next_due"), AgeSex: p.T("list.age_sex"), Caseworker: p.T("list.caseworker"),
		Urgent: p.T("case.urgent"), Priority: p.T("case.priority"), Due: p.T("tasks.due"), Task: p.T("tasks.task"),
		Assignee: p.T("tasks.assignee")}
}

func (p *Page) caseRows(rows []store.CaseRow) []caseRowView {
	out := make([]caseRowView, len(rows))
	for i, r := range rows {
		v := caseRowView{ID: r.ID, Code: r.Code, Type: p.T("type_short." + r.Type), Risk: r.RiskLevel,
			RiskLabel: p.Opt("risk", r.RiskLevel), Urgent: r.Urgent, Step: p.T("step." + r.Step),
			Due: p.DueView(r.NextDueAt), Worker: r.CaseworkerName, Over: deadline.PastDue(r.NextDueAt, p.Now)}
		if r.Priority {
			v.Priority = p.T("care." + r.CareStatus)
		}
		if r.NextDueKind != "" {
			v.NextKind = p.T("task." + string(r.NextDueKind))
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
	Task             string
	Risk, RiskLabel  string
	Urgent, Priority bool
	Due              dueView
	Assignee         string
	Over             bool
}

func (p *Page) taskRows(tasks []store.TaskRow) []taskRowView {
	out := make([]taskRowView, len(tasks))
	for i, t := range tasks {
		out[i] = taskRowView{CaseID: t.CaseID, CaseCode: t.CaseCode, Task: p.T("task." + string(t.Kind)),
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
			esc(r.Code) + `</a> <span class="muted small">` + esc(r.Type) + `</span></td>`)
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
		if r.NextKind != "" {
			b.WriteString(esc(r.NextKind) + ": ")
		}
		r.Due.html(&b)
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
		b.WriteString(`</td><td data-label="` + esc(l.Task) + `">` + esc(t.Task) + `</td>`)
		b.WriteString(`<td data-label="` + esc(l.Case) + `"><a class="code" href="/cases/` + url.PathEscape(t.CaseID) + `">` +
			esc(t.CaseCode) + `</a>`)
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
