package web

import (
	"html"
	"html/template"
	"slices"
	"strings"
)

// ColleaguesHTML is the internal transfer form's options of colleagues
// (p.Colleagues, the one chosen selected), written in Go for the same
// reason as PeopleHTML: every supervisor of the agency is one (about 180
// at 1,000,000 cases).
func (p *coordPage) ColleaguesHTML() template.HTML {
	var b strings.Builder
	b.Grow(len(p.Colleagues) * 80)
	for _, u := range p.Colleagues {
		b.WriteString(`<option value="`)
		b.WriteString(html.EscapeString(u.ID))
		b.WriteByte('"')
		if u.ID == p.Tr.ToUserID {
			b.WriteString(" selected")
		}
		b.WriteByte('>')
		b.WriteString(html.EscapeString(u.DisplayName))
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// PeopleHTML is the conference form's list of people to invite (p.People,
// the ones already chosen ticked), written in Go like the list rows
// (rows.go): at 1,000,000 cases an agency has about 200 supervisors and
// managers, and three template calls for each cost the page 1.5 ms.
func (p *coordPage) PeopleHTML() template.HTML {
	var b strings.Builder
	b.Grow(len(p.People) * 160)
	for _, u := range p.People {
		b.WriteString(`<li><label><input type="checkbox" name="participants" value="`)
		b.WriteString(html.EscapeString(u.ID))
		b.WriteByte('"')
		if slices.Contains(p.Conf.Participants, u.ID) {
			b.WriteString(" checked")
		}
		b.WriteString("> ")
		b.WriteString(html.EscapeString(u.DisplayName))
		b.WriteString(` <span class="muted small">`)
		b.WriteString(html.EscapeString(p.Role(u.Role)))
		b.WriteString("</span></label></li>")
	}
	if p.Case != nil {
		// The conference form's own page offers the other agencies' people
		// by name and role (conference.go).
		b.WriteString(`<li class="no-print"><a href="/cases/`)
		b.WriteString(html.EscapeString(p.Case.ID))
		b.WriteString(`/conferences/new">`)
		b.WriteString(html.EscapeString(p.T("consentref.conference_page_link")))
		b.WriteString("</a></li>")
	}
	return template.HTML(b.String())
}
