package cli

import (
	"context"
	"log/slog"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/store"
)

// checkpointer writes the audit chain's checkpoints while serve runs: at
// start, every cfg.CheckpointEvery when the head moved, and at shutdown —
// to the checkpoint file and, as one line each, to the log.
type checkpointer struct {
	a    *app
	path string
	db   *store.DB
	log  *slog.Logger
	last audit.Checkpoint
	have bool
}

// newCheckpointer returns serve's checkpointer, and makes db log the
// tampering with the chain's head it finds (and records) while serving.
func (a *app) newCheckpointer(cfg *Config, db *store.DB, log *slog.Logger) *checkpointer {
	db.OnTampering(func(found string) {
		log.Error("audit chain tampered with: recorded in the chain; run 'safecase audit verify'", "found", found)
	})
	return &checkpointer{a: a, path: cfg.Checkpoints, db: db, log: log}
}

// write checkpoints the chain unless its head is where the last checkpoint
// found it. A head that does not match its MAC is logged as an error, not
// checkpointed.
func (c *checkpointer) write(ctx context.Context) {
	if c.db.Keys() == nil {
		return
	}
	cp, err := c.db.AuditCheckpoint(ctx, c.a.now())
	if err != nil {
		if ctx.Err() == nil {
			c.log.Error("audit checkpoint", "err", err)
		}
		return
	}
	if c.have && cp.Seq == c.last.Seq && cp.Hash == c.last.Hash {
		return
	}
	c.last, c.have = cp, true
	c.log.Info("audit checkpoint", "seq", cp.Seq, "hash", cp.Hash, "checkpoint", cp.String())
	if err := appendCheckpoint(c.path, cp); err != nil {
		c.log.Error("audit checkpoint file", "file", c.path, "err", err)
	}
}
