// Package graphiql serves GraphiQL at / from files embedded in the binary:
// React and GraphiQL at the versions internal/fetchvendor pins (taken from
// the npm registry by go generate, and committed), and a page of ours that
// asks for an access token before GraphiQL introspects. It needs no other
// site, so it works offline and behind a firewall, and its Content
// Security Policy lets the page load nothing from anywhere else.
package graphiql

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:generate go run ./internal/fetchvendor

//go:embed assets
var assets embed.FS

// Prefix is the path under which the page's files are served.
const Prefix = "/graphiql/"

// policy is the page's Content Security Policy: scripts, styles and
// fonts only from this server (GraphiQL's fonts and icons are data: URLs
// in its stylesheet), requests only to it (connect-src 'self' covers its
// websockets too), no framing, no plugins, no base or form targets.
// GraphiQL's editors set style attributes, hence 'unsafe-inline' for
// styles alone; no script runs inline.
const policy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// file is one embedded file, with the entity tag that revalidates it.
type file struct {
	content []byte
	etag    string
}

// files are the page (at "") and what it loads, by their path under
// Prefix.
var files = func() map[string]file {
	m := map[string]file{}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "assets/")
		if name == "index.html" {
			name = ""
		}
		m[name] = file{content: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return m
}()

// Handler serves the page at / and its files under Prefix. Each answer
// carries the page's security headers; files are revalidated by their
// entity tag, so a new version shows at once and an unchanged one costs a
// 304.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		if r.URL.Path == "/" {
			name = ""
		}
		f, ok := files[name]
		if !ok || (name == "" && r.URL.Path != "/") {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", policy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", f.etag)
		if name == "" {
			name = "index.html"
		}
		http.ServeContent(w, r, path.Base(name), time.Time{}, bytes.NewReader(f.content))
	})
}
