package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// tokenCreatedView shows a new token once.
type tokenCreatedView struct {
	Token  scopes.AdminToken
	Secret string
	// Server is this console's own address, for the command line to reach.
	Server string
}

// tokenCreate makes a token for the signed-in user, whatever its role: an
// operator's token reads, as the operator does.
func (a *Console) tokenCreate(c echo.Context) error {
	f := readTokenForm(c)
	if !f.validate() {
		return a.renderTokens(c, http.StatusUnprocessableEntity, f)
	}
	user, _ := c.Get(userKey).(string)
	secret, t, err := a.users().CreateToken(c.Request().Context(), user, f.Name)
	if err != nil {
		return err
	}
	v := tokenCreatedView{Token: t, Secret: secret, Server: c.Scheme() + "://" + c.Request().Host}
	return a.render(c, http.StatusOK, tokenCreatedPage(a.meta(c, "Token created", "tokens"), v))
}
