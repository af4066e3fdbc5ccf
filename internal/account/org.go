package account

import (
	"context"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
)

// Teams and agencies are administered here, beside the accounts, rather
// than in package org: org holds the values and their validation and needs
// no storage, access or audit trail, while adding a team or an agency is an
// administrator's act like adding a user — decided through access, by an
// Operator (a signed-in administrator or the shell), recorded by the one
// event function of this package. The pages, the JSON API and
// 'safecase user add' call AddTeam and AddAgency.

// Scope is the agency whose users and teams actor a administers: any one
// they choose (every agency when none) for a system administrator, their
// own for anyone else.
func Scope(a access.Actor, chosen string) string {
	if a.Role == org.SystemAdmin {
		return chosen
	}
	return a.AgencyID
}

// May checks, through access, that actor a may do act on the records of
// kind (users, teams or agencies) of agency; a system administrator naming
// no agency acts from their own. A refusal is a Forbidden error.
func May(a access.Actor, act access.Action, kind access.Kind, agency string) error {
	if agency == "" && a.Role == org.SystemAdmin {
		agency = a.AgencyID
	}
	if d := access.Decide(a, act, access.Resource{Kind: kind, AgencyID: agency}); !d.Allow {
		return errs.E(errs.Forbidden, "%s %s: %s", act, kind, d.Reason)
	}
	return nil
}

// may is May for operator o; the shell operator may do anything.
func (o Operator) may(act access.Action, kind access.Kind, agency string) error {
	if o.Shell {
		return nil
	}
	return May(o.Actor, act, kind, agency)
}

// agencyExists checks that agency id exists: a missing one is the field
// error of field; any other failure (the database, the context) is
// returned as it is.
func agencyExists(ctx context.Context, tx Tx, field, id string) error {
	ok, err := tx.AgencyExists(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Field(field, "err.choose")
	}
	return nil
}

// AddTeam adds the team in, made by o: an administrator adds teams to their
// own agency (a system administrator to the one chosen, their own when
// none is), the shell operator to any.
func AddTeam(ctx context.Context, tx Tx, o Operator, in org.NewTeam, now time.Time) (*org.Team, error) {
	if !o.Shell && (o.Actor.Role != org.SystemAdmin || in.AgencyID == "") {
		in.AgencyID = o.Actor.AgencyID
	}
	if err := o.may(access.Create, access.KindTeam, in.AgencyID); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := agencyExists(ctx, tx, "agency_id", in.AgencyID); err != nil {
		return nil, err
	}
	t := &org.Team{AgencyID: in.AgencyID, Name: in.Name, CreatedAt: now}
	if err := tx.InsertTeam(ctx, t); err != nil {
		return nil, err
	}
	if err := tx.Record(ctx, o.record("team.create", "team", t.ID, t.AgencyID, nil)); err != nil {
		return nil, err
	}
	return t, nil
}

// AddAgency adds the agency in, made by o: a system administrator, or the
// shell operator (who makes the first agency of a deployment).
func AddAgency(ctx context.Context, tx Tx, o Operator, in org.NewAgency, now time.Time) (*org.Agency, error) {
	if err := o.may(access.Manage, access.KindAgency, ""); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	a := &org.Agency{Name: in.Name, Code: in.Code, CreatedAt: now}
	if err := tx.InsertAgency(ctx, a); err != nil {
		return nil, err
	}
	if err := tx.Record(ctx, o.record("agency.create", "agency", a.ID, a.ID, nil)); err != nil {
		return nil, err
	}
	return a, nil
}
