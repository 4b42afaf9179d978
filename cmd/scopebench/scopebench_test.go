package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for scopebench when the harness
// re-executes itself as a bare server (-serve).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1)
	}
	cases := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no values", nil, 99, 0},
		{"one value", []time.Duration{ms(7)}, 50, ms(7)},
		{"one value p99", []time.Duration{ms(7)}, 99, ms(7)},
		{"p50 of 100", hundred, 50, ms(50)},
		{"p99 of 100", hundred, 99, ms(99)},
		{"p99.9 of 100 is the max", hundred, 99.9, ms(100)},
		{"p100 is the max", hundred, 100, ms(100)},
		{"p1 of 100", hundred, 1, ms(1)},
		{"p50 of 4 is the 2nd", []time.Duration{ms(1), ms(2), ms(3), ms(4)}, 50, ms(2)},
		{"p99 of 3 is the 3rd", []time.Duration{ms(1), ms(2), ms(3)}, 99, ms(3)},
		{"tiny p is the min", []time.Duration{ms(1), ms(2), ms(3)}, 0.0001, ms(1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := percentile(c.sorted, c.p); got != c.want {
				t.Fatalf("percentile(%v, %v) = %v, want %v", c.sorted, c.p, got, c.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	run := loadRun{
		samples: []sample{{start: ms(0), took: ms(5)}, {start: ms(100), took: ms(1)}, {start: ms(200), took: ms(3)}, {start: ms(300), took: ms(9)}},
		failed:  1, window: time.Second,
	}
	s := summarize("all", run, nil, run.window)
	if s.ops != 4 || s.opsPerSec() != 4 || s.p(50) != 3 || s.p(100) != 9 {
		t.Fatalf("all: ops %d, %v ops/s, p50 %v, max %v", s.ops, s.opsPerSec(), s.p(50), s.p(100))
	}
	if s.err() == nil {
		t.Fatal("a failed operation must fail the measurement")
	}
	// The cleaner keeps the samples of a window only, and rates over it.
	from, window := ms(100), ms(200)
	w := summarize("window", run, func(x sample) bool { return x.start >= from && x.start < from+window }, window)
	if w.ops != 2 || w.opsPerSec() != 10 || w.p(99) != 3 {
		t.Fatalf("window: ops %d, %v ops/s, p99 %v", w.ops, w.opsPerSec(), w.p(99))
	}
}

func TestMakeData(t *testing.T) {
	for _, size := range []int{minSize, 1000, 2048, 10_000, 512 << 10} {
		data := makeData(size)
		if len(data) != size || !json.Valid(data) {
			t.Fatalf("makeData(%d): %d bytes, valid %t: %.120s", size, len(data), json.Valid(data), data)
		}
		body := putBody(data, 123456789)
		var v struct {
			Data struct {
				Seq string `json:"seq"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.Data.Seq != "000123456789" {
			t.Fatalf("putBody(%d): seq %q, %v", size, v.Data.Seq, err)
		}
		if !bytes.Equal(data, makeData(size)) {
			t.Fatal("putBody changed the data it was given")
		}
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 12345.6: "12,346", 1234567: "1,234,567"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-smoke", "-clients", "3"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Duration != time.Second || cfg.Clients != 3 || cfg.Rows != 20_000 || cfg.BaseRows != 10_000 {
		t.Fatalf("-smoke -clients 3: %+v", cfg)
	}
	for _, args := range [][]string{
		{"-only", "memory,nope"},
		{"-redis", "redis://10.0.0.5:6379/0"},
		{"-mysql", "root@tcp(db.example.com:3306)/"},
		{"-redis-cluster", "127.0.0.1:7101,10.0.0.5:7102"},
		{"-redis-cluster", "127.0.0.1"},
		{"-size", "10"},
		{"extra"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted it", args)
		}
	}
}

func TestParseFlagsRedisCluster(t *testing.T) {
	cfg, err := parseFlags([]string{"-redis-cluster", "127.0.0.1:7101, localhost:7102,"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := clusterAddrs(cfg.RedisCluster)
	if err != nil || strings.Join(addrs, " ") != "127.0.0.1:7101 localhost:7102" {
		t.Fatalf("clusterAddrs(%q) = %q, %v", cfg.RedisCluster, addrs, err)
	}
}

// TestRedisClusterNotGiven checks that redis-cluster-3, asked for with
// -only but with no Cluster given, fails the run with a message that says
// how to give one, before anything is built or started.
func TestRedisClusterNotGiven(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-only", "redis-cluster-3", "-redis-cluster", ""}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("scopebench exited %d, want 1:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"| redis-cluster-3 | — |", "| context | **error** |", "-redis-cluster or $" + envRedisCluster} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestContextRow(t *testing.T) {
	res := Result{Scenario: "redis-cluster-3", OpsPerSec: 900, BaselineOpsPerSec: 1000, Ratio: 0.9, Baseline: bareRedisCluster, Target: noTarget}
	cells := res.cells()
	if got := strings.Join(cells[len(cells)-2:], " | "); got != "context | —" {
		t.Fatalf("target and met of a context row: %q, want \"context | —\"", got)
	}
}

// TestMemoryScenario runs the harness end to end: it builds scopestore,
// starts it and the bare-memory server (this test binary again, see
// TestMain) as child processes, and measures the memory scenario for a
// second with 4 clients.
func TestMemoryScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs scopestore: skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "scopestore")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/scopestore/scopestore/cmd/scopestore").CombinedOutput()
	if err != nil {
		t.Skipf("cannot build scopestore, so the harness cannot run it: %v\n%s", err, out)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the harness's own temporary directory goes here
	jsonPath := filepath.Join(t.TempDir(), "results.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-only", "memory", "-duration", "1s", "-warmup", "200ms", "-rounds", "2", "-clients", "4",
		"-cache-ttl", "1s", "-scopestore", bin, "-json", jsonPath}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("scopebench exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "| memory | ") {
		t.Errorf("no memory row in the table:\n%s", stdout.String())
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var results []map[string]any
	if err := json.Unmarshal(b, &results); err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("want one result, got %s", b)
	}
	r := results[0]
	for _, f := range []string{"scenario", "ops_per_sec", "p50_ms", "p99_ms", "baseline", "baseline_ops_per_sec", "baseline_p99_ms", "ratio", "target", "met"} {
		if _, ok := r[f]; !ok {
			t.Errorf("result lacks %q: %s", f, b)
		}
	}
	if r["scenario"] != "memory" || r["baseline"] != "bare-memory" || r["target"] != "≥ 0.8" {
		t.Errorf("result: %s", b)
	}
	for _, f := range []string{"ops_per_sec", "baseline_ops_per_sec", "p99_ms", "ratio"} {
		if v, _ := r[f].(float64); v <= 0 {
			t.Errorf("%s = %v, want > 0", f, r[f])
		}
	}
	// Everything the run created is gone.
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("the run left %s behind in its temporary directory", left[0].Name())
	}
}
