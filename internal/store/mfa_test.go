package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestMFAStorage saves and loads every record of two-factor sign-in on
// both engines: the conditional updates that must not race (a time step, a
// recovery code, a sign count, taking a ceremony or a pending sign-in)
// touch a row once; expired records are swept; the status counts what is
// set up; deleting a user's factors leaves other users' alone.
func TestMFAStorage(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		u, other := o.Caseworker.ID, o.Supervisor.ID
		in := func(fn func(tx *store.Tx) error) { t.Helper(); fixture.In(t, db, fn) }

		// TOTP.
		in(func(tx *store.Tx) error {
			if _, err := tx.TOTP(ctx, u); errs.KindOf(err) != errs.NotFound {
				t.Errorf("no app: %v", err)
			}
			if ok, err := tx.UseTOTPStep(ctx, u, 5); ok || err != nil {
				t.Errorf("step without an app: %v, %v", ok, err)
			}
			want := &mfa.TOTP{UserID: u, PendingSecret: "v1.pending", PendingSince: now, UpdatedAt: now}
			if err := tx.SaveTOTP(ctx, want); err != nil {
				return err
			}
			got, err := tx.TOTP(ctx, u)
			if diff := cmp.Diff(want, got); err != nil || diff != "" {
				t.Errorf("pending app (-want +got): %s %v", diff, err)
			}
			if st, _ := tx.MFAStatus(ctx, u); st.TOTP {
				t.Error("a pending app counts as set up")
			}
			if ok, _ := tx.UseTOTPStep(ctx, u, 5); ok {
				t.Error("a step used on a pending app")
			}
			want = &mfa.TOTP{UserID: u, Secret: "v1.sealed", ConfirmedAt: now, LastStep: 100, UpdatedAt: now.Add(time.Minute)}
			if err := tx.SaveTOTP(ctx, want); err != nil {
				return err
			}
			got, err = tx.TOTP(ctx, u)
			if diff := cmp.Diff(want, got); err != nil || diff != "" {
				t.Errorf("confirmed app (-want +got): %s %v", diff, err)
			}
			for _, tt := range []struct {
				step int64
				ok   bool
			}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}, {102, false}} {
				if ok, err := tx.UseTOTPStep(ctx, u, tt.step); ok != tt.ok || err != nil {
					t.Errorf("UseTOTPStep(%d) = %v, %v; want %v", tt.step, ok, err, tt.ok)
				}
			}
			if got, _ := tx.TOTP(ctx, u); got.LastStep != 103 {
				t.Errorf("last step %d", got.LastStep)
			}
			return nil
		})

		// Recovery codes.
		in(func(tx *store.Tx) error {
			codes := []mfa.RecoveryCode{{ID: store.NewID(), Hash: "h1", CreatedAt: now}, {ID: store.NewID(), Hash: "h2", CreatedAt: now}}
			if err := tx.ReplaceRecoveryCodes(ctx, u, codes); err != nil {
				return err
			}
			if err := tx.ReplaceRecoveryCodes(ctx, other, []mfa.RecoveryCode{{ID: store.NewID(), Hash: "o1", CreatedAt: now}}); err != nil {
				return err
			}
			if ok, err := tx.UseRecoveryCode(ctx, codes[0].ID, now.Add(time.Minute)); !ok || err != nil {
				t.Errorf("use: %v, %v", ok, err)
			}
			if ok, err := tx.UseRecoveryCode(ctx, codes[0].ID, now.Add(2*time.Minute)); ok || err != nil {
				t.Errorf("use twice: %v, %v", ok, err)
			}
			if ok, err := tx.UseRecoveryCode(ctx, "not-an-id", now); ok || err != nil {
				t.Errorf("malformed id: %v, %v", ok, err)
			}
			got, err := tx.RecoveryCodes(ctx, u)
			if err != nil || len(got) != 2 {
				t.Fatalf("codes %+v, %v", got, err)
			}
			for _, c := range got {
				if c.UserID != u || (c.ID == codes[0].ID) != c.UsedAt.Equal(now.Add(time.Minute)) {
					t.Errorf("code %+v", c)
				}
			}
			st, err := tx.MFAStatus(ctx, u)
			if err != nil || st != (mfa.Status{TOTP: true, RecoveryLeft: 1}) {
				t.Errorf("status %+v, %v", st, err)
			}
			// A new set replaces the old one, used codes too.
			if err := tx.ReplaceRecoveryCodes(ctx, u, []mfa.RecoveryCode{{Hash: "h3", CreatedAt: now}}); err != nil {
				return err
			}
			if got, _ := tx.RecoveryCodes(ctx, u); len(got) != 1 || got[0].Hash != "h3" || got[0].ID == "" {
				t.Errorf("after replacing: %+v", got)
			}
			return nil
		})

		// Passkeys.
		k := &mfa.Passkey{UserID: u, CredentialID: []byte{0, 1, 2, 0xff, 0xfe}, PublicKey: []byte("cose key"),
			AttestationType: "none", Transports: []string{"internal", "hybrid"}, AAGUID: make([]byte, 16), SignCount: 7,
			UserVerified: true, BackupEligible: true, Attachment: "platform", Name: "laptop", CreatedAt: now}
		in(func(tx *store.Tx) error {
			if err := tx.InsertPasskey(ctx, k); err != nil {
				return err
			}
			got, err := tx.PasskeyByCredential(ctx, []byte{0, 1, 2, 0xff, 0xfe})
			if diff := cmp.Diff(k, got); err != nil || diff != "" {
				t.Errorf("passkey (-want +got): %s %v", diff, err)
			}
			if _, err := tx.PasskeyByCredential(ctx, []byte{0, 1, 2}); errs.KindOf(err) != errs.NotFound {
				t.Errorf("unknown credential: %v", err)
			}
			return nil
		})
		// The same credential again (for anyone) is refused, naming the field.
		err := db.Tx(ctx, func(tx *store.Tx) error {
			return tx.InsertPasskey(ctx, &mfa.Passkey{UserID: other, CredentialID: k.CredentialID, PublicKey: []byte("x"), Name: "copy", CreatedAt: now})
		})
		if fe, ok := errs.AsFields(err); !ok || !fe.Has("passkey") {
			t.Errorf("duplicate credential: %v", err)
		}
		in(func(tx *store.Tx) error {
			second := &mfa.Passkey{UserID: u, CredentialID: []byte("second"), PublicKey: []byte("k2"), Name: "phone", CreatedAt: now.Add(time.Minute)}
			if err := tx.InsertPasskey(ctx, second); err != nil {
				return err
			}
			list, err := tx.Passkeys(ctx, u)
			if err != nil || len(list) != 2 || list[0].ID != k.ID || list[1].ID != second.ID || len(list[1].Transports) != 0 {
				t.Errorf("list %+v, %v", list, err)
			}
			// The sign count only moves forward.
			for _, tt := range []struct {
				count uint32
				ok    bool
			}{{7, false}, {6, false}, {0, false}, {8, true}, {8, false}, {1000, true}} {
				use := *k
				use.SignCount, use.BackupState, use.LastUsedAt = tt.count, true, now.Add(time.Hour)
				if ok, err := tx.UsePasskey(ctx, &use); ok != tt.ok || err != nil {
					t.Errorf("UsePasskey(count %d) = %v, %v; want %v", tt.count, ok, err, tt.ok)
				}
			}
			got, _ := tx.PasskeyByCredential(ctx, k.CredentialID)
			if got.SignCount != 1000 || !got.BackupState || !got.LastUsedAt.Equal(now.Add(time.Hour)) {
				t.Errorf("after use %+v", got)
			}
			// An authenticator without a counter: zero stays zero and is accepted.
			for range 2 {
				use := *second
				if ok, err := tx.UsePasskey(ctx, &use); !ok || err != nil {
					t.Errorf("counter-less use: %v, %v", ok, err)
				}
			}
			// Rename and delete only one's own.
			if err := tx.RenamePasskey(ctx, other, second.ID, "stolen"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("rename another's: %v", err)
			}
			if err := tx.RenamePasskey(ctx, u, "not-an-id", "x"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("rename malformed id: %v", err)
			}
			if err := tx.RenamePasskey(ctx, u, second.ID, "old phone"); err != nil {
				return err
			}
			if err := tx.DeletePasskey(ctx, other, second.ID); errs.KindOf(err) != errs.NotFound {
				t.Errorf("delete another's: %v", err)
			}
			if err := tx.DeletePasskey(ctx, u, second.ID); err != nil {
				return err
			}
			if err := tx.DeletePasskey(ctx, u, second.ID); errs.KindOf(err) != errs.NotFound {
				t.Errorf("delete twice: %v", err)
			}
			if st, _ := tx.MFAStatus(ctx, u); st.Passkeys != 1 {
				t.Errorf("status %+v", st)
			}
			return nil
		})

		// Ceremonies and pending sign-ins.
		in(func(tx *store.Tx) error {
			for _, c := range []*mfa.Ceremony{
				{ID: "c-register", UserID: u, Kind: mfa.CeremonyRegister, Data: `{"challenge":"x"}`, CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)},
				{ID: "c-signin", Kind: mfa.CeremonySignIn, Data: `{}`, CreatedAt: now, ExpiresAt: now.Add(time.Minute)},
			} {
				if err := tx.InsertCeremony(ctx, c); err != nil {
					return err
				}
			}
			c, err := tx.TakeCeremony(ctx, "c-register")
			want := &mfa.Ceremony{ID: "c-register", UserID: u, Kind: mfa.CeremonyRegister, Data: `{"challenge":"x"}`, CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
			if diff := cmp.Diff(want, c); err != nil || diff != "" {
				t.Errorf("ceremony (-want +got): %s %v", diff, err)
			}
			if _, err := tx.TakeCeremony(ctx, "c-register"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("taken twice: %v", err)
			}
			for _, p := range []*mfa.Pending{
				{ID: "p-live", UserID: u, CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)},
				{ID: "p-old", UserID: u, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Hour + 5*time.Minute)},
				{ID: "p-other", UserID: other, CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)},
			} {
				if err := tx.InsertPendingSignIn(ctx, p); err != nil {
					return err
				}
			}
			for i := 1; i <= 3; i++ {
				if n, err := tx.FailPendingSignIn(ctx, "p-live"); n != i || err != nil {
					t.Errorf("attempt %d: %d, %v", i, n, err)
				}
			}
			if _, err := tx.FailPendingSignIn(ctx, "p-none"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("fail a missing one: %v", err)
			}
			if err := tx.SetPendingPasskey(ctx, "p-live", `{"challenge":"y"}`); err != nil {
				return err
			}
			p, err := tx.PendingSignIn(ctx, "p-live")
			want2 := &mfa.Pending{ID: "p-live", UserID: u, CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute), Attempts: 3, Passkey: `{"challenge":"y"}`}
			if diff := cmp.Diff(want2, p); err != nil || diff != "" {
				t.Errorf("pending (-want +got): %s %v", diff, err)
			}
			// Sweeping at now removes only what has ended.
			n, err := tx.DeleteExpiredMFA(ctx, now)
			if err != nil || n != 1 {
				t.Errorf("swept %d, %v; want the old sign-in", n, err)
			}
			if n, err := tx.DeleteExpiredMFA(ctx, now.Add(time.Minute)); err != nil || n != 1 {
				t.Errorf("swept %d, %v; want the sign-in ceremony", n, err)
			}
			if ok, err := tx.TakePendingSignIn(ctx, "p-live"); !ok || err != nil {
				t.Errorf("take: %v, %v", ok, err)
			}
			if ok, err := tx.TakePendingSignIn(ctx, "p-live"); ok || err != nil {
				t.Errorf("take twice: %v, %v", ok, err)
			}
			if _, err := tx.PendingSignIn(ctx, "p-live"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("after take: %v", err)
			}
			return nil
		})

		// The throttle.
		in(func(tx *store.Tx) error {
			if th, err := tx.MFAThrottle(ctx, u); err != nil || th != (mfa.Throttle{UserID: u}) {
				t.Errorf("no throttle: %+v, %v", th, err)
			}
			want := mfa.Throttle{UserID: u, WindowStart: now, Failures: 10, LockedUntil: now.Add(15 * time.Minute)}
			if err := tx.SaveMFAThrottle(ctx, want); err != nil {
				return err
			}
			want.Failures = 11
			if err := tx.SaveMFAThrottle(ctx, want); err != nil {
				return err
			}
			if got, err := tx.MFAThrottle(ctx, u); err != nil || got != want {
				t.Errorf("throttle %+v, %v", got, err)
			}
			return tx.DeleteMFAThrottle(ctx, u)
		})

		// Deleting one user's factors leaves the other's.
		in(func(tx *store.Tx) error {
			if err := tx.InsertCeremony(ctx, &mfa.Ceremony{ID: "c2", UserID: u, Kind: mfa.CeremonyRegister, Data: "{}", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				return err
			}
			if had, err := tx.DeleteTOTP(ctx, u); !had || err != nil {
				t.Errorf("delete app: %v, %v", had, err)
			}
			if had, err := tx.DeleteTOTP(ctx, u); had || err != nil {
				t.Errorf("delete app twice: %v, %v", had, err)
			}
			if n, err := tx.DeletePasskeys(ctx, u); n != 1 || err != nil {
				t.Errorf("delete passkeys: %d, %v", n, err)
			}
			if n, err := tx.DeleteRecoveryCodes(ctx, u); n != 1 || err != nil {
				t.Errorf("delete codes: %d unused, %v", n, err)
			}
			if err := tx.DeleteUserCeremonies(ctx, u); err != nil {
				return err
			}
			if err := tx.DeletePendingSignIns(ctx, u); err != nil {
				return err
			}
			if _, err := tx.TakeCeremony(ctx, "c2"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("ceremony after delete: %v", err)
			}
			if st, err := tx.MFAStatus(ctx, u); err != nil || st != (mfa.Status{}) {
				t.Errorf("status after delete: %+v, %v", st, err)
			}
			if st, err := tx.MFAStatus(ctx, other); err != nil || st != (mfa.Status{RecoveryLeft: 1}) {
				t.Errorf("the other user's status: %+v, %v", st, err)
			}
			if _, err := tx.PendingSignIn(ctx, "p-other"); err != nil {
				t.Errorf("the other user's pending sign-in: %v", err)
			}
			return nil
		})
	})
}

// TestMFAStatusOneQuery: the status is read in a read-only transaction (the
// web layer asks for it on sign-in and for the enrolment gate).
func TestMFAStatusOneQuery(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		fixture.Read(t, db, func(tx *store.Tx) error {
			st, err := tx.MFAStatus(ctx, o.Manager.ID)
			if diff := cmp.Diff(mfa.Status{}, st, cmpopts.EquateEmpty()); err != nil || diff != "" {
				t.Errorf("status %s %v", diff, err)
			}
			return err
		})
	})
}
