package compliance

import (
	"time"

	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/vocab"
)

var confidenceRank = map[string]int{"low": 1, "medium": 2, "high": 3}

// controller returns the party whose controlled area holds the whole disc
// at t: ok=false with a note when the disc crosses a control boundary or
// lies in no party's controlled area.
func (e *Evaluator) controller(d *incident.Disc, t time.Time) (party string, note string) {
	if d == nil {
		return "", "no position"
	}
	for _, za := range e.controlled {
		a := za.at(t)
		if a == nil {
			continue
		}
		switch a.classify(d.Point, d.RadiusKm) {
		case Inside:
			return za.zone.Party, ""
		case Indeterminate:
			return "", "its uncertainty crosses a control boundary"
		}
	}
	return "", "it lies in no party's controlled area"
}

// reported returns the attribution the incident's sources report with the
// policy's minimum confidence: the highest-confidence claim, unless claims
// of that confidence name different parties. Party complaints do not
// count: a party accusing the other is a claim to verify, not a source of
// attribution.
func (e *Evaluator) reported(inc *incident.Incident) (Attribution, bool) {
	minRank := confidenceRank[e.policy.MinConfidence]
	best, party, conflict := 0, "", false
	for i := range inc.Reports {
		r := &inc.Reports[i]
		if r.Attribution == nil || r.SourceType == vocab.PartyComplaint || e.agreement.Party(r.Attribution.Party) == nil {
			continue
		}
		rank := confidenceRank[r.Attribution.Confidence]
		switch {
		case rank < minRank || rank < best:
		case rank > best:
			best, party, conflict = rank, r.Attribution.Party, false
		case r.Attribution.Party != party:
			conflict = true
		}
	}
	if best == 0 || conflict {
		return Attribution{}, false
	}
	for c, r := range confidenceRank {
		if r == best {
			return Attribution{Party: party, Basis: BasisReported, Confidence: c}, true
		}
	}
	return Attribution{}, false
}

// fireAttribution attributes fire: from the estimated origin when its
// whole uncertainty disc lies in one party's controlled area; otherwise
// from a sufficiently confident reported attribution; otherwise
// unattributed, saying why. Where the shells landed is never used.
func (e *Evaluator) fireAttribution(inc *incident.Incident) Attribution {
	note := "no estimated origin of fire"
	if inc.Origin != nil {
		p, why := e.controller(inc.Origin, inc.First)
		if p != "" {
			return Attribution{Party: p, Basis: BasisOrigin}
		}
		note = "the estimated origin: " + why
	}
	if a, ok := e.reported(inc); ok {
		return a
	}
	return Attribution{Note: note}
}

// presenceAttribution attributes a weapon, force or checkpoint seen at a
// position: from a confident reported attribution, else from who controls
// where it stands (its whole uncertainty disc).
func (e *Evaluator) presenceAttribution(inc *incident.Incident) Attribution {
	if a, ok := e.reported(inc); ok {
		return a
	}
	p, why := e.controller(inc.Location, inc.First)
	if p != "" {
		return Attribution{Party: p, Basis: BasisPosition}
	}
	return Attribution{Note: "the position: " + why}
}
