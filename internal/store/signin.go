package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/safecase/safecase/internal/signin"
)

var _ signin.Tx = (*Tx)(nil)

// SignInState returns the sign-in counts of username at address (a key
// from signin.AddressKey), zero where there are none. With lock, on
// PostgreSQL, the username and the address are locked (in that order, so
// that two attempts never wait for each other in a circle) until the
// transaction ends; SQLite has one writer at a time anyway.
func (tx *Tx) SignInState(ctx context.Context, username, address string, lock bool) (st signin.State, err error) {
	st.Username, st.Address = username, address
	if lock && tx.db.pg {
		for _, k := range []string{"signin user " + username, "signin address " + address} {
			if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext(?))", k); err != nil {
				return st, err
			}
		}
	}
	var last, next int64
	err = tx.queryRow(ctx, "SELECT failures, last_failure_at, next_at FROM signin_pairs WHERE username = ? AND address = ?",
		username, address).Scan(&st.Pair.Failures, &last, &next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, err
	}
	st.Pair.LastFailure, st.Pair.NextAt = fromMS(last), fromMS(next)

	last = 0
	err = tx.queryRow(ctx, "SELECT failures, last_failure_at FROM signin_accounts WHERE username = ?", username).
		Scan(&st.Account.Failures, &last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, err
	}
	st.Account.LastFailure = fromMS(last)

	last, next = 0, 0
	err = tx.queryRow(ctx, "SELECT names, last_failure_at, next_at FROM signin_addresses WHERE address = ?", address).
		Scan(&st.Addr.Names, &last, &next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, err
	}
	st.Addr.LastFailure, st.Addr.NextAt = fromMS(last), fromMS(next)

	var known int64
	err = tx.queryRow(ctx, "SELECT last_success_at FROM signin_known WHERE username = ? AND address = ?", username, address).
		Scan(&known)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, err
	}
	st.KnownAt = fromMS(known)
	return st, nil
}

// SaveSignInState stores the counts of st; a count back to nothing is deleted.
func (tx *Tx) SaveSignInState(ctx context.Context, st signin.State) (err error) {
	if st.Pair == (signin.Pair{}) {
		_, err = tx.exec(ctx, "DELETE FROM signin_pairs WHERE username = ? AND address = ?", st.Username, st.Address)
	} else {
		_, err = tx.exec(ctx, `INSERT INTO signin_pairs (username, address, failures, last_failure_at, next_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (username, address) DO UPDATE SET failures = excluded.failures,
			last_failure_at = excluded.last_failure_at, next_at = excluded.next_at`,
			st.Username, st.Address, st.Pair.Failures, ms(st.Pair.LastFailure), ms(st.Pair.NextAt))
	}
	if err != nil {
		return err
	}
	if st.Account == (signin.Account{}) {
		_, err = tx.exec(ctx, "DELETE FROM signin_accounts WHERE username = ?", st.Username)
	} else {
		_, err = tx.exec(ctx, `INSERT INTO signin_accounts (username, failures, last_failure_at) VALUES (?, ?, ?)
			ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, last_failure_at = excluded.last_failure_at`,
			st.Username, st.Account.Failures, ms(st.Account.LastFailure))
	}
	if err != nil {
		return err
	}
	if st.Addr == (signin.Address{}) {
		_, err = tx.exec(ctx, "DELETE FROM signin_addresses WHERE address = ?", st.Address)
	} else {
		_, err = tx.exec(ctx, `INSERT INTO signin_addresses (address, names, last_failure_at, next_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (address) DO UPDATE SET names = excluded.names, last_failure_at = excluded.last_failure_at,
			next_at = excluded.next_at`,
			st.Address, st.Addr.Names, ms(st.Addr.LastFailure), ms(st.Addr.NextAt))
	}
	return err
}

// SignInSucceeded records that username signed in from address at at.
func (tx *Tx) SignInSucceeded(ctx context.Context, username, address string, at time.Time) (err error) {
	_, err = tx.exec(ctx, `INSERT INTO signin_known (username, address, last_success_at) VALUES (?, ?, ?)
		ON CONFLICT (username, address) DO UPDATE SET last_success_at = excluded.last_success_at`, username, address, ms(at))
	return err
}

// InsertSignInFailure stores failed sign-in f, giving it an ID.
func (tx *Tx) InsertSignInFailure(ctx context.Context, f signin.Failure) (err error) {
	if f.ID == "" {
		f.ID = NewID()
	}
	_, err = tx.exec(ctx, "INSERT INTO signin_failures (id, username, user_id, ip, at) VALUES (?, ?, ?, ?, ?)",
		f.ID, f.Username, nullStr(f.UserID), f.IP, ms(f.At))
	return err
}

// SignInFailures sums up the failed sign-ins of user since since, by
// address, the most recent first, at most limit addresses.
func (tx *Tx) SignInFailures(ctx context.Context, userID string, since time.Time, limit int) (out []signin.FailureGroup, err error) {
	if badID(userID) {
		return nil, nil
	}
	rows, err := tx.query(ctx, `SELECT ip, COUNT(*), MIN(at), MAX(at) FROM signin_failures
		WHERE user_id = ? AND at >= ? GROUP BY ip ORDER BY MAX(at) DESC, ip LIMIT ?`, userID, ms(since), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var g signin.FailureGroup
		var first, last int64
		if err := rows.Scan(&g.IP, &g.Count, &first, &last); err != nil {
			return nil, err
		}
		g.First, g.Last = fromMS(first), fromMS(last)
		out = append(out, g)
	}
	return out, rows.Err()
}

// ClearSignInThrottles forgets every sign-in delay of username: its pairs
// at every address and its account-wide count (an administrator's
// "unlock"). The list of failed sign-ins stays.
func (tx *Tx) ClearSignInThrottles(ctx context.Context, username string) (err error) {
	if _, err := tx.exec(ctx, "DELETE FROM signin_pairs WHERE username = ?", username); err != nil {
		return err
	}
	_, err = tx.exec(ctx, "DELETE FROM signin_accounts WHERE username = ?", username)
	return err
}

// PruneSignIn deletes the counts quiet for p.Memory(), the addresses not used
// for p.KnownFor and the failed sign-ins older than p.ListFor, at now.
func (tx *Tx) PruneSignIn(ctx context.Context, p signin.Policy, now time.Time) (err error) {
	quiet := ms(now.Add(-p.Memory()))
	for _, q := range []struct {
		sql    string
		before int64
	}{
		{"DELETE FROM signin_pairs WHERE last_failure_at < ?", quiet},
		{"DELETE FROM signin_accounts WHERE last_failure_at < ?", quiet},
		{"DELETE FROM signin_addresses WHERE last_failure_at < ?", quiet},
		{"DELETE FROM signin_known WHERE last_success_at < ?", ms(now.Add(-p.KnownFor))},
		{"DELETE FROM signin_failures WHERE at < ?", ms(now.Add(-p.ListFor))},
	} {
		if _, err := tx.exec(ctx, q.sql, q.before); err != nil {
			return err
		}
	}
	return nil
}
