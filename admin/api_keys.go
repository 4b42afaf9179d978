package admin

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/httpapi"
	"github.com/scopestore/scopestore/scopes"
)

// APIKey is an app's API key as the admin JSON API lists it: never the key
// itself.
type APIKey struct {
	ID      int64     `json:"id"`
	Label   string    `json:"label"`
	Active  bool      `json:"active"`
	Created time.Time `json:"created"`
	// LastUsed and Revoked are absent when the key was never used, or is
	// active.
	LastUsed *time.Time `json:"last_used,omitempty"`
	Revoked  *time.Time `json:"revoked,omitempty"`
}

// APIKeys is GET …/apps/{app}/keys: every key of the app, revoked ones
// too, oldest first.
type APIKeys struct {
	App  string   `json:"app"`
	Keys []APIKey `json:"keys"`
}

// APIKeyRevoked is what DELETE …/apps/{app}/keys/{id} did.
type APIKeyRevoked struct {
	App string `json:"app"`
	Key APIKey `json:"key"`
	// Name is how messages and the audit log name the key.
	Name string `json:"name"`
	// ActiveLeft counts the app's active keys left; 0 locks it out.
	ActiveLeft int `json:"active_left"`
}

// NewAPIKey writes a key for the admin JSON API.
func NewAPIKey(k scopes.APIKey) APIKey {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	return APIKey{ID: k.ID, Label: k.Label, Active: k.Active(), Created: k.Created.UTC(), LastUsed: opt(k.LastUsed), Revoked: opt(k.Revoked)}
}

// Key reads, for app, a key the admin JSON API wrote.
func (k APIKey) Key(app string) scopes.APIKey {
	opt := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	}
	return scopes.APIKey{ID: k.ID, App: app, Label: k.Label, Created: k.Created, LastUsed: opt(k.LastUsed), Revoked: opt(k.Revoked)}
}

// keyAddRequest is the body of POST …/apps/{app}/keys.
type keyAddRequest struct {
	Label string `json:"label"`
}

// apiKeys answers an app's keys, revoked ones too.
func (a *Console) apiKeys(c echo.Context) error {
	app := c.Param("app")
	keys, err := a.Directory.Keys(c.Request().Context(), app)
	if err != nil {
		return apiError(a, c, err)
	}
	out := APIKeys{App: app, Keys: make([]APIKey, len(keys))}
	for i, k := range keys {
		out.Keys[i] = NewAPIKey(k)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, out)
}

// apiKeyAdd issues one more key for an app, its other keys kept, and
// answers it once: 201. The directory records app.key.add.
func (a *Console) apiKeyAdd(c echo.Context) error {
	var req keyAddRequest
	if err := readJSON(c, &req, `{"label":"web servers"}`); err != nil {
		return apiError(a, c, err)
	}
	app := c.Param("app")
	key, k, err := a.Directory.AddKey(c.Request().Context(), app, req.Label)
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusCreated, APINewKey{App: app, Key: key, ID: k.ID, Label: k.Label, Name: k.Name()})
}

// apiKeyRevoke revokes one key of an app; its last active key only with
// ?force=true, as the console's box asks. The directory records
// app.key.revoke.
func (a *Console) apiKeyRevoke(c echo.Context) error {
	app := c.Param("app")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return apiError(a, c, scopes.Errorf(scopes.ENotFound, "there is no API key %q: GET %s/apps/%s/keys lists the keys' ids", clipMessage(c.Param("id"), 40), APIPrefix, app))
	}
	force, err := forceParam(c, "revoke the app's last active key")
	if err != nil {
		return apiError(a, c, err)
	}
	k, left, err := a.Directory.RevokeKey(c.Request().Context(), app, id, force)
	if errors.Is(err, scopes.ErrLastKey) {
		return apiError(a, c, &scopes.Error{Code: scopes.EConflict, Err: err, Message: scopes.ErrorMessage(err) + "; ?force=true revokes it anyway"})
	} else if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusOK, APIKeyRevoked{App: app, Key: NewAPIKey(k), Name: k.Name(), ActiveLeft: left})
}

// apiKeyRotate revokes every key of an app and answers one new key, once:
// 201. The directory records app.key.rotate.
func (a *Console) apiKeyRotate(c echo.Context) error {
	var req struct{}
	if err := readJSON(c, &req, "{}"); err != nil {
		return apiError(a, c, err)
	}
	app := c.Param("app")
	key, err := a.Directory.RotateKey(c.Request().Context(), app)
	if err != nil {
		return apiError(a, c, err)
	}
	return httpapi.WriteJSON(c.Response(), http.StatusCreated, APINewKey{App: app, Key: key})
}
