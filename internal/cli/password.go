package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/safecase/safecase/internal/errs"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// readPassword asks for a password on a terminal, twice and without echo,
// or reads the first line of standard input when it is not a terminal.
func (a *app) readPassword(prompt string) (string, error) {
	if !a.terminal {
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	in := bufio.NewReader(a.stdin)
	echoOff := setEcho(false)
	defer func() {
		if echoOff {
			setEcho(true)
		}
	}()
	ask := func(p string) (string, error) {
		fmt.Fprint(a.stderr, p)
		line, err := in.ReadString('\n')
		if echoOff {
			fmt.Fprintln(a.stderr)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if !echoOff {
		fmt.Fprintln(a.stderr, "(the password will show as you type it)")
	}
	pw, err := ask(prompt + ": ")
	if err != nil {
		return "", err
	}
	again, err := ask("Type it again: ")
	if err != nil {
		return "", err
	}
	if pw != again {
		return "", errs.Field("password", "cli.password_mismatch")
	}
	return pw, nil
}

// setEcho turns the terminal's echo on or off with stty, and reports
// whether it could.
func setEcho(on bool) bool {
	arg := "-echo"
	if on {
		arg = "echo"
	}
	cmd := exec.Command("stty", arg)
	cmd.Stdin = os.Stdin
	return cmd.Run() == nil
}
