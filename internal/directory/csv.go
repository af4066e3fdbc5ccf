package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/sheet"
	"github.com/safecase/safecase/internal/storable"
)

// Columns are the CSV file's columns, in order. Their names are stable:
// files exported from one version import into the next. Lists are joined
// with ";", yes/no columns read yes, no (or true, false, 1, 0).
var Columns = []string{"id", "version", "agency_id", "organisation", "sector", "services", "address", "area",
	"opening_hours", "target_group", "eligibility", "how_to_refer", "focal_point", "focal_user_id", "avg_days",
	"project_end", "languages", "profiles", "entry_point", "funnelling_point", "quality", "quality_notes",
	"last_verified", "active"}

// optionalColumns may be left out of an imported file: without an id every
// row is a new entry.
var optionalColumns = map[string]bool{"id": true, "version": true}

// MaxImportRows caps the rows of one import.
const MaxImportRows = 2000

// WriteCSV writes the entries as CSV with a header row, every cell that a
// spreadsheet would run neutralised (package sheet).
func WriteCSV(w io.Writer, all []Service) error {
	cw := sheet.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for i := range all {
		s := &all[i]
		if err := cw.Write([]string{s.ID, strconv.Itoa(s.Version), s.AgencyID, s.Organisation, s.Sector, s.Services,
			s.Address, s.Area, s.OpeningHours, s.TargetGroup, s.Eligibility, s.HowToRefer, s.FocalPoint, s.FocalUserID,
			strconv.Itoa(s.AvgDays), s.ProjectEnd, strings.Join(s.Languages, ";"), strings.Join(s.Profiles, ";"),
			yesNo(s.EntryPoint), yesNo(s.FunnellingPoint), strings.Join(s.Quality, ";"), s.QualityNotes,
			s.LastVerified, yesNo(s.Active)}); err != nil {
			return err
		}
	}
	return cw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Row is one entry read from a CSV file.
type Row struct {
	Line  int    // the row's number in the file, the header being row 1
	ID    string // the entry it updates, or "" for a new one
	Input Input  // Version is the version exported, or 0 when not given
}

// rowField names a field of a row for its errors: "row 4, avg_days".
func rowField(row int, col string) string { return fmt.Sprintf("row %d, %s", row, col) }

// ReadCSV reads a directory file and checks each row as Check does. It
// returns every row, or every error found, each naming its row and column
// ("row 4, avg_days"); a file with any error gives no rows. Cells WriteCSV
// neutralised read back as they were.
func ReadCSV(r io.Reader, p *profile.Profile, today string) ([]Row, error) {
	cr := sheet.NewReader(r)
	var f errs.Fields
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errs.Field("csv", "err.directory_csv_empty")
	}
	if err != nil {
		return nil, errs.Field(rowField(1, "csv"), "err.directory_csv_syntax", csvLine(err))
	}
	col := map[string]int{}
	names := make([]string, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		names[i] = clip(h)
		switch {
		case !known(h):
			f.Add(rowField(1, clip(h)), "err.directory_csv_column")
		case col[h] != 0:
			f.Add(rowField(1, h), "err.directory_csv_column_twice")
		}
		col[h] = i + 1 // 0 means absent
	}
	for _, c := range Columns {
		if col[c] == 0 && !optionalColumns[c] {
			f.Add(rowField(1, c), "err.directory_csv_column_missing")
		}
	}
	if len(f) > 0 {
		return nil, f
	}
	var rows []Row
	ids := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Add(rowField(line, "csv"), "err.directory_csv_syntax", csvLine(err))
			break
		}
		if len(rows) >= MaxImportRows {
			f.Add(rowField(line, "csv"), "err.directory_csv_rows", MaxImportRows)
			break
		}
		if blank(rec) {
			continue
		}
		get := func(c string) string {
			if i := col[c]; i > 0 && i <= len(rec) {
				return rec[i-1]
			}
			return ""
		}
		row := Row{Line: line, ID: strings.TrimSpace(get("id"))}
		var rf errs.Fields
		if len(rec) > len(header) {
			rf.Add("csv", "err.directory_csv_width", len(header))
		}
		// Text that cannot be stored (not UTF-8, a NUL) is named by its
		// column, whatever the column; the checks below then pass over it.
		for i, v := range rec[:min(len(rec), len(header))] {
			if msg := storable.Problem(v); msg != "" && !rf.Has(names[i]) {
				rf.Add(names[i], msg)
			}
		}
		bad := func(c string) bool { return rf.Has(c) }
		in := &row.Input
		in.AgencyID, in.Organisation, in.Sector, in.Services = get("agency_id"), get("organisation"), get("sector"), get("services")
		in.Address, in.Area, in.OpeningHours, in.TargetGroup = get("address"), get("area"), get("opening_hours"), get("target_group")
		in.Eligibility, in.HowToRefer, in.FocalPoint = get("eligibility"), get("how_to_refer"), get("focal_point")
		in.FocalUserID, in.ProjectEnd, in.QualityNotes = get("focal_user_id"), get("project_end"), get("quality_notes")
		in.LastVerified = get("last_verified")
		in.Languages, in.Profiles, in.Quality = splitSemi(get("languages")), splitSemi(get("profiles")), splitSemi(get("quality"))
		if n, ok := number(get("avg_days")); ok {
			in.AvgDays = n
		} else if !bad("avg_days") {
			rf.Add("avg_days", "err.number")
		}
		if v := strings.TrimSpace(get("version")); v != "" {
			if n, ok := number(v); ok {
				in.Version = n
			} else if !bad("version") {
				rf.Add("version", "err.number")
			}
		}
		for _, b := range []struct {
			name string
			to   *bool
			def  bool
		}{{"entry_point", &in.EntryPoint, false}, {"funnelling_point", &in.FunnellingPoint, false}} {
			v, ok := yes(get(b.name), b.def)
			if !ok && !bad(b.name) {
				rf.Add(b.name, "err.directory_csv_yes_no")
			}
			*b.to = v
		}
		active, ok := yes(get("active"), true)
		if !ok && !bad("active") {
			rf.Add("active", "err.directory_csv_yes_no")
		}
		in.Active = &active
		switch {
		case row.ID == "" || bad("id"):
		case !validID(row.ID):
			rf.Add("id", "err.directory_csv_id")
		case ids[row.ID] != 0:
			rf.Add("id", "err.directory_csv_id_twice", ids[row.ID])
		default:
			ids[row.ID] = line
		}
		for _, e := range Check(p, in, today) {
			if !rf.Has(e.Field) {
				rf = append(rf, e)
			}
		}
		for _, e := range rf {
			f.Add(rowField(line, e.Field), e.Msg, e.Args...)
		}
		rows = append(rows, row)
	}
	if len(f) > 0 {
		return nil, f
	}
	if len(rows) == 0 {
		return nil, errs.Field("csv", "err.directory_csv_empty")
	}
	return rows, nil
}

func known(c string) bool {
	for _, x := range Columns {
		if x == c {
			return true
		}
	}
	return false
}

// clip shortens a column name for an error message.
func clip(s string) string {
	s = storable.Name(s)
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// csvLine is the line of a CSV syntax error, for its message.
func csvLine(err error) int { return sheet.Line(err) }

func splitSemi(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ";")
}

// number reads a whole number; empty is 0.
func number(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// yes reads a yes/no cell; empty is def.
func yes(s string, def bool) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return def, true
	case "yes", "y", "true", "1":
		return true, true
	case "no", "n", "false", "0":
		return false, true
	}
	return false, false
}

// ImportResult says what an import did.
type ImportResult struct {
	Created, Updated, Unchanged int
}

// Import reads a directory file and saves every row, all in tx: a row with
// the id of an entry updates it (and must carry its version, when the
// file has one, as exported), any other row creates an entry; a row that
// changes nothing is left alone. With any
// error nothing is saved (the caller rolls tx back) and the error names
// every row and column at fault. Each row is decided as Create or Update
// would: an agency administrator imports only their agency's entries and
// those of organisations outside the deployment.
func Import(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, r io.Reader, now time.Time) (ImportResult, error) {
	var res ImportResult
	if err := Decide(a, access.Manage, "", ""); err != nil {
		return res, err
	}
	rows, err := ReadCSV(r, p, p.Today(now))
	if err != nil {
		return res, err
	}
	var f errs.Fields
	var saves []func() error
	for _, row := range rows {
		in := row.Input
		var rf errs.Fields
		var cur *Service
		if row.ID != "" {
			cur, err = tx.DirectoryService(ctx, row.ID)
			switch {
			case errs.KindOf(err) == errs.NotFound:
				cur = nil
			case err != nil:
				return res, err
			}
		}
		if cur != nil {
			if Decide(a, access.Edit, cur.AgencyID, cur.ID) != nil {
				rf.Add("id", "err.directory_not_yours")
			}
			if in.Version != 0 && in.Version != cur.Version {
				rf.Add("version", "err.directory_csv_stale", cur.Version)
			}
		}
		if !rf.Has("id") && Decide(a, access.Create, in.AgencyID, row.ID) != nil {
			rf.Add("agency_id", "err.directory_not_yours")
		}
		if err := checkRefs(ctx, tx, &in, &rf); err != nil {
			return res, err
		}
		for _, e := range rf {
			f.Add(rowField(row.Line, e.Field), e.Msg, e.Args...)
		}
		if len(rf) > 0 || len(f) > 0 {
			continue
		}
		saves = append(saves, func() error {
			if cur == nil {
				s := &Service{ID: row.ID, Active: true, CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now}
				apply(s, &in)
				res.Created++
				if err := tx.InsertDirectoryService(ctx, s); err != nil {
					return err
				}
				return record(ctx, tx, a, "directory.create", s, nil, now)
			}
			before := InputOf(cur)
			apply(cur, &in)
			changed := Changed(before, InputOf(cur))
			if len(changed) == 0 {
				res.Unchanged++ // a row as exported: no new version, no event
				return nil
			}
			cur.UpdatedAt = now
			res.Updated++
			if err := tx.UpdateDirectoryService(ctx, cur); err != nil {
				return err
			}
			return record(ctx, tx, a, "directory.update", cur, changed, now)
		})
	}
	if len(f) > 0 {
		return res, f
	}
	for _, save := range saves {
		if err := save(); err != nil {
			return ImportResult{}, err
		}
	}
	detail, _ := json.Marshal(map[string]int{"created": res.Created, "updated": res.Updated, "unchanged": res.Unchanged})
	return res, tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now,
		Action: "directory.import", RecordType: "directory", Detail: string(detail)})
}
