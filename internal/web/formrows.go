package web

import "net/http"

// Repeated rows of a form (threats and needs of an assessment; objectives,
// actions, gaps and participants of a plan) are grown in place: every
// group has a "more rows" button, a submit button named "more" whose value
// names the group. With the script, app.js copies the group's last row in
// place and nothing is sent. Without it the whole form is sent to its own
// POST handler, which sees "more", saves nothing, and shows the form again
// with everything typed and blank rows added to that group.

// maxRows is the most rows a repeated group shows (and reads back).
const maxRows = 30

// moreRows is a form's "more rows" request: the group to grow, "" for a
// form sent to be saved.
func moreRows(f *form) string { return f.str("more") }

// grow returns n rows grown by the by blank rows a "more rows" button adds,
// never more than maxRows.
func grow(n, by int) int { return min(max(n, 0)+by, maxRows) }

// postOrMore runs p on a form sent to be saved, and more on one whose
// "more rows" button was pressed (group named): more shows the form again
// and writes nothing. A form that cannot be read is answered as postForm
// answers it.
func (s *Server) postOrMore(w http.ResponseWriter, r *http.Request, p formPost, more func(f *form, group string) error) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	if g := moreRows(f); g != "" {
		return more(f, g)
	}
	return s.postForm(w, r, p)
}

// grown says which group the "more rows" button grew and its first new
// row, for the page to put the cursor there.
type grown struct {
	Group string
	From  int
}

// Focus reports whether row i of group is the first row the button added.
func (g grown) Focus(group string, i int) bool { return g.Group == group && g.From == i }

// MaxRows is the most rows a group shows, for the script that adds them.
func (grown) MaxRows() int { return maxRows }
