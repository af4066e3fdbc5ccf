// Package keys holds the deployment's key: 32 random bytes kept outside the
// database — in the SAFECASE_KEY environment variable, or in a key file
// beside the database that the first start creates, readable by its owner
// only — from which each use derives a subkey of its own (HKDF-SHA256): the
// audit chain's HMAC key (AuditChain), the key that seals two-factor
// secrets (TOTPSecrets), the key of the search index's tokens
// (SearchIndex).
//
// The key is never logged, never printed and never stored in the database;
// the database stores only its ID, a short fingerprint, so that a server
// started with another key is refused instead of writing an audit chain no
// one can verify. Whoever holds both the database and the key can rewrite
// the audit trail: the key is backed up apart from the database.
package keys

import (
	"bufio"
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Size is the length of the deployment's key in bytes.
const Size = 32

// The purposes subkeys are derived for. Each use of the key asks for its
// own purpose, so that no two uses share a key.
const (
	AuditChain  = "audit-chain"  // HMAC of the audit chain, its head and its checkpoints
	TOTPSecrets = "totp-secrets" // sealing the two-factor secrets stored in the database
	SearchIndex = "search-index" // keyed tokens of the search index
)

// EnvVar is the environment variable that may hold the key instead of a
// key file: 64 hexadecimal digits, or 32 bytes in base64.
const EnvVar = "SAFECASE_KEY"

// ErrNoKey reports that no key was found: the environment variable is not
// set and the key file does not exist.
var ErrNoKey = errors.New("no key")

// Set is the deployment's key and what derives from it.
type Set struct {
	master  []byte
	id      string
	source  string
	created bool
}

// New returns the set of key, which must be Size bytes; source says where
// the key came from, for messages.
func New(key []byte, source string) (*Set, error) {
	if len(key) != Size {
		return nil, fmt.Errorf("the key is %d bytes; it must be %d", len(key), Size)
	}
	m := bytes.Clone(key)
	mac := hmac.New(sha256.New, m)
	mac.Write([]byte("key-id"))
	return &Set{master: m, id: hex.EncodeToString(mac.Sum(nil)[:8]), source: source}, nil
}

// ID returns the key's ID: 16 hexadecimal digits of HMAC-SHA256(key,
// "key-id"). It names the key in the database and in messages without
// revealing it.
func (s *Set) ID() string { return s.id }

// Source says where the key came from: the key file's path, or EnvVar.
func (s *Set) Source() string { return s.source }

// FromEnv reports whether the key came from the environment variable.
func (s *Set) FromEnv() bool { return s.source == EnvVar }

// Created reports whether Load created the key file just now.
func (s *Set) Created() bool { return s.created }

// Derive returns the 32-byte subkey for purpose (AuditChain, TOTPSecrets,
// SearchIndex…): HKDF-SHA256 of the key with the purpose as info. The same
// key and purpose always give the same subkey; different purposes give
// unrelated ones.
func (s *Set) Derive(purpose string) []byte {
	if purpose == "" {
		panic("keys: Derive with an empty purpose")
	}
	k, err := hkdf.Key(sha256.New, s.master, nil, "safecase "+purpose, Size)
	if err != nil {
		panic(fmt.Sprintf("keys: derive %s: %v", purpose, err)) // only for an impossible length
	}
	return k
}

// String names the key by its ID and source, never its bytes. (The
// printing methods have value receivers so that a copied Set prints the
// same.)
func (s Set) String() string { return "key " + s.id + " (" + s.source + ")" }

// GoString is String, so that %#v does not print the key either.
func (s Set) GoString() string { return s.String() }

// Format prints String for every verb, so that no verb prints the key.
func (s Set) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// LogValue logs the key as its ID and source.
func (s Set) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Source says where Load finds the key.
type Source struct {
	// Env is the value of EnvVar, if set: it wins over the file.
	Env string
	// File is the key file's path.
	File string
	// Create creates the key file with a new random key when it does not
	// exist (and Env is empty).
	Create bool
}

// Load returns the deployment's key: from src.Env when set, else from the
// key file src.File, which it creates (0600, in a 0700 folder) when it does
// not exist and src.Create is set. It refuses a key file that other users
// may read or write, saying how to fix it. Without a key it returns an
// error wrapping ErrNoKey.
func Load(src Source) (*Set, error) {
	if strings.TrimSpace(src.Env) != "" {
		k, err := Parse(src.Env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvVar, err)
		}
		return New(k, EnvVar)
	}
	if src.File == "" {
		return nil, fmt.Errorf("%w: %s is not set and no key file is configured", ErrNoKey, EnvVar)
	}
	for attempt := 0; ; attempt++ {
		s, err := readFile(src.File)
		if !errors.Is(err, os.ErrNotExist) {
			return s, err
		}
		if !src.Create {
			return nil, fmt.Errorf("%w: the key file %s does not exist and %s is not set", ErrNoKey, src.File, EnvVar)
		}
		s, err = create(src.File)
		if errors.Is(err, os.ErrExist) && attempt == 0 {
			continue // another process created it first: read theirs
		}
		return s, err
	}
}

// readFile reads the key file at path.
func readFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("key file %s can be read or written by other users (mode %04o): "+
			"only its owner may read it; run: chmod 600 %s", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	k, err := ParseFile(b)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return New(k, path)
}

// ParseFile reads a key file's content: one line holding the key (as
// Parse reads it), with blank lines and lines starting with # around it.
func ParseFile(b []byte) ([]byte, error) {
	var key []byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if key != nil {
			return nil, fmt.Errorf("line %d: a second key; the file holds one", n)
		}
		k, err := Parse(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		key = k
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("the file cannot be read as text: %w", err)
	}
	if key == nil {
		return nil, errors.New("the file holds no key")
	}
	return key, nil
}

// Parse reads a key written as 64 hexadecimal digits or as 32 bytes in
// base64 (standard or URL alphabet, padded or not). Its errors never
// repeat the text, which may be a key.
func Parse(text string) ([]byte, error) {
	t := strings.TrimSpace(text)
	if len(t) == 2*Size {
		if k, err := hex.DecodeString(t); err == nil {
			return k, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(t); err == nil {
			if len(k) != Size {
				return nil, fmt.Errorf("the key is %d bytes; it must be %d random bytes, written as %d hexadecimal digits or in base64", len(k), Size, 2*Size)
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("not a key: write %d random bytes as %d hexadecimal digits or in base64", Size, 2*Size)
}

// create writes a new random key to path, which must not exist, with
// rights 0600 in a folder of rights 0700 (when it creates the folder).
func create(path string) (*Set, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	k := make([]byte, Size)
	rand.Read(k) // never fails (crypto/rand)
	s, err := New(k, path)
	if err != nil {
		return nil, err
	}
	s.created = true
	content := fmt.Sprintf("# SafeCase deployment key, id %s.\n"+
		"# Keep a copy of this file apart from the database and its backups: without it the audit\n"+
		"# trail can be neither extended nor verified; whoever holds both can rewrite it.\n"+
		"%s\n", s.id, hex.EncodeToString(k))
	// Write a temporary file and link it into place, so that a process
	// starting at the same time never reads a half-written key, and one of
	// two processes creating the key at once wins.
	tmp, err := os.CreateTemp(dir, ".safecase-key-*")
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := writeSync(tmp, content); err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, err
		}
		// No hard links on this file system: create it exclusively.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return nil, err
			}
			return nil, fmt.Errorf("key file: %w", err)
		}
		if err := writeSync(f, content); err != nil {
			return nil, fmt.Errorf("key file: %w", err)
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the new name durable; not every system can sync a folder
		d.Close()
	}
	return s, nil
}

// writeSync writes content to f, flushes it to disk and closes f.
func writeSync(f *os.File, content string) error {
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := io.WriteString(f, content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
