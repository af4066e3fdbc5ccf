// Package sheet writes and reads the CSV files SafeCase exchanges with
// spreadsheets. A spreadsheet runs a cell that starts with =, +, - or @
// (or a tab or a carriage return) as a formula, so a value typed into
// SafeCase could run on the computer of whoever opens an export: OWASP's
// CSV injection. Writer neutralises every such cell with a leading single
// quote, which spreadsheets read as "this is text"; Reader takes that one
// quote off again, so that a file exported and imported back gives exactly
// the values it was made from.
//
// Every CSV file SafeCase writes goes through Writer, and every one it
// reads through Reader: no other package imports encoding/csv (a test
// checks it), so a cell cannot be written without being neutralised.
package sheet

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode"
)

// triggers are the characters that make a spreadsheet run a cell when they
// start it (after any spaces): the ASCII ones of OWASP's rule and their
// full-width and small forms, which some spreadsheets in East Asian locales
// read as the same operators.
const triggers = "=+-@" + "\uff1d\uff0b\uff0d\uff20" + "\ufe66\ufe62\ufe63\ufe6b"

// Dangerous reports whether a spreadsheet could run s: it starts with a tab
// or a carriage return, or its first character after spaces (and invisible
// joiners, which some spreadsheets skip as well) is one of =, +, - or @ or
// their full-width forms. A negative number ("-2") is dangerous too, as
// OWASP says: "-2+3" is a formula, and SafeCase's cells hold text.
func Dangerous(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '\t' || s[0] == '\r' {
		return true
	}
	for _, r := range s {
		switch {
		case strings.ContainsRune(triggers, r):
			return true
		case !ignorable(r):
			return false
		}
	}
	return false
}

// ignorable reports whether r may stand before a formula without stopping
// a spreadsheet from running it.
func ignorable(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return unicode.IsSpace(r)
}

// Neutralise returns s as a cell no spreadsheet runs: a dangerous s gets a
// leading single quote. So does an s that already starts with one, so that
// Restore can tell the quote it must take off from a quote that was typed.
func Neutralise(s string) string {
	if Dangerous(s) || strings.HasPrefix(s, "'") {
		return "'" + s
	}
	return s
}

// Restore undoes Neutralise: a cell of a quote followed by a dangerous value
// or by another quote loses the first quote; any other cell (a quote typed
// before plain text, in a file made by hand) is left as it is.
func Restore(cell string) string {
	if rest, ok := strings.CutPrefix(cell, "'"); ok && (Dangerous(rest) || strings.HasPrefix(rest, "'")) {
		return rest
	}
	return cell
}

// Writer writes CSV rows with every cell neutralised.
type Writer struct {
	cw  *csv.Writer
	buf []string
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{cw: csv.NewWriter(w)} }

// Write writes one row.
func (w *Writer) Write(row []string) error {
	w.buf = w.buf[:0]
	for _, c := range row {
		w.buf = append(w.buf, Neutralise(c))
	}
	return w.cw.Write(w.buf)
}

// Flush writes what is buffered and returns the first error of any write.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}

// Reader reads CSV rows, restoring each cell. Rows may differ in length.
type Reader struct{ cr *csv.Reader }

// NewReader returns a Reader reading from r.
func NewReader(r io.Reader) *Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	return &Reader{cr: cr}
}

// Read returns the next row, or io.EOF after the last.
func (r *Reader) Read() ([]string, error) {
	row, err := r.cr.Read()
	if err != nil {
		return nil, err
	}
	for i, c := range row {
		row[i] = Restore(c)
	}
	return row, nil
}

// Line returns the line of the file where err, a syntax error from Read,
// was found, or 0.
func Line(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return 0
}
