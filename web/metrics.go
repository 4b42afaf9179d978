package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scopestore/scopestore/scopes"
)

// metricsPath is where Prometheus scrapes, on the API's listen address as
// most exporters do.
const metricsPath = "/metrics"

// latencyBuckets span a memory read (well under a millisecond) to a storage
// that is timing out; Prometheus's default buckets start at 5ms, which would
// put every memory and Redis operation in the first one.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics counts requests, scope operations and cleaner runs for Prometheus,
// in a registry of its own. It is the engine's scopes.Observer.
type Metrics struct {
	handler         http.Handler
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	ops             *prometheus.CounterVec
	opDuration      *prometheus.HistogramVec
	storageErrors   *prometheus.CounterVec
	cleanerRuns     *prometheus.CounterVec
	cleanerDeleted  *prometheus.CounterVec
	resends         *prometheus.CounterVec
	locks           *lockMetrics

	// The label values seen so far and their series, so that a request
	// costs no label lookup in the vectors (hashing, UTF-8 checks, a lock).
	requestSeries  series[requestLabels, prometheus.Counter]
	durationSeries series[requestLabels, prometheus.Observer] // status 0
	opSeries       series[opLabels, prometheus.Counter]
	opDurSeries    series[opLabels, prometheus.Observer] // result ""
}

type requestLabels struct {
	route, method string
	status        int
}

type opLabels struct{ storage, op, result string }

func (m *Metrics) requestCounter(k requestLabels) prometheus.Counter {
	return m.requestSeries.get(k, func() prometheus.Counter {
		return m.requests.WithLabelValues(k.route, k.method, strconv.Itoa(k.status))
	})
}

func (m *Metrics) requestObserver(k requestLabels) prometheus.Observer {
	return m.durationSeries.get(k, func() prometheus.Observer {
		return m.requestDuration.WithLabelValues(k.route, k.method)
	})
}

// NewMetrics returns the metrics of one scopestore instance, with a gauge of
// engine's memory tier and the Go runtime and process collectors.
func NewMetrics(engine *scopes.Engine) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scopestore_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scopestore_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scopestore_scope_operations_total",
			Help: "Scope operations (create, load, save, patch, delete, touch) by storage and result " +
				"(ok, not_found, conflict = a stale If-Match answered 412, unavailable, invalid, error).",
		}, []string{"storage", "op", "result"}),
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scopestore_scope_operation_duration_seconds",
			Help:    "Time a scope operation took, storage included, by storage and operation.",
			Buckets: latencyBuckets,
		}, []string{"storage", "op"}),
		storageErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scopestore_storage_errors_total",
			Help: "Scope operations and cleaner passes that failed in the storage: it did not answer, or held a value that cannot be decoded.",
		}, []string{"storage"}),
		cleanerRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scopestore_cleaner_runs_total",
			Help: "Passes of the cleaner over a storage (the memory storage's every sweep, the others' every --cleaner-interval).",
		}, []string{"storage"}),
		cleanerDeleted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scopestore_cleaner_deleted_total",
			Help: "Expired scopes the cleaner deleted from a storage.",
		}, []string{"storage"}),
		resends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scopestore_write_resends_total",
			Help: "Writes whose outcome a storage did not tell (a timeout, a broken connection), sent again until it did " +
				"(outcome resolved) or --resolve-time passed (outcome unknown, answered 503 saying so).",
		}, []string{"storage", "outcome"}),
	}
	m.locks = newLockMetrics()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.locks.collectors()...)
	reg.MustRegister(
		m.requests, m.requestDuration, m.ops, m.opDuration, m.storageErrors, m.cleanerRuns, m.cleanerDeleted, m.resends,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "scopestore_memory_scopes",
			Help: "Scopes this instance holds a copy of in memory: cluster=false scopes, and with cluster=true the base of the write after a load (the memory storage not included).",
		}, func() float64 { return float64(engine.MemoryScopes()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(engine.Logger.Handler(), slog.LevelError),
		Registry: reg,
	})
	return m
}

// ObserveOp implements scopes.Observer.
func (m *Metrics) ObserveOp(storage, op, result string, d time.Duration) {
	m.opSeries.get(opLabels{storage, op, result}, func() prometheus.Counter {
		return m.ops.WithLabelValues(storage, op, result)
	}).Inc()
	m.opDurSeries.get(opLabels{storage, op, ""}, func() prometheus.Observer {
		return m.opDuration.WithLabelValues(storage, op)
	}).Observe(d.Seconds())
	if result == scopes.ResultUnavailable || result == scopes.ResultError {
		m.storageErrors.WithLabelValues(storage).Inc()
	}
}

// ObserveResend implements scopes.Observer.
func (m *Metrics) ObserveResend(storage string, resolved bool) {
	outcome := "resolved"
	if !resolved {
		outcome = "unknown"
	}
	m.resends.WithLabelValues(storage, outcome).Inc()
}

// ObserveClean implements scopes.Observer. A pass cut short by shutdown is
// no storage error.
func (m *Metrics) ObserveClean(storage string, deleted int, err error) {
	m.cleanerRuns.WithLabelValues(storage).Inc()
	m.cleanerDeleted.WithLabelValues(storage).Add(float64(deleted))
	if err != nil && !errors.Is(err, context.Canceled) {
		m.storageErrors.WithLabelValues(storage).Inc()
	}
}

// instrument records every request by its route pattern, never its path, so
// that no cfid or app name becomes a label. It writes a handler's error
// itself, so that the status recorded is the one the error handler sends.
func (m *Metrics) instrument(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		method := methodLabel(c.Request().Method)
		k := requestLabels{route, method, c.Response().Status}
		m.requestCounter(k).Inc()
		k.status = 0
		m.requestObserver(k).Observe(time.Since(start).Seconds())
		return nil
	}
}

// methodLabel bounds the method label: a client may send any token as a method.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return method
	}
	return "other"
}

// serveMetrics answers a scrape; with a token set, only a request that
// presents it as a bearer token.
func (s *Server) serveMetrics(c echo.Context) error {
	if s.metricsToken != "" {
		got, _ := bearer(header(c.Request(), echo.HeaderAuthorization))
		if !sameToken(got, s.metricsToken) {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="scopestore metrics"`)
			return scopes.Errorf(scopes.EUnauthorized, "the metrics token is required: send Authorization: Bearer <--metrics-token>")
		}
	}
	s.metrics.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}

// sameToken compares in constant time; hashing first hides the length too.
func sameToken(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
