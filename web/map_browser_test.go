package web

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pactwatch/pactwatch/web/webtest"
	"golang.org/x/text/language"
)

const mapReady = `document.getElementById("map") && document.getElementById("map").dataset.ready === "true"`

// markersDrawn counts what Leaflet put in the DOM: each cluster icon shows
// how many markers it stands for, plus the markers drawn on their own.
const markersDrawn = `(() => {
  let n = document.querySelectorAll(".leaflet-marker-pane .pw-marker").length;
  document.querySelectorAll(".leaflet-marker-pane .marker-cluster span").forEach(s => { n += parseInt(s.textContent, 10) || 0; });
  return n;
})()`

// TestMapPageInBrowser loads a month of demo-sized data (10,000 incidents)
// in headless Chromium and checks that the basemap, every zone kind and every
// marker are drawn, with no console error or CSP violation.
func TestMapPageInBrowser(t *testing.T) {
	b := webtest.NewBrowser(t)
	const n = 10000
	fake := newExampleMap(t, n)
	srv := httptest.NewServer(newTestHandler(t, fake))
	defer srv.Close()

	b.Do(chromedp.Navigate(srv.URL + "/map?lang=en"))
	b.WaitTrue(mapReady)

	if got := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("path.basemap").length`)); got < 50 {
		t.Errorf("basemap: %d country paths drawn, want ≥ 50", got)
	}
	if got := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("path.basemap-ua").length`)); got != 1 {
		t.Errorf("Ukraine drawn as %d paths, want 1 (Crimea merged)", got)
	}
	for _, kind := range []string{"contact_line", "party_line", "buffer", "controlled_area", "holding_area", "demilitarised", "territory"} {
		if got := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll("path.zone-`+kind+`").length`)); got == 0 {
			t.Errorf("zone kind %s not drawn", kind)
		}
	}
	if got := webtest.Run(b, chromedp.Evaluate[string](`document.getElementById("map").dataset.markerCount`)); got != "10000" {
		t.Errorf("map reports %s markers, want %d", got, n)
	}
	if got := webtest.Run(b, chromedp.Evaluate[int](markersDrawn)); got != n {
		t.Errorf("clusters and markers in the DOM stand for %d markers, want %d", got, n)
	}
	if got := webtest.Run(b, chromedp.Evaluate[int](`document.querySelectorAll(".marker-cluster").length`)); got == 0 || got > 500 {
		t.Errorf("%d clusters when zoomed out, want clustering", got)
	}
	// The summary table adds up to every marker.
	summed := webtest.Run(b, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("#map-summary tbody td:nth-of-type(1)")).reduce((n, td) => n + parseInt(td.textContent.replace(/\D/g, ""), 10), 0)`))
	if summed != n {
		t.Errorf("summary table counts %d markers, want %d", summed, n)
	}
	status := webtest.Run(b, chromedp.Text("#map-status"))
	if status != "10,000 markers shown" {
		t.Errorf("status %q", status)
	}
	renderMs := webtest.Run(b, chromedp.Evaluate[string](`document.getElementById("map").dataset.renderMs`))
	loadMs := webtest.Run(b, chromedp.Evaluate[float64](`performance.now()`))
	t.Logf("10,000 markers: %s ms from request to drawn; page ready within %.0f ms of navigation start", renderMs, loadMs)
	b.Screenshot("map-10k-en")

	// The filter form reloads only the markers, and keeps the filter in the URL.
	b.Do(
		chromedp.SetValue(chromedp.CSS("#f-category"), "movement_restriction"),
		chromedp.Click(chromedp.CSS("#map-filter button")),
	)
	want := 0
	for _, m := range fake.markers {
		if m.Category == "movement_restriction" {
			want++
		}
	}
	b.WaitTrue(mapReady + ` && document.getElementById("map").dataset.markerCount === "` + strconv.Itoa(want) + `"`)
	if loc := webtest.Run(b, chromedp.Location()); !strings.Contains(loc, "category=movement_restriction") {
		t.Errorf("URL %s lacks the filter", loc)
	}
	if got := webtest.Run(b, chromedp.Evaluate[int](markersDrawn)); got != want {
		t.Errorf("filtered: %d markers drawn, want %d", got, want)
	}
	b.NoConsoleErrors()
}

// newIncidentMapHandler serves the incident map over testIncidents: the
// public projection for the public, the full map for analysts, with the
// observation layer behind both.
func newIncidentMapHandler(t testing.TB, src *mapIncidents) *Handler {
	t.Helper()
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{
		Map:       IncidentMap{Incidents: src, Observations: newObsLayer(), Public: true},
		FullMap:   IncidentMap{Incidents: src, Observations: newObsLayer()},
		Incidents: src,
		Location:  kyiv,
		Now:       func() time.Time { return testNow },
		Sessions:  testSessions,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h
}

// TestIncidentMapInBrowser checks what the public and an analyst see of
// the incidents: the public one verified incident, no status filter, its
// popup without a grade; the analyst every status but merged, markers
// shaped by family and filled by status, a status filter and the
// observation layer.
func TestIncidentMapInBrowser(t *testing.T) {
	b := webtest.NewBrowser(t)
	srv := httptest.NewServer(newIncidentMapHandler(t, testIncidents()))
	defer srv.Close()
	count := func() string {
		return webtest.Run(b, chromedp.Evaluate[string](`document.getElementById("map").dataset.markerCount`))
	}

	b.Do(chromedp.Navigate(srv.URL + "/map?lang=en"))
	b.WaitTrue(mapReady)
	if got := count(); got != "1" {
		t.Errorf("public: %s markers, want 1 (the verified incident)", got)
	}
	if webtest.Run(b, chromedp.Evaluate[bool](`document.getElementById("f-status") !== null`)) {
		t.Error("public: the map offers a status filter")
	}
	marker := `document.querySelector(".leaflet-marker-pane .pw-marker")`
	if use := webtest.Run(b, chromedp.Evaluate[string](marker+`.querySelector("use").getAttribute("href")`)); !strings.HasSuffix(use, "#fam-ceasefire_violation") {
		t.Errorf("public marker shape %q, want the ceasefire violation symbol", use)
	}
	if fill := webtest.Run(b, chromedp.Evaluate[string](`getComputedStyle(`+marker+`.querySelector("svg")).fill`)); fill != "rgb(198, 40, 40)" {
		t.Errorf("verified marker filled %s, want the verified colour", fill)
	}
	// The shapes are drawn: the sprite loaded and the symbol has a size.
	b.WaitTrue(marker + `.querySelector("use").getBBox().width > 0`)
	b.Do(chromedp.Click(chromedp.CSS(".leaflet-marker-pane .pw-marker")))
	b.WaitTrue(`document.querySelector(".pw-popup") !== null && document.querySelector("path.pw-uncertainty") !== null`)
	popup := webtest.Run(b, chromedp.Text(".pw-popup"))
	if strings.Contains(popup, "Grade") || !strings.Contains(popup, "Position") || !strings.Contains(popup, "Reports") {
		t.Errorf("public popup %q: want position and reports, no grade", popup)
	}
	b.Screenshot("public")

	// An analyst signs in and sees every status.
	b.Do(
		chromedp.Navigate(srv.URL+"/login?lang=en&next=/map"),
		chromedp.SetValue(chromedp.CSS("#l-token"), "analyst-token"),
		chromedp.Click(chromedp.CSS("main form button")),
	)
	b.WaitTrue(`location.pathname === "/map" && ` + mapReady)
	if got := count(); got != "5" {
		t.Errorf("analyst: %s markers, want 5", got)
	}
	// Clusters re-form (animated) when the view fits the zones: wait until
	// the DOM settles on the five markers.
	b.WaitTrue(markersDrawn + ` === 5`)
	b.Do(
		chromedp.SetValue(chromedp.CSS("#f-status"), "rejected"),
		chromedp.Click(chromedp.CSS("#map-filter button")),
	)
	b.WaitTrue(mapReady + ` && document.getElementById("map").dataset.markerCount === "1"`)
	b.Do(
		chromedp.SetValue(chromedp.CSS("#f-status"), ""),
		chromedp.SetValue(chromedp.CSS("#f-layer"), "observations"),
		chromedp.Click(chromedp.CSS("#map-filter button")),
	)
	b.WaitTrue(mapReady + ` && document.getElementById("map").dataset.markerCount === "1"`)
	if loc := webtest.Run(b, chromedp.Location()); !strings.Contains(loc, "layer=observations") {
		t.Errorf("URL %s lacks the layer", loc)
	}
	if kind := webtest.Run(b, chromedp.Evaluate[string](marker+`.className`)); !strings.Contains(kind, "pw-st-reported") {
		t.Errorf("observation marker %q, want reported", kind)
	}
	b.Screenshot("analyst-observations")
	b.NoConsoleErrors()
}

// TestMapLanguageSwitch follows the language links and checks that the page's
// strings, the status line's plural form and the popup change language, and
// that the choice sticks.
func TestMapLanguageSwitch(t *testing.T) {
	b := webtest.NewBrowser(t)
	h := newTestHandler(t, newFakeMap(3))
	srv := httptest.NewServer(h)
	defer srv.Close()

	b.Do(chromedp.Navigate(srv.URL + "/map"))
	b.WaitTrue(mapReady)
	if h1 := webtest.Run(b, chromedp.Text("h1")); h1 != "Map of incidents" {
		t.Errorf("default h1 %q", h1)
	}
	steps := []struct {
		lang, h1, status, popupLabel string
	}{
		{"uk", "Мапа інцидентів", "Показано 3 позначки", "Категорія"},
		{"ru", "Карта инцидентов", "Показаны 3 отметки", "Категория"},
		{"en", "Map of incidents", "3 markers shown", "Category"},
	}
	for _, s := range steps {
		b.Do(chromedp.Click(chromedp.CSS(`.lang-switch a[data-lang="` + s.lang + `"]`)))
		b.WaitTrue(`document.documentElement.lang === "` + s.lang + `" && ` + mapReady)
		if h1 := webtest.Run(b, chromedp.Text("h1")); h1 != s.h1 {
			t.Errorf("%s: h1 %q, want %q", s.lang, h1, s.h1)
		}
		if st := webtest.Run(b, chromedp.Text("#map-status")); st != s.status {
			t.Errorf("%s: status %q, want %q", s.lang, st, s.status)
		}
		// Open a marker's popup: zoom to the markers so they stand alone.
		b.WaitTrue(`document.querySelector(".leaflet-marker-pane .pw-marker, .leaflet-marker-pane .marker-cluster") !== null`)
		clickMarker(b)
		b.WaitTrue(`document.querySelector(".pw-popup") !== null && getComputedStyle(document.querySelector(".leaflet-popup")).opacity === "1"`)
		popup := webtest.Run(b, chromedp.Text(".pw-popup"))
		if !strings.Contains(popup, s.popupLabel) || !strings.Contains(popup, "<b>not bold</b>") {
			t.Errorf("%s: popup %q lacks %q or the narrative as submitted", s.lang, popup, s.popupLabel)
		}
		// Leaflet's own controls speak the page's language too.
		l := h.locale(language.MustParse(s.lang))
		for sel, id := range map[string]string{
			".leaflet-control-zoom-in":       "map.zoom_in",
			".leaflet-control-layers-toggle": "map.layers",
			".leaflet-popup-close-button":    "map.close",
		} {
			label := webtest.Run(b, chromedp.Evaluate[string](`document.querySelector("`+sel+`").getAttribute("aria-label")`))
			if want := l.T(id); label != want {
				t.Errorf("%s: %s labelled %q, want %q", s.lang, sel, label, want)
			}
		}
		b.Screenshot("map-popup-" + s.lang)
	}
	// The last choice is remembered by the cookie.
	b.Do(chromedp.Navigate(srv.URL + "/map"))
	b.WaitTrue(mapReady)
	if lang := webtest.Run(b, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "en" {
		t.Errorf("after reload: lang %q, want en", lang)
	}

	// A phone-sized screen: the map still fills the width below the filters.
	b.Do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.URL+"/map?lang=uk"))
	b.WaitTrue(mapReady)
	rect := webtest.Run(b, chromedp.Evaluate[map[string]float64](`document.getElementById("map").getBoundingClientRect().toJSON()`))
	if rect["width"] < 380 || rect["top"] > 200 || rect["height"] < 400 {
		t.Errorf("map at %v on a 390×844 screen: want it full width, near the top, most of the height", rect)
	}
	b.Screenshot("map-phone-uk")
	b.NoConsoleErrors()
}

// clickMarker clicks clusters until a single marker shows, then clicks it.
func clickMarker(b *webtest.Browser) {
	for range 12 {
		if webtest.Run(b, chromedp.Evaluate[bool](`document.querySelector(".leaflet-marker-pane .pw-marker") !== null`)) {
			b.Do(chromedp.Click(chromedp.CSS(".leaflet-marker-pane .pw-marker")))
			return
		}
		b.Do(chromedp.Click(chromedp.CSS(".leaflet-marker-pane .marker-cluster")))
		b.WaitTrue(`!document.querySelector(".leaflet-zoom-anim")`)
	}
}

// contrastJS returns, for each element matching the selector, its text's
// WCAG contrast ratio against the first opaque background behind it.
const contrastJS = `(sel) => {
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bg = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] === 1) { return c.slice(0, 3); }
    }
    return [255, 255, 255];
  };
  return Array.from(document.querySelectorAll(sel)).map(el => {
    const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(bg(el));
    return { text: el.textContent.trim().slice(0, 40), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
  });
}`

// TestMapAccessibility checks what a keyboard user and a low-vision user
// meet: the skip link leads to the content, markers open their popup with
// Enter, form fields have labels, and text has WCAG AA contrast (4.5:1).
func TestMapAccessibility(t *testing.T) {
	b := webtest.NewBrowser(t)
	srv := httptest.NewServer(newTestHandler(t, newFakeMap(3)))
	defer srv.Close()
	b.Do(chromedp.Navigate(srv.URL + "/map?lang=uk"))
	b.WaitTrue(mapReady)

	// The first Tab reaches the skip link, and following it moves focus to main.
	b.Do(chromedp.KeyEvent("\t"))
	if got := webtest.Run(b, chromedp.Evaluate[string](`document.activeElement.className`)); got != "skip" {
		t.Errorf("first Tab focuses %q, want the skip link", got)
	}
	b.Do(chromedp.KeyEvent("\r"))
	b.WaitTrue(`document.activeElement && document.activeElement.id === "content"`)

	// Every form control has a label.
	unlabelled := webtest.Run(b, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("input, select")).filter(e => !e.labels || e.labels.length === 0).map(e => e.id || e.name)`))
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %v", unlabelled)
	}

	// A marker is reachable by keyboard and Enter opens its popup.
	clickMarker(b) // zoom until a single marker shows
	b.Do(chromedp.Click(chromedp.CSS(".leaflet-popup-close-button")))
	b.WaitTrue(`document.querySelector(".pw-popup") === null`)
	if tab := webtest.Run(b, chromedp.Evaluate[string](`document.querySelector(".leaflet-marker-pane .pw-marker").getAttribute("tabindex")`)); tab != "0" {
		t.Errorf("marker tabindex %q, want 0", tab)
	}
	b.Do(chromedp.Focus(chromedp.CSS(".leaflet-marker-pane .pw-marker")), chromedp.KeyEvent("\r"))
	b.WaitTrue(`document.querySelector(".pw-popup") !== null`)

	type contrast struct {
		Text  string  `json:"text"`
		Ratio float64 `json:"ratio"`
	}
	lowest := contrast{Ratio: 21}
	for _, sel := range []string{"h1", "label", ".map-status", ".map-period", ".site-nav a", ".lang-switch a", ".brand-name", ".brand-tagline", ".legend li", ".legend p", ".site-footer p", "button", ".leaflet-control-attribution"} {
		for _, c := range webtest.Run(b, chromedp.Evaluate[[]contrast]("("+contrastJS+")("+strconv.Quote(sel)+")")) {
			if c.Ratio < lowest.Ratio {
				lowest = c
			}
			if c.Ratio < 4.5 {
				t.Errorf("%s %q: contrast %.2f:1, want ≥ 4.5:1", sel, c.Text, c.Ratio)
			}
		}
	}
	t.Logf("lowest text contrast: %.2f:1 (%q)", lowest.Ratio, lowest.Text)
	b.NoConsoleErrors()
}

// BenchmarkMapPageInBrowser measures what a user waits for: the map page
// with a month of demo-sized data (10,000 incidents) from navigation until
// every marker is clustered on the map, in headless Chromium. It reports
// page-ms (navigation start to ready), markers-ms (the markers' request to
// drawn, which the page itself measures) and basemap-drawn-at-ms (since
// navigation start). The first iteration loads the assets; later ones have
// them cached, as a returning user does. Run:
//
//	go test -run '^$' -bench MapPageInBrowser ./web
func BenchmarkMapPageInBrowser(b *testing.B) {
	br := webtest.NewBrowser(b)
	srv := httptest.NewServer(newTestHandler(b, newExampleMap(b, 10000)))
	defer srv.Close()
	var pageMs, markersMs, basemapMs float64
	for b.Loop() {
		br.Do(chromedp.Navigate(srv.URL + "/map?lang=en"))
		br.WaitTrue(mapReady)
		pageMs += webtest.Run(br, chromedp.Evaluate[float64](`performance.now()`))
		ms, _ := strconv.ParseFloat(webtest.Run(br, chromedp.Evaluate[string](`document.getElementById("map").dataset.renderMs`)), 64)
		markersMs += ms
		ms, _ = strconv.ParseFloat(webtest.Run(br, chromedp.Evaluate[string](`document.getElementById("map").dataset.basemapMs`)), 64)
		basemapMs += ms
	}
	b.ReportMetric(pageMs/float64(b.N), "page-ms")
	b.ReportMetric(markersMs/float64(b.N), "markers-ms")
	b.ReportMetric(basemapMs/float64(b.N), "basemap-drawn-at-ms")
}
