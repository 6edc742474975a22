package pipeline

import (
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
)

// FromAgreement returns the pipeline configuration the agreement asks for:
// its clustering and corroboration rules (verification) and its case
// policy, each field defaulting to the engine's when the agreement is
// silent.
func FromAgreement(a *agreement.Agreement) Config {
	return Config{Agreement: a, Incidents: incident.DefaultConfig(), Policy: compliance.DefaultPolicy()}
}
