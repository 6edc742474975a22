package pipeline

import (
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
)

// FromAgreement returns the pipeline configuration the agreement asks for:
// its clustering and corroboration rules (verification:) and its case
// policy (cases:), each field the engine's default when the agreement is
// silent. The agreement is valid, so every value is in range.
func FromAgreement(a *agreement.Agreement) Config {
	cfg := Config{Agreement: a, Incidents: incident.DefaultConfig(), Policy: compliance.DefaultPolicy()}
	inc := &cfg.Incidents
	co := a.Verification.Corroboration
	setInt(&inc.Corroboration.MinIndependent, co.MinIndependent)
	if co.DirectReliability != nil {
		inc.Corroboration.DirectReliability = *co.DirectReliability
	}
	setInt(&inc.Corroboration.DirectMaxCredibility, co.DirectMaxCredibility)
	cl := a.Verification.Clustering
	setFloat(&inc.MaxDistanceKm, cl.MaxDistanceKm)
	setFloat(&inc.MaxRangeKm, cl.MaxRangeKm)
	setMinutes(&inc.Window, cl.WindowMinutes)
	setMinutes(&inc.MaxSpan, cl.MaxSpanMinutes)
	setMinutes(&inc.ClaimTTL, cl.ClaimMinutes)

	pol, cp := &cfg.Policy, a.Cases
	if cp.OpenAt != "" {
		_ = pol.CaseThreshold.UnmarshalText([]byte(cp.OpenAt)) // the schema allows only valid names
	}
	setInt(&pol.EscalateMinorAt, cp.EscalateMinorAt)
	setFloat(&pol.AreaCellDeg, cp.AreaCellDeg)
	setInt(&pol.SeriousCount, cp.SeriousCount)
	if cp.MinAttributionConfidence != "" {
		pol.MinConfidence = cp.MinAttributionConfidence
	}
	pol.TwoPersonRule = cp.TwoPersonRule
	pol.DisputePausesDeadlines = cp.DisputePausesDeadlines
	return cfg
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func setFloat(dst *float64, v *float64) {
	if v != nil {
		*dst = *v
	}
}

func setMinutes(dst *time.Duration, v *int) {
	if v != nil {
		*dst = time.Duration(*v) * time.Minute
	}
}
