// Package geo holds the geometry pactwatch needs on the earth's surface:
// validity of zone polygons, areas and lengths, containment of a point in an
// area, the distance from a point to a line and the side of a line a point
// lies on. It is a thin layer over github.com/paulmach/orb: points are
// orb.Point values, [longitude, latitude] in degrees (WGS 84), as in GeoJSON.
//
// Distances are geodesic to within 0.1% for the distances that matter to a
// ceasefire (up to a few hundred kilometres): the nearest point is found on
// the sphere, then the distance to it is measured with the WGS 84 ellipsoid's
// radii of curvature in that direction. The sphere alone would be up to 0.7%
// off (north–south near the equator). Lines are straight in longitude and
// latitude, as RFC 7946 and maps draw them, not great circles.
package geo

import (
	"math"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// WGS 84 ellipsoid.
const (
	semiMajorKm  = 6378.137
	flattening   = 1 / 298.257223563
	eccentricity = flattening * (2 - flattening) // e²
)

// ValidPoint reports whether p is a longitude in [-180, 180] and a latitude
// in [-90, 90] (and neither is NaN).
func ValidPoint(p orb.Point) bool {
	return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
}

// AreaKm2 returns the area of polygons (0 for points and lines) in km², on
// orb's spherical model (within about 0.5% of the ellipsoidal area).
func AreaKm2(g orb.Geometry) float64 { return orbgeo.Area(g) / 1e6 }

// LengthKm returns the length of lines (and the perimeter of polygons) in
// km, summing DistanceKm over consecutive points.
func LengthKm(g orb.Geometry) float64 {
	var sum float64
	line := func(ls []orb.Point) {
		for i := 1; i < len(ls); i++ {
			sum += DistanceKm(ls[i-1], ls[i])
		}
	}
	switch g := g.(type) {
	case orb.LineString:
		line(g)
	case orb.MultiLineString:
		for _, l := range g {
			line(l)
		}
	case orb.Ring:
		line(g)
	case orb.Polygon:
		for _, r := range g {
			line(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				line(r)
			}
		}
	case orb.Collection:
		for _, c := range g {
			sum += LengthKm(c)
		}
	}
	return sum
}

// Contains reports whether the polygon or multipolygon g contains p (points
// on the boundary count as inside). Other geometries contain nothing.
// Containment is planar in longitude/latitude, which is exact for the
// boundaries as GeoJSON draws them and assumes no zone crosses the
// antimeridian.
func Contains(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	case orb.Collection:
		for _, c := range g {
			if Contains(c, p) {
				return true
			}
		}
	}
	return false
}

// DistanceKm returns the geodesic distance between a and b in km (see the
// package comment for its accuracy).
func DistanceKm(a, b orb.Point) float64 {
	return ellipsoidalKm(toVec(a), a, b)
}

// ellipsoidalKm measures the great-circle angle between a and b (va is a's
// unit vector) and scales it by the ellipsoid's radius of curvature in the
// direction of travel at the mid latitude (Euler's formula).
func ellipsoidalKm(va vec, a, b orb.Point) float64 {
	vb := toVec(b)
	sigma := math.Atan2(va.cross(vb).norm(), va.dot(vb))
	if sigma == 0 {
		return 0
	}
	phi := (a[1] + b[1]) / 2 * math.Pi / 180
	sin := math.Sin(phi)
	w := 1 - eccentricity*sin*sin
	m := semiMajorKm * (1 - eccentricity) / (w * math.Sqrt(w)) // meridional
	n := semiMajorKm / math.Sqrt(w)                            // prime vertical
	dLon := b[0] - a[0]
	if dLon > 180 {
		dLon -= 360
	} else if dLon < -180 {
		dLon += 360
	}
	dy := b[1] - a[1]
	dx := dLon * math.Cos(phi)
	d2 := dx*dx + dy*dy
	if d2 == 0 {
		return sigma * n
	}
	cos2, sin2 := dy*dy/d2, dx*dx/d2
	return sigma * m * n / (n*cos2 + m*sin2)
}

// vec is a point on the unit sphere: x towards (0°, 0°), y towards
// (90°E, 0°), z towards the north pole.
type vec struct{ x, y, z float64 }

func toVec(p orb.Point) vec {
	lon, lat := p[0]*math.Pi/180, p[1]*math.Pi/180
	cl := math.Cos(lat)
	return vec{cl * math.Cos(lon), cl * math.Sin(lon), math.Sin(lat)}
}

func (v vec) point() orb.Point {
	return orb.Point{math.Atan2(v.y, v.x) * 180 / math.Pi, math.Atan2(v.z, math.Hypot(v.x, v.y)) * 180 / math.Pi}
}

func (v vec) dot(w vec) float64 { return v.x*w.x + v.y*w.y + v.z*w.z }
func (v vec) cross(w vec) vec {
	return vec{v.y*w.z - v.z*w.y, v.z*w.x - v.x*w.z, v.x*w.y - v.y*w.x}
}
func (v vec) add(w vec) vec       { return vec{v.x + w.x, v.y + w.y, v.z + w.z} }
func (v vec) scale(f float64) vec { return vec{v.x * f, v.y * f, v.z * f} }
func (v vec) norm() float64       { return math.Sqrt(v.dot(v)) }
func (v vec) unit() vec           { return v.scale(1 / v.norm()) }
