package web

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/vocab"
	"golang.org/x/text/language"
)

func newTestHandler(t testing.TB, data MapData) *Handler {
	t.Helper()
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Map: data, Location: kyiv, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h
}

func get(t testing.TB, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// pluralForms are the CLDR plural categories each catalog must give for a
// counted message (uk and ru have four, English two).
var pluralForms = map[string][]string{
	"en": {"one", "other"},
	"uk": {"few", "many", "one", "other"},
	"ru": {"few", "many", "one", "other"},
}

func readCatalog(t *testing.T, lang string) map[string]any {
	t.Helper()
	files, err := catalogFiles(lang)
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]any{}
	for _, f := range files {
		data, err := catalogFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for id, v := range m {
			if _, dup := all[id]; dup {
				t.Errorf("%s: message %q is also in another %s catalog file", f, id, lang)
			}
			all[id] = v
		}
	}
	return all
}

// TestCatalogsComplete fails when a message is missing from any of the three
// catalogs, when a counted message lacks a plural form, or when a vocabulary
// value the UI shows has no message.
func TestCatalogsComplete(t *testing.T) {
	cats := map[string]map[string]any{}
	for _, tag := range languages {
		cats[tag.String()] = readCatalog(t, tag.String())
	}
	ids := map[string]bool{}
	for _, c := range cats {
		for id := range c {
			ids[id] = true
		}
	}
	for _, c := range vocab.Categories() {
		ids["category."+string(c)] = true
		ids["family."+string(c.Family())] = true
	}
	for _, s := range Statuses {
		ids["status."+s] = true
	}
	for _, w := range vocab.WeaponClasses() {
		ids["weapon."+string(w)] = true
	}
	for _, k := range zoneKinds {
		ids["zone."+k] = true
	}
	for _, tag := range languages {
		ids["lang."+tag.String()] = true
	}
	for lang, c := range cats {
		for id := range ids {
			v, ok := c[id]
			if !ok {
				t.Errorf("%s.json: message %q missing", lang, id)
				continue
			}
			switch v := v.(type) {
			case string:
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s.json: message %q is empty", lang, id)
				}
			case map[string]any:
				var forms []string
				for f := range v {
					forms = append(forms, f)
				}
				sort.Strings(forms)
				if !slices.Equal(forms, pluralForms[lang]) {
					t.Errorf("%s.json: %q has plural forms %v, want %v", lang, id, forms, pluralForms[lang])
				}
			default:
				t.Errorf("%s.json: %q is %T, want text or plural forms", lang, id, v)
			}
		}
	}
}

// TestPagesRenderInEveryLanguage renders each page in each language; the
// handler's missing hook fails the test on any message id a template uses
// that a catalog lacks.
func TestCategoryOrderIsComplete(t *testing.T) {
	for _, c := range vocab.Categories() {
		if !slices.Contains(categoryOrder, c) {
			t.Errorf("category %s missing from categoryOrder", c)
		}
	}
	if len(categoryOrder) != len(vocab.Categories()) {
		t.Errorf("categoryOrder has %d entries, vocab %d", len(categoryOrder), len(vocab.Categories()))
	}
}

func TestPagesRenderInEveryLanguage(t *testing.T) {
	h := newTestHandler(t, newFakeMap(20))
	for _, tag := range languages {
		for _, target := range []string{"/map", "/map?category=ceasefire_violation&status=verified&from=2026-11-01&to=2026-11-20", "/nowhere"} {
			rec := get(t, h, target+sep(target)+"lang="+tag.String())
			body := rec.Body.String()
			if !strings.Contains(body, `<html lang="`+tag.String()+`">`) {
				t.Errorf("%s %s: page not in %s", tag, target, tag)
			}
			if strings.Contains(body, "⟦") {
				t.Errorf("%s %s: untranslated message in page", tag, target)
			}
		}
	}
}

func sep(target string) string {
	if strings.Contains(target, "?") {
		return "&"
	}
	return "?"
}

func TestLanguageChoice(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	tests := []struct {
		name       string
		target     string
		header     []string
		want       string
		wantCookie string
	}{
		{"default is English", "/map", nil, "en", ""},
		{"Accept-Language uk", "/map", []string{"Accept-Language", "uk-UA,uk;q=0.9,en;q=0.8"}, "uk", ""},
		{"Accept-Language ru", "/map", []string{"Accept-Language", "ru"}, "ru", ""},
		{"unsupported falls back", "/map", []string{"Accept-Language", "de-DE,fr;q=0.8"}, "en", ""},
		{"second choice used", "/map", []string{"Accept-Language", "de, uk;q=0.5"}, "uk", ""},
		{"query wins and is remembered", "/map?lang=ru", []string{"Accept-Language", "uk"}, "ru", "ru"},
		{"cookie beats Accept-Language", "/map", []string{"Accept-Language", "en", "Cookie", langCookie + "=uk"}, "uk", ""},
		{"bad query ignored", "/map?lang=xx", []string{"Accept-Language", "ru"}, "ru", ""},
		{"bad cookie ignored", "/map", []string{"Cookie", langCookie + "=<script>"}, "en", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, h, tt.target, tt.header...)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if got := rec.Header().Get("Content-Language"); got != tt.want {
				t.Errorf("language %q, want %q", got, tt.want)
			}
			var cookie string
			for _, c := range rec.Result().Cookies() {
				if c.Name == langCookie {
					cookie = c.Value
					if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
						t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax", c)
					}
				}
			}
			if cookie != tt.wantCookie {
				t.Errorf("cookie %q, want %q", cookie, tt.wantCookie)
			}
		})
	}
}

func TestLanguageLinksKeepTheFilter(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	body := get(t, h, "/map?category=explosion&lang=uk").Body.String()
	for _, want := range []string{
		`href="/map?category=explosion&amp;lang=ru"`,
		`href="/map?category=explosion&amp;lang=en"`,
		`lang="uk" hreflang="uk" data-lang="uk" aria-current="true"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

func TestLocaleFormats(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	at := time.Date(2026, 11, 22, 0, 30, 0, 0, time.UTC) // 02:30 in Kyiv
	tests := []struct {
		lang               string
		number, date, full string
	}{
		{"en", "12,345.5", "22 November 2026", "22 November 2026, 02:30 EET"},
		{"uk", "12\u00a0345,5", "22 листопада 2026 р.", "22 листопада 2026 р., 02:30 EET"},
		{"ru", "12\u00a0345,5", "22 ноября 2026 г.", "22 ноября 2026 г., 02:30 EET"},
	}
	for _, tt := range tests {
		l := h.locale(language.MustParse(tt.lang))
		if got := l.Number(12345.5); got != tt.number {
			t.Errorf("%s: Number = %q, want %q", tt.lang, got, tt.number)
		}
		if got := l.Date(at); got != tt.date {
			t.Errorf("%s: Date = %q, want %q", tt.lang, got, tt.date)
		}
		if got := l.DateTime(at); got != tt.full {
			t.Errorf("%s: DateTime = %q, want %q", tt.lang, got, tt.full)
		}
	}
	// Counted messages pick the language's plural form.
	plurals := []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 marker shown"},
		{"en", 10000, "10,000 markers shown"},
		{"uk", 1, "Показано 1 позначку"},
		{"uk", 3, "Показано 3 позначки"},
		{"uk", 11, "Показано 11 позначок"},
		{"uk", 21, "Показано 21 позначку"},
		{"ru", 5, "Показано 5 отметок"},
		{"ru", 22, "Показаны 22 отметки"},
	}
	for _, p := range plurals {
		if got := h.locale(language.MustParse(p.lang)).T("map.shown", "Count", p.n); got != p.want {
			t.Errorf("%s %d: %q, want %q", p.lang, p.n, got, p.want)
		}
	}
}

// TestPagesAreCSPCompatible checks the rendered HTML for what a strict
// Content-Security-Policy would block: inline scripts, event handler
// attributes and style attributes.
func TestPagesAreCSPCompatible(t *testing.T) {
	h := newTestHandler(t, newFakeMap(5))
	// Behind the API's middleware, which forbids everything by default.
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		h.ServeHTTP(w, r)
	})
	rec := get(t, api, "/map")
	body := rec.Body.String()
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>`), // inline script body
		regexp.MustCompile(`\son[a-z]+=`),                        // onclick= …
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`<style`),
	} {
		if m := bad.FindString(body); m != "" {
			t.Errorf("page has %q", m)
		}
	}
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(tag, " src=") {
			t.Errorf("script without src: %s", tag)
		}
	}
}

func TestStaticAssets(t *testing.T) {
	h := newTestHandler(t, newFakeMap(0))
	leaflet, err := h.assets.url("vendor/leaflet/leaflet.js")
	if err != nil {
		t.Fatal(err)
	}
	rec := get(t, h, leaflet, "Accept-Encoding", "gzip, br")
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("%s: %d %q", leaflet, rec.Code, rec.Header().Get("Cache-Control"))
	}
	if rec.Header().Get("Content-Encoding") != "gzip" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("headers %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	want, _ := staticFS.ReadFile("static/vendor/leaflet/leaflet.js")
	if string(plain) != string(want) {
		t.Error("gzip body differs from the file")
	}

	// Without gzip: the plain bytes. With the ETag: 304.
	rec = get(t, h, leaflet)
	if rec.Header().Get("Content-Encoding") != "" || rec.Body.Len() != len(want) {
		t.Errorf("plain: encoding %q, %d bytes", rec.Header().Get("Content-Encoding"), rec.Body.Len())
	}
	if rec := get(t, h, leaflet, "If-None-Match", rec.Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", rec.Code)
	}
	// A stale version still works but must be revalidated.
	stale := strings.Replace(leaflet, h.assets.version, "000000000000", 1)
	if rec := get(t, h, stale); rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("stale version: %d %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	for _, bad := range []string{"/static/" + h.assets.version + "/nope.js", "/static/", "/static/x"} {
		if rec := get(t, h, bad); rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", bad, rec.Code)
		}
	}
	// Paths out of static/ are cleaned by the mux (a redirect), never served.
	if rec := get(t, h, "/static/"+h.assets.version+"/../web.go"); rec.Code == http.StatusOK {
		t.Error("path traversal served a file")
	}
	// Relative references inside CSS resolve to served files.
	css, _ := staticFS.ReadFile("static/vendor/leaflet/leaflet.css")
	for _, m := range regexp.MustCompile(`url\((images/[^)]+)\)`).FindAllStringSubmatch(string(css), -1) {
		if rec := get(t, h, "/static/"+h.assets.version+"/vendor/leaflet/"+m[1]); rec.Code != 200 {
			t.Errorf("leaflet.css references %s: %d", m[1], rec.Code)
		}
	}
	if _, err := h.assets.url("js/nope.js"); err == nil {
		t.Error("url of a missing file: no error")
	}
}

func TestMarkersEndpoint(t *testing.T) {
	fake := newFakeMap(500)
	h := newTestHandler(t, fake)
	var resp struct {
		Columns   []string `json:"columns"`
		Markers   [][]any  `json:"markers"`
		Truncated bool     `json:"truncated"`
	}
	rec := get(t, h, "/map/markers.json?category=ceasefire_violation&status=verified&from=2026-11-01&to=2026-11-20")
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	f := fake.filters[len(fake.filters)-1]
	kyiv, _ := time.LoadLocation("Europe/Kyiv")
	if !f.From.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, kyiv)) || !f.To.Equal(time.Date(2026, 11, 21, 0, 0, 0, 0, kyiv)) {
		t.Errorf("filter window %v – %v, want 1 Nov – 21 Nov 00:00 Kyiv", f.From, f.To)
	}
	wantCats := categoriesFor("ceasefire_violation")
	if !slices.Equal(f.Categories, wantCats) || len(wantCats) != 5 || !slices.Equal(f.Statuses, []string{"verified"}) {
		t.Errorf("filter %+v", f)
	}
	if len(resp.Markers) == 0 || len(resp.Columns) != len(resp.Markers[0]) {
		t.Fatalf("%d markers, columns %v", len(resp.Markers), resp.Columns)
	}
	col := slices.Index(resp.Columns, "status")
	for _, m := range resp.Markers {
		if m[col] != "verified" {
			t.Fatalf("marker %v not verified", m)
		}
	}

	// Default window: the last 30 days, today included, in the reporting
	// time zone (across the end of summer time on 25 October).
	get(t, h, "/map/markers.json")
	f = fake.filters[len(fake.filters)-1]
	if !f.To.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, kyiv)) || !f.From.Equal(time.Date(2026, 10, 24, 0, 0, 0, 0, kyiv)) || f.Limit != maxMarkers+1 {
		t.Errorf("default filter %+v", f)
	}
	// Spring: 30 calendar days back from 10 April cross the start of
	// summer time on 29 March; the window still starts at midnight.
	get(t, h, "/map/markers.json?to=2026-04-10")
	f = fake.filters[len(fake.filters)-1]
	if !f.From.Equal(time.Date(2026, 3, 12, 0, 0, 0, 0, kyiv)) {
		t.Errorf("spring window starts %v, want 12 March 00:00 Kyiv", f.From)
	}

	bad := []struct{ query, field string }{
		{"from=yesterday", "from"},
		{"to=2026-13-01", "to"},
		{"from=2026-11-20&to=2026-11-01", "from"},
		{"category=shelling", "category"},
		{"status=confirmed", "status"},
	}
	for _, b := range bad {
		rec := get(t, h, "/map/markers.json?"+b.query)
		var e struct {
			Error struct{ Code, Field, Message string } `json:"error"`
		}
		json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != http.StatusBadRequest || e.Error.Code != "invalid" || e.Error.Field != b.field {
			t.Errorf("%s: %d %s, want 400 naming %s", b.query, rec.Code, rec.Body, b.field)
		}
		// The page shows the same mistake as a 400 page, not a 500.
		if rec := get(t, h, "/map?"+b.query); rec.Code != http.StatusBadRequest {
			t.Errorf("page %s: %d, want 400", b.query, rec.Code)
		}
	}
}

func TestMarkersGzip(t *testing.T) {
	h := newTestHandler(t, newFakeMap(200))
	plain := get(t, h, "/map/markers.json")
	rec := get(t, h, "/map/markers.json", "Accept-Encoding", "gzip")
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Body.Len() >= plain.Body.Len() {
		t.Fatalf("encoding %q, %d bytes vs %d plain", rec.Header().Get("Content-Encoding"), rec.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if string(body) != plain.Body.String() {
		t.Error("gzipped markers differ from plain ones")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                    false,
		"gzip":                true,
		"GZIP":                true,
		"br, gzip;q=0.5":      true,
		"gzip;q=0":            false,
		"gzip; q=0.0":         false,
		"deflate, br":         false,
		"x-gzip":              false,
		"identity, gzip;q=1":  true,
		"gzip;level=9;q=0.1x": true,
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Encoding", header)
		if got := acceptsGzip(req); got != want {
			t.Errorf("Accept-Encoding %q: %v, want %v", header, got, want)
		}
	}
}

func TestMarkersTruncated(t *testing.T) {
	fake := &fakeMap{}
	for range maxMarkers + 5 {
		fake.markers = append(fake.markers, Marker{ID: "x", Kind: "observation", Time: testNow.Add(-time.Hour), Category: vocab.Explosion, Status: "reported"})
	}
	h := newTestHandler(t, fake)
	var resp markersResponse
	if err := json.Unmarshal(get(t, h, "/map/markers.json").Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if !resp.Truncated || len(resp.Markers) != maxMarkers {
		t.Errorf("truncated %v with %d markers, want true with %d", resp.Truncated, len(resp.Markers), maxMarkers)
	}
}

func TestZonesEndpoint(t *testing.T) {
	fake := newFakeMap(0)
	h := newTestHandler(t, fake)
	rec := get(t, h, "/map/zones.geojson?at=2026-06-01")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/geo+json" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
		t.Fatalf("%v %s", err, rec.Body)
	}
	kyiv, _ := time.LoadLocation("Europe/Kyiv")
	if at := fake.zonesAt[len(fake.zonesAt)-1]; !at.Equal(time.Date(2026, 6, 1, 23, 59, 59, 0, kyiv)) {
		t.Errorf("zones asked at %v, want the end of 1 June in Kyiv", at)
	}
	if rec := get(t, h, "/map/zones.geojson?at=June"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad at: %d", rec.Code)
	}
}

func FuzzParseMapQuery(f *testing.F) {
	for _, s := range []string{"", "from=2026-11-01&to=2026-11-20", "category=strike&status=verified", "from=9999-99-99", "to=0001-01-01&from=0001-01-01", "category=%00"} {
		f.Add(s)
	}
	h, err := New(Options{Map: newFakeMap(0), Now: func() time.Time { return testNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		mq, err := h.parseMapQuery(q)
		if err != nil {
			return
		}
		if mq.filter.From.After(mq.filter.To) || mq.filter.Limit != maxMarkers+1 {
			t.Fatalf("%q: filter %+v", raw, mq.filter)
		}
		// The encoded filter reads back to the same filter.
		back, _ := url.ParseQuery(mq.encode())
		mq2, err := h.parseMapQuery(back)
		if err != nil || !mq2.filter.From.Equal(mq.filter.From) || !mq2.filter.To.Equal(mq.filter.To) || !slices.Equal(mq2.filter.Categories, mq.filter.Categories) {
			t.Fatalf("%q: round trip %v %+v != %+v", raw, err, mq2.filter, mq.filter)
		}
	})
}

// BenchmarkMarkersEndpoint measures the server's share of drawing a month:
// filtering and encoding 10,000 markers as JSON, plain and gzipped (each
// iteration does both).
func BenchmarkMarkersEndpoint(b *testing.B) {
	h := newTestHandler(b, newFakeMap(10000))
	var size, gzSize int
	for b.Loop() {
		size = get(b, h, "/map/markers.json").Body.Len()
		gzSize = get(b, h, "/map/markers.json", "Accept-Encoding", "gzip").Body.Len()
	}
	b.ReportMetric(float64(size), "bytes")
	b.ReportMetric(float64(gzSize), "gzip-bytes")
}

func TestMarkerLinksStayOnSite(t *testing.T) {
	for u, want := range map[string]bool{
		"/incidents/42":          true,
		"":                       false,
		"javascript:alert(1)":    false,
		"//evil.example/x":       false,
		"/\\evil.example":        false,
		"https://evil.example/x": false,
		"/a\nb":                  false,
	} {
		if got := localPath(u); got != want {
			t.Errorf("localPath(%q) = %v, want %v", u, got, want)
		}
	}
	fake := &fakeMap{markers: []Marker{
		{ID: "a", Time: testNow.Add(-time.Hour), Category: vocab.Explosion, Status: "reported", URL: "javascript:alert(1)"},
		{ID: "b", Time: testNow.Add(-time.Hour), Category: vocab.Explosion, Status: "reported", URL: "/incidents/b"},
	}}
	var resp markersResponse
	if err := json.Unmarshal(get(t, newTestHandler(t, fake), "/map/markers.json").Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	col := slices.Index(resp.Columns, "url")
	if resp.Markers[0][col] != "" || resp.Markers[1][col] != "/incidents/b" {
		t.Errorf("urls %v, %v", resp.Markers[0][col], resp.Markers[1][col])
	}
}

// FuzzRequestHeaders feeds arbitrary Accept-Language, cookie, ?lang= and
// Accept-Encoding values: the page must pick one of its three languages and
// never fail.
func FuzzRequestHeaders(f *testing.F) {
	f.Add("uk-UA,uk;q=0.9", "ru", "en", "gzip")
	f.Add("*", "", "xx", "gzip;q=0")
	f.Add("de;q=abc, ru;q=0.1", "<script>", "", "br, GZIP ;q=0.5")
	h, err := New(Options{Map: newFakeMap(0), Now: func() time.Time { return testNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, accept, cookie, lang, encoding string) {
		req := httptest.NewRequest(http.MethodGet, "/map", nil)
		req.URL.RawQuery = url.Values{"lang": {lang}}.Encode()
		req.Header.Set("Accept-Language", accept)
		req.Header.Set("Accept-Encoding", encoding)
		req.AddCookie(&http.Cookie{Name: langCookie, Value: url.QueryEscape(cookie)})
		rec := httptest.NewRecorder()
		tag := h.pickLanguage(rec, req)
		if !slices.Contains(languages, tag) {
			t.Fatalf("picked %v", tag)
		}
		acceptsGzip(req)
	})
}
