package auditview

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/cases"
	"github.com/safecase/safecase/internal/errs"
)

// PageSize is how many events a page of the trail shows.
const PageSize = 50

// ExportCap is the most events one export of the trail holds.
const ExportCap = 100_000

// Filter is what the data protection officer asked of the trail, as
// typed (for the form) and parsed (for the query). Its values are IDs,
// codes, dates and an address: never a search term.
type Filter struct {
	Actor    string // a user's ID (or, from the API, username)
	Action   string // an action, a category ending in "." or ""
	Reads    bool   // only reads of records
	CaseCode string
	From, To string // dates, YYYY-MM-DD
	IP       string // one address, as stored
	Before   int64  // keyset: older than this event
	After    int64  // keyset: newer than this event

	// FromTime and ToTime bound the events' times: from the start of From
	// to the end of To, in the programme's time zone.
	FromTime, ToTime time.Time
}

// maxActor bounds the actor's ID or username.
const maxActor = 100

// Parse reads a filter from get (a form's or a query's values) with the
// dates in loc. Each bad value gives a field error naming its field; the
// filter returned holds what was typed, for the form shown again.
func Parse(get func(string) string, loc *time.Location) (Filter, errs.Fields) {
	val := func(k string) string { return strings.TrimSpace(get(k)) }
	f := Filter{Actor: val("actor"), Action: val("action"), CaseCode: strings.ToUpper(val("case")),
		From: val("from"), To: val("to"), IP: val("ip")}
	var fe errs.Fields
	if len(f.Actor) > maxActor {
		fe.Add("actor", "err.audit_actor")
	}
	switch {
	case f.Action == "":
	case strings.HasSuffix(f.Action, "."):
		if !knownPrefix(f.Action) {
			fe.Add("action", "err.audit_action")
		}
	case !Known(f.Action):
		fe.Add("action", "err.audit_action")
	}
	switch strings.ToLower(val("reads")) {
	case "", "0", "false", "off":
	case "1", "true", "on", "yes":
		f.Reads = true
	default:
		fe.Add("reads", "err.audit_reads")
	}
	if f.CaseCode != "" && (len(f.CaseCode) > 40 || !cases.LooksLikeCode(f.CaseCode)) {
		fe.Add("case", "err.audit_case_code")
	}
	if f.From != "" {
		t, err := time.ParseInLocation(time.DateOnly, f.From, loc)
		if err != nil {
			fe.Add("from", "err.date")
		}
		f.FromTime = t
	}
	if f.To != "" {
		t, err := time.ParseInLocation(time.DateOnly, f.To, loc)
		if err != nil {
			fe.Add("to", "err.date")
		} else {
			f.ToTime = t.AddDate(0, 0, 1)
		}
	}
	if !f.FromTime.IsZero() && !f.ToTime.IsZero() && !f.FromTime.Before(f.ToTime) {
		fe.Add("to", "err.audit_range")
	}
	if f.IP != "" {
		a, err := netip.ParseAddr(f.IP)
		if err != nil || len(f.IP) > 64 {
			fe.Add("ip", "err.audit_ip")
		} else {
			f.IP = a.WithZone("").Unmap().String()
		}
	}
	f.Before, f.After = seq(val("before")), seq(val("after"))
	if f.Before > 0 {
		f.After = 0
	}
	return f, fe
}

// seq reads a keyset position; anything but a positive number is none.
func seq(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// Values returns the filter as query values (without the page's
// position), for links and the export form: the same filter read back by
// Parse gives the same events.
func (f Filter) Values() map[string]string {
	m := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("actor", f.Actor)
	set("action", f.Action)
	set("case", f.CaseCode)
	set("from", f.From)
	set("to", f.To)
	set("ip", f.IP)
	if f.Reads {
		m["reads"] = "1"
	}
	return m
}

// Describe returns the filter as the export's audit detail: field names and
// IDs, codes, dates, an address — no free text.
func (f Filter) Describe() string {
	v := f.Values()
	if len(v) == 0 {
		return "everything"
	}
	keys := []string{"actor", "action", "reads", "case", "from", "to", "ip"}
	var b strings.Builder
	for _, k := range keys {
		if x, ok := v[k]; ok {
			if b.Len() > 0 {
				b.WriteString(" ")
			}
			b.WriteString(k + "=" + x)
		}
	}
	return b.String()
}
