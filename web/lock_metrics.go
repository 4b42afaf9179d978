package web

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scopestore/scopestore/scopes"
)

// lockMetrics count lock requests by outcome and time their waits.
type lockMetrics struct {
	requests *prometheus.CounterVec
	wait     *prometheus.HistogramVec
}

// lockWaitBuckets span an uncontended lock (a storage round trip) to the
// longest wait a request may ask for (scopes.MaxLockWait).
var lockWaitBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func newLockMetrics() *lockMetrics {
	return &lockMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scopestore_lock_requests_total",
			Help: "Requests for a named lock, by lock storage, type (exclusive, readonly) and result " +
				"(acquired, timeout = answered 423, invalid, error).",
		}, []string{"storage", "type", "result"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scopestore_lock_wait_seconds",
			Help:    "Time from a lock request to its outcome (acquired or timeout), storage included, by lock storage and type.",
			Buckets: lockWaitBuckets,
		}, []string{"storage", "type"}),
	}
}

func (l *lockMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{l.requests, l.wait}
}

// ObserveLock implements scopes.LockObserver.
func (m *Metrics) ObserveLock(storage string, typ scopes.LockType, result string, waited time.Duration) {
	m.locks.requests.WithLabelValues(storage, string(typ), result).Inc()
	if result == scopes.LockAcquired || result == scopes.LockTimeout {
		m.locks.wait.WithLabelValues(storage, string(typ)).Observe(waited.Seconds())
	}
}
