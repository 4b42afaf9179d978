package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestConsoleAPITokens creates an admin API token on the API tokens page,
// sees it once with the lines that use it, uses it from the command line
// against the same server, and revokes it.
func TestConsoleAPITokens(t *testing.T) {
	c, svc, cfg := startConsole(t, nil)
	c.logIn("admin", cfg.AdminPassword)
	if _, err := svc.directory.CreateApp(context.Background(), "shop"); err != nil {
		t.Fatal(err)
	}
	c.shots("tokens-01-none", func(int) {
		if got := c.text(`[data-testid="tokens-none"]`); !strings.Contains(got, "active API token") {
			t.Errorf("empty list says %q", got)
		}
	}, chromedp.Navigate(c.url+"/admin/tokens"), chromedp.WaitVisible(c13ID("token-form")))

	c.do("create a token", chromedp.SendKeys(c13ID("token-name-input"), "laptop"), chromedp.Click(c13ID("token-create")),
		chromedp.WaitVisible(c13ID("new-token")))
	token := c.text(`[data-testid="new-token"]`)
	if !strings.HasPrefix(token, "sst_") || !strings.Contains(c.text(`[data-testid="token-usage"]`), "SCOPESTORE_TOKEN="+token) {
		t.Fatalf("token %q, usage %q", token, c.text(`[data-testid="token-usage"]`))
	}
	c.shots("tokens-02-created", nil, chromedp.WaitVisible(c13ID("new-token")))
	// The form's answer was a redirect: a reload sends no form again, makes
	// no other token and shows this one no more.
	c.do("reload", chromedp.Reload(), chromedp.WaitVisible(c13ID("flash")))
	if got := c.text(`[data-testid="flash"]`); !strings.Contains(got, "shown once") || c.count(`[data-testid="new-token"]`) != 0 {
		t.Errorf("after a reload: flash %q, %d tokens shown", got, c.count(`[data-testid="new-token"]`))
	}
	if tokens, err := svc.config.AdminTokens(context.Background()); err != nil || len(tokens) != 1 {
		t.Errorf("%d tokens after a reload, want 1 (%v)", len(tokens), err)
	}

	// The token works from the command line, as admin.
	code, out, errOut := cli(t, cfg.DataDir, "", "app", "list", "--server", c.url, "--token", token)
	if code != exitOK || !strings.Contains(out, "shop") {
		t.Fatalf("app list with the token: exit %d: %s%s", code, out, errOut)
	}

	c.shots("tokens-03-list", func(int) {
		if got := c.text(`[data-testid="token-name"]`); got != "laptop" {
			t.Errorf("listed token %q", got)
		}
		if got := c.text(`[data-testid="token-last-used"]`); got == "never" {
			t.Errorf("last used %q after a use", got)
		}
	}, chromedp.Navigate(c.url+"/admin/tokens"), chromedp.WaitVisible(c13ID("tokens-table")))

	c.do("revoke", chromedp.Click(c13ID("token-revoke")), chromedp.WaitVisible(c13ID("tokens-none")))
	if code, _, errOut := cli(t, cfg.DataDir, "", "app", "list", "--server", c.url, "--token", token); code == exitOK || !strings.Contains(errOut, "revoked") {
		t.Fatalf("a revoked token: exit %d: %s", code, errOut)
	}
	c.shots("tokens-04-revoked", nil, chromedp.Reload(), chromedp.WaitVisible(c13ID("revoked-tokens")))
}
