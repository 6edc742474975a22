package web

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestMapPageGolden compares the rendered map page in each language with
// testdata/map.<lang>.html, so a change to the templates or catalogs shows
// up as a reviewable diff. The static version hash is replaced by "VERSION"
// (it changes with every asset). Regenerate with: go test ./web -run Golden -update
func TestMapPageGolden(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	for _, tag := range languages {
		lang := tag.String()
		t.Run(lang, func(t *testing.T) {
			got := get(t, h, "/map?lang="+lang+"&category=strike&from=2026-11-01&to=2026-11-20").Body.String()
			got = strings.ReplaceAll(got, "/static/"+h.assets.version+"/", "/static/VERSION/")
			path := filepath.Join("testdata", "map."+lang+".html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("map page in %s differs from %s (run with -update and review the diff)", lang, path)
			}
		})
	}
}
