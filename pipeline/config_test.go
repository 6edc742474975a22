package pipeline

import (
	"testing"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
)

// The agreement's verification and case settings reach the engine; what
// it leaves out keeps the engine's defaults.
func TestFromAgreement(t *testing.T) {
	ex, err := agreement.Load("../examples/ukraine/agreement.yaml")
	if err != nil {
		t.Fatal(err)
	}
	min, err := agreement.Load("../agreement/testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	exPolicy := compliance.DefaultPolicy()
	exPolicy.TwoPersonRule = true
	for _, tt := range []struct {
		name   string
		a      *agreement.Agreement
		inc    incident.Config
		policy compliance.Policy
	}{
		{"example", ex, incident.DefaultConfig(), exPolicy},
		{"minimal", min, incident.DefaultConfig(), compliance.DefaultPolicy()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := FromAgreement(tt.a)
			if cfg.Incidents != tt.inc {
				t.Errorf("incidents %+v, want %+v", cfg.Incidents, tt.inc)
			}
			if cfg.Policy != tt.policy {
				t.Errorf("policy %+v, want %+v", cfg.Policy, tt.policy)
			}
		})
	}
	// Every field maps.
	three, a, c4 := 3, "A", 4
	km, cell := 5.0, 0.25
	w, span, claim := 10, 60, 45
	escalate, serious := 50, 20
	a2 := *min
	a2.Verification = agreement.Verification{
		Corroboration: agreement.Corroboration{MinIndependent: &three, DirectReliability: &a, DirectMaxCredibility: &c4},
		Clustering:    agreement.Clustering{MaxDistanceKm: &km, WindowMinutes: &w, MaxSpanMinutes: &span, MaxRangeKm: &km, ClaimMinutes: &claim},
	}
	a2.Cases = agreement.CasePolicy{OpenAt: "grave", EscalateMinorAt: &escalate, AreaCellDeg: &cell, SeriousCount: &serious,
		MinAttributionConfidence: "high", DisputePausesDeadlines: true}
	cfg := FromAgreement(&a2)
	wantInc := incident.Config{MaxDistanceKm: 5, Window: 10 * time.Minute, MaxSpan: time.Hour, MaxRangeKm: 5, ClaimTTL: 45 * time.Minute,
		Corroboration: incident.Corroboration{MinIndependent: 3, DirectReliability: "A", DirectMaxCredibility: 4}}
	if cfg.Incidents != wantInc {
		t.Errorf("incidents %+v, want %+v", cfg.Incidents, wantInc)
	}
	wantPol := compliance.DefaultPolicy()
	wantPol.CaseThreshold, wantPol.EscalateMinorAt, wantPol.AreaCellDeg, wantPol.SeriousCount = compliance.Grave, 50, 0.25, 20
	wantPol.MinConfidence, wantPol.DisputePausesDeadlines = "high", true
	if cfg.Policy != wantPol {
		t.Errorf("policy %+v, want %+v", cfg.Policy, wantPol)
	}
}
