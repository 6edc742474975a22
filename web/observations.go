package web

import (
	"context"
	"slices"
	"time"

	"github.com/pactwatch/pactwatch/agreement"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/store"
	"github.com/paulmach/orb/geojson"
)

// ObservationStore is the part of store.Store the observation map reads.
type ObservationStore interface {
	Observations(ctx context.Context, f store.ObservationFilter) ([]observation.Record, error)
}

// ObservationMap is a MapData that plots observations, for as long as
// incidents do not exist: the agreement's zones, and one marker per
// observation. With Public set (the default for anyone not logged in) it
// shows only the public projection (observation.Public): coarsened
// positions, no narrative, nothing that identifies the reporter.
type ObservationMap struct {
	Agreement *agreement.Agreement
	Store     ObservationStore
	Public    bool
}

// pageSize is how many observations one store call reads.
const pageSize = 2000

// Zones implements MapData.
func (m ObservationMap) Zones(ctx context.Context, at time.Time) (*geojson.FeatureCollection, error) {
	if m.Agreement == nil {
		return geojson.NewFeatureCollection(), nil
	}
	return AgreementZones(m.Agreement, at), nil
}

// Markers implements MapData, reading the store page by page. A filter on
// one category is passed to the store; several categories (a family) are
// filtered here.
func (m ObservationMap) Markers(ctx context.Context, f MarkerFilter) ([]Marker, error) {
	if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, "reported") {
		return nil, nil // a lone observation is only ever "reported"
	}
	if f.Layer == LayerIncidents {
		return nil, nil // it has no incidents (IncidentMap has)
	}
	sf := store.ObservationFilter{From: f.From, To: f.To, Limit: pageSize}
	if len(f.Categories) == 1 {
		sf.Category = f.Categories[0]
	}
	var out []Marker
	for {
		recs, err := m.Store.Observations(ctx, sf)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if len(f.Categories) > 1 && !slices.Contains(f.Categories, r.Category) {
				continue
			}
			var mk Marker
			var ok bool
			if m.Public {
				mk, ok = PublicObservationMarker(observation.Public(r))
			} else {
				mk, ok = ObservationMarker(r)
			}
			if ok {
				out = append(out, mk)
			}
			if f.Limit > 0 && len(out) >= f.Limit {
				return out, nil
			}
		}
		if len(recs) < sf.Limit {
			return out, nil
		}
		sf.After = recs[len(recs)-1].Seq
	}
}

// ObservationMarker places a full observation (analysts, auditors) at what
// it observed: the target, else the estimated origin, else the observer.
// It reports false for an observation with no position.
func ObservationMarker(r observation.Record) (Marker, bool) {
	pos := firstPosition(r.Target, r.Origin, r.Observer)
	if pos == nil {
		return Marker{}, false
	}
	return Marker{
		ID: r.ID, Kind: "observation", Time: r.ObservedAt,
		Lat: pos.Lat, Lon: pos.Lon, Category: r.Category, Status: "reported",
		Count: r.Count, Summary: r.Narrative,
	}, true
}

// PublicObservationMarker places a public projection: positions are
// already coarsened, and there is no narrative to show.
func PublicObservationMarker(p observation.PublicObservation) (Marker, bool) {
	pos := firstPosition(p.Target, p.Origin, p.Observer)
	if pos == nil {
		return Marker{}, false
	}
	return Marker{
		ID: p.ID, Kind: "observation", Time: p.ObservedAt,
		Lat: pos.Lat, Lon: pos.Lon, Category: p.Category, Status: "reported",
		Count: p.Count,
	}, true
}

func firstPosition(ps ...*observation.Position) *observation.Position {
	for _, p := range ps {
		if p != nil {
			return p
		}
	}
	return nil
}
