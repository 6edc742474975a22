package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/report"
)

// fakeReports is a ReportData over the example agreement with no
// observations: the days in published are "in the ledger", other past days
// are computed as of testNow, and days after testNow's do not exist yet.
type fakeReports struct {
	agreement *agreement.Agreement
	published []string // days, newest first
}

func newFakeReports(t testing.TB) *fakeReports {
	return &fakeReports{agreement: loadExample(t), published: []string{"2026-11-21", "2026-11-20"}}
}

func (f *fakeReports) Published(ctx context.Context) ([]ReportSummary, error) {
	var out []ReportSummary
	for _, day := range f.published {
		r, _, err := f.Daily(ctx, day)
		if err != nil {
			return nil, err
		}
		out = append(out, ReportSummary{Date: day, Number: r.Number, AsOf: r.AsOf, LedgerID: report.RecordID(day), LedgerTime: r.To.Add(2 * time.Hour)})
	}
	return out, nil
}

func (f *fakeReports) Daily(ctx context.Context, day string) (*report.Report, bool, error) {
	from, to, err := report.Bounds(day, f.agreement.Location())
	if err != nil {
		return nil, false, err
	}
	if testNow.Before(from) {
		return nil, false, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "date", "%s has not started yet", day)
	}
	published := false
	for _, d := range f.published {
		published = published || d == day
	}
	asOf := testNow
	if published {
		asOf = to.Add(2 * time.Hour)
	}
	r, err := report.Daily(report.Input{Agreement: f.agreement, AsOf: asOf}, day)
	return r, published, err
}

func newReportsHandler(t *testing.T) *Handler {
	t.Helper()
	a := loadExample(t)
	h, err := New(Options{Map: newFakeMap(0), Location: a.Location(), Now: func() time.Time { return testNow }, Reports: newFakeReports(t)})
	if err != nil {
		t.Fatal(err)
	}
	h.missing = func(lang, id string) { t.Errorf("message %q missing from the %s catalog", id, lang) }
	return h
}

func TestReportsList(t *testing.T) {
	h := newReportsHandler(t)
	rec := get(t, h, "/reports/daily?lang=en")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /reports/daily: %d", rec.Code)
	}
	body := rec.Body.String()
	for _, s := range []string{
		`href="/reports/daily/2026-11-21"`, `href="/reports/daily/2026-11-20"`,
		`href="/reports/daily/2026-11-20.json"`, `href="/reports/daily/2026-11-20.csv"`, `href="/reports/daily/2026-11-20.geojson"`,
		`href="/reports/daily/2026-11-22"`, // today, provisional
	} {
		if !strings.Contains(body, s) {
			t.Errorf("list lacks %s", s)
		}
	}
	if strings.Index(body, "2026-11-21") > strings.Index(body, `/reports/daily/2026-11-20"`) {
		t.Error("reports are not listed newest first")
	}
	// Without report data there are no report pages.
	if rec := get(t, newTestHandler(t, newFakeMap(0)), "/reports/daily"); rec.Code != http.StatusNotFound {
		t.Errorf("/reports/daily without reports: %d, want 404", rec.Code)
	}
}

// TestReportDay checks each form of a day's report: its content type, that
// it parses, its caching (a published report never changes), and that the
// HTML page's own style is allowed by hash and nothing else inline.
func TestReportDay(t *testing.T) {
	h := newReportsHandler(t)
	tests := []struct {
		target, ctype, cache string
		check                func(t *testing.T, body string)
	}{
		{"/reports/daily/2026-11-20?lang=uk", "text/html; charset=utf-8", "public, max-age=3600", func(t *testing.T, body string) {
			if !strings.Contains(body, `<html lang="uk"`) {
				t.Error("the report page is not in the chosen language")
			}
			for _, ext := range []string{"json", "csv", "geojson"} {
				if !strings.Contains(body, `href="/reports/daily/2026-11-20.`+ext+`"`) {
					t.Errorf("the report page does not link its %s export", ext)
				}
			}
		}},
		{"/reports/daily/2026-11-22", "text/html; charset=utf-8", "no-cache", nil},
		{"/reports/daily/2026-11-20.json", "application/json", "public, max-age=3600", func(t *testing.T, body string) {
			var r report.Report
			if err := json.Unmarshal([]byte(body), &r); err != nil || r.Date != "2026-11-20" || r.ID != "report:daily:2026-11-20" {
				t.Errorf("JSON export: %v, date %q id %q", err, r.Date, r.ID)
			}
		}},
		{"/reports/daily/2026-11-22.json", "application/json", "no-cache", func(t *testing.T, body string) {
			var r report.Report
			if err := json.Unmarshal([]byte(body), &r); err != nil || r.Complete {
				t.Errorf("today's JSON: %v, complete %v (want provisional)", err, r.Complete)
			}
		}},
		{"/reports/daily/2026-11-20.csv", "text/csv; charset=utf-8", "public, max-age=3600", func(t *testing.T, body string) {
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil || len(rows) == 0 {
				t.Errorf("CSV export: %v, %d rows", err, len(rows))
			}
		}},
		{"/reports/daily/2026-11-20.geojson", "application/geo+json", "public, max-age=3600", func(t *testing.T, body string) {
			var fc struct {
				Type     string            `json:"type"`
				Features []json.RawMessage `json:"features"`
			}
			if err := json.Unmarshal([]byte(body), &fc); err != nil || fc.Type != "FeatureCollection" {
				t.Errorf("GeoJSON export: %v, type %q", err, fc.Type)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := get(t, h, tt.target)
			if rec.Code != http.StatusOK {
				t.Fatalf("%d: %s", rec.Code, rec.Body)
			}
			hd := rec.Header()
			if hd.Get("Content-Type") != tt.ctype || hd.Get("Cache-Control") != tt.cache || hd.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("Content-Type %q, Cache-Control %q, nosniff %q; want %q, %q", hd.Get("Content-Type"), hd.Get("Cache-Control"), hd.Get("X-Content-Type-Options"), tt.ctype, tt.cache)
			}
			if strings.HasSuffix(tt.target, ".csv") && !strings.Contains(hd.Get("Content-Disposition"), `filename="report-2026-11-20.csv"`) {
				t.Errorf("CSV Content-Disposition %q", hd.Get("Content-Disposition"))
			}
			if strings.HasPrefix(tt.ctype, "text/html") {
				// The report's own <style> is allowed by its hash, and
				// nothing else inline.
				csp := hd.Get("Content-Security-Policy")
				m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(rec.Body.String())
				if m == nil {
					t.Fatal("report page has no <style>")
				}
				sum := sha256.Sum256([]byte(m[1]))
				hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
				if !strings.Contains(csp, "style-src 'self' "+hash) || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self';") {
					t.Errorf("report page CSP %q: want its style by hash %s, no unsafe-inline", csp, hash)
				}
			}
			if tt.check != nil {
				tt.check(t, rec.Body.String())
			}
		})
	}
}

// TestReportDayErrors: a day that has not started is 404, a malformed one
// 400 (as HTML for the page, as the API's JSON error for an export), and
// a file name that is not a day and an export is 404.
func TestReportDayErrors(t *testing.T) {
	h := newReportsHandler(t)
	tests := []struct {
		target   string
		status   int
		jsonCode string // "" for an HTML page
	}{
		{"/reports/daily/2026-12-01", http.StatusNotFound, ""},
		{"/reports/daily/2026-12-01.json", http.StatusNotFound, pactwatch.ENOTFOUND},
		{"/reports/daily/2026-02-30", http.StatusBadRequest, ""},
		{"/reports/daily/2026-13-01.csv", http.StatusBadRequest, pactwatch.EINVALID},
		{"/reports/daily/2026-11-20.xml", http.StatusNotFound, ""},
		{"/reports/daily/20261120", http.StatusNotFound, ""},
		{"/reports/daily/2026-11-20.json.gz", http.StatusNotFound, ""},
		{"/reports/daily/..%2F..%2Fetc%2Fpasswd", http.StatusNotFound, ""},
		{"/reports/daily/2026-11-20/extra", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		rec := get(t, h, tt.target)
		if rec.Code != tt.status {
			t.Errorf("%s: %d, want %d", tt.target, rec.Code, tt.status)
			continue
		}
		if tt.jsonCode == "" {
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s: Content-Type %q, want an HTML page", tt.target, ct)
			}
			continue
		}
		var body struct {
			Error struct{ Code, Field string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != tt.jsonCode {
			t.Errorf("%s: body %s, want error code %q", tt.target, rec.Body, tt.jsonCode)
		}
	}
}
