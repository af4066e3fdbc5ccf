package mfa

// The sign-in with a passkey alone is built and tested but no route offers
// it yet: its tests (package mfa_test) reach it through these names.
var (
	BeginPasskeySignIn = beginPasskeySignIn
	PasskeySignIn      = passkeySignIn
)
