package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/safecase/safecase/internal/access"
	"github.com/safecase/safecase/internal/auth"
	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/profile"
)

// RelyingParty is SafeCase as WebAuthn sees it: the site passkeys are bound
// to, from the deployment's base URL. A passkey made for one site never
// answers another, which is what makes passkeys phishing-resistant.
type RelyingParty struct {
	wa     *webauthn.WebAuthn
	ID     string // the relying party ID: the base URL's host name
	Origin string // scheme://host[:port] that the browser reports
}

// MaxPasskeyName is the longest name a passkey may be given, in characters.
const MaxPasskeyName = 60

// NewRelyingParty returns the relying party of the deployment served at
// baseURL (the --base-url setting), e.g. https://safecase.example.org.
// Browsers offer passkeys only to secure sites: the URL must be https, or
// http://localhost for trying SafeCase out; its host must be a name, not an
// IP address.
func NewRelyingParty(baseURL string) (*RelyingParty, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("mfa: passkeys need the base URL of the site, like https://safecase.example.org (got %q)", baseURL)
	}
	host := strings.ToLower(u.Hostname())
	if u.Scheme != "https" && !(u.Scheme == "http" && host == "localhost") {
		return nil, fmt.Errorf("mfa: passkeys need an https base URL (or http://localhost for trying out), not %q", baseURL)
	}
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	f := false
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          host,
		RPDisplayName: "SafeCase",
		RPOrigins:     []string{origin},
		// No attestation: SafeCase does not restrict authenticator models, and
		// asking for attestation would tell it which one each person uses.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementPreferred, // a passkey that can sign in by itself
			RequireResidentKey: &f,
			UserVerification:   protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyFor, TimeoutUVD: CeremonyFor},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyFor, TimeoutUVD: CeremonyFor},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: passkeys for %q: %w", baseURL, err)
	}
	return &RelyingParty{wa: wa, ID: host, Origin: origin}, nil
}

// waUser is a user as the WebAuthn library sees one.
type waUser struct {
	id    []byte
	name  string
	creds []webauthn.Credential
}

func (w *waUser) WebAuthnID() []byte                         { return w.id }
func (w *waUser) WebAuthnName() string                       { return w.name }
func (w *waUser) WebAuthnDisplayName() string                { return w.name }
func (w *waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// userHandle is the user handle a passkey stores for u: the 16 bytes of the
// account's ID, which says nothing about the person.
func userHandle(userID string) []byte {
	id, err := uuid.Parse(userID)
	if err != nil {
		return []byte(userID)
	}
	return id[:]
}

// handleUser returns the account ID a user handle stands for.
func handleUser(h []byte) string {
	id, err := uuid.FromBytes(h)
	if err != nil {
		return ""
	}
	return id.String()
}

// newWAUser returns u with its passkeys as the library wants them. Only the
// username is given to the authenticator, never the person's name.
func newWAUser(u *org.User, keys []Passkey) *waUser {
	w := &waUser{id: userHandle(u.ID), name: u.Username}
	for _, k := range keys {
		w.creds = append(w.creds, k.credential())
	}
	return w
}

// credential returns k as the library's credential.
func (k *Passkey) credential() webauthn.Credential {
	var tr []protocol.AuthenticatorTransport
	for _, t := range k.Transports {
		tr = append(tr, protocol.AuthenticatorTransport(t))
	}
	return webauthn.Credential{
		ID: k.CredentialID, PublicKey: k.PublicKey, AttestationType: k.AttestationType, Transport: tr,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: k.UserVerified,
			BackupEligible: k.BackupEligible, BackupState: k.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: k.SignCount,
			Attachment: protocol.AuthenticatorAttachment(k.Attachment)},
	}
}

// BeginPasskey starts actor a's registration of a passkey. It returns the
// token of the ceremony, which the web layer keeps in a short-lived cookie
// (CeremonyFor), and the options to hand to the browser's
// navigator.credentials.create (as JSON; binary fields are base64url). The
// person's passkeys already registered are excluded, so one authenticator
// is not registered twice.
func BeginPasskey(ctx context.Context, tx Tx, rp *RelyingParty, a access.Actor, now time.Time) (token string, options json.RawMessage, err error) {
	defer errs.Wrap(&err, "mfa.BeginPasskey")
	u, err := own(ctx, tx, a)
	if err != nil {
		return "", nil, err
	}
	keys, err := tx.Passkeys(ctx, u.ID)
	if err != nil {
		return "", nil, err
	}
	user := newWAUser(u, keys)
	var exclude []protocol.CredentialDescriptor
	for _, c := range user.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := rp.wa.BeginRegistration(user, webauthn.WithExclusions(exclude))
	if err != nil {
		return "", nil, err
	}
	token, err = startCeremony(ctx, tx, u.ID, CeremonyRegister, session, now)
	if err != nil {
		return "", nil, err
	}
	options, err = json.Marshal(creation)
	return token, options, err
}

// startCeremony stores session under a new token and returns the token.
func startCeremony(ctx context.Context, tx Tx, userID, kind string, session *webauthn.SessionData, now time.Time) (string, error) {
	data, err := json.Marshal(session)
	if err != nil {
		return "", err
	}
	token, hash := auth.NewToken("")
	c := &Ceremony{ID: hash, UserID: userID, Kind: kind, Data: string(data), CreatedAt: now, ExpiresAt: now.Add(CeremonyFor)}
	return token, tx.InsertCeremony(ctx, c)
}

// takeCeremony takes the ceremony of token (single use) and returns its
// session data, or a refusal when it is unknown, expired, of another kind
// or another user's.
func takeCeremony(ctx context.Context, tx Tx, token, kind, userID string, now time.Time) (*webauthn.SessionData, error) {
	gone := errs.Field("passkey", "err.mfa_ceremony_expired")
	if token == "" {
		return nil, gone
	}
	c, err := tx.TakeCeremony(ctx, auth.HashToken(token))
	switch {
	case errs.KindOf(err) == errs.NotFound:
		return nil, gone
	case err != nil:
		return nil, err
	case c.Kind != kind || c.UserID != userID || !now.Before(c.ExpiresAt):
		return nil, gone
	}
	var s webauthn.SessionData
	if err := json.Unmarshal([]byte(c.Data), &s); err != nil {
		return nil, fmt.Errorf("ceremony data: %w", err)
	}
	return &s, nil
}

// CheckPasskeyName returns name trimmed, or a field error when it is empty,
// longer than MaxPasskeyName characters or holds control characters.
func CheckPasskeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	ok := utf8.ValidString(name) && n > 0 && n <= MaxPasskeyName
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200d' {
			ok = false
		}
	}
	if !ok {
		return "", errs.Field("name", "err.mfa_passkey_name")
	}
	return name, nil
}

// ParseRegistration parses the JSON a browser returns from
// navigator.credentials.create, refusing more than MaxResponse bytes.
func ParseRegistration(response []byte) (*protocol.ParsedCredentialCreationData, error) {
	return parseResponse(response, protocol.ParseCredentialCreationResponseBytes)
}

// ParseAssertion parses the JSON a browser returns from
// navigator.credentials.get, refusing more than MaxResponse bytes.
func ParseAssertion(response []byte) (*protocol.ParsedCredentialAssertionData, error) {
	return parseResponse(response, protocol.ParseCredentialRequestResponseBytes)
}

// parseResponse parses a browser's response with parse, refusing an empty
// one or one of more than MaxResponse bytes; every refusal is the same
// field error on "passkey" (with the parser's reason joined, for the log).
func parseResponse[T any](response []byte, parse func([]byte) (*T, error)) (*T, error) {
	if len(response) == 0 || len(response) > MaxResponse {
		return nil, errs.Field("passkey", "err.mfa_passkey_failed")
	}
	p, err := parse(response)
	if err != nil {
		return nil, errors.Join(errs.Field("passkey", "err.mfa_passkey_failed"), err)
	}
	return p, nil
}

// FinishPasskey completes actor a's registration with the browser's
// response (JSON) to the ceremony of token, naming the passkey name. The
// ceremony is used up when this succeeds; when it fails the transaction is
// rolled back and the person may try again until the ceremony expires. When
// this gives the person their first second factor (and they hold no unused
// recovery codes) it also returns a new set of recovery codes, shown once.
func FinishPasskey(ctx context.Context, tx Tx, rp *RelyingParty, a access.Actor, token, name string, response []byte, now time.Time) (k *Passkey, recovery []string, err error) {
	defer errs.Wrap(&err, "mfa.FinishPasskey")
	u, err := own(ctx, tx, a)
	if err != nil {
		return nil, nil, err
	}
	name, err = CheckPasskeyName(name)
	if err != nil {
		return nil, nil, err
	}
	session, err := takeCeremony(ctx, tx, token, CeremonyRegister, u.ID, now)
	if err != nil {
		return nil, nil, err
	}
	parsed, err := ParseRegistration(response)
	if err != nil {
		return nil, nil, err
	}
	keys, err := tx.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	cred, err := rp.wa.CreateCredential(newWAUser(u, keys), *session, parsed)
	if err != nil {
		return nil, nil, errors.Join(errs.Field("passkey", "err.mfa_passkey_failed"), err)
	}
	k = &Passkey{ID: uuid.Must(uuid.NewV7()).String(), UserID: u.ID, CredentialID: cred.ID, PublicKey: cred.PublicKey,
		AttestationType: cred.AttestationType, AAGUID: cred.Authenticator.AAGUID, SignCount: cred.Authenticator.SignCount,
		UserVerified: cred.Flags.UserVerified, BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		Attachment: string(cred.Authenticator.Attachment), Name: name, CreatedAt: now}
	for _, t := range cred.Transport {
		k.Transports = append(k.Transports, string(t))
	}
	if err := tx.InsertPasskey(ctx, k); err != nil {
		return nil, nil, err
	}
	if recovery, err = ensureRecovery(ctx, tx, a, u, now); err != nil {
		return nil, nil, err
	}
	e := event(a, u, "mfa.passkey_add", now)
	e.Detail = detail(map[string]any{"passkey_id": k.ID, "user_verified": k.UserVerified,
		"synced": k.BackupEligible, "recovery_codes_issued": len(recovery)})
	return k, recovery, tx.Record(ctx, e)
}

// Passkeys lists actor a's passkeys, oldest first, for the account page.
func Passkeys(ctx context.Context, tx Tx, a access.Actor) (keys []Passkey, err error) {
	defer errs.Wrap(&err, "mfa.Passkeys")
	u, err := own(ctx, tx, a)
	if err != nil {
		return nil, err
	}
	return tx.Passkeys(ctx, u.ID)
}

// RenamePasskey renames actor a's passkey id.
func RenamePasskey(ctx context.Context, tx Tx, a access.Actor, id, name string, now time.Time) (err error) {
	defer errs.Wrap(&err, "mfa.RenamePasskey")
	u, err := own(ctx, tx, a)
	if err != nil {
		return err
	}
	if name, err = CheckPasskeyName(name); err != nil {
		return err
	}
	if err := tx.RenamePasskey(ctx, u.ID, id, name); err != nil {
		return err
	}
	e := event(a, u, "mfa.passkey_rename", now)
	e.Detail = detail(map[string]any{"passkey_id": id})
	return tx.Record(ctx, e)
}

// RemovePasskey removes actor a's passkey id. A person whose role must use
// a second factor cannot remove the last one they have; removing the last
// factor removes the recovery codes too.
func RemovePasskey(ctx context.Context, tx Tx, p *profile.Profile, a access.Actor, id string, now time.Time) (err error) {
	defer errs.Wrap(&err, "mfa.RemovePasskey")
	u, err := own(ctx, tx, a)
	if err != nil {
		return err
	}
	st, err := tx.MFAStatus(ctx, u.ID)
	if err != nil {
		return err
	}
	last := !st.TOTP && st.Passkeys == 1
	if last && p.RequiresSecondFactor(u.Role) {
		return errs.Field("passkey", "err.mfa_last_factor")
	}
	if err := tx.DeletePasskey(ctx, u.ID, id); err != nil {
		return err
	}
	var dropped int64
	if last {
		if dropped, err = tx.DeleteRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
	}
	e := event(a, u, "mfa.passkey_remove", now)
	e.Detail = detail(map[string]any{"passkey_id": id, "recovery_codes_removed": dropped})
	return tx.Record(ctx, e)
}

// usePasskey records that k answered with cred (the library's view after a
// valid assertion) at now. It returns the message key of a refusal — the
// sign count went back, as a cloned authenticator's would — or "".
func usePasskey(ctx context.Context, tx Tx, k *Passkey, cred *webauthn.Credential, now time.Time) (string, error) {
	if cred.Authenticator.CloneWarning {
		return "err.mfa_passkey_cloned", nil
	}
	k.SignCount = cred.Authenticator.SignCount
	k.UserVerified, k.BackupState = cred.Flags.UserVerified, cred.Flags.BackupState
	k.LastUsedAt = now
	moved, err := tx.UsePasskey(ctx, k)
	if err != nil {
		return "", err
	}
	if !moved { // another sign-in with the same count got there first
		return "err.mfa_passkey_cloned", nil
	}
	return "", nil
}
