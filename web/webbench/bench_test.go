package webbench

import (
	"context"
	"os"
	"testing"
	"time"
)

// BenchmarkMonthMapPage is `pactwatch bench web` as a Go benchmark: the
// map page with 3,000 incidents (a month at 100 a day), from navigation
// until every marker is on the map, in headless Chromium. ready-ms is the
// mean over the loads (the first finds the cache empty; it loads outside
// the timed loop). Run:
//
//	go test -run '^$' -bench MonthMapPage ./web/webbench
func BenchmarkMonthMapPage(b *testing.B) {
	chromium := os.Getenv("PACTWATCH_TEST_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatalf("needs Chromium: %v", err)
		}
		b.Skipf("needs Chromium: %v", err)
	}
	url, stop, err := serve(3000)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	tab, closeBrowser, err := startBrowser(context.Background(), chromium)
	if err != nil {
		b.Fatal(err)
	}
	defer closeBrowser()
	url += "/map?lang=en"
	cold, err := loadOnce(tab, time.Minute, url)
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	n := 0
	for b.Loop() {
		l, err := loadOnce(tab, time.Minute, url)
		if err != nil {
			b.Fatal(err)
		}
		if l.Markers != 3000 {
			b.Fatalf("%d markers drawn, want 3000", l.Markers)
		}
		total += l.ReadyMs
		n++
	}
	b.ReportMetric(total/float64(n), "ready-ms")
	b.ReportMetric(cold.ReadyMs, "cold-ready-ms")
}
