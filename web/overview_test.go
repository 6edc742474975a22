package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/vocab"
)

// overviewMarkers are a few markers around Donetsk at known times before
// testNow, so the expected counts are plain arithmetic.
func overviewMarkers() *fakeMap {
	at := func(ago time.Duration, cat vocab.Category, status string, count int) Marker {
		return Marker{ID: "m" + strconv.Itoa(int(ago.Minutes())), Kind: "incident", Time: testNow.Add(-ago),
			Lat: 48.0, Lon: 37.8, Category: cat, Status: status, Count: count}
	}
	return &fakeMap{markers: []Marker{
		at(1*time.Hour, vocab.Explosion, "verified", 10),
		at(23*time.Hour, vocab.BurstOfFire, "reported", 0), // counts as 1
		at(25*time.Hour, vocab.Explosion, "verified", 5),   // the week only
		at(3*time.Hour, vocab.Explosion, "rejected", 100),  // never counted
		at(6*24*time.Hour, vocab.DroneStrike, "corroborated", 2),
		at(8*24*time.Hour, vocab.Explosion, "verified", 1000), // older than a week
	}}
}

func newOverviewHandler(t *testing.T, public, full MapData) *Handler {
	t.Helper()
	h, err := New(Options{Map: public, FullMap: full, Now: func() time.Time { return testNow },
		Ledger: fakeLedger{}, Witnesses: testWitnesses, WitnessQuorum: 1,
		Reports: newFakeReports(t), Sessions: testSessions})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h
}

var (
	tile24h = regexp.MustCompile(`id="total-24h">([^<]*)<`)
	tile7d  = regexp.MustCompile(`id="total-7d">([^<]*)<`)
)

func TestOverviewCounts(t *testing.T) {
	h := newOverviewHandler(t, overviewMarkers(), nil)
	rec := get(t, h, "/?lang=en")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /: %d", rec.Code)
	}
	body := rec.Body.String()
	if m := tile24h.FindStringSubmatch(body); m == nil || m[1] != "11" {
		t.Errorf("24 h total = %v, want 11 (10 explosions + 1 burst; rejected left out)", m)
	}
	if m := tile7d.FindStringSubmatch(body); m == nil || m[1] != "18" {
		t.Errorf("7 d total = %v, want 18", m)
	}
	for _, s := range []string{
		// By category, most in the week first, with a link to the map.
		`<tr data-key="explosion"><th scope="row"><a href="/map?category=explosion">Explosion</a></th><td class="num">10</td><td class="num">15</td></tr>`,
		`<tr data-key="drone_strike"><th scope="row"><a href="/map?category=drone_strike">Drone strike</a></th><td class="num">0</td><td class="num">2</td></tr>`,
		"Events counted from incidents",
		"Public view: positions are coarsened.",
		// The latest checkpoint and the latest reports.
		`<dd id="cp-size">1,234</dd>`,
		`href="/reports/daily/2026-11-21"`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("overview lacks %q", s)
		}
	}
	if strings.Index(body, `data-key="explosion"`) > strings.Index(body, `data-key="drone_strike"`) {
		t.Error("categories are not sorted by the week's count")
	}
}

// TestOverviewViewer: the public counts the public projection, an analyst
// the full data — the same split as the map's and the API's.
func TestOverviewViewer(t *testing.T) {
	full := overviewMarkers()
	full.markers = append(full.markers, Marker{ID: "extra", Kind: "incident", Time: testNow.Add(-time.Hour),
		Lat: 48.0, Lon: 37.8, Category: vocab.Explosion, Status: "verified", Count: 7})
	h := newOverviewHandler(t, overviewMarkers(), full)
	for _, tc := range []struct {
		name, cookie, want24h string
		publicNote            bool
	}{
		{"public", "", "11", true},
		{"analyst", "analyst-token", "18", false},
		{"liaison", "liaison-token", "11", true}, // a liaison reads only the public projection
	} {
		var header []string
		if tc.cookie != "" {
			header = []string{"Cookie", sessionCookie + "=" + tc.cookie}
		}
		body := get(t, h, "/?lang=en", header...).Body.String()
		if m := tile24h.FindStringSubmatch(body); m == nil || m[1] != tc.want24h {
			t.Errorf("%s: 24 h total %v, want %s", tc.name, m, tc.want24h)
		}
		if got := strings.Contains(body, "Public view: positions are coarsened."); got != tc.publicNote {
			t.Errorf("%s: public note shown %v, want %v", tc.name, got, tc.publicNote)
		}
	}
}

// TestOverviewEmpty: nothing reported, no ledger, no reports.
func TestOverviewEmpty(t *testing.T) {
	h := newTestHandler(t, &fakeMap{})
	body := get(t, h, "/?lang=ru").Body.String()
	for _, s := range []string{`id="total-24h">0<`, `id="total-7d">0<`} {
		if !strings.Contains(body, s) {
			t.Errorf("empty overview lacks %q", s)
		}
	}
	if strings.Contains(body, "⟦") {
		t.Error("untranslated message on the empty overview")
	}
}

func TestOverviewLanguages(t *testing.T) {
	h := newOverviewHandler(t, overviewMarkers(), nil)
	for _, lang := range []string{"en", "uk", "ru"} {
		rec := get(t, h, "/?lang="+lang)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Language") != lang || strings.Contains(rec.Body.String(), "⟦") {
			t.Errorf("%s: %d, Content-Language %q", lang, rec.Code, rec.Header().Get("Content-Language"))
		}
	}
}
