package web

import (
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// TestRowsEscape checks that the hand-written list rows escape every value
// that can come from a user (names, codes, profile labels).
func TestRowsEscape(t *testing.T) {
	evil := `<script>alert("x")</script>`
	// A profile whose risk level is named and labelled with markup (Opt
	// refuses, in tests, a level the profile does not have).
	prof := *profile.Default()
	prof.RiskLevels = append(append([]profile.Option(nil), prof.RiskLevels...), profile.Option{Key: evil, Label: evil})
	p := &Page{L: i18n.MustLoad().Locale("en"), Prof: &prof, Now: time.Now()}
	age := 9
	rows := p.caseRows([]store.CaseRow{{ID: `a"b`, Code: evil, Type: "cp", RiskLevel: evil, Step: "assessment",
		AgeYears: &age, CaseworkerName: evil, NextDueAt: time.Now().Add(time.Hour)}}, map[string]string{`a"b`: evil})
	tasks := p.taskRows([]store.TaskRow{{CaseID: `x"y`, CaseCode: evil, Kind: "assessment", RiskLevel: evil,
		AssigneeName: evil, DueAt: time.Now()}}, map[string]string{`x"y`: evil})
	for name, out := range map[string]string{
		"cases": string(casesHTML(rows, p.listLabels(), true)),
		"tasks": string(tasksHTML(tasks, p.listLabels(), true)),
	} {
		if strings.Contains(out, "<script>") || strings.Contains(out, `a"b`) || strings.Contains(out, `x"y`) {
			t.Errorf("%s rows do not escape:\n%s", name, out)
		}
		if !strings.Contains(out, "&lt;script&gt;") {
			t.Errorf("%s rows lost the value instead of escaping it:\n%s", name, out)
		}
	}
}

// TestRowsAndDueTemplateAgree keeps the due dates of the Go-written list
// rows (rows.go) and of the "due" template (_cases.html, used by the case,
// closure, follow-up and review pages) in agreement: the same deadline gets
// the same words, class and markup in both.
func TestRowsAndDueTemplateAgree(t *testing.T) {
	t.Parallel()
	cat := i18n.MustLoad()
	tmpl, err := loadTemplates(cat)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	p := &Page{L: cat.Locale("en"), Prof: profile.Default(), Now: now}
	tests := []struct {
		name        string
		due         time.Time
		text, class string
	}{
		{"nothing due", time.Time{}, "Nothing due", ""},
		{"three days overdue", now.Add(-3 * 24 * time.Hour), "3 days overdue", "overdue"},
		{"five hours overdue", now.Add(-5 * time.Hour), "5 hours overdue", "overdue"},
		{"just overdue", now.Add(-time.Minute), "Overdue", "overdue"},
		{"due now", now.Add(30 * time.Minute), "Due now", "soon"},
		{"in five hours", now.Add(5 * time.Hour), "Due in 5 hours", "soon"},
		{"in 47 hours", now.Add(47 * time.Hour), "Due in 47 hours", "soon"},
		{"at the end of the window", now.Add(48 * time.Hour), "Due in 2 days", "soon"},
		{"just past the window", now.Add(49 * time.Hour), "Due in 2 days", ""},
		{"in three weeks", now.Add(21 * 24 * time.Hour), "Due in 21 days", ""},
	}
	page := tmpl.byLang["en"]["case"]
	for _, tt := range tests {
		v := p.DueView(tt.due)
		if v.Text != tt.text || v.Class != tt.class || v.None != tt.due.IsZero() {
			t.Errorf("%s: %q class %q (none %v), want %q class %q", tt.name, v.Text, v.Class, v.None, tt.text, tt.class)
		}
		var row strings.Builder
		v.html(&row)
		var fromTemplate strings.Builder
		if err := page.ExecuteTemplate(&fromTemplate, "due", v); err != nil {
			t.Fatal(err)
		}
		if row.String() != fromTemplate.String() {
			t.Errorf("%s: the rows write\n%s\nthe due template\n%s", tt.name, row.String(), fromTemplate.String())
		}
		// The task and case rows carry the same due date and mark an overdue one.
		rows := p.taskRows([]store.TaskRow{{CaseID: "c", CaseCode: "C-1", Kind: "assessment", DueAt: tt.due}}, nil)
		cases := p.caseRows([]store.CaseRow{{ID: "c", Code: "C-1", Type: "cp", Step: "assessment", NextDueAt: tt.due}}, nil)
		if rows[0].Due != v || cases[0].Due != v {
			t.Errorf("%s: the list rows show %+v and %+v, the template %+v", tt.name, rows[0].Due, cases[0].Due, v)
		}
		if over := tt.class == "overdue"; rows[0].Over != over || cases[0].Over != over {
			t.Errorf("%s: rows marked over %v/%v, want %v", tt.name, rows[0].Over, cases[0].Over, over)
		}
	}
}
