package web

import (
	"strings"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/pipeline"
)

// agreementSettings says in sentences how the mission turns reports into
// incidents and violations into cases under this agreement: the settings
// the pipeline runs with (pipeline.FromAgreement: the agreement's own, the
// engine's defaults where it is silent), so the page cannot drift from
// what the server does.
func agreementSettings(l *locale, a *agreement.Agreement) (verification, cases []string) {
	cfg := pipeline.FromAgreement(a)
	inc, pol := cfg.Incidents, cfg.Policy
	minutes := func(d time.Duration) int { return int(d / time.Minute) }

	co := inc.Corroboration
	// Admiralty reliability letters, "AB", as the grades are written: A/B.
	letters := strings.Join(strings.Split(co.DirectReliability, ""), "/")
	if co.MinIndependent > 0 {
		verification = append(verification, l.T("agreement.v.corroboration", "Count", co.MinIndependent))
	} else {
		verification = append(verification, l.T("agreement.v.corroboration_off"))
	}
	switch {
	case co.DirectReliability == "":
		verification = append(verification, l.T("agreement.v.direct_off"))
	case co.DirectMaxCredibility > 0:
		verification = append(verification, l.T("agreement.v.direct_credibility", "Letters", letters, "Max", co.DirectMaxCredibility))
	default:
		verification = append(verification, l.T("agreement.v.direct", "Letters", letters))
	}
	verification = append(verification,
		l.T("agreement.v.cluster", "Km", l.Number(inc.MaxDistanceKm), "Minutes", l.Number(minutes(inc.Window)), "Span", l.Number(minutes(inc.MaxSpan))),
		l.T("agreement.v.range", "Km", l.Number(inc.MaxRangeKm)),
		l.T("agreement.v.claim", "Minutes", l.Number(minutes(inc.ClaimTTL))))

	cases = append(cases, l.T("agreement.c.open_at", "Severity", l.T("agreement.severity."+pol.CaseThreshold.String())))
	if pol.EscalateMinorAt > 0 {
		cases = append(cases, l.T("agreement.c.escalate", "Count", pol.EscalateMinorAt))
	} else {
		cases = append(cases, l.T("agreement.c.escalate_off"))
	}
	if pol.AreaCellDeg > 0 {
		cases = append(cases, l.T("agreement.c.grouping", "Deg", l.Number(pol.AreaCellDeg)))
	} else {
		cases = append(cases, l.T("agreement.c.grouping_one_area"))
	}
	cases = append(cases,
		l.T("agreement.c.serious", "Count", pol.SeriousCount),
		l.T("agreement.c.attribution", "Confidence", l.T("agreement.confidence."+pol.MinConfidence)))
	if pol.TwoPersonRule {
		cases = append(cases, l.T("agreement.c.two_person"))
	} else {
		cases = append(cases, l.T("agreement.c.one_person"))
	}
	if pol.DisputePausesDeadlines {
		cases = append(cases, l.T("agreement.c.dispute_pauses"))
	} else {
		cases = append(cases, l.T("agreement.c.dispute_runs"))
	}
	return verification, cases
}
