package admin

import (
	"testing"

	"github.com/scopestore/scopestore/scopes"
)

func TestShortenCFIDs(t *testing.T) {
	cfid := scopes.NewCFID()
	msg := "the stored session scope " + cfid + " of app shop is not in scopestore's format"
	want := "the stored session scope " + cfid[:8] + "… of app shop is not in scopestore's format"
	if got := shortenCFIDs(msg); got != want {
		t.Errorf("shortenCFIDs = %q, want %q", got, want)
	}
	if got := shortenCFIDs("dial tcp 127.0.0.1:1: connect: connection refused"); got != "dial tcp 127.0.0.1:1: connect: connection refused" {
		t.Errorf("a message without a cfid changed: %q", got)
	}
}
