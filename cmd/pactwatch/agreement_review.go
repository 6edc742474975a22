package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pactwatch/pactwatch/agreement"
)

// printReviewSettings prints the agreement's verification and case
// settings for `agreement show`, when it has any (unset ones take
// pactwatch's defaults).
func printReviewSettings(tw io.Writer, section func(string), s agreement.Summary) {
	v, c := s.Verification, s.Cases
	var corr, clus, cases []string
	addInt := func(to *[]string, name string, p *int) {
		if p != nil {
			*to = append(*to, name+" "+strconv.Itoa(*p))
		}
	}
	addFloat := func(to *[]string, name string, p *float64) {
		if p != nil {
			*to = append(*to, name+" "+strconv.FormatFloat(*p, 'f', -1, 64))
		}
	}
	addInt(&corr, "min independent", v.Corroboration.MinIndependent)
	if r := v.Corroboration.DirectReliability; r != nil {
		corr = append(corr, "direct reliability "+strconv.Quote(*r))
	}
	addInt(&corr, "direct max credibility", v.Corroboration.DirectMaxCredibility)
	addFloat(&clus, "distance km", v.Clustering.MaxDistanceKm)
	addInt(&clus, "window min", v.Clustering.WindowMinutes)
	addInt(&clus, "max span min", v.Clustering.MaxSpanMinutes)
	addFloat(&clus, "range km", v.Clustering.MaxRangeKm)
	addInt(&clus, "claim min", v.Clustering.ClaimMinutes)
	if c.OpenAt != "" {
		cases = append(cases, "open at "+c.OpenAt)
	}
	addInt(&cases, "escalate minor at", c.EscalateMinorAt)
	addFloat(&cases, "area cell deg", c.AreaCellDeg)
	addInt(&cases, "serious count", c.SeriousCount)
	if c.MinAttributionConfidence != "" {
		cases = append(cases, "attribution confidence "+c.MinAttributionConfidence)
	}
	if c.TwoPersonRule {
		cases = append(cases, "two-person rule")
	}
	if c.DisputePausesDeadlines {
		cases = append(cases, "disputes pause deadlines")
	}
	if len(corr)+len(clus)+len(cases) == 0 {
		return
	}
	section("Verification and cases")
	for _, l := range []struct {
		name string
		vals []string
	}{{"corroboration", corr}, {"clustering", clus}, {"cases", cases}} {
		if len(l.vals) > 0 {
			fmt.Fprintf(tw, "  %s\t%s\n", l.name, strings.Join(l.vals, " · "))
		}
	}
}
