package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/org"
)

// TeamSupervisors returns the IDs of the active supervisors of team.
func (tx *Tx) TeamSupervisors(ctx context.Context, team string) ([]string, error) {
	return tx.queryStrings(ctx, "SELECT id FROM users WHERE team_id = ? AND role = ? AND disabled_at IS NULL ORDER BY id",
		team, string(org.Supervisor))
}

// InsertNotification stores a notification.
func (tx *Tx) InsertNotification(ctx context.Context, n *notify.Notification) error {
	if n.ID == "" {
		n.ID = NewID()
	}
	_, err := tx.exec(ctx, `INSERT INTO notifications (id, user_id, kind, case_id, subject_id, actor_id, created_at, read_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`, n.ID, n.UserID, string(n.Kind), nullStr(n.CaseID), nullStr(n.SubjectID),
		nullStr(n.ActorID), ms(n.CreatedAt))
	return err
}

// Notifications returns user's notifications, newest first, with the case
// code and the actor's name.
func (tx *Tx) Notifications(ctx context.Context, user string, limit int) ([]notify.Notification, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := tx.query(ctx, `SELECT n.id, n.user_id, n.kind, n.case_id, n.subject_id, COALESCE(c.code, ''), n.actor_id,
		COALESCE(u.display_name, ''), n.created_at, n.read_at
		FROM notifications n LEFT JOIN cases c ON c.id = n.case_id LEFT JOIN users u ON u.id = n.actor_id
		WHERE n.user_id = ? ORDER BY n.created_at DESC, n.id DESC LIMIT ?`, user, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []notify.Notification
	for rows.Next() {
		var n notify.Notification
		var kind string
		var caseID, subject, actor sql.NullString
		var created int64
		var read sql.NullInt64
		if err := rows.Scan(&n.ID, &n.UserID, &kind, &caseID, &subject, &n.CaseCode, &actor, &n.ActorName, &created, &read); err != nil {
			return nil, err
		}
		n.Kind, n.CaseID, n.SubjectID, n.ActorID = notify.Kind(kind), caseID.String, subject.String, actor.String
		n.CreatedAt, n.ReadAt = fromMS(created), fromNullMS(read)
		out = append(out, n)
	}
	return out, rows.Err()
}

// UnreadNotifications counts user's unread notifications (at most max).
func (tx *Tx) UnreadNotifications(ctx context.Context, user string, max int) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE user_id = ? AND read_at IS NULL LIMIT ?) x`,
		user, max).Scan(&n)
	return n, err
}

// MarkNotificationsRead marks user's notifications ids (all when empty) read at now.
func (tx *Tx) MarkNotificationsRead(ctx context.Context, user string, ids []string, now time.Time) error {
	q := "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL"
	args := []any{ms(now), user}
	if len(ids) > 0 {
		q += " AND id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	_, err := tx.exec(ctx, q, args...)
	return err
}
