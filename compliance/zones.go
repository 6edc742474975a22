package compliance

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/geo"
)

// area is a prepared zone geometry that classifies uncertain positions.
type area interface {
	classify(p orb.Point, rKm float64) Outcome
}

type polygonArea struct{ ix *edgeIndex }

func (a polygonArea) classify(p orb.Point, r float64) Outcome { return a.ix.contains(p, r) }

// siteArea is a zone given as a point (a holding area's gate): positions
// within SiteRadiusKm of it are at the site.
type siteArea struct {
	at     orb.Point
	radius float64
}

func (a siteArea) classify(p orb.Point, r float64) Outcome {
	d := geo.DistanceKm(a.at, p)
	switch {
	case d+r <= a.radius:
		return Inside
	case d-r > a.radius:
		return Outside
	}
	return Indeterminate
}

// bufferArea is the band within distance of a line, on one or both sides.
type bufferArea struct {
	line   *geo.Line
	ix     *edgeIndex
	km     float64
	side   geo.Side // 0: both
	tolKm  float64
	sideOf func(orb.Point) geo.Side
}

func (a bufferArea) classify(p orb.Point, r float64) Outcome {
	o, _ := a.ix.within(p, r, a.km, a.tolKm)
	if o == Outside || a.side == geo.On {
		return o
	}
	// One side only: a disc straddling the line is indeterminate.
	d, s := a.line.Measure(p)
	switch {
	case d <= r:
		return Indeterminate
	case s != a.side:
		return Outside
	}
	return o
}

// zoneAreas holds a zone's prepared geometry and its phases'.
type zoneAreas struct {
	zone   *agreement.Zone
	base   area
	phases []phaseArea
}

type phaseArea struct {
	from, until time.Time
	area        area
}

// at returns the area in force at t (nil when none is).
func (z *zoneAreas) at(t time.Time) area {
	for _, ph := range z.phases {
		if !t.Before(ph.from) && (ph.until.IsZero() || t.Before(ph.until)) {
			return ph.area
		}
	}
	return z.base
}

// prepareArea prepares a polygon or point geometry.
func prepareArea(g orb.Geometry, siteKm float64) (area, error) {
	switch g := g.(type) {
	case nil:
		return nil, nil
	case orb.Point:
		return siteArea{at: g, radius: siteKm}, nil
	case orb.Polygon, orb.MultiPolygon:
		ix, err := newEdgeIndex(g)
		if err != nil {
			return nil, err
		}
		return polygonArea{ix}, nil
	case orb.Collection:
		if len(g) == 1 {
			return prepareArea(g[0], siteKm)
		}
	}
	return nil, fmt.Errorf("compliance: a zone of type %s is not an area", g.GeoJSONType())
}

// prepareZones prepares every zone of the agreement that is an area, and
// every line.
func (e *Evaluator) prepareZones() error {
	a := e.agreement
	loc := a.Location()
	for _, z := range a.Zones {
		if z.Kind.IsLine() {
			if z.Geometry == nil {
				continue
			}
			ix, err := newEdgeIndex(z.Geometry)
			if err != nil {
				return fmt.Errorf("zone %s: %w", z.ID, err)
			}
			line, err := geo.NewLine(z.Geometry)
			if err != nil {
				return fmt.Errorf("zone %s: %w", z.ID, err)
			}
			e.lines[z.ID] = &lineIndex{ix: ix, line: line, party: z.Party}
		}
	}
	for _, z := range a.Zones {
		if z.Kind.IsLine() {
			continue
		}
		za := &zoneAreas{zone: z}
		if z.Kind == agreement.Buffer {
			l := e.lines[z.Of]
			if l == nil {
				return fmt.Errorf("zone %s: buffer of unknown line %q", z.ID, z.Of)
			}
			b := bufferArea{line: l.line, ix: l.ix, km: z.DistanceKm, tolKm: e.policy.DistanceTolerance * z.DistanceKm}
			switch z.Side {
			case "left":
				b.side = geo.Left
			case "right":
				b.side = geo.Right
			}
			if z.Towards != "" {
				b.side = e.sideTowards(l.line, z.Towards)
			}
			za.base = b
		} else {
			base, err := prepareArea(z.Geometry, e.policy.SiteRadiusKm)
			if err != nil {
				return fmt.Errorf("zone %s: %w", z.ID, err)
			}
			za.base = base
			for _, ph := range z.Phases {
				pa, err := prepareArea(ph.Geometry, e.policy.SiteRadiusKm)
				if err != nil {
					return fmt.Errorf("zone %s phase %s: %w", z.ID, ph.ID, err)
				}
				from, _ := ph.From.In(loc)
				var until time.Time
				if ph.Until != "" {
					until, _ = ph.Until.In(loc)
				}
				za.phases = append(za.phases, phaseArea{from, until, pa})
			}
		}
		e.zones[z.ID] = za
		if z.Kind == agreement.ControlledArea && z.Party != "" {
			e.controlled = append(e.controlled, za)
		}
	}
	return nil
}

// sideTowards finds which side of the line a party's controlled area lies
// on, from the first vertex of the area that is not on the line.
func (e *Evaluator) sideTowards(l *geo.Line, party string) geo.Side {
	for _, z := range e.agreement.Zones {
		if z.Kind != agreement.ControlledArea || z.Party != party {
			continue
		}
		var side geo.Side
		visit(z.Geometry, func(p orb.Point) bool {
			if d, s := l.Measure(p); d > 1 {
				side = s
				return false
			}
			return true
		})
		return side
	}
	return geo.On
}

// visit calls f on polygon vertices until it returns false.
func visit(g orb.Geometry, f func(orb.Point) bool) {
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			for _, p := range r {
				if !f(p) {
					return
				}
			}
		}
	case orb.MultiPolygon:
		for _, pg := range g {
			visit(pg, f)
		}
	}
}

// lineIndex is a prepared line zone.
type lineIndex struct {
	ix    *edgeIndex
	line  *geo.Line
	party string
}
