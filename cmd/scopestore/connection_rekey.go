package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// connectionRekey encrypts again with --secret-key the connection
// passwords that only a --previous-secret-keys key opens, and records it.
func connectionRekey(rc *runContext, svc *services, _ []string) error {
	names, err := svc.config.Rekey(rc.ctx)
	if len(names) > 0 {
		e := scopes.AuditEntry{At: time.Now(), Actor: scopes.ActorFrom(rc.ctx), Action: "connection.rekey",
			Target: strings.Join(names, ", "), Detail: fmt.Sprintf("%d connection passwords encrypted again with the current secret key", len(names))}
		if aerr := svc.config.AddAudit(rc.ctx, e); aerr != nil {
			svc.logger.Error("audit log write failed", "action", e.Action, "err", aerr)
		}
	}
	for _, n := range names {
		fmt.Fprintf(rc.stdout, "%s\n", n)
	}
	if err != nil {
		return fmt.Errorf("some passwords were not encrypted again (the others were): %w", err)
	}
	if len(names) == 0 {
		fmt.Fprintln(rc.stderr, "Every connection password is encrypted with the current secret key already: the previous keys are not needed for them.")
		return nil
	}
	fmt.Fprintf(rc.stderr, "Encrypted %d connection passwords again with the current secret key. Once no cookie-stored client scope sealed with a previous key is still alive, drop --previous-secret-keys.\n", len(names))
	return nil
}
