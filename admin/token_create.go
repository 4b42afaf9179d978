package admin

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// tokenCreatedPath is the page that shows a token just created, once.
const tokenCreatedPath = tokensPath + "/created"

// tokenCreatedView shows a new token once.
type tokenCreatedView struct {
	Token  scopes.AdminToken
	Secret string
	// Server is this console's own address, for the command line to reach.
	Server string
}

// tokenCreate makes a token for the signed-in user, whatever its role (an
// operator's token reads, as the operator does), and leads to the page
// that shows it: a reload of that page makes no other token.
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
	if err := keepOnce(c, tokenCreatedPath, tokenCreatedView{Token: t, Secret: secret}); err != nil {
		return err
	}
	return redirect(c, tokenCreatedPath)
}

// tokenCreated shows the token that tokenCreate made, the only time it is
// shown; shown already, the page leads back to the list and says so.
func (a *Console) tokenCreated(c echo.Context) error {
	var v tokenCreatedView
	if !takeOnce(c, &v) {
		setFlash(c, "warn", "A new token is shown once, and it was shown already: scopestore keeps only its hash. "+
			"If you did not copy it, create another and revoke that one.")
		return redirect(c, tokensPath)
	}
	v.Server = c.Scheme() + "://" + c.Request().Host
	return a.render(c, http.StatusOK, tokenCreatedPage(a.meta(c, "Token created", "tokens"), v))
}
