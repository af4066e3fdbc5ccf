package web

import (
	"sync"

	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/store"
)

// Expectations of the service directory: everyone signed in reads it and
// downloads it; the agency and system administrators keep it (others get
// 403: the entries are not hidden from them). Edits run against an entry of
// an organisation outside the deployment, which both administrators keep.
func directoryExpectations() map[string]expect {
	keep := func(body string) expect { return expect{allow: admins, deny: 403, body: body} }
	entry := func(x expect) expect { x.fresh = (*matrix).directoryEntry; return x }
	return map[string]expect{
		"GET /directory":              {allow: everyone},
		"GET /directory/grid":         {allow: everyone},
		"GET /directory/export.csv":   {allow: everyone},
		"GET /directory/new":          keep(""),
		"POST /directory":             keep(""),
		"POST /directory/import":      keep(""),
		"GET /directory/{sid}":        entry(expect{allow: everyone}),
		"POST /directory/{sid}":       entry(keep("version=1")),
		"GET /api/v1/directory":       {allow: everyone},
		"POST /api/v1/directory":      keep("{}"),
		"GET /api/v1/directory/{sid}": entry(expect{allow: everyone}),
		"PUT /api/v1/directory/{sid}": entry(keep(`{"version":1}`)),
	}
}

// directoryEntries holds each matrix's directory entry, made once.
var directoryEntries sync.Map // *matrix -> entry ID

// directoryEntry returns the path values of the matrix's directory entry
// (an organisation outside the deployment), making it on first use.
func (m *matrix) directoryEntry(role string) map[string]string {
	if id, ok := directoryEntries.Load(m); ok {
		return map[string]string{"sid": id.(string)}
	}
	var id string
	m.tx(func(tx *store.Tx) error {
		s, err := directory.Create(m.ctx(), tx, m.e.srv.prof, m.actor("system_admin"), directory.Input{
			Organisation: "Legal Aid Clinic", Sector: "legal", Services: "Legal counselling",
			LastVerified: m.e.srv.prof.Today(m.e.clock.now())}, m.e.clock.now())
		if err == nil {
			id = s.ID
		}
		return err
	})
	directoryEntries.Store(m, id)
	return map[string]string{"sid": id}
}
