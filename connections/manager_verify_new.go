package connections

import (
	"context"
	"maps"

	"github.com/scopestore/scopestore/scopes"
)

// VerifyNew runs Verify's checks on a definition that is not stored yet,
// as the command line's create and the admin API's do before creating it.
// A definition that is invalid, or whose name is taken, is refused first
// without a connection attempt. It returns no checks, and a nil keep, when
// this version cannot open the type. keep, once the connection is created,
// keeps the checks as its last Verify, so that lists show it verified.
func (m *Manager) VerifyNew(ctx context.Context, c scopes.Connection) (hs []scopes.Health, keep func(context.Context), err error) {
	probe := c
	probe.Params = maps.Clone(c.Params)
	if err := Validate(&probe); err != nil {
		return nil, nil, err
	}
	if _, err := m.get(ctx, probe.Name); err == nil {
		return nil, nil, scopes.Errorf(scopes.EConflict, "connection %q already exists (connection names ignore case)", probe.Name)
	} else if scopes.ErrorCode(err) != scopes.ENotFound {
		return nil, nil, err
	}
	if !StorageType(probe.Type) {
		return nil, nil, nil
	}
	hs = Verify(ctx, probe)
	return hs, func(ctx context.Context) { m.KeepVerify(ctx, probe, hs) }, nil
}
