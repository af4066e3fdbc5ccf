package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/store"
)

var time0 time.Time

type accountPage struct {
	Page
	Tokens   []store.APIToken
	NewToken string // shown once, right after creation
	Agency   string
	Team     string
	SignIns  *signInFailures
}

func (s *Server) loadAccount(ctx context.Context, rq *request) (*accountPage, error) {
	p := &accountPage{Page: s.page(rq, "account.title", "")}
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Tokens, err = tx.Tokens(ctx, rq.User.ID); err != nil {
			return err
		}
		if p.SignIns, err = s.loadSignInFailures(ctx, tx, rq.User.ID, rq.Now, true); err != nil {
			return err
		}
		if a, err := tx.Agency(ctx, rq.User.AgencyID); err == nil {
			p.Agency = a.Name
		}
		if rq.User.TeamID != "" {
			if t, err := tx.Team(ctx, rq.User.TeamID); err == nil {
				p.Team = t.Name
			}
		}
		return nil
	})
	return p, err
}

// getAccount shows the user's own account: password and API tokens.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, rq *request) error {
	p, err := s.loadAccount(r.Context(), rq)
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "password":
		p.Flash = "flash.password_changed"
	case "revoked":
		p.Flash = "flash.token_revoked"
	}
	return s.render(w, http.StatusOK, "account", p)
}

// changePassword checks the current password and sets a new one; every
// other session of the user ends.
func (s *Server) changePassword(ctx context.Context, rq *request, current, next, confirm string) error {
	var f errs.Fields
	ok, err := auth.CheckPassword(rq.User.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		f.Add("current_password", "err.wrong_password")
	}
	if key, args := org.PasswordProblem(next, rq.User.Username, rq.User.DisplayName, rq.User.Email); key != "" {
		f.Add("new_password", key, args...)
	} else if next != confirm {
		f.Add("confirm_password", "err.password_mismatch")
	} else if next == current {
		f.Add("new_password", "err.password_same")
	}
	if err := f.Err(); err != nil {
		return err
	}
	hash, err := auth.HashPassword(next, s.cfg.PasswordParams)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.User(ctx, rq.User.ID)
		if err != nil {
			return err
		}
		u.PasswordHash, u.MustChangePassword, u.UpdatedAt = hash, false, rq.Now
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "user.password", RecordType: "user", RecordID: u.ID})
	})
}

func (s *Server) postPassword(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	err = s.changePassword(r.Context(), rq, f.raw("current_password"), f.raw("new_password"), f.raw("confirm_password"))
	if fe, ok := fieldErrors(err); ok {
		p, perr := s.loadAccount(r.Context(), rq)
		if perr != nil {
			return perr
		}
		p.Errors = fe
		return s.render(w, http.StatusUnprocessableEntity, "account", p)
	}
	if err != nil {
		return err
	}
	// The old sessions are gone; this browser gets a new one.
	u := *rq.User
	u.MustChangePassword = false
	if err := s.startSession(w, r, rq, &u); err != nil {
		return err
	}
	return redirect(w, r, "/account?done=password")
}

// addToken creates a personal API token for rq's user; the token itself is
// returned once and only its hash is kept.
func (s *Server) addToken(ctx context.Context, rq *request, name string, days int) (string, *store.APIToken, error) {
	if d := access.Decide(rq.Actor, access.Create, access.Resource{Kind: access.KindOwn, OwnerID: rq.User.ID}); !d.Allow {
		return "", nil, errs.E(errs.Forbidden, "token: %s", d.Reason)
	}
	name = strings.TrimSpace(name)
	var f errs.Fields
	if name == "" || len(name) > 100 {
		f.Add("name", "err.required")
	}
	if days < 0 || days > 365 {
		f.Add("days", "err.token_days")
	}
	if err := f.Err(); err != nil {
		return "", nil, err
	}
	tok, hash := auth.NewToken("sc_")
	t := &store.APIToken{UserID: rq.User.ID, Name: name, Hash: hash, CreatedAt: rq.Now}
	if days > 0 {
		t.ExpiresAt = rq.Now.Add(time.Duration(days) * 24 * time.Hour)
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertToken(ctx, t); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "token.create", RecordType: "api_token", RecordID: t.ID})
	})
	return tok, t, err
}

func (s *Server) postToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	days, _ := strconv.Atoi(f.str("days"))
	tok, _, err := s.addToken(r.Context(), rq, f.str("name"), days)
	p, perr := s.loadAccount(r.Context(), rq)
	if perr != nil {
		return perr
	}
	if fe, ok := fieldErrors(err); ok {
		p.Errors = fe
		return s.render(w, http.StatusUnprocessableEntity, "account", p)
	}
	if err != nil {
		return err
	}
	p.NewToken = tok
	return s.render(w, http.StatusOK, "account", p)
}

func (s *Server) revokeToken(ctx context.Context, rq *request, id string) error {
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.RevokeToken(ctx, rq.User.ID, id, rq.Now); err != nil {
			return err
		}
		return tx.Record(ctx, audit.Event{Action: "token.revoke", RecordType: "api_token", RecordID: id})
	})
}

func (s *Server) postRevokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.revokeToken(r.Context(), rq, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/account?done=revoked")
}
