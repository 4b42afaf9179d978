package scopes

import "time"

// Operations an Observer is told of.
const (
	OpCreate = "create"
	OpLoad   = "load"
	OpSave   = "save"
	OpPatch  = "patch"
	OpDelete = "delete"
	OpTouch  = "touch"
	OpRotate = "rotate"
)

// Results of an operation, one per kind of answer a front end gives.
const (
	ResultOK          = "ok"          // done
	ResultNotFound    = "not_found"   // no such live scope (404)
	ResultConflict    = "conflict"    // If-Match named a stale version (412)
	ResultUnavailable = "unavailable" // the storage did not answer (503)
	ResultInvalid     = "invalid"     // any other refusal of the request as sent (400, 403, 409, 413, 422)
	ResultError       = "error"       // a corrupt stored value or anything unexpected (500)
)

// Observer is told of every scope operation and cleaner run, for metrics.
// Its methods run on the request's path, so they must be cheap and safe for
// concurrent use.
type Observer interface {
	// ObserveOp reports one operation (OpCreate…) on a storage, its result
	// (ResultOK…) and how long it took.
	ObserveOp(storage, op, result string, d time.Duration)
	// ObserveClean reports one pass of the cleaner over a storage: the
	// expired scopes it deleted and the failure that stopped it, if any.
	ObserveClean(storage string, deleted int, err error)
	// ObserveResend reports a write whose outcome a storage did not tell,
	// sent again until it did (resolved) or ResolveTime passed (not).
	ObserveResend(storage string, resolved bool)
}

// Result classifies an operation's error into one of the Result names.
func Result(err error) string {
	switch ErrorCode(err) {
	case "":
		return ResultOK
	case ENotFound:
		return ResultNotFound
	case EPreconditionFailed:
		return ResultConflict
	case EUnavailable:
		return ResultUnavailable
	case ECorrupt, EInternal:
		return ResultError
	}
	return ResultInvalid
}

// observe reports to the Observer, if any, an operation on the storage that
// set names for k, started at start, that ended with *err. Operations defer
// it with their named error result, so that every return is reported.
func (e *Engine) observe(set Settings, k Kind, op string, start time.Time, err *error) {
	if e.Observer == nil {
		return
	}
	if k.Shared() {
		// "application.save": the shared scopes' operations apart from
		// the visitors' ones, whose rates and latencies differ.
		op = string(k) + "." + op
	}
	e.Observer.ObserveOp(set.Of(k).Storage, op, Result(*err), time.Since(start))
}

// Observers tells each of its Observers of every call, in order: the engine
// has one Observer, and scopestore gives it both its Prometheus metrics and
// the History behind the console's charts.
type Observers []Observer

// ObserveOp implements Observer.
func (o Observers) ObserveOp(storage, op, result string, d time.Duration) {
	for _, x := range o {
		x.ObserveOp(storage, op, result, d)
	}
}

// ObserveClean implements Observer.
func (o Observers) ObserveClean(storage string, deleted int, err error) {
	for _, x := range o {
		x.ObserveClean(storage, deleted, err)
	}
}

// ObserveResend implements Observer.
func (o Observers) ObserveResend(storage string, resolved bool) {
	for _, x := range o {
		x.ObserveResend(storage, resolved)
	}
}
