package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// withMetrics serves /metrics, with token when it is not empty, and makes
// the metrics the engine's observer, as cmd/scopestore does.
func withMetrics(token string) func(*web.Options) {
	return func(o *web.Options) {
		m := web.NewMetrics(o.Engine)
		o.Engine.Observer = m
		o.Metrics, o.MetricsToken = m, token
	}
}

// scrape returns the text of /metrics, which must answer 200.
func (a *testAPI) scrape(token string) string {
	a.t.Helper()
	r := a.do("GET", "/metrics", token, "")
	mustStatus(a.t, r, http.StatusOK)
	return string(r.body)
}

func TestMetrics_RequestsAndOperationsByRouteAndResult(t *testing.T) {
	api := newTestAPI(t, withMetrics(""))
	key := api.app("shop", map[string]string{"sessionStorage": "file"})
	cfid := api.create("shop", key, "sessions")
	s := "/api/v1/apps/shop/sessions/" + cfid
	mustStatus(t, api.do("GET", s, key, ""), http.StatusOK)
	mustStatus(t, api.do("PUT", s, key, `{"data":{"n":1}}`, "If-Match", `"7"`), http.StatusPreconditionFailed)
	missing := scopes.NewCFID()
	mustStatus(t, api.do("GET", "/api/v1/apps/shop/sessions/"+missing, key, ""), http.StatusNotFound)
	mustStatus(t, api.do("GET", s, "", ""), http.StatusUnauthorized)
	for _, path := range []string{"/no/such/" + missing, "/api/v1/apps/shop", s + "/nope", "/api/v1/apps/shop/sessions/x/" + missing} {
		if r := api.do("GET", path, key, ""); r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
			t.Fatalf("GET %s: %d", path, r.status)
		}
	}
	mustStatus(t, api.do("PATCH", "/api/v1/apps/shop/sessions", key, ""), http.StatusMethodNotAllowed)

	out := api.scrape("")
	const route = `route="/api/v1/apps/:app/sessions/:cfid"`
	mustHaveSamples(t, out,
		`scopestore_http_requests_total{method="POST",route="/api/v1/apps/:app/sessions",status="201"} 1`,
		`scopestore_http_requests_total{method="GET",`+route+`,status="200"} 1`,
		`scopestore_http_requests_total{method="PUT",`+route+`,status="412"} 1`,
		`scopestore_http_requests_total{method="GET",`+route+`,status="404"} 1`,
		`scopestore_http_requests_total{method="GET",`+route+`,status="401"} 1`,
		`scopestore_http_requests_total{method="GET",route="unmatched",status="404"} 4`,
		`scopestore_http_requests_total{method="PATCH",route="/api/v1/apps/:app/sessions",status="405"} 1`,
		`scopestore_http_request_duration_seconds_bucket{method="GET",`+route+`,le="+Inf"} 3`,
		`scopestore_http_request_duration_seconds_count{method="PUT",`+route+`} 1`,
		`scopestore_scope_operations_total{op="create",result="ok",storage="file"} 1`,
		`scopestore_scope_operations_total{op="load",result="ok",storage="file"} 1`,
		`scopestore_scope_operations_total{op="load",result="not_found",storage="file"} 1`,
		`scopestore_scope_operations_total{op="save",result="conflict",storage="file"} 1`,
		`scopestore_scope_operation_duration_seconds_bucket{op="load",storage="file",le="+Inf"} 2`,
		`scopestore_scope_operation_duration_seconds_count{op="save",storage="file"} 1`,
		`scopestore_memory_scopes 1`,
	)
	for _, family := range []string{"go_goroutines", "process_cpu_seconds_total", "scopestore_http_request_duration_seconds histogram"} {
		if !strings.Contains(out, "# TYPE "+family) {
			t.Errorf("/metrics lacks the family %s", family)
		}
	}
	for _, leak := range []string{cfid, missing, "shop", "/no/such", "nope", "/x/"} {
		if strings.Contains(out, leak) {
			t.Errorf("/metrics holds %q, which is no label: it comes from a path", leak)
		}
	}

	// The scope expires: a cleaner pass deletes it from the file storage,
	// and the sweep drops its copy from memory.
	api.clock.Advance(31 * time.Minute)
	if _, err := api.engine.Clean(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := api.engine.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustHaveSamples(t, api.scrape(""),
		`scopestore_cleaner_runs_total{storage="file"} 1`,
		`scopestore_cleaner_deleted_total{storage="file"} 1`,
		`scopestore_memory_scopes 0`,
	)
}

// mustHaveSamples fails the test unless each sample is a line of out.
func mustHaveSamples(t *testing.T, out string, samples ...string) {
	t.Helper()
	missing := false
	for _, s := range samples {
		if !strings.Contains("\n"+out, "\n"+s+"\n") {
			t.Errorf("/metrics lacks %s", s)
			missing = true
		}
	}
	if missing {
		t.Logf("scopestore's samples:\n%s", scopestoreLines(out))
	}
}

func TestMetrics_StorageErrorsAreCounted(t *testing.T) {
	api := newTestAPI(t, withMetrics(""))
	key := api.app("shop", map[string]string{"sessionStorage": "file", "sessionCluster": "true"})
	cfid := api.create("shop", key, "sessions")
	if err := api.storages.Open()["file"].Close(); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, api.do("GET", "/api/v1/apps/shop/sessions/"+cfid, key, ""), http.StatusServiceUnavailable)
	mustHaveSamples(t, api.scrape(""),
		`scopestore_scope_operations_total{op="load",result="unavailable",storage="file"} 1`,
		`scopestore_storage_errors_total{storage="file"} 1`,
		`scopestore_http_requests_total{method="GET",route="/api/v1/apps/:app/sessions/:cfid",status="503"} 1`,
	)
}

func TestMetrics_Token(t *testing.T) {
	const token = "0123456789abcdef0123"
	api := newTestAPI(t, withMetrics(token))
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"wrong token", token + "x", http.StatusUnauthorized},
		{"a prefix of the token", token[:10], http.StatusUnauthorized},
		{"the token", token, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := api.do("GET", "/metrics", tc.token, "")
			mustStatus(t, r, tc.status)
			if tc.status == http.StatusUnauthorized {
				if r.errorCode(t) != scopes.EUnauthorized || r.header.Get("WWW-Authenticate") == "" {
					t.Fatalf("code %q, WWW-Authenticate %q", r.errorCode(t), r.header.Get("WWW-Authenticate"))
				}
				return
			}
			if !strings.Contains(string(r.body), "scopestore_memory_scopes") {
				t.Fatalf("no metrics in %s", r.body)
			}
		})
	}
	// An API key is not the metrics token.
	key := api.app("shop", nil)
	mustStatus(t, api.do("GET", "/metrics", key, ""), http.StatusUnauthorized)
}

func TestMetrics_OffWithoutMetrics(t *testing.T) {
	api := newTestAPI(t)
	mustStatus(t, api.do("GET", "/metrics", "", ""), http.StatusNotFound)
}

// scopestoreLines returns the samples of scopestore's own metrics, for a
// failure message.
func scopestoreLines(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "scopestore_") && !strings.Contains(line, "_bucket{") {
			b.WriteString(line)
		}
	}
	return b.String()
}
