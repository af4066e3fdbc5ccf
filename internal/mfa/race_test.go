package mfa_test

import (
	"sync"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/fixture"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// TestRacingAnswers sends answers at the same moment, each in its own
// transaction (on PostgreSQL, truly concurrent): one code signs in once
// over several pending sign-ins; one pending sign-in signs in once however
// many recovery codes race for it, and spends one; racing wrong answers
// are all counted.
func TestRacingAnswers(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		o := fixture.New(t, db)
		cw := o.Caseworker
		en, codes := enrol(t, db, cw)
		at := now.Add(time.Hour)
		const n = 6

		race := func(tokens []string, answers []mfa.Answer) []mfa.Outcome {
			outs := make([]mfa.Outcome, len(answers))
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() {
					err := db.Tx(ctx, func(tx *store.Tx) (err error) {
						outs[i], err = mfa.SecondStep(ctx, tx, sealer(t), nil, tokens[i], answers[i], at)
						return err
					})
					if err != nil {
						t.Errorf("answer %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			return outs
		}
		signedIn := func(outs []mfa.Outcome) int {
			k := 0
			for _, o := range outs {
				if o.UserID != "" {
					k++
				}
			}
			return k
		}

		// One code, several pending sign-ins: one signs in.
		var tokens []string
		var answers []mfa.Answer
		for range n {
			tokens = append(tokens, startSignIn(t, db, cw, at))
			answers = append(answers, mfa.Answer{Code: appCode(t, en, at)})
		}
		outs := race(tokens, answers)
		if k := signedIn(outs); k != 1 {
			t.Errorf("one code signed in %d times: %+v", k, outs)
		}

		// One pending sign-in, several recovery codes: one signs in, one code is spent.
		tok := startSignIn(t, db, cw, at)
		tokens, answers = nil, nil
		for i := range n {
			tokens = append(tokens, tok)
			answers = append(answers, mfa.Answer{Code: codes[i]})
		}
		outs = race(tokens, answers)
		if k := signedIn(outs); k != 1 {
			t.Errorf("one sign-in signed in %d times: %+v", k, outs)
		}
		if st := status(t, db, cw); st.RecoveryLeft != mfa.RecoveryCount-1 {
			t.Errorf("%d recovery codes left, want %d: codes spent for nothing", st.RecoveryLeft, mfa.RecoveryCount-1)
		}

		// Wrong answers racing over two pending sign-ins are all counted.
		tokens, answers = nil, nil
		a, b := startSignIn(t, db, cw, at), startSignIn(t, db, cw, at)
		for i := range 8 {
			tok := a
			if i%2 == 1 {
				tok = b
			}
			tokens = append(tokens, tok)
			answers = append(answers, mfa.Answer{Code: "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
		}
		race(tokens, answers)
		var th mfa.Throttle
		fixture.Read(t, db, func(tx *store.Tx) (err error) {
			th, err = tx.MFAThrottle(ctx, cw.ID)
			return err
		})
		if th.Failures != 8 {
			t.Errorf("%d failures counted, want 8", th.Failures)
		}
		for _, tok := range []string{a, b} {
			if s, err := lookup(db, tok, at); err != nil || s.AttemptsLeft != mfa.MaxAttempts-4 {
				t.Errorf("attempts left %+v, %v; want %d", s, err, mfa.MaxAttempts-4)
			}
		}
	})
}
