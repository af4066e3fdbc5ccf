package store

import "context"

// HasSecondFactor reports whether userID has a second factor set up (a
// confirmed authenticator app or a passkey). The request path asks it for
// every request of a role that must use one, so it is one read of two
// indexed rows at most, lighter than MFAStatus's counts.
func (tx *Tx) HasSecondFactor(ctx context.Context, userID string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT CASE WHEN
		EXISTS (SELECT 1 FROM mfa_totp WHERE user_id = ? AND secret <> '') OR
		EXISTS (SELECT 1 FROM mfa_passkeys WHERE user_id = ?) THEN 1 ELSE 0 END`,
		userID, userID).Scan(&n)
	return n > 0, err
}
