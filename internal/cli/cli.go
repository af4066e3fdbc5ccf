// Package cli is the safecase command line: it reads the configuration
// once (flags, then SAFECASE_* environment variables, then defaults) and runs
// the subcommands serve, migrate, demo, user, audit (verify, checkpoint),
// gen and version. Every command that opens the database loads the
// deployment's key the same way (keys.go).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/safecase/safecase/internal/errs"
	"github.com/safecase/safecase/internal/store"
)

// Version is SafeCase's version, set at build time with
// -ldflags "-X github.com/safecase/safecase/internal/cli.Version=v1.2.3".
var Version = "dev"

// Main runs the safecase command with args (the program name left out) and
// returns the exit status: 0 on success, 1 on failure, 2 on a usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, terminal: isTerminal(os.Stdin), now: time.Now}
	return a.main(ctx, args)
}

// app is one run of the command line, with its inputs and outputs.
type app struct {
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	getenv   func(string) string
	terminal bool // stdin is a terminal: prompt for passwords without echo
	now      func() time.Time
	// listening, when set, is told the server's URL once it accepts requests.
	listening func(url string)
	// mailEvery, when set, replaces how often e-mail notifications are
	// delivered (mailEvery), for tests.
	mailEvery time.Duration
}

// command is one subcommand.
type command struct {
	name    string
	args    string // what follows the name in the usage line
	summary string
	detail  string
	run     func(ctx context.Context, a *app, c *command, args []string) error
}

func (a *app) commands() []*command {
	return []*command{
		serveCmd, migrateCmd, demoCmd, userCmd, auditCmd, genCmd, versionCmd,
		{name: "help", args: "[command]", summary: "show help for a command", run: runHelp},
	}
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// usageError is a mistake in how the command was called.
type usageError struct{ cmd, msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

// exitError ends the command with a status and nothing more to say.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// cmdError is an error of the subcommand cmd (such as "user add").
type cmdError struct {
	cmd string
	err error
}

func (e *cmdError) Error() string { return e.cmd + ": " + e.err.Error() }
func (e *cmdError) Unwrap() error { return e.err }

// inSub attributes err, if any, to subcommand cmd.
func inSub(cmd string, err error) error {
	if err == nil {
		return nil
	}
	return &cmdError{cmd: cmd, err: err}
}

// errHelp reports that help was asked for and printed.
var errHelp = flag.ErrHelp

func (a *app) main(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		a.usage(a.stdout)
		return exitOK
	case "-v", "-version", "--version":
		name = "version"
	}
	for _, c := range a.commands() {
		if c.name == name {
			return a.finish(c.name, c.run(ctx, a, c, args[1:]))
		}
	}
	fmt.Fprintf(a.stderr, "safecase: unknown command %q\n\n", name)
	a.usage(a.stderr)
	return exitUsage
}

// finish reports err, if any, and returns the exit status.
func (a *app) finish(name string, err error) int {
	var ue *usageError
	var ee *exitError
	var ce *cmdError
	if errors.As(err, &ce) {
		name, err = ce.cmd, ce.err
	}
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		if ue.cmd != "" {
			name = ue.cmd
		}
		fmt.Fprintf(a.stderr, "safecase %s: %s\nRun 'safecase %s --help' for usage.\n", name, ue.msg, name)
		return exitUsage
	}
	if f, ok := errs.AsFields(err); ok {
		fmt.Fprintf(a.stderr, "safecase %s: %s\n", name, describeFields(f))
		return exitFail
	}
	fmt.Fprintf(a.stderr, "safecase %s: %v\n", name, err)
	return exitFail
}

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, `SafeCase: case management for child protection and gender-based violence.

Usage: safecase <command> [flags]

Commands:
`)
	for _, c := range a.commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'safecase <command> --help' for a command's flags. Settings come from
flags, then SAFECASE_* environment variables, then built-in defaults.
`)
}

func runHelp(ctx context.Context, a *app, _ *command, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		a.usage(a.stdout)
		return nil
	}
	for _, c := range a.commands() {
		if c.name == args[0] && c.name != "help" {
			return c.run(ctx, a, c, append(args[1:], "--help"))
		}
	}
	return usagef("no command %q", args[0])
}

// flagSet returns an empty flag set for command c; parse prints its usage.
func flagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("safecase "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args into fs. On --help it prints c's usage to stdout and
// returns errHelp; it refuses positional arguments.
func (a *app) parse(c *command, fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(a.stdout, c, fs)
			return errHelp
		}
		return &usageError{cmd: c.name, msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{cmd: c.name, msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// printUsage writes c's usage line, description and flags.
func printUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	args := c.args
	if args == "" {
		args = "[flags]"
	}
	fmt.Fprintf(w, "Usage: safecase %s %s\n\n%s.\n", c.name, args, upperFirst(c.summary))
	if c.detail != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.detail))
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprint(w, "\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			kind = ""
		} else if kind == "" || kind == "value" {
			kind = "string"
		}
		line := "  --" + f.Name
		if kind != "" {
			line += " " + kind
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "%s\n      %s%s\n", line, usage, def)
	})
	fmt.Fprint(w, "  --help\n      show this help\n")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// openDB opens the configured database with the deployment's key
// (useKeys). With migrate it applies pending migrations (saying which on
// w); without, it refuses a database that is not up to date.
func (a *app) openDB(ctx context.Context, cfg *Config, migrate bool, opt store.Options) (*store.DB, error) {
	return a.openKeyed(ctx, cfg, migrate, opt, true)
}

// openKeyed opens the configured database (openPlain) and gives it the
// deployment's key (useKeys, with create as there); it closes the database
// again when the key will not do.
func (a *app) openKeyed(ctx context.Context, cfg *Config, migrate bool, opt store.Options, create bool) (*store.DB, error) {
	db, err := a.openPlain(ctx, cfg, migrate, opt)
	if err != nil {
		return nil, err
	}
	if err := a.useKeys(ctx, cfg, db, create); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openPlain opens the configured database, without its key.
func (a *app) openPlain(ctx context.Context, cfg *Config, migrate bool, opt store.Options) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DB, opt)
	if err != nil {
		return nil, err
	}
	if migrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		for _, m := range applied {
			fmt.Fprintf(a.stderr, "applied migration %s\n", m)
		}
		return db, nil
	}
	pending, err := db.Pending(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(pending) > 0 {
		db.Close()
		return nil, fmt.Errorf("the database is not up to date (%d migrations pending, first %s): run 'safecase migrate'",
			len(pending), pending[0])
	}
	return db, nil
}

var versionCmd = &command{name: "version", summary: "print the version", run: runVersion}

func runVersion(_ context.Context, a *app, c *command, args []string) error {
	if err := a.parse(c, flagSet(c), args); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "safecase %s (%s %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
