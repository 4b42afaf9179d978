package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/scopestore/scopestore/scopes"
)

func TestAuditLogListsConsoleChanges(t *testing.T) {
	tc := newTestConsole(t, false)
	tc.login()
	tc.createApp(t, "shop")
	_, form := tc.scopeForm(t)
	form.Set("sessionStorage", "file")
	mustStatus(t, tc.confirmStorageChange(t, tc.post("/admin/scope", form)), http.StatusSeeOther)

	p := tc.get("/admin/audit")
	mustStatus(t, p, http.StatusOK)
	got := map[string]string{}
	p.doc.Find(`[data-testid="audit-entry"]`).Each(func(_ int, s *goquery.Selection) {
		action := s.Find(`[data-testid="audit-action"]`).Text()
		got[action] = s.Find(`[data-testid="audit-actor"]`).Text() + " " + s.Find(`[data-testid="audit-target"]`).Text() +
			" " + s.Find(`[data-testid="audit-detail"]`).Text()
	})
	for action, want := range map[string]string{"app.create": "admin:admin shop", "server.settings": "admin:admin server defaults sessionStorage: inherited → file"} {
		if !strings.HasPrefix(got[action], want) {
			t.Errorf("%s: %q, want %q…", action, got[action], want)
		}
	}
	if p.doc.Find(`[data-testid="older"]`).Length() != 0 {
		t.Error("an Older link on a short log")
	}
}

func TestAuditLogPages(t *testing.T) {
	tc := newTestConsole(t, false)
	ctx := context.Background()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 1; i <= 120; i++ {
		if err := tc.config.AddAudit(ctx, scopes.AuditEntry{At: at, Actor: "cli:root", Action: "test", Target: fmt.Sprintf("t%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	tc.login()
	var targets []string
	// The entries of the test alone: the login is recorded too.
	path := "/admin/audit?action=test"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("the Older links do not end")
		}
		p := tc.get(path)
		mustStatus(t, p, http.StatusOK)
		rows := p.doc.Find(`[data-testid="audit-entry"]`)
		if rows.Length() > 50 {
			t.Errorf("%s shows %d entries", path, rows.Length())
		}
		rows.Each(func(_ int, s *goquery.Selection) {
			targets = append(targets, s.Find(`[data-testid="audit-target"]`).Text())
		})
		if pages == 0 && !strings.Contains(rows.First().Text(), "2030-01-02 03:04:05") {
			t.Errorf("the time is not shown in UTC: %q", rows.First().Text())
		}
		path = p.doc.Find(`[data-testid="older"]`).AttrOr("href", "")
	}
	if len(targets) != 120 || targets[0] != "t120" || targets[119] != "t1" {
		t.Errorf("paging showed %d entries, from %v to %v", len(targets), targets[0], targets[len(targets)-1])
	}
	mustStatus(t, tc.get("/admin/audit?before=abc"), http.StatusBadRequest)
}
