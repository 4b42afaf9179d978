package scopestore_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/scopestore/scopestore"

// goPackage is what the rules need of `go list -json`.
type goPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// importRule is one dependency rule of ARCHITECTURE.md: the packages it
// covers (a path relative to the module, and the packages below it) and
// whether it allows one of their imports.
type importRule struct {
	name   string
	covers []string
	// tests says whether the rule holds for the package's tests too;
	// the front ends' tests may wire real backends, as cmd does.
	tests   bool
	allowed func(imp string) bool
}

func standard(imp string) bool { return !strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") }

// inModule says whether imp is one of dirs (relative to the module) or
// below one of them.
func inModule(imp string, dirs ...string) bool {
	for _, d := range dirs {
		p := module + "/" + d
		if imp == p || strings.HasPrefix(imp, p+"/") {
			return true
		}
	}
	return false
}

var importRules = []importRule{
	{"1. scopes imports only the standard library (in its tests too, so that they run with nothing but Go)",
		[]string{"scopes"}, true, func(imp string) bool { return standard(imp) || inModule(imp, "scopes") }},
	{"1. httpapi imports only the standard library, scopes and echo (the router both front ends share)",
		[]string{"httpapi"}, true, func(imp string) bool {
			return standard(imp) || inModule(imp, "scopes", "httpapi") || strings.HasPrefix(imp, "github.com/labstack/echo/")
		}},
	{"2. web never imports admin, a backend (connections/...) or cmd (its tests may wire backends)",
		[]string{"web"}, false, func(imp string) bool { return !inModule(imp, "admin", "connections", "cmd") }},
	{"2. admin never imports web, a backend (connections/...) or cmd (its tests may wire backends)",
		[]string{"admin"}, false, func(imp string) bool { return !inModule(imp, "web", "connections", "cmd") }},
	{"3. backends never import web, admin or cmd",
		[]string{"connections", "migrations"}, true, func(imp string) bool { return !inModule(imp, "web", "admin", "cmd") }},
	{"the Go client uses only the public HTTP API and the standard library: no package of the server",
		[]string{"web/client"}, false, func(imp string) bool { return standard(imp) || inModule(imp, "web/client") }},
}

// TestImportRules fails on an import that breaks a dependency rule, naming
// the rule, the package and the import.
func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, r := range importRules {
			if !coveredBy(rel, r) {
				continue
			}
			for _, imp := range importsOf(p, r.tests) {
				if imp != p.ImportPath && !r.allowed(imp) {
					t.Errorf("%s imports %s, which breaks rule %q (ARCHITECTURE.md, Dependency rules)", p.ImportPath, imp, r.name)
				}
			}
		}
	}
}

// coveredBy says whether the package at rel (relative to the module) is one
// the rule covers. web/client is covered by its own rule, not web's.
func coveredBy(rel string, r importRule) bool {
	for _, c := range r.covers {
		if c == "web" && (rel == "web/client" || strings.HasPrefix(rel, "web/client/")) {
			continue
		}
		if rel == c || strings.HasPrefix(rel, c+"/") {
			return true
		}
	}
	return false
}

func importsOf(p goPackage, tests bool) []string {
	if !tests {
		return p.Imports
	}
	return append(append(append([]string(nil), p.Imports...), p.TestImports...), p.XTestImports...)
}

func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs
		} else if err != nil {
			t.Fatalf("read go list's output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
}
