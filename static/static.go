// Package static holds the admin console's CSS, htmx and images, embedded
// in the binary and served under content-hashed names so that browsers may
// cache them for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed *.css *.js *.svg
var files embed.FS

// asset is one embedded file under its hashed name.
type asset struct {
	name   string
	hashed string
	body   []byte
}

// Assets serves the embedded files under hashed names below a URL prefix.
type Assets struct {
	prefix string
	byName map[string]asset
	byHash map[string]asset
}

// New reads the embedded files and names each by a hash of its content,
// below prefix (e.g. "/admin/static/").
func New(prefix string) *Assets {
	a := &Assets{prefix: prefix, byName: map[string]asset{}, byHash: map[string]asset{}}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		body, err := files.ReadFile(e.Name())
		if err != nil {
			continue
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext
		as := asset{name: e.Name(), hashed: hashed, body: body}
		a.byName[e.Name()], a.byHash[hashed] = as, as
	}
	return a
}

// Path returns the URL of an embedded file by its plain name ("admin.css").
func (a *Assets) Path(name string) string {
	if as, ok := a.byName[name]; ok {
		return a.prefix + as.hashed
	}
	return a.prefix + name
}

// ServeHTTP serves a file by its hashed name with a year-long immutable cache.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	as, ok := a.byHash[strings.TrimPrefix(r.URL.Path, a.prefix)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(as.name)))
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(as.body)
}
