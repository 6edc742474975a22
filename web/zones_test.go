package web

import (
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/geo"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

func loadExample(t testing.TB) *agreement.Agreement {
	t.Helper()
	a, err := agreement.Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatalf("example agreement: %v", err)
	}
	return a
}

func featureByID(fc *geojson.FeatureCollection, id string) *geojson.Feature {
	for _, f := range fc.Features {
		if f.Properties["id"] == id {
			return f
		}
	}
	return nil
}

func TestAgreementZones(t *testing.T) {
	a := loadExample(t)
	kyiv := a.Location()
	first := time.Date(2100, 1, 1, 0, 0, 0, 0, kyiv) // before every phase
	for _, z := range a.Zones {
		for _, ph := range z.Phases {
			if from, err := ph.From.In(kyiv); err == nil && from.Before(first) {
				first = from
			}
		}
	}
	before := AgreementZones(a, first.Add(-time.Hour))
	for _, z := range a.Zones {
		f := featureByID(before, z.ID)
		if len(z.Phases) > 0 && z.Geometry == nil {
			if f != nil {
				t.Errorf("zone %s drawn before its first phase", z.ID)
			}
			continue
		}
		if f == nil {
			t.Errorf("zone %s (%s) missing from the map", z.ID, z.Kind)
			continue
		}
		if f.Properties["kind"] != string(z.Kind) || f.Properties["name"] != z.Name {
			t.Errorf("zone %s: properties %v", z.ID, f.Properties)
		}
		if z.Kind == agreement.HoldingArea && len(z.Inventory) > 0 && f.Properties["inventory"] == nil {
			t.Errorf("holding area %s without its inventory", z.ID)
		}
		if z.Party != "" && f.Properties["party_index"] == nil {
			t.Errorf("zone %s of party %s has no party_index", z.ID, z.Party)
		}
	}
	// On the first day of each phase the zone is drawn with that phase.
	phases := 0
	for _, z := range a.Zones {
		for _, ph := range z.Phases {
			from, err := ph.From.In(kyiv)
			if err != nil {
				t.Fatal(err)
			}
			phases++
			f := featureByID(AgreementZones(a, from.Add(time.Hour)), z.ID)
			if f == nil || f.Properties["phase"] != ph.ID {
				t.Errorf("zone %s on %s: %v, want phase %s", z.ID, ph.From, f, ph.ID)
			}
		}
	}
	if phases == 0 {
		t.Log("the example agreement has no phased zone; phases untested here")
	}
}

// TestBufferDrawing checks the security zone's drawn edge against the exact
// geodesic distance from the contact line: every vertex of the outline lies
// near the buffer's width, the outline does not cross itself, and the area
// holds the line but not points far beyond the width.
func TestBufferDrawing(t *testing.T) {
	a := loadExample(t)
	at := time.Date(2027, 1, 1, 0, 0, 0, 0, a.Location())
	zone := a.Zone("security-zone")
	if zone == nil {
		t.Skip("the example agreement has no security-zone buffer")
	}
	contact := a.Zone(zone.Of).GeometryAt(at)
	line, err := geo.NewLine(contact)
	if err != nil {
		t.Fatal(err)
	}
	f := featureByID(AgreementZones(a, at), "security-zone")
	if f == nil {
		t.Fatal("buffer not drawn")
	}
	poly, ok := f.Geometry.(orb.Polygon)
	if !ok {
		t.Fatalf("buffer geometry %T", f.Geometry)
	}
	if issues := geo.Validate(poly); len(issues) > 0 {
		t.Errorf("buffer polygon invalid: %v", issues)
	}
	ends := contact.(orb.LineString)
	for _, p := range poly[0] {
		if p == ends[0] || p == ends[len(ends)-1] {
			continue
		}
		// Mitred corners stand further out (up to the cap); where the line
		// bends within the width, an outline vertex can come nearer to
		// another stretch of the line than the width.
		if d := line.DistanceKm(p); d < zone.DistanceKm*0.85 || d > zone.DistanceKm*2.01 {
			t.Errorf("outline vertex %v is %.1f km from the line, want about %.0f", p, d, zone.DistanceKm)
		}
	}
	mid := ends[len(ends)/2]
	if !geo.Contains(poly, mid) {
		t.Errorf("buffer does not contain the line's vertex %v", mid)
	}
	if far := (orb.Point{mid[0], mid[1] + 1.5}); geo.Contains(poly, far) { // ~165 km north
		t.Errorf("buffer contains %v, %.0f km from the line", far, line.DistanceKm(far))
	}
}

func TestBufferSides(t *testing.T) {
	line := orb.LineString{{35, 48}, {36, 48}} // eastwards: left is north
	north, south := orb.Point{35.5, 48.1}, orb.Point{35.5, 47.9}
	tests := []struct {
		side         geo.Side
		north, south bool
	}{
		{geo.On, true, true},
		{geo.Left, true, false},
		{geo.Right, false, true},
	}
	for _, tt := range tests {
		p := bufferPolygon(line, 20, tt.side)
		if geo.Contains(p, north) != tt.north || geo.Contains(p, south) != tt.south {
			t.Errorf("side %v: north %v south %v, want %v %v", tt.side, geo.Contains(p, north), geo.Contains(p, south), tt.north, tt.south)
		}
	}
	if bufferPolygon(orb.LineString{{35, 48}, {35, 48}}, 10, geo.On) != nil {
		t.Error("a line of one point has no buffer")
	}
}

// TestBufferTowardsParty draws a one-sided buffer on the side of a party's
// controlled area, whichever way the line runs.
func TestBufferTowardsParty(t *testing.T) {
	north := orb.Polygon{{{34, 48.5}, {37, 48.5}, {37, 50}, {34, 50}, {34, 48.5}}}
	for _, line := range []orb.LineString{{{35, 48}, {36, 48}}, {{36, 48}, {35, 48}}} {
		a := &agreement.Agreement{
			Parties: []*agreement.Party{{ID: "south"}, {ID: "north"}},
			Zones: []*agreement.Zone{
				{ID: "line", Kind: agreement.ContactLine, Geometry: line},
				{ID: "north-area", Kind: agreement.ControlledArea, Party: "north", Geometry: north},
				{ID: "buf", Kind: agreement.Buffer, Of: "line", DistanceKm: 20, Towards: "north"},
			},
		}
		f := featureByID(AgreementZones(a, testNow), "buf")
		if f == nil {
			t.Fatalf("line %v: no buffer drawn", line)
		}
		if !geo.Contains(f.Geometry, orb.Point{35.5, 48.1}) || geo.Contains(f.Geometry, orb.Point{35.5, 47.9}) {
			t.Errorf("line %v: buffer not on the north side", line)
		}
		if got := featureByID(AgreementZones(a, testNow), "north-area").Properties["party_index"]; got != 1 {
			t.Errorf("party_index %v, want 1", got)
		}
	}
}
