package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/pactwatch/pactwatch/vocab"
)

// zoneKinds are the zone kinds the map has a style and a label for, drawn
// bottom to top; any other kind is drawn as "other".
var zoneKinds = []string{"territory", "controlled_area", "demilitarised", "withdrawal", "buffer", "holding_area", "party_line", "contact_line", "other"}

// mapPage is the data of templates/map.html.
type mapPage struct {
	Query    mapQuery
	Families []familyOption
	Statuses []option // the status filter's choices; none for the public, who see verified incidents only
	Layers   []option // incidents or observations, when the map has both
	// LegendStatuses are the statuses the viewer can meet on the map:
	// every one for reviewers, "verified" (and "reported", for
	// observations) for the public.
	LegendStatuses []option
	Public         bool // the viewer sees the public projection
	ZoneKinds      []option
	From           time.Time // first instant shown
	ZonesAt        time.Time // last instant shown; zones are drawn as in force then
	TimeZone       string    // IANA name of the reporting time zone, for the script's dates
	BasemapURL     string
	SpriteURL      string // the marker shapes (static/img/markers.svg)
	ZonesURL       string
	MarkersURL     string
	Messages       string // JSON of the strings map.js shows, in the page's language
}

type option struct {
	Value, Label string
	Selected     bool
}

type familyOption struct {
	Label   string
	All     option // the whole family
	Options []option
}

// mapPage serves GET /map: the filter form (a plain GET form that works
// without JavaScript) and the map element whose data-* attributes tell
// static/js/map.js where to fetch the basemap, zones and markers.
func (h *Handler) mapPage(w http.ResponseWriter, r *http.Request) {
	mq, err := h.parseMapQuery(r.URL.Query())
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	v := h.newView(w, r, nil)
	basemap, err := h.assets.url(basemapPath[len("static/"):])
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	sprite, err := h.assets.url(spritePath)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	page := mapPage{
		Query:      mq,
		SpriteURL:  sprite,
		Public:     !v.Viewer.SeesAll(),
		From:       mq.filter.From,
		ZonesAt:    mq.filter.To.Add(-time.Second),
		TimeZone:   h.opts.Location.String(),
		BasemapURL: basemap,
		ZonesURL:   "/map/zones.geojson?at=" + mq.To,
		MarkersURL: "/map/markers.json?" + mq.encode(),
	}
	for _, f := range families() {
		fo := familyOption{
			Label: v.T("family." + string(f.Family)),
			All:   option{Value: string(f.Family), Selected: mq.Category == string(f.Family)},
		}
		fo.All.Label = v.T("map.family_all", "Family", fo.Label)
		for _, c := range f.Categories {
			fo.Options = append(fo.Options, option{string(c), v.T("category." + string(c)), mq.Category == string(c)})
		}
		page.Families = append(page.Families, fo)
	}
	// The status filter is for those who see every status (as the API,
	// server/review.go): the public sees verified incidents only.
	if !page.Public {
		for _, s := range Statuses {
			page.Statuses = append(page.Statuses, option{s, v.T("status." + s), mq.Status == s})
		}
	}
	for _, s := range Statuses {
		if !page.Public || s == "verified" || s == "reported" {
			page.LegendStatuses = append(page.LegendStatuses, option{Value: s, Label: v.T("status." + s)})
		}
	}
	if l, ok := h.mapData(r).(Layered); ok && len(l.Layers()) > 1 {
		for i, layer := range l.Layers() {
			selected := mq.Layer == layer || mq.Layer == "" && i == 0
			page.Layers = append(page.Layers, option{layer, v.T("map.layer_" + layer), selected})
		}
	}
	for _, k := range zoneKinds {
		page.ZoneKinds = append(page.ZoneKinds, option{Value: k, Label: v.T("zone." + k)})
	}
	msgs, err := json.Marshal(h.scriptMessages(v.locale))
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	page.Messages = string(msgs)
	v.Data = page
	h.render(w, r, http.StatusOK, "map", v)
}

// spritePath is the marker shapes inside static/.
const spritePath = "img/markers.svg"

// pluralSamples are counts that select each CLDR plural form the catalogs
// use, per language (English has no "few" or "many"); go-i18n takes
// fractions as text.
var pluralSamples = map[string]map[string]any{
	"en": {"one": 1, "other": 2},
	"uk": {"one": 1, "few": 2, "many": 5, "other": "1.5"},
	"ru": {"one": 1, "few": 2, "many": 5, "other": "1.5"},
}

// scriptMessages are the strings static/js/map.js needs. Plural messages are
// sent as all their forms with "{n}" for the count; the script picks one with
// Intl.PluralRules, which follows the same CLDR rules as go-i18n.
func (h *Handler) scriptMessages(l *locale) map[string]any {
	m := map[string]any{}
	for _, id := range []string{
		"map.loading", "map.error", "map.attribution", "map.zones", "map.inventory", "map.illustrative",
		"map.zoom_in", "map.zoom_out", "map.layers", "map.close",
		"popup.kind", "popup.time", "popup.category", "popup.status", "popup.count", "popup.details",
		"popup.until", "popup.grade", "popup.reports", "popup.uncertainty", "popup.from_observer",
		"kind.incident", "kind.observation",
	} {
		m[id] = l.T(id)
	}
	for _, s := range Statuses {
		m["status."+s] = l.T("status." + s)
	}
	for _, f := range families() {
		for _, c := range f.Categories {
			m["category."+string(c)] = l.T("category." + string(c))
		}
	}
	for _, k := range zoneKinds {
		m["zone."+k] = l.T("zone." + k)
	}
	for _, w := range vocab.WeaponClasses() {
		m["weapon."+string(w)] = l.T("weapon." + string(w))
	}
	m["map.truncated"] = l.T("map.truncated", "Count", "{n}")
	m["popup.within"] = l.T("popup.within", "Km", "{km}")
	forms := map[string]string{}
	for form, n := range pluralSamples[l.tag.String()] {
		forms[form] = l.T("map.shown", "Count", "{n}", "PluralCount", n)
	}
	m["map.shown"] = forms
	return m
}
