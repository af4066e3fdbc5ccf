package sheet_test

import (
	"bytes"
	"encoding/csv"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/sheet"
)

// cells are values with the cell Writer must write for each.
var cells = []struct{ value, cell string }{
	{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
	{"+1+1", "'+1+1"},
	{"@SUM(A1)", "'@SUM(A1)"},
	{"-2+3", "'-2+3"},
	{"-42", "'-42"}, // a negative number too: OWASP's rule, and these cells hold text
	{"\t=1", "'\t=1"},
	{"\tplain", "'\tplain"}, // a leading tab or carriage return, whatever follows
	{"\r=1", "'\r=1"},
	{" =1", "' =1"},
	{"\n\u00a0 @x", "'\n\u00a0 @x"}, // after any spaces
	{"\u200b=1", "'\u200b=1"},       // or an invisible joiner
	{"\uff1d1+1", "'\uff1d1+1"},     // full-width =
	{"\uff0b1", "'\uff0b1"},         // full-width +
	{"\uff0d1", "'\uff0d1"},         // full-width -
	{"\uff20x", "'\uff20x"},         // full-width @
	{"\ufe661", "'\ufe661"},         // small =
	{"'quoted", "''quoted"},         // a typed quote is doubled, so that Restore keeps it
	{"''", "'''"},                   //
	{"'=1", "''=1"},                 //
	{"Walk in, weekdays", "Walk in, weekdays"},
	{"a=1", "a=1"},
	{"2026-11-01", "2026-11-01"},
	{"x-1", "x-1"},
	{"", ""},
	{" ", " "},
	{"\u2212 1", "\u2212 1"}, // the minus sign is not an operator to a spreadsheet
}

func TestNeutraliseAndRestore(t *testing.T) {
	t.Parallel()
	for _, c := range cells {
		if got := sheet.Neutralise(c.value); got != c.cell {
			t.Errorf("Neutralise(%q) = %q, want %q", c.value, got, c.cell)
		}
		if got := sheet.Restore(c.cell); got != c.value {
			t.Errorf("Restore(%q) = %q, want %q", c.cell, got, c.value)
		}
	}
	// Cells of files made by hand: a quote before plain text stays.
	for cell, want := range map[string]string{"'plain": "'plain", "'": "'", "' x": "' x", "'=1": "=1", "''x": "'x"} {
		if got := sheet.Restore(cell); got != want {
			t.Errorf("Restore(%q) = %q, want %q", cell, got, want)
		}
	}
}

// TestWriterReader writes the cells to a real CSV file: each is written
// neutralised, and reading the file back gives the values.
func TestWriterReader(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := sheet.NewWriter(&buf)
	var row []string
	for _, c := range cells {
		row = append(row, c.value)
	}
	if err := w.Write([]string{"header", "row"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(row); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(bytes.NewReader(buf.Bytes()))
	cr.FieldsPerRecord = -1
	raw, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cells {
		if raw[1][i] != c.cell {
			t.Errorf("%q written as %q, want %q", c.value, raw[1][i], c.cell)
		}
	}
	r := sheet.NewReader(&buf)
	if h, err := r.Read(); err != nil || !slices.Equal(h, []string{"header", "row"}) {
		t.Fatalf("header: %q %v", h, err)
	}
	back, err := r.Read()
	if err != nil || !slices.Equal(back, row) {
		t.Errorf("read back %q, %v; want %q", back, err, row)
	}
	if _, err := r.Read(); err != io.EOF {
		t.Errorf("after the last row: %v, want EOF", err)
	}
	r = sheet.NewReader(strings.NewReader("a,b\n\"c"))
	r.Read()
	if _, err := r.Read(); err == nil || sheet.Line(err) != 2 {
		t.Errorf("syntax error: %v at line %d, want line 2", err, sheet.Line(err))
	}
}

// TestOnlySheetWritesCSV checks that no other package imports encoding/csv:
// every CSV SafeCase writes or reads goes through Writer and Reader, so no
// cell escapes neutralising.
func TestOnlySheetWritesCSV(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		n++
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == "encoding/csv" &&
				filepath.Dir(p) != filepath.Join(root, "internal", "sheet") {
				t.Errorf("%s imports encoding/csv: write and read CSV through package sheet", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d Go files found under %s", n, root)
	}
}

// runs is a spreadsheet's view of a cell, written apart from the package:
// whether a cell would be run as a formula.
func runs(cell string) bool {
	if strings.HasPrefix(cell, "\t") || strings.HasPrefix(cell, "\r") {
		return true
	}
	rest := strings.TrimLeftFunc(cell, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff'
	})
	for _, op := range []string{"=", "+", "-", "@", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫"} {
		if strings.HasPrefix(rest, op) {
			return true
		}
	}
	return false
}

// FuzzSheet: no written cell runs, a cell restores to its value, and a
// row written to a CSV file reads back as it was.
func FuzzSheet(f *testing.F) {
	for _, c := range cells {
		f.Add(c.value)
	}
	for _, s := range []string{"\x00=1", "=\x00", "\xff=1", " \xff", "\"=1\"", "a,b", "a\nb", "'\t", "\u3000=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cell := sheet.Neutralise(s)
		if runs(cell) {
			t.Fatalf("Neutralise(%q) = %q runs in a spreadsheet", s, cell)
		}
		if sheet.Dangerous(s) != runs(s) {
			t.Fatalf("Dangerous(%q) = %v, a spreadsheet runs it: %v", s, sheet.Dangerous(s), runs(s))
		}
		if back := sheet.Restore(cell); back != s {
			t.Fatalf("Restore(Neutralise(%q)) = %q", s, back)
		}
		if !utf8.ValidString(s) || strings.Contains(s, "\r") {
			return // CSV files are text, and readers turn \r\n into \n
		}
		var buf bytes.Buffer
		w := sheet.NewWriter(&buf)
		if err := w.Write([]string{s, "x", s}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		row, err := sheet.NewReader(&buf).Read()
		if s == "" && err == io.EOF {
			t.Fatalf("row %q lost", []string{s, "x", s})
		}
		if err != nil || !slices.Equal(row, []string{s, "x", s}) {
			t.Fatalf("row of %q read back as %q, %v", s, row, err)
		}
	})
}
