package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// tokensPath is the API tokens page.
const tokensPath = Prefix + "/tokens"

// tokenPath is one token's address; suffix ("/revoke") is added.
func tokenPath(id int64, suffix string) string {
	return tokensPath + "/" + strconv.FormatInt(id, 10) + suffix
}

// tokenListView is the API tokens page.
type tokenListView struct {
	Tokens []scopes.AdminToken
	// All tells that Tokens are every user's (an administrator's view),
	// so that the page names each token's user.
	All  bool
	Form tokenForm
	Now  time.Time
}

// active are the tokens that still sign in, oldest first.
func (v tokenListView) active() []scopes.AdminToken {
	var out []scopes.AdminToken
	for _, t := range v.Tokens {
		if t.Active() {
			out = append(out, t)
		}
	}
	return out
}

// revoked are the tokens revoked so far, newest first.
func (v tokenListView) revoked() []scopes.AdminToken {
	var out []scopes.AdminToken
	for i := len(v.Tokens) - 1; i >= 0; i-- {
		if !v.Tokens[i].Active() {
			out = append(out, v.Tokens[i])
		}
	}
	return out
}

func (v tokenListView) noneText() string {
	if v.All {
		return "No user has an active API token."
	}
	return "You have no active API token."
}

func (a *Console) tokenList(c echo.Context) error {
	return a.renderTokens(c, http.StatusOK, tokenForm{Errors: map[string]string{}})
}

// renderTokens shows the API tokens page with the form as given: every
// user's tokens to an administrator, their own to an operator.
func (a *Console) renderTokens(c echo.Context, status int, f tokenForm) error {
	owner := tokenOwner(c)
	tokens, err := a.users().Tokens(c.Request().Context(), owner)
	if err != nil {
		return err
	}
	v := tokenListView{Tokens: tokens, All: owner == "", Form: f, Now: time.Now()}
	return a.render(c, status, tokenListPage(a.meta(c, "API tokens", "tokens"), v))
}

// tokenOwner is whose tokens the signed-in user may see and revoke: ""
// (everybody's) for an administrator, their own for an operator.
func tokenOwner(c echo.Context) string {
	if mayChange(c.Request().Context()) {
		return ""
	}
	user, _ := c.Get(userKey).(string)
	return user
}
