package admin

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scopestore/scopestore/scopes"
)

// healthTimeout bounds the health checks of the overview, so that a storage
// that does not answer slows the page down but does not hang it.
const healthTimeout = 5 * time.Second

// overviewView is the Overview page.
type overviewView struct {
	Version     string
	ConfigStore string
	Started     time.Time
	Uptime      time.Duration
	// Config is the health of the config store.
	Config healthRow
	// Storages are the storages in use, in name order, with their health.
	Storages []healthRow
	// Server are the storages of the server defaults.
	Server appRow
	Apps   []overviewApp
	// Counted tells whether the apps' live scopes were counted (the console
	// has an engine); Total is their sum.
	Counted bool
	Total   liveTotal
	// Errors are this instance's most recent storage failures, newest
	// first, when the console has an engine.
	Errors []scopes.ErrorEvent
	// Memory is what this instance holds in memory against its budget,
	// when the console has an engine.
	Memory memoryView
	// Charts are the last hour of each storage, when the console has a
	// History; ChartsSince is when the History began; ChartsFrom says
	// whose measurements they are.
	Charts      []storageCharts
	ChartsSince time.Time
	ChartsFrom  chartsFrom
}

// memoryView is what the instance holds in memory: the memory storage's
// scopes and the copies of other storages' scopes, and its budget (0: none).
type memoryView struct {
	Storage, Copies scopes.Usage
	Budget          int64
}

// Percent is how much of the budget is held, 0 to 100.
func (m memoryView) Percent() int {
	if m.Budget <= 0 {
		return 0
	}
	return int(min(100, (m.Storage.Bytes+m.Copies.Bytes)*100/m.Budget))
}

// healthRow is the state of the config store or of one storage.
type healthRow struct {
	Name    string
	OK      bool
	Message string
	// UsedBy names the apps whose settings name the storage, "server
	// defaults" among them when the defaults do.
	UsedBy []string
}

func (a *Console) overview(c echo.Context) error {
	ctx := c.Request().Context()
	rows, err := a.appRows(ctx)
	if err != nil {
		return err
	}
	server, err := a.Directory.ServerSettings(ctx)
	if err != nil {
		return err
	}
	config, storages, err := a.health(ctx)
	if err != nil {
		return err
	}
	apps := make([]overviewApp, len(rows))
	for i, r := range rows {
		apps[i].appRow = r
	}
	v := overviewView{Version: a.Version, ConfigStore: a.ConfigStore, Started: a.Started,
		Uptime: time.Since(a.Started), Config: config, Storages: storages, Apps: apps,
		Server: appRow{Name: "server defaults", SessionStorage: server.Settings.Session.Storage,
			ClientStorage: server.Settings.Client.Storage}}
	// The live scopes counted below are the charts' point of this minute.
	var notes map[string]liveNote
	if a.Engine != nil {
		down := map[string]string{}
		for _, h := range storages {
			if !h.OK {
				down[h.Name] = h.Message
			}
		}
		v.Counted, v.Total = true, a.countScopes(ctx, v.Apps, down)
		if a.History != nil {
			notes = a.recordLive(v.Apps)
		}
		// Read after counting, so that a count that failed is listed too.
		v.Errors = a.recentErrors()
		v.Memory.Storage, v.Memory.Copies = a.Engine.MemoryHeld()
		v.Memory.Budget = a.Engine.MemoryBudget
	}
	if a.History != nil {
		v.Charts, v.ChartsFrom = a.charts(ctx, storages, notes)
		v.ChartsSince = a.History.Started()
	}
	return a.render(c, http.StatusOK, overviewPage(a.meta(c, "Overview", "overview"), v))
}

// health checks the config store and every storage in use, and keeps the
// outcome of each connection's check for the lists of caches and datasources.
func (a *Console) health(ctx context.Context) (healthRow, []healthRow, error) {
	started := time.Now()
	checkCtx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	checks := a.Directory.Check(checkCtx)
	config := healthRow{Name: "config store"}
	if len(checks) > 0 {
		config.OK, config.Message = healthOf(checks[0].Err)
		if checks[0].Err != nil {
			a.Logger.Warn("config store health check failed", "err", checks[0].Err)
		}
	}
	// A config store that does not answer cannot say which storages are in use.
	if !config.OK {
		return config, nil, nil
	}
	use, err := a.Directory.StoragesInUse(checkCtx)
	if err != nil {
		return config, nil, err
	}
	var storages []healthRow
	for _, h := range checks[1:] {
		name := strings.TrimPrefix(h.Name, "storage ")
		row := healthRow{Name: name}
		row.OK, row.Message = healthOf(h.Err)
		if h.Err != nil {
			a.Logger.Warn("storage health check failed", "storage", name, "err", h.Err)
		}
		// With the request's context: the checks' own may have run out.
		a.recordHealth(ctx, name, started, h.Err)
		for _, who := range use[name] {
			if who == "" {
				who = "server defaults"
			}
			row.UsedBy = append(row.UsedBy, who)
		}
		storages = append(storages, row)
	}
	return config, storages, nil
}

func healthOf(err error) (bool, string) {
	if err != nil {
		return false, scopes.ErrorMessage(err)
	}
	return true, "answers"
}

// uptimeText writes an uptime to the minute, or to the second below one.
func uptimeText(d time.Duration) string {
	if d < time.Minute {
		return scopes.FormatTimeout(d.Truncate(time.Second))
	}
	return scopes.FormatTimeout(d.Truncate(time.Minute))
}
