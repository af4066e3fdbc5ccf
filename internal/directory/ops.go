package directory

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// Tx is the storage the directory needs.
type Tx interface {
	InsertDirectoryService(ctx context.Context, s *Service) error
	UpdateDirectoryService(ctx context.Context, s *Service) error
	DirectoryService(ctx context.Context, id string) (*Service, error)
	DirectoryServices(ctx context.Context) ([]Service, error)
	AgencyExists(ctx context.Context, id string) (bool, error)
	User(ctx context.Context, id string) (*org.User, error)
	Record(ctx context.Context, e audit.Event) error
}

// Decide asks access whether a may do act on the directory entries of
// agency ("" for an organisation outside the deployment), and turns a
// refusal into an error: Forbidden, since the directory is open to read.
func Decide(a access.Actor, act access.Action, agency, id string) error {
	d := access.Decide(a, act, access.Resource{Kind: access.KindDirectory, AgencyID: agency})
	if d.Allow {
		return nil
	}
	return &errs.DeniedError{Record: "directory_service", ID: id, AgencyID: agency, Reason: d.Reason, Kind: errs.Forbidden}
}

// checkRefs validates what in names in storage: the agency, and the focal
// user, who must be an active user of that agency.
func checkRefs(ctx context.Context, tx Tx, in *Input, f *errs.Fields) error {
	if in.AgencyID != "" && !f.Has("agency_id") {
		ok, err := tx.AgencyExists(ctx, in.AgencyID)
		if err != nil {
			return err
		}
		if !ok {
			f.Add("agency_id", "err.choose")
		}
	}
	if in.FocalUserID == "" || f.Has("focal_user_id") {
		return nil
	}
	if in.AgencyID == "" {
		f.Add("focal_user_id", "err.directory_focal_agency")
		return nil
	}
	u, err := tx.User(ctx, in.FocalUserID)
	switch {
	case errs.KindOf(err) == errs.NotFound:
		f.Add("focal_user_id", "err.directory_focal_user")
	case err != nil:
		return err
	case u.AgencyID != in.AgencyID || !u.Active():
		f.Add("focal_user_id", "err.directory_focal_agency")
	}
	return nil
}

// validate runs Check and checkRefs on in.
func validate(ctx context.Context, tx Tx, p *profile.Profile, in *Input, now time.Time) error {
	f := Check(p, in, p.Today(now))
	if err := checkRefs(ctx, tx, in, &f); err != nil {
		return err
	}
	return f.Err()
}

// apply copies in onto s.
func apply(s *Service, in *Input) {
	s.AgencyID, s.Organisation, s.Sector, s.Services = in.AgencyID, in.Organisation, in.Sector, in.Services
	s.Address, s.Area, s.OpeningHours, s.TargetGroup = in.Address, in.Area, in.OpeningHours, in.TargetGroup
	s.Eligibility, s.HowToRefer, s.FocalPoint, s.FocalUserID = in.Eligibility, in.HowToRefer, in.FocalPoint, in.FocalUserID
	s.AvgDays, s.ProjectEnd, s.Languages, s.Profiles = in.AvgDays, in.ProjectEnd, in.Languages, in.Profiles
	s.EntryPoint, s.FunnellingPoint, s.Quality, s.QualityNotes = in.EntryPoint, in.FunnellingPoint, in.Quality, in.QualityNotes
	s.LastVerified = in.LastVerified
	if in.Active != nil {
		s.Active = *in.Active
	}
}

// Create adds an entry to the directory. Administrators keep the directory:
// a system administrator any entry, an agency administrator the entries of
// their agency and of organisations outside the deployment.
func Create(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, in Input, now time.Time) (*Service, error) {
	if err := Decide(a, access.Create, strings.TrimSpace(in.AgencyID), ""); err != nil {
		return nil, err
	}
	if err := validate(ctx, tx, p, &in, now); err != nil {
		return nil, err
	}
	s := &Service{Active: true, CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now}
	apply(s, &in)
	if err := tx.InsertDirectoryService(ctx, s); err != nil {
		return nil, err
	}
	return s, record(ctx, tx, a, "directory.create", s, nil, now)
}

// Update saves in over entry id, read at in.Version. Whoever edits must
// keep both the entry as it is and as it becomes: an agency administrator
// cannot take another agency's entry, nor give theirs away.
func Update(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, in Input, now time.Time) (*Service, error) {
	s, err := tx.DirectoryService(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := Decide(a, access.Edit, s.AgencyID, s.ID); err != nil {
		return nil, err
	}
	if in.Version != s.Version {
		return nil, &errs.ConflictError{Record: "directory service", Version: s.Version, Current: s}
	}
	if err := Decide(a, access.Edit, strings.TrimSpace(in.AgencyID), s.ID); err != nil {
		return nil, err
	}
	if err := validate(ctx, tx, p, &in, now); err != nil {
		return nil, err
	}
	before := InputOf(s)
	apply(s, &in)
	s.UpdatedAt = now
	if err := tx.UpdateDirectoryService(ctx, s); err != nil {
		if errs.KindOf(err) == errs.Conflict { // saved by someone else since it was read
			cur, cerr := tx.DirectoryService(ctx, id)
			if cerr != nil {
				return nil, cerr
			}
			return nil, &errs.ConflictError{Record: "directory service", Version: cur.Version, Current: cur}
		}
		return nil, err
	}
	return s, record(ctx, tx, a, "directory.update", s, Changed(before, InputOf(s)), now)
}

// Changed lists the fields that differ between two inputs (by their JSON
// names), the version aside.
func Changed(a, b Input) []string {
	a.Version, b.Version = 0, 0
	var ma, mb map[string]any
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	json.Unmarshal(ja, &ma)
	json.Unmarshal(jb, &mb)
	var out []string
	for k := range ma {
		x, _ := json.Marshal(ma[k])
		y, _ := json.Marshal(mb[k])
		if string(x) != string(y) {
			out = append(out, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// record writes the audit event of a change to s: which entry, its sector,
// and which fields changed (names, never values).
func record(ctx context.Context, tx Tx, a access.Actor, action string, s *Service, fields []string, now time.Time) error {
	d := map[string]any{"sector": s.Sector}
	if action == "directory.update" {
		d["fields"] = strings.Join(fields, ",")
	}
	detail, _ := json.Marshal(d)
	return tx.Record(ctx, audit.Event{ActorID: a.UserID, ActorRole: string(a.Role), At: now, Action: action,
		RecordType: "directory_service", RecordID: s.ID, AgencyID: s.AgencyID, Detail: string(detail)})
}

// Filter picks entries of the directory.
type Filter struct {
	Sector  string // a referral service type, or "" for every sector
	Area    string // words the area contains (any case), or ""
	Profile string // one of Profiles, or ""
}

// Match reports whether s passes f.
func (f Filter) Match(s *Service) bool {
	if f.Sector != "" && s.Sector != f.Sector {
		return false
	}
	if f.Profile != "" && !slices.Contains(s.Profiles, f.Profile) {
		return false
	}
	if a := strings.TrimSpace(f.Area); a != "" && !strings.Contains(strings.ToLower(s.Area), strings.ToLower(a)) {
		return false
	}
	return true
}
