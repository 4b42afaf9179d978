package admin

import (
	"context"
	"maps"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// APIVerifyCheck is one check of a connection's Verify as the admin JSON
// API writes it.
type APIVerifyCheck struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Skipped says that the check did not run because one before it failed.
	Skipped bool `json:"skipped,omitempty"`
	// Message is why the check failed, in the driver's own words where the
	// cause is unexpected; empty when it passed.
	Message string `json:"message,omitempty"`
}

// APIVerified is the answer of POST …/connections/{name}/verify, and of
// POST …/connections when the definition was checked first.
type APIVerified struct {
	Connection APIConnection `json:"connection"`
	// Verified is false when no check ran: --no-verify, or a type this
	// version cannot open.
	Verified bool             `json:"verified"`
	OK       bool             `json:"ok"`
	Checks   []APIVerifyCheck `json:"checks"`
}

// APIChecksFailed is the 422 answer of POST …/connections when a check
// failed: nothing was created.
type APIChecksFailed struct {
	Error  httpapi.ErrorDetail `json:"error"`
	Checks []APIVerifyCheck    `json:"checks"`
}

// CodeCheckFailed is the error code of a creation that a failed check
// refused (422).
const CodeCheckFailed = "check_failed"

// NewAPIChecks writes Verify's checks for the admin JSON API and the CLI,
// each failure in full (a person verifying wants the driver's own words),
// worded as the console words them (scopes.Health.Message).
func NewAPIChecks(hs []scopes.Health) []APIVerifyCheck {
	out := make([]APIVerifyCheck, len(hs))
	for i, h := range hs {
		out[i] = APIVerifyCheck{Name: h.Name, OK: h.Err == nil, Message: h.Message(), Skipped: h.Skipped()}
	}
	return out
}

// allPassed tells whether every check passed.
func allPassed(checks []APIVerifyCheck) bool {
	for _, ch := range checks {
		if !ch.OK {
			return false
		}
	}
	return true
}

// newVerifier is what cmd's connection manager offers beyond Connections:
// the checks of a definition before it is stored.
type newVerifier interface {
	VerifyNew(ctx context.Context, c scopes.Connection) ([]scopes.Health, func(context.Context), error)
}

// connectionCreateRequest is the body of POST …/connections. The password
// travels here, never in a URL.
type connectionCreateRequest struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Storage  bool              `json:"storage"`
	Params   map[string]string `json:"params"`
	Password string            `json:"password"`
	// NoVerify creates the connection unchecked (a server not up yet).
	NoVerify bool `json:"no_verify"`
}

// connectionEditRequest is the body of PATCH …/connections/{name}: only
// what it names changes; a param given "" is removed.
type connectionEditRequest struct {
	Storage       *bool             `json:"storage"`
	Params        map[string]string `json:"params"`
	Password      *string           `json:"password"`
	ClearPassword bool              `json:"clear_password"`
}

const connectionCreateExample = `{"name":"sessions","type":"redis","storage":true,"params":{"url":"redis://127.0.0.1:6379/0"},"password":"…"}`

// apiConnectionCreate defines a connection once it passes Verify's checks,
// as the command line's create does: a failed check creates nothing and is
// answered 422 check_failed with the checks. The manager records
// connection.create.
func (a *Console) apiConnectionCreate(c echo.Context) error {
	ctx := c.Request().Context()
	var req connectionCreateRequest
	if err := readJSON(c, &req, connectionCreateExample); err != nil {
		return apiError(a, c, err)
	}
	conn := scopes.Connection{Name: strings.TrimSpace(req.Name), Type: strings.ToLower(strings.TrimSpace(req.Type)),
		Storage: req.Storage, Params: maps.Clone(req.Params), Secret: req.Password}
	if conn.Params == nil {
		conn.Params = map[string]string{}
	}
	switch {
	case conn.Name == "":
		return apiError(a, c, scopes.Errorf(scopes.EInvalid, "name is required: the connection's name, as an app's settings will name its storage: %s", connectionCreateExample))
	case conn.Type == "":
		return apiError(a, c, scopes.Errorf(scopes.EInvalid, "type is required: redis, memcached, mysql, postgres, sqlite, …: %s", connectionCreateExample))
	}
	var checks []APIVerifyCheck
	var keep func(context.Context)
	if !req.NoVerify {
		v, ok := a.Connections.(newVerifier)
		if !ok {
			return apiError(a, c, scopes.Errorf(scopes.EUnsupported, "this server cannot check a connection before it stores it: send \"no_verify\":true, then POST …/connections/{name}/verify"))
		}
		hs, k, err := v.VerifyNew(ctx, conn)
		if err != nil {
			return apiError(a, c, err)
		}
		checks, keep = NewAPIChecks(hs), k
		if !allPassed(checks) {
			return httpapi.WriteJSON(c.Response(), http.StatusUnprocessableEntity, APIChecksFailed{Checks: checks, Error: httpapi.ErrorDetail{
				Code: CodeCheckFailed, Message: "connection " + conn.Name + " was not created: a check failed. Correct its parameters, " +
					"or create it anyway with \"no_verify\":true (then verify it)."}})
		}
	}
	if err := a.Connections.Create(ctx, conn); err != nil {
		return apiError(a, c, err)
	}
	if keep != nil {
		keep(ctx)
	}
	stored, err := a.Connections.Connection(ctx, conn.Name)
	if err != nil {
		return apiError(a, c, err)
	}
	if checks == nil {
		checks = []APIVerifyCheck{}
	}
	return httpapi.WriteJSON(c.Response(), http.StatusCreated, APIVerified{Connection: NewAPIConnection(stored),
		Verified: keep != nil, OK: keep != nil, Checks: checks})
}

// apiConnectionEdit changes what the body names of a connection; the
// password stays unless password or clear_password is given. Removing the
// storage flag of a connection that holds scopes is refused (409), nothing
// saved. The manager records connection.edit.
func (a *Console) apiConnectionEdit(c echo.Context) error {
	ctx := c.Request().Context()
	var req connectionEditRequest
	if err := readJSON(c, &req, `{"storage":true,"params":{"timeout":"2s"},"password":"…"}`); err != nil {
		return apiError(a, c, err)
	}
	if req.ClearPassword && req.Password != nil {
		return apiError(a, c, scopes.Errorf(scopes.EInvalid, "give password or clear_password, not both"))
	}
	if req.Password != nil && *req.Password == "" {
		return apiError(a, c, scopes.Errorf(scopes.EInvalid, "password is empty: to remove the stored password, send \"clear_password\":true"))
	}
	conn, err := a.Connections.Connection(ctx, c.Param("name"))
	if err != nil {
		return apiError(a, c, err)
	}
	conn.Params = maps.Clone(conn.Params)
	if conn.Params == nil {
		conn.Params = map[string]string{}
	}
	if req.Storage != nil {
		conn.Storage = *req.Storage
	}
	for k, v := range req.Params {
		conn.Params[strings.ReplaceAll(k, "-", "_")] = v
	}
	keepSecret := true
	switch {
	case req.ClearPassword:
		conn.Secret, keepSecret = "", false
	case req.Password != nil:
		conn.Secret, keepSecret = *req.Password, false
	}
	if err := a.Connections.Update(ctx, conn, keepSecret); err != nil {
		return apiError(a, c, err)
	}
	stored, err := a.Connections.Connection(ctx, conn.Name)
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, struct {
		Connection APIConnection `json:"connection"`
	}{NewAPIConnection(stored)})
}

// apiConnectionDelete deletes a connection that no app uses (409 naming
// them otherwise). The manager records connection.delete.
func (a *Console) apiConnectionDelete(c echo.Context) error {
	ctx := c.Request().Context()
	conn, err := a.Connections.Connection(ctx, c.Param("name"))
	if err != nil {
		return apiError(a, c, err)
	}
	if err := a.Connections.Delete(ctx, conn.Name); err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, struct {
		Deleted string `json:"deleted"`
	}{conn.Name})
}

// apiConnectionVerify runs a connection's checks on a fresh connection to
// its server, as the console's Verify does, and keeps the outcome: 200
// with "ok" false when a check failed.
func (a *Console) apiConnectionVerify(c echo.Context) error {
	ctx := c.Request().Context()
	var req struct{}
	if err := readJSON(c, &req, "{}"); err != nil {
		return apiError(a, c, err)
	}
	conn, err := a.Connections.Connection(ctx, c.Param("name"))
	if err != nil {
		return apiError(a, c, err)
	}
	hs, err := a.Connections.Verify(ctx, conn.Name)
	if err != nil {
		return apiError(a, c, err)
	}
	checks := NewAPIChecks(hs)
	if stored, err := a.Connections.Connection(ctx, conn.Name); err == nil {
		conn = stored
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, APIVerified{Connection: NewAPIConnection(conn), Verified: true,
		OK: allPassed(checks), Checks: checks})
}
