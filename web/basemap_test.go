package web

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// loadBasemap reads the embedded basemap exactly as the browser gets it.
func loadBasemap(t *testing.T) map[string]orb.MultiPolygon {
	t.Helper()
	data, err := staticFS.ReadFile(basemapPath)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatalf("basemap is not GeoJSON: %v", err)
	}
	shapes := make(map[string]orb.MultiPolygon)
	for _, f := range fc.Features {
		name, _ := f.Properties["name"].(string)
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			shapes[name] = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			shapes[name] = g
		default:
			t.Errorf("%s: geometry %s, want (Multi)Polygon", name, f.Geometry.GeoJSONType())
		}
	}
	return shapes
}

// TestBasemapRecognisedBorders checks that the vendored basemap draws
// Ukraine's internationally recognised borders: world-atlas 2.x puts Crimea in
// Russia, and scripts/vendor-basemap.cjs must have moved it.
func TestBasemapRecognisedBorders(t *testing.T) {
	shapes := loadBasemap(t)
	ukraine, russia := shapes["Ukraine"], shapes["Russia"]
	if len(ukraine) == 0 || len(russia) == 0 {
		t.Fatalf("basemap lacks Ukraine (%d polygons) or Russia (%d polygons)", len(ukraine), len(russia))
	}
	places := []struct {
		name     string
		lat, lon float64
		country  string
	}{
		{"Simferopol", 44.952, 34.102, "Ukraine"},
		{"Sevastopol", 44.616, 33.525, "Ukraine"},
		{"Kerch", 45.357, 36.468, "Ukraine"},
		{"Yalta", 44.495, 34.166, "Ukraine"},
		{"Armiansk (Perekop)", 46.106, 33.692, "Ukraine"},
		{"Kyiv", 50.450, 30.523, "Ukraine"},
		{"Donetsk", 48.016, 37.803, "Ukraine"},
		{"Luhansk", 48.574, 39.307, "Ukraine"},
		{"Moscow", 55.756, 37.617, "Russia"},
		{"Belgorod", 50.597, 36.588, "Russia"},
		{"Rostov-on-Don", 47.236, 39.701, "Russia"},
		{"Temryuk (Taman peninsula, across the Kerch Strait)", 45.274, 37.385, "Russia"},
	}
	for _, p := range places {
		pt := orb.Point{p.lon, p.lat}
		inUA, inRU := planar.MultiPolygonContains(ukraine, pt), planar.MultiPolygonContains(russia, pt)
		switch {
		case p.country == "Ukraine" && (!inUA || inRU):
			t.Errorf("%s (%.3f, %.3f): in Ukraine %v, in Russia %v; want Ukraine only", p.name, p.lat, p.lon, inUA, inRU)
		case p.country == "Russia" && (inUA || !inRU):
			t.Errorf("%s (%.3f, %.3f): in Ukraine %v, in Russia %v; want Russia only", p.name, p.lat, p.lon, inUA, inRU)
		}
	}
}

// TestBasemapNoLineAtPerekop checks that Crimea was merged into Ukraine's
// mainland polygon rather than added beside it: a separate polygon would draw
// a border across the Perekop isthmus.
func TestBasemapNoLineAtPerekop(t *testing.T) {
	ukraine := loadBasemap(t)["Ukraine"]
	simferopol, kherson := orb.Point{34.102, 44.952}, orb.Point{32.617, 46.636}
	for _, poly := range ukraine {
		if planar.PolygonContains(poly, simferopol) {
			if !planar.PolygonContains(poly, kherson) {
				t.Fatal("Simferopol and Kherson lie in different polygons of Ukraine: a line is drawn at Perekop")
			}
			return
		}
	}
	t.Fatal("no polygon of Ukraine contains Simferopol")
}

// TestBasemapNoCountryOverlapsUkraine guards against Crimea being drawn twice
// (in Ukraine and still in Russia or any other country).
func TestBasemapNoCountryOverlapsUkraine(t *testing.T) {
	shapes := loadBasemap(t)
	for _, pt := range []orb.Point{{34.102, 44.952}, {33.525, 44.616}, {36.468, 45.357}} {
		for name, mp := range shapes {
			if name != "Ukraine" && planar.MultiPolygonContains(mp, pt) {
				t.Errorf("%s also contains %v", name, pt)
			}
		}
	}
}
