package compliance

import (
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/geo"
)

func exampleZones(t testing.TB) *agreement.Agreement {
	a, err := agreement.Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// FuzzEdgeIndex checks the grid's shortcuts against brute force: the
// distance to a line and the containment of a disc in a polygon must be
// what measuring every edge (and planar containment) gives.
func FuzzEdgeIndex(f *testing.F) {
	a := exampleZones(f)
	line, err := newEdgeIndex(a.Zone("ukraine-line").Geometry)
	if err != nil {
		f.Fatal(err)
	}
	full, _ := geo.NewLine(a.Zone("ukraine-line").Geometry)
	poly, err := newEdgeIndex(a.Zone("russia-controlled").Geometry)
	if err != nil {
		f.Fatal(err)
	}
	g := a.Zone("russia-controlled").Geometry.(orb.Polygon)
	ring, _ := geo.NewLine(orb.LineString(g[0]))
	f.Add(37.6, 48.3, 2.0, 25.0)
	f.Add(31.0, 44.0, 0.0, 70.0)
	f.Add(37.85, 48.5, 0.5, 15.0)
	f.Add(45.0, 55.0, 30.0, 35.0)
	f.Fuzz(func(t *testing.T, lon, lat, r, limit float64) {
		if math.IsNaN(lon+lat+r+limit) || math.IsInf(lon+lat+r+limit, 0) || lon < 20 || lon > 45 || lat < 40 || lat > 56 || r < 0 || r > 60 || limit < 1 || limit > 100 {
			return
		}
		p := orb.Point{lon, lat}
		d := full.DistanceKm(p)
		// Per-edge minima may pick a different, equally near segment than
		// the whole line does: they agree to far below geo's 0.1% within the
		// 150 km that withdrawal limits and uncertainty reach.
		if got := line.distanceKm(p); d < 150 && math.Abs(got-d) > 1e-5*max(d, 1) {
			t.Fatalf("distance %.6f, brute force %.6f", got, d)
		}
		tol := 0.001 * limit
		want := Indeterminate
		switch {
		case d+r < limit-tol:
			want = Inside
		case d-r > limit+tol:
			want = Outside
		}
		if got, _ := line.within(p, r, limit, tol); got != want {
			t.Fatalf("within: %s, brute force %s (d=%.4f)", got, want, d)
		}
		bd := ring.DistanceKm(p)
		want = Indeterminate
		if bd > r {
			want = outcome(geo.Contains(g, p))
		}
		// Within a metre of the boundary the grid and brute force may
		// round differently.
		if got := poly.contains(p, r); got != want && math.Abs(bd-r) > 0.001 {
			t.Fatalf("contains: %s, brute force %s (boundary %.4f km)", got, want, bd)
		}
	})
}
