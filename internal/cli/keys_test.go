package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/store"
	"github.com/safecase/safecase/internal/testdb"
)

// pgFolders holds a temporary folder per PostgreSQL test database, for its
// checkpoint file.
var pgFolders sync.Map // database URL -> folder

// testEnv completes env for a test run on PostgreSQL, whose key and
// checkpoint files would otherwise default to data/ under this package's
// folder: the fixed test key (unless the test names a key or key file)
// and a checkpoint file in a temporary folder of the test's own.
func testEnv(t *testing.T, env map[string]string) map[string]string {
	dbURL := env["SAFECASE_DB"]
	if !store.IsPostgres(dbURL) {
		return env
	}
	out := maps.Clone(env)
	if out[keys.EnvVar] == "" && out["SAFECASE_KEY_FILE"] == "" {
		out[keys.EnvVar] = hex.EncodeToString(testdb.Key)
	}
	if out["SAFECASE_CHECKPOINT_FILE"] == "" {
		dir, _ := pgFolders.LoadOrStore(dbURL, t.TempDir())
		out["SAFECASE_CHECKPOINT_FILE"] = filepath.Join(dir.(string), "safecase.checkpoints")
	}
	return out
}

// testKeys returns the key the commands of a test use on dbURL: the fixed
// test key on PostgreSQL, the key file beside a SQLite database (nil when
// there is none yet).
func testKeys(t *testing.T, dbURL string) *keys.Set {
	t.Helper()
	if store.IsPostgres(dbURL) {
		return testdb.Keys()
	}
	ks, err := keys.Load(keys.Source{File: defaultKeyFile(dbURL)})
	if errors.Is(err, keys.ErrNoKey) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// keyEnv is a test's environment with its own key file and checkpoint file
// in a temporary folder, on every engine.
type keyEnv struct {
	env         map[string]string
	keyFile     string
	checkpoints string
	engine      string
	dbURL       string
}

func newKeyEnv(t *testing.T, engine string) *keyEnv {
	dir := filepath.Join(t.TempDir(), "keys")
	k := &keyEnv{keyFile: filepath.Join(dir, "deploy.key"), checkpoints: filepath.Join(dir, "deploy.checkpoints"),
		engine: engine, dbURL: testdb.URL(t, engine)}
	k.env = map[string]string{"SAFECASE_DB": k.dbURL, "SAFECASE_KEY_FILE": k.keyFile, "SAFECASE_CHECKPOINT_FILE": k.checkpoints}
	return k
}

// eachKeyEnv runs fn on every engine with its own key environment.
func eachKeyEnv(t *testing.T, fn func(t *testing.T, k *keyEnv)) {
	for _, eng := range testdb.Engines(t) {
		t.Run(eng, func(t *testing.T) { fn(t, newKeyEnv(t, eng)) })
	}
}

// addAdmin runs 'user add' for a first administrator (two audit events).
func addAdmin(t *testing.T, env map[string]string, name string) result {
	t.Helper()
	// The first system administrator types a password (read from standard
	// input); any later one gets a setup code and reads nothing.
	return run(t, env, "mango kettle violin\n", "user", "add", "--username", name, "--name", "Admin "+name,
		"--role", "system_admin", "--agency", "HQ", "--agency-name", "Head office")
}

// readCheckpointFile returns the checkpoints of the file at path, failing
// the test on a line that is not one.
func readCheckpointFile(t *testing.T, path string) []audit.Checkpoint {
	t.Helper()
	cps, problems, err := readCheckpoints(path)
	if err != nil || len(problems) > 0 {
		t.Fatalf("checkpoints in %s: %v %v", path, err, problems)
	}
	return cps
}

// mode returns the permission bits of the file at path.
func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestKeySettings(t *testing.T) {
	tests := []struct {
		args          []string
		env           map[string]string
		key, cps      string
		every         time.Duration
		envKeyVisible bool
	}{
		{nil, nil, filepath.Join("data", "safecase.key"), filepath.Join("data", "safecase.checkpoints"), 5 * time.Minute, false},
		{[]string{"--db", "/srv/sc/main.db"}, nil, "/srv/sc/main.key", "/srv/sc/main.checkpoints", 5 * time.Minute, false},
		{[]string{"--db", "sqlite:/srv/sc/main.sqlite?mode=rwc"}, nil, "/srv/sc/main.key", "/srv/sc/main.checkpoints", 5 * time.Minute, false},
		{[]string{"--db", "/srv/sc/odd.key"}, nil, "/srv/sc/odd.key.key", "/srv/sc/odd.key.checkpoints", 5 * time.Minute, false},
		{[]string{"--db", "postgres://db.example.org/sc"}, nil, filepath.Join("data", "safecase.key"), filepath.Join("data", "safecase.checkpoints"), 5 * time.Minute, false},
		{nil, map[string]string{"SAFECASE_KEY_FILE": "/etc/safecase/key", "SAFECASE_CHECKPOINT_EVERY": "1m"},
			"/etc/safecase/key", "/etc/safecase/key.checkpoints", time.Minute, false},
		{[]string{"--key-file", "/k/sc.key", "--checkpoint-file", "/var/log/sc.cp", "--checkpoint-every", "30s"},
			map[string]string{"SAFECASE_KEY_FILE": "/etc/safecase/key", keys.EnvVar: "secret-value"},
			"/k/sc.key", "/var/log/sc.cp", 30 * time.Second, true},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		cf := addConfigFlags(fs, optDB|optProfile|optServer)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		c, err := cf.resolve(fs, func(k string) string { return tt.env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if c.KeyFile != tt.key || c.Checkpoints != tt.cps || c.CheckpointEvery != tt.every || (string(c.Key) != "") != tt.envKeyVisible {
			t.Errorf("args %v env %v: key file %q, checkpoints %q, every %v, key set %v; want %q, %q, %v",
				tt.args, tt.env, c.KeyFile, c.Checkpoints, c.CheckpointEvery, c.Key != "", tt.key, tt.cps, tt.every)
		}
		for _, shown := range []string{fmtConfig(c)} {
			if strings.Contains(shown, "secret-value") {
				t.Errorf("the printed configuration shows SAFECASE_KEY: %s", shown)
			}
		}
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cf := addConfigFlags(fs, optDB|optServer)
	fs.Parse([]string{"--checkpoint-every", "0s"})
	if _, err := cf.resolve(fs, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "--checkpoint-every") {
		t.Errorf("--checkpoint-every 0s: %v", err)
	}
}

// fmtConfig prints a configuration whole, as a careless log line would.
func fmtConfig(c *Config) string {
	var b bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		b.WriteString(strings.ReplaceAll(verb, "%", "") + "=")
		b.WriteString(fmt.Sprintf(verb, c) + "\n")
	}
	return b.String()
}

// TestFirstStartCreatesKey: the first command creates the key file (0600)
// beside the database, keys the audit chain from its first event and
// writes that point to the checkpoint file; verify reads it.
func TestFirstStartCreatesKey(t *testing.T) {
	t.Run("sqlite, beside the database", func(t *testing.T) {
		dir := t.TempDir()
		env := map[string]string{"SAFECASE_DB": filepath.Join(dir, "data", "safecase.db")}
		r := addAdmin(t, env, "admin")
		keyFile, cpFile := filepath.Join(dir, "data", "safecase.key"), filepath.Join(dir, "data", "safecase.checkpoints")
		if r.code != 0 || !strings.Contains(r.stderr, "created the key file "+keyFile) ||
			!strings.Contains(r.stderr, "keyed the audit chain from event 1") {
			t.Fatalf("user add: exit %d, stderr %q", r.code, r.stderr)
		}
		if m := mode(t, keyFile); m != 0o600 {
			t.Errorf("key file mode %04o", m)
		}
		if m := mode(t, cpFile); m != 0o600 {
			t.Errorf("checkpoint file mode %04o", m)
		}
		ks, err := keys.Load(keys.Source{File: keyFile})
		if err != nil {
			t.Fatal(err)
		}
		cps := readCheckpointFile(t, cpFile)
		if len(cps) != 1 || cps[0].Seq != 0 || cps[0].KeyedFrom != 1 || !cps[0].Valid(ks.Derive(keys.AuditChain)) {
			t.Errorf("checkpoints %+v", cps)
		}
		b, _ := os.ReadFile(keyFile)
		secret := strings.TrimSpace(string(b[bytes.LastIndexByte(b[:len(b)-1], '\n')+1:]))
		if r.stdout+r.stderr != "" && strings.Contains(r.stdout+r.stderr, secret) {
			t.Error("the key was printed")
		}
		// A second command reads the same key and writes no second keying point.
		r = run(t, env, "", "user", "list")
		if r.code != 0 || strings.Contains(r.stderr, "created the key") || strings.Contains(r.stderr, "keyed the audit chain") {
			t.Errorf("user list: exit %d, stderr %q", r.code, r.stderr)
		}
		r = run(t, env, "", "audit", "verify")
		if r.code != 0 || !strings.Contains(r.stdout, "audit chain intact: 2 events, keyed with key "+ks.ID()) ||
			!strings.Contains(r.stdout, "1 checkpoints reached, from "+cpFile) {
			t.Errorf("audit verify: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
	})
	eachKeyEnv(t, func(t *testing.T, k *keyEnv) {
		if r := run(t, k.env, "", "migrate"); r.code != 0 || !strings.Contains(r.stderr, "created the key file "+k.keyFile) {
			t.Fatalf("migrate: exit %d, %q", r.code, r.stderr)
		}
		if m := mode(t, filepath.Dir(k.keyFile)); m != 0o700 {
			t.Errorf("key folder mode %04o", m)
		}
		if cps := readCheckpointFile(t, k.checkpoints); len(cps) != 1 {
			t.Errorf("checkpoints %+v", cps)
		}
	})
}

// TestKeyFileRightsRefused: a key file other users may read stops every
// command, saying how to fix it.
func TestKeyFileRightsRefused(t *testing.T) {
	eachKeyEnv(t, func(t *testing.T, k *keyEnv) {
		if r := addAdmin(t, k.env, "admin"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		if err := os.Chmod(k.keyFile, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"user", "list"}, {"migrate"}, {"audit", "verify"}, {"audit", "checkpoint"},
			{"serve", "--addr", "127.0.0.1:0"}} {
			r := run(t, k.env, "", args...)
			if r.code != 1 || !strings.Contains(r.stderr, "chmod 600 "+k.keyFile) || !strings.Contains(r.stderr, "0644") {
				t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
			}
		}
		os.Chmod(k.keyFile, 0o600)
		if r := run(t, k.env, "", "user", "list"); r.code != 0 {
			t.Errorf("after chmod 600: exit %d, %q", r.code, r.stderr)
		}
	})
}

// eventCount returns how many audit events the database holds and whether
// its chain verifies with ks.
func eventCount(t *testing.T, dbURL string, ks *keys.Set) (int64, bool) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.UseKeys(ks)
	v, err := db.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return v.Count, v.OK()
}

// TestWrongKeyRefused: started with another key file, another
// SAFECASE_KEY or no key at all, every command refuses the database with
// what to do, and writes nothing.
func TestWrongKeyRefused(t *testing.T) {
	eachKeyEnv(t, func(t *testing.T, k *keyEnv) {
		if r := addAdmin(t, k.env, "admin"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		right, err := keys.Load(keys.Source{File: k.keyFile})
		if err != nil {
			t.Fatal(err)
		}
		before, _ := eventCount(t, k.dbURL, right)
		saved, _ := os.ReadFile(k.keyFile)

		// Another key file in its place (as if the folder were recreated).
		os.Remove(k.keyFile)
		other, err := keys.Load(keys.Source{File: k.keyFile, Create: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"user", "add", "--username", "second", "--name", "Second", "--role", "system_admin",
			"--agency", "HQ", "--password", "long-enough-1"}, {"migrate"}, {"audit", "verify"}, {"serve", "--addr", "127.0.0.1:0"}} {
			r := run(t, k.env, "", args...)
			want := "this database was created with another key file (id " + right.ID() + "; " + k.keyFile + " holds key " + other.ID()
			if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "restore "+k.keyFile) {
				t.Errorf("%v with another key file: exit %d, stderr %q", args, r.code, r.stderr)
			}
		}
		// Another key in SAFECASE_KEY.
		env := maps.Clone(k.env)
		env[keys.EnvVar] = hex.EncodeToString(bytes.Repeat([]byte{9}, keys.Size))
		if r := addAdmin(t, env, "third"); r.code != 1 || !strings.Contains(r.stderr, "created with another key (id "+right.ID()) ||
			!strings.Contains(r.stderr, "SAFECASE_KEY holds key") {
			t.Errorf("another SAFECASE_KEY: exit %d, stderr %q", r.code, r.stderr)
		}
		// No key at all: refused, and no new key file made.
		os.Remove(k.keyFile)
		if r := addAdmin(t, k.env, "fourth"); r.code != 1 || !strings.Contains(r.stderr, "keyed with key "+right.ID()+", but there is no key") ||
			!strings.Contains(r.stderr, "restore the key file") {
			t.Errorf("no key: exit %d, stderr %q", r.code, r.stderr)
		}
		if _, err := os.Stat(k.keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Error("a command made a new key file for a database keyed with another")
		}
		if n, ok := eventCount(t, k.dbURL, right); n != before || !ok {
			t.Errorf("after the refusals: %d events (before %d), intact %v", n, before, ok)
		}
		// The key restored (or given in SAFECASE_KEY), all is well.
		env[keys.EnvVar] = strings.TrimSpace(string(saved[bytes.LastIndexByte(saved[:len(saved)-1], '\n')+1:]))
		if r := addAdmin(t, env, "fifth"); r.code != 0 {
			t.Errorf("with the right SAFECASE_KEY: exit %d, %q", r.code, r.stderr)
		}
		os.WriteFile(k.keyFile, saved, 0o600)
		if r := run(t, k.env, "", "audit", "verify"); r.code != 0 {
			t.Errorf("with the key file restored: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
	})
}

// TestAuditCheckpointCommand: 'audit checkpoint' prints a checkpoint of
// the head sealed with the key and appends it to the checkpoint file, to
// --out FILE, or nowhere with --out -.
func TestAuditCheckpointCommand(t *testing.T) {
	eachKeyEnv(t, func(t *testing.T, k *keyEnv) {
		if r := addAdmin(t, k.env, "admin"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		ks, _ := keys.Load(keys.Source{File: k.keyFile})
		r := run(t, k.env, "", "audit", "checkpoint")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "safecase-checkpoint v1 seq=2 ") || !strings.Contains(r.stderr, "appended to "+k.checkpoints) {
			t.Fatalf("audit checkpoint: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		cp, err := audit.ParseCheckpoint(r.stdout)
		if err != nil || !cp.Valid(ks.Derive(keys.AuditChain)) || cp.KeyID != ks.ID() || cp.KeyedFrom != 1 {
			t.Errorf("printed %+v, %v", cp, err)
		}
		if cps := readCheckpointFile(t, k.checkpoints); len(cps) != 2 || cps[1].String() != strings.TrimSpace(r.stdout) {
			t.Errorf("checkpoint file %+v", cps)
		}
		out := filepath.Join(t.TempDir(), "offsite", "cp.txt")
		if r := run(t, k.env, "", "audit", "checkpoint", "--out", out); r.code != 0 {
			t.Fatalf("--out: exit %d, %q", r.code, r.stderr)
		}
		if r := run(t, k.env, "", "audit", "checkpoint", "--out", "-"); r.code != 0 || !strings.HasPrefix(r.stdout, "safecase-checkpoint v1 ") {
			t.Errorf("--out -: exit %d, %q", r.code, r.stdout)
		}
		if cps := readCheckpointFile(t, out); len(cps) != 1 || mode(t, out) != 0o600 {
			t.Errorf("--out file %+v", cps)
		}
		if cps := readCheckpointFile(t, k.checkpoints); len(cps) != 2 {
			t.Errorf("--out and --out - appended to the checkpoint file: %d checkpoints", len(cps))
		}
		// audit commands never create a key.
		other := newKeyEnv(t, k.engine)
		if r := run(t, other.env, "", "migrate"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		os.Remove(other.keyFile)
		if r := run(t, other.env, "", "audit", "checkpoint"); r.code != 1 || !strings.Contains(r.stderr, "there is no key") {
			t.Errorf("audit checkpoint without a key: exit %d, %q", r.code, r.stderr)
		}
		if _, err := os.Stat(other.keyFile); !errors.Is(err, os.ErrNotExist) {
			t.Error("audit checkpoint created a key file")
		}
	})
}

// TestAuditVerifyCheckpoints: the attacks at the command line. A rollback
// of the whole database passes the chain's own checks but not its
// checkpoints; a forged checkpoint, a head moved back or deleted are
// reported with exit status 1.
func TestAuditVerifyCheckpoints(t *testing.T) {
	eachKeyEnv(t, func(t *testing.T, k *keyEnv) {
		if r := addAdmin(t, k.env, "admin"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		// The insider keeps a copy of the head as it is now.
		tamper(t, k.engine, k.dbURL, "CREATE TABLE head_copy AS SELECT * FROM audit_head")
		if r := addAdmin(t, k.env, "second"); r.code != 0 { // one more event
			t.Fatal(r.stderr)
		}
		offsite := filepath.Join(t.TempDir(), "offsite.checkpoints")
		if r := run(t, k.env, "", "audit", "checkpoint", "--out", offsite); r.code != 0 {
			t.Fatal(r.stderr)
		}
		if r := run(t, k.env, "", "audit", "checkpoint"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		r := run(t, k.env, "", "audit", "verify", "--checkpoint", offsite)
		if r.code != 0 || !strings.Contains(r.stdout, "audit chain intact: 3 events") || !strings.Contains(r.stdout, "1 checkpoints reached") {
			t.Fatalf("before: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}

		// Roll back: the last event deleted, the head restored.
		tamper(t, k.engine, k.dbURL, "DELETE FROM audit_events WHERE seq > (SELECT seq FROM head_copy)")
		tamper(t, k.engine, k.dbURL, `UPDATE audit_head SET seq = (SELECT seq FROM head_copy), hash = (SELECT hash FROM head_copy),
			mac = (SELECT mac FROM head_copy) WHERE id = 1`)
		empty := filepath.Join(t.TempDir(), "none")
		os.WriteFile(empty, nil, 0o600)
		if r := run(t, k.env, "", "audit", "verify", "--checkpoint", empty); r.code != 0 {
			t.Errorf("without checkpoints a rollback is consistent: exit %d, %q", r.code, r.stdout)
		}
		for _, args := range [][]string{{"audit", "verify"}, {"audit", "verify", "--checkpoint", offsite}} {
			r := run(t, k.env, "", args...)
			if r.code != 1 || !strings.Contains(r.stdout, "BROKEN") || !strings.Contains(r.stdout, "truncated: the checkpoint of") ||
				!strings.Contains(r.stdout, "recorded event 3, and the chain now ends at event 2") {
				t.Errorf("%v after a rollback: exit %d, %q %q", args, r.code, r.stdout, r.stderr)
			}
		}
		if r := run(t, k.env, "", "audit", "verify", "--checkpoint", offsite); !strings.Contains(r.stdout, offsite+":1: truncated") {
			t.Errorf("the problem does not name the checkpoint's file and line: %q", r.stdout)
		}

		// A forged checkpoint line.
		cps := readCheckpointFile(t, offsite)
		forged := strings.Replace(cps[0].String(), "seq=3 ", "seq=2 ", 1)
		forgedFile := filepath.Join(t.TempDir(), "forged")
		os.WriteFile(forgedFile, []byte(forged+"\nsafecase-checkpoint v1 garbage\n"), 0o600)
		r = run(t, k.env, "", "audit", "verify", "--checkpoint", forgedFile)
		if r.code != 1 || !strings.Contains(r.stdout, forgedFile+":1: forged or altered checkpoint") ||
			!strings.Contains(r.stdout, forgedFile+":2: not a valid checkpoint") {
			t.Errorf("forged checkpoint: exit %d, %q", r.code, r.stdout)
		}
		if r := run(t, k.env, "", "audit", "verify", "--checkpoint", filepath.Join(t.TempDir(), "missing")); r.code != 1 ||
			!strings.Contains(r.stderr, "checkpoints:") {
			t.Errorf("a missing checkpoint file: exit %d, %q", r.code, r.stderr)
		}

		// The head deleted: tampering, not an SQL error.
		tamper(t, k.engine, k.dbURL, "DELETE FROM audit_head")
		r = run(t, k.env, "", "audit", "verify", "--checkpoint", empty)
		if r.code != 1 || !strings.Contains(r.stdout, "head: tampering: the chain's head record is missing") || r.stderr != "" {
			t.Errorf("head deleted, audit verify: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		r = run(t, k.env, "", "user", "list")
		if r.code != 1 || !strings.Contains(r.stderr, "tampering: the chain's head record is missing") || strings.Contains(r.stderr, "no rows") {
			t.Errorf("head deleted, user list: exit %d, %q", r.code, r.stderr)
		}
	})
}

// TestAuditHeadMovedBack: the attack — the last events deleted and
// the head moved to the new end — fails audit verify, checkpoints or not.
func TestAuditHeadMovedBack(t *testing.T) {
	eachKeyEnv(t, func(t *testing.T, k *keyEnv) {
		if r := addAdmin(t, k.env, "admin"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		tamper(t, k.engine, k.dbURL, "DELETE FROM audit_events WHERE seq = 2")
		tamper(t, k.engine, k.dbURL, "UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_events WHERE seq = 1) WHERE id = 1")
		os.Remove(k.checkpoints)
		r := run(t, k.env, "", "audit", "verify")
		if r.code != 1 || !strings.Contains(r.stdout, "head: does not match its MAC") {
			t.Errorf("audit verify: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		if r := run(t, k.env, "", "audit", "checkpoint"); r.code != 1 || !strings.Contains(r.stderr, "does not match its MAC") {
			t.Errorf("audit checkpoint of a moved head: exit %d, %q", r.code, r.stderr)
		}
	})
}

// TestPreKeyDatabase: a database whose events were written before it had
// a key keeps them unkeyed; the first command keys the chain from the next
// event and records that point; later a head reset to look unkeyed is
// refused at start.
func TestPreKeyDatabase(t *testing.T) {
	eachKeyEnv(t, func(t *testing.T, k *keyEnv) {
		ctx := context.Background()
		db, err := store.Open(ctx, k.dbURL, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ { // no key: the unkeyed hashes of before
			if err := db.Audit(ctx, audit.Event{Action: "user.signin", RecordType: "user"}); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
		r := run(t, k.env, "", "user", "list")
		if r.code != 0 || !strings.Contains(r.stderr, "keyed the audit chain from event 4 with key") {
			t.Fatalf("first start with a key: exit %d, %q", r.code, r.stderr)
		}
		if cps := readCheckpointFile(t, k.checkpoints); len(cps) != 1 || cps[0].Seq != 3 || cps[0].KeyedFrom != 4 {
			t.Errorf("the keying checkpoint: %+v", cps)
		}
		if r := addAdmin(t, k.env, "admin"); r.code != 0 {
			t.Fatal(r.stderr)
		}
		r = run(t, k.env, "", "audit", "verify")
		if r.code != 0 || !strings.Contains(r.stdout, "audit chain intact: 5 events, keyed with key") ||
			!strings.Contains(r.stdout, "from event 4 (the events before it were written before the deployment had a key)") {
			t.Errorf("audit verify: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		// The head's key cleared behind SafeCase's back: no command keys
		// the chain again over the checkpoints of its keyed past.
		tamper(t, k.engine, k.dbURL, "UPDATE audit_head SET keyed_from = 0, key_id = '', mac = '' WHERE id = 1")
		r = run(t, k.env, "", "user", "list")
		if r.code != 1 || !strings.Contains(r.stderr, "its head was reset") || !strings.Contains(r.stderr, k.checkpoints) {
			t.Errorf("head reset: exit %d, %q", r.code, r.stderr)
		}
		r = run(t, k.env, "", "audit", "verify")
		if r.code != 1 || !strings.Contains(r.stdout, "names no key although this deployment has one") ||
			!strings.Contains(r.stdout, "keyed from event 4 at the checkpoint") {
			t.Errorf("audit verify of a reset head: exit %d, %q", r.code, r.stdout)
		}
	})
}

// TestServeCheckpoints: serve checkpoints the chain at start, when it
// moved, and at shutdown, to the checkpoint file and to its log, and
// audit verify reads both.
func TestServeCheckpoints(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "safecase.db")
	cpFile := filepath.Join(dir, "safecase.checkpoints")
	env := map[string]string{"SAFECASE_DB": dbURL}
	ctx := context.Background()
	srv := start(t, env, 20*time.Second, []string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--checkpoint-every", "20ms"})
	defer srv.cancel()
	errOut := &srv.errOut
	// Move the head while serve runs, as a page view would.
	db, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.UseKeys(testKeys(t, dbURL))
	if err := db.Audit(ctx, audit.Event{Action: "case.view", RecordType: "case"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errOut.String(), `"seq":1,`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := db.Audit(ctx, audit.Event{Action: "case.view", RecordType: "case"}); err != nil {
		t.Fatal(err)
	}
	// The second event is checkpointed at shutdown, if not before.
	if code := srv.stop(t); code != 0 {
		t.Fatalf("serve exited %d: %s", code, errOut.String())
	}
	cps := readCheckpointFile(t, cpFile)
	seen := map[int64]bool{}
	for _, c := range cps {
		seen[c.Seq] = true
	}
	if !seen[0] || !seen[1] || !seen[2] {
		t.Errorf("checkpoints of events %v, want 0 (keying, start), 1 (moved) and 2 (shutdown)", seen)
	}
	for i := 1; i < len(cps); i++ {
		if cps[i].Seq == cps[i-1].Seq && cps[i].Seq != 0 {
			t.Errorf("checkpoint of event %d written twice though the head did not move", cps[i].Seq)
		}
	}
	logs := errOut.String()
	if !strings.Contains(logs, `"msg":"audit checkpoint","seq":2,"hash":"`+cps[len(cps)-1].Hash) {
		t.Errorf("no log line for the last checkpoint: %s", logs)
	}
	logFile := filepath.Join(t.TempDir(), "serve.log")
	os.WriteFile(logFile, []byte(logs), 0o600)
	r := run(t, env, "", "audit", "verify", "--checkpoint", logFile)
	if r.code != 0 || !strings.Contains(r.stdout, "audit chain intact: 2 events") || strings.Contains(r.stdout, " 0 checkpoints") {
		t.Errorf("audit verify with the log: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}
