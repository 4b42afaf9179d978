package admin

import (
	"context"
	"time"

	"github.com/scopestore/scopestore/scopes"
)

// CreateToken makes an admin API token that acts for the user, named name
// ("" for "token"), and returns it: it is shown once and only its hash is
// stored. The creation is audited as ctx's actor.
func (u Users) CreateToken(ctx context.Context, user, name string) (string, scopes.AdminToken, error) {
	name, err := scopes.ValidateTokenName(name)
	if err != nil {
		return "", scopes.AdminToken{}, err
	}
	token, hash := scopes.NewAdminToken()
	t, err := u.Store.AddAdminToken(ctx, user, name, hash, time.Now())
	if err != nil {
		return "", scopes.AdminToken{}, err
	}
	u.audit(ctx, "admin.token.create", t.User, t.Title()+" created")
	return token, t, nil
}

// Tokens lists the admin API tokens of user, or every user's when user is
// "", revoked ones too, oldest first.
func (u Users) Tokens(ctx context.Context, user string) ([]scopes.AdminToken, error) {
	all, err := u.Store.AdminTokens(ctx)
	if err != nil || user == "" {
		return all, err
	}
	var mine []scopes.AdminToken
	for _, t := range all {
		if t.User == user {
			mine = append(mine, t)
		}
	}
	return mine, nil
}

// RevokeToken revokes the admin API token with this id, if owner is ""
// (an administrator's revocation) or the token's user: another user's
// token is as good as absent (ENotFound). The revocation is audited.
func (u Users) RevokeToken(ctx context.Context, id int64, owner string) (scopes.AdminToken, error) {
	notFound := scopes.Errorf(scopes.ENotFound, "there is no admin API token %d", id)
	if owner != "" {
		mine, err := u.Tokens(ctx, owner)
		if err != nil {
			return scopes.AdminToken{}, err
		}
		if !hasToken(mine, id) {
			return scopes.AdminToken{}, notFound
		}
	}
	t, found, err := u.Store.RevokeAdminToken(ctx, id, time.Now())
	if err != nil {
		return scopes.AdminToken{}, err
	} else if !found {
		return scopes.AdminToken{}, notFound
	}
	u.audit(ctx, "admin.token.revoke", t.User, t.Title()+" revoked")
	return t, nil
}

func hasToken(tokens []scopes.AdminToken, id int64) bool {
	for _, t := range tokens {
		if t.ID == id {
			return true
		}
	}
	return false
}
