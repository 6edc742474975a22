package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"

	"github.com/pactwatch/pactwatch/vocab"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./report -update and review the diff\n--- got:\n%s", path, got)
	}
}

func fixtureReport(t *testing.T) *Report {
	t.Helper()
	r, err := Daily(fixture(t), "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGolden(t *testing.T) {
	r := fixtureReport(t)
	formats := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"daily.json", func(b *bytes.Buffer) error { return WriteJSON(b, r) }},
		{"daily.csv", func(b *bytes.Buffer) error { return WriteCSV(b, r) }},
		{"daily.geojson", func(b *bytes.Buffer) error { return WriteGeoJSON(b, r) }},
		{"daily.en.html", func(b *bytes.Buffer) error { return WriteHTML(b, r, HTMLOptions{}) }},
		{"daily.uk.html", func(b *bytes.Buffer) error { return WriteHTML(b, r, HTMLOptions{Lang: "uk"}) }},
		{"daily.ru.html", func(b *bytes.Buffer) error { return WriteHTML(b, r, HTMLOptions{Lang: "ru"}) }},
	}
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := f.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, f.name, b.Bytes())
		})
	}
}

// The JSON is the report: decoding it gives back the same report.
func TestJSONRoundTrip(t *testing.T) {
	r := fixtureReport(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	var b2 bytes.Buffer
	if err := WriteJSON(&b2, &back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Error("JSON does not round-trip")
	}
}

func TestRecord(t *testing.T) {
	r := fixtureReport(t)
	p, err := Record(r)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "report:daily:2026-11-20" || !p.Time.Equal(r.AsOf) || p.Time.Location().String() != "UTC" {
		t.Errorf("id %q time %v", p.ID, p.Time)
	}
	canon, err := jcs.Transform(p.Body)
	if err != nil || !bytes.Equal(canon, p.Body) {
		t.Errorf("body is not RFC 8785 canonical JSON (%v)", err)
	}
	// Recomputed from the same input, the record is identical: publishing
	// twice is idempotent in the store.
	p2, err := Record(fixtureReport(t))
	if err != nil || !bytes.Equal(p.Body, p2.Body) {
		t.Error("the same day as of the same time gave different record bodies")
	}
	// A different as-of time is a different body.
	in := fixture(t)
	in.AsOf = in.AsOf.Add(1)
	r3, _ := Daily(in, "2026-11-20")
	p3, _ := Record(r3)
	if bytes.Equal(p.Body, p3.Body) {
		t.Error("as_of is not in the record")
	}
	// The body holds no reporter identity and no narrative: it is public.
	for _, secret := range []string{"monitor-patrol-1", "narrative", "reporter", "principal"} {
		if bytes.Contains(p.Body, []byte(secret)) {
			t.Errorf("the published record contains %q", secret)
		}
	}
}

func TestHTMLLanguages(t *testing.T) {
	r := fixtureReport(t)
	for lang, want := range map[string][]string{
		"en": {`lang="en"`, "Daily Report 324/2026", "Donetsk region", "5 km SE of Horlivka", "20 November 2026", "area controlled by Russian Federation"},
		"uk": {`lang="uk"`, "Щоденний звіт 324/2026", "Донецька область", "від н. п. Горлівка", "20 листопада 2026 р."},
		"ru": {`lang="ru"`, "Ежедневный отчёт 324/2026", "Донецкая область", "от н. п. Горловка", "20 ноября 2026 г."},
	} {
		var b bytes.Buffer
		if err := WriteHTML(&b, r, HTMLOptions{Lang: lang}); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: no %q", lang, w)
			}
		}
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r, HTMLOptions{Stylesheet: "/static/v1/css/site.css"}); err != nil || !strings.Contains(b.String(), `<link rel="stylesheet" href="/static/v1/css/site.css">`) {
		t.Errorf("stylesheet link missing (%v)", err)
	}
	if err := WriteHTML(&bytes.Buffer{}, r, HTMLOptions{Lang: "de"}); fieldOf(err) != "lang" {
		t.Errorf("lang de: %v", err)
	}
}

func TestCatalogComplete(t *testing.T) {
	for k, n := range catalog {
		if n.En == "" || n.Uk == "" || n.Ru == "" {
			t.Errorf("catalog %q lacks a language: %+v", k, n)
		}
	}
	for _, src := range []string{FromObservations, FromIncidents, FromViolations, FromCases, FromSteps, NoData} {
		if _, ok := catalog["src_"+src]; !ok {
			t.Errorf("no catalog entry for source %q", src)
		}
	}
	for _, g := range []*Gazetteer{DefaultGazetteer()} {
		for _, a := range g.AreaList() {
			if a.Names.En == "" || a.Names.Uk == "" || a.Names.Ru == "" || a.Name != a.Names.En {
				t.Errorf("area %s: %+v", a.ID, a)
			}
		}
		for _, tw := range g.Towns {
			if tw.Names.En == "" || tw.Names.Uk == "" || tw.Names.Ru == "" || g.Area(tw.Area).ID != tw.Area {
				t.Errorf("town %s: %+v", tw.ID, tw)
			}
		}
	}
	for _, wc := range vocab.WeaponClasses() {
		if _, ok := weaponNames[wc]; !ok {
			t.Errorf("no names for weapon class %q", wc)
		}
	}
	for _, a := range vocab.ActionKinds() {
		if _, ok := actionNames[a]; !ok {
			t.Errorf("no names for action %q", a)
		}
	}
}

func TestCSVFormulaCells(t *testing.T) {
	r := fixtureReport(t)
	r.Events = []Event{{ID: "=HYPERLINK(\"x\")", Status: "@SUM(A1)", Category: "explosion", Count: 1}}
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"'=HYPERLINK(""x"")"`) || !strings.Contains(b.String(), "'@SUM(A1)") {
		t.Errorf("formula cells not neutralised:\n%s", b.String())
	}
}
