package mfa_test

import (
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

// TestRecoveryCodesSignIn: each recovery code signs in once, however it is
// typed; using one is audited with the count left; a new set replaces the
// old one; the codes are stored only hashed.
func TestRecoveryCodesSignIn(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := o.Caseworker
		_, codes := enrol(t, db, cw)
		if len(codes) != mfa.RecoveryCount {
			t.Fatalf("codes %v", codes)
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if kind, _ := mfa.ParseCode(c); kind != mfa.RecoveryKind || seen[c] {
				t.Errorf("code %q", c)
			}
			seen[c] = true
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			rows, err := tx.RecoveryCodes(ctx, cw.ID)
			if err != nil {
				return err
			}
			for _, r := range rows {
				for _, c := range codes {
					if strings.Contains(r.Hash, strings.ReplaceAll(c, "-", "")) {
						t.Errorf("code %s stored in the clear", c)
					}
				}
			}
			return nil
		})
		at := now.Add(time.Hour)
		signIn := func(code string) mfa.Outcome {
			at = at.Add(time.Minute)
			return answer(t, db, nil, startSignIn(t, db, cw, at), mfa.Answer{Code: code}, at)
		}
		if out := signIn(codes[0]); out.UserID != cw.ID || out.Method != mfa.MethodRecovery || out.RecoveryLeft != 9 {
			t.Errorf("first code: %+v", out)
		}
		if out := signIn(codes[0]); out.UserID != "" || refusal(out.Refused) != "code err.mfa_code_wrong" {
			t.Errorf("first code again: %+v", out)
		}
		typed := strings.ToLower(strings.ReplaceAll(codes[1], "-", " "))
		if out := signIn(typed); out.UserID != cw.ID || out.RecoveryLeft != 8 {
			t.Errorf("second code typed %q: %+v", typed, out)
		}
		if st := status(t, db, cw); st.RecoveryLeft != 8 {
			t.Errorf("left %d", st.RecoveryLeft)
		}
		var left []string
		for _, e := range events(t, db, "mfa.recovery_used") {
			if e.ActorID != cw.ID || e.RecordID != cw.ID {
				t.Errorf("event %+v", e)
			}
			left = append(left, e.Detail)
		}
		if strings.Join(left, " ") != `{"left":9} {"left":8}` {
			t.Errorf("recovery_used details %v", left)
		}
		// Another user's code does not work here.
		_, theirs := enrol(t, db, o.Caseworker2)
		if out := signIn(theirs[0]); out.UserID != "" {
			t.Errorf("another user's code: %+v", out)
		}

		// A new set replaces the old one, used codes and unused.
		var fresh []string
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			fresh, err = mfa.NewRecoveryCodes(ctx, tx, fixture.Actor(cw), at)
			return err
		})
		if len(fresh) != mfa.RecoveryCount || fresh[0] == codes[0] {
			t.Errorf("new set %v", fresh)
		}
		if st := status(t, db, cw); st.RecoveryLeft != mfa.RecoveryCount {
			t.Errorf("left after a new set: %d", st.RecoveryLeft)
		}
		if out := signIn(codes[2]); out.UserID != "" {
			t.Errorf("an old unused code after a new set: %+v", out)
		}
		if out := signIn(fresh[9]); out.UserID != cw.ID || out.RecoveryLeft != 9 {
			t.Errorf("a new code: %+v", out)
		}
		var replaced string
		for _, e := range events(t, db, "mfa.recovery_new") {
			if e.RecordID == cw.ID {
				replaced = e.Detail
			}
		}
		if replaced != `{"count":10,"replaced_unused":8}` {
			t.Errorf("new set detail %s", replaced)
		}
		noSecrets(t, db, append(append(codes, fresh...), theirs...)...)

		// No new set without a second factor.
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := mfa.NewRecoveryCodes(ctx, tx, fixture.Actor(o.Manager), now)
			return err
		})
		if refusal(err) != "recovery err.mfa_none_enrolled" {
			t.Errorf("new set without a factor: %v", err)
		}
	})
}

// TestReset: an administrator's reset clears every second factor of a
// user — app, passkeys, recovery codes, pending sign-ins — and records what
// it removed; the person must then set one up again. Nobody else may reset,
// an agency administrator not a system administrator, nobody themselves;
// a refused reset changes nothing.
func TestReset(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := o.Caseworker
		rp := relyingParty(t)
		en, codes := enrol(t, db, cw)
		if _, _, err := register(t, db, rp, cw, passkeytest.New(t, origin), "phone", now); err != nil {
			t.Fatal(err)
		}
		at := now.Add(time.Hour)
		pendingTok := startSignIn(t, db, cw, at)
		var ceremonyTok string
		fixture.In(t, db, func(tx *store.Tx) (err error) {
			ceremonyTok, _, err = mfa.BeginPasskey(ctx, tx, rp, fixture.Actor(cw), at)
			return err
		})
		// The system administrator has a factor too, for the refusal below.
		enrol(t, db, o.SystemAdmin)

		reset := func(by *org.User, target *org.User) error {
			return db.Tx(ctx, func(tx *store.Tx) error { return mfa.Reset(ctx, tx, fixture.Actor(by), target.ID, at) })
		}
		for _, tt := range []struct {
			name       string
			by, target *org.User
		}{
			{"the caseworker's supervisor", o.Supervisor, cw},
			{"a colleague", o.Caseworker2, cw},
			{"the data protection officer", o.DPOfficer, cw},
			{"an agency administrator, a system administrator", o.AgencyAdmin, o.SystemAdmin},
			{"a system administrator, themselves", o.SystemAdmin, o.SystemAdmin},
		} {
			if err := reset(tt.by, tt.target); errs.KindOf(err) != errs.Forbidden {
				t.Errorf("%s: %v, want forbidden", tt.name, err)
			}
		}
		// Another agency's administrator.
		var otherAdmin *org.User
		fixture.In(t, db, func(tx *store.Tx) error {
			otherAdmin = &org.User{AgencyID: o.OtherAgency.ID, Username: "other.admin", DisplayName: "Other Admin",
				Role: org.AgencyAdmin, PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
			return tx.InsertUser(ctx, otherAdmin)
		})
		if err := reset(otherAdmin, cw); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("another agency's administrator: %v", err)
		}
		if st := status(t, db, cw); !st.TOTP || st.Passkeys != 1 || st.RecoveryLeft != mfa.RecoveryCount {
			t.Fatalf("a refused reset changed something: %+v", st)
		}
		if st := status(t, db, o.SystemAdmin); !st.TOTP {
			t.Fatalf("a refused reset of the system administrator changed something: %+v", st)
		}

		if err := reset(o.AgencyAdmin, cw); err != nil {
			t.Fatal(err)
		}
		st := status(t, db, cw)
		if st != (mfa.Status{}) || !mfa.MustEnrol(prof, cw.Role, st) || mfa.NeedsSecondStep(st) {
			t.Errorf("after reset: %+v", st)
		}
		if out := answer(t, db, nil, pendingTok, mfa.Answer{Code: appCode(t, en, at)}, at); !isGone(out.Refused) {
			t.Errorf("a sign-in pending before the reset: %+v", out)
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			_, _, err := mfa.FinishPasskey(ctx, tx, rp, fixture.Actor(cw), ceremonyTok, "late", passkeytest.New(t, origin).Create(t, []byte(`{"publicKey":{}}`)), at)
			return err
		})
		if refusal(err) != "passkey err.mfa_ceremony_expired" {
			t.Errorf("a ceremony begun before the reset: %v", err)
		}
		fixture.Read(t, db, func(tx *store.Tx) error {
			if _, err := tx.TOTP(ctx, cw.ID); errs.KindOf(err) != errs.NotFound {
				t.Errorf("app row after reset: %v", err)
			}
			if rows, err := tx.RecoveryCodes(ctx, cw.ID); err != nil || len(rows) != 0 {
				t.Errorf("recovery rows after reset: %d, %v", len(rows), err)
			}
			return nil
		})
		resets := events(t, db, "mfa.reset")
		if len(resets) != 1 {
			t.Fatalf("%d reset events", len(resets))
		}
		if e := resets[0]; e.ActorID != o.AgencyAdmin.ID || e.ActorRole != string(org.AgencyAdmin) || e.RecordID != cw.ID ||
			e.AgencyID != cw.AgencyID || e.Detail != `{"passkeys":1,"recovery_codes":10,"totp":true}` {
			t.Errorf("reset event %+v", e)
		}
		noSecrets(t, db, codes...)
		// Set up again afterwards.
		enrol(t, db, cw)
		if st := status(t, db, cw); !st.TOTP || st.RecoveryLeft != mfa.RecoveryCount {
			t.Errorf("enrolled again: %+v", st)
		}
	})
}
