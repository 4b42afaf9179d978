package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestServe_Metrics checks the wiring of handler: /metrics on the API's
// address behind --metrics-token, fed by the engine's operations.
func TestServe_Metrics(t *testing.T) {
	const token = "metrics-token-for-the-test"
	cfg := defaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.MetricsToken = token
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := open(context.Background(), &cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler(svc, &cfg, logger))
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	key, err := svc.directory.CreateApp(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	get := func(method, path, bearer string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("POST", "/api/v1/apps/shop/sessions", key); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := get("GET", "/metrics", ""); code != http.StatusUnauthorized || !strings.Contains(body, `"unauthorized"`) {
		t.Fatalf("/metrics without the token: %d %s", code, body)
	}
	code, body := get("GET", "/metrics", token)
	if code != http.StatusOK {
		t.Fatalf("/metrics with the token: %d %s", code, body)
	}
	for _, want := range []string{
		`scopestore_scope_operations_total{op="create",result="ok",storage="memory"} 1`,
		`scopestore_http_requests_total{method="POST",route="/api/v1/apps/:app/sessions",status="201"} 1`,
		`scopestore_http_requests_total{method="GET",route="/metrics",status="401"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
