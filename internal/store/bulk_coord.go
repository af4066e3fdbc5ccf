package store

import (
	"strings"

	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/referral"
	"github.com/safecase/safecase/internal/share"
)

// bulkCoord buffers the rows of coordination between agencies: referrals,
// the grants they make, and the notifications about them (which name the
// referral they concern).
type bulkCoord struct {
	referrals, grants, notices *bulkTable
}

// coordTables adds the coordination tables to b, after the cases they
// refer to (the directory and the users are there before a load starts).
func (b *Bulk) coordTables() {
	k := &bulkCoord{}
	k.referrals = newBulkTable("referrals", `id, case_id, screening_id, action_id, service_id, from_agency_id,
		to_agency_id, to_user_id, service_type, reason, urgent, sections, basis, consent_id, override_id, consent_giver,
		consent_on, status, response_due, decline_reason, service_note, outcome, sent_by, sent_at, responded_by,
		responded_at, provided_at, outcome_at, version`)
	k.grants = newBulkTable("case_grants", `id, case_id, via, source_id, user_id, agency_id, role, sections, reason,
		created_by, created_at, expires_at, revoked_at`)
	k.notices = newBulkTable("notifications", "id, user_id, kind, case_id, actor_id, created_at, read_at, subject_id")
	b.coord = k
	b.order = append(b.order, k.referrals, k.grants, k.notices)
}

// Referral buffers a referral as InsertReferral and UpdateReferral leave it.
func (b *Bulk) Referral(r *referral.Referral) {
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.Version == 0 {
		r.Version = 1
	}
	b.coord.referrals.add(r.ID, nullStr(r.CaseID), nullStr(r.ScreeningID), nullStr(r.ActionID), r.ServiceID,
		r.FromAgencyID, nullStr(r.ToAgencyID), nullStr(r.ToUserID), r.ServiceType, r.Reason, r.Urgent,
		jsonList(share.Names(r.Sections)), r.Basis, nullStr(r.ConsentID), nullStr(r.OverrideID), r.ConsentGiver,
		r.ConsentOn, r.Status, nullMS(r.ResponseDue), r.DeclineReason, r.ServiceNote, r.Outcome, r.SentBy, ms(r.SentAt),
		nullStr(r.RespondedBy), nullMS(r.RespondedAt), nullMS(r.ProvidedAt), nullMS(r.OutcomeAt), r.Version)
}

// Grant buffers a grant, revoked when g.RevokedAt is set (as RevokeGrants
// leaves it).
func (b *Bulk) Grant(g *share.Record) {
	if g.ID == "" {
		g.ID = NewID()
	}
	if g.SourceID == "" {
		g.SourceID = g.ID
	}
	roles := make([]string, len(g.Grant.Roles))
	for i, r := range g.Grant.Roles {
		roles[i] = string(r)
	}
	b.coord.grants.add(g.ID, g.CaseID, g.Grant.Via, g.SourceID, nullStr(g.Grant.UserID), nullStr(g.Grant.AgencyID),
		strings.Join(roles, ","), jsonList(share.Names(g.Grant.Sections)), g.Reason, g.CreatedBy, ms(g.CreatedAt),
		nullMS(g.Grant.Until), nullMS(g.RevokedAt))
}

// NotificationAbout buffers a notification that names its subject (a
// referral, transfer or conference), as notify.About makes it.
func (b *Bulk) NotificationAbout(n *notify.Notification) {
	if n.ID == "" {
		n.ID = NewID()
	}
	b.coord.notices.add(n.ID, n.UserID, string(n.Kind), nullStr(n.CaseID), nullStr(n.ActorID), ms(n.CreatedAt),
		nullMS(n.ReadAt), nullStr(n.SubjectID))
}
