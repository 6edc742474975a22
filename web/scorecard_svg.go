package web

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
)

// The scorecard's charts are inline SVG written on the server: no
// JavaScript library, nothing to download, and they print. The page's
// Content-Security-Policy forbids inline style attributes, so every colour
// is a class styled by static/css/cases.css. Each chart has a <title> and
// <desc> (role="img"), each bar a <title> with its figure, and the page
// shows the same figures as a table for screen readers.

// svgMarkup is SVG built by this file: every text in it is escaped.
type svgMarkup = template.HTML

// segmentKinds are the stacked segments of a guarantor's bar, in order.
var segmentKinds = [5]string{"on_time", "late", "missed", "overdue", "pending"}

// stackChart is a horizontal stacked bar per row.
type stackChart struct {
	ID, Title, Desc string
	Series          [5]string // the segments' names, as segmentKinds
	Rows            []stackRow
	Number          func(any) string
}

type stackRow struct {
	ID, Label string
	Values    [5]int
}

// Bar chart geometry (user units of the viewBox; the chart scales to its column).
const (
	barsWidth  = 640.0
	barsLabelX = 168.0 // right edge of the row labels
	barsX      = 176.0 // where bars start
	barsMax    = 400.0 // the longest bar
	barsRowH   = 28.0
	barsH      = 18.0
	barsTop    = 8.0
)

func svgNum(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// stackedBars writes the guarantors' chart: one bar per row, its
// segments in proportion to the longest total.
func stackedBarsSVG(c stackChart) svgMarkup {
	max := 1
	for _, r := range c.Rows {
		max = svgMax(max, svgSum5(r.Values))
	}
	height := barsTop*2 + barsRowH*float64(len(c.Rows))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" id="%s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%[1]s-title %[1]s-desc">`,
		c.ID, svgNum(barsWidth), svgNum(height), svgNum(barsWidth), svgNum(height))
	fmt.Fprintf(&b, "\n<title id=\"%[1]s-title\">%[2]s</title>\n<desc id=\"%[1]s-desc\">%[3]s</desc>\n", c.ID, svgEsc(c.Title), svgEsc(c.Desc))
	fmt.Fprintf(&b, "<line class=\"axis\" x1=\"%[1]s\" y1=\"%[2]s\" x2=\"%[1]s\" y2=\"%[3]s\"/>\n", svgNum(barsX), svgNum(barsTop/2), svgNum(height-barsTop/2))
	for i, r := range c.Rows {
		y := barsTop + barsRowH*float64(i)
		fmt.Fprintf(&b, "<g class=\"bar-row\" data-actor=\"%s\">\n", svgEsc(r.ID))
		fmt.Fprintf(&b, "<text class=\"label\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n", svgNum(barsLabelX), svgNum(y+barsH-4), svgEsc(r.Label))
		x := barsX
		for k, n := range r.Values {
			if n == 0 {
				continue
			}
			w := barsMax * float64(n) / float64(max)
			fmt.Fprintf(&b, "<rect class=\"seg seg-%s\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"><title>%s — %s: %s</title></rect>\n",
				segmentKinds[k], svgNum(x), svgNum(y), svgNum(w), svgNum(barsH), svgEsc(r.Label), svgEsc(c.Series[k]), svgEsc(c.Number(n)))
			x += w
		}
		fmt.Fprintf(&b, "<text class=\"total\" x=\"%s\" y=\"%s\">%s</text>\n</g>\n", svgNum(x+6), svgNum(y+barsH-4), svgEsc(c.Number(svgSum5(r.Values))))
	}
	b.WriteString("</svg>")
	return svgMarkup(b.String())
}

// columnChart is a small bar series: one column per window.
type columnChart struct {
	ID, Title, Desc string
	Labels          []string // short labels under the columns
	Long            []string // the windows' full names, for the columns' titles
	Values          []int
	Number          func(any) string
	ValueTitle      func(label string, n int) string
}

// Column chart geometry.
const (
	colsWidth  = 640.0
	colsHeight = 200.0
	colsLeft   = 36.0
	colsRight  = 8.0
	colsTop    = 18.0
	colsBottom = 26.0
)

// columns writes the confirmed cases per window. With many windows only
// every k-th is labelled, so the labels never overlap.
func columnsSVG(c columnChart) svgMarkup {
	n := len(c.Values)
	max := 1
	for _, v := range c.Values {
		max = svgMax(max, v)
	}
	plotW := colsWidth - colsLeft - colsRight
	plotH := colsHeight - colsTop - colsBottom
	base := colsTop + plotH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-columns" id="%s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%[1]s-title %[1]s-desc">`,
		c.ID, svgNum(colsWidth), svgNum(colsHeight), svgNum(colsWidth), svgNum(colsHeight))
	fmt.Fprintf(&b, "\n<title id=\"%[1]s-title\">%[2]s</title>\n<desc id=\"%[1]s-desc\">%[3]s</desc>\n", c.ID, svgEsc(c.Title), svgEsc(c.Desc))
	fmt.Fprintf(&b, "<line class=\"grid\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%[2]s\"/>\n", svgNum(colsLeft), svgNum(colsTop), svgNum(colsWidth-colsRight))
	fmt.Fprintf(&b, "<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n", svgNum(colsLeft-4), svgNum(colsTop+4), svgEsc(c.Number(max)))
	fmt.Fprintf(&b, "<line class=\"axis\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%[2]s\"/>\n", svgNum(colsLeft), svgNum(base), svgNum(colsWidth-colsRight))
	fmt.Fprintf(&b, "<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>\n", svgNum(colsLeft-4), svgNum(base+4), svgEsc(c.Number(0)))
	if n == 0 {
		b.WriteString("</svg>")
		return svgMarkup(b.String())
	}
	slot := plotW / float64(n)
	every := (n + 11) / 12 // at most 12 labels
	for i, v := range c.Values {
		h := plotH * float64(v) / float64(max)
		x := colsLeft + slot*float64(i) + slot*0.15
		label := svgAt(c.Labels, i)
		fmt.Fprintf(&b, "<rect class=\"bar-cases\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"><title>%s</title></rect>\n",
			svgNum(x), svgNum(base-h), svgNum(slot*0.7), svgNum(h), svgEsc(c.ValueTitle(svgAt(c.Long, i), v)))
		if v > 0 {
			fmt.Fprintf(&b, "<text class=\"value\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", svgNum(x+slot*0.35), svgNum(base-h-4), svgEsc(c.Number(v)))
		}
		if i%every == 0 {
			fmt.Fprintf(&b, "<text class=\"tick\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>\n", svgNum(x+slot*0.35), svgNum(base+16), svgEsc(label))
		}
	}
	b.WriteString("</svg>")
	return svgMarkup(b.String())
}

func svgEsc(s string) string { return html.EscapeString(s) }

func svgAt(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func svgSum5(v [5]int) int { return v[0] + v[1] + v[2] + v[3] + v[4] }

func svgMax(a, b int) int {
	if a > b {
		return a
	}
	return b
}
