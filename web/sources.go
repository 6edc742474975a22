package web

import (
	"context"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/response"
)

// Incidents is the incident pipeline as the pages see it: the review queue
// and incident pages, the case board's cases, the overview's violations
// and the incident map. *pipeline.Pipeline implements it; its methods
// return copies, and EUNAVAILABLE on a server that does not lead the
// pipeline right now.
type Incidents interface {
	Agreement() *agreement.Agreement
	Incidents(f pipeline.Filter) ([]*incident.Incident, error)
	Incident(id string) (*incident.Incident, []*incident.Decision, error)
	Claim(id, analyst string) (*incident.Claim, error)
	Decide(ctx context.Context, id, analyst string, outcome incident.Outcome, reason incident.RejectReason, note string, observations []string) (*incident.Decision, *incident.Incident, error)
	Cases(status compliance.CaseStatus) ([]*compliance.Case, error)
	Case(id string) (*compliance.Case, []compliance.Violation, error)
	Violations() (*compliance.Result, error)
}

// Responses is the response mechanism as the pages see it: protocol runs
// and their steps, liaisons' actions and the guarantor scorecard.
// *service.Service (package response/service) implements it.
type Responses interface {
	Runs(ctx context.Context, caseID string) ([]*response.Run, error)
	Record(ctx context.Context, by response.Recorder, run, step string, act response.Action) ([]response.Transition, error)
	Scorecard(ctx context.Context, asOf time.Time, every agreement.Duration) (response.Scorecard, error)
}

var _ Incidents = (*pipeline.Pipeline)(nil)
