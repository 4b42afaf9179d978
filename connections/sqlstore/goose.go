package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/scopestore/scopestore/migrations"
)

// migrate applies the scope-table migrations in fsys that db lacks.
func migrate(ctx context.Context, dialect goose.Dialect, db *sql.DB, fsys fs.FS) error {
	p, err := goose.NewProvider(dialect, db, fsys,
		goose.WithTableName(migrations.ScopesVersionTable),
		// Only this store's migrations, never Go migrations that another
		// package registered globally.
		goose.WithDisableGlobalRegistry(true),
		goose.WithLogger(goose.NopLogger()),
	)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return err
	}
	for _, r := range results {
		slog.InfoContext(ctx, "sqlstore: applied migration", "version", r.Source.Version,
			"file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}
