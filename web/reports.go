package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/ledger"
	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/store"
)

// ReportData gives the daily report pages their reports. The server
// implements it over the ledger (LedgerReports).
type ReportData interface {
	// Published lists the published daily reports, newest first.
	Published(ctx context.Context) ([]ReportSummary, error)
	// Daily returns day's report (YYYY-MM-DD in the agreement's time
	// zone): the published one when it is in the ledger, else one
	// computed now and marked provisional (published false). A day that
	// has not started is ENOTFOUND.
	Daily(ctx context.Context, day string) (r *report.Report, published bool, err error)
}

// ReportSummary is one line of the list of published reports.
type ReportSummary struct {
	Date       string // YYYY-MM-DD
	Number     string // "324/2026"
	AsOf       time.Time
	Ceasefire  int // ceasefire violations on the day, all areas
	LedgerID   string
	LedgerTime time.Time
}

// reportsPage is the data of templates/reports.html.
type reportsPage struct {
	Reports []ReportSummary
	Today   string // a provisional report for today is linked too
}

// reportsList serves GET /reports/daily.
func (h *Handler) reportsList(w http.ResponseWriter, r *http.Request) {
	list, err := h.opts.Reports.Published(r.Context())
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	v := h.newView(w, r, nil)
	v.Data = reportsPage{Reports: list, Today: report.DayOf(h.opts.Now(), h.opts.Location)}
	h.render(w, r, http.StatusOK, "reports", v)
}

// dayPattern is the {file} of /reports/daily/{file}: a date and an
// optional export extension.
var dayPattern = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})(\.json|\.csv|\.geojson)?$`)

// reportDay serves GET /reports/daily/{file}: the report as a page in the
// viewer's language, or as JSON, CSV or GeoJSON.
func (h *Handler) reportDay(w http.ResponseWriter, r *http.Request) {
	m := dayPattern.FindStringSubmatch(r.PathValue("file"))
	if m == nil {
		h.notFound(w, r)
		return
	}
	day, ext := m[1], m[2]
	if _, err := report.ParseDay(day); err != nil {
		h.reportError(w, r, ext, err)
		return
	}
	rep, published, err := h.opts.Reports.Daily(r.Context(), day)
	if err != nil {
		h.reportError(w, r, ext, err)
		return
	}
	var buf bytes.Buffer
	hd := w.Header()
	switch ext {
	case ".json":
		err = report.WriteJSON(&buf, rep)
		hd.Set("Content-Type", "application/json")
	case ".csv":
		err = report.WriteCSV(&buf, rep)
		hd.Set("Content-Type", "text/csv; charset=utf-8")
		hd.Set("Content-Disposition", `attachment; filename="report-`+day+`.csv"`)
	case ".geojson":
		err = report.WriteGeoJSON(&buf, rep)
		hd.Set("Content-Type", "application/geo+json")
	default:
		lang := h.pickLanguage(w, r).String()
		err = report.WriteHTML(&buf, rep, report.HTMLOptions{Lang: lang})
		if err == nil {
			page := addReportNav(buf.Bytes(), h.locale(h.pickLanguage(w, r)), day)
			buf.Reset()
			buf.Write(page)
		}
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Content-Language", lang)
		hd.Set("Vary", "Accept-Language, Cookie")
	}
	if err != nil {
		h.reportError(w, r, ext, pactwatch.Internal(err))
		return
	}
	if published {
		// A published report never changes.
		hd.Set("Cache-Control", "public, max-age=3600")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	setPageSecurityHeaders(hd)
	if ext == "" {
		hd.Set("Content-Security-Policy", reportCSP(buf.Bytes()))
	}
	hd.Set("X-Content-Type-Options", "nosniff")
	if ext == ".csv" {
		w.Write(buf.Bytes())
		return
	}
	writeCompressed(w, r, buf.Bytes())
}

func (h *Handler) reportError(w http.ResponseWriter, r *http.Request, ext string, err error) {
	if ext == "" {
		h.pageError(w, r, err)
		return
	}
	h.jsonError(w, r, err)
}

var styleBlock = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// reportCSP is the page policy with the report's own embedded style
// allowed by its hash: the report is a self-contained page (so a saved
// copy reads the same offline), and a hash admits exactly that style and
// no other inline style or script.
func reportCSP(page []byte) string {
	var hashes []string
	for _, m := range styleBlock.FindAllSubmatch(page, -1) {
		sum := sha256.Sum256(m[1])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return strings.Replace(contentSecurityPolicy, "style-src 'self'", "style-src 'self' "+strings.Join(hashes, " "), 1)
}

// addReportNav puts a line of links at the top of the report's own page:
// back to the list, and the exports. The report's page is otherwise the
// one `pactwatch report daily --html` writes.
func addReportNav(page []byte, l *locale, day string) []byte {
	var b strings.Builder
	b.WriteString(`<nav class="report-nav" aria-label="` + escape(l.T("reports.nav")) + `"><p>`)
	b.WriteString(`<a href="/">` + escape(l.T("nav.overview")) + `</a> · `)
	b.WriteString(`<a href="/reports/daily">` + escape(l.T("reports.all")) + `</a> · `)
	for i, ext := range []string{"json", "csv", "geojson"} {
		if i > 0 {
			b.WriteString(" · ")
		}
		b.WriteString(`<a href="/reports/daily/` + day + "." + ext + `">` + escape(l.T("reports.export_"+ext)) + `</a>`)
	}
	b.WriteString("</p></nav>\n")
	return bytes.Replace(page, []byte("<main>"), []byte("<main>\n"+b.String()), 1)
}

func escape(s string) string { return template.HTMLEscapeString(s) }

// LedgerReports is a ReportData over the ledger's records and the
// observations: published reports come from their ledger records; a day
// not yet published is computed as of now with the same inputs.
type LedgerReports struct {
	Store    ReportStore
	Location *time.Location // the agreement's reporting time zone
	// Compute builds day's report as of asOf when it is not published;
	// serve passes the publisher's own inputs, so a provisional report
	// reads like the one that will be published.
	Compute func(ctx context.Context, day string, asOf time.Time) (*report.Report, error)
	Now     func() time.Time
}

// ReportStore is the part of store.Store the report pages read.
type ReportStore interface {
	Record(ctx context.Context, id string) (store.GenericRecord, error)
	Records(ctx context.Context, typ string, from int64, limit int) ([]store.GenericRecord, error)
}

// Published implements ReportData.
func (lr LedgerReports) Published(ctx context.Context) ([]ReportSummary, error) {
	var out []ReportSummary
	var from int64
	for {
		recs, err := lr.Store.Records(ctx, ledger.TypeReport, from, 200)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			if !strings.HasPrefix(rec.ID, "report:daily:") {
				continue
			}
			var rep report.Report
			if err := json.Unmarshal(rec.Body, &rep); err != nil {
				return nil, pactwatch.Internal(err)
			}
			out = append(out, ReportSummary{Date: rep.Date, Number: rep.Number, AsOf: rep.AsOf,
				Ceasefire: rep.Ceasefire.Total.Day.Total, LedgerID: rec.ID, LedgerTime: rec.Time})
		}
		if len(recs) < 200 {
			break
		}
		from = recs[len(recs)-1].Index + 1
	}
	// Newest day first.
	slices.SortFunc(out, func(a, b ReportSummary) int { return strings.Compare(b.Date, a.Date) })
	return out, nil
}

// Daily implements ReportData.
func (lr LedgerReports) Daily(ctx context.Context, day string) (*report.Report, bool, error) {
	rec, err := lr.Store.Record(ctx, report.RecordID(day))
	if err == nil {
		var rep report.Report
		if err := json.Unmarshal(rec.Body, &rep); err != nil {
			return nil, false, pactwatch.Internal(err)
		}
		return &rep, true, nil
	}
	if pactwatch.ErrorCode(err) != pactwatch.ENOTFOUND {
		return nil, false, err
	}
	now := lr.Now()
	from, _, err := report.Bounds(day, lr.Location)
	if err != nil {
		return nil, false, err
	}
	if now.Before(from) {
		return nil, false, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "date", "%s has not started yet", day)
	}
	rep, err := lr.Compute(ctx, day, now)
	return rep, false, err
}
