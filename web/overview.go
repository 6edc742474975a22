package web

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch/report"
	"github.com/pactwatch/pactwatch/vocab"
)

// overviewPage is the data of templates/overview.html.
type overviewPage struct {
	Since7d    time.Time
	Total24h   int
	Total7d    int
	Categories []countRow
	Areas      []countRow
	Checkpoint *checkpointView
	Reports    []ReportSummary // the latest few
	Truncated  bool
	Kind       string // "incident" or "observation": what was counted
}

// countRow is one line of a 24 h / 7 d table.
type countRow struct {
	Key, Label string
	Day, Week  int
}

// overviewReports is how many recent reports the overview links.
const overviewReports = 3

// overviewGet serves GET /: events in the last 24 hours and 7 days by
// category and area (from the same markers as the map, so the viewer sees
// the same projection), the latest checkpoint and its witnesses, and links
// to the rest.
func (h *Handler) overviewGet(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := h.opts.Now()
	dayAgo, weekAgo := now.Add(-24*time.Hour), now.Add(-7*24*time.Hour)
	markers, err := h.mapData(r).Markers(ctx, MarkerFilter{From: weekAgo, To: now.Add(time.Nanosecond), Limit: maxMarkers})
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	cp, err := h.latestCheckpoint(ctx)
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	v := h.newView(w, r, nil)
	lang := v.Lang
	p := overviewPage{Since7d: weekAgo, Checkpoint: cp, Truncated: len(markers) >= maxMarkers, Kind: "observation"}
	g := report.DefaultGazetteer()
	cats := map[vocab.Category]*countRow{}
	areas := map[string]*countRow{}
	for _, m := range markers {
		if m.Status == "rejected" {
			continue
		}
		if m.Kind == "incident" {
			p.Kind = "incident"
		}
		n := max(m.Count, 1)
		area := report.OtherArea
		if t, _, ok := g.Nearest(orb.Point{m.Lon, m.Lat}); ok {
			area = g.Area(t.Area)
		}
		c := cats[m.Category]
		if c == nil {
			c = &countRow{Key: string(m.Category), Label: v.T("category." + string(m.Category))}
			cats[m.Category] = c
		}
		a := areas[area.ID]
		if a == nil {
			a = &countRow{Key: area.ID, Label: area.Names.In(lang)}
			areas[area.ID] = a
		}
		c.Week += n
		a.Week += n
		p.Total7d += n
		if !m.Time.Before(dayAgo) {
			c.Day += n
			a.Day += n
			p.Total24h += n
		}
	}
	p.Categories = sortedRows(cats)
	p.Areas = sortedRows(areas)
	if h.opts.Reports != nil {
		list, err := h.opts.Reports.Published(ctx)
		if err != nil {
			h.pageError(w, r, err)
			return
		}
		p.Reports = list[:min(len(list), overviewReports)]
	}
	v.Data = p
	h.render(w, r, http.StatusOK, "overview", v)
}

// sortedRows orders rows by the week's count, most first, then by key.
func sortedRows[K comparable](m map[K]*countRow) []countRow {
	out := make([]countRow, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b countRow) int {
		return cmp.Or(b.Week-a.Week, b.Day-a.Day, cmp.Compare(a.Key, b.Key))
	})
	return out
}
