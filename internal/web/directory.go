package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/store"
)

// dirEntry is a directory entry as pages and the API show it: with whether
// it needs verifying or its project has ended, and the names it refers to.
type dirEntry struct {
	directory.Service
	Stale      bool
	Ended      bool
	AgencyName string
	FocalName  string
}

// dirData is what the directory pages read: the entries, the agencies and
// the names of the focal users.
type dirData struct {
	Entries  []dirEntry
	Agencies []org.Agency
}

// loadDirectory reads the whole directory (hundreds of entries, not
// millions) with the names it shows.
func (s *Server) loadDirectory(ctx context.Context, rq *request) (*dirData, error) {
	d := &dirData{}
	var all []directory.Service
	var names map[string]string
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if all, err = tx.DirectoryServices(ctx); err != nil {
			return err
		}
		if d.Agencies, err = tx.Agencies(ctx); err != nil {
			return err
		}
		var ids []string
		for _, e := range all {
			ids = append(ids, e.FocalUserID)
		}
		names, err = tx.UserNames(ctx, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range all {
		d.Entries = append(d.Entries, s.dirEntryOf(rq, &all[i], d.Agencies, names))
	}
	return d, nil
}

func (s *Server) dirEntryOf(rq *request, e *directory.Service, agencies []org.Agency, names map[string]string) dirEntry {
	out := dirEntry{Service: *e, Stale: directory.Stale(e, rq.Now.In(s.prof.Location()), s.prof.DirectoryRefresh.D()),
		Ended: e.Ended(s.prof.Today(rq.Now)), FocalName: names[e.FocalUserID]}
	for _, a := range agencies {
		if a.ID == e.AgencyID {
			out.AgencyName = a.Name
		}
	}
	return out
}

// dirLabels are the helpers every directory page has.
type dirLabels struct{ Page }

// Sector returns the label of a referral service type.
func (p *dirLabels) Sector(key string) string {
	return profile.Label(p.Prof.ReferralServiceTypes, key, p.L.Lang)
}

// Profiles and QualityFlags are the fixed lists, for the forms and the grid.
func (p *dirLabels) Profiles() []string     { return directory.Profiles }
func (p *dirLabels) QualityFlags() []string { return directory.QualityFlags }

// RefreshWeeks is the profile's directory refresh interval in weeks.
func (p *dirLabels) RefreshWeeks() int { return p.Weeks(p.Prof.DirectoryRefresh) }

// mayDir reports whether rq may do act on entries of agency.
func mayDir(rq *request, act access.Action, agency string) bool {
	return directory.Decide(rq.Actor, act, agency, "") == nil
}

// The list

type directoryPage struct {
	dirLabels
	Entries    []dirEntry
	Total      int
	Filter     directory.Filter
	CanCreate  bool
	CanImport  bool
	ImportText string
	Imported   *directory.ImportResult
}

// dirFilter reads the list's filters from the query.
func dirFilter(r *http.Request) directory.Filter {
	q := r.URL.Query()
	return directory.Filter{Sector: strings.TrimSpace(q.Get("sector")), Area: strings.TrimSpace(q.Get("area")),
		Profile: strings.TrimSpace(q.Get("profile"))}
}

func (s *Server) directoryPage(ctx context.Context, r *http.Request, rq *request) (*directoryPage, error) {
	if err := directory.Decide(rq.Actor, access.View, "", ""); err != nil {
		return nil, err
	}
	d, err := s.loadDirectory(ctx, rq)
	if err != nil {
		return nil, err
	}
	p := &directoryPage{dirLabels: dirLabels{s.page(rq, "directory.title", "directory")}, Filter: dirFilter(r),
		Total: len(d.Entries), CanCreate: mayDir(rq, access.Create, ""), CanImport: mayDir(rq, access.Manage, "")}
	for _, e := range d.Entries {
		if p.Filter.Match(&e.Service) {
			p.Entries = append(p.Entries, e)
		}
	}
	return p, nil
}

// getDirectory lists the directory, filtered by sector, area and profile.
func (s *Server) getDirectory(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.directoryPage(r.Context(), r, rq)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	switch q.Get("done") {
	case "imported":
		p.Flash = "flash.directory_imported"
		c, _ := strconv.Atoi(q.Get("created"))
		u, _ := strconv.Atoi(q.Get("updated"))
		n, _ := strconv.Atoi(q.Get("unchanged"))
		p.Imported = &directory.ImportResult{Created: c, Updated: u, Unchanged: n}
	}
	return s.render(w, http.StatusOK, "directory", p)
}

// The grid

type gridPage struct {
	dirLabels
	Rows []gridRow
}

// gridRow is one organisation of the mapping grid: for each profile, its
// services for that profile.
type gridRow struct {
	Organisation string
	Cells        [][]dirEntry // by directory.Profiles
}

// getDirectoryGrid shows the 2017 mapping grid: organisations by the
// profiles they serve, with entry and funnelling points marked.
func (s *Server) getDirectoryGrid(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := directory.Decide(rq.Actor, access.View, "", ""); err != nil {
		return err
	}
	d, err := s.loadDirectory(r.Context(), rq)
	if err != nil {
		return err
	}
	p := &gridPage{dirLabels: dirLabels{s.page(rq, "directory.grid_title", "directory")}}
	rows := map[string]*gridRow{}
	var order []string
	for _, e := range d.Entries {
		if !e.Active || e.Ended {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(e.Organisation))
		row, ok := rows[key]
		if !ok {
			row = &gridRow{Organisation: e.Organisation, Cells: make([][]dirEntry, len(directory.Profiles))}
			rows[key] = row
			order = append(order, key)
		}
		for i, prof := range directory.Profiles {
			for _, x := range e.Profiles {
				if x == prof {
					row.Cells[i] = append(row.Cells[i], e)
				}
			}
		}
	}
	slices.Sort(order)
	for _, k := range order {
		p.Rows = append(p.Rows, *rows[k])
	}
	return s.render(w, http.StatusOK, "directory_grid", p)
}

// One entry: the form to add, see and edit

type directoryFormPage struct {
	dirLabels
	Entry     *dirEntry // nil on the new-entry form
	CanEdit   bool
	Form      directory.Input
	Active    bool
	Languages string
	Agencies  []org.Agency // those the user may choose
	Focal     []focalGroup
	Conflict  *conflictView
}

// focalGroup lists the active users of one agency, for the focal point.
type focalGroup struct {
	Agency string
	Users  []org.User
}

// newDirForm builds the form page for rq with in, loading the choices.
func (s *Server) newDirForm(ctx context.Context, rq *request, title string, in directory.Input) (*directoryFormPage, error) {
	p := &directoryFormPage{dirLabels: dirLabels{s.page(rq, title, "directory")}, Form: in,
		Languages: strings.Join(in.Languages, ", "), Active: in.Active == nil || *in.Active}
	err := s.db.Read(ctx, func(tx *store.Tx) error {
		agencies, err := tx.Agencies(ctx)
		if err != nil {
			return err
		}
		for _, a := range agencies {
			if !mayDir(rq, access.Edit, a.ID) {
				continue
			}
			p.Agencies = append(p.Agencies, a)
			users, err := tx.Users(ctx, a.ID)
			if err != nil {
				return err
			}
			g := focalGroup{Agency: a.Name}
			for _, u := range users {
				if u.Active() {
					g.Users = append(g.Users, u)
				}
			}
			p.Focal = append(p.Focal, g)
		}
		return nil
	})
	return p, err
}

// dirForm reads the entry form.
func dirForm(f *form) directory.Input {
	in := directory.Input{AgencyID: f.str("agency_id"), Organisation: f.str("organisation"), Sector: f.str("sector"),
		Services: f.str("services"), Address: f.str("address"), Area: f.str("area"),
		OpeningHours: f.str("opening_hours"), TargetGroup: f.str("target_group"), Eligibility: f.str("eligibility"),
		HowToRefer: f.str("how_to_refer"), FocalPoint: f.str("focal_point"), FocalUserID: f.str("focal_user_id"),
		ProjectEnd: f.str("project_end"), Languages: directory.SplitList(f.str("languages")),
		Profiles: f.list("profiles"), EntryPoint: f.bool("entry_point"), FunnellingPoint: f.bool("funnelling_point"),
		Quality: f.list("quality"), QualityNotes: f.str("quality_notes"), LastVerified: f.str("last_verified"),
		Version: f.version()}
	if n := f.intPtr("avg_days"); n != nil {
		in.AvgDays = *n
	}
	active := f.bool("active")
	in.Active = &active
	return in
}

// getDirectoryNew shows the form for a new entry.
func (s *Server) getDirectoryNew(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := directory.Decide(rq.Actor, access.Create, "", ""); err != nil {
		return err
	}
	p, err := s.newDirForm(r.Context(), rq, "directory.new_title", directory.Input{LastVerified: s.prof.Today(rq.Now)})
	if err != nil {
		return err
	}
	p.CanEdit = true
	return s.render(w, http.StatusOK, "directory_form", p)
}

// postDirectory adds an entry. A form that did not read saves nothing: its
// errors are shown with the others, to those who may add the entry.
func (s *Server) postDirectory(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := directory.Decide(rq.Actor, access.Create, "", ""); err != nil {
		return err // refused before reading anything
	}
	var in directory.Input
	var e *directory.Service
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) (err error) {
			in = dirForm(f)
			if len(f.errs) > 0 {
				if err := directory.Decide(rq.Actor, access.Create, in.AgencyID, ""); err != nil {
					return err
				}
				rest := in
				return directory.Check(s.prof, &rest, s.prof.Today(rq.Now)).Err()
			}
			e, err = directory.Create(ctx, tx, s.prof, rq.Actor, in, rq.Now)
			return err
		},
		Next: func() string { return "/directory/" + e.ID + "?done=created" },
		Again: func(fe errs.Fields, status int) error {
			p, err := s.newDirForm(r.Context(), rq, "directory.new_title", in)
			if err != nil {
				return err
			}
			p.CanEdit, p.Errors = true, fe
			return s.render(w, status, "directory_form", p)
		},
	})
}

// loadDirEntry reads entry id with its names.
func (s *Server) loadDirEntry(ctx context.Context, rq *request, id string) (*dirEntry, error) {
	var e *directory.Service
	var agencies []org.Agency
	var names map[string]string
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if e, err = tx.DirectoryService(ctx, id); err != nil {
			return err
		}
		if agencies, err = tx.Agencies(ctx); err != nil {
			return err
		}
		names, err = tx.UserNames(ctx, []string{e.FocalUserID})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := s.dirEntryOf(rq, e, agencies, names)
	return &out, nil
}

// getDirectoryEntry shows one entry, with the form to edit it for those
// who keep it.
func (s *Server) getDirectoryEntry(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	e, err := s.loadDirEntry(ctx, rq, r.PathValue("sid"))
	if err != nil {
		return err
	}
	if err := directory.Decide(rq.Actor, access.View, e.AgencyID, e.ID); err != nil {
		return err
	}
	p, err := s.newDirForm(ctx, rq, "directory.entry_title", directory.InputOf(&e.Service))
	if err != nil {
		return err
	}
	p.Entry, p.CanEdit = e, mayDir(rq, access.Edit, e.AgencyID)
	switch r.URL.Query().Get("done") {
	case "created":
		p.Flash = "flash.directory_created"
	case "saved":
		p.Flash = "flash.directory_saved"
	}
	return s.render(w, http.StatusOK, "directory_form", p)
}

// postDirectoryEntry saves an edited entry. When someone saved it since
// the form was opened, the form comes back with what they typed, the
// saved version's differences, and the saved version number.
func (s *Server) postDirectoryEntry(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("sid")
	var in directory.Input
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			in = dirForm(f)
			if len(f.errs) == 0 {
				_, err := directory.Update(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
				return err
			}
			// The form did not read: show its errors with the others, to
			// those who may edit the entry; save nothing.
			cur, err := tx.DirectoryService(ctx, id)
			if err != nil {
				return err
			}
			if err := directory.Decide(rq.Actor, access.Edit, cur.AgencyID, cur.ID); err != nil {
				return err
			}
			rest := in
			return directory.Check(s.prof, &rest, s.prof.Today(rq.Now)).Err()
		},
		Next: to("/directory/" + id + "?done=saved"),
		Again: func(fe errs.Fields, status int) error {
			ctx := r.Context()
			e, err := s.loadDirEntry(ctx, rq, id)
			if err != nil {
				return err
			}
			p, err := s.newDirForm(ctx, rq, "directory.entry_title", in)
			if err != nil {
				return err
			}
			p.Entry, p.CanEdit, p.Errors = e, true, fe
			if status == http.StatusConflict {
				theirs := directory.InputOf(&e.Service)
				yours := in
				yours.Version = theirs.Version
				p.Conflict = s.conflict(ctx, rq, "", e.UpdatedAt, yours, theirs)
				p.Form.Version = e.Version // saving again saves over the version now stored
				p.Errors = errs.Fields{{Field: "version", Msg: "err.directory_stale"}}
			}
			return s.render(w, status, "directory_form", p)
		},
	})
}

// Export and import

// getDirectoryExport sends the whole directory as a CSV file.
func (s *Server) getDirectoryExport(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := directory.Decide(rq.Actor, access.Download, "", ""); err != nil {
		return err
	}
	ctx := r.Context()
	var all []directory.Service
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		all, err = tx.DirectoryServices(ctx)
		return err
	}); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := directory.WriteCSV(&buf, all); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="service-directory-`+s.prof.Today(rq.Now)+`.csv"`)
	h.Set("Cache-Control", "no-store")
	_, err := w.Write(buf.Bytes())
	return err
}

// maxImport caps an uploaded directory file.
const maxImport = 4 << 20

// importText reads the file to import: the uploaded file when one was
// sent, else the pasted text.
func importText(w http.ResponseWriter, r *http.Request) (string, error) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		f, err := readForm(w, r, "csv") // the import names the row and column of bad text
		if err != nil {
			return "", err
		}
		return f.raw("csv"), nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImport)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		return "", errs.Field("csv", "err.directory_csv_too_large", maxImport>>20)
	}
	defer r.MultipartForm.RemoveAll()
	text := r.FormValue("csv")
	if file, _, err := r.FormFile("file"); err == nil {
		defer file.Close()
		b, err := io.ReadAll(file)
		if err != nil {
			return "", err
		}
		if len(bytes.TrimSpace(b)) > 0 {
			text = string(b)
		}
	}
	return text, nil
}

// postDirectoryImport imports a directory file, all or nothing. It is not a
// formPost: what it reads is an uploaded file (or pasted text whose bad
// bytes the import names by row and column), not a form.
func (s *Server) postDirectoryImport(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := directory.Decide(rq.Actor, access.Manage, "", ""); err != nil {
		return err
	}
	ctx := r.Context()
	text, err := importText(w, r)
	var res directory.ImportResult
	if err == nil {
		err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
			res, err = directory.Import(ctx, tx, s.prof, rq.Actor, strings.NewReader(text), rq.Now)
			return err
		})
	}
	if err == nil {
		return redirect(w, r, "/directory?done=imported&created="+strconv.Itoa(res.Created)+
			"&updated="+strconv.Itoa(res.Updated)+"&unchanged="+strconv.Itoa(res.Unchanged))
	}
	fe, ok := errs.AsFields(err)
	if !ok {
		return err
	}
	p, perr := s.directoryPage(ctx, r, rq)
	if perr != nil {
		return perr
	}
	p.Errors, p.ImportText = fe, text
	return s.render(w, http.StatusUnprocessableEntity, "directory", p)
}

// API

type directoryJSON struct {
	ID              string   `json:"id"`
	AgencyID        *string  `json:"agency_id"`
	Organisation    string   `json:"organisation"`
	Sector          string   `json:"sector"`
	Services        string   `json:"services"`
	Address         string   `json:"address"`
	Area            string   `json:"area"`
	OpeningHours    string   `json:"opening_hours"`
	TargetGroup     string   `json:"target_group"`
	Eligibility     string   `json:"eligibility"`
	HowToRefer      string   `json:"how_to_refer"`
	FocalPoint      string   `json:"focal_point"`
	FocalUserID     *string  `json:"focal_user_id"`
	AvgDays         int      `json:"avg_days"`
	ProjectEnd      string   `json:"project_end"`
	Languages       []string `json:"languages"`
	Profiles        []string `json:"profiles"`
	EntryPoint      bool     `json:"entry_point"`
	FunnellingPoint bool     `json:"funnelling_point"`
	Quality         []string `json:"quality"`
	QualityNotes    string   `json:"quality_notes"`
	LastVerified    string   `json:"last_verified"`
	Active          bool     `json:"active"`
	Stale           bool     `json:"stale"`
	Ended           bool     `json:"ended"`
	Version         int      `json:"version"`
	CreatedAt       *string  `json:"created_at"`
	UpdatedAt       *string  `json:"updated_at"`
}

func directoryToJSON(e *dirEntry) directoryJSON {
	return directoryJSON{ID: e.ID, AgencyID: fuOptional(e.AgencyID), Organisation: e.Organisation, Sector: e.Sector,
		Services: e.Services, Address: e.Address, Area: e.Area, OpeningHours: e.OpeningHours,
		TargetGroup: e.TargetGroup, Eligibility: e.Eligibility, HowToRefer: e.HowToRefer, FocalPoint: e.FocalPoint,
		FocalUserID: fuOptional(e.FocalUserID), AvgDays: e.AvgDays, ProjectEnd: e.ProjectEnd,
		Languages: nonNil(e.Languages), Profiles: nonNil(e.Profiles), EntryPoint: e.EntryPoint,
		FunnellingPoint: e.FunnellingPoint, Quality: nonNil(e.Quality), QualityNotes: e.QualityNotes,
		LastVerified: e.LastVerified, Active: e.Active, Stale: e.Stale, Ended: e.Ended, Version: e.Version,
		CreatedAt: apiTime(e.CreatedAt), UpdatedAt: apiTime(e.UpdatedAt)}
}

// apiDirectory lists the directory, filtered like the page (sector, area,
// profile query parameters).
func (s *Server) apiDirectory(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := directory.Decide(rq.Actor, access.View, "", ""); err != nil {
		return err
	}
	d, err := s.loadDirectory(r.Context(), rq)
	if err != nil {
		return err
	}
	f := dirFilter(r)
	out := struct {
		RefreshDays int             `json:"refresh_days"`
		Services    []directoryJSON `json:"services"`
	}{RefreshDays: int(s.prof.DirectoryRefresh.D().Hours() / 24), Services: []directoryJSON{}}
	for i := range d.Entries {
		if f.Match(&d.Entries[i].Service) {
			out.Services = append(out.Services, directoryToJSON(&d.Entries[i]))
		}
	}
	return jsonOK(w, out)
}

func (s *Server) apiDirectoryEntry(w http.ResponseWriter, r *http.Request, rq *request) error {
	e, err := s.loadDirEntry(r.Context(), rq, r.PathValue("sid"))
	if err != nil {
		return err
	}
	if err := directory.Decide(rq.Actor, access.View, e.AgencyID, e.ID); err != nil {
		return err
	}
	return jsonOK(w, directoryToJSON(e))
}

func (s *Server) apiCreateDirectory(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := directory.Decide(rq.Actor, access.Create, "", ""); err != nil {
		return err // refused before reading the body
	}
	var in directory.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	var e *directory.Service
	if err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		e, err = directory.Create(ctx, tx, s.prof, rq.Actor, in, rq.Now)
		return err
	}); err != nil {
		return err
	}
	v, err := s.loadDirEntry(ctx, rq, e.ID)
	if err != nil {
		return err
	}
	return created(w, directoryToJSON(v))
}

func (s *Server) apiUpdateDirectory(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in directory.Input
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := versionOf(in.Version); err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("sid")
	if err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := directory.Update(ctx, tx, s.prof, rq.Actor, id, in, rq.Now)
		return err
	}); err != nil {
		return err
	}
	v, err := s.loadDirEntry(ctx, rq, id)
	if err != nil {
		return err
	}
	return jsonOK(w, directoryToJSON(v))
}
