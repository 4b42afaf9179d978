package client

import (
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
)

// errReplaced is what a handler's writes return once its response was
// replaced by the error handler's.
var errReplaced = errors.New("client: the response was replaced by the error handler's: the scopes could not be saved")

// responseWriter saves the scopes' changes and adds their cookies when the
// response starts (its header is written), the last moment a failure can
// still be answered and a cookie sent.
type responseWriter struct {
	http.ResponseWriter
	rs   *requestState
	once sync.Once
	// committed is set once the header is on its way: no cookie can be
	// added any more.
	committed atomic.Bool
	// replaced is set when the error handler answered instead of the handler.
	replaced atomic.Bool
}

// start runs once, before the header goes out: it saves the pending
// changes (unless cause, a load failure, says the request failed) and adds
// the cookies; on a failure the error handler answers instead.
func (w *responseWriter) start(cause error) {
	w.once.Do(func() {
		err := cause
		if err == nil {
			err = w.rs.save()
		}
		w.committed.Store(true)
		h := w.ResponseWriter.Header()
		for _, s := range w.rs.scopes() {
			if s == nil {
				continue
			}
			s.mu.Lock()
			s.writeCookies(h)
			s.mu.Unlock()
		}
		if err != nil {
			w.replaced.Store(true)
			w.rs.answerError(err)
		}
	})
}

// WriteHeader implements http.ResponseWriter; informational answers (1xx
// but 101) leave the response open.
func (w *responseWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.start(nil)
	}
	if !w.replaced.Load() {
		w.ResponseWriter.WriteHeader(code)
	}
}

// Write implements http.ResponseWriter.
func (w *responseWriter) Write(b []byte) (int, error) {
	w.start(nil)
	if w.replaced.Load() {
		return 0, errReplaced
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher for handlers that stream.
func (w *responseWriter) Flush() {
	w.start(nil)
	if !w.replaced.Load() {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
