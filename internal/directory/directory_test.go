package directory_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/sheet"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

var now = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

const today = "2026-11-20"

func valid() directory.Input {
	return directory.Input{Organisation: "Town Clinic", Sector: "health_nutrition",
		Services: "Clinical management of rape within 72 hours", Area: "Block 3", AvgDays: 1,
		Profiles: []string{"women", "girls"}, Quality: []string{"safe"}, Languages: []string{"English", " Arabic ", ""},
		LastVerified: "2026-10-01"}
}

func fieldNames(err error) []string {
	fe, _ := errs.AsFields(err)
	var out []string
	for _, e := range fe {
		out = append(out, e.Field)
	}
	return out
}

func TestDirectoryCheck(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	in := valid()
	if f := directory.Check(p, &in, today); len(f) > 0 {
		t.Fatalf("valid input refused: %v", f)
	}
	// Lists are normalised: profiles in the grid's order, blanks and repeats gone.
	if !slices.Equal(in.Profiles, []string{"girls", "women"}) || !slices.Equal(in.Languages, []string{"English", "Arabic"}) {
		t.Errorf("normalised lists: %v %v", in.Profiles, in.Languages)
	}
	for _, c := range []struct {
		name  string
		edit  func(*directory.Input)
		field string
	}{
		{"no organisation", func(in *directory.Input) { in.Organisation = "  " }, "organisation"},
		{"no services", func(in *directory.Input) { in.Services = "" }, "services"},
		{"sector not in profile", func(in *directory.Input) { in.Sector = "astrology" }, "sector"},
		{"no sector", func(in *directory.Input) { in.Sector = "" }, "sector"},
		{"profile not in list", func(in *directory.Input) { in.Profiles = []string{"girls", "elders"} }, "profiles"},
		{"quality not in list", func(in *directory.Input) { in.Quality = []string{"cheap"} }, "quality"},
		{"avg days negative", func(in *directory.Input) { in.AvgDays = -1 }, "avg_days"},
		{"avg days over a year", func(in *directory.Input) { in.AvgDays = 366 }, "avg_days"},
		{"project end not a date", func(in *directory.Input) { in.ProjectEnd = "2026-13-01" }, "project_end"},
		{"project end in words", func(in *directory.Input) { in.ProjectEnd = "next June" }, "project_end"},
		{"no last verified", func(in *directory.Input) { in.LastVerified = "" }, "last_verified"},
		{"last verified in the future", func(in *directory.Input) { in.LastVerified = "2026-11-21" }, "last_verified"},
		{"last verified day-month-year", func(in *directory.Input) { in.LastVerified = "01-10-2026" }, "last_verified"},
		{"agency not an id", func(in *directory.Input) { in.AgencyID = "HFC" }, "agency_id"},
		{"focal user not an id", func(in *directory.Input) { in.FocalUserID = "amina" }, "focal_user_id"},
		{"organisation too long", func(in *directory.Input) { in.Organisation = strings.Repeat("x", 201) }, "organisation"},
		{"not UTF-8", func(in *directory.Input) { in.HowToRefer = "call \xff" }, "how_to_refer"},
		{"a language with a semicolon", func(in *directory.Input) { in.Languages = []string{"en;fr"} }, "languages"},
		{"too many languages", func(in *directory.Input) {
			in.Languages = strings.Split("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u", ",")
		}, "languages"},
	} {
		in := valid()
		c.edit(&in)
		if f := directory.Check(p, &in, today); !f.Has(c.field) {
			t.Errorf("%s: errors %v, want one on %s", c.name, f, c.field)
		}
	}
	// Last verified today and a project end in the past are fine.
	in = valid()
	in.LastVerified, in.ProjectEnd = today, "2020-01-31"
	if f := directory.Check(p, &in, today); len(f) > 0 {
		t.Errorf("today and a past project end: %v", f)
	}
}

func TestDirectoryStaleAndEnded(t *testing.T) {
	t.Parallel()
	refresh := profile.Default().DirectoryRefresh.D()
	if refresh != 13*7*24*time.Hour {
		t.Fatalf("default directory_refresh %v, want 13 weeks", refresh)
	}
	for _, c := range []struct {
		verified string
		stale    bool
	}{
		{"2026-11-20", false},
		{"2026-08-21", false}, // exactly 13 weeks
		{"2026-08-20", true},  // a day more
		{"2024-01-01", true},
		{"garbage", true},
	} {
		s := &directory.Service{LastVerified: c.verified}
		if got := directory.Stale(s, now, refresh); got != c.stale {
			t.Errorf("verified %s: stale %v, want %v", c.verified, got, c.stale)
		}
	}
	for _, c := range []struct {
		end   string
		ended bool
	}{{"", false}, {"2026-11-19", true}, {"2026-11-20", false}, {"2027-01-01", false}} {
		s := &directory.Service{ProjectEnd: c.end}
		if got := s.Ended(today); got != c.ended {
			t.Errorf("project end %q: ended %v, want %v", c.end, got, c.ended)
		}
	}
}

// world is a database with two agencies and the users the tests act as.
type world struct {
	db     *store.DB
	p      *profile.Profile
	a, b   string // agency IDs
	users  map[string]*org.User
	actors map[string]access.Actor
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{db: db, p: profile.Default(), users: map[string]*org.User{}, actors: map[string]access.Actor{}}
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		a := &org.Agency{Name: "Hope for Children", Code: "HFC", CreatedAt: now}
		b := &org.Agency{Name: "Safe Haven", Code: "SHW", CreatedAt: now}
		for _, ag := range []*org.Agency{a, b} {
			if err := tx.InsertAgency(ctx, ag); err != nil {
				return err
			}
		}
		w.a, w.b = a.ID, b.ID
		for _, u := range []struct {
			key    string
			role   org.Role
			agency string
			off    bool
		}{
			{"sysadmin", org.SystemAdmin, a.ID, false}, {"admin", org.AgencyAdmin, a.ID, false},
			{"admin_b", org.AgencyAdmin, b.ID, false}, {"caseworker", org.Caseworker, a.ID, false},
			{"provider_a", org.ServiceProvider, a.ID, false}, {"provider_b", org.ServiceProvider, b.ID, false},
			{"gone_a", org.ServiceProvider, a.ID, true},
		} {
			ou := &org.User{AgencyID: u.agency, Username: strings.ReplaceAll(u.key, "_", "-"), DisplayName: u.key,
				Role: u.role, PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
			if u.off {
				ou.DisabledAt = now
			}
			if u.role == org.Caseworker {
				tm := &org.Team{AgencyID: a.ID, Name: "North", CreatedAt: now}
				if err := tx.InsertTeam(ctx, tm); err != nil {
					return err
				}
				ou.TeamID = tm.ID
			}
			if err := tx.InsertUser(ctx, ou); err != nil {
				return err
			}
			w.users[u.key] = ou
			w.actors[u.key] = access.Actor{UserID: ou.ID, AgencyID: ou.AgencyID, TeamID: ou.TeamID, Role: ou.Role}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) create(as string, in directory.Input) (*directory.Service, error) {
	var s *directory.Service
	ctx := context.Background()
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		s, err = directory.Create(ctx, tx, w.p, w.actors[as], in, now)
		return err
	})
	return s, err
}

func (w *world) update(as, id string, in directory.Input) (*directory.Service, error) {
	var s *directory.Service
	ctx := context.Background()
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		s, err = directory.Update(ctx, tx, w.p, w.actors[as], id, in, now)
		return err
	})
	return s, err
}

func (w *world) all(t *testing.T) []directory.Service {
	t.Helper()
	var out []directory.Service
	ctx := context.Background()
	if err := w.db.Read(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.DirectoryServices(ctx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *world) events(t *testing.T, prefix string) []audit.Event {
	t.Helper()
	var out []audit.Event
	ctx := context.Background()
	if err := w.db.Read(ctx, func(tx *store.Tx) (err error) {
		out, err = tx.AuditEvents(ctx, store.AuditFilter{Action: prefix, Limit: 100})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDirectoryCreateAndUpdate(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// Who may create what.
		for _, c := range []struct {
			as, agency string
			ok         bool
		}{
			{"sysadmin", "", true}, {"sysadmin", "b", true}, {"admin", "", true}, {"admin", "a", true},
			{"admin", "b", false}, {"admin_b", "a", false}, {"caseworker", "", false}, {"provider_a", "a", false},
		} {
			in := valid()
			in.AgencyID = map[string]string{"": "", "a": w.a, "b": w.b}[c.agency]
			_, err := w.create(c.as, in)
			if c.ok && err != nil {
				t.Errorf("%s creating an entry of agency %q: %v", c.as, c.agency, err)
			}
			if !c.ok && errs.KindOf(err) != errs.Forbidden {
				t.Errorf("%s creating an entry of agency %q: %v, want forbidden", c.as, c.agency, err)
			}
		}
		if n := len(w.all(t)); n != 4 {
			t.Fatalf("%d entries stored, want 4", n)
		}

		// References: the agency must exist; the focal user must be an active user of it.
		in := valid()
		in.AgencyID = "01890000-0000-7000-8000-000000000000"
		if _, err := w.create("sysadmin", in); !slices.Contains(fieldNames(err), "agency_id") {
			t.Errorf("unknown agency: %v", err)
		}
		for _, c := range []struct{ agency, focal, why string }{
			{"", w.users["provider_a"].ID, "a focal user needs the entry's agency"},
			{w.a, w.users["provider_b"].ID, "a focal user of another agency"},
			{w.a, w.users["gone_a"].ID, "a disabled focal user"},
			{w.a, "01890000-0000-7000-8000-000000000000", "no such user"},
		} {
			in := valid()
			in.AgencyID, in.FocalUserID = c.agency, c.focal
			if _, err := w.create("sysadmin", in); !slices.Contains(fieldNames(err), "focal_user_id") {
				t.Errorf("%s: %v, want an error on focal_user_id", c.why, err)
			}
		}
		in = valid()
		in.AgencyID, in.FocalUserID, in.ProjectEnd = w.a, w.users["provider_a"].ID, "2027-06-30"
		s, err := w.create("admin", in)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Active || s.Version != 1 || s.CreatedBy != w.users["admin"].ID || s.FocalUserID != in.FocalUserID {
			t.Errorf("created %+v", s)
		}

		// Update: optimistic version, access on the entry before and after.
		edit := directory.InputOf(s)
		edit.HowToRefer, edit.AvgDays = "Walk in, or call the focal point", 3
		off := false
		edit.Active = &off
		stale := edit
		stale.Version = 0
		var ce *errs.ConflictError
		if _, err := w.update("admin", s.ID, stale); !errors.As(err, &ce) || ce.Version != 1 {
			t.Errorf("stale version: %v", err)
		}
		if _, err := w.update("admin_b", s.ID, edit); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("another agency's admin edits: %v", err)
		}
		give := edit
		give.AgencyID, give.FocalUserID = w.b, ""
		if _, err := w.update("admin", s.ID, give); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("an agency admin gives the entry away: %v", err)
		}
		bad := edit
		bad.AvgDays = 400
		if _, err := w.update("admin", s.ID, bad); !slices.Contains(fieldNames(err), "avg_days") {
			t.Errorf("avg_days 400: %v", err)
		}
		if _, err := w.update("admin", "not-an-id", edit); errs.KindOf(err) != errs.NotFound {
			t.Errorf("unknown entry: %v", err)
		}
		u, err := w.update("admin", s.ID, edit)
		if err != nil {
			t.Fatal(err)
		}
		if u.Version != 2 || u.Active || u.AvgDays != 3 {
			t.Errorf("updated %+v", u)
		}
		// The first save won: the same form again is stale.
		if _, err := w.update("sysadmin", s.ID, edit); !errors.As(err, &ce) || ce.Version != 2 {
			t.Errorf("second save of version 1: %v", err)
		}
		// The system administrator moves it to agency B (no focal user then).
		give.Version = 2
		if u, err = w.update("sysadmin", s.ID, give); err != nil || u.AgencyID != w.b {
			t.Errorf("system admin moves the entry: %v %+v", err, u)
		}

		// Audit: who did what to which entry, with field names and never values.
		evs := w.events(t, "directory.")
		var creates, updates int
		for _, e := range evs {
			switch e.Action {
			case "directory.create":
				creates++
			case "directory.update":
				updates++
				if e.RecordID != s.ID {
					t.Errorf("update event on %s", e.RecordID)
				}
			}
			if strings.Contains(e.Detail, "Walk in") || strings.Contains(e.Detail, "Town Clinic") {
				t.Errorf("audit detail holds values: %s", e.Detail)
			}
		}
		if creates != 5 || updates != 2 {
			t.Errorf("%d create and %d update events, want 5 and 2", creates, updates)
		}
		for _, e := range evs {
			if e.Action == "directory.update" && e.ActorID == w.users["admin"].ID &&
				e.Detail != `{"fields":"active,avg_days,how_to_refer","sector":"health_nutrition"}` {
				t.Errorf("update detail %s", e.Detail)
			}
		}
	})
}

func TestDirectoryFilter(t *testing.T) {
	t.Parallel()
	all := []directory.Service{
		{ID: "1", Sector: "health_nutrition", Area: "Block 3, North", Profiles: []string{"girls", "women"}},
		{ID: "2", Sector: "legal", Area: "Town centre", Profiles: []string{"women", "men"}},
		{ID: "3", Sector: "health_nutrition", Area: "South", Profiles: []string{"boys"}},
	}
	ids := func(f directory.Filter) string {
		var out []string
		for i := range all {
			if f.Match(&all[i]) {
				out = append(out, all[i].ID)
			}
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		f    directory.Filter
		want string
	}{
		{directory.Filter{}, "1,2,3"},
		{directory.Filter{Sector: "health_nutrition"}, "1,3"},
		{directory.Filter{Profile: "women"}, "1,2"},
		{directory.Filter{Area: "north"}, "1"},
		{directory.Filter{Sector: "health_nutrition", Profile: "women"}, "1"},
		{directory.Filter{Sector: "legal", Profile: "boys"}, ""},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
}

// importCSV runs Import in a transaction that commits only when it succeeds.
func (w *world) importCSV(as, text string) (directory.ImportResult, error) {
	var res directory.ImportResult
	ctx := context.Background()
	err := w.db.Tx(ctx, func(tx *store.Tx) (err error) {
		res, err = directory.Import(ctx, tx, w.p, w.actors[as], strings.NewReader(text), now)
		return err
	})
	return res, err
}

func TestDirectoryCSVRoundTrip(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		in := valid()
		in.AgencyID, in.FocalUserID, in.EntryPoint = w.a, w.users["provider_a"].ID, true
		in.HowToRefer = "Call 0700 000 000, say \"referral\"; or walk in\nweekdays"
		s, err := w.create("admin", in)
		if err != nil {
			t.Fatal(err)
		}
		other := valid()
		other.Organisation, other.Sector, other.Services = "Legal Aid Clinic", "legal", "Legal counselling, court accompaniment"
		if _, err := w.create("sysadmin", other); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := directory.WriteCSV(&buf, w.all(t)); err != nil {
			t.Fatal(err)
		}
		exported := buf.String()
		if !strings.HasPrefix(exported, strings.Join(directory.Columns, ",")+"\n") {
			t.Fatalf("header: %q", strings.SplitN(exported, "\n", 2)[0])
		}
		if !strings.Contains(exported, "girls;women") || !strings.Contains(exported, "English;Arabic") {
			t.Errorf("lists are not joined with ';': %s", exported)
		}
		// Importing the export unchanged changes nothing.
		res, err := w.importCSV("sysadmin", exported)
		if err != nil || res.Unchanged != 2 || res.Updated != 0 || res.Created != 0 {
			t.Fatalf("import of the export: %+v %v", res, err)
		}
		// An edit of one row updates that entry only, to exactly what it was
		// but for the edit.
		edited := strings.Replace(exported, "Legal Aid Clinic", "Legal Aid Centre", 1)
		if res, err = w.importCSV("sysadmin", edited); err != nil || res.Unchanged != 1 || res.Updated != 1 {
			t.Fatalf("import of an edited export: %+v %v", res, err)
		}
		for _, e := range w.all(t) {
			if e.ID == s.ID && (e.Version != 1 || e.HowToRefer != in.HowToRefer || !e.EntryPoint ||
				e.FocalUserID != in.FocalUserID || !slices.Equal(e.Profiles, []string{"girls", "women"})) {
				t.Errorf("the unedited entry changed: %+v", e)
			}
			if e.ID != s.ID && (e.Version != 2 || e.Organisation != "Legal Aid Centre" || e.Services != other.Services) {
				t.Errorf("the edited entry: %+v", e)
			}
		}
		// The old export is now stale for the edited entry: its row carries version 1.
		if _, err := w.importCSV("sysadmin", edited); !slices.Equal(fieldNames(err), []string{"row 3, version"}) {
			t.Errorf("stale export: %v", err)
		}

		// A new row and an edited row, without the version column.
		file := "organisation,sector,services,agency_id,address,area,opening_hours,target_group,eligibility,how_to_refer," +
			"focal_point,focal_user_id,avg_days,project_end,languages,profiles,entry_point,funnelling_point,quality," +
			"quality_notes,last_verified,active,id\n" +
			"Safe House,shelter_nfi,Emergency shelter for women and children,,,Town,24/7,,,Call the hotline,,,0,,English,women;girls,no,yes,safe;accessible,,2026-11-01,yes,\n" +
			"Town Clinic,health_nutrition,CMR and family planning,,,Block 3,,,,,,,2,,,girls,yes,no,,,2026-11-02,,"
		broken := strings.Replace(file, ",2,,,girls", ",2,soon,,girls", 1)
		if _, err := w.importCSV("sysadmin", broken+s.ID+"\n"); err == nil {
			t.Fatal("a project end of \"soon\": accepted")
		} else if got := fieldNames(err); !slices.Equal(got, []string{"row 3, project_end"}) {
			t.Errorf("errors on %v, want row 3, project_end", got)
		}
		// ...and the failed import saved nothing.
		if n := len(w.all(t)); n != 2 {
			t.Fatalf("after a failed import %d entries, want 2", n)
		}
		fixed := strings.Replace(file, "CMR and family planning,,", "CMR and family planning,"+w.a+",", 1)
		fixed = strings.Replace(fixed, ",,2,,,girls", ","+w.users["provider_a"].ID+",2,,,girls", 1)
		res, err = w.importCSV("admin", fixed+s.ID+"\n")
		if err != nil || res.Created != 1 || res.Updated != 1 {
			t.Fatalf("import: %+v %v", res, err)
		}
		for _, e := range w.all(t) {
			switch e.Organisation {
			case "Safe House":
				if !e.FunnellingPoint || e.EntryPoint || !e.Active || !slices.Equal(e.Quality, []string{"safe", "accessible"}) ||
					e.AgencyID != "" || e.CreatedBy != w.users["admin"].ID {
					t.Errorf("imported %+v", e)
				}
			case "Town Clinic":
				if e.Services != "CMR and family planning" || e.AvgDays != 2 || !e.Active || len(e.Languages) != 0 {
					t.Errorf("updated by import %+v", e)
				}
			}
		}
		if n := len(w.events(t, "directory.import")); n != 3 {
			t.Errorf("%d import events, want 3", n)
		}

		// Only administrators import; an agency admin not another agency's entries.
		if _, err := w.importCSV("caseworker", fixed+s.ID+"\n"); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("caseworker imports: %v", err)
		}
		_, err = w.importCSV("admin_b", "id,organisation,sector,services,agency_id,address,area,opening_hours,"+
			"target_group,eligibility,how_to_refer,focal_point,focal_user_id,avg_days,project_end,languages,profiles,"+
			"entry_point,funnelling_point,quality,quality_notes,last_verified,active\n"+
			s.ID+",Town Clinic,health_nutrition,x,,,,,,,,,,0,,,,,,,,2026-11-01,\n")
		if !slices.Contains(fieldNames(err), "row 2, id") {
			t.Errorf("agency B's admin imports agency A's entry: %v", err)
		}
	})
}

// header is the full header of a directory file.
var header = strings.Join(directory.Columns, ",")

func TestDirectoryReadCSVErrors(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	row := func(cells map[string]string) string {
		base := map[string]string{"organisation": "Org", "sector": "legal", "services": "Advice", "last_verified": "2026-01-01"}
		for k, v := range cells {
			base[k] = v
		}
		var out []string
		for _, c := range directory.Columns {
			out = append(out, base[c])
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"empty", "", []string{"csv"}},
		{"header only", header + "\n", []string{"csv"}},
		{"unknown column", header + ",colour\n" + row(nil) + ",blue\n", []string{"row 1, colour"}},
		{"missing column", strings.Replace(header, ",services", "", 1) + "\n", []string{"row 1, services"}},
		{"column twice", header + ",sector\n", []string{"row 1, sector"}},
		{"avg_days not a number", header + "\n" + row(nil) + "\n" + row(nil) + "\n" + row(map[string]string{"avg_days": "a week"}) + "\n",
			[]string{"row 4, avg_days"}},
		{"several errors", header + "\n" + row(map[string]string{"sector": "astrology", "profiles": "girls;elders"}) + "\n" +
			row(map[string]string{"entry_point": "maybe", "last_verified": "2030-01-01", "organisation": ""}) + "\n",
			[]string{"row 2, sector", "row 2, profiles", "row 3, entry_point", "row 3, last_verified", "row 3, organisation"}},
		{"bad id", header + "\n" + row(map[string]string{"id": "42"}) + "\n", []string{"row 2, id"}},
		{"same id twice", header + "\n" + row(map[string]string{"id": "01890000-0000-7000-8000-000000000001"}) + "\n" +
			row(map[string]string{"id": "01890000-0000-7000-8000-000000000001"}) + "\n", []string{"row 3, id"}},
		{"bad version", header + "\n" + row(map[string]string{"version": "two"}) + "\n", []string{"row 2, version"}},
		{"too wide", header + "\n" + row(nil) + ",extra\n", []string{"row 2, csv"}},
		{"bad quotes", header + "\n" + row(map[string]string{"services": `"unclosed`}) + "\n", []string{"row 2, csv"}},
	} {
		rows, err := directory.ReadCSV(strings.NewReader(c.file), p, today)
		if err == nil {
			t.Errorf("%s: accepted %d rows", c.name, len(rows))
			continue
		}
		got := fieldNames(err)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: errors on %v, want one on %q", c.name, got, w)
			}
		}
	}
	// Blank lines are skipped; a BOM and upper-case names in the header are fine.
	rows, err := directory.ReadCSV(strings.NewReader("\ufeff"+strings.ToUpper(header)+"\n"+row(nil)+"\n,,,\n"+row(nil)+"\n"), p, today)
	if err != nil || len(rows) != 2 || rows[1].Line != 4 {
		t.Errorf("rows %+v, err %v", rows, err)
	}
}

// FuzzDirectoryCSV feeds arbitrary files to the CSV reader: it never
// panics, refuses with errors that name a row and a column, and every row
// it accepts is a valid entry that survives export and import unchanged.
func FuzzDirectoryCSV(f *testing.F) {
	p := profile.Default()
	row := "01890000-0000-7000-8000-000000000001,3,,Clinic,health_nutrition,CMR,,Town,,,,,,,,2,2027-01-01,English;Arabic,girls;women,yes,no,safe,,2026-11-01,yes"
	for _, s := range []string{"", header, header + "\n" + row, header + "\n" + row + "\n" + row,
		"organisation,sector,services,last_verified\nA,legal,B,2026-01-01", header + "\n,,,\n", "\"a\nb\",c",
		header + "\n" + strings.Replace(row, ",2,", ",-1,", 1), header + "\n" + strings.Replace(row, "girls", "gi\x00rls", 1),
		strings.ReplaceAll(header, ",", ";") + "\n" + row,
		// Formulas, NUL characters and bytes that are not UTF-8 in any column.
		header + "\n" + strings.Replace(row, "Clinic", "=HYPERLINK(\"\"http://x\"\",\"\"y\"\")", 1),
		header + "\n" + strings.Replace(row, "Clinic", "'+1+1", 1), header + "\n" + strings.Replace(row, "Town", "'@SUM(A1)", 1),
		header + "\n" + strings.Replace(row, "CMR", "''-2", 1), header + "\n" + strings.Replace(row, "Town", "\"\t=1\"", 1),
		header + "\n" + strings.Replace(row, ",2,", ",2\x00,", 1), header + "\n" + strings.Replace(row, ",yes,no,", ",yes,n\xffo,", 1),
		header + "\n" + strings.Replace(row, "Clinic", "Cl\xc3\x28inic", 1), header + "\n" + strings.Replace(row, ",3,", ",\x00,", 1),
		strings.Replace(header, "area", "ar\x00ea", 1) + "\n" + row} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		rows, err := directory.ReadCSV(strings.NewReader(file), p, today)
		if err != nil {
			if rows != nil {
				t.Fatal("rows and an error")
			}
			fe, ok := errs.AsFields(err)
			if !ok || len(fe) == 0 {
				t.Fatalf("refusal %v is not field errors", err)
			}
			for _, e := range fe {
				if e.Field != "csv" && !strings.HasPrefix(e.Field, "row ") || e.Msg == "" {
					t.Fatalf("error %+v does not name a row and a column", e)
				}
				if !utf8.ValidString(e.Field) || strings.ContainsRune(e.Field, 0) {
					t.Fatalf("error %+v names its field with text that cannot be shown", e)
				}
			}
			return
		}
		var all []directory.Service
		for _, r := range rows {
			in := r.Input
			again := in
			if fe := directory.Check(p, &again, today); len(fe) > 0 {
				t.Fatalf("accepted an invalid row %d: %v (%+v)", r.Line, fe, in)
			}
			if in.Organisation == "" || in.Services == "" || in.AvgDays < 0 || in.AvgDays > directory.MaxAvgDays ||
				!profile.Has(p.ReferralServiceTypes, in.Sector) || in.LastVerified > today {
				t.Fatalf("accepted an invalid row %d: %+v", r.Line, in)
			}
			for _, x := range in.Profiles {
				if !slices.Contains(directory.Profiles, x) {
					t.Fatalf("accepted profile %q", x)
				}
			}
			for _, x := range in.Quality {
				if !slices.Contains(directory.QualityFlags, x) {
					t.Fatalf("accepted quality %q", x)
				}
			}
			if _, err := time.Parse(time.DateOnly, in.LastVerified); err != nil {
				t.Fatalf("accepted last_verified %q", in.LastVerified)
			}
			for _, v := range []string{in.Organisation, in.Services, in.Address, in.Area, in.OpeningHours, in.TargetGroup,
				in.Eligibility, in.HowToRefer, in.FocalPoint, in.QualityNotes, strings.Join(in.Languages, ";")} {
				if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
					t.Fatalf("accepted text that cannot be stored: %q", v)
				}
			}
			s := directory.Service{ID: r.ID, Version: in.Version, AgencyID: in.AgencyID, Organisation: in.Organisation,
				Sector: in.Sector, Services: in.Services, Address: in.Address, Area: in.Area, OpeningHours: in.OpeningHours,
				TargetGroup: in.TargetGroup, Eligibility: in.Eligibility, HowToRefer: in.HowToRefer, FocalPoint: in.FocalPoint,
				FocalUserID: in.FocalUserID, AvgDays: in.AvgDays, ProjectEnd: in.ProjectEnd, Languages: in.Languages,
				Profiles: in.Profiles, EntryPoint: in.EntryPoint, FunnellingPoint: in.FunnellingPoint, Quality: in.Quality,
				QualityNotes: in.QualityNotes, LastVerified: in.LastVerified, Active: *in.Active}
			all = append(all, s)
		}
		// What was accepted exports with no cell a spreadsheet would run,
		// and reads back the same.
		var buf bytes.Buffer
		if err := directory.WriteCSV(&buf, all); err != nil {
			t.Fatal(err)
		}
		cr := csv.NewReader(bytes.NewReader(buf.Bytes()))
		cr.FieldsPerRecord = -1
		cells, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("the export is not CSV: %v", err)
		}
		for _, row := range cells {
			for _, c := range row {
				if sheet.Dangerous(c) {
					t.Fatalf("exported cell %q would run in a spreadsheet", c)
				}
			}
		}
		back, err := directory.ReadCSV(&buf, p, today)
		if err != nil || len(back) != len(rows) {
			t.Fatalf("re-reading the export: %d rows, %v", len(back), err)
		}
		for i := range back {
			a, b := rows[i].Input, back[i].Input
			if rows[i].ID != back[i].ID || len(directory.Changed(a, b)) > 0 || *a.Active != *b.Active || a.Version != b.Version {
				t.Fatalf("row %d changed in a round trip: %v\n%+v\n%+v", rows[i].Line, directory.Changed(a, b), a, b)
			}
		}
	})
}
