package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/store"
	"github.com/pactwatch/pactwatch/store/storetest"
	"github.com/pactwatch/pactwatch/vocab"
)

// reportData makes a data folder with observations near Horlivka: on
// 20 November 2026 (Kyiv time) explosions of counts 1, 2 and 3, and on
// the 19th a burst of fire of count 1.
func reportData(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, dataDBName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	horlivka := &observation.Position{Lat: 48.3, Lon: 38.14, UncertaintyM: 500}
	var recs []observation.Record
	var leaves []store.Leaf
	add := func(i int, cat vocab.Category, at string) {
		tm, _ := time.Parse(time.RFC3339, at)
		r, l := storetest.Obs(i, cat, tm, horlivka)
		recs, leaves = append(recs, r), append(leaves, l)
	}
	add(0, vocab.Explosion, "2026-11-20T08:00:00Z")
	add(1, vocab.Explosion, "2026-11-20T09:00:00Z")
	add(2, vocab.Explosion, "2026-11-20T21:30:00Z")   // 23:30 local
	add(3, vocab.BurstOfFire, "2026-11-19T21:30:00Z") // 23:30 local on the 19th
	add(4, vocab.Explosion, "2026-11-20T22:30:00Z")   // 00:30 local on the 21st
	if _, err := st.InsertObservations(ctx, recs, leaves); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReportDaily(t *testing.T) {
	dir := reportData(t)
	out, errOut, err := runCLI(t, "report", "daily", "--date", "2026-11-20", "--data", dir, "--format", "json", "--as-of", "2026-11-21T02:00:00+02:00")
	if err != nil {
		t.Fatalf("%v: %s", err, errOut)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	want := report.AreaViolations{Area: "total", Name: "Total",
		Day: report.Breakdown{Total: 6, Explosions: 6}, Previous: report.Breakdown{Total: 1, BurstsAndShots: 1},
		Change: report.Breakdown{Total: 5, Explosions: 6, BurstsAndShots: -1}}
	if r.Ceasefire.Total != want || r.Number != "324/2026" || r.Source != report.FromObservations {
		t.Errorf("report: number %s source %s total %+v", r.Number, r.Source, r.Ceasefire.Total)
	}
	if len(r.Ceasefire.Areas) != 1 || r.Ceasefire.Areas[0].Area != "donetsk" {
		t.Errorf("areas: %+v", r.Ceasefire.Areas)
	}

	for format, want := range map[string]string{
		"html":    "Daily Report 324/2026",
		"csv":     "id,source,status,time,category",
		"geojson": `"type": "FeatureCollection"`,
	} {
		out, errOut, err := runCLI(t, "report", "daily", "--date", "2026-11-20", "--data", dir, "--format", format)
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("--format %s: %v %s\n%.300s", format, err, errOut, out)
		}
	}
	out, _, err = runCLI(t, "report", "daily", "--date", "2026-11-20", "--data", dir, "--lang", "uk", "-o", filepath.Join(t.TempDir(), "r.html"))
	if err != nil || out != "" {
		t.Errorf("-o: %v, stdout %q", err, out)
	}
}

func TestReportDailyErrors(t *testing.T) {
	dir := reportData(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--date", "2026-11-31", "--data", dir}, "not a day"},
		{[]string{"--date", "2026-11-20", "--data", t.TempDir()}, "no database"},
		{[]string{"--date", "2026-11-20", "--data", dir, "--format", "pdf"}, "format"},
		{[]string{"--date", "2026-11-20", "--data", dir, "--lang", "de"}, "language"},
		{[]string{"--date", "2026-11-20", "--data", dir, "--as-of", "yesterday"}, "RFC 3339"},
		{[]string{"--date", "2099-01-01", "--data", dir}, "has not begun"},
	}
	for _, tt := range tests {
		_, errOut, err := runCLI(t, append([]string{"report", "daily"}, tt.args...)...)
		if err == nil || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: %v, stderr %q, want %q", tt.args, err, errOut, tt.want)
		}
	}
	if _, _, err := runCLI(t, "report", "weekly"); err != errUsage {
		t.Errorf("unknown report: %v", err)
	}
}

// Two reporters reporting the same explosion count twice as reports and
// once as an incident.
func TestReportDailyCluster(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, dataDBName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	p := &observation.Position{Lat: 48.3, Lon: 38.14, UncertaintyM: 300}
	r0, l0 := storetest.Obs(0, vocab.Explosion, at, p)                  // count 1, reporter-0
	r3, l3 := storetest.Obs(3, vocab.Explosion, at.Add(time.Minute), p) // count 1, reporter-1
	if _, err := st.InsertObservations(ctx, []observation.Record{r0, r3}, []store.Leaf{l0, l3}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for flag, want := range map[string]string{"--cluster=false": `"total": 2`, "--cluster": `"total": 1`} {
		out, errOut, err := runCLI(t, "report", "daily", "--date", "2026-11-20", "--data", dir, "--format", "json", flag)
		if err != nil {
			t.Fatalf("%s: %v %s", flag, err, errOut)
		}
		var r report.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(r.Ceasefire.Total.Day, "", "  ")
		if !strings.Contains(string(b), want) {
			t.Errorf("%s: day %s, want %s", flag, b, want)
		}
	}
}
