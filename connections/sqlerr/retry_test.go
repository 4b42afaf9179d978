package sqlerr_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/scopestore/scopestore/connections/sqlerr"
)

// A statement that lost a deadlock is run again, up to the attempts given;
// any other failure is returned at once.
func TestRetry(t *testing.T) {
	deadlock := &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}
	for _, spread := range []time.Duration{0, time.Microsecond} {
		for _, tc := range []struct {
			name      string
			failures  int   // runs that fail before one succeeds
			err       error // what they fail with
			wantRuns  int
			wantError bool
		}{
			{"succeeds at once", 0, deadlock, 1, false},
			{"deadlocks twice, then succeeds", 2, deadlock, 3, false},
			{"deadlocks every time", 100, deadlock, 5, true},
			{"fails for another reason", 100, errors.New("connection refused"), 1, true},
		} {
			t.Run(tc.name+"/spread "+spread.String(), func(t *testing.T) {
				runs := 0
				err := sqlerr.Retry(context.Background(), 5, spread, func() error {
					runs++
					if runs <= tc.failures {
						return tc.err
					}
					return nil
				})
				if runs != tc.wantRuns || (err != nil) != tc.wantError {
					t.Fatalf("%d runs, error %v; want %d runs, error %v", runs, err, tc.wantRuns, tc.wantError)
				}
				if tc.wantError && !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want the last failure (%v)", err, tc.err)
				}
			})
		}
	}
}

// A context that ends while Retry waits between attempts ends the retries,
// with the last failure.
func TestRetryStopsWithItsContext(t *testing.T) {
	deadlock := &mysql.MySQLError{Number: 1213}
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	err := sqlerr.Retry(ctx, 5, time.Hour, func() error {
		runs++
		cancel()
		return deadlock
	})
	if runs != 1 || !errors.Is(err, deadlock) {
		t.Fatalf("%d runs, error %v; want 1 run and the deadlock", runs, err)
	}
}
