package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// staticFiles serves the embedded stylesheet and script under names that
// carry a hash of their content, so browsers cache them for a year and a
// new release is fetched at once.
type staticFiles struct {
	byURL map[string]staticFile
	urls  map[string]string // file name -> URL
}

type staticFile struct {
	body []byte
	ct   string
}

func loadStatic() (*staticFiles, error) {
	s := &staticFiles{byURL: map[string]staticFile{}, urls: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		url := "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		s.byURL[url] = staticFile{body: b, ct: ct}
		s.urls[name] = url
		return nil
	})
	if len(s.urls) == 0 && err == nil {
		err = errors.New("static: no files embedded")
	}
	return s, err
}

func (s *staticFiles) url(name string) string { return s.urls[name] }

func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.static.byURL[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(f.body)
}
