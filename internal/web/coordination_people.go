package web

import (
	"html"
	"html/template"
	"strings"
)

// ColleaguesHTML is the internal transfer form's options of colleagues
// (p.Colleagues, the one chosen selected), written in Go for the same
// reason as the list rows (rows.go): every supervisor of the agency is one (about 180
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
