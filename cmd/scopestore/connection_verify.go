package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/scopestore/scopestore/scopes"
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
	if printChecks(rc.stdout, c, checks) {
		return &checkFailed{}
	}
	return nil
}

// printChecks prints one line per check of Verify — ok, FAIL with the
// cause, or skipped with the check it waited for — and a note when the
// connection cannot hold scopes yet. It tells whether a check did not pass.
func printChecks(w io.Writer, c scopes.Connection, checks []scopes.Health) (failed bool) {
	for _, h := range checks {
		if h.Err == nil {
			fmt.Fprintf(w, "ok      %s\n", h.Name)
			continue
		}
		failed = true
		msg := checkMessage(h)
		if reason, ok := skipReason(msg); ok {
			fmt.Fprintf(w, "skipped %s: %s\n", h.Name, reason)
		} else {
			fmt.Fprintf(w, "FAIL    %s: %s\n", h.Name, msg)
		}
	}
	if !c.Storage {
		fmt.Fprintf(w, "note    %s is not flagged for storage: no scope can be kept in it until it is\n", c.Name)
	}
	return failed
}

// checkMessage shows a check's failure in full, for an operator running
// verify wants the driver's own words; the check's name, which Redis's
// checks repeat, is on the line already.
func checkMessage(h scopes.Health) string {
	msg := scopes.ErrorMessage(h.Err)
	if scopes.ErrorCode(h.Err) == scopes.EInternal {
		msg = h.Err.Error()
	}
	return strings.TrimPrefix(msg, "redis: verify "+h.Name+": ")
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
