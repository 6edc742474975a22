package web

import (
	"cmp"
	"math"
	"net/http"
	"time"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/response"
)

// The scorecard answers "is this guarantee real?" for the public: per
// guarantor, the steps that fell due and how they were met, overall and
// per week or month, and the confirmed cases over time. It reads the same
// figures as GET /api/v1/scorecard (response.Score), which the API shows
// to everyone.

// scorecardEvery are the windows a reader may choose, the default first.
var scorecardEvery = []agreement.Duration{"7d", "1mo"}

// mountScorecard registers /scorecard; without Options.Responses there is
// no response mechanism to score.
func (h *Handler) mountScorecard() {
	if h.opts.Responses == nil {
		return
	}
	h.nav = append(h.nav, navItem{"/scorecard", "nav.scorecard"})
	h.mux.HandleFunc("GET /scorecard", h.public("scorecard", h.scorecardGet))
}

// scorecardPage is the data of templates/scorecard.html.
type scorecardPage struct {
	Every       string
	Everies     []option
	Error       string
	AsOf        time.Time
	Guarantors  []actorScore
	Others      []actorScore // the mission and the parties
	Windows     []windowLabel
	Commitments []caseCountRow
	Parties     []caseCountRow
	CaseTotals  []int // confirmed cases per window, all commitments
	CaseTables  []caseTable
	BarsSVG     svgMarkup
	CasesSVG    svgMarkup
}

type actorScore struct {
	ID, Name string
	Overall  response.Tally
	Median   string // median time to act, in the viewer's language ("—" when none)
	Windows  []windowTally
}

type windowTally struct {
	Label  string
	Tally  response.Tally
	Median string
}

type windowLabel struct {
	From, Until time.Time
	Long, Short string
}

// caseTable is the confirmed cases per commitment or per party.
type caseTable struct {
	ID, Caption, Head string
	Rows              []caseCountRow
}

type caseCountRow struct {
	ID, Name string
	Total    int
	Windows  []int
}

// scorecardGet serves GET /scorecard?every=7d|1mo.
func (h *Handler) scorecardGet(w http.ResponseWriter, r *http.Request) {
	v := h.newView(w, r, nil)
	every := agreement.Duration(cmp.Or(r.URL.Query().Get("every"), string(scorecardEvery[0])))
	page := scorecardPage{Every: string(every)}
	for _, e := range scorecardEvery {
		page.Everies = append(page.Everies, option{string(e), v.T("scorecard.every." + string(e)), e == every})
	}
	status := http.StatusOK
	valid := false
	for _, e := range scorecardEvery {
		valid = valid || e == every
	}
	if !valid {
		status = http.StatusBadRequest
		page.Error = v.T("scorecard.error.every", "Value", string(every))
		v.Data = page
		h.render(w, r, status, "scorecard", v)
		return
	}
	sc, err := h.opts.Responses.Scorecard(r.Context(), h.opts.Now().UTC(), every)
	if err != nil {
		if pactwatch.ErrorCode(err) == pactwatch.EINVALID {
			status = http.StatusBadRequest
			page.Error = v.T("scorecard.error.every", "Value", string(every))
			v.Data = page
			h.render(w, r, status, "scorecard", v)
			return
		}
		h.pageError(w, r, err)
		return
	}
	h.fillScorecard(v, h.responseAgreement(), sc, &page)
	v.Data = page
	h.render(w, r, status, "scorecard", v)
}

// responseAgreement is the agreement whose actors the scorecard names.
func (h *Handler) responseAgreement() *agreement.Agreement {
	if h.opts.Agreement != nil {
		return h.opts.Agreement
	}
	if h.opts.Incidents != nil {
		return h.opts.Incidents.Agreement()
	}
	return nil
}

// fillScorecard turns the scorecard into the page's rows and charts.
func (h *Handler) fillScorecard(v *view, a *agreement.Agreement, sc response.Scorecard, page *scorecardPage) {
	page.AsOf = sc.AsOf
	for _, w := range sc.Windows {
		page.Windows = append(page.Windows, windowLabel{From: w.From, Until: w.Until,
			Long: v.T("scorecard.window", "From", v.Date(w.From), "To", v.Date(w.Until.Add(-time.Second))), Short: v.shortDate(w.From)})
	}
	for _, as := range sc.Actors {
		row := actorScore{ID: as.Actor, Name: h.actorName(v, a, as.Actor), Overall: as.Overall, Median: v.median(as.Overall)}
		for i, t := range as.Windows {
			if i < len(page.Windows) {
				row.Windows = append(row.Windows, windowTally{Label: page.Windows[i].Long, Tally: t, Median: v.median(t)})
			}
		}
		if as.Guarantor {
			page.Guarantors = append(page.Guarantors, row)
		} else {
			page.Others = append(page.Others, row)
		}
	}
	page.CaseTotals = make([]int, len(sc.Windows))
	for _, c := range sc.Commitments {
		name := c.ID
		if a != nil {
			if com := a.Commitment(c.ID); com != nil && com.Title != "" {
				name = com.Title
			}
		}
		page.Commitments = append(page.Commitments, caseCountRow{ID: c.ID, Name: name, Total: c.Total, Windows: c.Windows})
		for i, n := range c.Windows {
			if i < len(page.CaseTotals) {
				page.CaseTotals[i] += n
			}
		}
	}
	for _, p := range sc.Parties {
		page.Parties = append(page.Parties, caseCountRow{ID: p.ID, Name: h.actorName(v, a, p.ID), Total: p.Total, Windows: p.Windows})
	}
	for _, t := range []caseTable{
		{"cases-by-commitment", v.T("scorecard.by_commitment"), v.T("scorecard.col.commitment"), page.Commitments},
		{"cases-by-party", v.T("scorecard.by_party"), v.T("scorecard.col.party"), page.Parties},
	} {
		if len(t.Rows) > 0 {
			page.CaseTables = append(page.CaseTables, t)
		}
	}
	page.BarsSVG = stackedBarsSVG(h.barsChart(v, page.Guarantors))
	labels := make([]string, len(page.Windows))
	long := make([]string, len(page.Windows))
	for i, w := range page.Windows {
		labels[i], long[i] = w.Short, w.Long
	}
	page.CasesSVG = columnsSVG(columnChart{
		ID: "chart-cases", Title: v.T("scorecard.cases_chart.title"),
		Desc:   v.T("scorecard.cases_chart.desc", "Period", v.T("scorecard.period."+page.Every)),
		Labels: labels, Long: long, Values: page.CaseTotals, Number: v.Number,
		ValueTitle: func(label string, n int) string { return v.T("scorecard.cases_chart.bar", "Window", label, "Count", n) },
	})
}

// barsChart lays the guarantors' tallies out as a stacked bar chart.
func (h *Handler) barsChart(v *view, rows []actorScore) stackChart {
	c := stackChart{ID: "chart-guarantors", Title: v.T("scorecard.bars.title"), Desc: v.T("scorecard.bars.desc"), Number: v.Number}
	for i, k := range segmentKinds {
		c.Series[i] = v.T("scorecard.seg." + k)
	}
	for _, r := range rows {
		t := r.Overall
		c.Rows = append(c.Rows, stackRow{ID: r.ID, Label: r.Name, Values: [5]int{t.OnTime, t.Late, t.Missed, t.Overdue, t.Pending}})
	}
	return c
}

// median writes a tally's median time to act in hours (minutes under an
// hour), "—" when nothing was done.
func (l *locale) median(t response.Tally) string {
	if t.OnTime+t.Late == 0 {
		return "—"
	}
	if t.MedianToAct < time.Hour {
		return l.T("scorecard.minutes", "Minutes", l.Number(math.Round(t.MedianToAct.Minutes())))
	}
	return l.T("scorecard.hours", "Hours", l.Number(math.Round(t.MedianToAct.Hours()*10)/10))
}

// shortDate is a day and month for a chart's axis ("22.11", "11/22").
func (l *locale) shortDate(t time.Time) string {
	t = t.In(l.location)
	return l.T("scorecard.short_date", "Day", t.Day(), "Month", t.Format("01"))
}
