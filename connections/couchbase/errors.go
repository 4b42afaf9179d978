package couchbase

import (
	"context"
	"errors"
	"fmt"

	"github.com/couchbase/gocb/v2"

	"github.com/scopestore/scopestore/scopes"
)

// readError turns the failure of an operation that changes nothing (a read,
// a query, a ping) into an *scopes.Error: EUnavailable naming the
// connection and saying what went wrong in the words an operator looks for,
// so that the API answers 503 with Retry-After; ETooLarge for a document
// over Couchbase's limit. The gocb error stays its cause, for the log.
func (s *Store) readError(op string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("couchbase: %s: %w", op, err)
	if errors.Is(err, gocb.ErrValueTooLarge) {
		return &scopes.Error{Code: scopes.ETooLarge, Err: err,
			Message: "the scope is larger than the 20 MB that a Couchbase document may hold"}
	}
	return &scopes.Error{Code: scopes.EUnavailable, Err: err,
		Message: fmt.Sprintf("storage %q (Couchbase) is unavailable: %s; try again shortly", s.cfg.name, s.reason(err))}
}

// writeError wraps the failure of a mutation (an insert, a replace, a
// remove). One that Couchbase may have applied — a timeout or a cancel
// after it was sent — stays a plain error, which the engine resolves by
// sending the same write again: the document's revs recognise it (see
// Write). One that surely applied nothing is marked scopes.ErrNotApplied
// and reported as readError reports, so that the API answers 503 at once.
func (s *Store) writeError(op string, err error) error {
	if err == nil {
		return nil
	}
	if !notApplied(err) {
		return fmt.Errorf("couchbase: %s: %w", op, err)
	}
	return s.readError(op, fmt.Errorf("%w: %w", scopes.ErrNotApplied, err))
}

// notApplied tells whether a mutation that failed with err surely changed
// nothing: it was never sent (gocb reports no node it went to: the bucket
// was not reachable, the client closed, a bad argument), or the server
// answered it with a failure status. Anything else may have been applied.
func notApplied(err error) bool {
	if errors.Is(err, gocb.ErrDurabilityAmbiguous) || errors.Is(err, gocb.ErrMutationLost) {
		return false
	}
	var te *gocb.TimeoutError
	if errors.As(err, &te) {
		return te.LastDispatchedTo == ""
	}
	var ke *gocb.KeyValueError
	if errors.As(err, &ke) {
		return ke.StatusCode != 0 || ke.LastDispatchedTo == ""
	}
	for _, target := range []error{gocb.ErrShutdown, gocb.ErrInvalidArgument, gocb.ErrEncodingFailure,
		gocb.ErrAuthenticationFailure, gocb.ErrBucketNotFound, gocb.ErrScopeNotFound, gocb.ErrCollectionNotFound,
		gocb.ErrCircuitBreakerOpen, gocb.ErrValueTooLarge, gocb.ErrFeatureNotAvailable, gocb.ErrUnsupportedOperation} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// reason says why an operation failed, for the message of readError.
func (s *Store) reason(err error) string {
	c := s.cfg
	var ne *nodeError
	switch {
	case errors.Is(err, gocb.ErrAuthenticationFailure):
		return fmt.Sprintf("Couchbase refused the user name %q or the password, or the user has no role on bucket %q", c.username, c.bucket)
	case errors.Is(err, gocb.ErrBucketNotFound):
		return fmt.Sprintf("Couchbase has no bucket %q, or the user %q cannot see it: create the bucket or fix the connection's bucket", c.bucket, c.username)
	case errors.Is(err, gocb.ErrScopeNotFound):
		return fmt.Sprintf("bucket %q has no scope %q: create it or fix the connection's scope", c.bucket, c.scope)
	case errors.Is(err, gocb.ErrCollectionNotFound):
		return fmt.Sprintf("bucket %q has no collection %q in scope %q: create it or fix the connection's collection", c.bucket, c.collection, c.scope)
	case errors.Is(err, gocb.ErrIndexNotFound), errors.Is(err, gocb.ErrPlanningFailure), errors.Is(err, gocb.ErrIndexFailure):
		return fmt.Sprintf("the query service cannot use the indexes of listing on %s (see connections/README.md, Couchbase): %s", s.keyspace, queryMessage(err))
	case errors.Is(err, gocb.ErrServiceNotAvailable), errors.Is(err, gocb.ErrFeatureNotAvailable):
		return "a service that scopestore needs does not run on the cluster: the data service for scopes, and the query and index services for listing, counting and the cleaner"
	case errors.Is(err, gocb.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		if why := timeoutReason(err, c); why != "" {
			return why
		}
		return "no answer in time (is the cluster up, its address right, and the bucket's data nodes reachable from here?)"
	case errors.Is(err, gocb.ErrTemporaryFailure), errors.Is(err, gocb.ErrOverload),
		errors.Is(err, gocb.ErrRateLimitedFailure), errors.Is(err, gocb.ErrQuotaLimitedFailure),
		errors.Is(err, gocb.ErrCircuitBreakerOpen):
		return "the cluster is busy and refused the request"
	case errors.Is(err, gocb.ErrDocumentLocked):
		return "the scope's document is locked by another program"
	case errors.Is(err, gocb.ErrShutdown):
		return "the connection is closed"
	case errors.As(err, &ne):
		return ne.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, gocb.ErrRequestCanceled):
		return "the request was canceled"
	}
	return "the request failed (the log has the detail)"
}

// timeoutReason says why an operation that timed out was retried until it
// did, when gocb's retry reasons tell: a collection that the cluster does
// not know is retried, not refused, and so is a locked document or a busy
// node. "" when they tell nothing more than a timeout.
func timeoutReason(err error, c config) string {
	var te *gocb.TimeoutError
	if !errors.As(err, &te) {
		return ""
	}
	for _, r := range te.RetryReasons {
		switch r {
		case gocb.KVCollectionOutdatedRetryReason:
			return fmt.Sprintf("bucket %q has no collection %q in scope %q, or the cluster did not say in time: create it or fix the connection's scope and collection", c.bucket, c.collection, c.scope)
		case gocb.KVLockedRetryReason:
			return "the scope's document stayed locked by another program"
		case gocb.KVTemporaryFailureRetryReason, gocb.CircuitBreakerOpenRetryReason:
			return "the cluster is busy and refused the request until it timed out"
		}
	}
	return ""
}

// queryMessage returns the query service's first message in err, which
// names the index or the keyspace at fault.
func queryMessage(err error) string {
	var qe *gocb.QueryError
	if errors.As(err, &qe) && len(qe.Errors) > 0 {
		return qe.Errors[0].Message
	}
	return "no message"
}
