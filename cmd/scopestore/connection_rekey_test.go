package main

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// Rotating the secret key: with the old key among the previous keys every
// connection password still reads; `connection rekey` encrypts them with
// the new key, once and audited, and then the new key alone reads them.
func TestCLI_ConnectionRekey(t *testing.T) {
	dir := t.TempDir()
	oldKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	newKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	code, _, errOut := cli(t, dir, "", "--secret-key", oldKey, "connection", "create", "--name", "cache", "--type", "redis",
		"--host", "127.0.0.1", "--port", "1", "--password", "pw-1", "--no-verify")
	if code != exitOK {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	code, _, errOut = cli(t, dir, "", "--secret-key", newKey, "connection", "list")
	if code == exitOK || !strings.Contains(errOut, "SCOPESTORE_PREVIOUS_SECRET_KEYS") {
		t.Fatalf("list under a new key alone: exit %d: %s", code, errOut)
	}
	rotated := []string{"--secret-key", newKey, "--previous-secret-keys", oldKey}
	code, out, errOut := cli(t, dir, "", append(rotated, "connection", "list")...)
	if code != exitOK || !strings.Contains(out, "cache") {
		t.Fatalf("list with the old key among the previous ones: exit %d: %s%s", code, out, errOut)
	}
	code, out, errOut = cli(t, dir, "", append(rotated, "connection", "rekey")...)
	if code != exitOK || strings.TrimSpace(out) != "cache" || !strings.Contains(errOut, "Encrypted 1 connection passwords") {
		t.Fatalf("rekey: exit %d: %q %s", code, out, errOut)
	}
	code, out, errOut = cli(t, dir, "", append(rotated, "connection", "rekey")...)
	if code != exitOK || out != "" || !strings.Contains(errOut, "already") {
		t.Fatalf("rekey again: exit %d: %q %s", code, out, errOut)
	}
	code, out, errOut = cli(t, dir, "", "--secret-key", newKey, "connection", "list")
	if code != exitOK || !strings.Contains(out, "cache") {
		t.Fatalf("list under the new key alone after rekey: exit %d: %s%s", code, out, errOut)
	}
	code, out, _ = cli(t, dir, "", "--secret-key", newKey, "audit", "list", "--action", "connection.rekey")
	if code != exitOK || !strings.Contains(out, "connection.rekey") || strings.Count(out, "connection.rekey") != 1 {
		t.Fatalf("audit: exit %d: %s", code, out)
	}
}
