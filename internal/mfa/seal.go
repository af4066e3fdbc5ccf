package mfa

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a Sealer's key: AES-256.
const KeySize = 32

// Sealer seals TOTP secrets at rest with AES-256-GCM under a key kept
// outside the database. Whoever reads the database alone cannot generate a
// user's codes; and the user's ID is the associated data, so a sealed
// secret copied onto another user's row does not open there.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer with key, which must be KeySize random bytes.
// The web layer passes a key derived from the deployment's key file for
// the purpose "totp-secrets"; tests pass a fixed key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("mfa: the TOTP sealing key has %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("mfa: sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("mfa: sealing key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// sealPrefix names the format, so that another format (another cipher, a
// rotated key) can follow without guessing.
const sealPrefix = "v1."

// ErrUnseal reports a sealed secret that does not open: the key is not the
// one it was sealed with (another key file), or the row was altered.
var ErrUnseal = errors.New("mfa: a sealed TOTP secret does not open with this key (another key file, or an altered row)")

func associated(userID string) []byte { return []byte("safecase totp secret\x00" + userID) }

// seal returns plain sealed for userID.
func (s *Sealer) seal(userID string, plain []byte) (string, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, plain, associated(userID))
	return sealPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// open returns the secret sealed for userID.
func (s *Sealer) open(userID, sealed string) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return nil, ErrUnseal
	}
	b, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(b) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, ErrUnseal
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], associated(userID))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}
