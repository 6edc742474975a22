package web

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/response"
	"golang.org/x/text/language"
)

// fixedScorecard is a scorecard as response.Score would compute it for
// two weeks of a mission: three guarantors, the mission, two commitments.
func fixedScorecard() response.Scorecard {
	w0 := time.Date(2026, 11, 1, 22, 0, 0, 0, time.UTC) // 2 November, Kyiv
	ws := []response.Window{{From: w0, Until: w0.Add(7 * 24 * time.Hour)}, {From: w0.Add(7 * 24 * time.Hour), Until: w0.Add(14 * 24 * time.Hour)}}
	tally := func(onTime, late, missed, overdue, pending int, median time.Duration) response.Tally {
		return response.Tally{Due: onTime + late + missed + overdue, OnTime: onTime, Late: late, Missed: missed, Overdue: overdue,
			Pending: pending, MedianToAct: median, MedianHours: median.Hours()}
	}
	return response.Scorecard{
		AsOf:    w0.Add(14 * 24 * time.Hour),
		Windows: ws,
		Actors: []response.ActorScore{
			{Actor: "mission", Overall: tally(4, 0, 0, 0, 0, 35*time.Minute), Windows: []response.Tally{tally(2, 0, 0, 0, 0, 2*time.Hour), tally(2, 0, 0, 0, 0, 4*time.Hour)}},
			{Actor: "uk", Guarantor: true, Overall: tally(6, 2, 1, 0, 3, 20*time.Hour+30*time.Minute),
				Windows: []response.Tally{tally(4, 1, 1, 0, 0, 18*time.Hour), tally(2, 1, 0, 0, 3, 30*time.Hour)}},
			{Actor: "us", Guarantor: true, Overall: tally(2, 3, 2, 1, 3, 50*time.Hour),
				Windows: []response.Tally{tally(1, 2, 2, 0, 0, 52*time.Hour), tally(1, 1, 0, 1, 3, 40*time.Hour)}},
			{Actor: "france", Guarantor: true, Overall: tally(0, 0, 3, 2, 3, 0),
				Windows: []response.Tally{tally(0, 0, 3, 0, 0, 0), tally(0, 0, 0, 2, 3, 0)}},
		},
		Commitments: []response.CaseCount{{ID: "ceasefire", Total: 5, Windows: []int{3, 2}}, {ID: "withdrawal-russia", Total: 1, Windows: []int{0, 1}}},
		Parties:     []response.CaseCount{{ID: "russia", Total: 5, Windows: []int{3, 2}}, {ID: "ukraine", Total: 1, Windows: []int{0, 1}}},
	}
}

// TestScorecardChartsGolden compares the two charts drawn for a fixed
// scorecard with testdata/scorecard-*.{en,uk}.svg. Regenerate with:
// go test ./web -run ScorecardChartsGolden -update
func TestScorecardChartsGolden(t *testing.T) {
	h, f := newCasesHandler(t)
	uk := &view{locale: h.locale(language.Ukrainian)}
	var ukPage scorecardPage
	ukPage.Every = "1mo"
	h.fillScorecard(uk, f.a, fixedScorecard(), &ukPage)
	v := &view{locale: h.locale(language.English)}
	var page scorecardPage
	page.Every = "7d"
	h.fillScorecard(v, f.a, fixedScorecard(), &page)
	for name, got := range map[string]string{"bars.en": string(page.BarsSVG), "cases.en": string(page.CasesSVG),
		"bars.uk": string(ukPage.BarsSVG), "cases.uk": string(ukPage.CasesSVG)} {
		path := filepath.Join("testdata", "scorecard-"+name+".svg")
		if *update {
			if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if got+"\n" != string(want) {
			t.Errorf("%s chart differs from %s (run with -update and review the diff)", name, path)
		}
	}
	// The bars are in proportion: the UK's 12 steps are the longest bar
	// (400 units), its 6 on-time steps half of it.
	if !strings.Contains(string(page.BarsSVG), `<rect class="seg seg-on_time" x="176.0" y="8.0" width="200.0" height="18.0"><title>United Kingdom — On time: 6</title>`) {
		t.Error("the UK's on-time segment is not 200 units of a 400-unit bar")
	}
	if strings.Contains(string(page.BarsSVG), "style=") || strings.Contains(string(page.CasesSVG), "style=") {
		t.Error("a chart uses inline style, which the CSP forbids")
	}
	if n := len(page.Guarantors); n != 3 || page.Others[0].ID != "mission" {
		t.Errorf("guarantors %d, others %+v", n, page.Others)
	}
	if page.Guarantors[0].Median != "20.5 h" || page.Guarantors[2].Median != "—" || page.Others[0].Median != "35 min" {
		t.Errorf("medians %q, %q, %q", page.Guarantors[0].Median, page.Guarantors[2].Median, page.Others[0].Median)
	}
}

// TestScorecardChartsEscapeNames: a guarantor's name is text, never markup.
func TestScorecardChartsEscapeNames(t *testing.T) {
	c := stackChart{ID: "x", Title: "<t>", Desc: "d", Number: func(n any) string { return "1" },
		Rows: []stackRow{{ID: `a"b`, Label: "<script>alert(1)</script>", Values: [5]int{1}}}}
	got := string(stackedBarsSVG(c))
	if strings.Contains(got, "<script>") || strings.Contains(got, "<t>") || strings.Contains(got, `a"b`) {
		t.Errorf("unescaped text in %s", got)
	}
}

func TestScorecardPage(t *testing.T) {
	h, _ := newCasesHandler(t)
	for _, tc := range []struct {
		query  string
		status int
		bars   int // stacked bars drawn
	}{
		{"", http.StatusOK, 9},
		{"every=7d", http.StatusOK, 9},
		{"every=1mo", http.StatusOK, 9},
		{"every=2d", http.StatusBadRequest, 0},
		{"every=forever", http.StatusBadRequest, 0},
	} {
		code, body := as(t, h, "/scorecard?lang=en&"+tc.query, "")
		if code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.query, code, tc.status)
			continue
		}
		if n := strings.Count(body, `<g class="bar-row"`); n != tc.bars {
			t.Errorf("%s: %d guarantor bars, want %d", tc.query, n, tc.bars)
		}
		if tc.status != http.StatusOK {
			if !strings.Contains(body, `id="scorecard-error"`) {
				t.Errorf("%s: no error shown", tc.query)
			}
			continue
		}
		// The table says what the chart draws: the UK consulted on time in
		// case-d; the US late.
		uk := regexp.MustCompile(`<tr data-actor="uk"><th scope="row">United Kingdom</th><td class="num">(\d+)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>`).FindStringSubmatch(body)
		if uk == nil || uk[2] != "1" {
			t.Errorf("%s: UK row %v, want 1 on time", tc.query, uk)
		}
		if !strings.Contains(body, `id="cases-by-commitment"`) || !strings.Contains(body, `id="chart-cases"`) {
			t.Errorf("%s: no confirmed-cases chart or table", tc.query)
		}
	}
}
