package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/scopestore/scopestore/web"
)

// sweepInterval is how often idle and expired scopes leave memory.
const sweepInterval = time.Minute

func serveCommand() *command {
	return &command{
		name:  "serve",
		usage: "[flags]",
		short: "Run the HTTP server (the default command)",
		long: "Serves the runtime API under /api/v1, /healthz and /readyz. Stops on SIGINT or SIGTERM:\n" +
			"it stops accepting, finishes the requests in flight (up to --shutdown-timeout), then closes the storages.",
		run: func(rc *runContext, _ []string) error { return serve(rc) },
	}
}

func serve(rc *runContext) error {
	cfg := rc.cfg
	logger := newLogger(cfg, rc.stderr)
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
	dataDir, _ := filepath.Abs(cfg.DataDir)
	srv := &http.Server{
		Handler:           web.New(svc.engine, svc.directory, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	logger.Info("scopestore listening", "addr", "http://"+ln.Addr().String(), "data_dir", dataDir, "config_store", svc.config.Dialect())

	ctx, cancel := context.WithCancel(rc.ctx)
	defer cancel()
	go every(ctx, sweepInterval, func() {
		if n, err := svc.engine.Sweep(ctx); err != nil {
			logger.Error("sweep memory", "err", err)
		} else if n > 0 {
			logger.Debug("swept expired scopes from memory", "deleted", n)
		}
	})
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
