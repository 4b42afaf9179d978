package admin

import (
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// bearerToken returns the token of the request's Authorization header
// ("Bearer sst_…"), and whether the header was given at all.
func bearerToken(c echo.Context) (string, bool) {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if h == "" {
		return "", false
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(token), true
}

// signInToken signs in the user of the request's admin API token as
// signIn does for a console session, with the user's role as it is now.
// A token that is unknown, revoked, or whose user was deleted signs nobody
// in, with a refusal that says what to do; the token's use is recorded at
// most once per scopes.KeyUseInterval.
func (a *Console) signInToken(c echo.Context, token string) error {
	ctx := c.Request().Context()
	if !scopes.LooksLikeAdminToken(token) {
		hint := `send "Authorization: Bearer sst_…", an admin API token`
		if strings.HasPrefix(token, "ssk_") {
			hint = "this is an app's API key, which opens the runtime API (/api/v1) only; the admin API takes an admin API token (sst_…)"
		}
		return scopes.Errorf(scopes.EUnauthorized, "%s: create one on the console's API tokens page or with 'scopestore admin token create'", hint)
	}
	hash := scopes.HashAPIKey(token)
	t, found, err := a.Admins.ActiveAdminToken(ctx, hash)
	if err != nil {
		return err
	}
	if !found {
		a.Logger.Warn("admin API request refused: unknown or revoked admin token", "addr", c.RealIP(), "path", c.Request().URL.Path)
		return scopes.Errorf(scopes.EUnauthorized, "this admin API token is unknown or was revoked: create another on the console's "+
			"API tokens page or with 'scopestore admin token create'")
	}
	u, found, err := a.Admins.AdminUser(ctx, t.User)
	if err != nil {
		return err
	} else if !found {
		return scopes.Errorf(scopes.EUnauthorized, "the user of this admin API token was deleted")
	}
	if now := time.Now(); now.Sub(t.LastUsed) >= scopes.KeyUseInterval {
		if err := a.Admins.AdminTokenUsed(ctx, hash, now); err != nil {
			// The request goes on: its last use is information, not access.
			a.Logger.Warn("recording an admin token's use failed", "token", t.ID, "err", err)
		}
	}
	c.Set(userKey, u.Name)
	c.Set(roleKey, u.Role)
	c.SetRequest(c.Request().WithContext(withRole(withActor(ctx, u.Name), u.Role)))
	return nil
}
