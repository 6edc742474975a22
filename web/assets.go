package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed static
var staticFS embed.FS

// basemapPath is the offline basemap inside staticFS, produced by
// scripts/vendor-web-assets.sh.
const basemapPath = "static/vendor/basemap/countries.geojson"

// assetSet is the embedded static tree, indexed once. Every URL carries the
// hash of the whole tree (/static/<version>/<file>), so files can be cached
// forever, and relative references inside them (Leaflet's CSS naming its
// images) keep working.
type assetSet struct {
	version string
	files   map[string]*asset // by path below static/
}

type asset struct {
	data  []byte
	gz    []byte // gzip-compressed copy; nil when compression does not pay
	ctype string
	etag  string
}

// loadAssets indexes and pre-compresses the embedded files once per process:
// the basemap alone is ~430 KB and shrinks to about a third.
var loadAssets = sync.OnceValues(func() (*assetSet, error) {
	set := &assetSet{files: make(map[string]*asset)}
	tree := sha256.New()
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(data)
		tree.Write([]byte(name + "\x00"))
		tree.Write(sum[:])
		a := &asset{data: data, ctype: contentType(name), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		if compressible(a.ctype) && len(data) > 1024 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(data)
			zw.Close()
			if buf.Len() < len(data)*9/10 {
				a.gz = buf.Bytes()
			}
		}
		set.files[name] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	set.version = hex.EncodeToString(tree.Sum(nil)[:6])
	return set, nil
})

func contentType(name string) string {
	switch path.Ext(name) {
	case ".geojson":
		return "application/geo+json"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".md", ".txt", "":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "json") ||
		strings.Contains(ctype, "javascript") || strings.HasPrefix(ctype, "image/svg")
}

// url returns the cache-busting URL of a static file, or an error naming a
// file that does not exist, so a typo in a template fails its test.
func (s *assetSet) url(name string) (string, error) {
	if _, ok := s.files[name]; !ok {
		return "", &missingAssetError{name}
	}
	return "/static/" + s.version + "/" + name, nil
}

type missingAssetError struct{ name string }

func (e *missingAssetError) Error() string { return "web: no static file " + e.name }

// serveStatic serves /static/<version>/<file>. The current version is cached
// as immutable; any other version (a page from before an upgrade) still gets
// today's file, revalidated on every use.
func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	version, name, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/static/"), "/")
	a := h.assets.files[name]
	if !ok || a == nil {
		h.notFound(w, r)
		return
	}
	hd := w.Header()
	if version == h.assets.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	hd.Set("Content-Type", a.ctype)
	hd.Set("ETag", a.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.data
	if a.gz != nil && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		// "gzip;q=0" (or 0.0, 0.000) refuses it; any other weight accepts.
		name, value, _ := strings.Cut(strings.ReplaceAll(params, " ", ""), "=")
		if strings.EqualFold(name, "q") {
			if q, err := strconv.ParseFloat(value, 64); err == nil && q == 0 {
				return false
			}
		}
		return true
	}
	return false
}
