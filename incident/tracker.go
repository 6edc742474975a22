package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/paulmach/orb"

	"github.com/pactwatch/pactwatch"
	"github.com/pactwatch/pactwatch/observation"
	"github.com/pactwatch/pactwatch/vocab"
)

// Config says how reports are clustered and reviewed. The zero value is
// not useful; start from DefaultConfig.
type Config struct {
	// MaxDistanceKm is how far apart two reports' positions may be, beyond
	// the sum of their uncertainties, to describe one event.
	MaxDistanceKm float64 `json:"max_distance_km"`
	// Window is how far apart in time, beyond their precision intervals,
	// reports of one event may be.
	Window time.Duration `json:"window"`
	// MaxSpan caps an incident's duration, so hours of steady fire at one
	// place become several incidents rather than one that swallows a day.
	MaxSpan time.Duration `json:"max_span"`
	// MaxRangeKm is the farthest a bearing is taken to reach when the report
	// gives no distance band.
	MaxRangeKm float64 `json:"max_range_km"`
	// ClaimTTL is how long an analyst's claim lasts unless renewed.
	ClaimTTL time.Duration `json:"claim_ttl"`
	// Corroboration is the agreement's rule for independent sources.
	Corroboration Corroboration `json:"corroboration"`
}

// DefaultConfig: OSCE-style spot reporting clustered reports of one event
// within a couple of kilometres and a quarter of an hour.
func DefaultConfig() Config {
	return Config{
		MaxDistanceKm: 2,
		Window:        15 * time.Minute,
		MaxSpan:       2 * time.Hour,
		MaxRangeKm:    DefaultRangeKm,
		ClaimTTL:      30 * time.Minute,
		Corroboration: DefaultCorroboration,
	}
}

// Tracker holds incidents: it clusters records into them and runs their
// review. Now is the clock (claims expire by it, changes are stamped with
// it). Use NewTracker.
type Tracker struct {
	Config Config
	Now    func() time.Time

	incidents map[string]*Incident
	order     []string          // ids in order of creation
	byObs     map[string]string // observation id → incident id holding it
	grid      map[cellKey][]*Incident
}

// NewTracker returns an empty tracker with cfg and the clock now.
func NewTracker(cfg Config, now func() time.Time) *Tracker {
	return &Tracker{Config: cfg, Now: now, incidents: map[string]*Incident{},
		byObs: map[string]string{}, grid: map[cellKey][]*Incident{}}
}

// Get returns the incident with the id (ENOTFOUND if there is none). The
// caller must not modify it.
func (t *Tracker) Get(id string) (*Incident, error) {
	inc := t.incidents[id]
	if inc == nil {
		return nil, pactwatch.FieldErrorf(pactwatch.ENOTFOUND, "incident", "no incident %q", id)
	}
	return inc, nil
}

// Incidents returns every incident (merged ones too) in order of creation.
func (t *Tracker) Incidents() []*Incident {
	out := make([]*Incident, len(t.order))
	for i, id := range t.order {
		out[i] = t.incidents[id]
	}
	return out
}

// Verified returns the verified incidents in order of creation: what
// compliance evaluates.
func (t *Tracker) Verified() []*Incident {
	var out []*Incident
	for _, id := range t.order {
		if inc := t.incidents[id]; inc.Status == Verified {
			out = append(out, inc)
		}
	}
	return out
}

// IncidentOf returns the id of the incident holding the observation.
func (t *Tracker) IncidentOf(observationID string) (string, bool) {
	id, ok := t.byObs[observationID]
	return id, ok
}

// Add clusters one accepted record: into the best-matching incident (a new
// version of it) or a new incident. Adding a record already held is a no-op
// that returns its incident, so replays are idempotent.
func (t *Tracker) Add(rec *observation.Record) (*Incident, error) {
	if rec == nil || rec.ID == "" {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "id", "a record needs an id")
	}
	if !rec.Category.Valid() {
		return nil, pactwatch.FieldErrorf(pactwatch.EINVALID, "category", "unknown category %q", rec.Category)
	}
	if id, ok := t.byObs[rec.ID]; ok {
		return t.incidents[id], nil
	}
	r := FromRecord(rec)
	if best := t.match(&r); best != nil {
		best.Reports = append(best.Reports, r)
		best.recompute(t.Config.Corroboration, &t.Config)
		t.byObs[r.ID] = best.ID
		t.bump(best, System, ActionAdded, "", []string{r.ID}, nil)
		return best, nil
	}
	inc := &Incident{ID: newID("inc", r.ID), Status: Reported, Family: r.Category.Family(), Reports: []Report{r}}
	inc.recompute(t.Config.Corroboration, &t.Config)
	t.insert(inc)
	t.bump(inc, System, ActionCreated, "", []string{r.ID}, nil)
	return inc, nil
}

// insert registers a new incident.
func (t *Tracker) insert(inc *Incident) {
	t.incidents[inc.ID] = inc
	t.order = append(t.order, inc.ID)
	for i := range inc.Reports {
		t.byObs[inc.Reports[i].ID] = inc.ID
	}
	t.index(inc)
}

// bump records a new version.
func (t *Tracker) bump(inc *Incident, by string, action Action, reason string, obs, related []string) {
	inc.Version++
	inc.History = append(inc.History, Change{Version: inc.Version, At: t.Now().UTC(), By: by, Action: action,
		Reason: reason, Status: inc.Status, Observations: obs, Related: related})
}

// newID derives a stable id from a seed, so re-clustering the same records
// in the same order yields the same ids.
func newID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + "-" + hex.EncodeToString(sum[:8])
}

// The spatial index: incidents by family, grid cell of their anchor and
// day. Cells are 0.05° (about 4–5.5 km); a query scans the cells within
// its search radius.
const cellDeg = 0.05

type cellKey struct {
	family vocab.Family
	x, y   int32
	day    int32
}

func cellOf(lon, lat float64) (int32, int32) {
	return int32(math.Floor(lon / cellDeg)), int32(math.Floor(lat / cellDeg))
}

func dayOf(t time.Time) int32 { return int32(t.Unix() / 86400) }

// anchor is where an incident is indexed: its location, else its origin,
// else its first bearing's observer.
func anchor(inc *Incident) *Disc {
	if inc.Location != nil {
		return inc.Location
	}
	if inc.Origin != nil {
		return inc.Origin
	}
	for i := range inc.Reports {
		if inc.Reports[i].Observer != nil {
			return inc.Reports[i].Observer
		}
	}
	return nil
}

func (t *Tracker) index(inc *Incident) {
	a := anchor(inc)
	if a == nil {
		return
	}
	x, y := cellOf(a.Point[0], a.Point[1])
	k := cellKey{inc.Family, x, y, dayOf(inc.First)}
	t.grid[k] = append(t.grid[k], inc)
}

// maxIndexedRadiusKm bounds the uncertainty the index searches for: a
// report or incident vaguer than this (a whole district) is matched only
// within this radius; analysts merge the rest by hand.
const maxIndexedRadiusKm = 30

// match returns the open incident the report best fits, or nil.
func (t *Tracker) match(r *Report) *Incident {
	cfg := &t.Config
	var spots []*Disc
	for _, d := range []*Disc{locationOf(r), r.Origin} {
		if d != nil {
			spots = append(spots, d)
		}
	}
	b, hasBearing := bearingOf(r, cfg)
	radius := 0.0
	for _, d := range spots {
		radius = max(radius, cfg.MaxDistanceKm+2*min(d.RadiusKm, maxIndexedRadiusKm))
	}
	var centre *Disc
	if len(spots) > 0 {
		centre = spots[0]
	}
	if hasBearing {
		// The other bearing's observer may stand up to twice the range away.
		radius = max(radius, 2*b.MaxKm+b.FromKm)
		centre = r.Observer
	}
	if centre == nil {
		return nil
	}
	radius += 2 * cellDeg * kmPerDegLat // anchors drift as reports join
	family := r.Category.Family()
	dLat := radius / kmPerDegLat
	dLon := dLat / math.Max(math.Cos(centre.Point[1]*math.Pi/180), 0.01)
	x0, y0 := cellOf(centre.Point[0]-dLon, centre.Point[1]-dLat)
	x1, y1 := cellOf(centre.Point[0]+dLon, centre.Point[1]+dLat)
	d0 := dayOf(r.At.Add(-cfg.Window - cfg.MaxSpan))
	d1 := dayOf(r.Until.Add(cfg.Window))
	var best *Incident
	bestScore := math.Inf(1)
	for day := d0; day <= d1; day++ {
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				for _, inc := range t.grid[cellKey{family, x, y, day}] {
					if s, ok := t.fits(inc, r, spots, b, hasBearing); ok &&
						(s < bestScore || s == bestScore && inc.First.Before(best.First)) {
						best, bestScore = inc, s
					}
				}
			}
		}
	}
	return best
}

// fits reports whether the report r may describe incident inc, with a
// score (lower is better: the spatial gap in km).
func (t *Tracker) fits(inc *Incident, r *Report, spots []*Disc, b Bearing, hasBearing bool) (float64, bool) {
	cfg := &t.Config
	if inc.Status == Merged || inc.Status == Rejected {
		return 0, false
	}
	if r.At.After(inc.Last.Add(cfg.Window)) || r.Until.Before(inc.First.Add(-cfg.Window)) {
		return 0, false
	}
	first, last := inc.First, inc.Last
	if r.At.Before(first) {
		first = r.At
	}
	if r.Until.After(last) {
		last = r.Until
	}
	if last.Sub(first) > cfg.MaxSpan {
		return 0, false
	}
	gap := func(a, b *Disc) (float64, bool) {
		d := distanceKm(a.Point, b.Point) - a.RadiusKm - b.RadiusKm
		return max(d, 0), d <= cfg.MaxDistanceKm
	}
	best, ok := math.Inf(1), false
	if loc := locationOf(r); loc != nil && inc.Location != nil {
		if g, fit := gap(loc, inc.Location); fit {
			best, ok = min(best, g), true
		}
	}
	if r.Origin != nil && inc.Origin != nil {
		if g, fit := gap(r.Origin, inc.Origin); fit {
			best, ok = min(best, g), true
		}
	}
	// Bearings: the report's line must pass through the incident's origin,
	// or cross a lone bearing of the incident; a reported origin must lie
	// on the incident's bearings.
	var incBearings []Bearing
	if inc.Origin == nil {
		for i := range inc.Reports {
			if ib, has := bearingOf(&inc.Reports[i], cfg); has {
				incBearings = append(incBearings, ib)
			}
		}
	}
	if hasBearing {
		if inc.Origin != nil {
			if b.fits(inc.Origin, cfg.MaxDistanceKm) {
				best, ok = min(best, 0.5), true
			}
		} else if len(incBearings) > 0 {
			crossesAll := true
			for _, ib := range incBearings {
				if _, cross := Cross(b, ib, cfg.MaxDistanceKm); !cross {
					crossesAll = false
					break
				}
			}
			if crossesAll {
				best, ok = min(best, 1), true
			}
		}
	}
	if r.Origin != nil && inc.Origin == nil && len(incBearings) > 0 {
		onAll := true
		for _, ib := range incBearings {
			if !ib.fits(r.Origin, cfg.MaxDistanceKm) {
				onAll = false
				break
			}
		}
		if onAll {
			best, ok = min(best, 1), true
		}
	}
	return best, ok
}

// distanceKm is the local-plane distance: clustering compares kilometres
// with kilometres of uncertainty, where 0.1% does not matter.
func distanceKm(a, b orb.Point) float64 {
	x, y := toPlane(a, b)
	return math.Hypot(x, y)
}

// sortedIDs returns ids sorted, for records whose order must not depend
// on map iteration or arrival.
func sortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}
