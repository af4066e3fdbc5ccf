package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/safecase/safecase/internal/audit"
	"github.com/safecase/safecase/internal/store"
)

var auditCmd = &command{
	name: "audit", args: "verify|checkpoint [flags]", summary: "verify the audit trail, or record a checkpoint of it",
	detail: `'safecase audit verify' proves the audit trail's chain is intact and reaches
every checkpoint recorded outside the database.

'safecase audit checkpoint' prints a checkpoint of the chain as it is now and
appends it to the checkpoint file (or --out FILE).

Run 'safecase audit verify --help' or 'safecase audit checkpoint --help' for
their flags.`,
	run: runAudit,
}

var auditVerifyCmd = &command{
	name: "audit verify", summary: "prove the audit trail's chain is intact",
	detail: `Reads every audit event in order and checks each one's hash — keyed with
the deployment's key from the event the chain was keyed from on, SHA-256
before it — and its link to the one before, and the last against the
recorded head of the chain, which is sealed with the key. Then it checks
the chain against every checkpoint in the checkpoint files: that each is
genuine (sealed with this key) and that the chain still reaches its event
with the same hash — which catches a database rolled back to an earlier
state, or rewritten from one. Without --checkpoint it reads the checkpoint
file, if there is one. A log of 'safecase serve' can be given too: its
"audit checkpoint" lines are read.

It exits with status 0 when the chain is intact and 1, listing what was
found, when any event was edited, deleted, inserted or moved, the head was
moved, edited or deleted, or a checkpoint is not reached or forged.`,
}

var auditCheckpointCmd = &command{
	name: "audit checkpoint", summary: "record a checkpoint of the audit trail",
	detail: `Prints a checkpoint of the audit chain as it is now — its last event's
number and hash, the time, sealed with the deployment's key — and appends
it to the checkpoint file (or to --out FILE; --out - only prints it). Keep
checkpoints where those who can write to the database cannot: 'safecase
audit verify --checkpoint FILE' then detects a rollback to before any of
them. 'safecase serve' writes one every --checkpoint-every, and to its log.`,
}

func runAudit(ctx context.Context, a *app, c *command, args []string) error {
	if len(args) == 0 {
		return usagef("name a subcommand: verify or checkpoint")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(a.stdout, c, flagSet(c))
		return errHelp
	case "verify":
		return a.runAuditVerify(ctx, args[1:])
	case "checkpoint":
		return a.runAuditCheckpoint(ctx, args[1:])
	}
	return usagef("unknown subcommand %q: use verify or checkpoint", args[0])
}

// files is a flag that may be given many times.
type files []string

func (f *files) String() string     { return strings.Join(*f, ", ") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

// openAudit opens the database to read its audit trail: with its key when
// there is one, never creating a key.
func (a *app) openAudit(ctx context.Context, cfg *Config) (*store.DB, error) {
	return a.openKeyed(ctx, cfg, false, store.Options{}, false)
}

func (a *app) runAuditVerify(ctx context.Context, args []string) error {
	sub := auditVerifyCmd
	fs := flagSet(sub)
	cf := addConfigFlags(fs, optDB)
	var from files
	fs.Var(&from, "checkpoint", "a checkpoint file, or a log with checkpoint lines, to check the chain against (may be repeated; default: the checkpoint file, if it exists)")
	if err := a.parse(sub, fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return inSub(sub.name, err)
	}
	if len(from) == 0 && cfg.Checkpoints != "" {
		if _, err := os.Stat(cfg.Checkpoints); err == nil {
			from = files{cfg.Checkpoints}
		}
	}
	var cps []audit.Checkpoint
	var unreadable []audit.Problem
	for _, f := range from {
		c, p, err := readCheckpoints(f)
		if err != nil {
			return inSub(sub.name, err)
		}
		cps, unreadable = append(cps, c...), append(unreadable, p...)
	}
	db, err := a.openAudit(ctx, cfg)
	if err != nil {
		return inSub(sub.name, err)
	}
	defer db.Close()
	v, err := db.VerifyAudit(ctx, cps...)
	if err != nil {
		return inSub(sub.name, err)
	}
	for _, p := range unreadable {
		v.Report(p)
	}
	if !v.OK() {
		fmt.Fprintf(a.stdout, "audit chain BROKEN: %d problems in %d events\n", len(v.Problems), v.Count)
		for _, p := range v.Problems {
			fmt.Fprintf(a.stdout, "  %s\n", p)
		}
		return &exitError{exitFail}
	}
	fmt.Fprintf(a.stdout, "audit chain intact: %d events", v.Count)
	switch {
	case v.KeyedFrom == 1:
		fmt.Fprintf(a.stdout, ", keyed with key %s\n", db.Keys().ID())
	case v.KeyedFrom > 1:
		fmt.Fprintf(a.stdout, ", keyed with key %s from event %d (the events before it were written before the deployment had a key)\n",
			db.Keys().ID(), v.KeyedFrom)
	case v.Count > 0:
		fmt.Fprint(a.stdout, ", none keyed yet (run 'safecase migrate' or start 'safecase serve' once to key the chain)\n")
	default:
		fmt.Fprintln(a.stdout)
	}
	if len(from) > 0 {
		fmt.Fprintf(a.stdout, "%d checkpoints reached, from %s\n", v.Checkpoints, strings.Join(from, ", "))
	} else {
		fmt.Fprintln(a.stdout, "no checkpoints checked: give --checkpoint FILE to detect a rollback of the whole database")
	}
	return nil
}

func (a *app) runAuditCheckpoint(ctx context.Context, args []string) error {
	sub := auditCheckpointCmd
	fs := flagSet(sub)
	cf := addConfigFlags(fs, optDB)
	out := fs.String("out", "", "append the checkpoint to this file instead of the checkpoint file; - only prints it")
	if err := a.parse(sub, fs, args); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return inSub(sub.name, err)
	}
	db, err := a.openAudit(ctx, cfg)
	if err != nil {
		return inSub(sub.name, err)
	}
	defer db.Close()
	if db.Keys() == nil {
		return inSub(sub.name, errors.New("the audit chain has no key yet: run 'safecase migrate' (or start 'safecase serve') once to key it"))
	}
	cp, err := db.AuditCheckpoint(ctx, a.now())
	if err != nil {
		return inSub(sub.name, err)
	}
	path := cfg.Checkpoints
	if *out != "" {
		path = *out
	}
	if path != "-" {
		if err := appendCheckpoint(path, cp); err != nil {
			return inSub(sub.name, fmt.Errorf("%w (the checkpoint: %s)", err, cp))
		}
		fmt.Fprintf(a.stderr, "appended to %s\n", path)
	}
	fmt.Fprintln(a.stdout, cp.String())
	return nil
}
