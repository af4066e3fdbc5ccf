package web

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/signin"
	"github.com/safecase/safecase/internal/store"
)

// One's own second factors: setting up an authenticator app (a QR code and
// the key in groups for typing, confirmed with a code), recovery codes
// (shown once), passkeys (added with the page's script, listed, renamed,
// removed). Every change to a person who already has a factor asks for
// their password again, so that a session left open is not enough to put
// someone else's phone or passkey on the account, or to take the owner's
// away. Each person manages only their own factors (package mfa decides
// with access.KindOwn).

type secondFactorPage struct {
	Page
	Status    mfa.Status
	Required  bool      // the profile says the role must use a second factor
	MustEnrol bool      // … and the person has none yet: the gate holds
	AppSince  time.Time // when the app was confirmed
	Passkeys  []mfa.Passkey
	AppOK     bool // authenticator apps are offered (the deployment's key is there)
	PasskeyOK bool // passkeys are offered (a usable base URL)
	PasskeyJS string

	// The set-up of an app under way: the QR code and the key, shown only in
	// the answer to a POST.
	Enrolment *mfa.Enrolment
	// Recovery codes just made, shown once.
	Recovery []string
	// What was typed into the form that failed, kept.
	Name string
	// The password asked for before a change.
	Confirm *confirmation
}

// QR is the set-up's QR code as the image's address: a PNG in a data: URL
// made by package mfa, never a third party's image service.
func (p *secondFactorPage) QR() template.URL {
	if p.Enrolment == nil || !strings.HasPrefix(p.Enrolment.QR, "data:image/png;base64,") {
		return ""
	}
	return template.URL(p.Enrolment.QR)
}

// RecoveryMax is how many recovery codes a set holds.
func (p *secondFactorPage) RecoveryMax() int { return mfa.RecoveryCount }

// loadSecondFactor reads rq's user's second factors for the page.
func (s *Server) loadSecondFactor(ctx context.Context, rq *request) (*secondFactorPage, error) {
	p := &secondFactorPage{Page: s.page(rq, "second_factor.title", ""), Required: s.prof.RequiresSecondFactor(rq.User.Role),
		MustEnrol: rq.MustEnrol, AppOK: s.second.sealer != nil, PasskeyOK: s.second.rp != nil,
		PasskeyJS: s.static.url("passkey.js")}
	err := s.db.Read(ctx, func(tx *store.Tx) (err error) {
		if p.Status, err = mfa.StatusOf(ctx, tx, rq.User.ID); err != nil {
			return err
		}
		if p.Status.TOTP {
			t, err := tx.TOTP(ctx, rq.User.ID)
			if err != nil {
				return err
			}
			p.AppSince = t.ConfirmedAt
		}
		p.Passkeys, err = mfa.Passkeys(ctx, tx, rq.Actor)
		return err
	})
	return p, err
}

// showSecondFactor renders the page with status and the errors of err, or
// returns err when it is not a refusal to show there.
func (s *Server) showSecondFactor(w http.ResponseWriter, r *http.Request, rq *request, status int, err error, keep func(*secondFactorPage)) error {
	fe, ok := errs.AsFields(err)
	if err != nil && !ok {
		return err
	}
	p, perr := s.loadSecondFactor(r.Context(), rq)
	if perr != nil {
		return perr
	}
	p.Errors = fe
	if keep != nil {
		keep(p)
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, status, "second_factor", p)
}

// getSecondFactor shows one's second factors, or leads a person who must
// set one up through doing so.
func (s *Server) getSecondFactor(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.showSecondFactor(w, r, rq, http.StatusOK, nil, func(p *secondFactorPage) {
		switch r.URL.Query().Get("done") {
		case "app":
			p.Flash = "flash.mfa_app_added"
		case "app_removed":
			p.Flash = "flash.mfa_app_removed"
		case "passkey":
			p.Flash = "flash.mfa_passkey_added"
		case "renamed":
			p.Flash = "flash.mfa_passkey_renamed"
		case "passkey_removed":
			p.Flash = "flash.mfa_passkey_removed"
		case "recovery_used":
			p.Flash = "flash.mfa_recovery_used"
		}
	})
}

// confirmPassword checks the password rq's user typed to confirm a change
// to their second factors (see ownPassword).
func (s *Server) confirmPassword(r *http.Request, rq *request, password string) error {
	if password == "" {
		return errs.Field("password", "err.mfa_password")
	}
	return s.ownPassword(r, rq, "password", password)
}

// ownPassword checks the password rq's user typed in field to confirm a
// change to their own account (their second factors, their password). A
// wrong one is counted by the sign-in throttle for the account and
// address, as a failed sign-in is (audited, and listed to the owner as
// one), so a session or a token left open is no place to guess it; while
// the throttle holds, the field says how long to wait.
func (s *Server) ownPassword(r *http.Request, rq *request, field, password string) error {
	ctx, ip, pol := r.Context(), s.clientIP(r), s.cfg.SignIn
	name := signin.Normalize(rq.User.Username)
	err := s.db.Read(ctx, func(tx *store.Tx) error { return signin.Check(ctx, tx, pol, name, ip, rq.Now) })
	var a *signin.Attempt
	if err == nil {
		err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
			a, err = signin.Begin(ctx, tx, pol, name, ip, rq.Now)
			return err
		})
	}
	var we *signin.WaitError
	if errors.As(err, &we) {
		return errs.Field(field, "err.mfa_password_wait", waitWords(rq.L, we.Seconds()))
	}
	if err != nil {
		return err
	}
	ok, err := auth.CheckPassword(rq.User.PasswordHash, password)
	if err != nil && !errors.Is(err, auth.ErrBadHash) {
		return err
	}
	if err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if ok {
			return signin.Release(ctx, tx, pol, a)
		}
		return signin.Fail(ctx, tx, a)
	}); err != nil {
		return err
	}
	if !ok {
		return errs.Field(field, "err.wrong_password")
	}
	return nil
}

// enrolled reports whether rq's user has a second factor set up.
func (s *Server) enrolled(ctx context.Context, rq *request) (bool, error) {
	if rq.MustEnrol {
		return false, nil
	}
	st, err := s.factorStatus(ctx, rq.User.ID)
	return st.Enrolled(), err
}

// factorStatus reads which second factors user userID has set up.
func (s *Server) factorStatus(ctx context.Context, userID string) (st mfa.Status, err error) {
	err = s.db.Read(ctx, func(tx *store.Tx) (err error) {
		st, err = mfa.StatusOf(ctx, tx, userID)
		return err
	})
	return st, err
}

// confirmIfEnrolled checks the password when rq's user already has a
// second factor: their first one is set up right after signing in, led
// there by the gate, without typing it again.
func (s *Server) confirmIfEnrolled(r *http.Request, rq *request, password string) error {
	has, err := s.enrolled(r.Context(), rq)
	if err != nil || !has {
		return err
	}
	return s.confirmPassword(r, rq, password)
}

// confirmation is a change to one's second factors that asks for the
// password first, on a page of its own (second_factor_confirm): its form
// posts back to the same route with the password.
type confirmation struct {
	Action  string // the route, which the form posts to again
	Heading string // message keys
	Intro   string
	Button  string
	Subject string // what the intro names (a passkey's name), if anything
	Danger  bool
}

// reconfirm asks for the password before change c, and reports whether it
// answered the request: with the page that asks (when the form came without
// it) or with the page again saying what was wrong. When it returns false,
// the password was right and the change goes ahead.
func (s *Server) reconfirm(w http.ResponseWriter, r *http.Request, rq *request, f *form, c confirmation) (bool, error) {
	status := http.StatusOK
	var fe errs.Fields
	if f.raw("password") != "" || f.bool("confirm") {
		err := s.confirmPassword(r, rq, f.raw("password"))
		if err == nil {
			return false, nil
		}
		var ok bool
		if fe, ok = errs.AsFields(err); !ok {
			return true, err
		}
		status = http.StatusUnprocessableEntity
	}
	p := &secondFactorPage{Page: s.page(rq, c.Heading, ""), Confirm: &c}
	p.Errors = fe
	w.Header().Set("Cache-Control", "no-store")
	return true, s.render(w, status, "second_factor_confirm", p)
}

// errNoApps refuses the app's routes on a server without the key to seal its secrets.
var errNoApps = errs.E(errs.NotFound, "authenticator apps are not offered: the server has no deployment key")

// errNoPasskeys refuses the passkey routes on a server without a usable base URL.
var errNoPasskeys = errs.E(errs.NotFound, "passkeys are not offered: the server has no usable base URL")

// postStartTOTP begins setting up an authenticator app (or a new phone's,
// which replaces the old one once confirmed) and shows its QR code and key.
func (s *Server) postStartTOTP(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.second.sealer == nil {
		return errNoApps
	}
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	// A new phone replaces the app the person has: only with the password.
	if has, err := s.enrolled(ctx, rq); err != nil {
		return err
	} else if has {
		if done, err := s.reconfirm(w, r, rq, f, confirmation{Action: "/account/second-factor/totp",
			Heading: "second_factor.confirm_app_title", Intro: "second_factor.confirm_app",
			Button: "second_factor.app_new"}); done {
			return err
		}
	}
	var en *mfa.Enrolment
	if err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		en, err = mfa.StartTOTP(ctx, tx, s.second.sealer, rq.Actor, rq.Now)
		return err
	}); err != nil {
		return err
	}
	return s.showTOTP(w, rq, http.StatusOK, en, nil)
}

// showTOTP shows the set-up of an app under way: the QR code, the key and
// the form for the first code.
func (s *Server) showTOTP(w http.ResponseWriter, rq *request, status int, en *mfa.Enrolment, fe errs.Fields) error {
	p := &secondFactorPage{Page: s.page(rq, "second_factor.app_title", ""), Enrolment: en, MustEnrol: rq.MustEnrol}
	p.Errors = fe
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, status, "second_factor_app", p)
}

// postConfirmTOTP completes the set-up with the app's first code; a first
// factor comes with recovery codes, shown once.
func (s *Server) postConfirmTOTP(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.second.sealer == nil {
		return errNoApps
	}
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var codes []string
	err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		codes, err = mfa.ConfirmTOTP(ctx, tx, s.second.sealer, rq.Actor, f.raw("code"), rq.Now)
		return err
	})
	if fe, ok := errs.AsFields(err); ok {
		// Asked again with the same QR code, unless the set-up is gone.
		var en *mfa.Enrolment
		perr := s.db.Read(ctx, func(tx *store.Tx) (err error) {
			en, err = mfa.PendingTOTP(ctx, tx, s.second.sealer, rq.Actor, rq.Now)
			return err
		})
		if gone, ok := errs.AsFields(perr); ok {
			return s.showSecondFactor(w, r, rq, http.StatusUnprocessableEntity, renameField(gone, "code", "totp"), nil)
		}
		if perr != nil {
			return perr
		}
		return s.showTOTP(w, rq, http.StatusUnprocessableEntity, en, renameField(fe, "code", "app_code"))
	}
	if err != nil {
		return err
	}
	if codes != nil {
		return s.showRecovery(w, rq, codes, "second_factor.codes_first")
	}
	return redirect(w, r, "/account/second-factor?done=app")
}

// showRecovery shows recovery codes just made, once, ready to print; intro
// is the message key that says why there are new ones.
func (s *Server) showRecovery(w http.ResponseWriter, rq *request, codes []string, intro string) error {
	p := &secondFactorPage{Page: s.page(rq, "second_factor.codes_title", ""), Recovery: codes}
	p.Flash = intro
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, http.StatusOK, "second_factor_codes", p)
}

// postRemoveTOTP removes the authenticator app, after the password; the
// last factor of a role that must use one stays (package mfa refuses).
func (s *Server) postRemoveTOTP(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	if done, err := s.reconfirm(w, r, rq, f, confirmation{Action: "/account/second-factor/totp/remove",
		Heading: "second_factor.confirm_app_remove_title", Intro: "second_factor.confirm_app_remove",
		Button: "second_factor.app_remove", Danger: true}); done {
		return err
	}
	ctx := r.Context()
	err = s.db.Tx(ctx, func(tx *store.Tx) error { return mfa.RemoveTOTP(ctx, tx, s.prof, rq.Actor, rq.Now) })
	return s.factorChanged(w, r, rq, err, "app_removed")
}

// factorChanged answers a change to one's second factors that ended with
// err: a refusal shows the page again saying what was wrong, any other error
// is returned, and a change made goes back to the page, whose done says so.
func (s *Server) factorChanged(w http.ResponseWriter, r *http.Request, rq *request, err error, done string) error {
	if errs.KindOf(err) == errs.Invalid {
		return s.showSecondFactor(w, r, rq, http.StatusUnprocessableEntity, err, nil)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/account/second-factor?done="+done)
}

// postRecoveryCodes makes a new set of recovery codes, after the password;
// the old ones stop working.
func (s *Server) postRecoveryCodes(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	if done, err := s.reconfirm(w, r, rq, f, confirmation{Action: "/account/second-factor/recovery",
		Heading: "second_factor.confirm_codes_title", Intro: "second_factor.confirm_codes",
		Button: "second_factor.codes_make"}); done {
		return err
	}
	ctx := r.Context()
	var codes []string
	err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		codes, err = mfa.NewRecoveryCodes(ctx, tx, rq.Actor, rq.Now)
		return err
	})
	if errs.KindOf(err) == errs.Invalid {
		return s.showSecondFactor(w, r, rq, http.StatusUnprocessableEntity, err, nil)
	}
	if err != nil {
		return err
	}
	return s.showRecovery(w, rq, codes, "second_factor.codes_new")
}

// postBeginPasskey starts adding a passkey, for the page's script: it
// checks the name (and the password, when the person has a factor
// already), keeps the ceremony's token in a short-lived cookie and answers
// the options for navigator.credentials.create as JSON. Refusals answer
// JSON too, each field error with its message in plain words.
func (s *Server) postBeginPasskey(w http.ResponseWriter, r *http.Request, rq *request) error {
	rq.API = true
	if s.second.rp == nil {
		return errNoPasskeys
	}
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	if _, err := mfa.CheckPasskeyName(f.raw("name")); err != nil {
		return err
	}
	if err := s.confirmIfEnrolled(r, rq, f.raw("password")); err != nil {
		return err
	}
	ctx := r.Context()
	var token string
	var opts json.RawMessage
	if err := s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		token, opts, err = mfa.BeginPasskey(ctx, tx, s.second.rp, rq.Actor, rq.Now)
		return err
	}); err != nil {
		return err
	}
	s.setShortCookie(w, s.ceremonyCookie(), token, mfa.CeremonyFor)
	return writeRawJSON(w, opts)
}

// postFinishPasskey registers the passkey the browser made: the page's
// script posts its answer (JSON) in the field "credential" with the name.
// A first factor comes with recovery codes, shown once.
func (s *Server) postFinishPasskey(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.second.rp == nil {
		return errNoPasskeys
	}
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(f.raw("credential")) == "" {
		// The form sent without the script (Enter in the name field).
		return s.showSecondFactor(w, r, rq, http.StatusUnprocessableEntity, errs.Field("passkey", "err.mfa_passkey_js"),
			func(p *secondFactorPage) { p.Name = f.str("name") })
	}
	ctx := r.Context()
	var codes []string
	err = s.db.Tx(ctx, func(tx *store.Tx) (err error) {
		_, codes, err = mfa.FinishPasskey(ctx, tx, s.second.rp, rq.Actor, cookieValue(r, s.ceremonyCookie()),
			f.raw("name"), []byte(f.raw("credential")), rq.Now)
		return err
	})
	if errs.KindOf(err) == errs.Invalid {
		if fe, ok := errs.AsFields(err); ok && fe.Has("passkey") {
			s.dropCookie(w, s.ceremonyCookie())
		}
		return s.showSecondFactor(w, r, rq, http.StatusUnprocessableEntity, err, func(p *secondFactorPage) { p.Name = f.str("name") })
	}
	if err != nil {
		return err
	}
	s.dropCookie(w, s.ceremonyCookie())
	if codes != nil {
		return s.showRecovery(w, rq, codes, "second_factor.codes_first")
	}
	return redirect(w, r, "/account/second-factor?done=passkey")
}

// postRenamePasskey renames one of one's passkeys.
func (s *Server) postRenamePasskey(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.postForm(w, r, formPost{
		Op: func(ctx context.Context, tx *store.Tx, f *form) error {
			return mfa.RenamePasskey(ctx, tx, rq.Actor, r.PathValue("id"), f.raw("name"), rq.Now)
		},
		Next: to("/account/second-factor?done=renamed"),
		Again: func(fe errs.Fields, status int) error {
			return s.showSecondFactor(w, r, rq, status, fe, nil)
		},
	})
}

// postRemovePasskey removes one of one's passkeys, after the password.
func (s *Server) postRemovePasskey(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := parseForm(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	id := r.PathValue("id")
	// A passkey that is not the person's answers like a missing one before
	// the password is asked for.
	var mine *mfa.Passkey
	if err := s.db.Read(ctx, func(tx *store.Tx) error {
		keys, err := mfa.Passkeys(ctx, tx, rq.Actor)
		for i := range keys {
			if keys[i].ID == id {
				mine = &keys[i]
			}
		}
		return err
	}); err != nil {
		return err
	}
	if mine == nil {
		return errs.E(errs.NotFound, "passkey %s", id)
	}
	if done, err := s.reconfirm(w, r, rq, f, confirmation{Action: "/account/second-factor/passkeys/" + id + "/remove",
		Heading: "second_factor.confirm_passkey_remove_title", Intro: "second_factor.confirm_passkey_remove",
		Button: "second_factor.passkey_remove", Subject: mine.Name, Danger: true}); done {
		return err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error { return mfa.RemovePasskey(ctx, tx, s.prof, rq.Actor, id, rq.Now) })
	return s.factorChanged(w, r, rq, err, "passkey_removed")
}

// secondFactorJSON is GET /api/v1/account/second-factor.
type secondFactorJSON struct {
	Required          bool `json:"required"`
	TOTP              bool `json:"totp"`
	Passkeys          int  `json:"passkeys"`
	RecoveryCodesLeft int  `json:"recovery_codes_left"`
	TOTPOffered       bool `json:"totp_offered"`
	PasskeysOffered   bool `json:"passkeys_offered"`
}

// apiSecondFactor says what second factors the caller has set up; they are
// set up on the account pages, never through the API.
func (s *Server) apiSecondFactor(w http.ResponseWriter, r *http.Request, rq *request) error {
	if d := access.Decide(rq.Actor, access.View, access.Resource{Kind: access.KindOwn, OwnerID: rq.User.ID}); !d.Allow {
		return errs.E(errs.Forbidden, "second factor: %s", d.Reason)
	}
	st, err := s.factorStatus(r.Context(), rq.User.ID)
	if err != nil {
		return err
	}
	return jsonOK(w, secondFactorJSON{Required: s.prof.RequiresSecondFactor(rq.User.Role), TOTP: st.TOTP,
		Passkeys: st.Passkeys, RecoveryCodesLeft: st.RecoveryLeft, TOTPOffered: s.second.sealer != nil,
		PasskeysOffered: s.second.rp != nil})
}
