package admin

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// invalidateRequest is the body of POST …/invalidate: the list's filter,
// where to start, how far to go, and whether only to count.
type invalidateRequest struct {
	Prefix string `json:"prefix"`
	Key    string `json:"key"`
	Value  string `json:"value"`
	// After starts after this cfid: the next of a run that stopped at its bound.
	After string `json:"after"`
	// MaxScan bounds the scopes the run examines, scopes.MaxMatchScan at most.
	MaxScan int  `json:"max_scan"`
	DryRun  bool `json:"dry_run"`
}

// invalidateAnswer is what a targeted invalidation did, or would do.
type invalidateAnswer struct {
	DryRun bool `json:"dry_run"`
	// Matched is how many scopes the filter kept; with dry_run, how many
	// would be invalidated now.
	Matched     int `json:"matched"`
	Invalidated int `json:"invalidated"`
	Scanned     int `json:"scanned"`
	// Complete is false when the scan bound stopped the run: more may match
	// after Next.
	Complete bool   `json:"complete"`
	Next     string `json:"next"`
}

// apiInvalidate invalidates the scopes of kind k that a filter keeps, or
// with dry_run counts them, and answers when the run ends. Its body is JSON
// only (readJSON), which keeps the console's cookie from being used against
// it by another site's form.
func (o *sessionOps) apiInvalidate(k scopes.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		var req invalidateRequest
		if err := readJSON(c, &req, `{"key":"userId","value":"42","dry_run":true}`); err != nil {
			return apiError(o.Console, c, err)
		}
		if s := c.QueryParam("dry_run"); s == "true" || s == "1" {
			req.DryRun = true
		}
		if req.MaxScan < 0 || req.MaxScan > scopes.MaxMatchScan {
			return apiError(o.Console, c, scopes.Errorf(scopes.EInvalid, "max_scan %d is out of range: 1 to %d", req.MaxScan, scopes.MaxMatchScan))
		}
		app := c.Param("app")
		eng, err := o.engine()
		if err != nil {
			return apiError(o.Console, c, err)
		}
		set, err := o.settingsOf(ctx, app)
		if err != nil {
			return apiError(o.Console, c, err)
		}
		q := scopes.ListQuery{After: strings.TrimSpace(req.After), CFIDPrefix: req.Prefix, Key: strings.TrimSpace(req.Key), Value: req.Value}
		if req.DryRun {
			run, err := eng.CountMatching(ctx, set, app, k, q, req.MaxScan)
			if err != nil {
				return apiError(o.Console, c, err)
			}
			return httpapi.WriteJSON(c.Response(), http.StatusOK, answerOf(run, true))
		}
		// A bad filter is refused before anything is deleted, and the run
		// goes to its end even when the client stops waiting.
		if err := scopes.CheckMatchQuery(q); err != nil {
			return apiError(o.Console, c, err)
		}
		run, err := eng.InvalidateMatching(context.WithoutCancel(ctx), set, app, k, q, req.MaxScan, nil)
		if run.Scanned > 0 || err == nil {
			o.audit(ctx, string(k)+".invalidate_matching", app, matchAuditDetail("through the admin JSON API", q, set.Of(k).Storage, run, -1, err))
		}
		if err != nil {
			return apiError(o.Console, c, err)
		}
		return httpapi.WriteJSON(c.Response(), http.StatusOK, answerOf(run, false))
	}
}

func answerOf(run scopes.MatchRun, dry bool) invalidateAnswer {
	return invalidateAnswer{DryRun: dry, Matched: run.Matched, Invalidated: run.Invalidated, Scanned: run.Scanned,
		Complete: run.Complete, Next: run.Next}
}
