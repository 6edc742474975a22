package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/pactwatch/pactwatch"
)

// PublicPageNames are the pages an operator may open to the public with
// `serve --public-pages` (Options.PublicPages), in the order of the help
// text. Every other page needs a log-in whatever the setting. "map" also
// covers the incident pages (an incident is the map's detail), "cases" the
// case board and each case's page (confirmed cases, public projection).
var PublicPageNames = []string{"map", "reports", "ledger", "agreement", "overview", "scorecard", "assess", "cases"}

// navPages names the public page behind each navigation entry, so that the
// header does not offer the public a page it would be sent away from.
var navPages = map[string]string{
	"/":              "overview",
	"/map":           "map",
	"/reports/daily": "reports",
	"/ledger":        "ledger",
	"/agreement":     "agreement",
	"/scorecard":     "scorecard",
	"/assess":        "assess",
	"/cases":         "cases",
}

// ParsePublicPages reads the --public-pages list ("map,reports,ledger"):
// names from PublicPageNames separated by commas, spaces allowed. An empty
// list is valid and means no page is public; an unknown name is EINVALID,
// so that a typo does not silently close (or open) a page.
func ParsePublicPages(list string) (map[string]bool, error) {
	set := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(PublicPageNames, name) {
			return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "public-pages",
				"unknown page %q: want some of %s", name, strings.Join(PublicPageNames, ","))
		}
		set[name] = true
	}
	return set, nil
}

// mayView reports whether the request's viewer may see page (one of
// PublicPageNames): signed-in principals see every page, the public only
// those Options.PublicPages lists (all of them when it is nil).
func (h *Handler) mayView(r *http.Request, page string) bool {
	if h.opts.PublicPages == nil || h.opts.PublicPages[page] {
		return true
	}
	return h.viewer(r).SignedIn()
}

// public guards the routes of a page the operator may keep from the public
// (its HTML and its data endpoints alike): a viewer who may not see it is
// sent to the log-in page, which brings them back afterwards, or, where
// log-in is disabled, told the page does not exist, since nobody could
// ever see it. It is the one place --public-pages is enforced; every route
// of a page named in PublicPageNames goes through it:
//
//	h.mux.HandleFunc("GET /scorecard", h.public("scorecard", h.scorecardGet))
func (h *Handler) public(page string, next http.HandlerFunc) http.HandlerFunc {
	if !slices.Contains(PublicPageNames, page) {
		// A programming error, caught when New mounts the route.
		panic("web: public: unknown page " + page)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if h.mayView(r, page) {
			next(w, r)
			return
		}
		if h.opts.Sessions == nil {
			h.notFound(w, r)
			return
		}
		target := "/login?next=" + url.QueryEscape(r.URL.RequestURI())
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// A form posted to a page that closed meanwhile: come back
			// to the page, not to a replay of the post.
			target = "/login?next=" + url.QueryEscape(r.URL.Path)
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, target, http.StatusFound)
	}
}

// navVisible reports whether the header should link path for this viewer:
// pages the viewer may not see are left out (navRoles: pages for some
// roles only).
func (h *Handler) navVisible(r *http.Request, path string) bool {
	if allowed, ok := navRoles[path]; ok {
		return allowed(h.viewer(r))
	}
	page, ok := navPages[path]
	return !ok || h.mayView(r, page)
}
