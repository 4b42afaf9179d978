package scopes

import (
	"errors"
	"strings"
)

// Message words a failed check for an administrator, as the console, the
// admin JSON API and the CLI show it: the error's message, then its cause,
// which is what tells what to fix, without the check's name that Redis's
// checks repeat (every reader shows it beside); "" for a check that passed.
func (h Health) Message() string {
	if h.Err == nil {
		return ""
	}
	msg := h.Err.Error()
	var se *Error
	if errors.As(h.Err, &se) {
		msg = se.Message
		if se.Err != nil && !strings.Contains(se.Message, se.Err.Error()) {
			msg += " (" + se.Err.Error() + ")"
		}
	}
	return strings.TrimPrefix(msg, "redis: verify "+h.Name+": ")
}

// Skipped tells a check that did not run: the verifiers start its message
// with "skipped".
func (h Health) Skipped() bool { return strings.HasPrefix(h.Message(), "skipped") }
