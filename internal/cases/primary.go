package cases

import (
	"context"
	"errors"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// MayChoose says whether actor a may make user u the primary caseworker of
// a case of agency agencyID: nil, or the field error (on caseworker_id) that
// says why not. u must be someone who may hold cases there
// (org.MayBePrimary); a supervisor chooses in their own team; a caseworker
// only themselves. Whether a may register or reassign at all is access's
// decision, made by the operations.
func MayChoose(a access.Actor, u *org.User, agencyID string) error {
	switch {
	case a.Role == org.Caseworker && (u == nil || u.ID != a.UserID):
		return errs.Field("caseworker_id", "err.caseworker_self")
	case !org.MayBePrimary(u, agencyID):
		return errs.Field("caseworker_id", "err.caseworker")
	case a.Role == org.Supervisor && u.TeamID != a.TeamID:
		return errs.Field("caseworker_id", "err.caseworker_team")
	}
	return nil
}

// choosePrimary reads user id and checks that a may make them the primary
// caseworker of a case of agency agencyID (MayChoose). A user who does not
// exist is a field error; any other failure to read is returned as it is.
func choosePrimary(ctx context.Context, tx interface {
	User(ctx context.Context, id string) (*org.User, error)
}, a access.Actor, agencyID, id string) (*org.User, error) {
	if a.Role == org.Caseworker && id != a.UserID {
		return nil, errs.Field("caseworker_id", "err.caseworker_self")
	}
	u, err := tx.User(ctx, id)
	if errors.Is(err, errs.ErrNotFound) {
		return nil, errs.Field("caseworker_id", "err.caseworker")
	}
	if err != nil {
		return nil, err
	}
	if err := MayChoose(a, u, agencyID); err != nil {
		return nil, err
	}
	return u, nil
}

// Candidates returns the people of agency agencyID whom a may make a
// case's primary caseworker (MayChoose), in the order tx lists them: the
// choice a registration or reassignment form offers. A caseworker is offered
// no choice (they register for themselves and do not reassign), and costs no
// query.
func Candidates(ctx context.Context, tx interface {
	Users(ctx context.Context, agencyID string) ([]org.User, error)
}, a access.Actor, agencyID string) ([]org.User, error) {
	if a.Role == org.Caseworker {
		return nil, nil
	}
	users, err := tx.Users(ctx, agencyID)
	if err != nil {
		return nil, err
	}
	var out []org.User
	for i := range users {
		if MayChoose(a, &users[i], agencyID) == nil {
			out = append(out, users[i])
		}
	}
	return out, nil
}
