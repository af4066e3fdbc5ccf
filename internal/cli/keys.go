package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/keys"
	"github.com/safecase/safecase/internal/store"
)

// defaultKeyFile is where the deployment's key file lives unless
// configured: beside a SQLite database, named like it (data/safecase.db →
// data/safecase.key); for PostgreSQL, data/safecase.key under the working
// directory.
func defaultKeyFile(dbURL string) string {
	if dbURL == "" {
		return ""
	}
	if store.IsPostgres(dbURL) {
		return filepath.Join("data", "safecase.key")
	}
	path := strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if ext := filepath.Ext(path); ext != ".key" {
		path = strings.TrimSuffix(path, ext)
	}
	return path + ".key"
}

// defaultCheckpointFile is where audit checkpoints are appended unless
// configured: beside the key file, named like it (data/safecase.key →
// data/safecase.checkpoints).
func defaultCheckpointFile(keyFile string) string {
	if keyFile == "" {
		return ""
	}
	return strings.TrimSuffix(keyFile, ".key") + ".checkpoints"
}

// useKeys loads the deployment's key the way every command does and gives
// it to db. With create (every command but audit's) it creates the key
// file when the database's audit chain has no key yet, and keys the chain
// from the next event on, appending that point to the checkpoint file. It
// refuses a key other than the one the chain is keyed with, and a missing
// key once the chain is keyed.
func (a *app) useKeys(ctx context.Context, cfg *Config, db *store.DB, create bool) error {
	h, err := db.AuditHead(ctx)
	switch {
	case errors.Is(err, audit.ErrHeadMissing) && create:
		return fmt.Errorf("%w: nothing can be recorded; run 'safecase audit verify'", err)
	case errors.Is(err, audit.ErrHeadMissing):
		h = audit.Head{} // audit verify reports it
	case err != nil:
		return err
	}
	ks, err := keys.Load(keys.Source{Env: string(cfg.Key), File: cfg.KeyFile, Create: create && !h.Keyed()})
	switch {
	case errors.Is(err, keys.ErrNoKey) && h.Keyed():
		return fmt.Errorf("this database's audit chain is keyed with key %s, but there is no key: the key file %s "+
			"does not exist and %s is not set; restore the key file from its backup (or set %s)",
			h.KeyID, cfg.KeyFile, keys.EnvVar, keys.EnvVar)
	case errors.Is(err, keys.ErrNoKey) && !create:
		return nil // a chain without a key, read without one
	case err != nil:
		return err
	}
	if ks.Created() {
		fmt.Fprintf(a.stderr, "created the key file %s (key %s): keep a copy of it apart from the database and its backups\n",
			ks.Source(), ks.ID())
	}
	if h.Keyed() && h.KeyID != ks.ID() {
		if ks.FromEnv() {
			return fmt.Errorf("this database was created with another key (id %s; %s holds key %s): "+
				"set %s to this database's key, or unset it to use the key file %s", h.KeyID, keys.EnvVar, ks.ID(), keys.EnvVar, cfg.KeyFile)
		}
		return fmt.Errorf("this database was created with another key file (id %s; %s holds key %s): "+
			"restore %s from its backup, or set %s", h.KeyID, ks.Source(), ks.ID(), ks.Source(), keys.EnvVar)
	}
	db.UseKeys(ks)
	if !create || h.Keyed() {
		return nil
	}
	// The first start with a key: key the chain from the next event on, and
	// record that point outside the database.
	if err := refuseReset(cfg.Checkpoints, ks); err != nil {
		return err
	}
	cp, err := db.BindAuditKey(ctx, a.now())
	if err != nil || cp == nil {
		return err
	}
	if err := appendCheckpoint(cfg.Checkpoints, *cp); err != nil {
		return fmt.Errorf("the audit chain is keyed from event %d, but its checkpoint could not be written (%w); "+
			"keep this one: %s", cp.KeyedFrom, err, cp)
	}
	fmt.Fprintf(a.stderr, "keyed the audit chain from event %d with key %s; checkpoint appended to %s\n",
		cp.KeyedFrom, ks.ID(), cfg.Checkpoints)
	return nil
}

// refuseReset refuses to key a chain whose head has no key when the
// checkpoint file holds checkpoints of a chain keyed with this key: the
// head was reset (or the database rolled back to before it had a key),
// which must be looked into rather than papered over.
func refuseReset(path string, ks *keys.Set) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint file: %w", err)
	}
	defer f.Close()
	cps, _, err := audit.ReadCheckpoints(f, path)
	if err != nil {
		return err
	}
	secret := ks.Derive(keys.AuditChain)
	for _, c := range cps {
		if c.KeyID == ks.ID() && c.Valid(secret) {
			return fmt.Errorf("the database's audit chain has no key, yet %s holds a checkpoint of it keyed with key %s (%s): "+
				"its head was reset, or the database restored from before it had a key; run 'safecase audit verify' "+
				"and look into it (to start over nonetheless, move %s away)", path, ks.ID(), c.Where, path)
		}
	}
	return nil
}

// appendCheckpoint appends checkpoint c to the file at path (rights 0600,
// created with its folder) and flushes it to disk.
func appendCheckpoint(path string, c audit.Checkpoint) error {
	if path == "" {
		return errors.New("no checkpoint file is configured (--checkpoint-file)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, c.String()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readCheckpoints reads the checkpoints of the file at path: a checkpoint
// file or a log.
func readCheckpoints(path string) ([]audit.Checkpoint, []audit.Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoints: %w", err)
	}
	defer f.Close()
	return audit.ReadCheckpoints(f, path)
}
