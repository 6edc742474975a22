package web

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/incident"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/pipeline"
	"github.com/pactwatch/pactwatch/vocab"
)

// IncidentMap is the MapData of a server that runs the incident pipeline:
// one marker per incident (reports of one event merged), coloured by its
// review status. The observation layer stays available behind it
// (MarkerFilter.Layer), and is what the map shows when there is no
// pipeline, or when this server does not lead it right now (EUNAVAILABLE):
// a follower's map keeps working.
//
// With Public set it shows what the API shows the public
// (server/review.go): verified incidents only, in their public projection
// (incident.Public: positions snapped to a coarse grid, no reporters, no
// grade). Otherwise — analysts, auditors, admins — every status but
// "merged" (a merged incident lives on in the one it was merged into).
type IncidentMap struct {
	// Incidents is the pipeline; nil means observations only.
	Incidents Incidents
	// Observations is the observation layer, nil for none. It must apply
	// the same Public setting.
	Observations MapData
	Public       bool
}

// Layers implements Layered: incidents first, when there are any.
func (m IncidentMap) Layers() []string {
	var out []string
	if m.Incidents != nil {
		out = append(out, LayerIncidents)
	}
	if m.Observations != nil {
		out = append(out, LayerObservations)
	}
	return out
}

// Zones implements MapData: the agreement's zones, from the pipeline's
// agreement (or the observation layer's, without one).
func (m IncidentMap) Zones(ctx context.Context, at time.Time) (*geojson.FeatureCollection, error) {
	if m.Incidents != nil {
		if a := m.Incidents.Agreement(); a != nil {
			return AgreementZones(a, at), nil
		}
	}
	if m.Observations != nil {
		return m.Observations.Zones(ctx, at)
	}
	return geojson.NewFeatureCollection(), nil
}

// Markers implements MapData.
func (m IncidentMap) Markers(ctx context.Context, f MarkerFilter) ([]Marker, error) {
	if f.Layer == LayerObservations || m.Incidents == nil {
		return m.observations(ctx, f)
	}
	out, err := m.incidents(f)
	if pactwatch.ErrorCode(err) == pactwatch.EUNAVAILABLE && f.Layer == "" && m.Observations != nil {
		return m.observations(ctx, f)
	}
	return out, err
}

func (m IncidentMap) observations(ctx context.Context, f MarkerFilter) ([]Marker, error) {
	if m.Observations == nil || f.Layer == LayerIncidents {
		return nil, nil
	}
	f.Layer = LayerObservations
	return m.Observations.Markers(ctx, f)
}

// mapStatuses are the incident statuses the full map asks the pipeline
// for: "" is the review queue (reported, corroborated, disputed).
var mapStatuses = []incident.Status{"", incident.Verified, incident.Rejected}

// Summarised is implemented by an Incidents that can list incidents
// without deep-copying their reports and history (*pipeline.Pipeline):
// the map then reads Summaries instead of Incidents, which for a month of
// incidents is most of the page's server time.
type Summarised interface {
	Summaries(f pipeline.Filter) ([]pipeline.Summary, error)
}

var _ Summarised = (*pipeline.Pipeline)(nil)

// summaries lists the incidents the filter selects as summaries.
func (m IncidentMap) summaries(f pipeline.Filter) ([]pipeline.Summary, error) {
	if s, ok := m.Incidents.(Summarised); ok {
		return s.Summaries(f)
	}
	incs, err := m.Incidents.Incidents(f)
	if err != nil {
		return nil, err
	}
	out := make([]pipeline.Summary, len(incs))
	for i, inc := range incs {
		out[i] = pipeline.SummaryOf(inc)
	}
	return out, nil
}

// incidents reads the incidents the filter selects, newest first. The
// pipeline filters by status and category; time is filtered here (the
// pipeline has no time filter).
func (m IncidentMap) incidents(f MarkerFilter) ([]Marker, error) {
	statuses := mapStatuses
	if m.Public {
		// As the API: the public sees verified incidents, and asking for
		// any other status is refused rather than quietly answered empty.
		if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, string(incident.Verified)) {
			return nil, pactwatch.FieldErrorf(pactwatch.EFORBIDDEN, "status", "the public sees verified incidents only")
		}
		statuses = []incident.Status{incident.Verified}
	} else if len(f.Statuses) > 0 {
		statuses = nil
		for _, s := range f.Statuses {
			statuses = append(statuses, incident.Status(s))
		}
	}
	var out []Marker
	for _, st := range statuses {
		if st == incident.Merged {
			continue
		}
		sums, err := m.summaries(pipeline.Filter{Status: st, Categories: f.Categories})
		if err != nil {
			return nil, err
		}
		for _, s := range sums {
			if s.Status == incident.Merged || !inWindow(s.First, f) {
				continue
			}
			var mk Marker
			var ok bool
			if m.Public {
				if s.Status != incident.Verified {
					continue
				}
				mk, ok = PublicIncidentMarker(s)
			} else {
				mk, ok = IncidentMarker(s)
			}
			if ok {
				out = append(out, mk)
			}
		}
	}
	// Newest first, as MapData promises; the id breaks ties so the order
	// (and a truncated answer) does not depend on the pipeline's.
	slices.SortFunc(out, func(a, b Marker) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func inWindow(t time.Time, f MarkerFilter) bool {
	return (f.From.IsZero() || !t.Before(f.From)) && (f.To.IsZero() || t.Before(f.To))
}

// IncidentMarker places an incident (analysts, auditors, admins) where it
// happened, else at its estimated origin of fire, else — a lone observer's
// bearing, or sounds heard — where it was observed from (Marker.Observer).
// It reports false for an incident with no position at all.
func IncidentMarker(s pipeline.Summary) (Marker, bool) {
	d, fromObserver := firstDisc(s.Location, s.Origin), false
	if d == nil {
		d, fromObserver = s.Observer, true
	}
	if d == nil {
		return Marker{}, false
	}
	cat, n := mainCategory(s.Counts)
	return Marker{
		ID: s.ID, Kind: "incident", Time: s.First, Until: s.Last,
		Lat: d.Point[1], Lon: d.Point[0], RadiusKm: d.RadiusKm, Observer: fromObserver,
		Category: cat, Status: string(s.Status), Count: n, Grade: s.BestGrade,
		Reports: s.Reports, URL: "/incidents/" + s.ID,
	}, true
}

// PublicIncidentMarker places a verified incident as its public projection
// (incident.Public) shows it: the position coarsened, no grade. An
// incident known only from where it was observed is placed at the
// observer's position coarsened as observation.Public coarsens observers
// (a 0.25° grid), never finer.
func PublicIncidentMarker(s pipeline.Summary) (Marker, bool) {
	p := incident.Public(&incident.Incident{ID: s.ID, Status: s.Status, Family: s.Family, First: s.First, Last: s.Last,
		Location: s.Location, Origin: s.Origin, Counts: s.Counts})
	d, fromObserver := firstDisc(p.Location, p.Origin), false
	if d == nil {
		d, fromObserver = publicObserverDisc(s.Observer), true
	}
	if d == nil {
		return Marker{}, false
	}
	cat, n := mainCategory(p.Counts)
	return Marker{
		ID: p.ID, Kind: "incident", Time: p.First, Until: p.Last,
		Lat: d.Point[1], Lon: d.Point[0], RadiusKm: d.RadiusKm, Observer: fromObserver,
		Category: cat, Status: string(incident.Verified), Count: n,
		Reports: s.Reports, URL: "/incidents/" + p.ID,
	}, true
}

func firstDisc(ds ...*incident.Disc) *incident.Disc {
	for _, d := range ds {
		if d != nil {
			return d
		}
	}
	return nil
}

// publicObserverDisc coarsens an observer's position by the public policy
// for observers (observation.Public), so the map shows no more of where
// monitors stood than the public observations do.
func publicObserverDisc(d *incident.Disc) *incident.Disc {
	if d == nil {
		return nil
	}
	pub := observation.Public(observation.Record{Observation: observation.Observation{
		Observer: &observation.Position{Lat: d.Point[1], Lon: d.Point[0], UncertaintyM: d.RadiusKm * 1000},
	}})
	if pub.Observer == nil {
		return nil
	}
	return &incident.Disc{Point: orb.Point{pub.Observer.Lon, pub.Observer.Lat}, RadiusKm: pub.Observer.UncertaintyM / 1000}
}

// mainCategory is the category an incident is drawn and summarised as:
// the one with most events, ties broken by categoryOrder (explosions before
// bursts before strikes …). n is the events of all its categories.
func mainCategory(counts map[vocab.Category]int) (main vocab.Category, n int) {
	best := -1
	for _, c := range orderedCategories() {
		k, ok := counts[c]
		if !ok {
			continue
		}
		n += max(k, 1)
		if k > best {
			main, best = c, k
		}
	}
	if main == "" {
		main = vocab.Other
	}
	return main, n
}

// orderedCategories is every category in the order the UI lists them.
var orderedCategories = sync.OnceValue(func() []vocab.Category {
	var out []vocab.Category
	for _, f := range families() {
		out = append(out, f.Categories...)
	}
	return out
})
