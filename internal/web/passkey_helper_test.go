package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"sort"
	"testing"
)

// The software passkey authenticator of package mfa's tests, for the HTTP
// tests: it answers the options the server hands to the browser as a
// platform authenticator would, so that registration and sign-in run end to
// end through the real routes, the library and the database.

// authenticator is a software passkey authenticator: an ECDSA P-256 key,
// the attestation object ("none" format) and client data a browser and an
// authenticator would produce, in CBOR and JSON written here byte by byte,
// and signatures over authenticatorData || SHA-256(clientDataJSON). It lets
// a test run real registration and sign-in ceremonies through the library.
type authenticator struct {
	key    *ecdsa.PrivateKey
	credID []byte
	count  uint32 // signature counter; 0 means the authenticator keeps none
	handle []byte // the user handle stored at registration (a resident key)
	origin string // the page's origin, as the browser reports it
	noUV   bool   // answer without user verification (no PIN or biometric)
}

func newAuthenticator(t testing.TB, origin string) *authenticator {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &authenticator{key: k, credID: id, count: 0, origin: origin}
}

var b64u = base64.RawURLEncoding

// options is what a test reads of the options handed to the browser.
type options struct {
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

func readOptions(t testing.TB, raw []byte) options {
	t.Helper()
	var o options
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("options %s: %v", raw, err)
	}
	return o
}

func (a *authenticator) flags(extra byte) byte {
	f := byte(0x01) | extra // user present
	if !a.noUV {
		f |= 0x04 // user verified
	}
	return f
}

func (a *authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return b
}

// create answers navigator.credentials.create with the options' JSON.
func (a *authenticator) create(t testing.TB, raw []byte) []byte {
	t.Helper()
	o := readOptions(t, raw)
	var err error
	if a.handle, err = b64u.DecodeString(o.PublicKey.User.ID); err != nil {
		t.Fatalf("user id %q: %v", o.PublicKey.User.ID, err)
	}
	rpHash := sha256.Sum256([]byte(o.PublicKey.RP.ID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(0x40)) // attested credential data included
	auth = binary.BigEndian.AppendUint32(auth, a.count)
	auth = append(auth, make([]byte, 16)...) // AAGUID: zero, as most passkeys report
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(a.credID)))
	auth = append(auth, a.credID...)
	auth = append(auth, a.coseKey()...)
	att := cborMap([]cborPair{
		{cborText("fmt"), cborText("none")},
		{cborText("attStmt"), cborMap(nil)},
		{cborText("authData"), cborBytes(auth)},
	})
	cd := a.clientData("webauthn.create", o.PublicKey.Challenge)
	b, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(a.credID), "rawId": b64u.EncodeToString(a.credID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "attestationObject": b64u.EncodeToString(att),
			"transports": []string{"internal", "hybrid"}},
		"clientExtensionResults": map[string]any{},
	})
	return b
}

// get answers navigator.credentials.get with the options' JSON.
func (a *authenticator) get(t testing.TB, raw []byte) []byte {
	t.Helper()
	o := readOptions(t, raw)
	a.count++
	rpHash := sha256.Sum256([]byte(o.PublicKey.RPID))
	auth := append([]byte{}, rpHash[:]...)
	auth = append(auth, a.flags(0))
	auth = binary.BigEndian.AppendUint32(auth, a.count)
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(a.credID), "rawId": b64u.EncodeToString(a.credID), "type": "public-key",
		"authenticatorAttachment": "platform",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "authenticatorData": b64u.EncodeToString(auth),
			"signature": b64u.EncodeToString(sig), "userHandle": b64u.EncodeToString(a.handle)},
		"clientExtensionResults": map[string]any{},
	})
	return b
}

// coseKey is the credential's public key as a COSE_Key (RFC 9053): EC2,
// ES256, P-256, x and y.
func (a *authenticator) coseKey() []byte {
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

// A minimal CBOR encoder (RFC 8949) for the few types an attestation needs.

type cborPair struct{ k, v []byte }

func cborHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n < 1<<8:
		return []byte{m | 24, byte(n)}
	case n < 1<<16:
		return binary.BigEndian.AppendUint16([]byte{m | 25}, uint16(n))
	case n < 1<<32:
		return binary.BigEndian.AppendUint32([]byte{m | 26}, uint32(n))
	}
	return binary.BigEndian.AppendUint64([]byte{m | 27}, n)
}

func cborInt(n int64) []byte {
	if n < 0 {
		return cborHead(1, uint64(-1-n))
	}
	return cborHead(0, uint64(n))
}

func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }
func cborText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }

// cborMap encodes a map with its keys in the core deterministic order
// (shorter encodings first, then bytewise).
func cborMap(pairs []cborPair) []byte {
	sort.Slice(pairs, func(i, j int) bool {
		a, b := pairs[i].k, pairs[j].k
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return string(a) < string(b)
	})
	out := cborHead(5, uint64(len(pairs)))
	for _, p := range pairs {
		out = append(append(out, p.k...), p.v...)
	}
	return out
}
