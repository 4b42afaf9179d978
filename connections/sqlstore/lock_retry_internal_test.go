package sqlstore

import (
	"errors"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// A lock statement that lost a deadlock is run again, up to lockAttempts
// runs; any other failure is returned at once.
func TestRetryTransient(t *testing.T) {
	deadlock := &mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock"}
	for _, tc := range []struct {
		name      string
		failures  int   // runs that fail before one succeeds
		err       error // what they fail with
		wantRuns  int
		wantError bool
	}{
		{"succeeds at once", 0, deadlock, 1, false},
		{"deadlocks twice, then succeeds", 2, deadlock, 3, false},
		{"deadlocks every time", 100, deadlock, lockAttempts, true},
		{"fails for another reason", 100, errors.New("connection refused"), 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			err := retryTransient(func() error {
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
