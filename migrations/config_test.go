package migrations_test

import (
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/scopestore/scopestore/migrations"
)

// TestConfigFS checks that every dialect has the same numbered files, so
// that a version means the same change everywhere, and that each MySQL step
// is a single statement, since MySQL commits DDL implicitly.
func TestConfigFS(t *testing.T) {
	var want []string
	for _, dialect := range migrations.ConfigDialects {
		fsys, err := migrations.ConfigFS(dialect)
		if err != nil {
			t.Fatal(err)
		}
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		if len(names) == 0 {
			t.Fatalf("%s: no migrations", dialect)
		}
		if want == nil {
			want = names
		} else if !slices.Equal(names, want) {
			t.Errorf("%s migrations %v, want the same files as %s: %v", dialect, names, migrations.ConfigDialects[0], want)
		}
		for _, name := range names {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			src := string(b)
			if !strings.Contains(src, "-- +goose Up") || strings.Contains(src, "-- +goose Down") {
				t.Errorf("%s/%s: want an Up section only (migrations are forward-only)", dialect, name)
			}
			if dialect == "mysql" {
				if n := statements(src); n != 1 {
					t.Errorf("mysql/%s has %d statements, want 1", name, n)
				}
			}
		}
	}
	if _, err := migrations.ConfigFS("oracle"); err == nil {
		t.Error("ConfigFS(oracle): no error")
	}
}

// statements counts the lines that end a statement, outside comments.
func statements(src string) int {
	n := 0
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "--") && strings.HasSuffix(line, ";") {
			n++
		}
	}
	return n
}
