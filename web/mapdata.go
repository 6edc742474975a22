package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/vocab"
	"github.com/paulmach/orb/geojson"
)

// MapData is what the map page needs from the rest of pactwatch. The server
// implements it over the agreement (zones) and the store (incidents, or the
// public projection of observations until incidents exist). Implementations
// decide what the viewer may see: a public viewer must get coarsened
// positions for sensitive sites and no reporter identities.
type MapData interface {
	// Zones returns the agreement's zones as in force at the given time
	// (phases resolved), one feature per zone, with the properties
	// "id", "kind" (contact_line, party_line, controlled_area, buffer,
	// withdrawal, demilitarised, holding_area, …), "name" and, where they
	// apply, "party" and "phase". The map styles and groups by "kind".
	Zones(ctx context.Context, at time.Time) (*geojson.FeatureCollection, error)
	// Markers returns the incidents (or observations) matching the filter,
	// at most f.Limit of them, newest first.
	Markers(ctx context.Context, f MarkerFilter) ([]Marker, error)
}

// MarkerFilter selects markers; zero fields do not filter.
type MarkerFilter struct {
	From, To   time.Time        // time in [From, To)
	Categories []vocab.Category // any of these
	Statuses   []string         // any of these (see Statuses)
	Layer      string           // LayerIncidents, LayerObservations, or "" for the MapData's default
	Limit      int              // at most this many; the handler always sets it
}

// The layers a map can show: incidents (reports of one event merged, with
// their review status) or the raw observations behind them.
const (
	LayerIncidents    = "incidents"
	LayerObservations = "observations"
)

// Layered is implemented by a MapData that can show more than one layer:
// the map page then offers a choice between them, the first the default.
type Layered interface {
	Layers() []string
}

// Marker is one point on the map: an incident, or a single observation.
type Marker struct {
	ID       string
	Kind     string // "incident" or "observation"
	Time     time.Time
	Lat, Lon float64
	Category vocab.Category
	Status   string // one of Statuses; "reported" for a lone observation
	Count    int    // events it stands for (e.g. 40 explosions); 0 or 1 = one
	Summary  string // short text as submitted (any language), shown as is
	URL      string // detail page, "" when there is none yet

	// Incidents only; zero for a lone observation.
	Until    time.Time   // end of the last report's time interval
	RadiusKm float64     // the true position lies within this distance of Lat, Lon
	Grade    vocab.Grade // best Admiralty grade of its reports ("" in public view)
	Reports  int         // observations it rests on
	// Observer: the incident's own position is unknown (a lone bearing,
	// sounds heard), and Lat, Lon is where it was observed from.
	Observer bool
}

// Statuses are the incident statuses the map colours and filters by, in the
// order of an incident's life.
var Statuses = []string{"reported", "corroborated", "verified", "disputed", "rejected"}

// maxMarkers bounds one response: a month of a busy mission (~10k incidents)
// fits several times over, and a browser stays responsive.
const maxMarkers = 50000

// defaultDays is the map's time window when the URL names none: the last
// 30 days, today included.
const defaultDays = 30

// mapQuery is the map's filter as the URL carries it: dates are days in the
// reporting time zone, both ends included.
type mapQuery struct {
	From, To string // YYYY-MM-DD
	Category string // a category, a family, or "" for all
	Status   string // a status or "" for all
	Layer    string // a layer or "" for the default
	filter   MarkerFilter
}

// parseMapQuery reads and checks the filter, filling in the defaults.
func (h *Handler) parseMapQuery(q url.Values) (mapQuery, error) {
	loc := h.opts.Location
	today := h.opts.Now().In(loc)
	mq := mapQuery{
		From:     q.Get("from"),
		To:       q.Get("to"),
		Category: q.Get("category"),
		Status:   q.Get("status"),
		Layer:    q.Get("layer"),
	}
	if mq.To == "" {
		mq.To = today.Format(time.DateOnly)
	}
	to, err := time.ParseInLocation(time.DateOnly, mq.To, loc)
	if err != nil {
		return mq, pactwatch.FieldErrorf(pactwatch.EINVALID, "to", "want a date like 2026-11-22, got %q", mq.To)
	}
	if mq.From == "" {
		// Calendar days, not 24-hour steps: a daylight-saving change in the
		// window must not move the first day.
		mq.From = to.AddDate(0, 0, 1-defaultDays).Format(time.DateOnly)
	}
	from, err := time.ParseInLocation(time.DateOnly, mq.From, loc)
	if err != nil {
		return mq, pactwatch.FieldErrorf(pactwatch.EINVALID, "from", "want a date like 2026-11-22, got %q", mq.From)
	}
	if from.After(to) {
		return mq, pactwatch.FieldErrorf(pactwatch.EINVALID, "from", "from (%s) is after to (%s)", mq.From, mq.To)
	}
	mq.filter = MarkerFilter{From: from, To: to.AddDate(0, 0, 1), Limit: maxMarkers + 1}
	if mq.Category != "" {
		cats := categoriesFor(mq.Category)
		if cats == nil {
			return mq, pactwatch.FieldErrorf(pactwatch.EINVALID, "category", "unknown category or family %q", mq.Category)
		}
		mq.filter.Categories = cats
	}
	if mq.Status != "" {
		if !slices.Contains(Statuses, mq.Status) {
			return mq, pactwatch.FieldErrorf(pactwatch.EINVALID, "status", "unknown status %q", mq.Status)
		}
		mq.filter.Statuses = []string{mq.Status}
	}
	switch mq.Layer {
	case "", LayerIncidents, LayerObservations:
		mq.filter.Layer = mq.Layer
	default:
		return mq, pactwatch.FieldErrorf(pactwatch.EINVALID, "layer", "want %s or %s, got %q", LayerIncidents, LayerObservations, mq.Layer)
	}
	return mq, nil
}

// encode returns the query string of the filter (without defaults' noise).
func (mq mapQuery) encode() string {
	v := url.Values{"from": {mq.From}, "to": {mq.To}}
	if mq.Category != "" {
		v.Set("category", mq.Category)
	}
	if mq.Status != "" {
		v.Set("status", mq.Status)
	}
	if mq.Layer != "" {
		v.Set("layer", mq.Layer)
	}
	return v.Encode()
}

// categoryOrder is the order the UI lists categories and their families in:
// ceasefire violations first, in the order monitoring missions report them
// (explosions, projectiles, flashes, flares, bursts), then strikes, weapons,
// the mission, civilians. A category missing here is listed last (the
// tests insist on none missing).
var categoryOrder = []vocab.Category{
	vocab.Explosion, vocab.ProjectileInFlight, vocab.MuzzleFlash, vocab.IlluminationFlare, vocab.BurstOfFire,
	vocab.Airstrike, vocab.DroneStrike, vocab.MissileStrike,
	vocab.HeavyWeaponSighted, vocab.WeaponMissing,
	vocab.MovementRestriction, vocab.EquipmentInterference,
	vocab.CivilianCasualty, vocab.InfrastructureDamage,
	vocab.MineUXO, vocab.TroopMovement, vocab.CyberAttack, vocab.Other,
}

// families lists the category families with their categories, in
// categoryOrder.
func families() []familyCategories {
	cats := slices.Clone(categoryOrder)
	for _, c := range vocab.Categories() {
		if !slices.Contains(cats, c) {
			cats = append(cats, c)
		}
	}
	var out []familyCategories
	for _, c := range cats {
		i := slices.IndexFunc(out, func(f familyCategories) bool { return f.Family == c.Family() })
		if i < 0 {
			out = append(out, familyCategories{Family: c.Family()})
			i = len(out) - 1
		}
		out[i].Categories = append(out[i].Categories, c)
	}
	return out
}

type familyCategories struct {
	Family     vocab.Family
	Categories []vocab.Category
}

// categoriesFor expands a category or family name; nil when it is neither.
func categoriesFor(name string) []vocab.Category {
	if c := vocab.Category(name); c.Valid() {
		return []vocab.Category{c}
	}
	for _, f := range families() {
		if string(f.Family) == name {
			return f.Categories
		}
	}
	return nil
}

// markersResponse is the JSON of /map/markers.json. Markers are rows rather
// than objects: 10k of them are half the bytes and parse twice as fast.
type markersResponse struct {
	Columns   []string `json:"columns"`
	Markers   [][]any  `json:"markers"`
	Truncated bool     `json:"truncated"` // more matched than maxMarkers
}

var markerColumns = []string{"id", "kind", "time", "lat", "lon", "category", "family", "status", "count", "summary", "url",
	"until", "radius_km", "grade", "reports", "observer"}

// mapMarkers serves GET /map/markers.json?from&to&category&status.
func (h *Handler) mapMarkers(w http.ResponseWriter, r *http.Request) {
	mq, err := h.parseMapQuery(r.URL.Query())
	if err != nil {
		h.jsonError(w, r, err)
		return
	}
	ms, err := h.mapData(r).Markers(r.Context(), mq.filter)
	if err != nil {
		h.jsonError(w, r, err)
		return
	}
	resp := markersResponse{Columns: markerColumns, Markers: make([][]any, 0, min(len(ms), maxMarkers))}
	if len(ms) > maxMarkers {
		ms, resp.Truncated = ms[:maxMarkers], true
	}
	for _, m := range ms {
		count := max(m.Count, 1)
		if !localPath(m.URL) {
			m.URL = "" // the popup links only to this site's pages
		}
		var until int64
		if !m.Until.IsZero() {
			until = m.Until.Unix()
		}
		resp.Markers = append(resp.Markers, []any{
			m.ID, m.Kind, m.Time.Unix(), round5(m.Lat), round5(m.Lon),
			m.Category, m.Category.Family(), m.Status, count, m.Summary, m.URL,
			until, round3(m.RadiusKm), m.Grade, m.Reports, m.Observer,
		})
	}
	w.Header().Set("Cache-Control", "no-cache")
	h.writeJSON(w, r, resp)
}

// round5 keeps 5 decimals (~1 m): finer digits only cost bytes.
func round5(f float64) json.Number {
	s := strconv.FormatFloat(f, 'f', 5, 64)
	return json.Number(strings.TrimRight(strings.TrimRight(s, "0"), "."))
}

// round3 keeps 3 decimals (a radius to the metre, in km).
func round3(f float64) json.Number {
	s := strconv.FormatFloat(f, 'f', 3, 64)
	return json.Number(strings.TrimRight(strings.TrimRight(s, "0"), "."))
}

// mapZones serves GET /map/zones.geojson?at=YYYY-MM-DD: the zones in force at
// the end of that day (default: now).
func (h *Handler) mapZones(w http.ResponseWriter, r *http.Request) {
	at := h.opts.Now()
	if s := r.URL.Query().Get("at"); s != "" {
		day, err := time.ParseInLocation(time.DateOnly, s, h.opts.Location)
		if err != nil {
			h.jsonError(w, r, pactwatch.FieldErrorf(pactwatch.EINVALID, "at", "want a date like 2026-11-22, got %q", s))
			return
		}
		at = day.AddDate(0, 0, 1).Add(-time.Second)
	}
	fc, err := h.opts.Map.Zones(r.Context(), at)
	if err != nil {
		h.jsonError(w, r, err)
		return
	}
	if fc == nil {
		fc = geojson.NewFeatureCollection()
	}
	data, err := fc.MarshalJSON()
	if err != nil {
		h.jsonError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-cache")
	writeCompressed(w, r, data)
}

// localPath reports whether u is a path on this site ("/incidents/x"), not a
// scheme ("javascript:") or another host ("//evil.example").
func localPath(u string) bool {
	return strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") && !strings.ContainsAny(u, "\\\r\n")
}
