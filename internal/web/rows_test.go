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
	p := &Page{L: i18n.MustLoad().Locale("en"), Prof: profile.Default(), Now: time.Now()}
	evil := `<script>alert("x")</script>`
	age := 9
	rows := p.caseRows([]store.CaseRow{{ID: `a"b`, Code: evil, Type: "cp", RiskLevel: evil, Step: "assessment",
		AgeYears: &age, CaseworkerName: evil, NextDueAt: time.Now().Add(time.Hour)}})
	tasks := p.taskRows([]store.TaskRow{{CaseID: `x"y`, CaseCode: evil, Kind: "assessment", RiskLevel: evil,
		AssigneeName: evil, DueAt: time.Now()}})
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
