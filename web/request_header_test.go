package web

import (
	"net/http"
	"net/textproto"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
)

// header looks names up as they are: each one given must be canonical, or
// it would never find the header a client sent.
func TestHeaderNamesAreCanonical(t *testing.T) {
	for _, name := range []string{echo.HeaderAuthorization, ifMatchHeader, ifNoneMatchHeader, httpapi.IfFenceHeader, lockTokenHeader, scopeTokenHeader} {
		if c := textproto.CanonicalMIMEHeaderKey(name); c != name {
			t.Errorf("%q is not canonical: %q", name, c)
		}
	}
	r, _ := http.NewRequest("PUT", "/", nil)
	r.Header.Set("if-match", `"3"`)
	r.Header.Add("If-Match", `"4"`)
	if got := header(r, ifMatchHeader); got != `"3"` {
		t.Fatalf("header: %q, want the first value", got)
	}
	if got := header(r, ifNoneMatchHeader); got != "" {
		t.Fatalf("header of a missing name: %q", got)
	}
}
