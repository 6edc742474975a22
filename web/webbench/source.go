// Package webbench measures the web interface as a user meets it: the map
// page with a month of incidents, from navigation until every marker is
// clustered on the map, in headless Chromium. `pactwatch bench web` runs
// it and prints the figures; it serves synthetic incidents along the
// example agreement's contact line (Month), or measures a running server
// (Config.URL), such as `pactwatch serve --demo`.
package webbench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/compliance"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/vocab"
)

// Source is a read-only incident source holding synthetic incidents. It
// implements web.Incidents and, like *pipeline.Pipeline, web.Summarised:
// Incidents returns deep copies made through JSON as the pipeline does,
// Summaries the summaries the map reads.
type Source struct {
	agreement *agreement.Agreement
	incidents []*incident.Incident
}

// mix is a month of a busy mission, by category: mostly explosions and
// bursts of fire, some flashes, flares and projectiles, a few strikes,
// weapons, restrictions and casualties.
var mix = []struct {
	cat    vocab.Category
	weight int
}{
	{vocab.Explosion, 34}, {vocab.BurstOfFire, 30}, {vocab.ProjectileInFlight, 8}, {vocab.MuzzleFlash, 6},
	{vocab.IlluminationFlare, 6}, {vocab.DroneStrike, 5}, {vocab.HeavyWeaponSighted, 4}, {vocab.WeaponMissing, 1},
	{vocab.MovementRestriction, 3}, {vocab.CivilianCasualty, 2}, {vocab.InfrastructureDamage, 1},
}

// statuses is where a month's incidents stand in review, by share.
var statuses = []struct {
	status incident.Status
	weight int
}{
	{incident.Verified, 55}, {incident.Reported, 15}, {incident.Corroborated, 15}, {incident.Disputed, 5}, {incident.Rejected, 10},
}

// Month returns n incidents spread over the 29 days before end (all inside
// the map's default window of 30 calendar days), along the
// agreement's zone "contact-line" (a line), deterministic for a given n.
func Month(a *agreement.Agreement, n int, end time.Time) (*Source, error) {
	z := a.Zone("contact-line")
	if z == nil {
		return nil, fmt.Errorf("webbench: the agreement has no zone contact-line")
	}
	line, ok := z.GeometryAt(end).(orb.LineString)
	if !ok || len(line) < 2 {
		return nil, fmt.Errorf("webbench: zone contact-line is not a line at %s", end.Format(time.DateOnly))
	}
	rng := rand.New(rand.NewPCG(uint64(n), 2026))
	pick := func(total int, weight func(int) int) int {
		x := rng.IntN(total)
		for i := 0; ; i++ {
			if x -= weight(i); x < 0 {
				return i
			}
		}
	}
	catTotal, stTotal := 0, 0
	for _, m := range mix {
		catTotal += m.weight
	}
	for _, s := range statuses {
		stTotal += s.weight
	}
	src := &Source{agreement: a}
	for i := range n {
		seg := rng.IntN(len(line) - 1)
		p, q := line[seg], line[seg+1]
		u := rng.Float64()
		at := end.Add(-time.Duration(rng.Int64N(int64(29 * 24 * time.Hour)))).Truncate(time.Minute)
		cat := mix[pick(catTotal, func(i int) int { return mix[i].weight })].cat
		count := 1
		if cat.Family() == vocab.FamilyFire {
			count = 1 + rng.IntN(40)
		}
		inc := &incident.Incident{
			ID: fmt.Sprintf("inc-%06d", i), Version: 1,
			Status: statuses[pick(stTotal, func(i int) int { return statuses[i].weight })].status,
			Family: cat.Family(), First: at, Last: at.Add(time.Duration(1+rng.IntN(90)) * time.Minute),
			Location: &incident.Disc{
				Point:    orb.Point{p[0] + u*(q[0]-p[0]) + rng.NormFloat64()*0.06, p[1] + u*(q[1]-p[1]) + rng.NormFloat64()*0.06},
				RadiusKm: 0.2 + rng.Float64()*3,
			},
			Counts: map[vocab.Category]int{cat: count}, BestGrade: "B2", Corroborated: true,
		}
		for r := range 1 + rng.IntN(3) {
			inc.Reports = append(inc.Reports, incident.Report{
				ID: fmt.Sprintf("obs-%06d-%d", i, r), Reporter: fmt.Sprintf("monitor-%d", rng.IntN(40)),
				SourceType: "patrol", Grade: "B2", Category: cat, Count: count, At: at, Until: inc.Last,
			})
		}
		src.incidents = append(src.incidents, inc)
	}
	return src, nil
}

// Agreement implements web.Incidents.
func (s *Source) Agreement() *agreement.Agreement { return s.agreement }

// Incidents implements web.Incidents with the pipeline's rules: no status
// is the review queue (reported, corroborated, disputed); categories match
// any of an incident's.
func (s *Source) Incidents(f pipeline.Filter) ([]*incident.Incident, error) {
	var out []*incident.Incident
	for _, inc := range s.selected(f) {
		c, err := clone(inc)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Summaries is what *pipeline.Pipeline offers the map (web.Summarised):
// the same selection, summarised.
func (s *Source) Summaries(f pipeline.Filter) ([]pipeline.Summary, error) {
	var out []pipeline.Summary
	for _, inc := range s.selected(f) {
		out = append(out, pipeline.SummaryOf(inc))
	}
	return out, nil
}

func (s *Source) selected(f pipeline.Filter) []*incident.Incident {
	var out []*incident.Incident
	for _, inc := range s.incidents {
		if f.Status == "" && !inc.Status.Open() || f.Status != "" && inc.Status != f.Status {
			continue
		}
		if len(f.Categories) > 0 && !slices.ContainsFunc(f.Categories, func(c vocab.Category) bool { _, ok := inc.Counts[c]; return ok }) {
			continue
		}
		out = append(out, inc)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out
}

func clone(inc *incident.Incident) (*incident.Incident, error) {
	b, err := json.Marshal(inc)
	if err != nil {
		return nil, err
	}
	out := new(incident.Incident)
	return out, json.Unmarshal(b, out)
}

// Incident implements web.Incidents.
func (s *Source) Incident(id string) (*incident.Incident, []*incident.Decision, error) {
	for _, inc := range s.incidents {
		if inc.ID == id {
			c, err := clone(inc)
			return c, nil, err
		}
	}
	return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "incident", "no incident %q", id)
}

// Claim implements web.Incidents: the benchmark's incidents are read-only.
func (s *Source) Claim(id, analyst string) (*incident.Claim, error) {
	return nil, pactwatch.Errorf(pactwatch.EFORBIDDEN, "the benchmark's incidents are read-only")
}

// Decide implements web.Incidents: the benchmark's incidents are read-only.
func (s *Source) Decide(ctx context.Context, id, analyst string, outcome incident.Outcome, reason incident.RejectReason, note string, observations []string) (*incident.Decision, *incident.Incident, error) {
	return nil, nil, pactwatch.Errorf(pactwatch.EFORBIDDEN, "the benchmark's incidents are read-only")
}

// Cases implements web.Incidents: the benchmark has none.
func (s *Source) Cases(status compliance.CaseStatus) ([]*compliance.Case, error) { return nil, nil }

// Case implements web.Incidents.
func (s *Source) Case(id string) (*compliance.Case, []compliance.Violation, error) {
	return nil, nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "case", "no case %q", id)
}

// Violations implements web.Incidents: the benchmark evaluates nothing.
func (s *Source) Violations() (*compliance.Result, error) { return &compliance.Result{}, nil }
