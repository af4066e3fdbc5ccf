package referral

import (
	"context"
	"sort"

	"github.com/safecase/safecase/internal/directory"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/share"
)

// DefaultSections is what the referral form proposes to share
// (share.ReferralDefaults), as the form posts it.
func DefaultSections() []string { return share.Names(share.ReferralDefaults) }

// Candidate is someone a referral or a case conference may name, offered
// by name and role rather than by sign-in name: an active caseworker,
// supervisor or manager of an agency, or the focal point the directory
// names for one of its services.
type Candidate struct {
	UserID     string
	Name       string
	Role       org.Role
	AgencyID   string
	AgencyName string
	FocalPoint bool // a directory focal point of the agency
}

// CandidatesTx is the storage Candidates needs.
type CandidatesTx interface {
	Agencies(ctx context.Context) ([]org.Agency, error)
	Users(ctx context.Context, agency string) ([]org.User, error)
	DirectoryServices(ctx context.Context) ([]directory.Service, error)
}

// caseStaff reports whether role r manages cases: caseworkers, supervisors,
// managers.
func caseStaff(r org.Role) bool {
	return r == org.Caseworker || r == org.Supervisor || r == org.Manager
}

// Candidates lists the people of every agency but except (none when
// except is empty) whom a referral or conference may name: each agency's
// active case staff and the active focal points of its active directory
// services, each once, by agency name and then by name.
func Candidates(ctx context.Context, tx CandidatesTx, except string) ([]Candidate, error) {
	agencies, err := tx.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, a := range agencies {
		names[a.ID] = a.Name
	}
	svcs, err := tx.DirectoryServices(ctx)
	if err != nil {
		return nil, err
	}
	focal := map[string]string{} // user → the agency whose service names them
	for _, s := range svcs {
		if s.Active && s.AgencyID != "" && s.FocalUserID != "" {
			focal[s.FocalUserID] = s.AgencyID
		}
	}
	users, err := tx.Users(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []Candidate
	for _, u := range users {
		if u.AgencyID == except || !u.Active() || names[u.AgencyID] == "" {
			continue
		}
		isFocal := focal[u.ID] == u.AgencyID && receiverRole(u.Role)
		if !caseStaff(u.Role) && !isFocal {
			continue
		}
		out = append(out, Candidate{UserID: u.ID, Name: u.DisplayName, Role: u.Role, AgencyID: u.AgencyID,
			AgencyName: names[u.AgencyID], FocalPoint: isFocal})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].AgencyName != out[j].AgencyName {
			return out[i].AgencyName < out[j].AgencyName
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// FindCandidate returns the candidate among cs who is user, or nil.
func FindCandidate(cs []Candidate, user string) *Candidate {
	for i := range cs {
		if cs[i].UserID == user {
			return &cs[i]
		}
	}
	return nil
}
