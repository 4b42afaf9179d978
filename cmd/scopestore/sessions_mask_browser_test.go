package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestMaskingAndDeepScopeInTheBrowser: a scope 9,990 arrays deep with a
// 900 KB string opens at once, drawn to 32 levels with a notice that leads
// to its raw JSON, which is masked and shows markup as text; a filter on a
// masked key is refused beside the key.
func TestMaskingAndDeepScopeInTheBrowser(t *testing.T) {
	s := startSessions(t)
	long := strings.Repeat("lorem ipsum ", 75_000)
	cfid := s.create(`{"email":"alice@example.com","password":"hunter2","note":"<b>bold</b> & 'quotes'",` +
		`"user":{"name":"Alice","payment":{"cardNumber":"4111111111111111"}},` +
		`"deep":` + strings.Repeat("[", 9990) + `"` + long + `"` + strings.Repeat("]", 9990) + `}`)
	page := s.url + "/admin/sessions/shop/session/" + cfid

	s.step("open", chromedp.Navigate(page), chromedp.WaitVisible(byTestID("tree-cut")))
	if got := s.text(`[data-testid="masked-password"]`); got != "••••" {
		t.Errorf("password shows %q", got)
	}
	if got := s.text(`[data-testid="data-note"]`); got != `<b>bold</b> & 'quotes'` {
		t.Errorf("note shows %q", got)
	}
	if n := s.text(`[data-testid="tree-cut"]`); !strings.Contains(n, "Show raw JSON") {
		t.Errorf("the notice says %q", n)
	}
	shotsWideAndNarrow(t, s.ctx, "masking-01-deep", chromedp.WaitVisible(byTestID("tree-cut")))

	// Every level opened: the cut JSON at the 32nd level, with its length.
	s.step("open every level", chromedp.Evaluate[chromedp.Void](
		`document.querySelectorAll('[data-testid="data"] details').forEach(d => d.open = true); undefined`))
	if !s.js(`[...document.querySelectorAll('[data-testid^="cut-"]')].some(e => e.textContent.includes("characters of JSON in all"))`) {
		t.Error("the cut JSON does not say its length")
	}
	s.step("scroll to the cut", chromedp.ScrollIntoView(byTestID("tree-cut")))
	screenshot(t, s.ctx, "masking-02-deep-open-1366")
	s.step("phone", chromedp.EmulateViewport(narrowWidth, 844), chromedp.Evaluate[chromedp.Void](
		`document.querySelectorAll('[data-testid="data"] details').forEach(d => d.open = true); undefined`))
	fits(t, s.ctx, "the deep tree, every level open")
	screenshot(t, s.ctx, "masking-02-deep-open-390")
	s.step("wide", chromedp.EmulateViewport(wideWidth, 900))

	s.step("raw", chromedp.Navigate(page), chromedp.WaitVisible(byTestID("tree-cut-raw")),
		chromedp.Click(byTestID("tree-cut-raw")), chromedp.WaitVisible(byTestID("raw-json")))
	raw := s.text(`[data-testid="raw-json"]`)
	for _, want := range []string{`"password":"••••"`, `"cardNumber":"••••"`, `"note":"<b>bold</b> & 'quotes'"`} {
		if !strings.Contains(raw, want) {
			t.Errorf("the raw JSON lacks %s", want)
		}
	}
	if strings.Contains(raw, "hunter2") || strings.Contains(raw, "4111111111111111") || s.js(`document.querySelector('[data-testid="raw-json"] b') !== null`) {
		t.Error("the raw JSON shows a sensitive value, or its <b> became markup")
	}
	shotsWideAndNarrow(t, s.ctx, "masking-03-raw", chromedp.WaitVisible(byTestID("raw-json")))

	s.step("filter on a masked key", chromedp.Navigate(s.url+"/admin/sessions?app=shop&live=off&key=Password&value=hunter2"),
		chromedp.WaitVisible(byTestID("sessions-form")))
	if msg := s.text(`[data-testid="error-key"]`); !strings.Contains(msg, "masked key") || !strings.Contains(msg, "Filter on another key") {
		t.Errorf("the key's message is %q", msg)
	}
	if s.js(`document.querySelector('[data-testid="session-row"]') !== null`) {
		t.Error("a filter on a masked key lists sessions")
	}
	shotsWideAndNarrow(t, s.ctx, "masking-04-filter-refused", chromedp.WaitVisible(byTestID("sessions-form")))
	s.step("wide", chromedp.EmulateReset())
}
