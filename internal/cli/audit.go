package cli

import (
	"context"
	"fmt"

	"github.com/safecase/safecase/internal/store"
)

var auditCmd = &command{
	name: "audit", args: "verify [flags]", summary: "prove the audit trail's hash chain is unbroken",
	detail: `'safecase audit verify' reads every audit event in order and checks each
one's hash and its link to the one before, and the last against the recorded
head of the chain. It exits with status 0 when the chain is intact and 1,
listing the breaks, when any event was edited, deleted, inserted or moved.`,
	run: runAudit,
}

func runAudit(ctx context.Context, a *app, c *command, args []string) error {
	if len(args) == 0 {
		return usagef("name a subcommand: verify")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(a.stdout, c, flagSet(c))
		return errHelp
	case "verify":
	default:
		return usagef("unknown subcommand %q: use verify", args[0])
	}
	sub := &command{name: "audit verify", summary: c.summary, detail: c.detail}
	fs := flagSet(sub)
	cf := addConfigFlags(fs, optDB)
	if err := a.parse(sub, fs, args[1:]); err != nil {
		return err
	}
	cfg, err := cf.resolve(fs, a.getenv)
	if err != nil {
		return inSub(sub.name, err)
	}
	db, err := a.openDB(ctx, cfg, false, store.Options{})
	if err != nil {
		return inSub(sub.name, err)
	}
	defer db.Close()
	v, err := db.VerifyAudit(ctx)
	if err != nil {
		return inSub(sub.name, err)
	}
	if v.OK() {
		fmt.Fprintf(a.stdout, "audit chain intact: %d events\n", v.Count)
		return nil
	}
	fmt.Fprintf(a.stdout, "audit chain BROKEN: %d problems in %d events\n", len(v.Problems), v.Count)
	for _, p := range v.Problems {
		fmt.Fprintf(a.stdout, "  %s\n", p)
	}
	return &exitError{exitFail}
}
