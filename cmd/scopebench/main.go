// Command scopebench measures scopestore against bare HTTP servers, raw
// backends and Lucee's SQL, side by side, and prints a Markdown table.
//
// It builds scopestore and runs it as a child process on loopback against the
// local Redis and MariaDB, with its own data directory, Redis key prefix and
// databases, which it removes at the end, on an error or an interrupt too.
// The baselines run as child processes as well: scopebench re-executes itself
// with -serve. One load generator drives every scenario: -clients goroutines,
// each with its own keep-alive connection, a warm-up, then -duration of
// measured operations.
//
//	go run ./cmd/scopebench                      # every scenario, 10s each
//	go run ./cmd/scopebench -smoke               # every scenario in about a minute (CI)
//	go run ./cmd/scopebench -only memory,redis-cluster -duration 5s -json out.json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code: 0 when every
// scenario ran (met or not), 1 when one failed, 2 for a bad command line.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "scopebench: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.Serve != "" {
		serve := serveBare
		if isGoApp(cfg.Serve) {
			serve = serveApp
		}
		if err := serve(ctx, cfg, stderr); err != nil {
			fmt.Fprintf(stderr, "scopebench -serve %s: %v\n", cfg.Serve, err)
			return 1
		}
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	rep, err := runBench(ctx, cfg, stderr)
	if rep != nil {
		rep.writeMarkdown(stdout)
		if cfg.JSON != "" {
			if werr := rep.writeJSON(cfg.JSON); werr != nil {
				err = errors.Join(err, werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "scopebench: %v\n", err)
		return 1
	}
	return 0
}
