package geo

import (
	"fmt"
	"slices"

	"github.com/paulmach/orb"
)

// Issue is one thing wrong with a geometry. Index locates it in the GeoJSON
// coordinates array: [point] for a LineString, [ring] or [ring, point] for a
// Polygon, [polygon, ring, point] for a MultiPolygon (and so on), so callers
// can point at the offending coordinates.
type Issue struct {
	Index   []int
	Message string
}

// maxComparisons bounds the work of the self-intersection check, so a
// hostile outline (thousands of segments overlapping in longitude) is
// refused in well under a second instead of taking minutes.
const maxComparisons = 20_000_000

// maxIssues bounds the issues reported per geometry: a broken file should
// say what is wrong, not flood the screen.
const maxIssues = 10

// Validate checks a geometry as zones use it: coordinates in range; lines
// with two or more points; polygon rings closed, with four or more points
// and no self-intersection (within a ring or between rings of a polygon).
// A nil result means the geometry is valid.
func Validate(g orb.Geometry) []Issue {
	var out []Issue
	add := func(idx []int, format string, args ...any) {
		if len(out) < maxIssues {
			out = append(out, Issue{slices.Clone(idx), fmt.Sprintf(format, args...)})
		}
	}
	points := func(prefix []int, ps []orb.Point) {
		for i, p := range ps {
			if !ValidPoint(p) {
				add(append(prefix, i), "coordinates %v out of range: longitude must be within ±180, latitude within ±90", []float64{p[0], p[1]})
			}
		}
	}
	line := func(prefix []int, ls orb.LineString) {
		points(prefix, ls)
		if len(ls) < 2 {
			add(prefix, "a line needs at least 2 points, got %d", len(ls))
		}
	}
	switch g := g.(type) {
	case nil:
		add(nil, "no geometry")
	case orb.Point:
		points(nil, []orb.Point{g})
	case orb.MultiPoint:
		points(nil, g)
	case orb.LineString:
		line(nil, g)
	case orb.MultiLineString:
		for i, ls := range g {
			line([]int{i}, ls)
		}
	case orb.Polygon:
		for _, is := range polygonIssues(g) {
			add(is.Index, "%s", is.Message)
		}
	case orb.MultiPolygon:
		for i, p := range g {
			for _, is := range polygonIssues(p) {
				add(append([]int{i}, is.Index...), "%s", is.Message)
			}
		}
	default:
		add(nil, "unsupported geometry type %s", g.GeoJSONType())
	}
	return out
}

func polygonIssues(p orb.Polygon) []Issue {
	var out []Issue
	if len(p) == 0 {
		return []Issue{{nil, "a polygon needs at least one ring"}}
	}
	ok := true
	for r, ring := range p {
		for i, pt := range ring {
			if !ValidPoint(pt) {
				out = append(out, Issue{[]int{r, i}, fmt.Sprintf("coordinates %v out of range: longitude must be within ±180, latitude within ±90", []float64{pt[0], pt[1]})})
				ok = false
			}
		}
		switch {
		case len(ring) < 4:
			out = append(out, Issue{[]int{r}, fmt.Sprintf("a ring needs at least 4 points (the last repeating the first), got %d", len(ring))})
			ok = false
		case ring[0] != ring[len(ring)-1]:
			out = append(out, Issue{[]int{r}, fmt.Sprintf("ring is not closed: last point %v differs from first %v", []float64{ring[len(ring)-1][0], ring[len(ring)-1][1]}, []float64{ring[0][0], ring[0][1]})})
			ok = false
		}
	}
	if ok {
		out = append(out, intersections(p)...)
	}
	return out
}

type edge struct {
	ring, i    int // segment i joins points i and i+1 of ring
	k          int // the segment's rank in its ring, not counting repeated points
	a, b       orb.Point
	minX, maxX float64
}

// intersections finds segments of a polygon that cross or touch, other than
// neighbours in a ring sharing their common point. Segments are swept in
// order of their west end, so only segments overlapping in longitude are
// compared: O(n log n + k) for ordinary zone outlines.
func intersections(p orb.Polygon) []Issue {
	var edges []edge
	count := make([]int, len(p)) // segments per ring, not counting repeated points
	for r, ring := range p {
		for i := 0; i+1 < len(ring); i++ {
			a, b := ring[i], ring[i+1]
			if a == b {
				continue // a repeated point: harmless
			}
			edges = append(edges, edge{r, i, count[r], a, b, min(a[0], b[0]), max(a[0], b[0])})
			count[r]++
		}
	}
	slices.SortFunc(edges, func(x, y edge) int {
		switch {
		case x.minX < y.minX:
			return -1
		case x.minX > y.minX:
			return 1
		}
		return 0
	})
	var out []Issue
	budget := maxComparisons
	for i := range edges {
		e := &edges[i]
		for j := i + 1; j < len(edges) && edges[j].minX <= e.maxX; j++ {
			f := &edges[j]
			if len(out) >= maxIssues {
				return out
			}
			if budget--; budget < 0 {
				return append(out, Issue{nil, fmt.Sprintf("too complex to check for self-intersection: more than %d pairs of segments overlap in longitude; simplify the outline", maxComparisons)})
			}
			if e.ring == f.ring && adjacent(e.k, f.k, count[e.ring]) {
				if spike(e, f) {
					out = append(out, issueAt(e, f, "ring doubles back on itself"))
				}
				continue
			}
			if segmentsIntersect(e.a, e.b, f.a, f.b) {
				msg := "ring intersects itself"
				if e.ring != f.ring {
					msg = fmt.Sprintf("ring %d crosses ring %d", min(e.ring, f.ring), max(e.ring, f.ring))
				}
				out = append(out, issueAt(e, f, msg))
			}
		}
	}
	slices.SortFunc(out, func(x, y Issue) int { return slices.Compare(x.Index, y.Index) })
	return out
}

func issueAt(e, f *edge, msg string) Issue {
	if f.ring < e.ring || (f.ring == e.ring && f.i < e.i) {
		e, f = f, e
	}
	return Issue{[]int{f.ring, f.i}, fmt.Sprintf("%s: segment %d–%d meets segment %d–%d of ring %d", msg, f.i, f.i+1, e.i, e.i+1, e.ring)}
}

// adjacent reports whether segments i and j of a closed ring of n segments
// share a point.
func adjacent(i, j, n int) bool {
	d := i - j
	return d == 1 || d == -1 || d == n-1 || d == 1-n
}

// spike reports whether two neighbouring segments overlap along a line (the
// ring goes out and comes back the same way).
func spike(e, f *edge) bool {
	if orient(e.a, e.b, f.a) != 0 || orient(e.a, e.b, f.b) != 0 {
		return false
	}
	// Collinear neighbours overlap when they point in opposite directions.
	dx1, dy1 := e.b[0]-e.a[0], e.b[1]-e.a[1]
	dx2, dy2 := f.b[0]-f.a[0], f.b[1]-f.a[1]
	return dx1*dx2+dy1*dy2 < 0
}

// orient returns the sign of the turn a→b→c: 1 left, -1 right, 0 collinear.
func orient(a, b, c orb.Point) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func onSegment(a, b, c orb.Point) bool {
	return min(a[0], b[0]) <= c[0] && c[0] <= max(a[0], b[0]) && min(a[1], b[1]) <= c[1] && c[1] <= max(a[1], b[1])
}

// segmentsIntersect reports whether segments ab and cd share any point.
func segmentsIntersect(a, b, c, d orb.Point) bool {
	o1, o2, o3, o4 := orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
	if o1 != o2 && o3 != o4 {
		return true
	}
	return (o1 == 0 && onSegment(a, b, c)) || (o2 == 0 && onSegment(a, b, d)) ||
		(o3 == 0 && onSegment(c, d, a)) || (o4 == 0 && onSegment(c, d, b))
}
