package observation

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func testRecord() Record {
	r := Record{
		Observation: validObservation(),
		ReceivedAt:  time.Date(2026, 11, 20, 6, 20, 1, 0, time.UTC),
		PrincipalID: "p-monitor-7",
		Seq:         42,
	}
	r.Signature = strings.Repeat("A", 86) + "=="
	return r
}

func TestPublicLeavesOutIdentifyingFields(t *testing.T) {
	r := testRecord()
	b, err := CanonicalPublic(Public(r))
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "testdata/public.golden", b)
	for _, secret := range []string{r.Reporter, r.PrincipalID, r.Signature, r.Narrative, r.Evidence[0],
		r.Attribution.Party, r.Provenance.FileSHA256, r.Provenance.SourceID, "bearing", "47.9734", "seq"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("public projection contains %q:\n%s", secret, b)
		}
	}
}

func TestPublicCoarsensPositions(t *testing.T) {
	r := testRecord()
	p := Public(r)
	for _, tt := range []struct {
		name      string
		in, out   *Position
		grid      float64
		wantLat   float64
		wantLon   float64
		minWidenM float64
	}{
		{"target", r.Target, p.Target, PublicGridDeg, 48, 37.75, 3900},
		{"origin", r.Origin, p.Origin, PublicGridDeg, 48, 37.8, 3900},
		{"observer", r.Observer, p.Observer, PublicObserverGridDeg, 48, 37.75, 19000},
	} {
		if tt.out.Lat != tt.wantLat || tt.out.Lon != tt.wantLon {
			t.Errorf("%s at %v,%v, want %v,%v", tt.name, tt.out.Lat, tt.out.Lon, tt.wantLat, tt.wantLon)
		}
		// The public circle must contain the reported circle.
		moved := math.Hypot(tt.out.Lat-tt.in.Lat, tt.out.Lon-tt.in.Lon) * metresPerDegree
		if tt.out.UncertaintyM < tt.in.UncertaintyM+moved || tt.out.UncertaintyM < tt.in.UncertaintyM+tt.minWidenM {
			t.Errorf("%s uncertainty %v does not cover %v + %v", tt.name, tt.out.UncertaintyM, tt.in.UncertaintyM, moved)
		}
	}
	// Public must not alias or modify the record's positions.
	if r.Target.Lat != 47.9812 {
		t.Fatal("Public modified the record")
	}
}

func TestPublicGridEdges(t *testing.T) {
	for _, tt := range []struct{ lat, lon, wantLat, wantLon float64 }{
		{90, 180, 90, 180},
		{-90, -180, -90, 180},
		{-0.01, -0.01, 0, 0},
		{48.074, 37.126, 48.05, 37.15},
	} {
		p := coarsen(&Position{Lat: tt.lat, Lon: tt.lon}, PublicGridDeg)
		if p.Lat != tt.wantLat || p.Lon != tt.wantLon {
			t.Errorf("coarsen(%v,%v) = %v,%v, want %v,%v", tt.lat, tt.lon, p.Lat, p.Lon, tt.wantLat, tt.wantLon)
		}
	}
}

// TestPublicRadiusHidesReportedRadius: devices report fixed radii (a
// camera's 37 m), so a public radius that keeps the reported one to the
// metre links observations of one source across grid cells.
func TestPublicRadiusHidesReportedRadius(t *testing.T) {
	for _, grid := range []float64{PublicGridDeg, PublicObserverGridDeg} {
		at := func(lat, lon, r float64) float64 {
			return coarsen(&Position{Lat: lat, Lon: lon, UncertaintyM: r}, grid).UncertaintyM
		}
		if a, b := at(48.01, 37.76, 37), at(48.51, 38.12, 40); a != b {
			t.Errorf("grid %v: radii 37 m and 40 m publish as %v and %v", grid, a, b)
		}
		for _, r := range []float64{0, 37, 400, 1500, 9999, MaxUncertaintyM} {
			got := at(48.01, 37.76, r)
			if math.Mod(got, PublicRadiusStepM) != 0 {
				t.Errorf("grid %v: radius %v publishes as %v, not a multiple of %v", grid, r, got, PublicRadiusStepM)
			}
			if got < r+math.Sqrt2*grid/2*metresPerDegree || got >= r+math.Sqrt2*grid/2*metresPerDegree+PublicRadiusStepM {
				t.Errorf("grid %v: radius %v publishes as %v", grid, r, got)
			}
		}
	}
}

// TestPublicFireDirection: fire.direction is free text in the signed body;
// only a closed compass form reaches the public, never other text.
func TestPublicFireDirection(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"W to E", "W to E"},
		{"w to e", "W to E"},
		{" NW  to  SE ", "NW to SE"},
		{"W→E", "W to E"},
		{"W-E", "W to E"},
		{"N to N", ""},
		{"WNW to E", ""},
		{"from Petro's garden to the school", ""},
		{"W to E (seen by Ivan)", ""},
		{"", ""},
	} {
		r := testRecord()
		r.Fire.Direction = tt.in
		if got := Public(r).FireDirection; got != tt.want {
			t.Errorf("fire.direction %q publishes as %q, want %q", tt.in, got, tt.want)
		}
	}
}
