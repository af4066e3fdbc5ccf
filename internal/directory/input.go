package directory

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/profile"
	"github.com/safecase/safecase/internal/storable"
)

// Input is a directory entry as a form, an API body or a CSV row gives it.
type Input struct {
	AgencyID        string   `json:"agency_id"`
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
	FocalUserID     string   `json:"focal_user_id"`
	AvgDays         int      `json:"avg_days"`
	ProjectEnd      string   `json:"project_end"`
	Languages       []string `json:"languages"`
	Profiles        []string `json:"profiles"`
	EntryPoint      bool     `json:"entry_point"`
	FunnellingPoint bool     `json:"funnelling_point"`
	Quality         []string `json:"quality"`
	QualityNotes    string   `json:"quality_notes"`
	LastVerified    string   `json:"last_verified"`
	// Active is whether the service still takes referrals; left out, a new
	// entry is active and an edit keeps what is stored.
	Active  *bool `json:"active,omitempty"`
	Version int   `json:"version"`
}

// InputOf returns the input that would save s as it is.
func InputOf(s *Service) Input {
	active := s.Active
	return Input{AgencyID: s.AgencyID, Organisation: s.Organisation, Sector: s.Sector, Services: s.Services,
		Address: s.Address, Area: s.Area, OpeningHours: s.OpeningHours, TargetGroup: s.TargetGroup,
		Eligibility: s.Eligibility, HowToRefer: s.HowToRefer, FocalPoint: s.FocalPoint, FocalUserID: s.FocalUserID,
		AvgDays: s.AvgDays, ProjectEnd: s.ProjectEnd, Languages: slices.Clone(s.Languages),
		Profiles: slices.Clone(s.Profiles), EntryPoint: s.EntryPoint, FunnellingPoint: s.FunnellingPoint,
		Quality: slices.Clone(s.Quality), QualityNotes: s.QualityNotes, LastVerified: s.LastVerified,
		Active: &active, Version: s.Version}
}

// Limits on what an entry holds.
const (
	maxShort     = 200  // names, areas, hours, the focal point
	maxLong      = 4000 // descriptions
	maxLanguages = 20
	maxLanguage  = 40
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validID reports whether id can name a record (both engines can look it up).
func validID(id string) bool { return uuidRE.MatchString(id) }

// Check normalises in (trims text, drops blank and repeated list items) and
// validates what needs no storage: required fields, the sector against the
// profile's referral service types, profiles and quality flags against
// their lists, dates, the average days, lengths. today is the deployment's
// date (yyyy-mm-dd): a last verification cannot be after it.
func Check(p *profile.Profile, in *Input, today string) errs.Fields {
	var f errs.Fields
	text := []struct {
		name string
		v    *string
		max  int
	}{
		{"organisation", &in.Organisation, maxShort}, {"sector", &in.Sector, maxShort},
		{"services", &in.Services, maxLong}, {"address", &in.Address, maxLong}, {"area", &in.Area, maxShort},
		{"opening_hours", &in.OpeningHours, maxShort}, {"target_group", &in.TargetGroup, maxLong},
		{"eligibility", &in.Eligibility, maxLong}, {"how_to_refer", &in.HowToRefer, maxLong},
		{"focal_point", &in.FocalPoint, maxShort}, {"quality_notes", &in.QualityNotes, maxLong},
		{"agency_id", &in.AgencyID, maxShort}, {"focal_user_id", &in.FocalUserID, maxShort},
		{"project_end", &in.ProjectEnd, maxShort}, {"last_verified", &in.LastVerified, maxShort},
	}
	for _, t := range text {
		*t.v = strings.TrimSpace(*t.v)
		msg := storable.Problem(*t.v)
		switch {
		case msg != "":
			f.Add(t.name, msg)
		case utf8.RuneCountInString(*t.v) > t.max:
			f.Add(t.name, "err.too_long", t.max)
		}
	}
	for _, req := range []struct{ name, v string }{{"organisation", in.Organisation}, {"services", in.Services}} {
		if req.v == "" && !f.Has(req.name) {
			f.Add(req.name, "err.required")
		}
	}
	if !f.Has("sector") && !profile.Has(p.ReferralServiceTypes, in.Sector) {
		f.Add("sector", "err.choose")
	}
	if in.AgencyID != "" && !f.Has("agency_id") && !validID(in.AgencyID) {
		f.Add("agency_id", "err.choose")
	}
	if in.FocalUserID != "" && !f.Has("focal_user_id") && !validID(in.FocalUserID) {
		f.Add("focal_user_id", "err.directory_focal_user")
	}
	if in.AvgDays < 0 || in.AvgDays > MaxAvgDays {
		f.Add("avg_days", "err.directory_avg_days", MaxAvgDays)
	}
	if in.ProjectEnd != "" && !f.Has("project_end") && !isDate(in.ProjectEnd) {
		f.Add("project_end", "err.date")
	}
	switch {
	case f.Has("last_verified"):
	case in.LastVerified == "":
		f.Add("last_verified", "err.required")
	case !isDate(in.LastVerified):
		f.Add("last_verified", "err.date")
	case in.LastVerified > today:
		f.Add("last_verified", "err.future")
	}
	var bad bool
	in.Profiles, bad = fixedList(in.Profiles, Profiles)
	if bad {
		f.Add("profiles", "err.choose")
	}
	in.Quality, bad = fixedList(in.Quality, QualityFlags)
	if bad {
		f.Add("quality", "err.choose")
	}
	in.Languages = freeList(in.Languages)
	if len(in.Languages) > maxLanguages {
		f.Add("languages", "err.directory_languages", maxLanguages, maxLanguage)
	}
	for _, l := range in.Languages {
		if utf8.RuneCountInString(l) > maxLanguage || !utf8.ValidString(l) || strings.ContainsAny(l, ";\x00") {
			f.Add("languages", "err.directory_languages", maxLanguages, maxLanguage)
			break
		}
	}
	return f
}

// isDate reports whether s is a real date written yyyy-mm-dd.
func isDate(s string) bool {
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Format(time.DateOnly) == s
}

// fixedList trims list, drops blanks and repeats, and puts it in the order
// of allowed; bad reports an item not in allowed.
func fixedList(list, allowed []string) (out []string, bad bool) {
	seen := map[string]bool{}
	for _, v := range list {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
		case !slices.Contains(allowed, v):
			bad = true
		default:
			seen[v] = true
		}
	}
	out = []string{}
	for _, a := range allowed {
		if seen[a] {
			out = append(out, a)
		}
	}
	return out, bad
}

// freeList trims list and drops blanks and repeats, keeping the order.
func freeList(list []string) []string {
	out := []string{}
	for _, v := range list {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// SplitList splits a list typed in one field ("English; Arabic" or
// "English, Arabic") into its items.
func SplitList(s string) []string {
	return freeList(strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }))
}
