package store

import (
	"context"

	"github.com/safecase/safecase/internal/directory"
)

// DirectoryServiceOptions returns the active entries of the directory, in
// the order of DirectoryServices, with only what a form's list of services
// labels them by: ID, Organisation, Sector, AvgDays, ProjectEnd,
// LastVerified and Active. The referral form offers every active entry, and
// reading each whole (three JSON lists decoded per entry) cost most of its
// time.
func (tx *Tx) DirectoryServiceOptions(ctx context.Context) ([]directory.Service, error) {
	rows, err := tx.query(ctx, `SELECT id, organisation, sector, avg_days, project_end, last_verified
		FROM directory_services WHERE active = ? ORDER BY sector, organisation, id`, true)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []directory.Service
	for rows.Next() {
		s := directory.Service{Active: true}
		if err := rows.Scan(&s.ID, &s.Organisation, &s.Sector, &s.AvgDays, &s.ProjectEnd, &s.LastVerified); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
