package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLimitsInTheBrowser: an administrator finds an app's limits on its
// page, with their defaults and help, sets one, and sees on the Overview
// what the instance holds in memory against its budget; both pages fit a
// phone.
func TestLimitsInTheBrowser(t *testing.T) {
	s := startSessions(t)
	for range 3 {
		s.create(`{"cart":[1,2,3]}`)
	}
	s.step("app page",
		chromedp.Navigate(s.url+"/admin/apps/shop"),
		chromedp.WaitVisible(byTestID("limit-settings")),
	)
	shotsWideAndNarrow(t, s.ctx, "limits-app", chromedp.WaitVisible(byTestID("limit-settings")))
	if got := s.text(`[data-testid="maxMemory"] .hint`); !strings.Contains(got, "507") {
		t.Errorf("maxMemory's help = %q", got)
	}
	s.step("set maxScopes",
		chromedp.SetValue(byTestID("maxScopes-value"), "5000"),
		chromedp.Submit(byTestID("maxScopes-value")),
		chromedp.WaitVisible(byTestID("limit-settings")),
	)
	if got := s.text(`[data-testid="maxScopes"] label`); !strings.Contains(got, "set by an administrator") {
		t.Errorf("maxScopes's label after saving = %q; want its source", got)
	}
	s.step("overview",
		chromedp.Navigate(s.url+"/admin/"),
		chromedp.WaitVisible(byTestID("memory-held")),
	)
	shotsWideAndNarrow(t, s.ctx, "limits-overview", chromedp.WaitVisible(byTestID("memory-held")))
	if got := s.text(`[data-testid="memory-note"]`); !strings.Contains(got, "% of 1.0 GiB") || !strings.Contains(got, "3 in memory") {
		t.Errorf("memory note = %q", got)
	}
}
