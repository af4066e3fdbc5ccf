package mfa_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/mfa"
	"github.com/safecase/safecase/internal/passkeytest"
)

// passkeySeeds are a real registration and a real assertion from the
// software authenticator, and broken forms of them.
func passkeySeeds(f *testing.F) {
	dev := passkeytest.New(f, origin)
	opts := []byte(`{"publicKey":{"challenge":"AAECAwQFBgcICQoLDA0ODw","rp":{"id":"localhost"},"rpId":"localhost","user":{"id":"AAECAwQFBgcICQoLDA0ODw","name":"cw.a"}}}`)
	reg, get := dev.Create(f, opts), dev.Get(f, opts)
	if _, err := mfa.ParseRegistration(reg); err != nil {
		f.Fatalf("a real registration does not parse: %v", err)
	}
	if _, err := mfa.ParseAssertion(get); err != nil {
		f.Fatalf("a real assertion does not parse: %v", err)
	}
	for _, s := range [][]byte{reg, get, reg[:len(reg)/2], get[:len(get)-1], []byte(`{}`), []byte(`null`), []byte(``),
		[]byte(`{"id":"","rawId":"","type":"public-key","response":{}}`),
		bytes.Replace(reg, []byte(`"public-key"`), []byte(`"password"`), 1),
		bytes.Replace(get, []byte(`"signature":"`), []byte(`"signature":"!!`), 1),
		[]byte(strings.Repeat("[", 10000)), make([]byte, mfa.MaxResponse+1)} {
		f.Add(s)
	}
}

// checkParsed: a parse either succeeds with a credential ID or fails with
// a field error on "passkey" — never a panic, never another kind of error.
func checkParsed(t *testing.T, in []byte, rawID []byte, err error) {
	if err != nil {
		if fe, ok := errs.AsFields(err); !ok || !fe.Has("passkey") || errs.KindOf(err) != errs.Invalid {
			t.Fatalf("parse error %v is not a field error on passkey", err)
		}
		return
	}
	if len(in) > mfa.MaxResponse {
		t.Fatalf("accepted %d bytes", len(in))
	}
	if len(rawID) == 0 {
		t.Fatal("parsed without a credential ID")
	}
}

func FuzzParseRegistration(f *testing.F) {
	passkeySeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := mfa.ParseRegistration(in)
		var id []byte
		if err == nil {
			id = p.RawID
		}
		checkParsed(t, in, id, err)
	})
}

func FuzzParseAssertion(f *testing.F) {
	passkeySeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := mfa.ParseAssertion(in)
		var id []byte
		if err == nil {
			id = p.RawID
		}
		checkParsed(t, in, id, err)
	})
}
