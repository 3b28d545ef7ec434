package web

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

//go:embed static
var staticFS embed.FS

// Static serves the embedded assets under content-hashed URLs.
type Static struct {
	files  map[string][]byte
	hashes map[string]string
}

func newStatic() *Static {
	s := &Static{files: map[string][]byte{}, hashes: map[string]string{}}
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		s.files[name] = b
		s.hashes[name] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return s
}

// Add registers a feature's own asset (a stylesheet, a script) under name
// (prefixed with the feature's key, e.g. "survey/answer.css"), served at a
// hashed URL like the shared ones: templates link it with {{asset NAME}}.
// Features add their assets while registering routes, before serving.
func (s *Static) Add(name string, b []byte) {
	sum := sha256.Sum256(b)
	s.files[name] = b
	s.hashes[name] = hex.EncodeToString(sum[:])[:12]
}

// URL returns the hashed URL of an asset.
func (s *Static) URL(name string) string {
	return "/static/" + s.hashes[name] + "/" + name
}

// ServeHTTP serves /static/{hash}/{name...}.
func (s *Static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, ok := s.files[name]
	if !ok || r.PathValue("hash") != s.hashes[name] {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(b)
}
