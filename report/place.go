package report

import (
	"math"

	"github.com/paulmach/orb"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/geo"
)

// placer locates events: the area and nearest town from the gazetteer, and
// the controlled area (zones of kind controlled_area in force on the report
// day) that holds the point. Events are located at the observed point
// (target), else the estimated origin of fire, else the observer: what
// happened where, before who saw it from where.
type placer struct {
	a *agreement.Agreement
	g *Gazetteer
	t time.Time
}

func (pl placer) area(e *event) string {
	if e.placed != nil {
		return e.placed.Area
	}
	p, ok := e.point()
	if !ok {
		return OtherArea.ID
	}
	if t, _, ok := pl.g.Nearest(p); ok {
		return pl.g.Area(t.Area).ID
	}
	return OtherArea.ID
}

// place is memoised per event: containment in a controlled area's polygon
// is the costly part of a report.
func (pl placer) place(e *event) Place {
	if e.placed != nil {
		return *e.placed
	}
	p, ok := e.point()
	out := Place{Area: OtherArea.ID}
	if ok {
		out = pl.placePoint(p)
	}
	e.placed = &out
	return out
}

func (pl placer) placePoint(p orb.Point) Place {
	out := Place{Area: OtherArea.ID}
	if t, km, ok := pl.g.Nearest(p); ok {
		out.Area = pl.g.Area(t.Area).ID
		out.Town = t.ID
		out.TownKm = math.Round(km)
		if out.TownKm >= 1 {
			out.Direction = Compass(t.Point, p)
		}
	}
	for _, z := range pl.a.Zones {
		if z.Kind != agreement.ControlledArea {
			continue
		}
		if g := z.GeometryAt(pl.t); g != nil && geo.Contains(g, p) {
			out.Controlled = z.Party
			break
		}
	}
	return out
}
