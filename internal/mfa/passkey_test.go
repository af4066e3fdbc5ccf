package mfa_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/org"
	"github.com/safecase/safecase/internal/passkeytest"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

const origin = "http://localhost:8080"

func relyingParty(t testing.TB) *mfa.RelyingParty {
	t.Helper()
	rp, err := mfa.NewRelyingParty(origin)
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

func TestNewRelyingParty(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://safecase.example.org":     "safecase.example.org https://safecase.example.org",
		"https://SafeCase.Example.org/":    "safecase.example.org https://safecase.example.org",
		"https://cases.example.org:8443":   "cases.example.org https://cases.example.org:8443",
		"http://localhost:8080":            "localhost http://localhost:8080",
		"http://safecase.example.org":      "",
		"https://10.0.0.5":                 "",
		"http://127.0.0.1:8080":            "",
		"https://example.org/safecase":     "",
		"https://user:pw@example.org":      "",
		"":                                 "",
		"safecase.example.org":             "",
		"https://example.org/?next=/cases": "",
	} {
		rp, err := mfa.NewRelyingParty(in)
		got := ""
		if err == nil {
			got = rp.ID + " " + rp.Origin
		}
		if got != want {
			t.Errorf("NewRelyingParty(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// register runs a whole registration ceremony of a's passkey for u, named
// name, and returns the passkey and any recovery codes it gave.
func register(t *testing.T, db *store.DB, rp *mfa.RelyingParty, u *org.User, a *passkeytest.Authenticator, name string, when time.Time) (*mfa.Passkey, []string, error) {
	t.Helper()
	return registerAt(t, db, rp, u, a, name, when, when)
}

// registerAt is register with the ceremony begun at begun and answered at
// answered.
func registerAt(t *testing.T, db *store.DB, rp *mfa.RelyingParty, u *org.User, a *passkeytest.Authenticator, name string, begun, answered time.Time) (*mfa.Passkey, []string, error) {
	t.Helper()
	var token string
	var opts json.RawMessage
	fixture.In(t, db, func(tx *store.Tx) (err error) {
		token, opts, err = mfa.BeginPasskey(ctx, tx, rp, fixture.Actor(u), begun)
		return err
	})
	resp := a.Create(t, opts)
	var k *mfa.Passkey
	var codes []string
	err := db.Tx(ctx, func(tx *store.Tx) (err error) {
		k, codes, err = mfa.FinishPasskey(ctx, tx, rp, fixture.Actor(u), token, name, resp, answered)
		return err
	})
	return k, codes, err
}

// passkeyStep runs the passkey step of a pending sign-in with a.
func passkeyStep(t *testing.T, db *store.DB, rp *mfa.RelyingParty, token string, a *passkeytest.Authenticator, when time.Time) (mfa.Outcome, []byte) {
	t.Helper()
	var opts json.RawMessage
	fixture.In(t, db, func(tx *store.Tx) (err error) {
		opts, err = mfa.BeginPasskeyStep(ctx, tx, rp, token, when)
		return err
	})
	resp := a.Get(t, opts)
	return answer(t, db, rp, token, mfa.Answer{Passkey: resp}, when), resp
}

func passkeys(t *testing.T, db *store.DB, u *org.User) []mfa.Passkey {
	t.Helper()
	var out []mfa.Passkey
	fixture.Read(t, db, func(tx *store.Tx) (err error) {
		out, err = mfa.Passkeys(ctx, tx, fixture.Actor(u))
		return err
	})
	return out
}

// TestPasskeyCeremonies runs real registration and sign-in ceremonies
// through go-webauthn with a software authenticator: the options say what
// SafeCase asks for; the passkey is stored with its key, count, transports
// and name; it answers the second step, once per challenge; a sign count
// that goes back is refused; a response made for another site is refused.
func TestPasskeyCeremonies(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := o.Caseworker
		rp := relyingParty(t)
		dev := passkeytest.New(t, origin)

		var token string
		var raw json.RawMessage
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			token, raw, err = mfa.BeginPasskey(ctx, tx, rp, fixture.Actor(cw), now)
			return err
		})
		opts := passkeytest.ReadOptions(t, raw)
		sel := opts.PublicKey.AuthenticatorSelection
		if opts.PublicKey.RP.ID != "localhost" || opts.PublicKey.User.Name != cw.Username || sel.ResidentKey != "preferred" ||
			sel.UserVerification != "preferred" || opts.PublicKey.Attestation != "none" || len(opts.PublicKey.Exclude) != 0 {
			t.Errorf("creation options %s", raw)
		}
		if strings.Contains(string(raw), cw.DisplayName) {
			t.Errorf("the options name the person: %s", raw)
		}
		resp := dev.Create(t, raw)
		for _, bad := range []string{"", " ", strings.Repeat("x", mfa.MaxPasskeyName+1), "laptop\x00", "a\u202eb"} {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				_, _, err := mfa.FinishPasskey(ctx, tx, rp, fixture.Actor(cw), token, bad, resp, now)
				return err
			})
			if refusal(err) != "name err.mfa_passkey_name" {
				t.Errorf("name %q: %v", bad, err)
			}
		}
		// Another person cannot finish this ceremony.
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, _, err := mfa.FinishPasskey(ctx, tx, rp, fixture.Actor(o.Caseworker2), token, "mine", resp, now)
			return err
		})
		if refusal(err) != "passkey err.mfa_ceremony_expired" {
			t.Errorf("another user finishes the ceremony: %v", err)
		}
		var k *mfa.Passkey
		var codes []string
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			k, codes, err = mfa.FinishPasskey(ctx, tx, rp, fixture.Actor(cw), token, "  Work laptop ", resp, now)
			return err
		})
		if k.Name != "Work laptop" || string(k.CredentialID) != string(dev.CredID) || k.SignCount != 0 || !k.UserVerified ||
			strings.Join(k.Transports, ",") != "internal,hybrid" || len(k.AAGUID) != 16 || k.Attachment != "platform" {
			t.Errorf("passkey %+v", k)
		}
		if len(codes) != mfa.RecoveryCount {
			t.Errorf("a first factor gives recovery codes: %v", codes)
		}
		// The ceremony is used up.
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, _, err := mfa.FinishPasskey(ctx, tx, rp, fixture.Actor(cw), token, "again", resp, now)
			return err
		})
		if refusal(err) != "passkey err.mfa_ceremony_expired" {
			t.Errorf("the ceremony twice: %v", err)
		}
		got := passkeys(t, db, cw)
		if len(got) != 1 || got[0].ID != k.ID || string(got[0].PublicKey) != string(k.PublicKey) || got[0].Name != "Work laptop" {
			t.Fatalf("stored passkeys %+v", got)
		}
		st := status(t, db, cw)
		if st.Passkeys != 1 || st.TOTP || mfa.MustEnrol(prof, cw.Role, st) || !mfa.NeedsSecondStep(st) {
			t.Errorf("status %+v", st)
		}

		// A second registration excludes the first; the same authenticator is refused.
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			_, raw, err = mfa.BeginPasskey(ctx, tx, rp, fixture.Actor(cw), now)
			return err
		})
		if ex := passkeytest.ReadOptions(t, raw).PublicKey.Exclude; len(ex) != 1 || ex[0].ID != base64.RawURLEncoding.EncodeToString(dev.CredID) {
			t.Errorf("excluded %+v", ex)
		}
		if _, _, err := register(t, db, rp, cw, dev, "same one", now); refusal(err) != "passkey err.mfa_passkey_known" {
			t.Errorf("the same authenticator again: %v", err)
		}
		// Expired ceremony.
		if _, _, err := registerAt(t, db, rp, cw, passkeytest.New(t, origin), "late", now, now.Add(mfa.CeremonyFor)); refusal(err) != "passkey err.mfa_ceremony_expired" {
			t.Errorf("finished after %v: %v", mfa.CeremonyFor, err)
		}
		// Made for another site (a phishing page): refused.
		if _, _, err := register(t, db, rp, cw, passkeytest.New(t, "https://safecase-login.example"), "phished", now); refusal(err) != "passkey err.mfa_passkey_failed" {
			t.Errorf("another origin registers: %v", err)
		}

		// The second step.
		at := now.Add(time.Hour)
		tok := startSignIn(t, db, cw, at)
		if s, err := lookup(db, tok, at); err != nil || s.Status.Passkeys != 1 {
			t.Errorf("lookup %+v, %v", s, err)
		}
		var stepOpts json.RawMessage
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			stepOpts, err = mfa.BeginPasskeyStep(ctx, tx, rp, tok, at)
			return err
		})
		so := passkeytest.ReadOptions(t, stepOpts)
		if so.PublicKey.RPID != "localhost" || len(so.PublicKey.Allow) != 1 || so.PublicKey.Allow[0].ID != base64.RawURLEncoding.EncodeToString(dev.CredID) ||
			so.PublicKey.UserVerification != "preferred" {
			t.Errorf("request options %s", stepOpts)
		}
		good := dev.Get(t, stepOpts)
		out := answer(t, db, rp, tok, mfa.Answer{Passkey: good}, at)
		if out.UserID != cw.ID || out.Method != mfa.MethodPasskey {
			t.Fatalf("passkey step: %+v", out)
		}
		if got := passkeys(t, db, cw)[0]; got.SignCount != 1 || !got.LastUsedAt.Equal(at) {
			t.Errorf("after use: count %d, last used %v", got.SignCount, got.LastUsedAt)
		}

		// A response replayed on a new sign-in: its challenge is not the new one.
		tok = startSignIn(t, db, cw, at)
		if out := answer(t, db, rp, tok, mfa.Answer{Passkey: good}, at); refusal(out.Refused) != "passkey err.mfa_no_passkey" {
			t.Errorf("replay without a step under way: %+v", out)
		}
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			_, err = mfa.BeginPasskeyStep(ctx, tx, rp, tok, at)
			return err
		})
		if out := answer(t, db, rp, tok, mfa.Answer{Passkey: good}, at); refusal(out.Refused) != "passkey err.mfa_passkey_failed" {
			t.Errorf("replay on a new challenge: %+v", out)
		}
		// The challenge of a step answers once.
		out, resp2 := passkeyStep(t, db, rp, tok, dev, at)
		if out.UserID != cw.ID {
			t.Fatalf("fresh step: %+v", out)
		}
		tok = startSignIn(t, db, cw, at)
		if out := answer(t, db, rp, tok, mfa.Answer{Passkey: resp2}, at); out.UserID != "" {
			t.Errorf("a used response signs in again: %+v", out)
		}

		// A cloned authenticator: its count goes back. Refused, the stored count kept.
		clone := *dev
		clone.Count = 1
		tok = startSignIn(t, db, cw, at)
		out, _ = passkeyStep(t, db, rp, tok, &clone, at)
		if refusal(out.Refused) != "passkey err.mfa_passkey_cloned" || out.UserID != "" {
			t.Errorf("sign count went back: %+v", out)
		}
		if got := passkeys(t, db, cw)[0]; got.SignCount != 2 {
			t.Errorf("count after the clone: %d, want 2", got.SignCount)
		}
		// The same count again is refused too; the real device, one ahead, goes on.
		clone.Count = dev.Count - 1 // get adds one: equal to the stored count
		if out, _ := passkeyStep(t, db, rp, tok, &clone, at); refusal(out.Refused) != "passkey err.mfa_passkey_cloned" {
			t.Errorf("same count: %+v", out)
		}
		if out, _ := passkeyStep(t, db, rp, tok, dev, at); out.UserID != cw.ID {
			t.Errorf("the real device after the clone: %+v", out)
		}

		// Another person's passkey does not answer for this one.
		other := passkeytest.New(t, origin)
		if _, _, err := register(t, db, rp, o.Caseworker2, other, "theirs", now); err != nil {
			t.Fatal(err)
		}
		tok = startSignIn(t, db, cw, at)
		if out, _ := passkeyStep(t, db, rp, tok, other, at); refusal(out.Refused) != "passkey err.mfa_passkey_failed" {
			t.Errorf("another user's passkey: %+v", out)
		}
		// A response that is no response at all.
		var stepRaw json.RawMessage
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			stepRaw, err = mfa.BeginPasskeyStep(ctx, tx, rp, tok, at)
			return err
		})
		valid := dev.Get(t, stepRaw)
		if out := answer(t, db, rp, tok, mfa.Answer{Passkey: []byte(`{"id":`)}, at); refusal(out.Refused) != "passkey err.mfa_passkey_failed" {
			t.Errorf("garbage: %+v", out)
		}
		// The challenge answered (wrongly) once is spent: a valid answer to it is refused.
		if out := answer(t, db, rp, tok, mfa.Answer{Passkey: valid}, at); refusal(out.Refused) != "passkey err.mfa_no_passkey" {
			t.Errorf("a second answer to one challenge: %+v", out)
		}

		var reasons []string
		for _, e := range events(t, db, "auth.second_factor_failed") {
			if e.RecordID == cw.ID {
				reasons = append(reasons, e.Reason)
			}
		}
		want := "no passkey step under way|passkey not verified|no passkey step under way|" +
			"passkey sign count went back (cloned authenticator?)|passkey sign count went back (cloned authenticator?)|" +
			"passkey not verified|passkey not verified|no passkey step under way"
		if strings.Join(reasons, "|") != want {
			t.Errorf("failures audited:\n%s\nwant\n%s", strings.Join(reasons, "|"), want)
		}
		var actions []string
		for _, e := range events(t, db, "mfa.") {
			if e.RecordID == cw.ID {
				actions = append(actions, e.Action)
			}
		}
		if strings.Join(actions, " ") != "mfa.recovery_new mfa.passkey_add" {
			t.Errorf("changes audited: %v", actions)
		}
	})
}

// TestPasskeyAlone: a passkey signs in by itself (no username, no
// password) only with user verification; the ceremony answers once; a
// disabled account or an unknown passkey does not sign in.
func TestPasskeyAlone(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		sup := o.Supervisor
		rp := relyingParty(t)
		dev := passkeytest.New(t, origin)
		if _, _, err := register(t, db, rp, sup, dev, "phone", now); err != nil {
			t.Fatal(err)
		}
		begin := func(when time.Time) (string, json.RawMessage) {
			var token string
			var raw json.RawMessage
			fixture.In(t, db, func(tx *store.Tx) (err error) {
				token, raw, err = mfa.BeginPasskeySignIn(ctx, tx, rp, when)
				return err
			})
			return token, raw
		}
		finish := func(token string, resp []byte, when time.Time) mfa.Outcome {
			var out mfa.Outcome
			fixture.In(t, db, func(tx *store.Tx) (err error) {
				out, err = mfa.PasskeySignIn(ctx, tx, rp, token, resp, when)
				return err
			})
			return out
		}
		at := now.Add(time.Hour)
		token, raw := begin(at)
		opts := passkeytest.ReadOptions(t, raw)
		if opts.PublicKey.UserVerification != "required" || len(opts.PublicKey.Allow) != 0 {
			t.Errorf("options %s", raw)
		}
		resp := dev.Get(t, raw)
		out := finish(token, resp, at)
		if out.UserID != sup.ID || out.Method != mfa.MethodPasskey {
			t.Fatalf("passkey alone: %+v", out)
		}
		if out := finish(token, resp, at); !isGone(out.Refused) {
			t.Errorf("the ceremony twice: %+v", out)
		}
		// Without user verification (no PIN or biometric): refused.
		dev.NoUV = true
		token, raw = begin(at)
		if out := finish(token, dev.Get(t, raw), at); refusal(out.Refused) != "passkey err.mfa_passkey_failed" {
			t.Errorf("without user verification: %+v", out)
		}
		dev.NoUV = false
		// Expired.
		token, raw = begin(at)
		if out := finish(token, dev.Get(t, raw), at.Add(mfa.CeremonyFor)); !isGone(out.Refused) {
			t.Errorf("expired: %+v", out)
		}
		// An unknown passkey: refused, on nobody's account.
		before := len(events(t, db, "auth.second_factor_failed"))
		if before != 1 {
			t.Errorf("%d failures audited, want the one without user verification", before)
		}
		token, raw = begin(at)
		stranger := passkeytest.New(t, origin)
		stranger.Handle = []byte("0123456789abcdef")
		if out := finish(token, stranger.Get(t, raw), at); refusal(out.Refused) != "passkey err.mfa_passkey_failed" {
			t.Errorf("unknown passkey: %+v", out)
		}
		if n := len(events(t, db, "auth.second_factor_failed")); n != before {
			t.Errorf("%d failures audited, want %d: an unknown passkey is nobody's", n, before)
		}
		// A disabled account.
		fixture.In(t, db, func(tx *store.Tx) error {
			u, err := tx.User(ctx, sup.ID)
			if err != nil {
				return err
			}
			u.DisabledAt = at
			return tx.UpdateUser(ctx, u)
		})
		token, raw = begin(at)
		if out := finish(token, dev.Get(t, raw), at); out.UserID != "" {
			t.Errorf("disabled account: %+v", out)
		}
		var details []string
		for _, e := range events(t, db, "auth.second_factor") {
			details = append(details, e.Detail)
		}
		if len(details) != 1 || details[0] != `{"method":"passkey","without_password":true}` {
			t.Errorf("successes audited: %v", details)
		}
	})
}

// TestRemoveFactors: a person names and removes their passkeys; someone
// whose role must use a second factor cannot remove the last one; removing
// the last factor of a role that need not use one takes the recovery codes
// with it; only one's own passkeys are touched.
func TestRemoveFactors(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw, vol := o.Caseworker, o.Volunteer
		rp := relyingParty(t)
		in := func(fn func(tx *store.Tx) error) error { return db.Tx(ctx, fn) }

		k, _, err := register(t, db, rp, cw, passkeytest.New(t, origin), "phone", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := in(func(tx *store.Tx) error { return mfa.RemovePasskey(ctx, tx, prof, fixture.Actor(cw), k.ID, now) }); refusal(err) != "passkey err.mfa_last_factor" {
			t.Errorf("the last factor of a caseworker: %v", err)
		}
		// Someone else's passkey: not found, renamed or removed.
		if err := in(func(tx *store.Tx) error {
			return mfa.RenamePasskey(ctx, tx, fixture.Actor(o.Caseworker2), k.ID, "mine", now)
		}); errs.KindOf(err) != errs.NotFound {
			t.Errorf("rename another's: %v", err)
		}
		enrol(t, db, o.Caseworker2)
		if err := in(func(tx *store.Tx) error {
			return mfa.RemovePasskey(ctx, tx, prof, fixture.Actor(o.Caseworker2), k.ID, now)
		}); errs.KindOf(err) != errs.NotFound {
			t.Errorf("remove another's: %v", err)
		}
		if err := in(func(tx *store.Tx) error { return mfa.RenamePasskey(ctx, tx, fixture.Actor(cw), k.ID, "x\ny", now) }); refusal(err) != "name err.mfa_passkey_name" {
			t.Errorf("rename to a bad name: %v", err)
		}
		fixture.In(t, db, func(tx *store.Tx) error { return mfa.RenamePasskey(ctx, tx, fixture.Actor(cw), k.ID, "old phone", now) })
		if got := passkeys(t, db, cw); got[0].Name != "old phone" {
			t.Errorf("renamed: %q", got[0].Name)
		}
		// With an app as well, the passkey can go; then the app is the last.
		enrol(t, db, cw)
		fixture.In(t, db, func(tx *store.Tx) error { return mfa.RemovePasskey(ctx, tx, prof, fixture.Actor(cw), k.ID, now) })
		if st := status(t, db, cw); st.Passkeys != 0 || !st.TOTP || st.RecoveryLeft != mfa.RecoveryCount {
			t.Errorf("after removing the passkey: %+v", st)
		}
		if err := in(func(tx *store.Tx) error { return mfa.RemoveTOTP(ctx, tx, prof, fixture.Actor(cw), now) }); refusal(err) != "totp err.mfa_last_factor" {
			t.Errorf("the last factor of a caseworker: %v", err)
		}

		// A volunteer need not use one: removing the last takes the codes.
		enrol(t, db, vol)
		fixture.In(t, db, func(tx *store.Tx) error { return mfa.RemoveTOTP(ctx, tx, prof, fixture.Actor(vol), now) })
		if st := status(t, db, vol); st.Enrolled() || st.RecoveryLeft != 0 || mfa.NeedsSecondStep(st) {
			t.Errorf("volunteer after removing the app: %+v", st)
		}
		if err := in(func(tx *store.Tx) error { return mfa.RemoveTOTP(ctx, tx, prof, fixture.Actor(vol), now) }); errs.KindOf(err) != errs.NotFound {
			t.Errorf("removing an app twice: %v", err)
		}
		// Cancelling an enrolment under way.
		fixture.In(t, db, func(tx *store.Tx) error {
			_, err := mfa.StartTOTP(ctx, tx, sealer(t), fixture.Actor(vol), now)
			return err
		})
		fixture.In(t, db, func(tx *store.Tx) error { return mfa.RemoveTOTP(ctx, tx, prof, fixture.Actor(vol), now) })

		var got []string
		for _, e := range events(t, db, "mfa.") {
			if e.RecordID == vol.ID {
				got = append(got, e.Action+" "+e.Detail)
			}
		}
		want := []string{
			`mfa.totp_start `,
			`mfa.recovery_new {"count":10,"replaced_unused":0}`,
			`mfa.totp_confirm {"recovery_codes_issued":10,"replaced":false}`,
			`mfa.totp_remove {"recovery_codes_removed":10}`,
			`mfa.totp_start `,
			`mfa.totp_cancel {"recovery_codes_removed":0}`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("volunteer's trail:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestLockSparesPasskeys: wrong codes lock the typing of codes, not the
// passkey: someone who knows the password cannot lock its owner out, and
// failed passkey answers do not count towards the lock.
func TestLockSparesPasskeys(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := o.Caseworker
		rp := relyingParty(t)
		en, _ := enrol(t, db, cw)
		dev := passkeytest.New(t, origin)
		if _, _, err := register(t, db, rp, cw, dev, "phone", now); err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Hour)
		// Wrong passkey answers: the pending sign-in's attempts, not the user's lock.
		stranger := passkeytest.New(t, origin)
		for range 3 {
			tok := startSignIn(t, db, cw, at)
			for range mfa.MaxAttempts {
				passkeyStep(t, db, rp, tok, stranger, at)
			}
			if _, err := lookup(db, tok, at); !isGone(err) {
				t.Errorf("after %d failed passkey answers: %v", mfa.MaxAttempts, err)
			}
		}
		if s, err := lookup(db, startSignIn(t, db, cw, at), at); err != nil || !s.LockedUntil.IsZero() {
			t.Errorf("failed passkey answers locked the user: %+v, %v", s, err)
		}
		// Ten wrong codes lock the codes.
		for range 2 {
			tok := startSignIn(t, db, cw, at)
			for range mfa.MaxAttempts {
				answer(t, db, rp, tok, mfa.Answer{Code: "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}, at)
			}
		}
		tok := startSignIn(t, db, cw, at)
		if out := answer(t, db, rp, tok, mfa.Answer{Code: appCode(t, en, at)}, at); out.Refused != mfa.ErrLocked {
			t.Errorf("the right code while locked: %+v", out)
		}
		if out, _ := passkeyStep(t, db, rp, tok, dev, at); out.UserID != cw.ID {
			t.Errorf("the passkey while codes are locked: %+v", out)
		}
	})
}
