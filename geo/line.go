package geo

import (
	"errors"
	"math"

	"github.com/paulmach/orb"
)

// Side is where a point lies relative to a line's direction (from its first
// point to its last), as a traveller along the line sees it.
type Side int8

const (
	On    Side = 0  // on the line (within floating-point rounding)
	Left  Side = 1  // to the traveller's left
	Right Side = -1 // to the traveller's right
)

func (s Side) String() string {
	switch s {
	case Left:
		return "left"
	case Right:
		return "right"
	}
	return "on"
}

// Line is a polyline (or several) prepared for repeated distance and side
// queries: each segment's great-circle plane is computed once, so a query
// costs a few dot products per segment and allocates nothing. A Line is
// immutable and safe for concurrent use.
type Line struct {
	segs []segment
}

// segment is the arc a→b of a great circle. n is the plane's unit normal
// (a×b): a point p has p·n > 0 when it lies left of a→b. The arc's lune —
// the points whose nearest point on the great circle lies between a and b —
// is where p·ea ≥ 0 and p·eb ≥ 0. na and nb are the normals that decide the
// side when a or b itself is the nearest point: at an interior vertex, the
// sum of both adjacent segments' normals (the vertex's pseudo-normal).
type segment struct {
	a, b      vec
	pa, pb    orb.Point
	n, ea, eb vec
	na, nb    vec
}

// maxStepDeg is the longest arc, in degrees of longitude or latitude, that
// stands for a piece of a drawn line (about 5 km).
const maxStepDeg = 0.05

// NewLine prepares a LineString or MultiLineString. Consecutive duplicate
// points are ignored; every part needs two distinct points. Like Contains,
// it assumes the line does not cross the antimeridian.
func NewLine(g orb.Geometry) (*Line, error) {
	var parts []orb.LineString
	switch g := g.(type) {
	case orb.LineString:
		parts = []orb.LineString{g}
	case orb.MultiLineString:
		parts = g
	default:
		return nil, errors.New("geo: a line must be a LineString or MultiLineString")
	}
	l := &Line{}
	for _, part := range parts {
		first := len(l.segs)
		var prev orb.Point
		for i, p := range part {
			if !ValidPoint(p) {
				return nil, errors.New("geo: coordinates out of range")
			}
			if i > 0 && p != prev {
				// GeoJSON lines are straight in longitude/latitude (RFC 7946),
				// as maps draw them; a great circle between far-apart points
				// bows away by kilometres. Short arcs follow the drawn line to
				// within metres.
				steps := int(math.Ceil(max(math.Abs(p[0]-prev[0]), math.Abs(p[1]-prev[1])) / maxStepDeg))
				q0 := prev
				for k := 1; k <= steps; k++ {
					f := float64(k) / float64(steps)
					q1 := orb.Point{prev[0] + f*(p[0]-prev[0]), prev[1] + f*(p[1]-prev[1])}
					if k == steps {
						q1 = p
					}
					a, b := toVec(q0), toVec(q1)
					c := a.cross(b)
					if c.norm() < 1e-15 {
						return nil, errors.New("geo: a segment is too short to have a direction")
					}
					n := c.unit()
					l.segs = append(l.segs, segment{a: a, b: b, pa: q0, pb: q1, n: n, ea: n.cross(a), eb: b.cross(n), na: n, nb: n})
					q0 = q1
				}
			}
			prev = p
		}
		if len(l.segs) == first {
			return nil, errors.New("geo: a line needs two distinct points")
		}
		for i := first + 1; i < len(l.segs); i++ {
			pn := l.segs[i-1].n.add(l.segs[i].n)
			l.segs[i-1].nb, l.segs[i].na = pn, pn
		}
	}
	return l, nil
}

// DistanceKm returns the geodesic distance in km from p to the nearest point
// of the line.
func (l *Line) DistanceKm(p orb.Point) float64 {
	km, _ := l.Measure(p)
	return km
}

// Side returns the side of the line p lies on, judged at the line's nearest
// point to p. For a MultiLineString, the nearest part decides.
func (l *Line) Side(p orb.Point) Side {
	_, s := l.Measure(p)
	return s
}

// Measure returns both the distance to the line in km and the side of it.
func (l *Line) Measure(p orb.Point) (km float64, side Side) {
	pv := toVec(p)
	best, bestSeg, where := -2.0, 0, 0 // where: 0 inside the arc, 1 at a, 2 at b
	for i := range l.segs {
		s := &l.segs[i]
		if pv.dot(s.ea) >= 0 && pv.dot(s.eb) >= 0 {
			d := pv.dot(s.n)
			if c := math.Sqrt(math.Max(0, 1-d*d)); c > best {
				best, bestSeg, where = c, i, 0
			}
			continue
		}
		if c := pv.dot(s.a); c > best {
			best, bestSeg, where = c, i, 1
		}
		if c := pv.dot(s.b); c > best {
			best, bestSeg, where = c, i, 2
		}
	}
	s := &l.segs[bestSeg]
	var near orb.Point
	var normal vec
	switch where {
	case 0:
		d := pv.dot(s.n)
		near, normal = pv.add(s.n.scale(-d)).unit().point(), s.n
	case 1:
		near, normal = s.pa, s.na
	default:
		near, normal = s.pb, s.nb
	}
	km = ellipsoidalKm(pv, p, near)
	switch d := pv.dot(normal); {
	case km < 1e-9:
		side = On
	case d > 0:
		side = Left
	case d < 0:
		side = Right
	}
	return km, side
}
