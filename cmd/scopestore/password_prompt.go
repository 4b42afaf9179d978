package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
)

// readNewPassword reads a new password for user: typed twice at a prompt
// that does not echo it when standard input is a terminal, or the first
// line of standard input otherwise (a pipe, a file). It is checked as the
// console checks it.
func readNewPassword(rc *runContext, user string) (string, error) {
	var password string
	if f, ok := rc.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		first, err := promptPassword(rc, f, "New password for "+user+": ")
		if err != nil {
			return "", err
		}
		if err := admin.CheckPassword(first); err != nil {
			return "", usageErrorf("%s", scopes.ErrorMessage(err))
		}
		again, err := promptPassword(rc, f, "The same password again: ")
		if err != nil {
			return "", err
		}
		if again != first {
			return "", usageErrorf("the two passwords differ; nothing changed")
		}
		password = first
	} else {
		line, err := bufio.NewReader(rc.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from standard input: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
		if password == "" {
			return "", usageErrorf("no password on standard input: type it at the prompt, or pipe it in on one line")
		}
	}
	if err := admin.CheckPassword(password); err != nil {
		return "", usageErrorf("%s", scopes.ErrorMessage(err))
	}
	return password, nil
}

// promptPassword asks on stderr and reads one line from the terminal f
// without echoing it.
func promptPassword(rc *runContext, f *os.File, prompt string) (string, error) {
	fmt.Fprint(rc.stderr, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(rc.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password from the terminal: %w", err)
	}
	return string(b), nil
}
