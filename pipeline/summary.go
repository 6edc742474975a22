package pipeline

import (
	"maps"
	"time"

	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/vocab"
)

// Summary is what a map or a count needs of an incident: where, when, what
// and how it stands, without its reports and history. Summaries copies
// these few fields under the lock, where Incidents deep-copies whole
// incidents through JSON — for a month of incidents on the map, the
// difference between a few milliseconds and a large part of a second.
type Summary struct {
	ID        string
	Status    incident.Status
	Family    vocab.Family
	First     time.Time
	Last      time.Time
	Location  *incident.Disc // where it happened, if known
	Origin    *incident.Disc // estimated origin of fire, if known
	Observer  *incident.Disc // the most precise observer position of its reports
	Counts    map[vocab.Category]int
	BestGrade vocab.Grade
	Reports   int
}

// SummaryOf summarises an incident (a copy: nothing is shared with inc).
func SummaryOf(inc *incident.Incident) Summary {
	s := Summary{ID: inc.ID, Status: inc.Status, Family: inc.Family, First: inc.First, Last: inc.Last,
		Location: copyDisc(inc.Location), Origin: copyDisc(inc.Origin), Counts: maps.Clone(inc.Counts),
		BestGrade: inc.BestGrade, Reports: len(inc.Reports)}
	for i := range inc.Reports {
		if o := inc.Reports[i].Observer; o != nil && (s.Observer == nil || o.RadiusKm < s.Observer.RadiusKm) {
			s.Observer = o
		}
	}
	s.Observer = copyDisc(s.Observer)
	return s
}

func copyDisc(d *incident.Disc) *incident.Disc {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

// Summaries returns summaries of the incidents the filter selects, in the
// order and by the rules of Incidents (no status: the review queue).
func (p *Pipeline) Summaries(f Filter) ([]Summary, error) {
	var out []Summary
	err := p.locked(func() error {
		p.selectIncidents(f, func(inc *incident.Incident) { out = append(out, SummaryOf(inc)) })
		return nil
	})
	return out, err
}
