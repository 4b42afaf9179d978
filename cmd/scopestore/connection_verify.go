package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/scopestore/scopestore/admin"
)

func connectionVerify(rc *runContext, svc *services, args []string) error {
	c, err := svc.manager.Connection(rc.ctx, args[0])
	if err != nil {
		return err
	}
	checks, err := svc.manager.Verify(rc.ctx, c.Name)
	if err != nil {
		return err
	}
	if printChecks(rc.stdout, c.Name, c.Storage, admin.NewAPIChecks(checks)) {
		return &checkFailed{}
	}
	return nil
}

// printChecks prints one line per check of Verify — ok, FAIL with the
// cause, or skipped with the check it waited for — and a note when the
// connection (name, flagged for storage or not) cannot hold scopes yet.
// The checks are as admin.NewAPIChecks writes them, each failure in the
// driver's own words, on the data directory and through --server alike.
// It tells whether a check did not pass.
func printChecks(w io.Writer, name string, storage bool, checks []admin.APIVerifyCheck) (failed bool) {
	for _, ch := range checks {
		if ch.OK {
			fmt.Fprintf(w, "ok      %s\n", ch.Name)
			continue
		}
		failed = true
		if reason, ok := skipReason(ch.Message); ok {
			fmt.Fprintf(w, "skipped %s: %s\n", ch.Name, reason)
		} else {
			fmt.Fprintf(w, "FAIL    %s: %s\n", ch.Name, ch.Message)
		}
	}
	if !storage {
		fmt.Fprintf(w, "note    %s is not flagged for storage: no scope can be kept in it until it is\n", name)
	}
	return failed
}

// skipReason tells whether a check was skipped because one before it
// failed, and why. Both verifiers start such a message with "skipped":
// "skipped because connect failed" (Redis), "skipped: the connect check
// failed" (SQL).
func skipReason(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "skipped")
	if !ok {
		return "", false
	}
	rest = strings.TrimLeft(rest, ": ")
	rest = strings.TrimPrefix(rest, "because ")
	if rest == "" {
		rest = "an earlier check failed"
	}
	return rest, true
}
