package web

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/pactwatch/pactwatch"
)

//go:embed templates/*.html
var templateFS embed.FS

// parseTemplates pairs the layout with each page template; a page defines
// "title" and "content" (and may define "scripts").
func (h *Handler) parseTemplates() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(template.FuncMap{
		"asset": h.assets.url,
	}).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*template.Template)
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, err
		}
		pages[strings.TrimSuffix(base, ".html")] = t
	}
	return pages, nil
}

// view is what every template gets: the locale's helpers (T, Number, Date,
// DateTime), the layout's navigation and language links, and the page's own
// data in Data.
type view struct {
	*locale
	Lang      string
	SiteName  string
	Nav       []navLink
	Languages []langLink
	Data      any
	Viewer    Viewer // the signed-in principal, or the public
	Login     bool   // log-in is enabled
	Here      string // this page's path and query, for log-in's "next"
	// CSRF is the signed-in viewer's form token: every POST form of a
	// signed-in page carries it as a hidden "csrf" field (checkForm).
	CSRF string
}

type navLink struct {
	Href, Label string
	Current     bool
}

// langLink switches language while staying on the same page and filter.
type langLink struct {
	Code, Name, Href string
	Current          bool
}

func (h *Handler) newView(w http.ResponseWriter, r *http.Request, data any) *view {
	tag := h.pickLanguage(w, r)
	l := h.locale(tag)
	v := &view{locale: l, Lang: tag.String(), Data: data, SiteName: h.opts.SiteName,
		Viewer: h.viewer(r), Login: h.opts.Sessions != nil, Here: r.URL.RequestURI()}
	v.CSRF = v.Viewer.csrf
	if v.SiteName == "" {
		v.SiteName = l.T("site.name")
	}
	for _, n := range h.nav {
		if !h.navVisible(r, n.Path) {
			continue
		}
		v.Nav = append(v.Nav, navLink{Href: n.Path, Label: l.T(n.Label), Current: r.URL.Path == n.Path})
	}
	for _, t := range languages {
		q := r.URL.Query()
		q.Set("lang", t.String())
		v.Languages = append(v.Languages, langLink{
			Code:    t.String(),
			Name:    l.T("lang." + t.String()),
			Href:    (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String(),
			Current: t == tag,
		})
	}
	return v
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	t, ok := h.pages[page]
	if !ok {
		h.opts.Logger.Error("web: no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.opts.Logger.Error("web: rendering page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", v.Lang)
	hd.Set("Vary", "Accept-Language, Cookie")
	hd.Set("Cache-Control", "no-cache")
	setPageSecurityHeaders(hd)
	writeCompressedStatus(w, r, status, buf.Bytes())
}

// contentSecurityPolicy allows only this origin's scripts and styles, no
// inline code, and data: images (Leaflet's CSS uses none today, but marker
// icons may). It replaces whatever policy a middleware set before: the API's
// "default-src 'none'" is right for JSON and would blank every page.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func setPageSecurityHeaders(hd http.Header) {
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
}

// errorPage is the data of the error template.
type errorPage struct {
	Status  int
	Message string // message id
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "error", h.newView(w, r, errorPage{404, "error.not_found"}))
}

// pageError shows err on an HTML page: the user's mistake (EINVALID) by its
// message, anything else as a generic error logged for the operator.
func (h *Handler) pageError(w http.ResponseWriter, r *http.Request, err error) {
	status := httpStatus(pactwatch.ErrorCode(err))
	if status >= 500 {
		h.opts.Logger.Error("web: page failed", "path", r.URL.Path, "err", err)
	}
	msg := "error.internal"
	switch status {
	case http.StatusBadRequest:
		msg = "error.bad_request"
	case http.StatusNotFound:
		msg = "error.not_found"
	case http.StatusServiceUnavailable:
		msg = "error.unavailable"
	}
	h.render(w, r, status, "error", h.newView(w, r, errorPage{status, msg}))
}

// httpStatus maps the shared error codes to HTTP, as the API does.
func httpStatus(code string) int {
	switch code {
	case pactwatch.EINVALID:
		return http.StatusBadRequest
	case pactwatch.ENOTFOUND:
		return http.StatusNotFound
	case pactwatch.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case pactwatch.EFORBIDDEN:
		return http.StatusForbidden
	case pactwatch.ECONFLICT:
		return http.StatusConflict
	case pactwatch.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case pactwatch.ERATELIMIT:
		return http.StatusTooManyRequests
	case pactwatch.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// jsonError writes the API's error body {"error":{"code","field","message"}};
// internal errors never show their text.
func (h *Handler) jsonError(w http.ResponseWriter, r *http.Request, err error) {
	code := pactwatch.ErrorCode(err)
	status := httpStatus(code)
	body := map[string]string{"code": code, "message": pactwatch.ErrorMessage(err)}
	var pe *pactwatch.Error
	if errors.As(err, &pe) && pe.Field != "" {
		body["field"] = pe.Field
	}
	if status >= 500 {
		h.opts.Logger.Error("web: request failed", "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	h.writeJSON(w, r, map[string]any{"error": body})
}

func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		h.opts.Logger.Error("web: encoding JSON", "path", r.URL.Path, "err", err)
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	writeCompressed(w, r, data)
}

// writeCompressed gzips a large dynamic body for clients that accept it: a
// month of markers is ~1.8 MB of JSON and a tenth of that compressed, which
// matters on a field office's satellite link.
func writeCompressed(w http.ResponseWriter, r *http.Request, data []byte) {
	writeCompressedStatus(w, r, http.StatusOK, data)
}

// writeCompressedStatus is writeCompressed with a status: pages (a case
// board of a busy month is a few hundred kilobytes of HTML) go through it
// too, errors included.
func writeCompressedStatus(w http.ResponseWriter, r *http.Request, status int, data []byte) {
	w.Header().Add("Vary", "Accept-Encoding")
	if len(data) < 1024 || !acceptsGzip(r) {
		w.WriteHeader(status)
		w.Write(data)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.WriteHeader(status)
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	zw.Write(data)
	zw.Close()
}
