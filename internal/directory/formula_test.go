package directory_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// formulaCells are values a spreadsheet would run, each with the cell the
// export must write for it (OWASP's rule: a leading quote), and values it
// would not, written as they are (but a leading quote typed by someone,
// doubled so that the import can tell it from the one the export adds).
var formulaCells = []struct{ value, cell string }{
	{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
	{"+1+1", "'+1+1"},
	{"@SUM(A1)", "'@SUM(A1)"},
	{"-2+3", "'-2+3"},
	{"\t=1", "'\t=1"},
	{"\r=1", "'\r=1"},
	{" =1", "' =1"},
	{"\uff1d1+1", "'\uff1d1+1"}, // full-width =
	{"Walk in, weekdays 8-17", "Walk in, weekdays 8-17"},
	{"'quoted on purpose", "''quoted on purpose"},
}

// TestWriteCSVNeutralisesFormulas writes entries whose text a spreadsheet
// would run: every such cell is written with a leading quote, and reading
// the file back gives the values as they were (trimmed, as every import
// trims them); a directory saved with such values exports and imports back
// unchanged.
func TestWriteCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	var all []directory.Service
	for _, c := range formulaCells {
		all = append(all, directory.Service{Organisation: c.value, Sector: "legal", Services: c.value,
			Languages: []string{c.value, "English"}, LastVerified: "2026-11-01", Active: true})
	}
	var buf bytes.Buffer
	if err := directory.WriteCSV(&buf, all); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	org, langs := slices.Index(directory.Columns, "organisation"), slices.Index(directory.Columns, "languages")
	for i, c := range formulaCells {
		row := rows[i+1]
		if row[org] != c.cell {
			t.Errorf("%q written as %q, want %q", c.value, row[org], c.cell)
		}
		if want := c.cell + ";English"; row[langs] != want {
			t.Errorf("languages %q written as %q, want %q", c.value, row[langs], want)
		}
	}
	back, err := directory.ReadCSV(&buf, p, today)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range formulaCells {
		want := strings.TrimSpace(c.value)
		if in := back[i].Input; in.Organisation != want || in.Services != want || in.Languages[0] != want {
			t.Errorf("%q read back as %q, %q, %q; want %q", c.value, in.Organisation, in.Services, in.Languages, want)
		}
	}

	// Through the store: saved, exported, imported back: nothing changes.
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, c := range formulaCells {
			in := valid()
			in.Organisation, in.Services, in.HowToRefer, in.QualityNotes = c.value, c.value, c.value, c.value
			if _, err := w.create("sysadmin", in); err != nil {
				t.Fatalf("create %q: %v", c.value, err)
			}
		}
		before := w.all(t)
		var buf bytes.Buffer
		if err := directory.WriteCSV(&buf, before); err != nil {
			t.Fatal(err)
		}
		res, err := w.importCSV("sysadmin", buf.String())
		if err != nil || res.Unchanged != len(formulaCells) || res.Updated != 0 || res.Created != 0 {
			t.Fatalf("import of the export: %+v %v", res, err)
		}
		if after := w.all(t); !slices.EqualFunc(before, after, func(a, b directory.Service) bool {
			return a.ID == b.ID && a.Version == b.Version && a.Organisation == b.Organisation && a.QualityNotes == b.QualityNotes
		}) {
			t.Errorf("the round trip changed entries:\n%+v\n%+v", before, after)
		}
	})
}
