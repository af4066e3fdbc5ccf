package web

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/notify"
	"github.com/safecase/safecase/internal/store"
)

type notificationsPage struct {
	Page
	Items []notify.Notification
}

// getNotifications lists the user's notifications: a kind, a case code and
// who acted — never case content.
func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	p := notificationsPage{Page: s.page(rq, "notifications.title", "")}
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		p.Items, err = tx.Notifications(ctx, rq.User.ID, 100)
		return err
	}); err != nil {
		return err
	}
	if r.URL.Query().Get("done") == "read" {
		p.Flash = "flash.notifications_read"
	}
	return s.render(w, http.StatusOK, "notifications", &p)
}

func (s *Server) markRead(r *http.Request, rq *request, ids []string) error {
	ctx := r.Context()
	if len(ids) > 0 {
		// An id that is not one (not a UUID) names no notification of yours:
		// it is ignored, never sent to the database (PostgreSQL refuses it),
		// and never turns the request into "mark all".
		valid := make([]string, 0, len(ids))
		for _, id := range ids {
			if len(id) == 36 && uuid.Validate(id) == nil {
				valid = append(valid, id)
			}
		}
		if len(valid) == 0 {
			return nil
		}
		ids = valid
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.MarkNotificationsRead(ctx, rq.User.ID, ids, rq.Now); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "notification.read", RecordType: "notification"})
	})
}

func (s *Server) postNotificationsRead(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	if err := s.markRead(r, rq, f.list("id")); err != nil {
		return err
	}
	return redirect(w, r, "/notifications?done=read")
}

type notificationJSON struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	CaseID    string  `json:"case_id"`
	CaseCode  string  `json:"case_code"`
	ActorID   string  `json:"actor_id"`
	CreatedAt *string `json:"created_at"`
	ReadAt    *string `json:"read_at"`
}

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	var items []notify.Notification
	if err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		items, err = tx.Notifications(ctx, rq.User.ID, 100)
		return err
	}); err != nil {
		return err
	}
	out := struct {
		Notifications []notificationJSON `json:"notifications"`
	}{Notifications: []notificationJSON{}}
	for _, n := range items {
		out.Notifications = append(out.Notifications, notificationJSON{ID: n.ID, Kind: string(n.Kind), CaseID: n.CaseID,
			CaseCode: n.CaseCode, ActorID: n.ActorID, CreatedAt: apiTime(n.CreatedAt), ReadAt: apiTime(n.ReadAt)})
	}
	return jsonOK(w, out)
}

func (s *Server) apiNotificationsRead(w http.ResponseWriter, r *http.Request, rq *request) error {
	var in struct {
		IDs []string `json:"ids"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.markRead(r, rq, in.IDs); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
