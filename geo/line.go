package geo

import (
	"errors"
	"fmt"
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
// queries: each segment's great-circle plane is computed once, and runs of
// consecutive arcs are grouped under bounding caps, so a query looks only at
// the arcs that can be nearest and allocates nothing. A Line is immutable
// and safe for concurrent use.
type Line struct {
	segs   []segment
	blocks []block
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

// block is a spherical cap (centre c, angular radius with cosine cosR and
// sine sinR) holding blockSize consecutive arcs. A cap narrower than a
// hemisphere is convex, so an arc whose ends lie in it lies in it: no point
// of those arcs is nearer to p than the cap's edge.
type block struct {
	c          vec
	cosR, sinR float64
}

const (
	// blockSize arcs share a cap: a query tests len(segs)/blockSize caps,
	// then the arcs of the few caps that can hold the nearest point.
	blockSize = 32

	// maxStepDeg is the longest arc, in degrees of longitude or latitude,
	// that stands for a piece of a drawn line; it keeps every arc far
	// shorter than a hemisphere and the blocks' caps small.
	maxStepDeg = 1.0

	// bowKm is how far an arc may bow away from the drawn line (straight in
	// longitude and latitude): a metre, far below the 0.5% distance goal.
	bowKm = 0.001

	// MaxLineArcs bounds the arcs one Line is made of (about 200 bytes
	// each): a line that would need more is refused as too complex, before
	// anything is allocated for it. A contact line of 100,000 points, each a
	// few hundred metres from the next, needs about 100,000 arcs.
	MaxLineArcs = 250_000
)

// arcs returns how many great-circle arcs stand for the drawn segment
// p→q: enough that none is longer than maxStepDeg and that none bows more
// than bowKm away from the straight line in longitude and latitude. A
// segment of longitude extent Δλ (radians) on which latitude is φ bows by
// R·Δλ²·sin φ·cos φ/8 ≤ R·Δλ²/16; meridians are great circles and do not
// bow at all.
func arcs(p, q orb.Point) int {
	dLon, dLat := math.Abs(q[0]-p[0]), math.Abs(q[1]-p[1])
	byStep := math.Ceil(max(dLon, dLat) / maxStepDeg)
	byBow := math.Ceil(dLon * math.Pi / 180 * math.Sqrt(semiMajorKm/(16*bowKm)))
	return int(max(1, byStep, byBow))
}

// NewLine prepares a LineString or MultiLineString. Consecutive duplicate
// points are ignored; every part needs two distinct points. Like Contains,
// it assumes the line does not cross the antimeridian. A line that needs
// more than MaxLineArcs arcs is refused.
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
	// Count first, so a hostile line costs a pass over its points, not
	// gigabytes of arcs.
	total := 0
	for _, part := range parts {
		for i, p := range part {
			if !ValidPoint(p) {
				return nil, errors.New("geo: coordinates out of range")
			}
			if i > 0 && p != part[i-1] {
				total += arcs(part[i-1], p)
				if total > MaxLineArcs {
					return nil, fmt.Errorf("geo: line too complex: it needs more than %d arcs (fewer points, or shorter east–west segments)", MaxLineArcs)
				}
			}
		}
	}
	l := &Line{segs: make([]segment, 0, total)}
	for _, part := range parts {
		first := len(l.segs)
		var prev orb.Point
		for i, p := range part {
			if i > 0 && p != prev {
				// GeoJSON lines are straight in longitude/latitude (RFC 7946),
				// as maps draw them; a great circle between far-apart points
				// bows away by kilometres. Short arcs follow the drawn line to
				// within bowKm.
				steps := arcs(prev, p)
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
	l.blocks = make([]block, 0, (len(l.segs)+blockSize-1)/blockSize)
	for lo := 0; lo < len(l.segs); lo += blockSize {
		l.blocks = append(l.blocks, capOf(l.segs[lo:min(lo+blockSize, len(l.segs))]))
	}
	return l, nil
}

// capOf returns a cap holding every arc of segs, or the whole sphere when
// no cap narrower than a hemisphere is found.
func capOf(segs []segment) block {
	var sum vec
	for i := range segs {
		sum = sum.add(segs[i].a).add(segs[i].b)
	}
	whole := block{cosR: -1, sinR: 0}
	if sum.norm() < 1e-9 {
		return whole
	}
	c := sum.unit()
	cosR := 1.0
	for i := range segs {
		cosR = min(cosR, c.dot(segs[i].a), c.dot(segs[i].b))
	}
	// Widen by a margin for rounding (about 6 mm on the earth).
	r := math.Acos(max(-1, min(1, cosR))) + 1e-9
	if r >= math.Pi/2 {
		return whole
	}
	return block{c: c, cosR: math.Cos(r), sinR: math.Sin(r)}
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

// nearest is the best arc found so far by a scan: cos is the cosine of the
// angle from the query point to it (larger is nearer), where says whether
// the nearest point is inside the arc (0), its start (1) or its end (2).
type nearest struct {
	cos        float64
	seg, where int
}

// scan updates best with the arcs lo ≤ i < hi.
func (l *Line) scan(pv vec, lo, hi int, best *nearest) {
	for i := lo; i < hi; i++ {
		s := &l.segs[i]
		if pv.dot(s.ea) >= 0 && pv.dot(s.eb) >= 0 {
			d := pv.dot(s.n)
			if c := math.Sqrt(math.Max(0, 1-d*d)); c > best.cos {
				*best = nearest{c, i, 0}
			}
			continue
		}
		if c := pv.dot(s.a); c > best.cos {
			*best = nearest{c, i, 1}
		}
		if c := pv.dot(s.b); c > best.cos {
			*best = nearest{c, i, 2}
		}
	}
}

// bound returns the cosine of the smallest angle from pv to any point of
// the block's cap (1 when pv is inside it).
func (b *block) bound(pv vec) float64 {
	d := pv.dot(b.c)
	if d >= b.cosR {
		return 1
	}
	// cos(θ − r) with cos θ = d.
	return d*b.cosR + math.Sqrt(math.Max(0, 1-d*d))*b.sinR
}

// Measure returns both the distance to the line in km and the side of it.
func (l *Line) Measure(p orb.Point) (km float64, side Side) {
	pv := toVec(p)
	// Scan the block whose cap is nearest first, then only the blocks whose
	// cap comes nearer than the best arc found so far.
	first, firstBound := 0, -2.0
	for i := range l.blocks {
		if c := l.blocks[i].bound(pv); c > firstBound {
			first, firstBound = i, c
		}
	}
	best := nearest{cos: -2}
	l.scan(pv, first*blockSize, min((first+1)*blockSize, len(l.segs)), &best)
	for i := range l.blocks {
		if i != first && l.blocks[i].bound(pv) >= best.cos-1e-12 {
			l.scan(pv, i*blockSize, min((i+1)*blockSize, len(l.segs)), &best)
		}
	}
	return l.finish(pv, p, best)
}

// finish measures the distance to the nearest point that best names and
// the side of the line p lies on.
func (l *Line) finish(pv vec, p orb.Point, best nearest) (km float64, side Side) {
	s := &l.segs[best.seg]
	var near orb.Point
	var normal vec
	switch best.where {
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
