package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The environment that makes TestLockHolderProcess a lock holder.
const (
	holderURLEnv = "SCOPESTORE_TEST_LOCK_HOLDER_URL"
	holderKeyEnv = "SCOPESTORE_TEST_LOCK_HOLDER_KEY"
)

// TestLockHolderProcess is not a test of its own: run by
// TestLockHolderKilled as a separate process, it takes the lock "job" with
// a 2 s lease, prints the answer, and waits to be killed.
func TestLockHolderProcess(t *testing.T) {
	url := os.Getenv(holderURLEnv)
	if url == "" {
		t.Skip("run by TestLockHolderKilled as the process that holds a lock")
	}
	req, _ := http.NewRequest("POST", url+lockPath+"job", strings.NewReader(`{"type":"exclusive","timeout":"0","lease":"2s"}`))
	req.Header.Set("Authorization", "Bearer "+os.Getenv(holderKeyEnv))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	defer res.Body.Close()
	var l lockAnswer
	_ = json.NewDecoder(res.Body).Decode(&l)
	fmt.Printf("held %d %d\n", res.StatusCode, l.Fence)
	time.Sleep(time.Minute)
}

// A holder killed with kill -9 never releases its lock: the lock comes
// free when its lease ends, and the next holder gets a greater fence.
func TestLockHolderKilled(t *testing.T) {
	for _, st := range lockStorages {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			apis, key := newLockPair(t, st.conn(t))
			cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), holderURLEnv+"="+apis[0].srv.URL, holderKeyEnv+"="+key)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			var status int
			var fence int64
			line, err := bufio.NewReader(out).ReadString('\n')
			if _, serr := fmt.Sscanf(line, "held %d %d", &status, &fence); err != nil || serr != nil || status != http.StatusCreated {
				t.Fatalf("the holder process said %q (%v)", line, err)
			}
			// Held: the other instance cannot take it at once.
			mustStatus(t, apis[1].do("POST", lockPath+"job", key, `{"timeout":"0"}`), http.StatusLocked)
			if err := cmd.Process.Signal(os.Kill); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			// Its lease (2 s) ends within this request's wait.
			r := apis[1].do("POST", lockPath+"job", key, `{"timeout":"10s"}`)
			mustStatus(t, r, http.StatusCreated)
			var next lockAnswer
			if err := json.Unmarshal(r.body, &next); err != nil || next.Fence <= fence {
				t.Fatalf("the lock after its holder was killed: %s (fence %d before)", r.body, fence)
			}
		})
	}
}
