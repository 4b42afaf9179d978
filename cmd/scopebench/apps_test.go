package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

func TestParseStatTicks(t *testing.T) {
	// A command name with spaces and parentheses: the fields count from the last ')'.
	stat := "4242 (node (app) x) S 1 4242 4242 0 -1 4194304 8000 0 0 0 150 27 0 0 20 0 11 0 5000 1000000 5000"
	got, err := parseStatTicks(stat)
	if err != nil || got != 177 {
		t.Fatalf("parseStatTicks = %d, %v; want 177 (utime 150 + stime 27)", got, err)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 eleven 12"} {
		if _, err := parseStatTicks(bad); err == nil {
			t.Errorf("parseStatTicks(%q) accepted it", bad)
		}
	}
	if got := ticksPerHit(3, 1000); got != 30 {
		t.Errorf("ticksPerHit(3, 1000) = %v µs, want 30", got)
	}
}

func TestCommandStats(t *testing.T) {
	info := "# Commandstats\r\n" +
		"cmdstat_get:calls=2000,usec=3000,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_evalsha:calls=1000,usec=9000,usec_per_call=9.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_script|load:calls=3,usec=45,usec_per_call=15.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_info:calls=8,usec=400,usec_per_call=50.00,rejected_calls=0,failed_calls=0\r\n"
	got := parseCommandStats(info)
	if got["get"] != 2000 || got["evalsha"] != 1000 || got["script|load"] != 3 || len(got) != 4 {
		t.Fatalf("parseCommandStats = %v", got)
	}
	delete(got, "script|load")
	if s := commandsPerHit(got, 1000); s != "3.00 (get 2.00, evalsha 1.00)" {
		t.Errorf("commandsPerHit = %q", s)
	}
}

func TestMergeCookies(t *testing.T) {
	set := func(header ...string) []*http.Cookie {
		res := http.Response{Header: http.Header{"Set-Cookie": header}}
		return res.Cookies()
	}
	jar := mergeCookies(nil, set("CFID=a1; Path=/; HttpOnly", "CFTOKEN=0; Path=/"))
	if got := cookieHeader(jar); got != "CFID=a1; CFTOKEN=0" {
		t.Fatalf("after the first answer: %q", got)
	}
	jar = mergeCookies(jar, set("CFID=b2; Path=/"))
	if got := cookieHeader(jar); got != "CFTOKEN=0; CFID=b2" || cookieValue(jar, "CFID") != "b2" {
		t.Fatalf("a cookie that changes replaces its old value: %q", got)
	}
	jar = mergeCookies(jar, set("CFTOKEN=; Path=/; Max-Age=0", "session=x; Expires="+time.Unix(1, 0).UTC().Format(http.TimeFormat)))
	if got := cookieHeader(jar); got != "CFID=b2" || cookieValue(jar, "CFTOKEN") != "" {
		t.Fatalf("a deleted cookie goes, an expired one is not kept: %q", got)
	}
}

func TestExpressSessionID(t *testing.T) {
	const id = "4f1c2e0a-9b7d-4c3e-8a21-5d6f7e8a9b0c"
	for value, want := range map[string]string{
		"s%3A" + id + ".Zm9vYmFy%2Bx%2Fy": id,
		"s:" + id + ".sig":                id,
	} {
		if got, err := expressSessionID(value); err != nil || got != want {
			t.Errorf("expressSessionID(%q) = %q, %v; want %q", value, got, err, want)
		}
	}
	for _, bad := range []string{"", id, "s%3A" + id, "s%3A.sig", "%zz"} {
		if got, err := expressSessionID(bad); err == nil {
			t.Errorf("expressSessionID(%q) = %q, want an error", bad, got)
		}
	}
}

func TestAppTarget(t *testing.T) {
	met := fasterAndTighter(1.0)
	for _, c := range []struct {
		r    Result
		want bool
	}{
		{Result{Ratio: 1.1, P99ms: 20, BaselineP99ms: 22}, true},
		{Result{Ratio: 1.0, P99ms: 22, BaselineP99ms: 22}, true},
		{Result{Ratio: 1.2, P99ms: 23, BaselineP99ms: 22}, false},
		{Result{Ratio: 0.9, P99ms: 10, BaselineP99ms: 22}, false},
	} {
		if got := met(c.r); got != c.want {
			t.Errorf("fasterAndTighter(1.0)(ratio %v, p99 %v vs %v) = %t", c.r.Ratio, c.r.P99ms, c.r.BaselineP99ms, got)
		}
	}
	if !scenarioNamed(appGo).isMet(Result{Ratio: 1.5, P99ms: 1, BaselineP99ms: 2}) || scenarioNamed(appExpress).isMet(Result{Ratio: 0.79}) {
		t.Error("isMet does not use the app scenarios' targets")
	}
}

func TestOnlyBaselineRunsItsPair(t *testing.T) {
	cfg, err := parseFlags([]string{"-only", "app-go,app-scs,app-express,app-connect-redis"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Only, []string{appGo, appExpress}) {
		t.Fatalf("-only: %q, want app-go and app-express once each", cfg.Only)
	}
	if _, err := parseFlags([]string{"-sessions", "10", "-clients", "64"}, &bytes.Buffer{}); err == nil {
		t.Error("-sessions below -clients was accepted: some connections would have no visitor")
	}
}

// TestExpressWithoutNode checks that app-express, asked for with -only on a
// machine without node, fails the run with a message that says so, before
// anything is built or started.
func TestExpressWithoutNode(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if why := scenarioNamed(appExpress).whyNot(config{}); !strings.Contains(why, "node is not installed") {
		t.Fatalf("whyNot = %q", why)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-only", "app-connect-redis"}, &stdout, &stderr); code != 1 {
		t.Fatalf("scopebench exited %d, want 1:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "| app-express | — |") || !strings.Contains(stdout.String(), "node is not installed") {
		t.Errorf("the report does not say why app-express did not run:\n%s", stdout.String())
	}
}

// TestAppGoScenario runs app-go against app-scs end to end on the local
// Redis: both apps are this test binary again (see TestMain), the load
// generator checks every answer and reads sessions back from the stores.
func TestAppGoScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs scopestore: skipped with -short")
	}
	redisURL := envOr(envRedis, defaultRedis)
	if err := redisAnswers(redisURL); err != nil {
		if os.Getenv("SCOPESTORE_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("no Redis at %s: %v", redisURL, err)
		}
		t.Skipf("no Redis at %s (%v): app-go needs one", redisURL, err)
	}
	bin := filepath.Join(t.TempDir(), "scopestore")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/scopestore/scopestore/cmd/scopestore").CombinedOutput()
	if err != nil {
		t.Skipf("cannot build scopestore, so the harness cannot run it: %v\n%s", err, out)
	}
	t.Setenv("TMPDIR", t.TempDir())
	var stdout, stderr bytes.Buffer
	code := run([]string{"-only", "app-scs", "-duration", "1s", "-warmup", "200ms", "-rounds", "2", "-clients", "4", "-sessions", "60",
		"-cache-ttl", "1s", "-scopestore", bin, "-redis", redisURL}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("scopebench exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"| app-go | ", "| app-scs | ", "60 visitors", "read back from the store"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout.String())
		}
	}
}

// redisAnswers pings the Redis at rawURL.
func redisAnswers(rawURL string) error {
	opts, err := goredis.ParseURL(rawURL)
	if err != nil {
		return err
	}
	client := goredis.NewClient(opts)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return client.Ping(ctx).Err()
}
