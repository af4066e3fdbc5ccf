package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/errs"
)

const directoryColumns = `id, agency_id, organisation, sector, services, address, area, opening_hours, target_group,
	eligibility, how_to_refer, focal_point, focal_user_id, avg_days, project_end, languages, profiles, entry_point,
	funnelling_point, quality, quality_notes, last_verified, active, version, created_by, created_at, updated_at`

// InsertDirectoryService stores a new directory entry.
func (tx *Tx) InsertDirectoryService(ctx context.Context, s *directory.Service) error {
	if s.ID == "" {
		s.ID = NewID()
	}
	if s.Version == 0 {
		s.Version = 1
	}
	_, err := tx.exec(ctx, `INSERT INTO directory_services (`+directoryColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, nullStr(s.AgencyID), s.Organisation, s.Sector, s.Services, s.Address, s.Area, s.OpeningHours,
		s.TargetGroup, s.Eligibility, s.HowToRefer, s.FocalPoint, nullStr(s.FocalUserID), s.AvgDays, s.ProjectEnd,
		jsonList(s.Languages), jsonList(s.Profiles), s.EntryPoint, s.FunnellingPoint, jsonList(s.Quality),
		s.QualityNotes, s.LastVerified, s.Active, s.Version, s.CreatedBy, ms(s.CreatedAt), ms(s.UpdatedAt))
	return err
}

// UpdateDirectoryService saves s if its version is still the stored one,
// and bumps the version.
func (tx *Tx) UpdateDirectoryService(ctx context.Context, s *directory.Service) error {
	res, err := tx.exec(ctx, `UPDATE directory_services SET agency_id = ?, organisation = ?, sector = ?, services = ?,
		address = ?, area = ?, opening_hours = ?, target_group = ?, eligibility = ?, how_to_refer = ?, focal_point = ?,
		focal_user_id = ?, avg_days = ?, project_end = ?, languages = ?, profiles = ?, entry_point = ?,
		funnelling_point = ?, quality = ?, quality_notes = ?, last_verified = ?, active = ?, version = version + 1,
		updated_at = ? WHERE id = ? AND version = ?`,
		nullStr(s.AgencyID), s.Organisation, s.Sector, s.Services, s.Address, s.Area, s.OpeningHours, s.TargetGroup,
		s.Eligibility, s.HowToRefer, s.FocalPoint, nullStr(s.FocalUserID), s.AvgDays, s.ProjectEnd,
		jsonList(s.Languages), jsonList(s.Profiles), s.EntryPoint, s.FunnellingPoint, jsonList(s.Quality),
		s.QualityNotes, s.LastVerified, s.Active, ms(s.UpdatedAt), s.ID, s.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.ErrConflict
	}
	s.Version++
	return nil
}

// DirectoryService returns one directory entry.
func (tx *Tx) DirectoryService(ctx context.Context, id string) (*directory.Service, error) {
	return oneByID(ctx, tx, "directory service", `SELECT `+directoryColumns+` FROM directory_services WHERE id = ?`, id,
		scanDirectory)
}

// DirectoryServices returns the whole directory, by sector and organisation
// (a deployment's directory holds hundreds of entries, not millions).
func (tx *Tx) DirectoryServices(ctx context.Context) ([]directory.Service, error) {
	rows, err := tx.query(ctx, `SELECT `+directoryColumns+` FROM directory_services ORDER BY sector, organisation, id`)
	if err != nil {
		return nil, err
	}
	return scanDirectory(rows)
}

func scanDirectory(rows storeRows) (out []directory.Service, err error) {
	defer rows.Close()
	for rows.Next() {
		var s directory.Service
		var agency, focal sql.NullString
		var langs, profiles, quality string
		var created, updated int64
		if err := rows.Scan(&s.ID, &agency, &s.Organisation, &s.Sector, &s.Services, &s.Address, &s.Area,
			&s.OpeningHours, &s.TargetGroup, &s.Eligibility, &s.HowToRefer, &s.FocalPoint, &focal, &s.AvgDays,
			&s.ProjectEnd, &langs, &profiles, &s.EntryPoint, &s.FunnellingPoint, &quality, &s.QualityNotes,
			&s.LastVerified, &s.Active, &s.Version, &s.CreatedBy, &created, &updated); err != nil {
			return nil, err
		}
		for _, l := range []struct {
			text string
			to   *[]string
		}{{langs, &s.Languages}, {profiles, &s.Profiles}, {quality, &s.Quality}} {
			if err := json.Unmarshal([]byte(l.text), l.to); err != nil {
				return nil, fmt.Errorf("directory service %s: %w", s.ID, err)
			}
		}
		s.AgencyID, s.FocalUserID, s.CreatedAt, s.UpdatedAt = agency.String, focal.String, fromMS(created), fromMS(updated)
		out = append(out, s)
	}
	return out, rows.Err()
}

var _ directory.Tx = (*Tx)(nil)
