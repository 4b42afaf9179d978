package sqlstore_test

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain keeps the stores' info logs (each migration step) out of the
// test output; warnings still show.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}
