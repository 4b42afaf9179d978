package admin

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoginAuditBound(t *testing.T) {
	l := newLoginAudit()
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	// Refusals: one a minute per address.
	if ok, _ := l.allow("203.0.113.7", true, now); !ok {
		t.Fatal("first refusal not recorded")
	}
	if ok, _ := l.allow("203.0.113.7", true, now.Add(59*time.Second)); ok {
		t.Error("second refusal within a minute recorded")
	}
	if ok, _ := l.allow("203.0.113.8", true, now.Add(59*time.Second)); !ok {
		t.Error("another address's refusal not recorded")
	}
	if ok, _ := l.allow("203.0.113.7", true, now.Add(61*time.Second)); !ok {
		t.Error("a refusal a minute later not recorded")
	}

	// Across addresses, loginAuditBudget a minute; the rest counted once.
	l = newLoginAudit()
	recorded := 0
	for i := range 500 {
		if ok, _ := l.allow("198.51.100."+strconv.Itoa(i), false, now.Add(time.Duration(i)*time.Millisecond)); ok {
			recorded++
		}
	}
	if recorded != loginAuditBudget {
		t.Fatalf("recorded %d in a minute, want %d", recorded, loginAuditBudget)
	}
	ok, dropped := l.allow("203.0.113.9", false, now.Add(time.Minute))
	if !ok || dropped != 500-loginAuditBudget {
		t.Fatalf("next minute: ok %v, dropped %d; want the %d left out", ok, dropped, 500-loginAuditBudget)
	}
	if _, dropped := l.allow("203.0.113.9", false, now.Add(time.Minute)); dropped != 0 {
		t.Errorf("dropped counted twice: %d", dropped)
	}
}

func TestLoginName(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "(no name)",
		"alice":                 "alice",
		"eve\nadmin.login ok":   "eve\uFFFDadmin.login ok",
		strings.Repeat("x", 70): strings.Repeat("x", 63) + "…",
		"bad\xffutf8":           "bad\uFFFDutf8",
		strings.Repeat("é", 64): strings.Repeat("é", 64),
		"tab\there":             "tab\uFFFDhere",
	} {
		if got := loginName(in); got != want {
			t.Errorf("loginName(%q) = %q, want %q", in, got, want)
		}
	}
}
