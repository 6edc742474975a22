package agreement

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// withZones returns the minimal agreement with extra zones appended (YAML
// list items, indented by two spaces).
func withZones(t *testing.T, zones string) []byte {
	t.Helper()
	base, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(base, []byte("\ncommitments:"))
	return append(append(base[:i:i], "\n"+strings.TrimSuffix(zones, "\n")...), base[i:]...)
}

const lineFile = `{"type": "LineString", "coordinates": [[30.123456, 48], [31, 48.5], [32, 48]]}`

// One file named by many zones (under two spellings of its path) is read,
// decoded and prepared once, and inlined once in the canonical form.
func TestZoneFileReadOnce(t *testing.T) {
	var zones strings.Builder
	for i := range 50 {
		name := "zones/line.geojson"
		if i%2 == 1 {
			name = "./zones/../zones/line.geojson"
		}
		fmt.Fprintf(&zones, "  - {id: z%d, kind: contact_line, file: %q}\n", i, name)
	}
	reads := map[string]int{}
	a, err := Parse("a.yaml", withZones(t, zones.String()), func(name string) ([]byte, error) {
		reads[name]++
		if name != "zones/line.geojson" {
			return nil, fs.ErrNotExist
		}
		return []byte(lineFile), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) != 1 || reads["zones/line.geojson"] != 1 {
		t.Errorf("reads %v, want zones/line.geojson once", reads)
	}
	if n := bytes.Count(a.CanonicalJSON(), []byte("30.123456")); n != 1 {
		t.Errorf("the file's content is %d times in the canonical form, want once", n)
	}
	if a.Zone("z0").Line() == nil || a.Zone("z0").Line() != a.Zone("z49").Line() {
		t.Errorf("zones of one file do not share one prepared line")
	}
	// Every zone still measures against the file's line.
	if km := a.Zone("z1").Line().DistanceKm(a.Zone("z1").Geometry.Bound().Center()); km > 100 {
		t.Errorf("z1: %v km", km)
	}
}

// The zone files together, and the number of zones, are bounded: a short
// agreement cannot make the checker read gigabytes.
func TestZoneLimits(t *testing.T) {
	var zones strings.Builder
	n := MaxZoneBytes/MaxZoneFileSize + 1
	for i := range n {
		fmt.Fprintf(&zones, "  - {id: z%d, kind: contact_line, file: zones/%d.geojson}\n", i, i)
	}
	big := append([]byte(lineFile), bytes.Repeat([]byte(" "), MaxZoneFileSize-len(lineFile))...)
	_, err := Parse("a.yaml", withZones(t, zones.String()), func(string) ([]byte, error) { return big, nil })
	var ps Problems
	if !errors.As(err, &ps) || !strings.Contains(err.Error(), fmt.Sprintf("zones[%d].file: zones/%d.geojson: zone files together exceed the 16 MiB limit", n, n-1)) {
		t.Errorf("total size: got %v", err)
	}

	zones.Reset()
	for i := range MaxZones {
		fmt.Fprintf(&zones, "  - {id: z%d, kind: contact_line, geometry: {type: LineString, coordinates: [[30, 48], [31, 48]]}}\n", i)
	}
	_, err = Parse("a.yaml", withZones(t, zones.String()), nil)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("zones: %d zones and phases", MaxZones+1)) {
		t.Errorf("zone count: got %v", err)
	}
}
