package web

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/vocab"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// fakeMap is a MapData with a few zones along an illustrative front line and
// n deterministic markers spread over the 30 days before end.
type fakeMap struct {
	agreement *agreement.Agreement // zones from it when set
	markers   []Marker
	zonesAt   []time.Time // times Zones was asked for
	filters   []MarkerFilter
}

var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// frontLine is an illustrative contact line (Kherson → Zaporizhzhia →
// Donetsk → Luhansk → Kharkiv oblast), for drawing only.
var frontLine = orb.LineString{
	{32.62, 46.62}, {33.60, 46.75}, {35.20, 47.45}, {36.40, 47.70}, {37.60, 47.95},
	{37.90, 48.40}, {38.10, 48.90}, {38.20, 49.30}, {37.70, 49.80}, {37.00, 50.20},
}

func newFakeMap(n int) *fakeMap {
	return newFakeMapAlong(frontLine, n)
}

// newExampleMap draws the example agreement's zones, with n markers along
// its contact line.
func newExampleMap(t testing.TB, n int) *fakeMap {
	a := loadExample(t)
	line, ok := a.Zone("contact-line").GeometryAt(testNow).(orb.LineString)
	if !ok {
		t.Fatal("example contact line is not a LineString")
	}
	f := newFakeMapAlong(line, n)
	f.agreement = a
	return f
}

func newFakeMapAlong(frontLine orb.LineString, n int) *fakeMap {
	rng := rand.New(rand.NewPCG(7, 11))
	cats := []vocab.Category{vocab.Explosion, vocab.Explosion, vocab.BurstOfFire, vocab.BurstOfFire,
		vocab.ProjectileInFlight, vocab.MuzzleFlash, vocab.IlluminationFlare, vocab.HeavyWeaponSighted,
		vocab.DroneStrike, vocab.MovementRestriction, vocab.CivilianCasualty}
	f := &fakeMap{}
	for i := range n {
		seg := rng.IntN(len(frontLine) - 1)
		a, b := frontLine[seg], frontLine[seg+1]
		u := rng.Float64()
		f.markers = append(f.markers, Marker{
			ID:       fmt.Sprintf("inc-%05d", i),
			Kind:     "incident",
			Time:     testNow.Add(-time.Duration(rng.Int64N(int64(29 * 24 * time.Hour)))),
			Lat:      a[1] + u*(b[1]-a[1]) + rng.NormFloat64()*0.08,
			Lon:      a[0] + u*(b[0]-a[0]) + rng.NormFloat64()*0.08,
			Category: cats[rng.IntN(len(cats))],
			Status:   Statuses[rng.IntN(len(Statuses))],
			Count:    1 + rng.IntN(30),
			Summary:  "<b>not bold</b> — as submitted",
			URL:      fmt.Sprintf("/incidents/inc-%05d", i),
		})
	}
	return f
}

func (f *fakeMap) Zones(ctx context.Context, at time.Time) (*geojson.FeatureCollection, error) {
	f.zonesAt = append(f.zonesAt, at)
	if f.agreement != nil {
		return AgreementZones(f.agreement, at), nil
	}
	fc := geojson.NewFeatureCollection()
	add := func(g orb.Geometry, props geojson.Properties) {
		ft := geojson.NewFeature(g)
		ft.Properties = props
		fc.Append(ft)
	}
	shift := func(dy float64) orb.LineString {
		out := make(orb.LineString, len(frontLine))
		for i, p := range frontLine {
			out[i] = orb.Point{p[0] + dy, p[1] - dy}
		}
		return out
	}
	buffer := orb.Ring(append(shift(-0.15), reversed(shift(0.15))...))
	buffer = append(buffer, buffer[0])
	add(orb.Polygon{buffer}, geojson.Properties{"id": "security-zone", "kind": "buffer", "name": "Security zone 15 km"})
	add(frontLine, geojson.Properties{"id": "contact", "kind": "contact_line", "name": "Contact line"})
	add(shift(-0.1), geojson.Properties{"id": "ua-line", "kind": "party_line", "party": "ua", "name": "Ukraine's line"})
	add(shift(0.1), geojson.Properties{"id": "ru-line", "kind": "party_line", "party": "ru", "name": "Russia's line"})
	crimea := orb.Ring{{32.5, 45.3}, {33.7, 46.15}, {35.0, 45.6}, {36.6, 45.4}, {35.0, 44.8}, {33.5, 44.4}, {32.5, 45.3}}
	add(orb.Polygon{crimea}, geojson.Properties{"id": "ru-controlled-crimea", "kind": "controlled_area", "party": "ru", "name": "Crimea (occupied)"})
	add(orb.Point{35.9, 48.6}, geojson.Properties{"id": "ha-1", "kind": "holding_area", "name": "Holding area Pavlohrad-2"})
	return fc, nil
}

func reversed(l orb.LineString) orb.LineString {
	out := slices.Clone(l)
	slices.Reverse(out)
	return out
}

func (f *fakeMap) Markers(ctx context.Context, filter MarkerFilter) ([]Marker, error) {
	f.filters = append(f.filters, filter)
	var out []Marker
	for _, m := range f.markers {
		if m.Time.Before(filter.From) || !m.Time.Before(filter.To) {
			continue
		}
		if len(filter.Categories) > 0 && !slices.Contains(filter.Categories, m.Category) {
			continue
		}
		if len(filter.Statuses) > 0 && !slices.Contains(filter.Statuses, m.Status) {
			continue
		}
		out = append(out, m)
		if len(out) == filter.Limit {
			break
		}
	}
	return out, nil
}
