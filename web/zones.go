package web

import (
	"math"
	"slices"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// AgreementZones returns the agreement's zones as in force at t, ready for
// MapData.Zones: one feature per zone with the properties the map uses
// (id, kind, name, party, party_index, phase, illustrative, description,
// inventory).
// Zones with no geometry at t (a phased zone before its first phase) are
// left out. A buffer's area is drawn from its line and width (see
// bufferPolygon); the compliance rules measure distances exactly, so the
// drawing only has to be faithful to the eye.
func AgreementZones(a *agreement.Agreement, t time.Time) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, z := range a.Zones {
		g := z.GeometryAt(t)
		if z.Kind == agreement.Buffer {
			g = bufferOf(a, z, t)
		}
		if g == nil {
			continue
		}
		f := geojson.NewFeature(g)
		f.ID = z.ID
		f.Properties = geojson.Properties{"id": z.ID, "kind": string(z.Kind)}
		set := func(key, v string) {
			if v != "" {
				f.Properties[key] = v
			}
		}
		set("name", z.Name)
		set("party", z.Party)
		// The map colours each party's lines and areas by its place in
		// the agreement's list of parties.
		for i, p := range a.Parties {
			if p.ID == z.Party {
				f.Properties["party_index"] = i
			}
		}
		set("description", z.Description)
		if z.Illustrative {
			f.Properties["illustrative"] = true
		}
		if len(z.Inventory) > 0 {
			f.Properties["inventory"] = z.Inventory
		}
		for _, ph := range z.Phases {
			if ph.Geometry != nil && orb.Equal(ph.Geometry, g) {
				f.Properties["phase"] = ph.ID
			}
		}
		fc.Append(f)
	}
	return fc
}

// bufferOf draws a buffer zone: DistanceKm around the line zone Of, on both
// sides, one side, or the side towards a party's controlled area.
func bufferOf(a *agreement.Agreement, z *agreement.Zone, t time.Time) orb.Geometry {
	of := a.Zone(z.Of)
	if of == nil || z.DistanceKm <= 0 {
		return nil
	}
	var parts []orb.LineString
	switch g := of.GeometryAt(t).(type) {
	case orb.LineString:
		parts = []orb.LineString{g}
	case orb.MultiLineString:
		parts = g
	default:
		return nil
	}
	side := geo.On // both
	switch z.Side {
	case "left":
		side = geo.Left
	case "right":
		side = geo.Right
	}
	if z.Towards != "" {
		side = sideTowards(a, of.GeometryAt(t), z.Towards, t)
		if side == geo.On {
			return nil
		}
	}
	var mp orb.MultiPolygon
	for _, part := range parts {
		if p := bufferPolygon(part, z.DistanceKm, side); p != nil {
			mp = append(mp, p)
		}
	}
	switch len(mp) {
	case 0:
		return nil
	case 1:
		return mp[0]
	}
	return mp
}

// sideTowards finds the side of line on which party's controlled area lies,
// judged at the area's centroid; geo.On when it cannot tell.
func sideTowards(a *agreement.Agreement, line orb.Geometry, party string, t time.Time) geo.Side {
	l, err := geo.NewLine(line)
	if err != nil {
		return geo.On
	}
	for _, z := range a.Zones {
		if z.Kind != agreement.ControlledArea || z.Party != party {
			continue
		}
		if g := z.GeometryAt(t); g != nil {
			c, _ := planar.CentroidArea(g)
			return l.Side(c)
		}
	}
	return geo.On
}

// bufferPolygon offsets line by km to its left, its right, or both (side
// geo.On), in a local flat frame around each vertex (km east and north), with
// mitred joins capped at twice the width so sharp bends do not spike; on the
// inside of a bend the offset curve crosses itself, and the loop is cut at
// the crossing. Good to a few hundred metres for widths of tens of kilometres
// at these latitudes: a drawing, not a measurement.
func bufferPolygon(line orb.LineString, km float64, side geo.Side) orb.Polygon {
	line = slices.CompactFunc(slices.Clone(line), func(a, b orb.Point) bool { return a == b })
	if len(line) < 2 {
		return nil
	}
	left := removeLoops(offset(line, km))
	right := removeLoops(offset(line, -km))
	var ring orb.Ring
	switch side {
	case geo.Left:
		ring = append(orb.Ring(slices.Clone(line)), reverse(left)...)
	case geo.Right:
		ring = append(orb.Ring(right), reverse(line)...)
	default:
		ring = append(orb.Ring(left), reverse(right)...)
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

// offset moves every vertex of line d km to the left of the direction of
// travel (right when d < 0).
func offset(line orb.LineString, d float64) orb.LineString {
	const kmPerDegLat = 111.32
	out := make(orb.LineString, len(line))
	for i, p := range line {
		kmPerDegLon := kmPerDegLat * math.Cos(p[1]*math.Pi/180)
		// Unit left-normals of the segments before and after the vertex,
		// in km space.
		normal := func(a, b orb.Point) (float64, float64) {
			dx, dy := (b[0]-a[0])*kmPerDegLon, (b[1]-a[1])*kmPerDegLat
			n := math.Hypot(dx, dy)
			return -dy / n, dx / n
		}
		var nx, ny float64
		switch {
		case i == 0:
			nx, ny = normal(line[0], line[1])
		case i == len(line)-1:
			nx, ny = normal(line[i-1], line[i])
		default:
			ax, ay := normal(line[i-1], p)
			bx, by := normal(p, line[i+1])
			mx, my := ax+bx, ay+by
			m := math.Hypot(mx, my)
			if m < 1e-9 { // the line doubles back: use the incoming normal
				nx, ny = ax, ay
				break
			}
			mx, my = mx/m, my/m
			// A mitre keeps the offset lines parallel to both segments:
			// length 1/cos(half the turn), capped at 2.
			scale := min(1/math.Max(mx*ax+my*ay, 1e-9), 2)
			nx, ny = mx*scale, my*scale
		}
		out[i] = orb.Point{p[0] + d*nx/kmPerDegLon, p[1] + d*ny/kmPerDegLat}
	}
	return out
}

func reverse(l orb.LineString) orb.Ring {
	r := orb.Ring(slices.Clone(l))
	slices.Reverse(r)
	return r
}

// removeLoops cuts the loops an offset curve makes on the inside of bends:
// from each segment it jumps to the last later segment it crosses, through
// the crossing point. O(n²) in the number of vertices, which is small for
// drawn lines.
func removeLoops(l orb.LineString) orb.LineString {
	out := orb.LineString{l[0]}
	cur := l[0]
	for i := 0; i < len(l)-1; {
		next := l[i+1]
		jumped := false
		for j := len(l) - 2; j > i+1; j-- {
			if x, ok := crossing(cur, next, l[j], l[j+1]); ok {
				out = append(out, x)
				cur, i, jumped = x, j, true
				break
			}
		}
		if !jumped {
			out = append(out, next)
			cur = next
			i++
		}
	}
	return out
}

// crossing returns where segments ab and cd cross, if they do (planar).
func crossing(a, b, c, d orb.Point) (orb.Point, bool) {
	rx, ry := b[0]-a[0], b[1]-a[1]
	sx, sy := d[0]-c[0], d[1]-c[1]
	den := rx*sy - ry*sx
	if den == 0 {
		return orb.Point{}, false
	}
	qx, qy := c[0]-a[0], c[1]-a[1]
	t := (qx*sy - qy*sx) / den
	u := (qx*ry - qy*rx) / den
	if t <= 0 || t >= 1 || u <= 0 || u >= 1 {
		return orb.Point{}, false
	}
	return orb.Point{a[0] + t*rx, a[1] + t*ry}, true
}
