package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

func healthNames(hs []scopes.Health) []string {
	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = h.Name
	}
	return names
}

func TestVerify(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := MustOpen(t, b.params(t))
			hs := s.Verify(context.Background())
			want := "connect,write with TTL,read,TTL,compare-and-set script,delete"
			if b.name == "cluster" {
				want = "connect,cluster mode (3 masters),write with TTL,read,TTL,compare-and-set script,delete"
			}
			if got := strings.Join(healthNames(hs), ","); got != want {
				t.Errorf("checks %s, want %s", got, want)
			}
			for _, h := range hs {
				if h.Err != nil {
					t.Errorf("%s: %v", h.Name, h.Err)
				}
			}
			// The probe is gone (on a cluster, SCAN sees one node: good enough).
			if left, _, err := s.client.Scan(context.Background(), 0, s.prefix+"verify:*", 1000).Result(); err != nil || len(left) > 0 {
				t.Errorf("Verify left %v behind (%v)", left, err)
			}
		})
	}
}

// In Cluster mode Verify says so, and how many masters answered.
func TestVerifyClusterMode(t *testing.T) {
	p, _ := miniParams(t, "cluster")
	hs := MustOpen(t, p).Verify(context.Background())
	if len(hs) < 2 || hs[1].Name != "cluster mode (1 masters)" || hs[1].Err != nil {
		t.Errorf("checks %q; want the second to be cluster mode (1 masters), passed", healthNames(hs))
	}
}

func TestVerifyServerDown(t *testing.T) {
	for _, mode := range []string{"standalone", "cluster"} {
		t.Run(mode, func(t *testing.T) {
			s := MustOpen(t, map[string]string{"host": "127.0.0.1", "port": "1", "mode": mode})
			hs := s.Verify(context.Background())
			if len(hs) < 6 || hs[0].Name != "connect" || hs[0].Err == nil {
				t.Fatalf("checks %q: connect did not fail", healthNames(hs))
			}
			for _, h := range hs[1:] {
				if h.Err == nil || !strings.Contains(h.Err.Error(), "skipped because connect failed") {
					t.Errorf("%s: %v; want it skipped", h.Name, h.Err)
				}
			}
		})
	}
}

// A Redis whose clock is off from this host's would expire scopes early or
// late: the TTL check says so.
func TestVerifyClockSkew(t *testing.T) {
	p, m := miniParams(t, "")
	m.SetTime(time.Now().Add(30 * time.Second))
	hs := MustOpen(t, p).Verify(context.Background())
	for _, h := range hs {
		switch {
		case h.Name == "TTL" && (h.Err == nil || !strings.Contains(h.Err.Error(), "clock")):
			t.Errorf("TTL: %v; want it to fail about the clocks", h.Err)
		case h.Name != "TTL" && h.Err != nil:
			t.Errorf("%s: %v", h.Name, h.Err)
		}
	}
}
