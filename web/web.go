// Package web is pactwatch's browser interface: server-rendered html/template
// pages in Ukrainian, English and Russian, with a little JavaScript and every
// asset (Leaflet, its clustering plugin, the Natural Earth basemap) embedded
// in the binary, so the interface works on a mission network with no
// internet access.
//
// The package knows nothing of storage: pages take their data through small
// interfaces (MapData, …) that the server implements over the store and the
// agreement. Mount it with one call:
//
//	h, err := web.New(web.Options{Map: mapData, Location: agreementTZ})
//	mux.Handle("/", h)
//
// Pages are CSP-compatible (no inline script or style): every script is a
// static file, and data reaches it through data-* attributes and JSON
// endpoints. Pages set their own Content-Security-Policy header, replacing
// any a middleware set, since the API's policy forbids scripts altogether.
package web

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/pactwatch/pactwatch/agreement"
)

// Options configures the web interface. Only Map is required today; later
// pages add their own data interfaces here.
type Options struct {
	// Map provides the map page's zones and incidents (or observations).
	Map MapData
	// Location is the agreement's reporting time zone: dates are shown, and
	// date filters are read, in it. Default UTC.
	Location *time.Location
	// Now is the clock (default time.Now): the map's default time window ends now.
	Now func() time.Time
	// Logger receives errors that the browser only sees as a generic page.
	Logger *slog.Logger
	// SiteName overrides the product name in the header, e.g. the mission's name.
	SiteName string

	// FullMap, if set, is the map data for viewers who may see whole
	// observations (Viewer.SeesAll); Map is the public projection.
	FullMap MapData
	// Reports, if set, serves the daily reports (/reports/daily/…).
	Reports ReportData
	// Ledger, if set, shows the latest checkpoint on / and /ledger.
	Ledger LedgerData
	// Witnesses and WitnessQuorum are the agreement's checkpoint
	// cosigners and how many of them a checkpoint needs.
	Witnesses     []Witness
	WitnessQuorum int
	// Sessions, if set, enables log-in with a token (/login, /logout).
	Sessions Sessions

	// Incidents, if set, is the incident pipeline: review queue, incident
	// pages, cases, violations.
	Incidents Incidents
	// Responses, if set, is the response mechanism: protocol steps,
	// liaisons' actions, the scorecard.
	Responses Responses
	// Evidence, if set, gives the incident pages the observations'
	// records (narratives, who submitted them) and their evidence files.
	Evidence EvidenceSource

	// Agreement, if set, is shown on /agreement (default: the one
	// Incidents enforces, when set).
	Agreement *agreement.Agreement
	// PublicPages lists the pages (PublicPageNames) the public may read
	// without logging in; nil means all of them. See ParsePublicPages.
	PublicPages map[string]bool
}

// Handler serves the web interface. It is an http.Handler; see New.
type Handler struct {
	opts    Options
	mux     *http.ServeMux
	assets  *assetSet
	bundle  *i18n.Bundle
	pages   map[string]*template.Template
	nav     []navItem
	missing func(lang, id string) // called for a message id absent from a catalog
}

// navItem is one entry of the header's navigation.
type navItem struct {
	Path  string // URL path, e.g. "/map"
	Label string // message id
}

// New builds the web interface: it parses the templates and catalogs and
// indexes the embedded assets, so a broken template or catalog fails at start
// rather than on a user's request.
func New(opts Options) (*Handler, error) {
	if opts.Map == nil {
		return nil, errors.New("web: Options.Map is required")
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	assets, err := loadAssets()
	if err != nil {
		return nil, err
	}
	bundle, err := loadCatalogs()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		opts:   opts,
		mux:    http.NewServeMux(),
		assets: assets,
		bundle: bundle,
		nav:    []navItem{{"/", "nav.overview"}, {"/map", "nav.map"}},
	}
	if opts.Reports != nil {
		h.nav = append(h.nav, navItem{"/reports/daily", "nav.reports"})
	}
	h.mountAgreement()
	h.mountCaseBoard()
	h.nav = append(h.nav, navItem{"/assess", "nav.assess"}, navItem{"/ledger", "nav.ledger"})
	h.missing = func(lang, id string) {
		h.opts.Logger.Error("web: message missing from catalog", "lang", lang, "id", id)
	}
	if h.pages, err = h.parseTemplates(); err != nil {
		return nil, err
	}
	h.mux.Handle("GET /static/", http.HandlerFunc(h.serveStatic))
	h.mux.HandleFunc("GET /{$}", h.public("overview", h.overviewGet))
	h.mux.HandleFunc("GET /ledger", h.public("ledger", h.ledgerGet))
	if opts.Reports != nil {
		h.mux.HandleFunc("GET /reports/daily", h.public("reports", h.reportsList))
		h.mux.HandleFunc("GET /reports/daily/{file}", h.public("reports", h.reportDay))
	}
	if opts.Sessions != nil {
		h.mux.HandleFunc("GET /login", h.loginGet)
		h.mux.HandleFunc("POST /login", h.loginPost)
		h.mux.HandleFunc("POST /logout", h.logout)
	}
	h.mux.HandleFunc("GET /map", h.public("map", h.mapPage))
	h.mux.HandleFunc("GET /map/zones.geojson", h.public("map", h.mapZones))
	h.mux.HandleFunc("GET /map/markers.json", h.public("map", h.mapMarkers))
	h.mux.HandleFunc("GET /assess", h.public("assess", h.assessGet))
	h.mux.HandleFunc("POST /assess", h.public("assess", h.assessPost))
	h.mountReview()
	h.mux.HandleFunc("/", h.notFound)
	return h, nil
}

// ServeHTTP serves the pages, their JSON endpoints and the static assets.
// Pages and their data see the signed-in viewer; static files do not
// need to look the session up.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		r = h.withViewer(r)
	}
	h.mux.ServeHTTP(w, r)
}
