package compliance

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/pactwatch/pactwatch/geo"
)

// Outcome is the answer to "is this uncertain position inside?": a
// position known only to within a disc is inside when the whole disc is,
// outside when none of it is, and otherwise indeterminate. Only inside is
// ever a violation.
type Outcome string

const (
	Inside        Outcome = "inside"
	Outside       Outcome = "outside"
	Indeterminate Outcome = "indeterminate"
)

// edgeIndex answers nearest-distance queries to a set of edges (a line's
// segments or a polygon's boundary) fast: a grid of 0.1° cells over the
// edges' bounds widened by a margin, each cell holding the distance from
// its centre to the edges and the few edges that can be nearest to any
// point in it. A query far from every edge is answered from the cell alone;
// a query near one measures only the cell's candidate edges, each a
// prepared geo.Line (geodesic to within 0.1%).
type edgeIndex struct {
	all    *geo.Line   // every edge, for queries outside the grid
	edges  []*geo.Line // one prepared line per edge
	segs   [][2]orb.Point
	bound  orb.Bound
	nx, ny int
	cells  []cell
	rings  orb.Geometry // for containment, nil for lines
}

type cell struct {
	centreKm float64 // geodesic distance from the centre to the nearest edge
	halfKm   float64 // the cell's half-diagonal
	inside   bool    // centre inside the polygon (polygons only)
	cand     []int32 // edges that can be nearest to a point of the cell
}

const (
	gridDeg    = 0.1
	gridMargin = 1.5 // degrees around the edges: beyond the longest withdrawal distance (70 km) plus uncertainty
)

// newEdgeIndex prepares the edges of g (LineString, MultiLineString,
// Polygon or MultiPolygon). Polygons also answer containment.
func newEdgeIndex(g orb.Geometry) (*edgeIndex, error) {
	var segs [][2]orb.Point
	addLine := func(ls []orb.Point) {
		for i := 1; i < len(ls); i++ {
			if ls[i] != ls[i-1] {
				segs = append(segs, [2]orb.Point{ls[i-1], ls[i]})
			}
		}
	}
	ix := &edgeIndex{}
	switch g := g.(type) {
	case orb.LineString:
		addLine(g)
	case orb.MultiLineString:
		for _, l := range g {
			addLine(l)
		}
	case orb.Polygon:
		ix.rings = g
		for _, r := range g {
			addLine(r)
		}
	case orb.MultiPolygon:
		ix.rings = g
		for _, p := range g {
			for _, r := range p {
				addLine(r)
			}
		}
	}
	ix.segs = segs
	mls := make(orb.MultiLineString, len(segs))
	for i, s := range segs {
		mls[i] = orb.LineString{s[0], s[1]}
		l, err := geo.NewLine(mls[i])
		if err != nil {
			return nil, err
		}
		ix.edges = append(ix.edges, l)
	}
	all, err := geo.NewLine(mls)
	if err != nil {
		return nil, err
	}
	ix.all = all
	b := g.Bound()
	ix.bound = orb.Bound{Min: orb.Point{b.Min[0] - gridMargin, b.Min[1] - gridMargin}, Max: orb.Point{b.Max[0] + gridMargin, b.Max[1] + gridMargin}}
	ix.nx = int(math.Ceil((ix.bound.Max[0] - ix.bound.Min[0]) / gridDeg))
	ix.ny = int(math.Ceil((ix.bound.Max[1] - ix.bound.Min[1]) / gridDeg))
	ix.cells = make([]cell, ix.nx*ix.ny)
	for j := 0; j < ix.ny; j++ {
		lat0 := ix.bound.Min[1] + float64(j)*gridDeg
		// The widest row of the cell is the one nearer the equator.
		cosMax := math.Cos(math.Min(math.Abs(lat0), math.Abs(lat0+gridDeg)) * math.Pi / 180)
		half := 0.5 * math.Hypot(gridDeg*111.33*cosMax, gridDeg*111.7)
		for i := 0; i < ix.nx; i++ {
			c := orb.Point{ix.bound.Min[0] + (float64(i)+0.5)*gridDeg, lat0 + gridDeg/2}
			ix.cells[j*ix.nx+i] = ix.prepare(c, half)
		}
	}
	return ix, nil
}

// prepare computes one cell. Candidates are chosen on the local plane (a
// few per cent off at these distances), with a generous margin; the
// centre's distance is then measured geodesically.
func (ix *edgeIndex) prepare(c orb.Point, half float64) cell {
	cs := math.Cos(c[1] * math.Pi / 180)
	plane := func(p orb.Point) (float64, float64) {
		return (p[0] - c[0]) * cs * 111.32, (p[1] - c[1]) * 111.13
	}
	ds := make([]float64, len(ix.segs))
	best := math.Inf(1)
	for k, s := range ix.segs {
		ax, ay := plane(s[0])
		bx, by := plane(s[1])
		ds[k] = segDist(ax, ay, bx, by)
		best = min(best, ds[k])
	}
	limit := best*1.05 + 2*half + 2
	out := cell{halfKm: half, centreKm: math.Inf(1)}
	for k, d := range ds {
		if d <= limit {
			out.cand = append(out.cand, int32(k))
			out.centreKm = min(out.centreKm, ix.edges[k].DistanceKm(c))
		}
	}
	if ix.rings != nil {
		out.inside = geo.Contains(ix.rings, c)
	}
	return out
}

// segDist is the planar distance from the origin to segment a–b.
func segDist(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

func (ix *edgeIndex) cellAt(p orb.Point) *cell {
	if !ix.bound.Contains(p) {
		return nil
	}
	i := int((p[0] - ix.bound.Min[0]) / gridDeg)
	j := int((p[1] - ix.bound.Min[1]) / gridDeg)
	if i < 0 || j < 0 || i >= ix.nx || j >= ix.ny {
		return nil
	}
	return &ix.cells[j*ix.nx+i]
}

// distanceKm is the geodesic distance from p to the nearest edge.
func (ix *edgeIndex) distanceKm(p orb.Point) float64 {
	c := ix.cellAt(p)
	if c == nil {
		return ix.all.DistanceKm(p)
	}
	d := math.Inf(1)
	for _, k := range c.cand {
		d = min(d, ix.edges[k].DistanceKm(p))
	}
	return d
}

// bounds returns a cheap bracket [lo, hi] of p's distance to the edges,
// from its cell alone (ok=false outside the grid).
func (ix *edgeIndex) bounds(p orb.Point) (lo, hi float64, c *cell) {
	c = ix.cellAt(p)
	if c == nil {
		return 0, math.Inf(1), nil
	}
	// 0.2% covers the geodesic error of the centre's measurement.
	return math.Max(0, c.centreKm*0.998-c.halfKm), c.centreKm*1.002 + c.halfKm, c
}

// within classifies the disc (p, r) against "distance to the edges < limit":
// Inside when the whole disc is nearer than limit−tol, Outside when all of
// it is farther than limit+tol, Indeterminate otherwise. It also returns the
// distance measured (NaN when the cell alone decided).
func (ix *edgeIndex) within(p orb.Point, r, limit, tol float64) (Outcome, float64) {
	lo, hi, _ := ix.bounds(p)
	switch {
	case hi+r < limit-tol:
		return Inside, math.NaN()
	case lo-r > limit+tol:
		return Outside, math.NaN()
	}
	d := ix.distanceKm(p)
	switch {
	case d+r < limit-tol:
		return Inside, d
	case d-r > limit+tol:
		return Outside, d
	}
	return Indeterminate, d
}

// contains classifies the disc (p, r) against the polygon: Inside when the
// whole disc is inside, Outside when none of it is.
func (ix *edgeIndex) contains(p orb.Point, r float64) Outcome {
	lo, _, c := ix.bounds(p)
	if c != nil && lo > r {
		// The whole cell and the disc lie on one side of the boundary.
		return outcome(c.inside)
	}
	if c == nil && !ix.bound.Contains(p) {
		// Far outside the polygon's bound widened by the margin: more than
		// 100 km from it.
		if r < 100 {
			return Outside
		}
	}
	in := planarContains(ix.rings, p)
	if ix.distanceKm(p) > r {
		return outcome(in)
	}
	return Indeterminate
}

func outcome(in bool) Outcome {
	if in {
		return Inside
	}
	return Outside
}

func planarContains(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}
