// Package passkeytest is a software passkey authenticator for tests: an
// ECDSA P-256 key, the attestation object ("none" format) and client data a
// browser and an authenticator would produce, in CBOR and JSON written here
// byte by byte, and signatures over authenticatorData || SHA-256(clientDataJSON).
// It lets a test run real registration and sign-in ceremonies through the
// WebAuthn library, the routes and the database. It is a non-test file only so
// that several packages' tests can share it: it is imported only by tests,
// never by the binary (the package imports testing).
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"
)

// Authenticator is one software passkey: a platform authenticator holding
// one resident credential. Tests set or read its exported fields to play a
// cloned, forged or careless authenticator.
type Authenticator struct {
	key    *ecdsa.PrivateKey
	CredID []byte // the credential ID
	Count  uint32 // signature counter; 0 means the authenticator keeps none
	Handle []byte // the user handle stored at registration (a resident key)
	Origin string // the page's origin, as the browser reports it
	NoUV   bool   // answer without user verification (no PIN or biometric)
}

// New makes an authenticator with a fresh key and credential ID that answers
// as a browser on the page of the given origin.
func New(t testing.TB, origin string) *Authenticator {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &Authenticator{key: k, CredID: id, Count: 0, Origin: origin}
}

var b64u = base64.RawURLEncoding

// Options is what a test reads of the options handed to the browser.
type Options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
		Allow []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
		UserVerification       string `json:"userVerification"`
		AuthenticatorSelection struct {
			ResidentKey      string `json:"residentKey"`
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
		Attestation string `json:"attestation"`
	} `json:"publicKey"`
}

// ReadOptions decodes the options' JSON, failing the test if it is not JSON.
func ReadOptions(t testing.TB, raw []byte) Options {
	t.Helper()
	var o Options
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("options %s: %v", raw, err)
	}
	return o
}

func (a *Authenticator) flags(extra byte) byte {
	f := byte(0x01) | extra // user present
	if !a.NoUV {
		f |= 0x04 // user verified
	}
	return f
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// Create answers navigator.credentials.create with the options' JSON.
func (a *Authenticator) Create(t testing.TB, raw []byte) []byte {
	t.Helper()
	o := ReadOptions(t, raw)
	var err error
	if a.Handle, err = b64u.DecodeString(o.PublicKey.User.ID); err != nil {
		t.Fatalf("user id %q: %v", o.PublicKey.User.ID, err)
	}
	rpHash := sha256.Sum256([]byte(o.PublicKey.RP.ID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(0x40)) // attested credential data included
	auth = binary.BigEndian.AppendUint32(auth, a.Count)
	auth = append(auth, make([]byte, 16)...) // AAGUID: zero, as most passkeys report
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(a.CredID)))
	auth = append(auth, a.CredID...)
	auth = append(auth, a.coseKey()...)
	att := cborMap([]cborPair{
		{cborText("fmt"), cborText("none")},
		{cborText("attStmt"), cborMap(nil)},
		{cborText("authData"), cborBytes(auth)},
	})
	cd := a.clientData("webauthn.create", o.PublicKey.Challenge)
	b, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(a.CredID), "rawId": b64u.EncodeToString(a.CredID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "attestationObject": b64u.EncodeToString(att),
			"transports": []string{"internal", "hybrid"}},
		"clientExtensionResults": map[string]any{},
	})
	return b
}

// Get answers navigator.credentials.get with the options' JSON.
func (a *Authenticator) Get(t testing.TB, raw []byte) []byte {
	t.Helper()
	o := ReadOptions(t, raw)
	a.Count++
	rpHash := sha256.Sum256([]byte(o.PublicKey.RPID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(0))
	auth = binary.BigEndian.AppendUint32(auth, a.Count)
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(a.CredID), "rawId": b64u.EncodeToString(a.CredID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(auth),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString(a.Handle)},
		"clientExtensionResults": map[string]any{},
	})
	return b
}

// coseKey is the credential's public key as a COSE_Key (RFC 9053): EC2,
// ES256, P-256, x and y.
func (a *Authenticator) coseKey() []byte {
	pub, err := a.key.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		panic(err)
	}
	return cborMap([]cborPair{
		{cborInt(1), cborInt(2)},  // kty: EC2
		{cborInt(3), cborInt(-7)}, // alg: ES256
		{cborInt(-1), cborInt(1)}, // crv: P-256
		{cborInt(-2), cborBytes(pub[1:33])},
		{cborInt(-3), cborBytes(pub[33:])},
	})
}
