package keys_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/safecase/safecase/internal/keys"
)

// fixed is a key for tests: 32 bytes.
var fixed = []byte("safecase-test-key-0123456789abcd")

func mustNew(t *testing.T, k []byte) *keys.Set {
	t.Helper()
	s, err := keys.New(k, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStableDerivation pins the key ID and the subkeys of a fixed key
// (computed apart, with Python's hmac: HKDF-SHA256 with no salt and the
// info "safecase <purpose>"): a change here would make every deployment's
// database refuse its own key file and its audit chain unverifiable.
func TestStableDerivation(t *testing.T) {
	t.Parallel()
	s := mustNew(t, fixed)
	want := map[string]string{
		"id":             "8e154c13b6487e12",
		keys.AuditChain:  "bbffa704b5a5ac296e5a2e0ef1b018186b9e90a45f0bbf9b96178982cfeb51d8",
		keys.TOTPSecrets: "21fd95b6f4500d3330444df19b715f20502215915177899503078313f95bd89f",
	}
	got := map[string]string{"id": s.ID(), keys.AuditChain: hex.EncodeToString(s.Derive(keys.AuditChain)),
		keys.TOTPSecrets: hex.EncodeToString(s.Derive(keys.TOTPSecrets))}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
	if len(s.ID()) != 16 {
		t.Errorf("ID %q is not 16 hexadecimal digits", s.ID())
	}
}

func TestDerive(t *testing.T) {
	t.Parallel()
	s := mustNew(t, fixed)
	a1, a2 := s.Derive(keys.AuditChain), s.Derive(keys.AuditChain)
	if !bytes.Equal(a1, a2) || len(a1) != keys.Size {
		t.Errorf("Derive is not deterministic or not %d bytes: %x %x", keys.Size, a1, a2)
	}
	seen := map[string]string{hex.EncodeToString(fixed): "the key itself"}
	for _, p := range []string{keys.AuditChain, keys.TOTPSecrets, keys.SearchIndex} {
		k := hex.EncodeToString(s.Derive(p))
		if other, ok := seen[k]; ok {
			t.Errorf("purpose %s derives the same key as %s", p, other)
		}
		seen[k] = p
	}
	other := mustNew(t, bytes.Repeat([]byte{7}, keys.Size))
	if bytes.Equal(other.Derive(keys.AuditChain), a1) || other.ID() == s.ID() {
		t.Error("two keys derive the same audit key or have the same ID")
	}
	// Derive returns a copy: changing it changes nothing.
	a1[0] ^= 0xff
	if !bytes.Equal(s.Derive(keys.AuditChain), a2) {
		t.Error("changing a derived key changed the set")
	}
	defer func() {
		if recover() == nil {
			t.Error("Derive with no purpose did not panic")
		}
	}()
	s.Derive("")
}

func TestNewRefusesWrongLength(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := keys.New(make([]byte, n), "x"); err == nil {
			t.Errorf("a %d-byte key was accepted", n)
		}
	}
	// New copies the key: changing the caller's slice changes nothing.
	k := bytes.Clone(fixed)
	s := mustNew(t, k)
	k[0] ^= 0xff
	if s.ID() != mustNew(t, fixed).ID() {
		t.Error("the set shares the caller's slice")
	}
}

// TestNeverPrinted: no way of printing or logging a set shows the key.
func TestNeverPrinted(t *testing.T) {
	t.Parallel()
	s := mustNew(t, fixed)
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		out = append(out, fmt.Sprintf(verb, s), fmt.Sprintf(verb, *s), fmt.Sprintf(verb, []*keys.Set{s}))
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("started", "key", s)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("started", "key", s)
	out = append(out, logged.String())
	forms := []string{string(fixed), hex.EncodeToString(fixed), base64.StdEncoding.EncodeToString(fixed),
		strings.Trim(fmt.Sprint([]byte(fixed)), "[]"), fmt.Sprintf("%x", fixed[:8])}
	for _, o := range out {
		for _, f := range forms {
			if strings.Contains(o, f) {
				t.Errorf("printed %q, which holds the key", o)
			}
		}
	}
	if !strings.Contains(logged.String(), s.ID()) {
		t.Errorf("the log %q does not name the key's ID", logged.String())
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"hex":            hex.EncodeToString(fixed),
		"hex upper":      strings.ToUpper(hex.EncodeToString(fixed)),
		"base64":         base64.StdEncoding.EncodeToString(fixed),
		"base64 raw":     base64.RawStdEncoding.EncodeToString(fixed),
		"base64 url":     base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff}, 16)),
		"spaces around":  "  " + hex.EncodeToString(fixed) + "\n",
		"base64 raw url": base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff}, 16)),
	}
	for name, text := range good {
		k, err := keys.Parse(text)
		if err != nil || len(k) != keys.Size {
			t.Errorf("%s: Parse = %x, %v", name, k, err)
		}
	}
	if k, _ := keys.Parse(hex.EncodeToString(fixed)); !bytes.Equal(k, fixed) {
		t.Errorf("hex parsed as %x", k)
	}
	bad := map[string]string{
		"empty":       "",
		"short hex":   hex.EncodeToString(fixed[:16]),
		"long base64": base64.StdEncoding.EncodeToString(append(bytes.Clone(fixed), 1)),
		"words":       "correct horse battery staple",
		"bad hex":     strings.Repeat("g", 64),
	}
	for name, text := range bad {
		k, err := keys.Parse(text)
		if err == nil {
			t.Errorf("%s: Parse(%q) = %x, want an error", name, text, k)
			continue
		}
		if text != "" && strings.Contains(err.Error(), text) {
			t.Errorf("%s: the error %q repeats the text", name, err)
		}
	}
}

func TestParseFile(t *testing.T) {
	t.Parallel()
	h := hex.EncodeToString(fixed)
	if k, err := keys.ParseFile([]byte("# a comment\n\n" + h + "\n# more\n")); err != nil || !bytes.Equal(k, fixed) {
		t.Errorf("ParseFile = %x, %v", k, err)
	}
	for name, text := range map[string]string{
		"empty":         "",
		"comments only": "# nothing here\n",
		"two keys":      h + "\n" + h + "\n",
		"bad line":      "# ok\nnot a key\n",
	} {
		if k, err := keys.ParseFile([]byte(text)); err == nil {
			t.Errorf("%s: ParseFile = %x, want an error", name, k)
		}
	}
}

// TestLoadCreatesKeyFile: the first load creates the key file with rights
// 0600 (its folder 0700); later loads read the same key.
func TestLoadCreatesKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "safecase.key")
	s, err := keys.Load(keys.Source{File: path, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Created() || s.Source() != path || s.FromEnv() {
		t.Errorf("created %v, source %q", s.Created(), s.Source())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
		}
		if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
			t.Errorf("key folder mode %04o, want 0700", di.Mode().Perm())
		}
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "# SafeCase deployment key, id "+s.ID()) || !strings.Contains(string(b), "apart from the database") {
		t.Errorf("key file reads %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the folder holds %d files, want only the key file (no temporary file left)", len(entries))
	}
	again, err := keys.Load(keys.Source{File: path, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Created() || again.ID() != s.ID() || !bytes.Equal(again.Derive(keys.AuditChain), s.Derive(keys.AuditChain)) {
		t.Errorf("second load: created %v, id %s, want %s", again.Created(), again.ID(), s.ID())
	}
}

// TestLoadRefusesReadableKeyFile: a key file others may read stops the
// load, with the chmod that fixes it.
func TestLoadRefusesReadableKeyFile(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix rights on Windows")
	}
	path := filepath.Join(t.TempDir(), "safecase.key")
	if _, err := keys.Load(keys.Source{File: path, Create: true}); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := keys.Load(keys.Source{File: path, Create: true})
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) || !strings.Contains(err.Error(), fmt.Sprintf("%04o", mode)) {
			t.Errorf("mode %04o: error %v, want a refusal saying chmod 600", mode, err)
		}
	}
	os.Chmod(path, 0o400)
	if _, err := keys.Load(keys.Source{File: path}); err != nil {
		t.Errorf("a key file readable by its owner only (0400) was refused: %v", err)
	}
}

func TestLoadWithoutKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "safecase.key")
	_, err := keys.Load(keys.Source{File: path})
	if !errors.Is(err, keys.ErrNoKey) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "SAFECASE_KEY") {
		t.Errorf("Load without a key: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("Load without Create created the key file")
	}
	if _, err := keys.Load(keys.Source{}); !errors.Is(err, keys.ErrNoKey) {
		t.Errorf("Load of nothing: %v", err)
	}
	// A key file that is not a key.
	os.WriteFile(path, []byte("hello\n"), 0o600)
	if _, err := keys.Load(keys.Source{File: path, Create: true}); err == nil || errors.Is(err, keys.ErrNoKey) ||
		!strings.Contains(err.Error(), path) {
		t.Errorf("Load of a file without a key: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "hello\n" {
		t.Error("Load overwrote a bad key file")
	}
}

// TestLoadFromEnv: the environment variable wins over the key file, which
// is then neither read nor created.
func TestLoadFromEnv(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "safecase.key")
	s, err := keys.Load(keys.Source{Env: hex.EncodeToString(fixed), File: path, Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if !s.FromEnv() || s.Source() != "SAFECASE_KEY" || s.ID() != mustNew(t, fixed).ID() {
		t.Errorf("from env: %v", s)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("a key from the environment created a key file")
	}
	_, err = keys.Load(keys.Source{Env: "too-short", File: path, Create: true})
	if err == nil || !strings.Contains(err.Error(), "SAFECASE_KEY") || strings.Contains(err.Error(), "too-short") {
		t.Errorf("a bad SAFECASE_KEY: %v", err)
	}
}

// TestLoadConcurrentCreate: processes starting at once agree on one key.
func TestLoadConcurrentCreate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "safecase.key")
	const n = 8
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := keys.Load(keys.Source{File: path, Create: true})
			if err == nil {
				ids[i] = s.ID()
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Errorf("load %d: id %s err %v; load 0 has id %s", i, ids[i], errs[i], ids[0])
		}
	}
}

// FuzzParse: Parse never panics, returns a key of Size bytes or an error,
// and never repeats its input in the error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{hex.EncodeToString(fixed), base64.StdEncoding.EncodeToString(fixed),
		base64.RawURLEncoding.EncodeToString(fixed), "", " ", "00", strings.Repeat("a", 64), strings.Repeat("=", 44), "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := keys.Parse(s)
		if err == nil && len(k) != keys.Size {
			t.Fatalf("Parse(%q) = %d bytes", s, len(k))
		}
		if err != nil && len(strings.TrimSpace(s)) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(s)) {
			t.Fatalf("the error %q repeats the input", err)
		}
		if _, err := keys.ParseFile([]byte(s)); err != nil && len(strings.TrimSpace(s)) >= 8 &&
			!strings.HasPrefix(strings.TrimSpace(s), "#") && strings.Contains(err.Error(), strings.TrimSpace(s)) {
			t.Fatalf("the file error %q repeats the input", err)
		}
	})
}
