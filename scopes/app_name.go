package scopes

import (
	"context"
	"slices"
	"strings"
)

// AppName returns the name of the app named name as it was created: app
// names ignore case, so "SHOP" finds the app "Shop". The front ends resolve
// a typed name once, where it comes in, and use this one for everything
// after, so that nothing depends on the case typed. No such app is an
// ENotFound.
func (d *Directory) AppName(ctx context.Context, name string) (string, error) {
	a, found, err := d.config.App(ctx, name)
	if err != nil {
		return "", configError(err)
	}
	if !found {
		return "", appNotFound(name)
	}
	return a.Name, nil
}

// AppNameClashes returns the groups of apps whose names differ only in case,
// each group sorted; a config store written before app names ignored case
// may hold them. They are left as they are: each still answers to its exact
// name, and an administrator chooses which to keep.
func (d *Directory) AppNameClashes(ctx context.Context) ([][]string, error) {
	apps, err := d.config.Apps(ctx)
	if err != nil {
		return nil, configError(err)
	}
	byFold := map[string][]string{}
	var folds []string
	for _, a := range apps {
		f := strings.ToLower(a.Name)
		if len(byFold[f]) == 0 {
			folds = append(folds, f)
		}
		byFold[f] = append(byFold[f], a.Name)
	}
	slices.Sort(folds)
	var clashes [][]string
	for _, f := range folds {
		if names := byFold[f]; len(names) > 1 {
			slices.Sort(names)
			clashes = append(clashes, names)
		}
	}
	return clashes, nil
}
