package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/scopestore/scopestore/admin"
	"github.com/scopestore/scopestore/scopes"
	"github.com/scopestore/scopestore/web"
)

// sweepInterval is how often idle and expired scopes leave memory.
const sweepInterval = time.Minute

// historyPublishInterval is how often an instance publishes its finished
// minutes to a shared config store, and historyPublishTimeout bounds one
// publication.
const (
	historyPublishInterval = time.Minute
	historyPublishTimeout  = 20 * time.Second
)

func serveCommand() *command {
	return &command{
		name:  "serve",
		usage: "[flags]",
		short: "Run the HTTP server (the default command)",
		long: "Serves the runtime API under /api/v1, /healthz, /readyz and /metrics. Stops on SIGINT or SIGTERM:\n" +
			"it stops accepting, finishes the requests in flight (up to --shutdown-timeout), then closes the storages.",
		run: func(rc *runContext, _ []string) error { return serve(rc) },
	}
}

// warnAppNameClashes names the apps whose names differ only in case, which
// a config store written before app names ignored case may hold. They are
// not merged or renamed: each answers to its exact name still, and which one
// to keep is the administrator's choice.
func warnAppNameClashes(ctx context.Context, dir *scopes.Directory, logger *slog.Logger) {
	clashes, err := dir.AppNameClashes(ctx)
	if err != nil {
		logger.Warn("could not check the app names", "err", err)
		return
	}
	for _, names := range clashes {
		logger.Warn("apps whose names differ only in case: app names now ignore case, so each of these answers only to its exact name and any other spelling reaches none of them; "+
			"keep one: move the others' clients to its name and key, then delete each other one with `scopestore app delete NAME` (its keys, settings and live scopes go with it)",
			"apps", strings.Join(names, ", "))
	}
}

func serve(rc *runContext) error {
	cfg := rc.cfg
	logger := newLogger(cfg, rc.stderr)
	if cfg.Server != "" {
		logger.Warn("--server (SCOPESTORE_SERVER) is for the commands that reach a running server; serve runs one and ignores it",
			"server", cfg.Server)
	}
	defer tuneGC(int(cfg.GCHeapFloor), logger)()
	svc, err := open(rc.ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := svc.Close(); err != nil {
			logger.Error("close storages", "err", err)
		}
	}()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return usageErrorf("--addr (SCOPESTORE_ADDR) %s: cannot listen: %v", cfg.Addr, err)
	}
	svc.instance = instanceID(ln.Addr())
	dataDir, _ := filepath.Abs(cfg.DataDir)
	warnLooseModes(dataDir, logger)
	warnAppNameClashes(rc.ctx, svc.directory, logger)
	srv := &http.Server{
		Handler:           handler(svc, cfg, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	logger.Info("scopestore listening", "addr", "http://"+ln.Addr().String(), "admin", "http://"+ln.Addr().String()+admin.Prefix+"/",
		"data_dir", dataDir, "config_store", svc.config.Dialect())

	// The webhook workers record their outcome in the config store: they
	// end (cancelled) before it closes.
	defer svc.notifier.Wait()
	ctx, cancel := context.WithCancel(rc.ctx)
	defer cancel()
	go every(ctx, sweepInterval, func() {
		if n, err := svc.engine.Sweep(ctx); err != nil {
			logger.Error("sweep memory", "err", err)
		} else if n > 0 {
			logger.Debug("swept expired scopes from memory", "deleted", n)
		}
		if _, err := svc.config.DeleteExpiredAdminSessions(ctx, time.Now()); err != nil {
			logger.Error("delete expired admin sessions", "err", err)
		}
		if _, err := svc.notifier.Prune(ctx); err != nil {
			logger.Error("delete old end-of-scope notifications", "err", err)
		}
		if cfg.AuditRetention > 0 {
			if n, err := svc.config.DeleteAuditBefore(ctx, time.Now().Add(-cfg.AuditRetention)); err != nil {
				logger.Error("delete old audit entries", "err", err)
			} else if n > 0 {
				logger.Info("deleted audit entries past --audit-retention", "deleted", n, "retention", cfg.AuditRetention)
			}
		}
	})
	// Every instance runs the dispatcher; the outbox's claims make each
	// notification go out from one of them. Dispatch only hands them to
	// workers, one per app, so a tick is never held up by a slow receiver.
	go every(ctx, dispatchInterval, func() {
		handed, err := svc.notifier.Dispatch(ctx)
		if err != nil && ctx.Err() == nil {
			logger.Error("deliver end-of-scope notifications", "err", err)
		}
		if handed > 0 {
			logger.Debug("end-of-scope notifications handed to workers", "count", handed)
		}
	})
	// The Overview's charts: every instance counts the live scopes and
	// checks the storages' health each minute (admin.LiveSampler), so that
	// the lists of caches and datasources show a current health whoever
	// looks, and publishes its finished minutes to a
	// shared config store for the others' charts (scopes.History.Publish).
	go admin.NewLiveSampler(admin.Options{Directory: svc.directory, Engine: svc.engine, History: svc.history,
		Connections: svc.manager, Logger: logger}).Run(ctx)
	if svc.history.Share != nil {
		go every(ctx, historyPublishInterval, func() {
			publishCtx, cancel := context.WithTimeout(ctx, historyPublishTimeout)
			defer cancel()
			if _, err := svc.history.Publish(publishCtx); err != nil && ctx.Err() == nil {
				logger.Warn("could not publish this instance's last hour to the config store; the other instances' charts miss it until it can", "err", err)
			}
		})
	}
	go every(ctx, cfg.CleanerInterval, func() {
		deleted, err := svc.engine.Clean(ctx)
		if err != nil {
			logger.Error("clean expired scopes", "err", err)
		}
		for storage, n := range deleted {
			logger.Info("deleted expired scopes", "storage", storage, "deleted", n)
		}
	})

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-rc.ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancelShutdown := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancelShutdown()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown did not finish every request", "err", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("serve", "err", err)
	}
	logger.Info("stopped")
	return nil
}

// version is scopestore's version, set at build time with -ldflags "-X main.version=…".
var version = "dev"

// started is when this process started, for the console's uptime.
var started = time.Now()

// handler routes the console under /admin and the runtime API everywhere
// else, and makes the API's metrics and the console's History the engine's
// observers: each is told of every operation.
func handler(svc *services, cfg *Config, logger *slog.Logger) http.Handler {
	metrics := web.NewMetrics(svc.engine)
	if svc.history == nil {
		svc.history = scopes.NewHistory(nil)
	}
	shareHistory(svc.history, svc.config, svc.instance)
	svc.engine.Observer = scopes.Observers{metrics, svc.history}
	// validate has refused a list that does not parse.
	trusted, _ := parseTrustedProxies(cfg.TrustedProxies)
	console := admin.New(admin.Options{
		Directory:       svc.directory,
		Connections:     svc.manager,
		Admins:          svc.config,
		Engine:          svc.engine,
		History:         svc.history,
		InitialPassword: cfg.AdminPassword,
		SetupToken:      setupToken(context.Background(), cfg, svc.config, logger),
		TrustedProxies:  trusted,
		AuditRetention:  cfg.AuditRetention,
		Instance:        svc.instance,
		Version:         version,
		ConfigStore:     svc.config.Dialect(),
		Started:         started,
		Logger:          logger,
	})
	api := web.New(web.Options{
		ReadyChecks:    writableChecks(cfg),
		Engine:         svc.engine,
		Directory:      svc.directory,
		Logger:         logger,
		Metrics:        metrics,
		MetricsToken:   cfg.MetricsToken,
		TrustedProxies: trusted,
	})
	mux := http.NewServeMux()
	mux.Handle(admin.Prefix, console)
	mux.Handle(admin.Prefix+"/", console)
	mux.Handle("/", api)
	// A clean /api/ path goes straight to the API: the mux would send it
	// there too, after cleaning and matching the path, a microsecond of
	// every request. Anything else (the console, a path the mux would
	// clean and redirect) takes the mux.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, "/api/") && r.URL.RawPath == "" &&
			!strings.Contains(p, "//") && !strings.Contains(p, "/.") && r.Method != http.MethodConnect {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// every calls fn every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}
